"""Permissions: Django codenames for every installed model, held directly or through groups."""

import pytest
import sqlalchemy as sa

from apps.accounts.models import Group, Permission
from apps.accounts.permissions import known_permissions, sync_permissions
from apps.accounts.services import ensure_group


def codenames(db):
    return set(db.session.scalars(sa.select(Permission.codename)))


def test_sync_creates_four_codenames_per_model_of_every_installed_app(db):
    created = sync_permissions()
    stored = codenames(db)
    assert set(created) == stored
    for codename in [
        "accounts.add_user",
        "accounts.change_user",
        "accounts.delete_user",
        "accounts.view_user",
        "accounts.view_group",
        "articles.change_article",
        "articles.delete_comment",
        "articles.view_tag",
    ]:
        assert codename in stored
    assert sync_permissions() == []  # a second run finds nothing to do
    assert codenames(db) == stored


def test_sync_only_adds_what_is_missing(db):
    sync_permissions(["articles.view_article"])
    assert codenames(db) == {"articles.view_article"}
    created = sync_permissions()
    assert "articles.view_article" not in created
    assert codenames(db) == set(known_permissions())


def test_an_unknown_codename_is_refused_by_name(db):
    with pytest.raises(LookupError, match=r"articles\.fly_article"):
        sync_permissions(["articles.fly_article", "articles.view_article"])


def test_ensure_group_creates_then_updates_the_groups_permissions(db):
    group = ensure_group("editors", ["articles.change_article", "articles.view_article"])
    assert [p.codename for p in group.permissions] == [
        "articles.change_article",
        "articles.view_article",
    ]
    again = ensure_group("editors", ["articles.delete_article"])
    assert again.id == group.id
    assert [p.codename for p in again.permissions] == ["articles.delete_article"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Group)) == 1


def test_a_user_holds_the_permissions_of_its_groups(make_user, db):
    user = make_user("ed", token=False)
    user.groups = [ensure_group("editors", ["articles.change_article"])]
    db.session.commit()
    assert user.has_perm("articles.change_article")
    assert not user.has_perm("articles.delete_article")
    assert [g.name for g in user.groups] == ["editors"]


def test_a_user_holds_permissions_given_directly(make_user, db):
    from apps.accounts.permissions import permissions_named

    user = make_user("ed", token=False)
    user.user_permissions = permissions_named(["articles.delete_article"])
    db.session.commit()
    assert user.has_perm("articles.delete_article")
    assert user.get_all_permissions() == {"articles.delete_article"}


def test_permissions_are_read_once_per_user_object(make_user, db, count_queries):
    user = make_user("ed", token=False)
    user.groups = [ensure_group("editors", ["articles.change_article"])]
    db.session.commit()
    with count_queries() as counter:
        for _ in range(5):
            user.has_perm("articles.change_article")
            user.has_perm("articles.view_article")
    assert counter.count == 1


def test_an_active_superuser_has_every_permission_even_unsynced(make_user, db):
    boss = make_user("boss", is_superuser=True, token=False)
    assert boss.has_perm("articles.delete_article")
    assert codenames(db) == set()


def test_an_inactive_user_has_no_permission(make_user, db):
    user = make_user("gone", is_active=False, is_superuser=True, token=False)
    assert not user.has_perm("articles.view_article")


def test_a_model_may_declare_extra_permissions(db):
    from apps.accounts.permissions import model_permissions

    class Fake:
        __module__ = "apps.articles.models"
        __permissions__ = {"publish": "Can publish articles"}

    assert model_permissions(Fake)["articles.publish"] == "Can publish articles"
