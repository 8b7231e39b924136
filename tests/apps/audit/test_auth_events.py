"""Logins, failed logins, logouts, password changes and refusals, through the real API."""

from .conftest import PASSWORD, entries


def login(client, name, password=PASSWORD):
    return client.post("/api/accounts/login", json={"login": name, "password": password})


def test_a_login_is_recorded_with_the_user_who_logged_in(client, db, make_user):
    ann = make_user("ann")
    response = login(client, "ann")
    assert response.status_code == 200

    logins = entries(db, action="login")
    assert len(logins) == 1
    entry = logins[0]
    assert (entry["actor_id"], entry["actor_username"], entry["outcome"]) == (
        ann.id,
        "ann",
        "success",
    )
    assert (entry["object_type"], entry["object_id"]) == ("accounts.User", str(ann.id))
    assert entry["extra"] == {"method": "token"}
    assert entry["request_id"] == response.headers["X-Request-ID"]
    last_login = entries(db, action="update", request_id=entry["request_id"])
    assert list(last_login[0]["changes"]) == ["last_login"]  # same transaction as the login


def test_a_failed_login_is_recorded_although_the_request_fails(client, db, make_user):
    make_user("ann")
    response = login(client, "ann", "not-the-password-at-all")
    assert response.status_code == 401

    failed = entries(db, action="login_failed")
    assert len(failed) == 1
    entry = failed[0]
    assert (entry["actor_id"], entry["outcome"]) == (None, "failure")
    assert entry["extra"] == {"login": "ann", "reason": "wrong_password"}
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert "not-the-password-at-all" not in str(entries(db))


def test_logout_and_password_change_are_recorded_with_the_token_user(client, db, make_user):
    ann = make_user("ann")
    changed = client.post(
        "/api/accounts/password/change",
        json={"old_password": PASSWORD, "new_password": "a-brand-new-passphrase"},
        headers=ann.headers,
    )
    assert changed.status_code == 204
    out = client.post("/api/accounts/logout", headers=ann.headers)
    assert out.status_code == 204

    actions = [(e["action"], e["actor_username"]) for e in entries(db)[-3:]]
    assert actions == [("update", "ann"), ("password_changed", "ann"), ("logout", "ann")]
    assert entries(db, action="update")[-1]["changes"] == {"password_hash": ["***", "***"]}


def test_a_refused_edit_is_recorded_as_permission_denied_on_the_object(client, db, make_user):
    owner, other = make_user("owner"), make_user("other")
    article = client.post(
        "/api/articles", json={"title": "Mine", "status": "published"}, headers=owner.headers
    ).json
    response = client.patch(
        f"/api/articles/{article['id']}", json={"title": "Yours"}, headers=other.headers
    )
    assert response.status_code == 403

    denied = entries(db, action="permission_denied")
    assert len(denied) == 1
    entry = denied[0]
    assert (entry["actor_username"], entry["outcome"]) == ("other", "failure")
    assert (entry["object_type"], entry["object_id"]) == ("articles.Article", str(article["id"]))
    assert (entry["method"], entry["path"]) == ("PATCH", f"/api/articles/{article['id']}")
    assert entries(db, action="update", object_type="articles.Article") == []


def test_registration_is_recorded_with_the_new_user_masked(client, db):
    response = client.post(
        "/api/accounts/register",
        json={"email": "new@example.com", "username": "newbie", "password": PASSWORD},
    )
    assert response.status_code == 201

    created = entries(db, action="create", object_type="accounts.User")[0]
    assert created["changes"]["password_hash"] == [None, "***"]
    assert created["changes"]["username"] == [None, "newbie"]
    registered = entries(db, action="register")[0]
    assert registered["object_id"] == created["object_id"]
    assert registered["id"] == created["id"] + 1  # one transaction: the row, then the event
    assert registered["request_id"] == created["request_id"] == response.headers["X-Request-ID"]
