"""POST /api/accounts/register: a new inactive user and an activation mail, or a clear refusal."""

import threading

import pytest
import sqlalchemy as sa

from apps.accounts.models import User
from project.extensions import db as _db

from .conftest import PASSWORD, argon2_cost, token_in


def users(db):
    return db.session.scalars(sa.select(User).order_by(User.id)).all()


def test_register_creates_an_inactive_user_and_mails_a_link(register, db, mailoutbox):
    response = register(email="Ann@Example.COM", username="Ann")
    assert response.status_code == 201
    body = response.json
    assert body["email"] == "ann@example.com"
    assert body["username"] == "Ann"
    assert body["is_active"] is False
    assert "password" not in body and "password_hash" not in body
    [user] = users(db)
    assert user.email == "ann@example.com"
    assert not user.is_active
    assert user.password_hash.startswith("$argon2id$")
    [message] = mailoutbox
    assert message.recipients == ("ann@example.com",)
    assert "http://127.0.0.1:8000/accounts/activate#token=" in message.body
    assert len(token_in(message)) >= 40


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"username": "ann", "password": PASSWORD}, "email", "Missing data for required field."),
        ({"email": "ann@example.com", "password": PASSWORD}, "username", "Missing data"),
        ({"email": "ann@example.com", "username": "ann"}, "password", "Missing data"),
        ({"email": "not-an-address", "username": "ann", "password": PASSWORD}, "email", "valid"),
        ({"email": "a@b.co", "username": "has space", "password": PASSWORD}, "username", "Use"),
        ({"email": "a@b.co", "username": "a@b", "password": PASSWORD}, "username", "no @"),
        ({"email": "a@b.co", "username": "x" * 151, "password": PASSWORD}, "username", "150"),
        ({"email": "a" * 250 + "@b.co", "username": "ann", "password": PASSWORD}, "email", ""),
        ({"email": "a@b.co", "username": "ann", "password": "p" * 257}, "password", "256"),
        (
            {"email": "a@b.co", "username": "ann", "password": PASSWORD, "is_staff": True},
            "is_staff",
            "Unknown field",
        ),
    ],
)
def test_bad_fields_are_422_naming_the_field(client, db, body, field, message):
    response = client.post("/api/accounts/register", json=body)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert message in " ".join(error["fields"][field])
    assert users(db) == []


def test_a_weak_password_is_422_listing_every_rule_broken(register, db, mailoutbox):
    response = register(username="ann", password="123456")
    assert response.status_code == 422
    problems = response.json["error"]["fields"]["password"]
    assert "This password is too short. It must contain at least 10 characters." in problems
    assert "This password is too common." in problems
    assert "This password is entirely numeric." in problems
    assert users(db) == [] and mailoutbox == []


def test_a_password_like_the_username_is_refused(register):
    response = register(username="heronwatcher", password="heronwatcher1")
    assert response.status_code == 422
    assert response.json["error"]["fields"]["password"] == [
        "This password is too similar to the username."
    ]


def test_not_json_is_415_and_broken_json_is_400(client, db):
    assert client.post("/api/accounts/register", data="email=a").status_code == 415
    broken = client.post("/api/accounts/register", data="{", content_type="application/json")
    assert broken.status_code == 400


def test_a_taken_email_is_409_naming_it_whatever_its_case(register, make_user):
    make_user("bob")
    response = register(email="BOB@example.com", username="someone-else")
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "conflict"
    assert list(error["fields"]) == ["email"]


def test_a_taken_username_is_409_naming_it_whatever_its_case(register, make_user):
    make_user("bob")
    response = register(email="new@example.com", username="BOB")
    assert response.status_code == 409
    assert list(response.json["error"]["fields"]) == ["username"]


def test_the_unique_index_decides_when_the_check_is_raced(app, register, db, mailoutbox):
    """Another registration commits between our check and our insert: still a clean 409."""

    sneaked = []

    def sneak_in(session, _context, _instances):
        if not sneaked and any(isinstance(obj, User) for obj in session.new):
            sneaked.append(True)
            with _db.engine.begin() as connection:
                connection.execute(
                    sa.insert(User).values(
                        email="ann@example.com", username="first", password_hash=""
                    )
                )

    sa.event.listen(_db.session, "before_flush", sneak_in)
    try:
        response = register(email="ann@example.com", username="ann")
    finally:
        sa.event.remove(_db.session, "before_flush", sneak_in)
    assert sneaked
    assert response.status_code == 409
    assert list(response.json["error"]["fields"]) == ["email"]
    assert [u.username for u in users(db)] == ["first"]
    assert mailoutbox == []


def test_two_concurrent_registrations_of_one_email_give_201_and_409(app, db, mailoutbox, caplog):
    """Both pass the check while the other hashes its password; the unique index decides."""
    barrier = threading.Barrier(2)
    statuses = []

    def register_as(username):
        client = app.test_client()
        body = {"email": "race@example.com", "username": username, "password": PASSWORD}
        barrier.wait()
        statuses.append(client.post("/api/accounts/register", json=body).status_code)

    threads = [threading.Thread(target=register_as, args=(name,)) for name in ("one", "two")]
    caplog.set_level("INFO", logger="apps.accounts.views")
    with argon2_cost(app, time_cost=2, memory_cost=65536):  # argon2 hashes without the GIL
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(statuses) == [201, 409]
    assert "registration refused by a unique index" in caplog.text
    assert len(users(db)) == 1
    assert len(mailoutbox) == 1


def test_an_unreachable_queue_is_503_and_leaves_no_user(app, register, db, mailoutbox):
    """The mail job is queued inside the registration's transaction: no queue, no user."""
    app.config.update(JOBS_EAGER=False, REDIS_URL="redis://127.0.0.1:1/0")
    app.extensions.pop("jobs_redis", None)
    try:
        response = register()
    finally:
        app.config.update(JOBS_EAGER=True, REDIS_URL="")
        app.extensions.pop("jobs_redis", None)
    assert response.status_code == 503
    assert response.json["error"]["code"] == "service_unavailable"
    assert response.headers["Retry-After"]
    assert users(db) == []
    assert mailoutbox == []
