"""`manage.py check` refuses a production without the audit log or its checkpoint key."""

from types import SimpleNamespace

from apps.audit.checks import check_checkpoint_key
from project.checks import check_required_apps
from project.conf import load_settings

PRODUCTION = {
    "SECRET_KEY": "a-long-enough-production-secret",
    "DATABASE_URL": "mysql+pymysql://app:pw@db:3306/app?charset=utf8mb4",
}


def production(**overrides):
    config = load_settings("production", {**PRODUCTION, **overrides}, environ={})
    return SimpleNamespace(config=config)


def test_production_without_the_audit_app_fails_the_check():
    apps = ["apps.accounts", "apps.articles"]
    messages = check_required_apps(production(INSTALLED_APPS=apps))

    assert [(m.level, m.id) for m in messages] == [("ERROR", "apps.E001")]
    assert "'apps.audit' is in REQUIRED_APPS but not in INSTALLED_APPS" in messages[0].text
    assert check_required_apps(production()) == []


def test_production_needs_a_checkpoint_key_and_development_does_not():
    assert [m.id for m in check_checkpoint_key(production())] == ["audit.E001"]
    assert check_checkpoint_key(production(AUDIT_CHECKPOINT_KEY="k" * 40)) == []
    development = SimpleNamespace(config=load_settings("development", environ={}))
    assert check_checkpoint_key(development) == []
