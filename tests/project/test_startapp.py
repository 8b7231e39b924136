"""`python manage.py startapp NAME`: what it writes, and what it refuses (writing nothing).

These run the command on a bare project root in tmp_path (apps/ and tests/);
test_startapp_flow.py runs the whole flow on a full copy of the project.
"""

import pytest

from project import create_app
from project.startapp import default_model_name


@pytest.fixture
def root(tmp_path):
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "__init__.py").touch()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").touch()
    return tmp_path


@pytest.fixture
def app():
    """A project with no apps installed: startapp needs none."""
    return create_app(
        "testing", INSTALLED_APPS=[], AUTHENTICATION_BACKENDS=[], DATABASE_URL="sqlite://"
    )


@pytest.fixture
def startapp(app, root):
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=["startapp", *args, "--directory", str(root)])

    return invoke


def tree(root):
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def test_startapp_writes_the_app_and_its_tests(startapp, root):
    result = startapp("polls")

    assert result.exit_code == 0, result.output
    assert tree(root / "apps" / "polls") == [
        "__init__.py",
        "models.py",
        "schemas.py",
        "templates",
        "templates/polls",
        "templates/polls/list.html",
        "views.py",
    ]
    assert tree(root / "tests" / "apps") == [
        "__init__.py",
        "polls",
        "polls/__init__.py",
        "polls/test_polls.py",
    ]


def test_the_written_files_are_filled_in_and_compile(startapp, root):
    startapp("polls")

    written = [p for p in root.rglob("*") if p.is_file()]
    for path in written:
        text = path.read_text()
        for placeholder in ("{{ app_name }}", "{{ model_name }}", "{{ camel_name }}", "app_name"):
            assert placeholder not in text, path
        if path.suffix == ".py":
            compile(text, str(path), "exec")
    init = (root / "apps" / "polls" / "__init__.py").read_text()
    assert 'api = Blueprint("polls_api", __name__, url_prefix=API_PREFIX)' in init
    assert "class PollsConfig(AppConfig):" in init
    models = (root / "apps" / "polls" / "models.py").read_text()
    assert "class Poll(Model):" in models
    assert "mapped_column(sa.String(200))" in models
    template = (root / "apps" / "polls" / "templates" / "polls" / "list.html").read_text()
    assert template.startswith('{% extends "base.html" %}')
    assert "{{ item.title }}" in template


def test_startapp_prints_the_next_steps(startapp):
    result = startapp("polls")

    assert "Created app 'polls' with the example model Poll" in result.output
    assert '1. Add "apps.polls" to INSTALLED_APPS in settings/base.py.' in result.output
    assert '2. python manage.py db migrate -m "add polls"' in result.output
    assert "3. python manage.py db upgrade" in result.output


def test_the_model_name_can_be_chosen(startapp, root):
    result = startapp("news", "--model", "Story")

    assert result.exit_code == 0, result.output
    assert "class Story(Model):" in (root / "apps" / "news" / "models.py").read_text()


@pytest.mark.parametrize(
    ("app_name", "model_name"),
    [
        ("polls", "Poll"),
        ("categories", "Category"),
        ("blog_entries", "BlogEntry"),
        ("status", "Status"),
    ],
)
def test_the_default_model_name_is_the_singular_of_the_app_name(app_name, model_name):
    assert default_model_name(app_name) == model_name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("1polls", "'1polls' is not a valid app name: it must be a Python identifier"),
        ("my-app", "'my-app' is not a valid app name: it must be a Python identifier"),
        ("class", "'class' is a Python keyword"),
        ("Polls", "'Polls' is not a valid app name: use lower-case ASCII letters"),
        ("os", "'os' clashes with the existing Python module 'os'"),
        ("flask", "'flask' clashes with the existing Python module 'flask'"),
        ("project", "'project' clashes with the existing Python module 'project'"),
        ("tests", "'tests' clashes with"),
        ("health", "A blueprint named 'health' is already registered"),
        ("p" * 31, f"'{'p' * 31}' is too long for an app name: at most 30 characters"),
    ],
)
def test_a_bad_name_is_refused_and_nothing_is_written(startapp, root, name, reason):
    before = tree(root)

    result = startapp(name)

    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {reason}")
    assert tree(root) == before


def test_the_label_of_an_installed_app_is_refused(packages, root):
    top = packages({"blog/__init__.py": ""})
    app = create_app(
        "testing",
        INSTALLED_APPS=[f"{top}.blog"],
        AUTHENTICATION_BACKENDS=[],
        DATABASE_URL="sqlite://",
    )
    runner = app.test_cli_runner()

    result = runner.invoke(args=["startapp", "blog", "--directory", str(root)])

    assert result.exit_code == 1
    assert f"The installed app '{top}.blog' already has the label 'blog'" in result.output
    assert not (root / "apps" / "blog").exists()


def test_an_existing_app_is_not_overwritten(startapp, root):
    (root / "apps" / "polls").mkdir()
    (root / "apps" / "polls" / "models.py").write_text("# mine\n")

    result = startapp("polls")

    assert result.exit_code == 1
    assert "An app named 'polls' already exists" in result.output
    assert (root / "apps" / "polls" / "models.py").read_text() == "# mine\n"
    assert not (root / "tests" / "apps").exists()


def test_existing_tests_of_that_name_are_not_overwritten(startapp, root):
    (root / "tests" / "apps" / "polls").mkdir(parents=True)

    result = startapp("polls")

    assert result.exit_code == 1
    assert "already exists; move it away or choose another name" in result.output
    assert not (root / "apps" / "polls").exists()


@pytest.mark.parametrize("model", ["Model", "poll", "Api"])
def test_a_bad_model_name_is_refused(startapp, root, model):
    result = startapp("polls", "--model", model)

    assert result.exit_code == 1
    assert f"'{model}'" in result.output
    assert not (root / "apps" / "polls").exists()


def test_a_directory_that_is_not_a_project_is_refused(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["startapp", "polls", "--directory", str(tmp_path)])

    assert result.exit_code == 1
    assert "is not a project root: it has no apps/ folder" in result.output
    assert list(tmp_path.iterdir()) == []
