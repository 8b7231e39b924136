"""Failed logins are limited per IP and per login: 5 per 15 minutes, then 429 with Retry-After."""

from project import create_app

from .conftest import PASSWORD


def from_ip(address):
    return {"environ_base": {"REMOTE_ADDR": address}}


def fail(login, tried="alice", times=1, ip="10.0.0.1"):
    return [login(tried, "wrong password!", **from_ip(ip)).status_code for _ in range(times)]


def test_the_sixth_failure_for_a_login_is_429_with_retry_after(login, user):
    assert fail(login, times=5) == [401] * 5
    response = login("alice", "wrong password!", **from_ip("10.0.0.1"))
    assert response.status_code == 429
    assert response.json["error"]["code"] == "rate_limited"
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    # Even the right password waits: the limit is checked before the credentials.
    assert login("alice", PASSWORD, **from_ip("10.0.0.1")).status_code == 429


def test_the_login_limit_holds_across_addresses(login, user):
    for n in range(5):
        fail(login, ip=f"10.0.1.{n}")
    assert login("ALICE", "wrong password!", **from_ip("10.0.2.1")).status_code == 429


def test_the_ip_limit_holds_across_logins(login, user):
    for n in range(5):
        fail(login, tried=f"guess{n}", ip="10.0.3.1")
    assert login("alice", PASSWORD, **from_ip("10.0.3.1")).status_code == 429
    assert login("alice", PASSWORD, **from_ip("10.0.3.2")).status_code == 200


def test_a_success_clears_the_logins_count_but_not_the_ips(login, user):
    fail(login, times=4, ip="10.0.4.1")
    assert login("alice", PASSWORD, **from_ip("10.0.4.2")).status_code == 200
    assert fail(login, times=4, ip="10.0.4.3") == [401] * 4  # the login's count started over
    assert fail(login, tried="other", times=2, ip="10.0.4.1") == [401, 429]  # the IP's did not


def test_successes_never_count(login, user):
    for _ in range(8):
        assert login("alice", PASSWORD).status_code == 200


def test_with_redis_the_limit_is_shared_by_every_worker(two_workers, user):
    first, second = (app.test_client() for app in two_workers)
    body = {"login": "alice", "password": "wrong password!"}
    statuses = [
        (first if n % 2 else second).post("/api/accounts/login", json=body).status_code
        for n in range(6)
    ]
    assert statuses == [401] * 5 + [429]


def test_with_redis_unreachable_login_fails_closed(database_url, user, caplog):
    app = create_app("testing", DATABASE_URL=database_url, REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().post(
        "/api/accounts/login", json={"login": "alice", "password": PASSWORD}
    )
    assert response.status_code == 503
    assert response.json["error"]["code"] == "service_unavailable"
    assert "rate-limit store is unreachable" in caplog.text
