"""Settings: which module is used, environment overrides, and what is refused.

Start-up errors are checked through `python manage.py`, as a user meets them:
one paragraph naming the cause and the fix, exit code 2, no traceback.
"""

import pytest

from project.conf import load_settings, parse_env_value
from project.exceptions import ImproperlyConfigured

from .support import REPO_ROOT, clean_env, manage, run

LONG_SECRET = "a-long-random-secret-key-for-the-tests-0123456789"


def assert_refused(result, *fragments):
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("Error: ")
    for fragment in fragments:
        assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_development_is_the_default(monkeypatch):
    monkeypatch.delenv("APP_SETTINGS", raising=False)

    config = load_settings()

    assert config["SETTINGS_NAME"] == "development"
    assert config["DEBUG"] is True


def test_app_settings_picks_the_module(monkeypatch):
    monkeypatch.setenv("APP_SETTINGS", "testing")

    config = load_settings()

    assert config["SETTINGS_NAME"] == "testing"
    assert config["TESTING"] is True


def test_the_settings_option_of_manage_py_wins_over_app_settings():
    result = manage("--settings", "production", "check", APP_SETTINGS="development")

    assert_refused(result, "The 'production' settings refuse to start", "SECRET_KEY")


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("DEBUG", "false", False),
        ("DEBUG", "On", True),
        ("PORT", "9000", 9000),
        ("INSTALLED_APPS", "apps.accounts, apps.articles", ["apps.accounts", "apps.articles"]),
        ("INSTALLED_APPS", '["apps.accounts"]', ["apps.accounts"]),
        ("LOG_LEVEL", "ERROR", "ERROR"),
    ],
)
def test_an_environment_variable_overrides_a_setting_parsed_to_its_type(name, raw, expected):
    config = load_settings("testing", environ={name: raw})

    assert config[name] == expected


def test_a_dict_setting_is_read_from_json():
    assert parse_env_value("LIMITS", '{"login": "5/minute"}', {}) == {"login": "5/minute"}
    with pytest.raises(ImproperlyConfigured, match="LIMITS='\\[1\\]' is not a valid dict"):
        parse_env_value("LIMITS", "[1]", {})


def test_keyword_overrides_beat_the_environment():
    config = load_settings("testing", {"PORT": 7000}, environ={"PORT": "9000"})

    assert config["PORT"] == 7000


@pytest.mark.parametrize(
    ("name", "raw", "kind"),
    [
        ("PORT", "eighty", "int"),
        ("DEBUG", "maybe", "bool"),
        ("INSTALLED_APPS", "[1", "list"),
        ("INSTALLED_APPS", '{"apps.accounts": 1}', "list"),
    ],
)
def test_a_bad_override_stops_start_up_naming_the_variable(name, raw, kind):
    result = manage("check", **{name: raw})

    assert_refused(
        result,
        f"Environment variable {name}={raw!r} is not a valid {kind}",
        f"Fix the value or unset {name}.",
    )


def test_a_malformed_app_settings_is_refused():
    result = manage("check", APP_SETTINGS="../etc")

    assert_refused(
        result,
        "APP_SETTINGS='../etc' is not a settings module name",
        "development, production, staging, testing",
    )


def test_an_unknown_settings_name_suggests_the_closest():
    result = manage("check", APP_SETTINGS="prodution")

    assert_refused(
        result, "Unknown settings 'prodution'", "Did you mean 'production'?", "Set APP_SETTINGS"
    )


@pytest.mark.parametrize("name", ["production", "staging"])
def test_production_refuses_the_default_secret_key(name):
    environ = {"DATABASE_URL": "mysql+pymysql://app:pw@db:3306/app?charset=utf8mb4"}

    with pytest.raises(ImproperlyConfigured, match="Set the SECRET_KEY environment variable"):
        load_settings(name, environ=environ)


def test_production_refuses_sqlite_unless_explicitly_allowed():
    environ = {"SECRET_KEY": LONG_SECRET}

    with pytest.raises(ImproperlyConfigured) as refused:
        load_settings("production", environ=environ)
    assert "DATABASE_URL points at SQLite" in str(refused.value)
    assert "ALLOW_SQLITE_IN_PRODUCTION=true" in str(refused.value)

    allowed = load_settings("production", environ={**environ, "ALLOW_SQLITE_IN_PRODUCTION": "1"})
    assert allowed["DATABASE_URL"].startswith("sqlite")


def test_production_starts_with_a_secret_key_and_a_real_database():
    environ = {
        "SECRET_KEY": LONG_SECRET,
        "DATABASE_URL": "mysql+pymysql://app:pw@db:3306/app?charset=utf8mb4",
    }

    config = load_settings("production", environ=environ)

    assert config["DEBUG"] is False
    assert config["LOG_FORMAT"] == "json"


def test_manage_py_reads_dot_env_from_the_current_directory(tmp_path):
    (tmp_path / ".env").write_text("APP_SETTINGS=production\n")

    result = run([str(REPO_ROOT / "manage.py"), "check"], cwd=tmp_path, env=clean_env())

    assert_refused(result, "The 'production' settings refuse to start", "SECRET_KEY")


def test_the_environment_beats_dot_env(tmp_path):
    (tmp_path / ".env").write_text("APP_SETTINGS=production\n")

    env = clean_env(APP_SETTINGS="testing", DATABASE_URL="mysql+pymysql://root:@127.0.0.1:1/x")
    result = run([str(REPO_ROOT / "manage.py"), "check"], cwd=tmp_path, env=env)

    assert result.returncode == 1
    assert "Cannot reach the database" in result.stdout


def test_list_items_take_the_type_of_the_defaults_items():
    from project.conf import parse_env_value

    assert parse_env_value("INTERVALS", "1, 2,5", [10, 60]) == [1, 2, 5]
    assert parse_env_value("INTERVALS", "[1, 2]", [10, 60]) == [1, 2]
    assert parse_env_value("NAMES", "a,b", ["x"]) == ["a", "b"]
    assert parse_env_value("ANYTHING", "a,1", []) == ["a", "1"]


def test_a_list_item_of_the_wrong_type_names_the_variable():
    from project.conf import parse_env_value
    from project.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="INTERVALS"):
        parse_env_value("INTERVALS", "1,soon", [10, 60])
