"""Class-based page views: Django's ListView and DetailView on Flask's MethodView.

    class ArticleListPage(ListView):
        resource = ArticleList          # render what GET /api/articles serves
        paginate_by = 10

    class ArticleDetailPage(DetailView):
        resource = ArticleDetail
        slug_field = "slug"

    pages.add_url_rule("/", view_func=ArticleListPage.as_view("list"))
    pages.add_url_rule("/<slug>/", view_func=ArticleDetailPage.as_view("detail"))

A view names either a `model` (it reads ORM objects) or a REST `resource`
(it reads through the resource: the same query, visibility rule, permissions,
filters, ordering, pagination and output schema, so the page shows exactly
the dicts the API returns).

Templates are found by convention: `<app_label>/<model>_list.html` and
`<app_label>/<model>_detail.html`, e.g. `articles/article_list.html`. Flask
looks in the project's `project/templates/` first, then in each blueprint's
template folder in registration (INSTALLED_APPS) order; so an app keeps its
templates under `templates/<app_label>/`, where no other app's names collide,
and `manage.py check` warns when a project template hides one of them.
"""

import math
from dataclasses import dataclass
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import abort, render_template, request
from flask.views import MethodView

from .db import app_label_of
from .extensions import db
from .rest.filters import apply_ordering

_BIGINT = 2**63 - 1


@dataclass
class Page:
    """One page of a list, the same whichever way it was read."""

    items: list
    number: int
    size: int
    total: int | None
    pages: int | None
    next_url: str | None
    previous_url: str | None

    @property
    def has_other_pages(self):
        return bool(self.next_url or self.previous_url)


class _ModelView(MethodView):
    #: The SQLAlchemy model shown; taken from `resource.model` when a resource is set.
    model = None
    #: A `project.rest.GenericResource` to read through: its query, visibility,
    #: permissions and output schema. Items are then dicts, as the API serves them.
    resource = None
    #: The template; by default `<app_label>/<model>_<suffix>.html`.
    template_name = None
    #: What the template calls the object(s) besides `object` / `object_list`.
    context_object_name = None
    template_suffix = ""
    _resource = None

    def get_model(self):
        model = self.model or getattr(self.resource, "model", None)
        assert model is not None, f"{type(self).__name__} must set `model` or `resource`"
        return model

    def get_resource(self):
        """A resource instance for this request, its permissions checked (401/403 as in the API)."""
        if self.resource is None:
            return None
        resource = self.resource()
        resource.check_permissions()
        return resource

    def get_query(self):
        """The entity query the view reads from; the resource's when there is one."""
        if self._resource is not None:
            return self._resource.get_query()
        return sa.select(self.get_model())

    def get_template_names(self):
        if self.template_name:
            return [self.template_name]
        model = self.get_model()
        return [
            f"{app_label_of(model.__module__)}/{model.__name__.lower()}{self.template_suffix}.html"
        ]

    def get_context_data(self, **context):
        return context

    def render(self, context):
        return render_template(self.get_template_names(), **context)

    def dispatch_request(self, *args, **kwargs):
        self._resource = self.get_resource()
        return super().dispatch_request(*args, **kwargs)


class ListView(_ModelView):
    """A list page: `object_list` (and `<model>_list`), plus `page` when paginated."""

    template_suffix = "_list"
    #: Items per page; None shows the whole list. With a resource, `?size=` may change it.
    paginate_by = None
    #: Default ordering without a resource, e.g. `["-created_at"]` (the resource's otherwise).
    ordering = None

    def get(self, **kwargs):
        page = self.paginate() if self.paginate_by else None
        items = page.items if page is not None else self.read_all()
        name = self.context_object_name or f"{self.get_model().__name__.lower()}_list"
        context = {"object_list": items, name: items, "page": page, "view": self}
        return self.render(self.get_context_data(**context))

    def read_all(self):
        if self._resource is not None:
            return _resource_rows(self._resource, self._resource.filter_query(self.get_query()))
        return db.session.scalars(self._ordered(self.get_query())).all()

    def paginate(self):
        """The requested page (`?page=`); 404 past the last page, as the API."""
        resource = self._resource
        if resource is not None and resource.pagination_class is not None:
            paginator = resource.pagination_class()
            paginator.default_size = self.paginate_by
            query = resource.filter_query(self.get_query())
            plan = resource.get_plan()
            fetch = plan.fetch if plan.plannable else plan.fetch_objects
            body = paginator.paginate(query, resource.model, fetch)
            return Page(
                body["items"],
                body["page"],
                body["size"],
                body["total"],
                body["pages"],
                body["next"],
                body["previous"],
            )
        return self._paginate_objects()

    def _paginate_objects(self):
        number = request.args.get("page", 1, type=int)
        if number < 1:
            abort(404)
        if self._resource is not None:
            query = self._resource.filter_query(self.get_query())
        else:
            query = self._ordered(self.get_query())
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        )
        pages = max(math.ceil(total / self.paginate_by), 1)
        if number > pages:
            abort(404)
        offset = (number - 1) * self.paginate_by
        items = db.session.scalars(query.limit(self.paginate_by).offset(offset)).all()
        if self._resource is not None:
            items = [self._resource.dump(item) for item in items]
        return Page(
            items,
            number,
            self.paginate_by,
            total,
            pages,
            _page_url(number + 1) if number < pages else None,
            _page_url(number - 1) if number > 1 else None,
        )

    def _ordered(self, query):
        model = self.get_model()
        return apply_ordering(query, model, [], self.ordering, None)


class DetailView(_ModelView):
    """One object, found by slug (`slug_field` / `slug_url_kwarg`) or by primary key; else 404."""

    template_suffix = "_detail"
    #: The model attribute matched against the URL's slug.
    slug_field = "slug"
    #: The URL variable holding the slug.
    slug_url_kwarg = "slug"
    #: The URL variable holding the primary key (used when the URL has no slug).
    pk_url_kwarg = "pk"

    def get(self, **kwargs):
        self.object = self.get_object(**kwargs)
        name = self.context_object_name or self.get_model().__name__.lower()
        context = {"object": self.object, name: self.object, "view": self}
        return self.render(self.get_context_data(**context))

    def not_found(self):
        name = self.get_model().__name__.lower()
        abort(404, f"There is no {name} at this address.")

    def get_object(self, **kwargs):
        model = self.get_model()
        if self.slug_url_kwarg in kwargs:
            column, value = getattr(model, self.slug_field), kwargs[self.slug_url_kwarg]
        elif self.pk_url_kwarg in kwargs:
            column, value = sa.inspect(model).primary_key[0], kwargs[self.pk_url_kwarg]
        else:
            raise AssertionError(
                f"{type(self).__name__} is routed without <{self.slug_url_kwarg}> or "
                f"<{self.pk_url_kwarg}>; set slug_url_kwarg or pk_url_kwarg to the URL variable"
            )
        if isinstance(value, int) and not -_BIGINT <= value <= _BIGINT:
            self.not_found()  # no row has it, and SQLite cannot even bind it
        query = self.get_query().where(column == value)
        resource = self._resource
        if resource is None:
            found = db.session.scalars(query.limit(1)).first()
            if found is None:
                self.not_found()
            return found
        objects = resource.get_plan().load_objects(query)
        if not objects:
            self.not_found()
        resource.check_object_permissions(objects[0])
        return resource.dump(objects[0])


def resource_items(resource, query=None):
    """Every row `resource` would list for `query` (default: its own), as the API dumps them,
    in the resource's default ordering: e.g. an article's comments on its page."""
    instance = resource() if isinstance(resource, type) else resource
    query = instance.get_query() if query is None else query
    query = apply_ordering(query, instance.model, instance.ordering_fields, instance.ordering, None)
    return _resource_rows(instance, query)


def _resource_rows(resource, query):
    plan = resource.get_plan()
    return plan.fetch(query) if plan.plannable else plan.fetch_objects(query)


def _page_url(number):
    args = request.args.to_dict(flat=False)
    args["page"] = [str(number)]
    return f"{request.path}?{urlencode(args, doseq=True)}"
