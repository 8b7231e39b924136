"""The app registry, with throwaway app packages written to tmp_path for each test."""

import pytest

from project import create_app
from project.exceptions import ImproperlyConfigured

from .support import manage

BLUEPRINT = """
from flask import Blueprint

{var} = Blueprint({name!r}, __name__)


@{var}.get("/hello")
def hello():
    return {{"app": __name__}}
"""


def make_app(*installed, **overrides):
    return create_app(
        "testing",
        INSTALLED_APPS=list(installed),
        AUTHENTICATION_BACKENDS=[],
        DATABASE_URL="sqlite://",
        **overrides,
    )


def test_an_app_without_an_appconfig_gets_derived_defaults(packages):
    top = packages({"blog/__init__.py": BLUEPRINT.format(var="bp", name="blog_pages")})

    app = make_app(f"{top}.blog")

    config = app.extensions["apps"].get("blog")
    assert (config.name, config.label, config.url_prefix) == (f"{top}.blog", "blog", "/blog")
    response = app.test_client().get("/blog/hello")
    assert response.status_code == 200
    assert response.json == {"app": f"{top}.blog"}


def test_an_apps_views_module_is_imported_by_the_registry(packages):
    top = packages(
        {
            "shop/__init__.py": "from flask import Blueprint\n\nbp = Blueprint('shop', __name__)\n",
            "shop/views.py": "from . import bp\n\n\n@bp.get('/items')\ndef items():\n"
            "    return {'items': []}\n",
        }
    )

    response = make_app(f"{top}.shop").test_client().get("/shop/items")

    assert response.status_code == 200
    assert response.json == {"items": []}


def test_an_appconfig_sets_the_label_and_url_prefix(packages):
    top = packages(
        {
            "blog/__init__.py": BLUEPRINT.format(var="bp", name="blog")
            + "\nfrom project.apps import AppConfig\n\n\nclass BlogConfig(AppConfig):\n"
            "    label = 'journal'\n    url_prefix = '/journal'\n"
        }
    )

    app = make_app(f"{top}.blog")

    assert app.extensions["apps"].get("journal").name == f"{top}.blog"
    assert app.test_client().get("/journal/hello").status_code == 200


def test_ready_runs_in_installed_apps_order_after_every_app_is_wired(packages):
    ready = """
    from flask import Blueprint

    from project.apps import AppConfig

    bp = Blueprint({label!r}, __name__)


    class Config(AppConfig):
        def ready(self, app):
            app.config.setdefault("READY", []).append((self.label, sorted(app.blueprints)))
    """
    top = packages(
        {f"{label}/__init__.py": ready.format(label=label) for label in ("zeta", "alpha", "mid")}
    )

    app = make_app(f"{top}.zeta", f"{top}.alpha", f"{top}.mid")

    assert [label for label, _ in app.config["READY"]] == ["zeta", "alpha", "mid"]
    for _, blueprints in app.config["READY"]:
        assert {"zeta", "alpha", "mid"} <= set(blueprints)


def test_an_app_that_is_not_found_gets_a_suggestion(packages):
    top = packages({"polls/__init__.py": ""})

    with pytest.raises(ImproperlyConfigured) as error:
        make_app(f"{top}.polss")

    assert str(error.value).startswith(f"App '{top}.polss' in INSTALLED_APPS was not found")
    assert f"Did you mean '{top}.polls'?" in str(error.value)


def test_two_apps_with_one_label_are_refused(packages):
    top = packages(
        {
            "one/__init__.py": "",
            "one/blog/__init__.py": "",
            "two/__init__.py": "",
            "two/blog/__init__.py": "",
        }
    )

    with pytest.raises(ImproperlyConfigured) as error:
        make_app(f"{top}.one.blog", f"{top}.two.blog")

    assert str(error.value) == (
        f"Apps '{top}.one.blog' and '{top}.two.blog' share the label 'blog'. "
        f"Set a distinct `label` on one AppConfig."
    )


def test_two_apps_registering_one_blueprint_name_are_refused(packages):
    top = packages(
        {
            "a/__init__.py": BLUEPRINT.format(var="bp", name="pages"),
            "b/__init__.py": BLUEPRINT.format(var="bp", name="pages"),
        }
    )

    with pytest.raises(ImproperlyConfigured) as error:
        make_app(f"{top}.a", f"{top}.b")

    message = str(error.value)
    assert f"App '{top}.b' registers a blueprint named 'pages'" in message
    assert f"which '{top}.a' already registered" in message


def test_an_app_blueprint_clashing_with_the_projects_is_refused(packages):
    top = packages({"a/__init__.py": BLUEPRINT.format(var="bp", name="health")})

    with pytest.raises(ImproperlyConfigured, match="which the project already registered"):
        make_app(f"{top}.a")


BROKEN_MODELS = """
import sqlalchemy as sa


def helper():
    return sa.Column(does_not_exist)


COLUMN = helper()
"""


def test_an_error_in_an_apps_models_names_the_app_and_file_without_a_traceback(packages, tmp_path):
    top = packages({"broken/__init__.py": "", "broken/models.py": BROKEN_MODELS})
    env = {"PYTHONPATH": str(tmp_path), "INSTALLED_APPS": f"{top}.broken"}

    result = manage("check", **env)

    assert result.returncode == 2
    assert result.stderr.startswith(
        f"Error: App '{top}.broken' failed to import {top}.broken.models "
        f"({top}/broken/models.py): NameError: name 'does_not_exist' is not defined."
    )
    assert "Run with --traceback for the full traceback." in result.stderr
    assert "Traceback" not in result.stderr


def test_traceback_shows_where_an_apps_import_failed(packages, tmp_path):
    top = packages({"broken/__init__.py": "", "broken/models.py": BROKEN_MODELS})
    env = {"PYTHONPATH": str(tmp_path), "INSTALLED_APPS": f"{top}.broken"}

    result = manage("--traceback", "check", **env)

    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert f'{tmp_path / top / "broken" / "models.py"}", line 9, in <module>' in result.stderr
    assert "NameError: name 'does_not_exist' is not defined" in result.stderr
