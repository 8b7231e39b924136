"""The pages: cookie-session login and logout, CSRF on every form, one-time link pages."""

import re

import pytest

from project import create_app

from .conftest import PASSWORD, token_in


def csrf_of(response):
    return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)


def log_in(client, login="alice", password=PASSWORD, next_url=""):
    form = client.get("/accounts/login")
    return client.post(
        "/accounts/login",
        data={"csrf_token": csrf_of(form), "login": login, "password": password, "next": next_url},
    )


def test_the_login_form_logs_in_and_the_session_shows_the_user(client, user):
    response = log_in(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/"
    profile = client.get("/accounts/")
    assert profile.status_code == 200
    assert "Logged in as <strong>alice</strong>" in profile.text


def test_a_form_post_without_the_csrf_token_is_refused(client, user):
    response = client.post("/accounts/login", data={"login": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.text
    assert client.get("/accounts/").status_code == 302  # not logged in


def test_a_forged_csrf_token_is_refused(client, user):
    client.get("/accounts/login")
    response = client.post(
        "/accounts/login", data={"csrf_token": "forged", "login": "alice", "password": PASSWORD}
    )
    assert response.status_code == 400


def test_wrong_credentials_show_the_form_again(client, user):
    response = log_in(client, password="not it at all")
    assert response.status_code == 401
    assert "Unable to log in with the provided credentials." in response.text


def test_the_session_cookie_does_not_authenticate_the_api(client, user):
    """So a cross-site form cannot use it: the API takes bearer tokens only."""
    log_in(client)
    response = client.get("/api/accounts/me")
    assert response.status_code == 401
    forged = client.post("/api/articles", json={"title": "CSRF attempt"})
    assert forged.status_code == 401


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        ("/articles/", "/articles/"),
        ("https://evil.example/", "/accounts/"),
        ("//evil.example/", "/accounts/"),
        ("/\\evil.example", "/accounts/"),
    ],
)
def test_next_only_redirects_within_the_site(client, user, next_url, location):
    assert log_in(client, next_url=next_url).headers["Location"] == location


def test_logout_needs_a_post_with_the_csrf_token(client, user):
    log_in(client)
    page = client.get("/accounts/logout")
    assert page.status_code == 200
    assert client.post("/accounts/logout").status_code == 400  # no token: still logged in
    assert client.get("/accounts/").status_code == 200
    response = client.post("/accounts/logout", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 302
    assert client.get("/accounts/").status_code == 302


def test_changing_the_password_ends_other_sessions(client, user, db):
    from apps.accounts.services import set_password

    log_in(client)
    set_password(user, "a-brand-new-passphrase")
    db.session.commit()
    assert client.get("/accounts/").status_code == 302


def test_the_activation_page_activates_with_the_posted_token(client, register, mailoutbox, login):
    register()
    page = client.get("/accounts/activate")
    assert page.status_code == 200
    assert 'id="token"' in page.text and "location.hash" in page.text
    token = token_in(mailoutbox[-1])
    response = client.post("/accounts/activate", data={"csrf_token": csrf_of(page), "token": token})
    assert response.status_code == 200
    assert "Your account is active" in response.text
    assert login("ann").status_code == 200
    again = client.post("/accounts/activate", data={"csrf_token": csrf_of(page), "token": token})
    assert again.status_code == 400


def test_the_reset_page_sets_a_new_password(client, user, mailoutbox, login):
    client.post("/api/accounts/password/reset", json={"email": "alice@example.com"})
    page = client.get("/accounts/password/reset")
    data = {"csrf_token": csrf_of(page), "token": token_in(mailoutbox[-1])}
    weak = client.post("/accounts/password/reset", data={**data, "new_password": "short"})
    assert weak.status_code == 422
    assert "too short" in weak.text
    done = client.post(
        "/accounts/password/reset", data={**data, "new_password": "a-brand-new-passphrase"}
    )
    assert done.status_code == 200
    assert login("alice", "a-brand-new-passphrase").status_code == 200


def test_production_session_cookies_are_secure_httponly_and_lax(database_url, user):
    app = create_app(
        "production",
        SECRET_KEY="a-production-secret-that-is-long-enough",
        DATABASE_URL=database_url,
        ALLOW_SQLITE_IN_PRODUCTION=True,
        LOG_LEVEL="WARNING",
    )
    client = app.test_client()
    form = client.get("/accounts/login", base_url="https://localhost")
    response = client.post(
        "/accounts/login",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/accounts/login"},
        data={"csrf_token": csrf_of(form), "login": "alice", "password": PASSWORD},
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
