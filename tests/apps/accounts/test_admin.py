"""Staff manage users over the API: list, filter, search, deactivate, assign groups."""

import pytest

from apps.accounts.services import ensure_group

USERS = "/api/accounts/users"


@pytest.fixture
def admin(make_user, db):
    """Staff holding view_user and change_user through the "user admins" group."""
    staff = make_user("admin", is_staff=True)
    staff.groups = [
        ensure_group("user admins", ["accounts.view_user", "accounts.change_user"]),
    ]
    db.session.commit()
    return staff


def test_staff_with_view_user_list_users_without_secrets(client, admin, user):
    response = client.get(USERS, headers=admin.headers)
    assert response.status_code == 200
    items = response.json["items"]
    assert [item["username"] for item in items] == ["admin", "alice"]
    assert items[0]["groups"] == ["user admins"]
    assert not {"password", "password_hash"} & set(items[0])


def test_a_non_staff_user_is_403_even_with_the_permission(client, make_user, db):
    clerk = make_user("clerk")
    clerk.groups = [ensure_group("viewers", ["accounts.view_user"])]
    db.session.commit()
    response = client.get(USERS, headers=clerk.headers)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "permission_denied"


def test_staff_without_the_permission_is_403(client, make_user):
    staff = make_user("plain-staff", is_staff=True)
    assert client.get(USERS, headers=staff.headers).status_code == 403


def test_anonymous_is_401(client, db):
    assert client.get(USERS).status_code == 401


def test_a_superuser_needs_no_group(client, make_user):
    boss = make_user("boss", is_staff=True, is_superuser=True)
    assert client.get(USERS, headers=boss.headers).status_code == 200


def test_filters_and_search(client, admin, make_user, db):
    make_user("sleepy", is_active=False)
    make_user("carol")

    def names(query):
        response = client.get(f"{USERS}?{query}", headers=admin.headers)
        return [item["username"] for item in response.json["items"]]

    assert names("is_active=false") == ["sleepy"]
    assert names("is_staff=true") == ["admin"]
    assert names("group=user admins") == ["admin"]
    assert names("search=CAROL") == ["carol"]
    assert names("search=example.com&ordering=-username") == ["sleepy", "carol", "admin"]


@pytest.mark.parametrize("query", ["is_active=maybe", "password_hash=x", "ordering=password_hash"])
def test_bad_filters_are_422(client, admin, query):
    response = client.get(f"{USERS}?{query}", headers=admin.headers)
    assert response.status_code == 422


def test_deactivating_a_user_revokes_its_tokens(client, admin, user):
    response = client.patch(f"{USERS}/{user.id}", json={"is_active": False}, headers=admin.headers)
    assert response.status_code == 200
    assert response.json["is_active"] is False
    assert client.get("/api/accounts/me", headers=user.headers).status_code == 401


def test_assigning_groups_by_name(client, admin, user, db):
    ensure_group("editors", ["articles.change_article"])
    response = client.patch(
        f"{USERS}/{user.id}", json={"groups": ["Editors"]}, headers=admin.headers
    )
    assert response.status_code == 200
    assert response.json["groups"] == ["editors"]
    db.session.refresh(user)
    assert user.has_perm("articles.change_article")


def test_an_unknown_group_is_422_naming_it(client, admin, user):
    response = client.patch(
        f"{USERS}/{user.id}", json={"groups": ["ghosts"]}, headers=admin.headers
    )
    assert response.status_code == 422
    assert response.json["error"]["fields"]["groups"] == ["Unknown group: ghosts."]


@pytest.mark.parametrize(
    "body", [{"is_superuser": True}, {"email": "x@y.z"}, {"is_active": "sometimes"}]
)
def test_other_fields_are_422(client, admin, user, body):
    assert client.patch(f"{USERS}/{user.id}", json=body, headers=admin.headers).status_code == 422


def test_staff_cannot_deactivate_themselves(client, admin):
    response = client.patch(f"{USERS}/{admin.id}", json={"is_active": False}, headers=admin.headers)
    assert response.status_code == 422
    assert "is_active" in response.json["error"]["fields"]


def test_only_a_superuser_changes_a_superuser(client, admin, make_user):
    boss = make_user("boss", is_staff=True, is_superuser=True)
    response = client.patch(f"{USERS}/{boss.id}", json={"is_active": False}, headers=admin.headers)
    assert response.status_code == 403
    assert client.get("/api/accounts/me", headers=boss.headers).status_code == 200


def test_viewing_alone_does_not_allow_changing(client, make_user, user, db):
    viewer = make_user("viewer", is_staff=True)
    viewer.groups = [ensure_group("viewers", ["accounts.view_user"])]
    db.session.commit()
    assert client.get(f"{USERS}/{user.id}", headers=viewer.headers).status_code == 200
    response = client.patch(f"{USERS}/{user.id}", json={"is_active": False}, headers=viewer.headers)
    assert response.status_code == 403


def test_put_and_delete_are_not_offered(client, admin, user):
    assert client.put(f"{USERS}/{user.id}", json={}, headers=admin.headers).status_code == 405
    assert client.delete(f"{USERS}/{user.id}", headers=admin.headers).status_code == 405


def test_groups_are_listed_with_their_permissions(client, make_user, db):
    boss = make_user("boss", is_staff=True, is_superuser=True)
    ensure_group("auditor", ["accounts.view_user"])
    response = client.get("/api/accounts/groups", headers=boss.headers)
    assert response.status_code == 200
    assert response.json["items"] == [
        {
            "id": response.json["items"][0]["id"],
            "name": "auditor",
            "permissions": ["accounts.view_user"],
        }
    ]
