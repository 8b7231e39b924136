"""The cookie session's signer is built once per key set, and follows key changes."""

import pytest
from flask import session
from itsdangerous import BadSignature

from project.sessions import CookieSessionInterface


@pytest.fixture
def keys(app):
    saved = app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"]
    yield app.config
    app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = saved


def test_the_signer_is_reused_until_the_keys_change(app, keys):
    interface = app.session_interface
    assert isinstance(interface, CookieSessionInterface)
    signer = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is signer
    cookie = signer.dumps({"user_id": 7})

    keys["SECRET_KEY_FALLBACKS"] = [keys["SECRET_KEY"]]
    keys["SECRET_KEY"] = "a-rotated-secret-key"
    rotated = interface.get_signing_serializer(app)
    assert rotated is not signer
    assert rotated.loads(cookie) == {"user_id": 7}  # signed with the old key, still accepted

    keys["SECRET_KEY_FALLBACKS"] = None
    with pytest.raises(BadSignature):
        interface.get_signing_serializer(app).loads(cookie)


def test_a_request_opens_the_session_its_cookie_carries(app, keys):
    cookie = app.session_interface.get_signing_serializer(app).dumps({"user_id": 7})
    name = app.config["SESSION_COOKIE_NAME"]
    with app.test_request_context("/", headers={"Cookie": f"{name}={cookie}"}):
        assert session.get("user_id") == 7
    with app.test_request_context("/", headers={"Cookie": f"{name}={cookie}x"}):
        assert "user_id" not in session  # a bad signature opens an empty session
