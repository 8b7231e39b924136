"""Permission classes: the two questions, and composition with & | ~."""

import pytest
from flask import Flask, g, request

from apps.articles.models import Article
from project.rest.permissions import (
    AllowAny,
    BasePermission,
    HasModelPermission,
    IsAuthenticated,
    IsAuthenticatedOrReadOnly,
    IsStaff,
)


class FakeUser:
    """A user object as the core's protocol describes it (project/auth.py)."""

    def __init__(self, id=1, is_staff=False, perms=()):
        self.id, self.is_staff, self.is_superuser, self.is_active = id, is_staff, False, True
        self.perms = set(perms)

    def has_perm(self, codename):
        return codename in self.perms


class Owner(BasePermission):
    def has_object_permission(self, request, view, obj):
        return obj["owner"] == 1


class View:
    model = Article


def ask(permission_class, method="GET", user=None, obj=None):
    app = Flask(__name__)
    with app.test_request_context(method=method):
        g.user = user
        permission = permission_class()
        allowed = permission.has_permission(request, View())
        if obj is not None:
            allowed = allowed and permission.has_object_permission(request, View(), obj)
        return allowed


STAFF = FakeUser(is_staff=True)
USER = FakeUser()


@pytest.mark.parametrize(
    "permission, method, user, expected",
    [
        (AllowAny, "DELETE", None, True),
        (IsAuthenticated, "GET", None, False),
        (IsAuthenticated, "GET", USER, True),
        (IsAuthenticatedOrReadOnly, "GET", None, True),
        (IsAuthenticatedOrReadOnly, "POST", None, False),
        (IsStaff, "GET", USER, False),
        (IsStaff, "GET", STAFF, True),
        (IsAuthenticated & IsStaff, "GET", USER, False),
        (IsAuthenticated | IsStaff, "GET", USER, True),
        (~IsStaff, "GET", USER, True),
        (~IsStaff, "GET", STAFF, False),
        ((IsStaff | IsAuthenticated) & ~IsStaff, "GET", USER, True),
    ],
)
def test_permission_answers(permission, method, user, expected):
    assert ask(permission, method, user) is expected


def test_object_permissions_combine_like_drf():
    mine, theirs = {"owner": 1}, {"owner": 2}
    assert ask(IsAuthenticated & Owner, "PATCH", USER, mine) is True
    assert ask(IsAuthenticated & Owner, "PATCH", USER, theirs) is False
    assert ask(IsStaff | Owner, "PATCH", USER, theirs) is False
    assert ask(IsStaff | Owner, "PATCH", STAFF, theirs) is True


@pytest.mark.parametrize(
    "method, codename",
    [
        ("GET", "articles.view_article"),
        ("POST", "articles.add_article"),
        ("PUT", "articles.change_article"),
        ("PATCH", "articles.change_article"),
        ("DELETE", "articles.delete_article"),
    ],
)
def test_model_permission_maps_methods_to_codenames(method, codename):
    assert ask(HasModelPermission, method, FakeUser(perms={codename})) is True
    assert ask(HasModelPermission, method, FakeUser(perms={"articles.other"})) is False


def test_a_refusal_carries_the_message_of_the_side_that_refused():
    class NotOnSundays(BasePermission):
        message = "Not on Sundays."

        def has_permission(self, request, view):
            return False

    app = Flask(__name__)
    with app.test_request_context(method="POST"):
        g.user = USER
        permission = (IsAuthenticated & NotOnSundays)()
        assert permission.has_permission(request, View()) is False
        assert permission.message == "Not on Sundays."


def test_the_right_side_is_not_asked_once_the_left_decides():
    class NeedsAUser(BasePermission):
        def has_permission(self, request, view):
            return g.user.id == 1  # would fail for an anonymous caller

    assert ask(IsAuthenticated & NeedsAUser, "POST", None) is False
    assert ask(AllowAny | NeedsAUser, "POST", None) is True
