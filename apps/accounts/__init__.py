"""Users, groups, permissions, tokens and activation."""

from flask import Blueprint

from project.apps import AppConfig

api = Blueprint("accounts_api", __name__, url_prefix="/api/accounts")


class AccountsConfig(AppConfig):
    label = "accounts"
    blueprints = [api]
