"""What goes in and out of the accounts API: one schema per use case.

Inputs reject unknown fields (422) and bound every length, so an oversized
field is a field error and never reaches the password hasher or the database.
"""

from marshmallow import validate

from project.rest import Schema, fields

USERNAME = [
    validate.Length(min=1, max=150),
    validate.Regexp(
        r"^[\w.+-]+\Z", error="Use letters, digits and . + - _ only (no spaces, no @)."
    ),
]
EMAIL = [validate.Length(max=254), validate.Email(error="Enter a valid e-mail address.")]


def password_field():
    """A password input: long passphrases welcome, but bounded (hashing is the costly part)."""
    return fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


def token_field():
    return fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class GroupNameSchema(Schema):
    name = fields.String(dump_only=True)


class UserSchema(Schema):
    """The public shape of a user, as its owner sees it."""

    id = fields.Integer(dump_only=True)
    email = fields.String(dump_only=True)
    username = fields.String(dump_only=True)
    is_active = fields.Boolean(dump_only=True)
    is_staff = fields.Boolean(dump_only=True)
    date_joined = fields.DateTime(dump_only=True)
    last_login = fields.DateTime(dump_only=True, allow_none=True)
    groups = fields.Pluck(GroupNameSchema, "name", many=True, dump_only=True)


class AdminUserSchema(UserSchema):
    """What staff see of any user."""

    is_superuser = fields.Boolean(dump_only=True)


class AdminUserUpdateSchema(Schema):
    """What staff may change: deactivate (or reactivate), and the groups by name."""

    is_active = fields.Boolean()
    groups = fields.List(
        fields.String(validate=validate.Length(min=1, max=150)), validate=validate.Length(max=50)
    )


class PermissionSchema(Schema):
    codename = fields.String(dump_only=True)


class GroupSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    permissions = fields.Pluck(PermissionSchema, "codename", many=True, dump_only=True)


class LoginResultSchema(Schema):
    """What a successful login answers: the raw token (shown this once), its expiry, the user."""

    token = fields.String(dump_only=True)
    expires_at = fields.DateTime(dump_only=True)
    user = fields.Nested(UserSchema, dump_only=True)


class DetailSchema(Schema):
    detail = fields.String(dump_only=True)


class RegisterSchema(Schema):
    email = fields.String(required=True, validate=EMAIL)
    username = fields.String(required=True, validate=USERNAME)
    password = password_field()


class TokenSchema(Schema):
    token = token_field()


class LoginSchema(Schema):
    login = fields.String(
        required=True, validate=validate.Length(min=1, max=254), metadata={"example": "ann"}
    )
    password = password_field()


class ProfileUpdateSchema(Schema):
    username = fields.String(required=True, validate=USERNAME)


class PasswordChangeSchema(Schema):
    old_password = password_field()
    new_password = password_field()


class PasswordResetSchema(Schema):
    email = fields.String(required=True, validate=EMAIL)


class PasswordResetConfirmSchema(Schema):
    token = token_field()
    new_password = password_field()
