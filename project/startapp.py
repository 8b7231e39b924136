"""`python manage.py startapp NAME`: write a new app from `project/templates/app/`.

The templates are small files ending `-tpl` (so linters and packagers leave
them alone) with `{{ app_name }}`-style placeholders, replaced by plain string
substitution; a path segment named `app_name` is renamed too. `package/` is
written to `apps/NAME/`, `tests/` to `tests/apps/NAME/`.

Every check runs before anything is written: a refused name leaves the
project untouched.
"""

import importlib.util
import keyword
import re
from pathlib import Path

import click
from flask import current_app, has_app_context
from flask.cli import with_appcontext

TEMPLATE_DIR = Path(__file__).parent / "templates" / "app"
#: The project root: the folder holding apps/, derived from this package, not the cwd.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

MAX_APP_NAME = 30
_APP_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_MODEL_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
#: Names the generated modules import; a model may not take one of them.
_TAKEN_MODEL_NAMES = {
    "AllowAny",
    "Api",
    "AppConfig",
    "Blueprint",
    "ListCreateResource",
    "MethodView",
    "Model",
    "RetrieveUpdateDestroyResource",
    "Schema",
}


def default_model_name(app_name):
    """`polls` -> `Poll`, `blog_entries` -> `BlogEntry`, `news` -> `New` (use --model then)."""
    camel = "".join(part.capitalize() for part in app_name.split("_"))
    if camel.endswith("ies") and len(camel) > 3:
        return camel[:-3] + "y"
    if camel.endswith("s") and not camel.endswith(("ss", "us", "is")) and len(camel) > 1:
        return camel[:-1]
    return camel


def check_app_name(name, root):
    """Raise `click.ClickException` saying why `name` cannot be an app in `root`."""
    if not (root / "apps").is_dir():
        raise click.ClickException(f"{root} is not a project root: it has no apps/ folder.")
    if not name.isidentifier():
        raise click.ClickException(
            f"{name!r} is not a valid app name: it must be a Python identifier "
            f"(letters, digits and underscores, not starting with a digit)."
        )
    if keyword.iskeyword(name):
        raise click.ClickException(
            f"{name!r} is a Python keyword, so `import apps.{name}` could not be written. "
            f"Choose another name."
        )
    if not _APP_NAME.match(name):
        raise click.ClickException(
            f"{name!r} is not a valid app name: use lower-case ASCII letters, digits and "
            f"underscores, starting with a letter (it becomes a package, table and URL name)."
        )
    if len(name) > MAX_APP_NAME:
        raise click.ClickException(
            f"{name!r} is too long for an app name: at most {MAX_APP_NAME} characters. It "
            f"prefixes every table and constraint name, and MySQL allows 64 characters for those."
        )
    existing = root / "apps" / name
    if existing.exists():
        raise click.ClickException(f"An app named {name!r} already exists at {existing}.")
    tests = root / "tests" / "apps" / name
    if tests.exists():
        raise click.ClickException(f"{tests} already exists; move it away or choose another name.")
    if (root / name).exists() or (root / f"{name}.py").exists():
        raise click.ClickException(
            f"{name!r} clashes with {root / name} in the project. Choose another name."
        )
    if importlib.util.find_spec(name) is not None:
        raise click.ClickException(
            f"{name!r} clashes with the existing Python module {name!r}, which the project "
            f"could import by mistake. Choose another name."
        )
    _check_registered_names(name)


def _check_registered_names(name):
    """A label or blueprint name the running project already uses would clash at start-up."""
    if not has_app_context():
        return
    apps = current_app.extensions.get("apps")
    if apps is not None and name in apps.configs:
        other = apps.configs[name].name
        raise click.ClickException(
            f"The installed app {other!r} already has the label {name!r}. Choose another name."
        )
    for blueprint in (name, f"{name}_api"):
        if blueprint in current_app.blueprints:
            raise click.ClickException(
                f"A blueprint named {blueprint!r} is already registered; the app would clash "
                f"with it. Choose another name."
            )


def check_model_name(model_name):
    if not _MODEL_NAME.match(model_name) or keyword.iskeyword(model_name):
        raise click.ClickException(
            f"{model_name!r} is not a valid model name: use CamelCase, e.g. --model Poll."
        )
    if model_name in _TAKEN_MODEL_NAMES:
        raise click.ClickException(
            f"The model cannot be called {model_name!r}: the generated code imports a name "
            f"{model_name!r}. Pass another with --model."
        )


def render(text, context):
    for key, value in context.items():
        text = text.replace(f"{{{{ {key} }}}}", value)
    return text


def planned_files(name, model_name, root):
    """{destination path: content} for every file of the new app, nothing written yet."""
    context = {
        "app_name": name,
        "camel_name": "".join(part.capitalize() for part in name.split("_")),
        "model_name": model_name,
    }
    destinations = {
        "package": root / "apps" / name,
        "tests": root / "tests" / "apps" / name,
    }
    files = {}
    for source in sorted(TEMPLATE_DIR.rglob("*-tpl")):
        part, *rest = source.relative_to(TEMPLATE_DIR).parts
        rest[-1] = rest[-1].removesuffix("-tpl")
        target = destinations[part].joinpath(*(p.replace("app_name", name) for p in rest))
        files[target] = render(source.read_text(encoding="utf-8"), context)
    # Test packages, so that tests/apps/<name>/test_<name>.py imports as
    # tests.apps.<name>.test_<name> and never clashes with another app's tests.
    for package in (root / "tests" / "apps", destinations["tests"]):
        init = package / "__init__.py"
        if not init.exists():
            files.setdefault(init, "")
    return files


def write_files(files):
    created_dirs = []
    try:
        for path, content in files.items():
            for parent in reversed(path.parents):
                if not parent.exists():
                    parent.mkdir()
                    created_dirs.append(parent)
            path.write_text(content, encoding="utf-8")
    except OSError:
        for path in files:
            path.unlink(missing_ok=True)
        for directory in reversed(created_dirs):
            directory.rmdir()
        raise


@click.command("startapp")
@click.argument("name")
@click.option("--model", "model_name", help="Name of the example model (default: from NAME).")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=PROJECT_ROOT,
    show_default="the project root",
    help="Project root to write into (the folder holding apps/ and tests/).",
)
@with_appcontext
def startapp(name, model_name, directory):
    """Create a new app in apps/NAME with a model, schema, API, page and tests."""
    root = directory.resolve()
    check_app_name(name, root)
    model_name = model_name or default_model_name(name)
    check_model_name(model_name)
    files = planned_files(name, model_name, root)
    write_files(files)
    click.echo(f"Created app {name!r} with the example model {model_name} in {root}:")
    for path in files:
        click.echo(f"  {path.relative_to(root)}")
    click.echo(
        "\nNext steps:\n"
        f'  1. Add "apps.{name}" to INSTALLED_APPS in settings/base.py.\n'
        f'  2. python manage.py db migrate -m "add {name}"   (with the database at the head '
        f"already; then read the script it wrote in migrations/versions/)\n"
        f"  3. python manage.py db upgrade\n"
        f"  4. python -m pytest tests/apps/{name}   and try GET /api/{name}"
    )
