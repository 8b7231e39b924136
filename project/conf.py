"""Load a settings module and apply environment overrides.

The order is: `settings/<name>.py` (which starts from `settings/base.py`), then
environment variables of the same names, then the keyword overrides given to
`create_app()`. Finally the module's `validate(config)`, if it has one, may
refuse the result (production does, on a default secret key).
"""

import difflib
import importlib
import json
import os
import pkgutil
import re

import settings as settings_package

from .exceptions import ImproperlyConfigured

DEFAULT_SETTINGS = "development"
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def available_settings():
    """Names of the settings modules that can be chosen."""
    return sorted(
        m.name for m in pkgutil.iter_modules(settings_package.__path__) if m.name != "base"
    )


def settings_name(name=None):
    """The settings name to use: the argument, else APP_SETTINGS, else development."""
    name = name or os.environ.get("APP_SETTINGS") or DEFAULT_SETTINGS
    if not _NAME.match(name):
        raise ImproperlyConfigured(
            f"APP_SETTINGS={name!r} is not a settings module name. Use one of "
            f"{', '.join(available_settings())} (lower-case letters, digits and underscores)."
        )
    return name


def _import_settings(name):
    try:
        return importlib.import_module(f"settings.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"settings.{name}":
            raise
        choices = available_settings()
        hint = difflib.get_close_matches(name, choices, n=1)
        did_you_mean = f" Did you mean {hint[0]!r}?" if hint else ""
        raise ImproperlyConfigured(
            f"Unknown settings {name!r}: there is no settings/{name}.py.{did_you_mean} "
            f"Set APP_SETTINGS (or --settings) to one of: {', '.join(choices)}."
        ) from None


def parse_env_value(key, raw, default):
    """Parse the environment variable `key` to the type of `default`."""
    kind = type(default)
    try:
        if isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError("expected one of true/false/1/0/yes/no/on/off")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, (list, tuple)):
            stripped = raw.strip()
            if stripped.startswith("{"):
                raise ValueError("expected a JSON list or comma-separated values, not an object")
            if stripped.startswith("["):
                value = json.loads(stripped)
                if not isinstance(value, list):
                    raise ValueError("expected a JSON list")
            else:
                value = [part.strip() for part in stripped.split(",") if part.strip()]
            return kind(_items_like(key, value, default))
        if isinstance(default, dict):
            value = json.loads(raw)
            if not isinstance(value, dict):
                raise ValueError("expected a JSON object")
            return value
    except (ValueError, json.JSONDecodeError) as exc:
        raise ImproperlyConfigured(
            f"Environment variable {key}={raw!r} is not a valid {kind.__name__} "
            f"(the default is {default!r}): {exc}. Fix the value or unset {key}."
        ) from None
    return raw


def _items_like(key, items, default):
    """Give each item the type the default's items share (`[10, 60]` -> ints).

    A default of mixed or no items leaves the items as given.
    """
    kinds = {type(item) for item in default}
    if len(kinds) != 1:
        return items
    (kind,) = kinds
    if kind is str or kind is bool:
        return items
    return [
        item if isinstance(item, kind) else parse_env_value(key, str(item), kind())
        for item in items
    ]


def load_settings(name=None, overrides=None, environ=None):
    """Return the settings as a dict of UPPERCASE names."""
    environ = os.environ if environ is None else environ
    name = settings_name(name)
    module = _import_settings(name)
    config = {key: getattr(module, key) for key in dir(module) if key.isupper()}
    for key, default in config.items():
        if key in environ:
            config[key] = parse_env_value(key, environ[key], default)
    config.update(overrides or {})
    config["SETTINGS_NAME"] = name
    validate = getattr(module, "validate", None)
    problems = validate(config) if validate else []
    if problems:
        raise ImproperlyConfigured(f"The {name!r} settings refuse to start: " + " ".join(problems))
    return config
