"""Users, groups, permissions, tokens and activation.

/api/accounts/...   the JSON API (bearer tokens): register, activate, login,
                    logout, me, passwords, and the staff's users and groups
/accounts/...       pages (cookie session, CSRF-protected forms): login, logout,
                    activate, password reset
"""

from flask import Blueprint

from project.apps import AppConfig

api = Blueprint("accounts_api", __name__, url_prefix="/api/accounts")
pages = Blueprint("accounts", __name__, url_prefix="/accounts", template_folder="templates")


class AccountsConfig(AppConfig):
    label = "accounts"
    blueprints = [api, pages]

    def ready(self, app):
        from .cli import sync_permissions_after_upgrade

        sync_permissions_after_upgrade(app)
