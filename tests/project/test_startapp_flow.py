"""The whole `startapp` flow, as a developer runs it, on a copy of the project.

startapp -> add it to INSTALLED_APPS -> db migrate -> db upgrade -> its test
passes and its API answers. Everything runs in subprocesses with this
interpreter, in a copy of the working tree, on a SQLite file of its own (the
generated test runs on MariaDB too when the suite does).
"""

import json
import re

import pytest
import sqlalchemy as sa

from .support import clean_env, copy_project, on_mysql, run, suite_database_url

REQUESTS = """
from project import create_app

client = create_app().test_client()
created = client.post("/api/polls", json={"title": "Tea or coffee?"})
listed = client.get("/api/polls")
detail = client.get(f"/api/polls/{created.json['id']}")
page = client.get("/polls/")
print(json.dumps({
    "created": [created.status_code, created.json],
    "listed": [listed.status_code, listed.json],
    "detail": [detail.status_code, detail.json],
    "page": [page.status_code, "Tea or coffee?" in page.get_data(as_text=True)],
}))
"""


def add_installed_app(settings_file, name):
    text = settings_file.read_text()
    start = text.index("INSTALLED_APPS = [")
    end = text.index("]", start)
    settings_file.write_text(f'{text[:end]}    "{name}",\n{text[end:]}')


def inner_test_database_url():
    """The generated test's database: never the one this suite is using."""
    if not on_mysql():
        return None
    url = sa.engine.make_url(suite_database_url())
    return url.set(database=f"{url.database}_startapp").render_as_string(hide_password=False)


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path / "project")


def test_a_new_app_answers_after_startapp_migrate_and_upgrade(project, tmp_path):
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    env.pop("PYTHONPATH", None)

    def manage(*args):
        result = run(["manage.py", *args], cwd=project, env=env)
        assert result.returncode == 0, (
            f"manage.py {' '.join(args)}:\n{result.stdout}{result.stderr}"
        )
        return result

    created = manage("startapp", "polls")
    assert "Next steps:" in created.stdout
    add_installed_app(project / "settings" / "base.py", "apps.polls")
    manage("db", "upgrade")  # the database is at the head before a migration is written

    manage("db", "migrate", "-m", "add polls")
    (script,) = (project / "migrations" / "versions").glob("*_add_polls.py")
    assert "op.create_table('polls_poll'" in script.read_text()
    manage("db", "upgrade")

    assert manage("check").stdout == "System check identified no issues.\n"

    test_env = dict(env)
    if inner_test_database_url():
        test_env["TEST_DATABASE_URL"] = inner_test_database_url()
    tests = run(["-m", "pytest", "-p", "no:cacheprovider", "tests/apps/polls"], project, test_env)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert re.search(r"^=+ 5 passed", tests.stdout, re.MULTILINE), tests.stdout

    requests = run(["-c", "import json\n" + REQUESTS], cwd=project, env=env)
    assert requests.returncode == 0, requests.stderr
    answers = json.loads(requests.stdout.splitlines()[-1])
    assert answers["created"][0] == 201
    poll = answers["created"][1]
    assert poll["title"] == "Tea or coffee?"
    assert answers["listed"][0] == 200
    assert answers["listed"][1]["items"] == [poll]
    assert answers["listed"][1]["total"] == 1
    assert answers["detail"] == [200, poll]
    assert answers["page"] == [200, True]

    lint = run(["-m", "ruff", "check", "apps/polls", "tests/apps/polls"], cwd=project, env=env)
    assert lint.returncode == 0, lint.stdout
