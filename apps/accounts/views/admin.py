"""Users and groups for staff, over the API: list, filter, search, deactivate, assign groups.

    GET    /api/accounts/users    ?is_active=&is_staff=&group=&search=&ordering=
    GET    /api/accounts/users/<id>
    PATCH  /api/accounts/users/<id>   {is_active, groups: [names]}
    GET    /api/accounts/groups

The caller must be staff *and* hold the model permission for the method
(`accounts.view_user` to read, `accounts.change_user` to change). Deactivating
a user revokes its tokens; only a superuser may change a superuser.
"""

import sqlalchemy as sa

from project.auth import current_user
from project.errors import APIError, ValidationError
from project.extensions import db
from project.rest import (
    Api,
    Filter,
    GenericResource,
    HasModelPermission,
    IsStaff,
    ListResource,
    RetrieveMixin,
    UpdateMixin,
)

from .. import api
from ..models import Group, User
from ..schemas import AdminUserSchema, AdminUserUpdateSchema, GroupSchema
from ..services import revoke_tokens

rest = Api(api)

STAFF_WITH_PERMISSION = IsStaff & HasModelPermission


class UserList(ListResource):
    model = User
    schema = AdminUserSchema
    permission_classes = [STAFF_WITH_PERMISSION]
    filter_fields = {
        "is_active": ["eq"],
        "is_staff": ["eq"],
        "is_superuser": ["eq"],
        "group": Filter("groups.name", ["eq"]),
        "date_joined": ["gte", "lte"],
        "last_login": ["gte", "lte", "isnull"],
    }
    search_fields = ["username", "email"]
    ordering_fields = ["date_joined", "last_login", "username"]
    ordering = ["id"]


class UserDetail(RetrieveMixin, UpdateMixin, GenericResource):
    model = User
    schema = AdminUserSchema
    update_schema = AdminUserUpdateSchema
    permission_classes = [STAFF_WITH_PERMISSION]

    def get(self, **kwargs):
        return self.retrieve(**kwargs)

    def patch(self, **kwargs):
        return self.update(partial=True, **kwargs)

    def perform_update(self, user, data):
        actor = current_user()
        if user.is_superuser and not actor.is_superuser:
            raise APIError(403, "permission_denied", "Only a superuser may change a superuser.")
        if "groups" in data:
            user.groups = groups_named(data["groups"])
            user.forget_permissions()
        if "is_active" in data and data["is_active"] != user.is_active:
            if user.id == actor.id:
                raise ValidationError({"is_active": ["You cannot deactivate your own account."]})
            user.is_active = data["is_active"]
            if not user.is_active:
                revoke_tokens(user, commit=False)
        return user


def groups_named(names):
    """The groups with these names; 422 naming the unknown ones."""
    wanted = list(dict.fromkeys(names))
    found = db.session.scalars(sa.select(Group).where(Group.name.in_(wanted))).all()
    by_name = {group.name.lower(): group for group in found}
    unknown = [name for name in wanted if name.lower() not in by_name]
    if unknown:
        raise ValidationError({"groups": [f"Unknown group: {name}." for name in unknown]})
    return [by_name[name.lower()] for name in wanted]


class GroupList(ListResource):
    model = Group
    schema = GroupSchema
    permission_classes = [STAFF_WITH_PERMISSION]
    search_fields = ["name"]
    ordering = ["name"]


rest.add_resource(UserList, "/users")
rest.add_resource(UserDetail, "/users/<int:id>")
rest.add_resource(GroupList, "/groups")
