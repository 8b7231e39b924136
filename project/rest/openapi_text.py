"""The words of the OpenAPI document: summaries and descriptions.

A verb's own docstring wins (first line: summary; the rest: description);
else the resource class's docstring describes all its verbs, and the summary
is derived from the action and the model: "List articles", "Create an article".
Docstrings inherited from the generic classes are not the app's words, so
they are never used.
"""

import inspect
import re

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_YOU = re.compile(r"u[^aeiou][aeiou]")  # user, unit: "you"-sounding

_SUMMARIES = {
    "list": "List {plural}",
    "create": "Create {a} {name}",
    "retrieve": "Retrieve {a} {name}",
    "update": "Replace {a} {name}",
    "partial_update": "Update {a} {name} partially",
    "destroy": "Delete {a} {name}",
}


def summary(owner, handler, method, action):
    own = _own_doc(handler)
    if own:
        return own.splitlines()[0].rstrip(".")
    model = getattr(owner, "model", None)
    if action is None or model is None:
        name = getattr(owner, "__name__", "view")
        return f"{method.upper()} {name.replace('_', ' ')}"
    name = _CAMEL.sub(" ", model.__name__).lower()
    return _SUMMARIES[action].format(name=name, plural=plural(name), a=article(name))


def article(name):
    """ "an article", "a user", "an update": the sound decides, guessed from the spelling."""
    if name[:1] in ("a", "e", "i", "o") or (name[:1] == "u" and not _YOU.match(name)):
        return "an"
    return "a"


def description(owner, handler):
    """The rest of the handler's own docstring, else the class docstring, else ""."""
    own = _own_doc(handler)
    if own:
        return own.partition("\n")[2].strip()
    if isinstance(owner, type) and owner.__doc__ and not _is_generic(owner):
        return inspect.cleandoc(owner.__doc__)
    return ""


def _own_doc(handler):
    function = inspect.unwrap(handler)
    if _is_generic(function) or not function.__doc__:
        return ""
    return inspect.cleandoc(function.__doc__)


def _is_generic(obj):
    return getattr(obj, "__module__", "").startswith("project.rest.")


def plural(name):
    if name.endswith("y") and name[-2:-1] not in "aeiou":
        return name[:-1] + "ies"
    if name.endswith(("s", "x", "ch", "sh")):
        return name + "es"
    return name + "s"
