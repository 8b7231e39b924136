"""use_schema and marshal_with on a plain flask-restful Resource."""

import pytest
from flask import Blueprint
from flask_restful import Resource
from marshmallow import validate

from project import create_app
from project.rest import Api, Schema, fields, marshal_with, use_schema


class PointSchema(Schema):
    x = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    y = fields.Integer(required=True)
    label = fields.String(load_default="", validate=validate.Length(max=10))


class Point:
    def __init__(self, x, y, label):
        self.x, self.y, self.label = x, y, label


class Points(Resource):
    @marshal_with(PointSchema, code=201)
    @use_schema(PointSchema)
    def post(self, data):
        return Point(**data)

    @marshal_with(PointSchema, envelope="points")
    @use_schema(PointSchema(partial=True), location="query")
    def get(self, query):
        return [Point(query.get("x", 1), 2, "a"), Point(3, 4, "b")]

    @marshal_with(PointSchema)
    def put(self):
        return Point(1, 1, "x"), 202, {"X-Extra": "yes"}


@pytest.fixture(scope="module")
def points_client(database_url):
    app = create_app("testing", DATABASE_URL=database_url)
    blueprint = Blueprint("points_api", __name__, url_prefix="/api/points")
    Api(blueprint).add_resource(Points, "")
    app.register_blueprint(blueprint)
    return app.test_client()


def test_use_schema_loads_the_body_and_marshal_with_dumps_the_result(points_client):
    response = points_client.post("/api/points", json={"x": 1, "y": 2})
    assert response.status_code == 201
    assert response.json == {"x": 1, "y": 2, "label": ""}


def test_a_list_is_dumped_item_by_item_under_the_envelope(points_client):
    response = points_client.get("/api/points?x=7")
    assert response.json == {
        "points": [{"x": 7, "y": 2, "label": "a"}, {"x": 3, "y": 4, "label": "b"}]
    }


def test_status_and_headers_from_a_returned_tuple(points_client):
    response = points_client.put("/api/points")
    assert (response.status_code, response.headers["X-Extra"]) == (202, "yes")


def test_every_failing_field_is_in_the_422(points_client):
    response = points_client.post("/api/points", json={"x": 101, "label": "x" * 11, "z": 1})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"x", "y", "label", "z"}


def test_unknown_query_fields_are_rejected_too(points_client):
    response = points_client.get("/api/points?nope=1")
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"nope": ["Unknown field."]}


@pytest.mark.parametrize(
    "data, content_type, status, fragment",
    [
        ("x=1", "application/x-www-form-urlencoded", 415, "application/json"),
        ("", "application/json", 400, "required"),
        ("{", "application/json", 400, "not valid JSON"),
        ("3", "application/json", 400, "object"),
    ],
)
def test_bodies_that_are_not_a_json_object(points_client, data, content_type, status, fragment):
    response = points_client.post("/api/points", data=data, content_type=content_type)
    assert response.status_code == status
    assert fragment in response.json["error"]["message"]


def test_errors_raised_inside_a_resource_use_the_envelope(points_client):
    response = points_client.delete("/api/points")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]
