"""The app registry: import, wire and order the apps in INSTALLED_APPS.

Loading runs in phases, as Django's does, for each `create_app()`:

1. configs: import each app package and build its `AppConfig` (a subclass
   declared in the package, or a default one derived from the name);
2. modules: import its `models`, `views`, `signals` and `cli` modules when
   they exist, so every model is known before Alembic compares schemas;
3. wiring: register its blueprints and CLI commands on the Flask app;
4. ready: call each `ready(app)` in INSTALLED_APPS order.

A failure in any phase raises `ImproperlyConfigured` naming the app and the
file, with the original exception chained for `--traceback`.
"""

import difflib
import importlib
import pkgutil

import click
from flask import Blueprint

from .exceptions import ImproperlyConfigured

APP_MODULES = ("models", "views", "signals", "cli")


class AppConfig:
    """What an app declares about itself; every attribute has a derived default.

    Subclass it in the app's `__init__.py` to change a default:

        class ArticlesConfig(AppConfig):
            blueprints = [api, pages]

            def ready(self, app):
                ...
    """

    #: Dotted path of the app package (`apps.articles`); set by the registry.
    name = None
    #: Short unique name used in table names and permission codenames.
    #: Defaults to the last part of `name`.
    label = None
    #: URL prefix for blueprints that declare none. Defaults to `/<label>`.
    url_prefix = None
    #: Blueprints to register. Defaults to every Blueprint in the package namespace.
    blueprints = None

    def __init__(self, name, module):
        self.name = name
        self.module = module
        self.label = self.label or name.rpartition(".")[2]
        self.url_prefix = self.url_prefix or f"/{self.label}"
        if self.blueprints is None:
            self.blueprints = [v for v in vars(module).values() if isinstance(v, Blueprint)]
        self.modules = {}

    def ready(self, app):
        """Called once per Flask app after every app is imported and wired."""

    @property
    def models(self):
        """The mapped model classes defined in this app's `models` module."""
        module = self.modules.get("models")
        if module is None:
            return []
        from .extensions import db

        return [
            mapper.class_
            for mapper in db.Model.registry.mappers
            if mapper.class_.__module__ == module.__name__
        ]

    def __repr__(self):
        return f"<AppConfig {self.label} ({self.name})>"


def _import_app_package(name):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only the app itself (or a parent package) missing means "not found"; a
        # missing dependency it imports is an import failure inside the app.
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise ImproperlyConfigured(_not_found_message(name)) from exc
        raise _import_failure(name, name, exc) from exc
    except Exception as exc:
        raise _import_failure(name, name, exc) from exc


def _not_found_message(name):
    package, _, _ = name.rpartition(".")
    candidates = []
    if package:
        try:
            parent = importlib.import_module(package)
            candidates = [f"{package}.{m.name}" for m in pkgutil.iter_modules(parent.__path__)]
        except ImportError:
            pass
    hint = difflib.get_close_matches(name, candidates, n=1)
    did_you_mean = f" Did you mean {hint[0]!r}?" if hint else ""
    return (
        f"App {name!r} in INSTALLED_APPS was not found: no such package.{did_you_mean} "
        f"Fix the entry in settings/base.py, or create it with `python manage.py startapp`."
    )


def _import_failure(app_name, module_name, exc):
    origin = getattr(exc, "filename", None) or module_name.replace(".", "/") + ".py"
    return ImproperlyConfigured(
        f"App {app_name!r} failed to import {module_name} ({origin}): "
        f"{type(exc).__name__}: {exc}. Run with --traceback for the full traceback."
    )


def _config_class(module):
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, AppConfig)
        and value is not AppConfig
        and value.__module__ == module.__name__
    ]
    if len(found) > 1:
        names = ", ".join(cls.__name__ for cls in found)
        raise ImproperlyConfigured(
            f"App {module.__name__!r} declares several AppConfig classes ({names}); keep one."
        )
    return found[0] if found else AppConfig


def _import_submodule(config, submodule):
    dotted = f"{config.name}.{submodule}"
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        if exc.name == dotted:
            return None
        raise _import_failure(config.name, dotted, exc) from exc
    except ImproperlyConfigured:
        raise
    except Exception as exc:
        raise _import_failure(config.name, dotted, exc) from exc


class Apps:
    """The installed apps of one Flask app, in INSTALLED_APPS order."""

    def __init__(self, installed_apps):
        self.configs = {}
        for name in installed_apps:
            if not isinstance(name, str) or not name:
                raise ImproperlyConfigured(
                    f"INSTALLED_APPS holds {name!r}; every entry must be a dotted package name."
                )
            module = _import_app_package(name)
            config = _config_class(module)(name, module)
            if config.label in self.configs:
                other = self.configs[config.label].name
                raise ImproperlyConfigured(
                    f"Apps {other!r} and {name!r} share the label {config.label!r}. "
                    f"Set a distinct `label` on one AppConfig."
                )
            self.configs[config.label] = config
        for config in self.configs.values():
            for submodule in APP_MODULES:
                module = _import_submodule(config, submodule)
                if module is not None:
                    config.modules[submodule] = module

    def __iter__(self):
        return iter(self.configs.values())

    def get(self, label):
        """The AppConfig with this label; a clear error if there is none."""
        try:
            return self.configs[label]
        except KeyError:
            raise LookupError(
                f"No installed app with label {label!r}; installed: {', '.join(self.configs)}."
            ) from None

    def app_for_module(self, module_name):
        """The AppConfig whose package contains `module_name`, or None."""
        for config in self.configs.values():
            if module_name == config.name or module_name.startswith(config.name + "."):
                return config
        return None

    def models(self):
        """Every mapped model of every installed app."""
        return [model for config in self for model in config.models]

    def wire(self, app):
        """Register every app's blueprints and CLI commands on `app`, then call ready()."""
        owners = {}
        for config in self:
            for blueprint in config.blueprints:
                if blueprint.name in app.blueprints or blueprint.name in owners:
                    other = owners.get(blueprint.name, "the project")
                    raise ImproperlyConfigured(
                        f"App {config.name!r} registers a blueprint named {blueprint.name!r}, "
                        f"which {other} already registered. Blueprint names must be unique: "
                        f"rename one."
                    )
                owners[blueprint.name] = repr(config.name)
                prefix = None if blueprint.url_prefix else config.url_prefix
                app.register_blueprint(blueprint, url_prefix=prefix)
            cli_module = config.modules.get("cli")
            if cli_module is not None:
                for command in _commands_of(cli_module):
                    app.cli.add_command(command)
        for config in self:
            config.ready(app)


def _commands_of(module):
    declared = getattr(module, "commands", None)
    if declared is not None:
        return list(declared)
    command = getattr(module, "cli", None)
    if isinstance(command, click.Command):
        return [command]
    return [v for v in vars(module).values() if isinstance(v, click.Command) and v.name]


def get_apps(app=None):
    """The registry of the current (or given) Flask app."""
    from flask import current_app

    app = app or current_app
    return app.extensions["apps"]
