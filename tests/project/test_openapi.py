"""The OpenAPI document an API consumer reads at /api/openapi.json, and its docs page."""

import json
import re
import warnings
from html.parser import HTMLParser

import pytest
from flask import Blueprint, Flask
from flask.views import MethodView
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from apps.articles.models import Article
from project.rest import (
    AllowAny,
    Api,
    IsAuthenticated,
    ListCreateResource,
    RetrieveUpdateDestroyResource,
    Schema,
    fields,
    marshal_with,
    use_schema,
)
from project.rest.openapi import build_openapi, openapi_document, responds
from project.rest.openapi_schemas import ecma_pattern
from project.rest.openapi_text import article


@pytest.fixture
def document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.json


def resolve(document, node):
    """Follow a `$ref` (and a single-`allOf` wrapper) to the schema it names."""
    while True:
        if "$ref" in node:
            node = document["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
        elif len(node.get("allOf", [])) == 1:
            node = node["allOf"][0]
        else:
            return node


def parameter_names(operation):
    return {p["name"] for p in operation.get("parameters", [])}


def test_the_document_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.")


def test_the_articles_list_documents_pagination_filters_ordering_and_search(document):
    operation = document["paths"]["/api/articles"]["get"]
    expected = {"page", "size", "count", "cursor", "status", "author_id", "tag"}
    expected |= {"created_at__gte", "created_at__lte", "ordering", "search"}
    assert expected <= parameter_names(operation)
    by_name = {p["name"]: p for p in operation["parameters"]}
    assert by_name["author_id"]["schema"]["type"] == "integer"
    assert by_name["page"]["schema"]["minimum"] == 1
    ordering = by_name["ordering"]
    assert "created_at" in ordering["description"] and "title" in ordering["description"]
    assert re.fullmatch(ordering["schema"]["pattern"], "-created_at,title")
    assert not re.fullmatch(ordering["schema"]["pattern"], "body")


def test_lists_answer_a_page_with_items_of_the_output_schema(document):
    ok = document["paths"]["/api/articles"]["get"]["responses"]["200"]
    shapes = ok["content"]["application/json"]["schema"]["anyOf"]
    page, keyset = (resolve(document, shape) for shape in shapes)
    assert set(page["required"]) == {"items", "page", "size", "total", "pages", "next", "previous"}
    assert set(keyset["required"]) == {"items", "size", "next", "previous"}
    article = resolve(document, page["properties"]["items"]["items"])
    assert {"id", "title", "slug", "author", "tags", "comment_count"} <= set(article["properties"])


def test_creating_an_article_needs_a_title_and_answers_201(document):
    operation = document["paths"]["/api/articles"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    schema = resolve(document, body)
    assert "title" in schema["required"]
    assert schema["properties"]["title"]["maxLength"] == 200
    assert schema["additionalProperties"] is False
    assert "201" in operation["responses"]
    assert operation["security"] == [{"bearerAuth": []}]


def test_validation_errors_reference_the_error_envelope(document):
    response = document["paths"]["/api/articles"]["post"]["responses"]["422"]
    schema = response["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}
    envelope = document["components"]["schemas"]["ErrorEnvelope"]
    error = envelope["properties"]["error"]
    assert set(error["properties"]) == {"code", "message", "fields", "request_id"}
    assert response["description"]


def test_real_errors_match_the_envelope_schema(client, document):
    envelope = OAS30Validator(document["components"]["schemas"]["ErrorEnvelope"])
    unauthenticated = client.post("/api/articles", json={"title": "x"})
    invalid = client.get("/api/articles?ordering=body")
    assert (unauthenticated.status_code, invalid.status_code) == (401, 422)
    envelope.validate(unauthenticated.json)
    envelope.validate(invalid.json)
    assert list(invalid.json["error"]["fields"]) == ["ordering"]


def test_patch_is_partial_and_put_is_not(document):
    detail = document["paths"]["/api/articles/{id}"]
    put = resolve(document, detail["put"]["requestBody"]["content"]["application/json"]["schema"])
    patch = resolve(
        document, detail["patch"]["requestBody"]["content"]["application/json"]["schema"]
    )
    assert "title" in put["required"]
    assert "required" not in patch
    assert set(patch["properties"]) == set(put["properties"])


def test_conditional_requests_are_documented_on_one_object(document):
    detail = document["paths"]["/api/articles/{id}"]
    assert "304" in detail["get"]["responses"]
    assert detail["get"]["responses"]["200"]["headers"]["ETag"]["required"] is True
    assert "If-None-Match" in parameter_names(detail["get"])
    for method in ("put", "patch", "delete"):
        assert "412" in detail[method]["responses"]
        assert "If-Match" in parameter_names(detail[method])
    assert "204" in detail["delete"]["responses"]
    assert detail["parameters"] == [
        {
            "name": "id",
            "in": "path",
            "required": True,
            # The id converter only matches what a 64-bit column holds (project/routing.py).
            "schema": {
                "type": "integer",
                "format": "int64",
                "minimum": 0,
                "maximum": 2**63 - 1,
            },
        }
    ]


def test_every_response_has_a_description(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                assert response.get("description"), f"{method} {path} {status}"


def test_reads_may_send_a_token_and_writes_must(document):
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    articles = document["paths"]["/api/articles"]
    assert articles["get"]["security"] == [{}, {"bearerAuth": []}]
    assert articles["post"]["security"] == [{"bearerAuth": []}]


def test_pages_and_the_health_check_are_not_api_operations(document):
    assert not any(path.startswith("/articles") for path in document["paths"])
    assert "/healthz" not in document["paths"]
    assert "/api/openapi.json" not in document["paths"]


def test_the_document_is_built_once_per_app(app):
    assert openapi_document(app) is openapi_document(app)


def test_manage_py_openapi_prints_and_writes_the_document(app, document, tmp_path):
    runner = app.test_cli_runner()
    printed = runner.invoke(args=["openapi"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == document
    target = tmp_path / "openapi.json"
    written = runner.invoke(args=["openapi", "--output", str(target)])
    assert written.exit_code == 0, written.output
    assert json.loads(target.read_text()) == document


# -- the docs page ----------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def test_the_docs_page_works_offline(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    parser = _Links()
    parser.feed(page.text)
    assets = [url for url in parser.urls if url.endswith((".js", ".css"))]
    assert any("swagger-ui-bundle.js" in url for url in assets)
    assert any(url.endswith(".css") for url in assets)
    for url in parser.urls:
        assert url.startswith("/"), f"{url} is not served by the app"
        assert not url.startswith("//")
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.content_length and response.content_length > 100, url


def test_the_docs_page_loads_this_apps_document(client):
    script = client.get("/api/docs/initializer.js")
    assert script.status_code == 200
    assert '"url": "/api/openapi.json"' in script.text
    assert '"validatorUrl": null' in script.text  # the badge would call validator.swagger.io


# -- generic: what any resource or decorated view gets -----------------------------------


class AuthorSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    email = fields.String(dump_only=True)


class PostSchema(Schema):
    id = fields.Integer(dump_only=True)
    title = fields.String(required=True)
    author = fields.Nested(AuthorSchema, exclude=("email",), dump_only=True)
    editor = fields.Nested(AuthorSchema, dump_only=True)


class PostList(ListCreateResource):
    """Posts of the blog.

    Newest first.
    """

    model = Article
    schema = PostSchema
    permission_classes = [AllowAny]
    pagination_class = None


class PostDetail(RetrieveUpdateDestroyResource):
    model = Article
    schema = PostSchema
    permission_classes = [IsAuthenticated]

    def get(self, **kwargs):
        """Read one post, with its author."""
        return super().get(**kwargs)


class SearchSchema(Schema):
    q = fields.String(required=True)


class Echo(MethodView):
    @use_schema(SearchSchema, location="query")
    @marshal_with(SearchSchema)
    def get(self, data, **kwargs):
        return data

    @responds(409, 202)
    @use_schema(SearchSchema)
    @marshal_with(SearchSchema, code=201)
    def post(self, data, **kwargs):
        return data, 201


@pytest.fixture
def small_document():
    app = Flask(__name__)
    blueprint = Blueprint("blog", __name__, url_prefix="/api/blog")
    api = Api(blueprint)
    api.add_resource(PostList, "/posts")
    api.add_resource(PostDetail, "/posts/<int:id>")
    blueprint.add_url_rule("/echo/<name>", view_func=Echo.as_view("echo"))
    app.register_blueprint(blueprint)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # apispec warns when it has to invent `Author1`
        document = build_openapi(app)
    validate(document)
    return document


def test_a_nested_schema_with_exclude_gets_its_own_name(small_document):
    schemas = small_document["components"]["schemas"]
    assert "Author" in schemas and "AuthorExcludeEmail" in schemas
    assert not any(re.search(r"\d$", name) for name in schemas)
    assert set(schemas["AuthorExcludeEmail"]["properties"]) == {"id", "username"}


def test_summaries_come_from_docstrings_or_the_action(small_document):
    paths = small_document["paths"]
    posts = paths["/api/blog/posts"]
    assert posts["get"]["summary"] == "List articles"
    assert posts["get"]["description"] == "Posts of the blog.\n\nNewest first."
    assert posts["post"]["summary"] == "Create an article"
    assert paths["/api/blog/posts/{id}"]["get"]["summary"] == "Read one post, with its author"
    assert paths["/api/blog/posts/{id}"]["delete"]["summary"] == "Delete an article"


def test_an_unpaginated_list_is_an_array(small_document):
    ok = small_document["paths"]["/api/blog/posts"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["type"] == "array"


def test_a_resource_that_needs_a_user_requires_the_token_to_read(small_document):
    assert small_document["paths"]["/api/blog/posts/{id}"]["get"]["security"] == [
        {"bearerAuth": []}
    ]
    assert small_document["paths"]["/api/blog/posts"]["post"]["security"] == [
        {},
        {"bearerAuth": []},
    ]
    assert "403" not in small_document["paths"]["/api/blog/posts"]["post"]["responses"]


def test_views_decorated_with_use_schema_and_marshal_with_are_documented(small_document):
    echo = small_document["paths"]["/api/blog/echo/{name}"]
    assert echo["parameters"][0]["schema"]["pattern"] == "^[^/]{1,}$"  # werkzeug's default
    get = echo["get"]
    assert [(p["name"], p["in"], p["required"]) for p in get["parameters"]] == [
        ("q", "query", True)
    ]
    assert set(get["responses"]) == {"200", "401", "404", "422", "503"}
    post = echo["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Search"
    }
    assert {"201", "400", "415", "422"} <= set(post["responses"])
    assert post["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"
    }
    assert "content" not in post["responses"]["202"]


@pytest.mark.parametrize(
    ("python", "ecma"),
    [
        (r"^[\w.+-]+\Z", r"^[\w.+-]+$"),
        (r"\Aa+", r"^a+"),
        (r"[a-z]+", r"^(?:[a-z]+)"),  # marshmallow's Regexp matches at the start
        (r"^(?P<x>a)(?P=x)$", r"^(?<x>a)\k<x>$"),
    ],
)
def test_regexp_validators_become_ecma_patterns(python, ecma):
    assert ecma_pattern(python) == ecma


@pytest.mark.parametrize(
    ("name", "summary"),
    [("article", "Create an article"), ("user", "Create a user"), ("tag", "Create a tag")],
)
def test_generated_summaries_read_as_english(name, summary):
    assert f"Create {article(name)} {name}" == summary


def test_only_the_assets_the_page_uses_are_served(client):
    assert client.get("/api/docs/static/swagger-ui.css").status_code == 200
    assert client.get("/api/docs/static/index.html").status_code == 404  # the petstore demo
    assert client.get("/api/docs/static/../openapi.json").status_code == 404
