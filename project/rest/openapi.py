"""The OpenAPI 3 document, generated from the URL map, the resources and their schemas.

    document = openapi_document(app)      # built once per app, then cached

How it is built, step by step:

1. Walk the app's URL map. A route is documented when its view is a
   `GenericResource` (any of its verbs), or a Resource/MethodView/function
   whose verbs are decorated with `use_schema` / `marshal_with`. Other routes
   (pages, the health check, this document itself) are not part of the API.
2. Each verb of a generic resource is an action — list, create, retrieve,
   update, partial update, destroy — read from the mixins it binds. The action
   says which schema goes in (create/update schema; PATCH is partial: nothing
   required), which comes out (the output schema; lists wrapped in the page of
   their paginator), and which error statuses it can answer.
3. Errors all reference one component, `ErrorEnvelope` (see project/errors.py).
   Every operation may answer 401 (credentials sent but wrong) and 503 (the
   database is down); a view states its other statuses with `@responds(...)`.
4. Schemas get names from their class (`ArticleSchema` -> `Article`); a schema
   used with `only`/`exclude`/`partial` gets a name that says so, so apispec
   never invents `Article1` (PITFALLS P9).

Security: one bearer scheme. Writes of a resource are marked as requiring it
unless every permission class is `AllowAny`; its reads only when a permission
class is `IsAuthenticated`, `IsStaff` or `HasModelPermission` (or a subclass).
Elsewhere a token is optional.
"""

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from .io import _schema_instance
from .openapi_parameters import (
    filter_query_parameters,
    openapi_path,
    ordering_parameter,
    pagination_parameters,
    path_parameters,
    search_parameter,
)
from .openapi_schemas import (
    BEARER,
    ErrorResponses,
    SchemaNames,
    error_envelope_schema,
    etag_header,
    field2ecma_pattern,
    header_parameter,
    if_match_parameter,
    json_body_response,
    page_schema,
)
from .openapi_text import description, summary
from .permissions import AllowAny, HasModelPermission, IsAuthenticated, IsStaff
from .resources import (
    CreateMixin,
    DestroyMixin,
    GenericResource,
    ListMixin,
    RetrieveMixin,
    UpdateMixin,
)

OPENAPI_VERSION = "3.0.3"
METHODS = ("get", "post", "put", "patch", "delete")
_WRITE_METHODS = {"post", "put", "patch", "delete"}
_OPTIONAL_TOKEN = [{}, {BEARER: []}]
_REQUIRED_TOKEN = [{BEARER: []}]


def responds(*statuses):
    """Document statuses a view answers besides those its declarations imply.

        @api.post("/login")
        @responds(401, 429)
        @use_schema(LoginSchema)
        @marshal_with(TokenSchema)
        def login(data): ...

    Error statuses (>= 400) reference the error envelope; others (202, 204)
    are documented without a body.
    """

    def decorator(view):
        view.__rest_responses__ = (*getattr(view, "__rest_responses__", ()), *statuses)
        return view

    return decorator


def openapi_document(app):
    """The app's OpenAPI document as a dict; built on first use, then cached on the app."""
    document = app.extensions.get("openapi")
    if document is None:
        document = app.extensions["openapi"] = build_openapi(app)
    return document


def build_openapi(app):
    """Build the OpenAPI document of every API route of `app` (uncached)."""
    config = app.config
    info = {"description": config["API_DESCRIPTION"]} if config.get("API_DESCRIPTION") else {}
    spec = APISpec(
        title=config.get("API_TITLE", "API"),
        version=config.get("API_VERSION", "1.0.0"),
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin(schema_name_resolver=SchemaNames(app))],
        info=info,
    )
    spec.plugins[0].converter.add_attribute_function(field2ecma_pattern)
    spec.components.security_scheme(BEARER, {"type": "http", "scheme": "bearer"})
    spec.components.schema("ErrorEnvelope", error_envelope_schema())
    builder = _Builder(app, spec)
    paths = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        view = app.view_functions.get(rule.endpoint)
        for method in METHODS:
            if method.upper() not in rule.methods:
                continue
            operation = builder.operation(view, method, rule)
            if operation is not None:
                entry = paths.setdefault(openapi_path(rule), {"operations": {}, "rule": rule})
                entry["operations"][method] = operation
    for path, entry in paths.items():
        spec.path(path, operations=entry["operations"], parameters=path_parameters(entry["rule"]))
    return spec.to_dict()


class _Builder:
    """Turns one verb of one route into an OpenAPI operation (or None: not an API route)."""

    def __init__(self, app, spec):
        self.app = app
        self.spec = spec
        self.converter = spec.plugins[0].converter
        self.errors = ErrorResponses(has_limiter="limiter" in app.extensions)
        self.operation_ids = set()

    def operation(self, view, method, rule):
        view_class = getattr(view, "view_class", None)
        handler = getattr(view_class, method, None) if view_class is not None else view
        if handler is None:
            return None
        declared = _declared(handler)
        action = None
        if view_class is not None and issubclass(view_class, GenericResource):
            action = _action(view_class, method, rule)
        if action is not None:
            operation = self._generic(view_class, method, rule, action)
        elif declared:
            operation = self._declared(rule, declared)
        else:
            return None
        owner = view_class or view
        statuses = [401, 503, *getattr(handler, "__rest_responses__", ())]
        self.errors.add(operation["responses"], statuses)
        operation["summary"] = summary(owner, handler, method, action)
        text = description(owner, handler)
        if text:
            operation["description"] = text
        operation["tags"] = [self._tag(owner, rule)]
        operation["operationId"] = self._operation_id(rule, method)
        return operation

    def _tag(self, owner, rule):
        apps = self.app.extensions.get("apps")
        config = apps.app_for_module(owner.__module__) if apps is not None else None
        if config is not None:
            return config.label
        return rule.endpoint.partition(".")[0] or "api"

    def _operation_id(self, rule, method):
        base = candidate = f"{rule.endpoint}.{method}"
        n = 1
        while candidate in self.operation_ids:
            n += 1
            candidate = f"{base}{n}"
        self.operation_ids.add(candidate)
        return candidate

    # -- generic resources ---------------------------------------------------------------

    def _generic(self, cls, method, rule, action):
        resolved = cls._resolved()
        output = self._ref(resolved["output"])
        parameters, responses = [], {}
        operation = {"parameters": parameters, "responses": responses}
        if action == "list":
            parameters += self._list_parameters(cls)
            responses["200"] = json_body_response(
                "A page of results.", self._page(cls, resolved["output"])
            )
            statuses = [422]
            if cls.pagination_class is not None or rule.arguments:
                statuses.append(404)
        elif action == "retrieve":
            parameters.append(header_parameter("If-None-Match", "An ETag: 304 if it is current."))
            responses["200"] = json_body_response("The object.", output, etag=True)
            responses["304"] = {"description": "Not modified.", "headers": etag_header()}
            statuses = [404]
        elif action == "create":
            operation["requestBody"] = self._body(resolved["create"])
            responses["201"] = json_body_response("Created.", output, etag=True)
            statuses = [400, 409, 415, 422, *([404] if rule.arguments else [])]
        elif action in ("update", "partial_update"):
            schema = resolved["update"]
            parameters.append(if_match_parameter())
            operation["requestBody"] = self._body(
                _partial(schema) if "partial" in action else schema
            )
            responses["200"] = json_body_response("The updated object.", output, etag=True)
            statuses = [400, 404, 409, 412, 415, 422]
        else:  # destroy
            parameters.append(if_match_parameter())
            responses["204"] = {"description": "Deleted."}
            statuses = [404, 409, 412]
        if not _allows_anyone(cls):
            statuses.append(403)
        self.errors.add(responses, statuses)
        operation["security"] = _security(cls, method)
        return operation

    def _list_parameters(self, cls):
        parameters = []
        for paginator in (cls.pagination_class, cls.cursor_pagination_class):
            if paginator is not None:
                parameters += pagination_parameters(paginator, self.app.config)
        parameters += filter_query_parameters(cls.model, cls.filter_fields)
        if cls.ordering_fields:
            parameters.append(ordering_parameter(cls.ordering_fields, cls.ordering))
        if cls.search_fields:
            parameters.append(search_parameter(cls.search_fields))
        unique = {}
        for parameter in parameters:  # `size` is shared by both paginators
            unique.setdefault(parameter["name"], parameter)
        return list(unique.values())

    def _page(self, cls, output):
        item = self._ref(output)
        name = self.converter.schema_name_resolver(output)
        shapes = []
        if cls.pagination_class is not None:
            shapes.append(self._component(f"{name}Page", page_schema(item, keyset=False)))
        if cls.cursor_pagination_class is not None:
            shapes.append(self._component(f"{name}CursorPage", page_schema(item, keyset=True)))
        if not shapes:
            return {"type": "array", "items": item}
        return shapes[0] if len(shapes) == 1 else {"anyOf": shapes}

    def _component(self, name, schema):
        if name not in self.spec.components.schemas:
            self.spec.components.schema(name, schema)
        return {"$ref": f"#/components/schemas/{name}"}

    # -- views decorated with use_schema / marshal_with ------------------------------------

    def _declared(self, rule, declared):
        operation = {"parameters": [], "responses": {}, "security": _OPTIONAL_TOKEN}
        statuses = []
        if "input" in declared:
            schema, location = declared["input"]
            if location == "json":
                operation["requestBody"] = self._body(schema)
                statuses += [400, 415]
            else:
                operation["parameters"] = self.converter.schema2parameters(schema, location="query")
            statuses.append(422)
        if "output" in declared:
            schema, code = declared["output"]
            operation["responses"][str(code)] = json_body_response("Success.", self._ref(schema))
        if rule.arguments:
            statuses.append(404)
        self.errors.add(operation["responses"], statuses)
        return operation

    # -- schemas -----------------------------------------------------------------------------

    def _ref(self, schema):
        return self.converter.resolve_nested_schema(schema)

    def _body(self, schema):
        return {"required": True, "content": {"application/json": {"schema": self._ref(schema)}}}


def _declared(handler):
    found = {}
    if hasattr(handler, "__rest_input__"):
        found["input"] = handler.__rest_input__
    if hasattr(handler, "__rest_output__"):
        found["output"] = handler.__rest_output__
    return found


def _action(cls, method, rule):
    """Which generic action a verb of `cls` performs, from the mixins it binds."""
    if method == "get":
        retrieves = issubclass(cls, RetrieveMixin)
        if retrieves and (not issubclass(cls, ListMixin) or cls.lookup_field in rule.arguments):
            return "retrieve"
        return "list" if issubclass(cls, ListMixin) else None
    mixin, action = {
        "post": (CreateMixin, "create"),
        "put": (UpdateMixin, "update"),
        "patch": (UpdateMixin, "partial_update"),
        "delete": (DestroyMixin, "destroy"),
    }[method]
    return action if issubclass(cls, mixin) else None


def _partial(schema):
    """The same schema with nothing required (PATCH)."""
    instance = _schema_instance(schema)
    return type(instance)(only=instance.only, exclude=instance.exclude, partial=True)


def _allows_anyone(cls):
    return all(permission is AllowAny for permission in cls.permission_classes)


def _security(cls, method):
    if _allows_anyone(cls):
        return _OPTIONAL_TOKEN
    always = (IsAuthenticated, IsStaff, HasModelPermission)
    requires_user = any(
        isinstance(permission, type) and issubclass(permission, always)
        for permission in cls.permission_classes
    )
    return _REQUIRED_TOKEN if method in _WRITE_METHODS or requires_user else _OPTIONAL_TOKEN
