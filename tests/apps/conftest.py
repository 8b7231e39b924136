"""Fixtures every app's tests share: users made through accounts' public services."""

import itertools

import pytest

from apps.accounts.services import create_user, issue_token

PASSWORD = "grey-heron-over-the-lake"
_sequence = itertools.count(1)


@pytest.fixture
def make_user(db):
    """make_user(username=None, *, password=PASSWORD, token=True, groups=(), **flags).

    Flags are create_user's (is_active defaults to True here, is_staff,
    is_superuser); `groups` are Group objects to join. The user has
    `.password` (the raw one) and, with a token, `.token` and `.headers`.
    """

    def make(username=None, *, password=PASSWORD, token=True, groups=(), **flags):
        username = username or f"user{next(_sequence)}"
        flags.setdefault("is_active", True)
        user = create_user(f"{username}@example.com", username, password, **flags)
        user.password = password
        if groups:
            user.groups.extend(groups)
            db.session.commit()
        if token:
            user.token = issue_token(user)
            user.headers = {"Authorization": f"Bearer {user.token}"}
        return user

    return make
