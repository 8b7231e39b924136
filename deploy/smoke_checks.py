"""The steps of deploy/smoke, in order; each passes, fails (with the reason) or is skipped.

A step is a method `step_<n>_<name>` returning a one-line detail, raising
`Failed` (or anything) to fail. A step whose prerequisite failed is failed as
"needs <step>", so the table shows where the chain broke.
"""

import email
import email.policy
import http.client as http_client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa
from smoke_support import (
    ROOT,
    Processes,
    children,
    ensure_nginx,
    free_port,
    http,
    mariadb_paused,
    mariadb_pid,
    render_nginx,
    wait_for,
)

import settings.base

DATABASE = "smoke"
SERVER_URL = "mysql+pymysql://root:@127.0.0.1:3306/"
REDIS_URL = "redis://127.0.0.1:6379/10"
PASSWORD = "grey-heron-over-the-lake"  # noqa: S105 - the smoke user's, on a throwaway database
DEADLINE_SECONDS = 290
CREATES = 200
PAUSE_SECONDS = 5


class Failed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failed(message)


class Smoke:
    def __init__(self):
        self.work = Path(tempfile.mkdtemp(prefix="smoke-"))
        self.work.chmod(0o755)  # nginx's workers (user nobody) read its files
        (self.work / "logs").mkdir()
        (self.work / "mail").mkdir()
        (self.work / "metrics").mkdir()
        self.procs = Processes(self.work / "logs")
        self.results = []
        self.state = {}
        self.ports = {"nginx": free_port(), "web-a": free_port(), "web-b": free_port()}
        self.base = f"http://127.0.0.1:{self.ports['nginx']}"
        self.env = self._environment()
        self.app = None

    # -- the run -------------------------------------------------------------------------------

    def run(self):
        started = time.monotonic()
        steps = [
            getattr(self, name)
            for name in sorted(dir(self), key=_order)
            if name.startswith("step_")
        ]
        for step in steps:
            name = step.__name__.split("_", 2)[2].replace("_", " ")
            if time.monotonic() - started > DEADLINE_SECONDS:
                self.results.append((name, "FAIL", 0.0, "the smoke ran out of time"))
                continue
            needs = getattr(step, "needs", ())
            missing = [n for n in needs if n not in self.state]
            begun = time.monotonic()
            if missing:
                self.results.append((name, "FAIL", 0.0, f"needs {', '.join(missing)}"))
                continue
            try:
                detail = step() or ""
                outcome = "PASS"
            except Exception as exc:  # a step's failure is a row in the table, not a crash
                detail = f"{type(exc).__name__}: {exc}" if not isinstance(exc, Failed) else str(exc)
                outcome = "FAIL"
            self.results.append((name, outcome, time.monotonic() - begun, detail))
            print(f"  {outcome} {name} ({time.monotonic() - begun:.1f}s) {detail}", flush=True)
        return all(outcome == "PASS" for _, outcome, _, _ in self.results)

    def cleanup(self):
        self.procs.stop_all()
        if self.app is not None:
            with self.app.app_context():
                from project.extensions import db

                db.session.remove()
                db.engine.dispose()

    def table(self):
        width = max(len(name) for name, *_ in self.results)
        lines = [f"{'step':<{width}}  result  seconds  detail", "-" * (width + 60)]
        for name, outcome, seconds, detail in self.results:
            lines.append(f"{name:<{width}}  {outcome:<6}  {seconds:7.1f}  {detail}")
        passed = sum(1 for _, outcome, _, _ in self.results if outcome == "PASS")
        lines.append(f"{passed} passed, {len(self.results) - passed} failed")
        return "\n".join(lines)

    # -- set-up ---------------------------------------------------------------------------------

    def _environment(self):
        dropped = {name for name in vars(settings.base) if name.isupper()}
        dropped |= {"APP_SETTINGS", "TEST_DATABASE_URL", "PYTHONPATH"}
        env = {
            k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("FLASK_")
        }
        env.update(
            APP_SETTINGS="production",
            SECRET_KEY=secrets.token_urlsafe(48),
            DATABASE_URL=f"{SERVER_URL}{DATABASE}?charset=utf8mb4",
            REDIS_URL=REDIS_URL,
            TRUSTED_PROXY_COUNT="1",
            SITE_URL=self.base,
            MAIL_BACKEND="file",
            MAIL_FILE_DIR=str(self.work / "mail"),
            METRICS_ENABLED="true",
            PROMETHEUS_MULTIPROC_DIR=str(self.work / "metrics"),
            WEB_CONCURRENCY="2",
            WEB_INSTANCES="2",
            JOBS_RETRY_INTERVALS="[1, 2, 5]",
            SCHEDULED_JOBS=json.dumps(
                [{"name": "smoke-tick", "job": "smoke_jobs.tick", "interval": 1}]
            ),
            SCHEDULER_LOCK_TTL="3",
            AUDIT_CHECKPOINT_KEY=secrets.token_urlsafe(32),
            AUDIT_CHECKPOINT_DIR=str(self.work / "checkpoints"),
            PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "deploy")]),
            PYTHONUNBUFFERED="1",
        )
        return env

    def manage(self, *args, timeout=120):
        return subprocess.run(  # noqa: S603
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def query(self, statement, **params):
        """Rows of a read on the smoke database, through the project's own app and models."""
        from project.extensions import db

        with self.app.app_context():
            try:
                return db.session.execute(statement, params).all()
            finally:
                db.session.remove()

    def step_01_services(self):
        script = ROOT.parent / "shared" / "services.sh"
        check(script.exists(), f"{script} is missing")
        result = subprocess.run(  # noqa: S603
            ["bash", str(script), "mariadb", "redis"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        check(result.returncode == 0, f"services.sh failed: {result.stdout} {result.stderr}")
        self.state["services"] = True
        return " ".join(result.stdout.split())

    def step_02_nginx_installed(self):
        binary, installed = ensure_nginx()
        command = [binary, "-v"]
        version = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        version = version.stderr.strip()
        self.state["nginx"] = binary
        return f"{version} ({'installed now' if installed else 'already there'})"

    def step_03_database(self):
        import redis

        server = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS `{DATABASE}`"))
            connection.execute(sa.text(f"CREATE DATABASE `{DATABASE}` CHARACTER SET utf8mb4"))
        server.dispose()
        redis.Redis.from_url(REDIS_URL).flushdb()
        upgrade = self.manage("db", "upgrade")
        check(upgrade.returncode == 0, f"db upgrade failed: {upgrade.stderr[-500:]}")
        created = self._bootstrap_missing_tables()
        self.state["database"] = True
        note = (
            f"; bootstrap create_all made {', '.join(created)} (not in migrations/ yet)"
            if created
            else ""
        )
        return f"`manage.py db upgrade` ok{note}"

    def _bootstrap_missing_tables(self):
        """Tables of installed apps that migrations/ does not create yet (temporary)."""
        os.environ.update({k: v for k, v in self.env.items() if k != "PROMETHEUS_MULTIPROC_DIR"})
        from project import create_app
        from project.extensions import db

        self.app = create_app()
        with self.app.app_context():
            existing = set(sa.inspect(db.engine).get_table_names())
            missing = sorted(set(db.metadata.tables) - existing)
            if missing:
                db.create_all()
        return missing

    def step_04_start_the_stack(self):
        gunicorn = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
        for name in ("web-a", "web-b"):
            env = dict(self.env, BIND=f"127.0.0.1:{self.ports[name]}", GUNICORN_PROC_NAME=name)
            self.procs.start(name, gunicorn, env)
        self.procs.start("worker", [sys.executable, "manage.py", "worker"], self.env)
        self.state["schedulers_started"] = time.time()
        for name in ("scheduler-1", "scheduler-2"):
            self.procs.start(name, [sys.executable, "manage.py", "scheduler"], self.env)
        swagger = subprocess.run(
            [sys.executable, "-c", "import swagger_ui_bundle as s; print(s.swagger_ui_path)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        config = render_nginx(
            self.work, self.ports["nginx"], [self.ports["web-a"], self.ports["web-b"]], swagger
        )
        # Its own prefix, error log and config: the system nginx is not touched.
        nginx = [
            self.state["nginx"],
            "-p",
            f"{self.work}/",
            "-e",
            str(self.work / "nginx-error.log"),
            "-c",
            str(config),
        ]
        test = subprocess.run(  # noqa: S603
            [*nginx, "-t", "-q"], capture_output=True, text=True, check=False
        )
        check(test.returncode == 0, f"nginx -t refused the config: {test.stderr.strip()}")
        self.procs.start("nginx", [*nginx, "-g", "daemon off;"], self.env)
        ready = wait_for(lambda: http("GET", f"{self.base}/readyz").status == 200, timeout=60)
        dead = [name for name in self.procs.running if not self.procs.alive(name)]
        check(not dead, f"exited at start: {', '.join(dead)}; logs in {self.work / 'logs'}")
        check(
            ready,
            f"/readyz through nginx never answered 200: {http('GET', self.base + '/readyz').text}",
        )
        workers = {
            name: len(children(self.procs.running[name][0].pid)) for name in ("web-a", "web-b")
        }
        check(set(workers.values()) == {2}, f"expected 2 workers per instance, saw {workers}")
        self.state["stack"] = True
        ports = self.ports
        return (
            f"nginx :{ports['nginx']} -> gunicorn :{ports['web-a']} + :{ports['web-b']} "
            f"(2 workers each), worker, 2 schedulers"
        )

    step_04_start_the_stack.needs = ("database", "nginx")

    def step_05_static_files_by_nginx(self):
        answer = http("GET", f"{self.base}/api/docs/static/swagger-ui.css")
        check(answer.status == 200, f"swagger-ui.css: {answer.status}")
        check("X-Request-ID" not in answer.headers, "served by the app, not by nginx")
        return f"/api/docs/static/swagger-ui.css 200 from nginx ({len(answer.text)} bytes)"

    step_05_static_files_by_nginx.needs = ("stack",)

    # -- accounts -------------------------------------------------------------------------------

    def step_06_register_and_activate_by_mail(self):
        body = {"email": "smoke@example.com", "username": "smoker", "password": PASSWORD}
        answer = http("POST", f"{self.base}/api/accounts/register", body)
        check(answer.status == 201, f"register: {answer.status} {answer.text[:200]}")
        token = wait_for(self._mailed_token, timeout=30)
        check(
            token,
            f"no activation mail within 30s; worker log ends: {self.procs.log('worker')[-300:]}",
        )
        activated = http("POST", f"{self.base}/api/accounts/activate", {"token": token})
        check(activated.status == 200, f"activate: {activated.status} {activated.text[:200]}")
        check(activated.json.get("is_active", True), "the user is not active")
        self.state["user"] = True
        return "201 register, mail written by the worker, 200 activate"

    step_06_register_and_activate_by_mail.needs = ("stack",)

    def _mailed_token(self):
        for path in (self.work / "mail").glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            found = re.search(
                r"#token=([A-Za-z0-9_\-]+)", message.get_body(("plain",)).get_content()
            )
            if found:
                return found.group(1)
        return None

    def step_07_token_works_on_the_other_instance(self):
        answer = http(
            "POST", f"{self.base}/api/accounts/login", {"login": "smoker", "password": PASSWORD}
        )
        check(answer.status == 200, f"login: {answer.status} {answer.text[:200]}")
        token, issued_by = answer.json["token"], answer.headers.get("X-Upstream")
        self.state["auth"] = {"Authorization": f"Bearer {token}"}
        for _ in range(6):
            me = http("GET", f"{self.base}/api/accounts/me", headers=self.state["auth"])
            check(me.status == 200, f"/me with the token: {me.status} {me.text[:200]}")
            if me.headers.get("X-Upstream") != issued_by:
                return f"issued by {issued_by}, accepted by {me.headers.get('X-Upstream')}"
        raise Failed(f"nginx never sent /me to the instance other than {issued_by}")

    step_07_token_works_on_the_other_instance.needs = ("user",)

    def step_08_failed_logins_share_one_limit(self):
        """LOGIN_FAILURE_LIMIT is 5 per 15 minutes: the 6th failure is refused wherever it lands.
        (It also blocks this address's logins for 15 minutes: later steps use the token.)"""
        wrong = {"login": "smoker", "password": "not-the-password-at-all"}
        answers = [http("POST", f"{self.base}/api/accounts/login", wrong) for _ in range(6)]
        statuses = [a.status for a in answers]
        upstreams = {a.headers.get("X-Upstream") for a in answers}
        check(statuses == [401] * 5 + [429], f"statuses {statuses}")
        check(answers[-1].headers.get("Retry-After"), "the 429 has no Retry-After")
        check(len(upstreams) == 2, f"all went to {upstreams}")
        wait = answers[-1].headers["Retry-After"]
        return f"401 x5 then 429 (Retry-After {wait}s) across {len(upstreams)} instances"

    step_08_failed_logins_share_one_limit.needs = ("auth",)

    # -- content --------------------------------------------------------------------------------

    def step_09_forged_client_address_is_ignored(self):
        from apps.audit.models import AuditEntry

        answer = http(
            "POST",
            f"{self.base}/api/articles",
            {"title": "smoke-forged"},
            headers={**self.state["auth"], "X-Forwarded-For": "6.6.6.6"},
        )
        check(answer.status == 201, f"create: {answer.status} {answer.text[:200]}")
        rows = self.query(
            sa.select(AuditEntry.ip).where(
                AuditEntry.object_type == "articles.Article",
                AuditEntry.object_id == str(answer.json["id"]),
            )
        )
        check(rows, "no audit entry for the article")
        check(
            {ip for (ip,) in rows} == {"127.0.0.1"},
            f"audit recorded {rows}, not the real client 127.0.0.1",
        )
        return "X-Forwarded-For: 6.6.6.6 sent; audit entry says 127.0.0.1"

    step_09_forged_client_address_is_ignored.needs = ("auth",)

    def step_10_200_concurrent_creates(self):
        from apps.articles.models import Article
        from apps.audit.models import AuditEntry

        def create(i):
            return http(
                "POST",
                f"{self.base}/api/articles",
                {"title": f"smoke-c-{i}", "status": "published"},
                headers=self.state["auth"],
            )

        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(create, range(CREATES)))
        statuses = Counter(a.status for a in answers)
        check(statuses == {201: CREATES}, f"statuses {dict(statuses)}")
        ids = [str(a.json["id"]) for a in answers]
        articles = self.query(
            sa.select(sa.func.count()).select_from(Article).where(Article.title.like("smoke-c-%"))
        )[0][0]
        audited = self.query(
            sa.select(sa.func.count()).where(
                AuditEntry.action == "create",
                AuditEntry.object_type == "articles.Article",
                AuditEntry.object_id.in_(ids),
            )
        )[0][0]
        check(articles == CREATES, f"{articles} articles in the database")
        check(audited == CREATES, f"{audited} audit entries for them")
        upstreams = Counter(a.headers.get("X-Upstream") for a in answers)
        return (
            f"{CREATES} x 201, {articles} articles, {audited} audit entries; "
            f"per instance {dict(upstreams)}"
        )

    step_10_200_concurrent_creates.needs = ("auth",)

    def step_11_worker_killed_mid_load(self):
        master = self.procs.running["web-a"][0].pid
        victim = children(master)[0]
        done = threading.Event()

        def get(i):
            if i == 30:
                os.kill(victim, signal.SIGKILL)
                done.set()
            try:
                return http(
                    "GET", f"{self.base}/api/articles?size=5", headers=self.state["auth"]
                ).status
            except http_client.IncompleteRead:
                return "cut"

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = Counter(pool.map(get, range(120)))
        check(done.is_set(), "the worker was not killed")
        respawned = wait_for(
            lambda: len(children(master)) == 2 and victim not in children(master), timeout=15
        )
        # nginx retries a request the dead worker had not started to answer. One
        # it had started cannot be: gunicorn writes the headers and the body in
        # two calls, and nginx passes the headers on as they come, so a kill
        # between the two cuts that one response. At most one, and never a 5xx.
        cut = statuses.pop("cut", 0)
        check(
            statuses == {200: 120 - cut} and cut <= 1,
            f"statuses {dict(statuses)}, {cut} cut, with worker {victim} killed",
        )
        check(respawned, "gunicorn did not replace the killed worker")
        return (
            f"SIGKILL worker {victim}: {120 - cut}/120 GETs 200 (nginx retried), "
            f"{cut} cut mid-response, worker replaced"
        )

    step_11_worker_killed_mid_load.needs = ("auth",)

    def step_12_mariadb_paused_5_seconds(self):
        pid = mariadb_pid()
        check(pid, "no mariadbd process found")
        outcomes, stop, counter = [], threading.Event(), iter(range(10**6))
        lock = threading.Lock()

        def load():
            while not stop.is_set():
                with lock:
                    n = next(counter)
                began = time.monotonic()
                if n % 2:
                    answer = http(
                        "GET", f"{self.base}/api/articles?size=5", headers=self.state["auth"]
                    )
                    outcomes.append(("get", None, answer, time.monotonic() - began))
                else:
                    title = f"smoke-p-{n}"
                    answer = http(
                        "POST",
                        f"{self.base}/api/articles",
                        {"title": title},
                        headers=self.state["auth"],
                    )
                    outcomes.append(("post", title, answer, time.monotonic() - began))

        threads = [threading.Thread(target=load) for _ in range(6)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.5)
            with mariadb_paused(pid):
                time.sleep(PAUSE_SECONDS)
            time.sleep(2)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        statuses = Counter(answer.status for _, _, answer, _ in outcomes)
        bad = {s: n for s, n in statuses.items() if s not in (200, 201, 503)}
        check(not bad, f"unexpected statuses {bad} (all: {dict(statuses)})")
        unavailable = [a for _, _, a, _ in outcomes if a.status == 503]
        check(
            all(
                a.error_code == "service_unavailable" and a.headers.get("Retry-After")
                for a in unavailable
            ),
            "a 503 without the envelope or Retry-After",
        )
        self.state["paused_posts"] = [
            (title, answer.status) for kind, title, answer, _ in outcomes if kind == "post"
        ]
        counts = dict(sorted(statuses.items()))
        slowest = max(seconds for *_, seconds in outcomes)
        return (
            f"{len(outcomes)} requests around a {PAUSE_SECONDS}s SIGSTOP: {counts}, no 500 "
            f"(slowest waited {slowest:.1f}s)"
        )

    step_12_mariadb_paused_5_seconds.needs = ("auth",)

    def step_13_after_the_pause_nothing_lost_or_doubled(self):
        from apps.articles.models import Article

        ready = wait_for(lambda: http("GET", f"{self.base}/readyz").status == 200, timeout=20)
        check(ready, "/readyz is not 200 after MariaDB resumed")
        with ThreadPoolExecutor(max_workers=8) as pool:
            after = list(
                pool.map(
                    lambda i: http(
                        "POST",
                        f"{self.base}/api/articles",
                        {"title": f"smoke-after-{i}"},
                        headers=self.state["auth"],
                    ),
                    range(20),
                )
            )
        check(
            Counter(a.status for a in after) == {201: 20},
            f"after: {Counter(a.status for a in after)}",
        )
        counts = dict(
            self.query(
                sa.select(Article.title, sa.func.count())
                .where(Article.title.like("smoke-%"))
                .group_by(Article.title)
            )
        )
        doubled = {t: n for t, n in counts.items() if n > 1}
        lost = [t for t, status in self.state["paused_posts"] if status == 201 and t not in counts]
        ghosts = [t for t, status in self.state["paused_posts"] if status == 503 and t in counts]
        check(not doubled, f"duplicated: {doubled}")
        check(not lost, f"answered 201 but missing: {lost}")
        check(not ghosts, f"answered 503 but saved: {ghosts}")
        check(
            all(f"smoke-after-{i}" in counts for i in range(20)),
            "an article created after the pause is missing",
        )
        return f"20/20 creates after; {len(counts)} smoke articles, none doubled, none lost"

    step_13_after_the_pause_nothing_lost_or_doubled.needs = ("paused_posts",)

    # -- audit, jobs, scheduler -----------------------------------------------------------------

    def step_14_audit_chain_verifies(self):
        result = self.manage("audit", "verify")
        check(
            result.returncode == 0,
            f"audit verify exit {result.returncode}: {result.stdout} {result.stderr[-300:]}",
        )
        return result.stdout.strip().splitlines()[-1]

    step_14_audit_chain_verifies.needs = ("database",)

    def step_15_scheduled_job_once_per_tick(self):
        import redis
        from rq import Queue

        from apps.audit.models import AuditEntry

        client = redis.Redis.from_url(REDIS_URL)
        queue = Queue("default", connection=client)
        drained = wait_for(
            lambda: queue.count == 0 and queue.started_job_registry.count == 0, timeout=45
        )
        check(
            drained,
            f"the queue did not drain: {queue.count} queued, "
            f"{queue.started_job_registry.count} running",
        )
        elapsed = time.time() - self.state["schedulers_started"]
        rows = self.query(sa.select(AuditEntry.extra).where(AuditEntry.action == "smoke_tick"))
        ticks = Counter(json.loads(extra)["tick"] for (extra,) in rows)
        doubled = {tick: n for tick, n in ticks.items() if n > 1}
        check(not doubled, f"ticks run more than once: {doubled}")
        check(len(ticks) >= 0.7 * elapsed - 5, f"only {len(ticks)} ticks in {elapsed:.0f}s")
        logs = {name: self.procs.log(name) for name in ("scheduler-1", "scheduler-2")}
        leaders = [name for name, text in logs.items() if "is the leader" in text]
        standbys = [name for name, text in logs.items() if "on standby" in text]
        check(len(leaders) == 1 and len(standbys) == 1, f"leaders {leaders}, standby {standbys}")
        failed = self.manage("jobs", "failed")
        return (
            f"{len(ticks)} ticks in {elapsed:.0f}s, each once; "
            f"leader {leaders[0]}, standby {standbys[0]}; "
            f"{failed.stdout.strip().splitlines()[-1]}"
        )

    step_15_scheduled_job_once_per_tick.needs = ("stack",)

    # -- observability --------------------------------------------------------------------------

    def step_16_metrics_through_nginx(self):
        answer = http("GET", f"{self.base}/metrics")
        check(answer.status == 200, f"/metrics: {answer.status} {answer.text[:200]}")
        text = answer.text
        created = _sample(
            text, 'http_requests_total{method="POST",route="/api/articles",status="201"}'
        )
        pool = _sample(text, "db_pool_size")
        failed = _sample(text, 'jobs{queue="default",state="failed"}')
        check(
            created is not None and created >= CREATES, f"POST /api/articles 201 counted {created}"
        )
        check(pool is not None and pool >= 20, f"db_pool_size {pool} (4 workers x 5 expected)")
        check(failed is not None, "no job counts")
        check("http_request_duration_seconds_bucket" in text, "no latency histogram")
        return (
            f"201 creates counted {created:.0f} (both instances), "
            f"db_pool_size {pool:.0f}, failed jobs {failed:.0f}"
        )

    step_16_metrics_through_nginx.needs = ("stack",)

    def step_17_json_logs_link_by_request_id(self):
        lines = []
        for name in ("web-a", "web-b"):
            for line in self.procs.log(name).splitlines():
                if line.startswith("{"):
                    lines.append(json.loads(line))
        app_lines = [
            entry
            for entry in lines
            if entry.get("logger") == "project.request"
            and entry.get("route") == "/api/articles"
            and entry.get("status") == 201
            and entry.get("user_id")
        ]
        check(app_lines, "no JSON request line for a create with its user id")
        entry = app_lines[-1]
        for key in ("request_id", "user_id", "route", "status", "duration_ms"):
            check(entry.get(key) is not None, f"request line without {key}: {entry}")
        access = [
            e
            for e in lines
            if e.get("logger") == "gunicorn.access" and e.get("request_id") == entry["request_id"]
        ]
        nginx = [
            json.loads(line)
            for line in (self.work / "nginx-access.log").read_text().splitlines()
            if entry["request_id"] in line
        ]
        check(access, "no gunicorn access line with that request id")
        check(nginx, "no nginx access line with that request id")
        return (
            f"request {entry['request_id'][:12]}: nginx, gunicorn and app lines; "
            f"user {entry['user_id']}, {entry['duration_ms']}ms"
        )

    step_17_json_logs_link_by_request_id.needs = ("stack",)

    def step_18_check_sees_redis(self):
        result = self.manage("check")
        check("deploy.W001" not in result.stdout, result.stdout)
        lines = [
            line.strip() for line in result.stdout.splitlines() if line.strip().startswith("(")
        ]
        return "no workers-without-Redis warning" + (
            f"; other: {'; '.join(lines)}" if lines else ""
        )

    step_18_check_sees_redis.needs = ("database",)


def _sample(text, prefix):
    for line in text.splitlines():
        if line.startswith(prefix + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def _order(name):
    found = re.match(r"step_(\d+)_", name)
    return int(found.group(1)) if found else 0


def main():
    def interrupted(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupted)
    smoke = Smoke()
    print(f"deploy/smoke: working in {smoke.work}", flush=True)
    began = time.monotonic()
    try:
        passed = smoke.run()
    finally:
        smoke.cleanup()
    print()
    print(smoke.table())
    print(f"took {time.monotonic() - began:.0f}s; logs in {smoke.work / 'logs'}")
    return 0 if passed else 1
