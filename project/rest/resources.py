"""Generic resources in DRF's shape, on flask-restful's `Resource`.

    class ArticleList(ListCreateResource):
        model = Article
        schema = ArticleSchema
        create_schema = ArticleCreateSchema
        permission_classes = [IsAuthenticatedOrReadOnly]
        filter_fields = {"author_id": ["eq"], "created_at": ["gte", "lte"]}
        ordering_fields = ["created_at", "title"]
        search_fields = ["title", "body"]

A base class of declarations plus `get_*()` methods that return them, mixins
that are not bound to HTTP verbs, and concrete classes that bind `get`,
`post`, `put`, `patch`, `delete`. Side effects belong in `perform_create`,
`perform_update` and `perform_destroy`: they change the session and do not
commit. The mixin then commits and answers (`commit_and_answer`): on MySQL
it flushes, builds the response inside the same transaction and commits
once, so a write costs one connection checkout and one transaction; on
SQLite, whose write lock covers the whole database, it commits first. A hook
that commits by itself still works; its response is then read in a
transaction of its own.

Reads go through a `ReadPlan` (rows, no ORM objects, constant queries). An
update reads its object through the same plan, adopts the row into the
session as an ordinary ORM object (object permissions and the flush see a
real object) and answers from that read (`plan.Prior`); other writes load
their object with `get_object`.
"""

import sqlalchemy as sa
from flask import current_app, request
from flask_restful import Resource
from sqlalchemy.orm.exc import StaleDataError

from project import direct_flush
from project.errors import APIError
from project.extensions import db

from .conditional import bump_version, etag_for, not_modified, require_match, version_of
from .dump import dumper_for
from .filters import (
    apply_filters,
    apply_ordering,
    apply_search,
    filter_parameters,
    normalize_filters,
)
from .io import json_body, json_response, load
from .pagination import PageNumberPagination
from .permissions import IsAuthenticatedOrReadOnly, deny
from .plan import ReadPlan

_RESERVED = {"ordering", "search"}


class GenericResource(Resource):
    #: The SQLAlchemy model served.
    model = None
    #: The schema for everything, unless a per-use-case schema below is set.
    schema = None
    #: Input of POST; defaults to `schema`.
    create_schema = None
    #: Input of PUT/PATCH; defaults to `create_schema`, then `schema`.
    update_schema = None
    #: Output of every method; defaults to `schema`.
    output_schema = None
    #: Model attribute matched against the URL variable of the same name.
    lookup_field = "id"
    #: Checked before every method, and per object by `get_object`.
    permission_classes = [IsAuthenticatedOrReadOnly]
    #: Page-number pagination; None serves the whole list.
    pagination_class = PageNumberPagination
    #: Keyset pagination used when the request carries `?cursor=`; None disables it.
    cursor_pagination_class = None
    #: `{"field": ["eq", "gte", ...]}` or `{"name": Filter("relation.column", [...])}`.
    filter_fields = {}
    #: Fields `?ordering=` may name (prefix `-` for descending).
    ordering_fields = []
    #: Default ordering, e.g. `["-created_at"]`; the primary key always breaks ties.
    ordering = None
    #: Columns `?search=` looks in.
    search_fields = []

    _cache = None

    # -- declarations, resolved once per class ---------------------------------

    @classmethod
    def _resolved(cls):
        cache = cls.__dict__.get("_cache")
        if cache is None:
            assert cls.model is not None, f"{cls.__name__} must set `model`"
            assert cls.schema is not None or cls.output_schema is not None, (
                f"{cls.__name__} must set `schema` (or `output_schema`)"
            )
            output = _instance(cls.output_schema or cls.schema)
            create = _instance(cls.create_schema or cls.schema)
            update = _instance(cls.update_schema or cls.create_schema or cls.schema)
            filters = normalize_filters(cls.filter_fields)
            cache = {
                "output": output,
                "create": create,
                "update": update,
                "plan": ReadPlan(cls.model, output),
                "filters": filters,
                "filter_parameters": filter_parameters(filters),
            }
            cls._cache = cache
        return cache

    def get_output_schema(self):
        return self._resolved()["output"]

    def get_create_schema(self):
        return self._resolved()["create"]

    def get_update_schema(self):
        return self._resolved()["update"]

    def get_plan(self):
        return self._resolved()["plan"]

    def get_permissions(self):
        return [permission() for permission in self.permission_classes]

    # -- the request ------------------------------------------------------------

    def dispatch_request(self, *args, **kwargs):
        self.check_permissions()
        return super().dispatch_request(*args, **kwargs)

    def check_permissions(self):
        for permission in self.get_permissions():
            if not permission.has_permission(request, self):
                deny(request, self, permission)

    def check_object_permissions(self, obj):
        for permission in self.get_permissions():
            if not permission.has_object_permission(request, self, obj):
                deny(request, self, permission, obj)

    # -- queries ------------------------------------------------------------------

    def get_query(self):
        """The entity query every read starts from; override to narrow it."""
        return sa.select(self.model)

    def filter_query(self, query):
        """Apply the declared filters, search and ordering from the query string."""
        resolved = self._resolved()
        query = apply_filters(query, self.model, resolved["filters"], request.args)
        query = apply_search(query, self.model, self.search_fields, request.args.get("search"))
        return apply_ordering(
            query, self.model, self.ordering_fields, self.ordering, request.args.get("ordering")
        )

    def allowed_parameters(self):
        allowed = set(self._resolved()["filter_parameters"])
        if self.ordering_fields:
            allowed.add("ordering")
        if self.search_fields:
            allowed.add("search")
        for paginator in (self.pagination_class, self.cursor_pagination_class):
            if paginator is not None:
                allowed |= paginator.parameters()
        return allowed

    def check_parameters(self):
        unknown = sorted(set(request.args) - self.allowed_parameters())
        if unknown:
            raise APIError(
                422,
                "validation_error",
                "Unknown query parameter.",
                fields={name: ["Unknown query parameter."] for name in unknown},
            )

    def lookup_value(self, kwargs):
        return kwargs[self.lookup_field]

    def lookup_query(self, kwargs):
        """The entity query for the one object the URL names."""
        column = getattr(self.model, self.lookup_field)
        return self.get_query().where(column == self.lookup_value(kwargs))

    def plan_lookup(self, kwargs):
        """`(query, lookup)` for the plan's one-object reads of the object the URL names.

        With the default `lookup_query`, the plan adds the lookup condition
        itself (`ReadPlan.fetch_one`), which is cheaper per request; an
        overridden `lookup_query` is used as it is.
        """
        if type(self).lookup_query is not GenericResource.lookup_query:
            return self.lookup_query(kwargs), None
        column = getattr(self.model, self.lookup_field)
        return self.get_query(), (self.lookup_field, column, self.lookup_value(kwargs))

    def not_found(self):
        return APIError(404, "not_found", f"No {self.model.__name__.lower()} matches that id.")

    def get_object(self, **kwargs):
        """The object the URL names, after its object permissions; else 404.

        Only its row is loaded: a write needs that (and object permissions read
        it); relationships load if something reads them. Responses to writes are
        read back through the plan (`written_response`), not from this object.
        """
        obj = db.session.scalars(self.lookup_query(kwargs).limit(1)).first()
        if obj is None:
            raise self.not_found()
        self.check_object_permissions(obj)
        return obj

    def get_object_for_write(self, **kwargs):
        """(object, prior) for a write: the object as `get_object` gives it, and a `Prior` or None.

        With the default `get_object` and a schema the plan can read, the
        object is read through the plan and adopted into the session, and the
        write is answered from that read (`Prior.body_after`) instead of a
        second one. An overridden `get_object` is always used as it is.
        """
        plan = self.get_plan()
        if not plan.plannable or type(self).get_object is not GenericResource.get_object:
            return self.get_object(**kwargs), None
        prior = plan.read_for_write(*self.plan_lookup(kwargs))
        if prior is None:
            raise self.not_found()
        self.check_object_permissions(prior.obj)
        return prior.obj, prior

    # -- output -------------------------------------------------------------------

    def dump(self, obj):
        return dumper_for(self.get_output_schema())(obj)

    def etag(self, obj, body=None):
        """The object's ETag: its version, else a hash of its JSON."""
        if body is None and version_of(obj) is None:
            body = json_response(self.dump(obj)).get_data()
        return etag_for(obj, body)

    def object_response(self, obj, status=200):
        response = json_response(self.dump(obj), status)
        response.set_etag(self.etag(obj, response.get_data()))
        return response

    def written_response(self, obj, kwargs, status=200, prior=None):
        """The object as just written: from the read before the write, else read back.

        `commit_and_answer` calls it after the flush: before the commit on
        MySQL (on the transaction's own connection, so it sees the write and
        costs no second checkout), after it on SQLite. With a `prior` read of
        `obj` the answer is that read updated by the write (no statement
        unless a to-many relationship changed). Otherwise the object is read
        back through the plan, which is cheaper than eager-loading its
        relationships before the write; and when the schema has no plan or the
        object left the resource's query, `obj` itself is dumped.
        """
        if prior is not None and prior.obj is obj:
            body = prior.body_after()
            if body is not None:
                response = json_response(body, status)
                response.set_etag(self.etag(obj, response.get_data()))
                return response
        plan = self.get_plan()
        if plan.plannable:
            body, snapshot = plan.fetch_one(*self.plan_lookup(kwargs))
            if body is not None:
                response = json_response(body, status)
                response.set_etag(self.etag(snapshot, response.get_data()))
                return response
        return self.object_response(obj, status)


def commit_and_answer(answer):
    """Commit the write and build its response with `answer()`, in the cheaper order.

    Where writers lock rows (MySQL, PostgreSQL), the answer is read first, on
    the transaction's own connection: one checkout and one transaction per
    write. SQLite locks the whole database from a transaction's first write to
    its commit, and a writer that finds it locked sleeps before it tries
    again, so there the write commits first and the answer is read after.
    """
    direct_flush.flush(db.session)
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.commit()
        return answer()
    response = answer()
    db.session.commit()
    return response


def _instance(schema):
    return schema() if isinstance(schema, type) else schema


class ListMixin:
    def list(self):
        self.check_parameters()
        plan = self.get_plan()
        query = self.get_query()
        fetch = plan.fetch if plan.plannable else plan.fetch_objects
        if self.cursor_pagination_class is not None and "cursor" in request.args:
            query = self.filter_query(query)
            body = self.cursor_pagination_class().paginate(query, self.model, fetch)
            return json_response(body)
        query = self.filter_query(query)
        if self.pagination_class is None:
            return json_response(fetch(query))
        return json_response(self.pagination_class().paginate(query, self.model, fetch))


class CreateMixin:
    def create(self):
        data = load(self.get_create_schema(), json_body())
        obj = self.perform_create(data)
        return commit_and_answer(lambda: self.object_response(obj, 201))

    def perform_create(self, data):
        """Add the new object to the session (no commit: `create` commits after answering)."""
        obj = self.model(**data)
        db.session.add(obj)
        return obj


class RetrieveMixin:
    def retrieve(self, **kwargs):
        plan = self.get_plan()
        if not plan.plannable:
            response = self.object_response(self.get_object(**kwargs))
        else:
            body, snapshot = plan.fetch_one(*self.plan_lookup(kwargs))
            if body is None:
                raise self.not_found()
            self.check_object_permissions(snapshot)
            response = json_response(body)
            response.set_etag(self.etag(snapshot, response.get_data()))
        etag, _ = response.get_etag()
        if not_modified(etag):
            not_modified_response = current_app.response_class(status=304)
            not_modified_response.set_etag(etag)
            return not_modified_response
        return response


class UpdateMixin:
    def update(self, partial=False, **kwargs):
        obj, prior = self.get_object_for_write(**kwargs)
        self.check_precondition(obj)
        data = load(self.get_update_schema(), json_body(), partial=partial)
        try:
            obj = self.perform_update(obj, data)
            bump_version(obj)
            if prior is not None:
                prior.note_changes(db.session)
            direct_flush.flush(db.session)
        except StaleDataError:
            db.session.rollback()
            raise _lost_race() from None
        return commit_and_answer(lambda: self.written_response(obj, kwargs, prior=prior))

    def perform_update(self, obj, data):
        """Apply `data` to the object (no commit: `update` commits after answering)."""
        for key, value in data.items():
            setattr(obj, key, value)
        return obj

    def check_precondition(self, obj):
        """If-Match: 412 unless the client holds the current version."""
        if request.if_match:
            require_match(self.etag(obj))


class DestroyMixin:
    def destroy(self, **kwargs):
        obj = self.get_object(**kwargs)
        self.check_precondition(obj)
        try:
            self.perform_destroy(obj)
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            raise _lost_race() from None
        return json_response(None, 204)

    def perform_destroy(self, obj):
        """Delete the object in the session (no commit: `destroy` commits)."""
        db.session.delete(obj)

    check_precondition = UpdateMixin.check_precondition


def _lost_race():
    status = 412 if request.if_match else 409
    return APIError(
        status,
        "precondition_failed" if status == 412 else "conflict",
        "Someone else changed this resource at the same time. Fetch it again and retry.",
    )


class ListResource(ListMixin, GenericResource):
    def get(self):
        return self.list()


class ListCreateResource(ListMixin, CreateMixin, GenericResource):
    def get(self):
        return self.list()

    def post(self):
        return self.create()


class RetrieveResource(RetrieveMixin, GenericResource):
    def get(self, **kwargs):
        return self.retrieve(**kwargs)


class RetrieveUpdateResource(RetrieveMixin, UpdateMixin, GenericResource):
    def get(self, **kwargs):
        return self.retrieve(**kwargs)

    def put(self, **kwargs):
        return self.update(**kwargs)

    def patch(self, **kwargs):
        return self.update(partial=True, **kwargs)


class RetrieveUpdateDestroyResource(DestroyMixin, RetrieveUpdateResource):
    def delete(self, **kwargs):
        return self.destroy(**kwargs)
