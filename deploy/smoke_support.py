"""Helpers of deploy/smoke: an HTTP client, processes that always stop, nginx, MariaDB pauses."""

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# -- HTTP ---------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict
    text: str

    @property
    def json(self):
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @property
    def error_code(self):
        body = self.json
        return body.get("error", {}).get("code") if isinstance(body, dict) else None


def http(method, url, body=None, headers=None, timeout=40):
    """One request; any status is a Response, a connection failure is status 0."""
    data = json.dumps(body).encode() if body is not None else None
    headers = dict(headers or {})
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - loopback
            return Response(answer.status, dict(answer.headers), answer.read().decode())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read().decode())
    except (OSError, urllib.error.URLError) as error:
        return Response(0, {}, str(error))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, timeout, interval=0.25):
    """Poll `predicate()` until it is truthy (returned) or `timeout` seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


# -- processes ------------------------------------------------------------------------------------


@dataclass
class Processes:
    """Every process the smoke starts, stopped (TERM, then KILL) by `stop_all` whatever happens."""

    logs: Path
    running: dict = field(default_factory=dict)

    def start(self, name, argv, env, cwd=ROOT):
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed when the process ends
        process = subprocess.Popen(  # noqa: S603 - our own commands
            argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.running[name] = (process, log)
        return process

    def log(self, name):
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def alive(self, name):
        return self.running[name][0].poll() is None

    def stop(self, name, sig=signal.SIGTERM, timeout=20):
        process, log = self.running.pop(name)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()
        return process.returncode

    def stop_all(self):
        for name in list(self.running):
            self.stop(name)


def children(pid):
    """Pids of the direct children of `pid` (a gunicorn master's workers)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


# -- nginx --------------------------------------------------------------------------------


def ensure_nginx():
    """The nginx binary; installed from Debian's packages when missing (apt-get update once)."""
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found:
        return found, False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=300)  # noqa: S607
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx"],  # noqa: S607
        check=True,
        env=env,
        timeout=600,
    )
    # Debian starts the system nginx on :80 after installing it; this smoke runs its own.
    subprocess.run(["service", "nginx", "stop"], check=False, timeout=30)  # noqa: S607
    return shutil.which("nginx") or "/usr/sbin/nginx", True


def render_nginx(work, listen_port, upstream_ports, swagger_path):
    """deploy/nginx.conf with this run's ports and paths, inside a main config of its own
    (pid, logs, temp files under `work`): the system nginx is never touched."""
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    begin, end = "# upstream-servers-begin", "# upstream-servers-end"
    head, rest = site.split(begin)
    _, tail = rest.split(end)
    servers = "".join(
        f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;\n" for port in upstream_ports
    )
    site = f"{head}{begin}\n{servers}    {end}{tail}"
    proxy = (ROOT / "deploy" / "nginx-proxy.conf").read_text()
    # Which instance answered: lets the smoke show a token made on one works on the other.
    proxy += "add_header X-Upstream $upstream_addr always;\n"
    (work / "proxy.conf").write_text(proxy)
    replacements = [
        ("listen 80;", f"listen 127.0.0.1:{listen_port};"),
        ("/var/log/nginx/project.access.log", str(work / "nginx-access.log")),
        ("/srv/project/deploy/nginx-proxy.conf", str(work / "proxy.conf")),
        ("/srv/project/swagger-ui/", f"{swagger_path}/"),
        ("/srv/project/", f"{ROOT}/"),
    ]
    for old, new in replacements:
        assert old in site, f"deploy/nginx.conf no longer contains {old!r}"
        site = site.replace(old, new)
    (work / "site.conf").write_text(site)
    temp = work / "nginx-temp"
    temp.mkdir(exist_ok=True)
    # Workers run as whoever runs the smoke: as root, nginx would otherwise drop
    # them to "nobody", which cannot read a checkout under a private (0700)
    # directory such as a fresh `mktemp -d` clone.
    user = f"user {pwd.getpwuid(os.getuid()).pw_name};" if os.getuid() == 0 else ""
    main = f"""
{user}
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {work}/site.conf;
}}
"""
    (work / "nginx.conf").write_text(main)
    return work / "nginx.conf"


# -- MariaDB ------------------------------------------------------------------------------


def mariadb_pid():
    """The pid of the running mariadbd (or mysqld), else None."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in ("mariadbd", "mysqld"):
                    return int(entry.name)
    return None


@contextlib.contextmanager
def mariadb_paused(pid):
    """SIGSTOP MariaDB for the block; SIGCONT it afterwards, whatever happened."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)
