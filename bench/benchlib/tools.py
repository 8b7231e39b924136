"""Install what the bench needs: wrk (Debian) and the DRF peer's packages (pip)."""

import contextlib
import shutil
import subprocess
import sys
from importlib import metadata

from benchlib import BENCH_DIR


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("wrk is missing: apt-get update && apt-get install -y wrk", flush=True)
    env_apt = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    subprocess.run(["apt-get", "update", "-qq"], env=env_apt, timeout=600, check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env_apt, timeout=600, check=True)


def ensure_requirements() -> None:
    """pip install -r bench/requirements.txt into the interpreter running us (.venv)."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        "-r",
        str(BENCH_DIR / "requirements.txt"),
    ]
    subprocess.run(cmd, timeout=600, check=True)


def versions() -> str:
    parts = [f"python {sys.version.split()[0]}"]
    for dist in ("gunicorn", "flask", "sqlalchemy", "pymysql", "django", "djangorestframework"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            parts.append(f"{dist} {metadata.version(dist)}")
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
    parts.append((wrk.stdout or wrk.stderr).split("[")[0].strip() or "wrk ?")
    return ", ".join(parts)
