"""Class-based page views (ListView, DetailView) and where their templates come from.

The views are declared here on a blueprint of their own, with templates in a
temporary folder, on an app built for this module over the suite's database.
"""

import json

import pytest
from flask import Blueprint, render_template

from apps.accounts.models import User
from apps.articles.models import Tag
from apps.articles.views import TagList as TagResource
from project import create_app
from project.checks import check_shadowed_templates
from project.extensions import db as _db
from project.views import DetailView, ListView

TEMPLATES = {
    "articles/tag_list.html": (
        "<h1>Tags</h1>{% for tag in tag_list %}<li>{{ tag.name }}</li>{% endfor %}"
        "{% if page.previous_url %}<a rel=prev href='{{ page.previous_url }}'>prev</a>{% endif %}"
        "{% if page.next_url %}<a rel=next href='{{ page.next_url }}'>next</a>{% endif %}"
        "<p>{{ page.number }}/{{ page.pages }}</p>"
    ),
    "articles/tag_detail.html": "<h1>Tag {{ tag.name }}</h1><p>{{ object.id }}</p>",
    "people/users.html": "<h1>{{ heading }}</h1>{% for p in people %}<li>{{ p.username }}</li>{% endfor %}",
    "people/user.html": "<h1>{{ person.username }}</h1>",
    "people/api_tags.html": "<script type=application/json>{{ object_list|tojson }}</script>",
}


class TagListPage(ListView):
    model = Tag
    ordering = ["name"]
    paginate_by = 2


class TagPage(DetailView):
    model = Tag
    slug_field = "name"
    slug_url_kwarg = "name"


class ActiveUsersPage(ListView):
    model = User
    template_name = "people/users.html"
    context_object_name = "people"

    def get_query(self):
        return super().get_query().where(User.is_active.is_(True)).order_by(User.username)

    def get_context_data(self, **context):
        context["heading"] = "Active people"
        return context


class UserPage(DetailView):
    model = User
    pk_url_kwarg = "user_id"
    template_name = "people/user.html"
    context_object_name = "person"


class ApiTagsPage(ListView):
    resource = TagResource
    template_name = "people/api_tags.html"
    paginate_by = 2


def _write(folder, templates):
    for name, text in templates.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(folder)


def _app(database_url, *blueprints):
    app = create_app("testing", DATABASE_URL=database_url)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app


def _dispose(app):
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture(scope="module")
def site(database_url, tmp_path_factory):
    folder = _write(tmp_path_factory.mktemp("site"), TEMPLATES)
    blueprint = Blueprint("site", __name__, url_prefix="/site", template_folder=folder)
    blueprint.add_url_rule("/tags/", view_func=TagListPage.as_view("tags"))
    blueprint.add_url_rule("/tags/<name>/", view_func=TagPage.as_view("tag"))
    blueprint.add_url_rule("/people/", view_func=ActiveUsersPage.as_view("people"))
    blueprint.add_url_rule("/people/<int:user_id>/", view_func=UserPage.as_view("person"))
    blueprint.add_url_rule("/api-tags/", view_func=ApiTagsPage.as_view("api_tags"))
    app = _app(database_url, blueprint)
    yield app
    _dispose(app)


@pytest.fixture
def visitor(site, db):
    return site.test_client()


@pytest.fixture
def tags(db):
    db.session.add_all([Tag(name=name) for name in ("web", "python", "flask")])
    db.session.commit()


def test_a_list_view_renders_its_conventional_template(visitor, tags):
    response = visitor.get("/site/tags/")
    assert response.status_code == 200
    assert "<h1>Tags</h1>" in response.text
    assert "<li>flask</li><li>python</li>" in response.text  # ordering = ["name"], 2 a page


def test_a_list_view_paginates_and_links_its_pages(visitor, tags):
    first = visitor.get("/site/tags/")
    assert "<p>1/2</p>" in first.text
    assert "href='/site/tags/?page=2'" in first.text and "rel=prev" not in first.text
    second = visitor.get("/site/tags/?page=2")
    assert "<li>web</li>" in second.text and "<li>flask</li>" not in second.text
    assert "href='/site/tags/?page=1'" in second.text and "rel=next" not in second.text


@pytest.mark.parametrize("page", ["3", "0"])
def test_a_page_out_of_range_is_a_404_page(visitor, tags, page):
    response = visitor.get(f"/site/tags/?page={page}")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_a_detail_view_finds_its_object_by_slug(visitor, tags):
    response = visitor.get("/site/tags/python/")
    assert response.status_code == 200
    assert "<h1>Tag python</h1>" in response.text


def test_an_unknown_slug_is_a_404_page(visitor, tags):
    response = visitor.get("/site/tags/nope/")
    assert response.status_code == 404
    assert "<h1>404</h1>" in response.text


def test_a_detail_view_by_primary_key_with_its_own_template_and_name(visitor, db):
    person = User(email="ada@example.com", username="ada", is_active=True)
    db.session.add(person)
    db.session.commit()
    assert visitor.get(f"/site/people/{person.id}/").text == "<h1>ada</h1>"
    assert visitor.get(f"/site/people/{person.id + 1}/").status_code == 404
    assert visitor.get(f"/site/people/{2**64}/").status_code == 404


def test_get_query_and_get_context_data_are_the_extension_points(visitor, db):
    db.session.add_all(
        [
            User(email="b@example.com", username="bob", is_active=True),
            User(email="c@example.com", username="carol", is_active=False),
            User(email="a@example.com", username="ann", is_active=True),
        ]
    )
    db.session.commit()
    page = visitor.get("/site/people/").text
    assert page == "<h1>Active people</h1><li>ann</li><li>bob</li>"


def test_a_view_on_a_resource_renders_what_the_api_serves(visitor, tags):
    page = visitor.get("/site/api-tags/").text
    rendered = json.loads(page.removeprefix("<script type=application/json>").split("<")[0])
    assert rendered == visitor.get("/api/tags?size=2").json["items"]
    assert [tag["name"] for tag in rendered] == ["flask", "python"]


def test_a_view_without_model_or_resource_says_what_is_missing():
    class Nothing(ListView):
        pass

    with pytest.raises(AssertionError, match="must set `model` or `resource`"):
        Nothing().get_model()


# -- which template wins ------------------------------------------------------------------


def test_an_app_template_lives_under_its_label_and_is_found(client, db):
    """articles/article_list.html comes from apps/articles/templates/, not the project."""
    response = client.get("/articles/")
    assert response.status_code == 200
    assert "<title>Latest articles · Articles</title>" in response.text


@pytest.fixture
def shadowing_app(database_url, tmp_path):
    """Blueprints whose un-namespaced templates collide with the project's and each other's."""
    first = Blueprint(
        "first",
        __name__,
        template_folder=_write(tmp_path / "one", {"error.html": "first's", "x.html": "1"}),
    )
    second = Blueprint(
        "second", __name__, template_folder=_write(tmp_path / "two", {"x.html": "2"})
    )
    app = _app(database_url, first, second)
    yield app
    _dispose(app)


def test_the_project_template_wins_and_the_first_registered_blueprint_next(shadowing_app):
    with shadowing_app.test_request_context():
        assert "<h1>418</h1>" in render_template("error.html", status=418, message="teapot")
        assert render_template("x.html") == "1"


def test_check_warns_about_each_shadowed_template(shadowing_app):
    messages = [str(m) for m in check_shadowed_templates(shadowing_app)]
    assert (
        "(templates.W001) Template 'error.html' of blueprint 'first' is shadowed by the project."
        in "\n".join(messages)
    )
    assert any(
        "'x.html' of blueprint 'second' is shadowed by blueprint 'first'" in m for m in messages
    )
    assert len(messages) == 2


def test_manage_py_check_prints_the_shadowing_warning(shadowing_app):
    result = shadowing_app.test_cli_runner().invoke(args=["check"])
    assert "WARNINGS:" in result.output
    assert "Template 'error.html' of blueprint 'first' is shadowed by the project." in result.output


def test_namespaced_app_templates_shadow_nothing(site):
    assert check_shadowed_templates(site) == []
