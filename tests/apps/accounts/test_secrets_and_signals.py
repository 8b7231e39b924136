"""A whole account's life, watched: no secret leaks, and every event is signalled with context."""

import logging

import pytest

from project import signals

from .conftest import PASSWORD, bearer, token_in

NEW_PASSWORD = "a-brand-new-passphrase"
EVENTS = [
    "user_registered",
    "user_activated",
    "user_logged_in",
    "user_login_failed",
    "user_logged_out",
    "password_changed",
    "password_reset_requested",
    "permission_denied",
]


@pytest.fixture
def received():
    """Every accounts event sent during the test, as (name, payload)."""
    calls = []
    receivers = []
    for name in EVENTS:

        def receiver(sender, _name=name, **payload):
            calls.append((_name, payload))

        receivers.append(receiver)
        getattr(signals, name).connect(receiver, weak=False)
    yield calls
    for name, receiver in zip(EVENTS, receivers, strict=True):
        getattr(signals, name).disconnect(receiver)


def lifetime(client, mailoutbox, make_user):
    """Register, activate, fail and succeed to log in, get refused, change and reset the
    password, log out; returns every response and every secret that went by, by kind."""
    responses = []
    secrets = {"password": [PASSWORD, NEW_PASSWORD, "wrong-password-guess", PASSWORD + "!"]}

    def call(method, path, **kwargs):
        response = getattr(client, method)(
            path, headers={"User-Agent": "pytest-agent"} | kwargs.pop("headers", {}), **kwargs
        )
        responses.append(response)
        return response

    body = {"email": "ann@example.com", "username": "ann", "password": PASSWORD}
    assert call("post", "/api/accounts/register", json=body).status_code == 201
    secrets["one-time"] = [activation := token_in(mailoutbox[-1])]
    assert call("post", "/api/accounts/activate", json={"token": activation}).status_code == 200
    bad = {"login": "ann", "password": "wrong-password-guess"}
    assert call("post", "/api/accounts/login", json=bad).status_code == 401
    login = call("post", "/api/accounts/login", json={"login": "ann", "password": PASSWORD})
    secrets["bearer"] = [token := login.json["token"]]
    other = make_user("other")
    article = call(
        "post",
        "/api/articles",
        json={"title": "Theirs", "status": "published"},
        headers=other.headers,
    )
    refused = call(
        "patch", f"/api/articles/{article.json['id']}", json={"title": "x"}, headers=bearer(token)
    )
    assert refused.status_code == 403
    change = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert (
        call(
            "post", "/api/accounts/password/change", json=change, headers=bearer(token)
        ).status_code
        == 204
    )
    assert (
        call("post", "/api/accounts/password/reset", json={"email": "ann@example.com"}).status_code
        == 202
    )
    secrets["one-time"].append(reset := token_in(mailoutbox[-1]))
    confirm = {"token": reset, "new_password": PASSWORD + "!"}
    assert call("post", "/api/accounts/password/reset/confirm", json=confirm).status_code == 204
    again = call("post", "/api/accounts/login", json={"login": "ann", "password": PASSWORD + "!"})
    secrets["bearer"].append(second_token := again.json["token"])
    assert call("post", "/api/accounts/logout", headers=bearer(second_token)).status_code == 204
    assert call("get", "/api/accounts/me", headers=bearer(second_token)).status_code == 401
    return responses, secrets


def test_no_password_or_token_reaches_a_log_line_or_the_console(
    client, mailoutbox, make_user, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    _, secrets = lifetime(client, mailoutbox, make_user)
    captured = capsys.readouterr()
    logged = caplog.text + "".join(repr(r.__dict__) for r in caplog.records)
    assert "POST /api/accounts/login 200" in caplog.text  # the request log was captured
    for secret in [value for values in secrets.values() for value in values]:
        assert secret not in logged
        assert secret not in captured.out + captured.err


def test_no_response_carries_a_password_or_a_one_time_token(client, mailoutbox, make_user):
    responses, secrets = lifetime(client, mailoutbox, make_user)
    bodies = [response.get_data(as_text=True) for response in responses]
    for secret in secrets["password"] + secrets["one-time"]:
        assert not any(secret in body for body in bodies)
    for token in secrets["bearer"]:  # only in the body of the login that issued it
        holders = [body for body in bodies if token in body]
        assert len(holders) == 1 and holders[0].startswith('{"token":"' + token)


def test_every_event_is_signalled_with_the_requests_ip_agent_and_id(
    client, mailoutbox, make_user, received
):
    lifetime(client, mailoutbox, make_user)
    assert {name for name, _ in received} == set(EVENTS)
    for name, payload in received:
        meta = payload["meta"]
        assert meta["ip"] == "127.0.0.1", name
        assert meta["user_agent"] == "pytest-agent", name
        assert meta["request_id"], name
        assert PASSWORD not in repr(payload) and NEW_PASSWORD not in repr(payload), name
    failed = [payload for name, payload in received if name == "user_login_failed"]
    assert [(p["login"], p["reason"]) for p in failed] == [("ann", "wrong_password")]
