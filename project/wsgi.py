"""The WSGI entry point: `gunicorn -c gunicorn.conf.py project.wsgi:app` (`make serve`).

`.env` is loaded first: gunicorn, unlike the flask CLI behind manage.py,
never reads it (PITFALLS P13), and PROMETHEUS_MULTIPROC_DIR must be in the
environment before prometheus_client is imported. Variables already in the
environment win over `.env`. The app is built from APP_SETTINGS.
"""

from pathlib import Path

from dotenv import load_dotenv

load_dotenv(Path(__file__).resolve().parent.parent / ".env")

from project import create_app  # noqa: E402 - after the environment is complete

app = create_app()
