"""Filtering, ordering and search, from what a resource declares.

    filter_fields = {"status": ["eq", "in"], "created_at": ["gte", "lte"],
                     "tag": Filter("tags.name", ["eq"])}
    ordering_fields = ["created_at", "title"]
    search_fields = ["title", "body"]

`?status=published`, `?created_at__gte=2026-01-01`, `?tag=python`,
`?ordering=-created_at,title`, `?search=two words`. Only what is declared is
accepted; anything else is a 422 naming the parameter. Values are parsed to
the column's type and always reach SQL as bound parameters.
"""

import datetime as dt

import sqlalchemy as sa

from project.errors import ValidationError

OPERATORS = {
    "eq": lambda column, value: column == value,
    "ne": lambda column, value: column != value,
    "lt": lambda column, value: column < value,
    "lte": lambda column, value: column <= value,
    "gt": lambda column, value: column > value,
    "gte": lambda column, value: column >= value,
    "in": lambda column, values: column.in_(values),
    "contains": lambda column, value: column.contains(value, autoescape=True),
    "isnull": lambda column, value: column.is_(None) if value else column.is_not(None),
}

MAX_IN_VALUES = 100
MAX_SEARCH_LENGTH = 200
MAX_SEARCH_WORDS = 10
_BIG = 2**63 - 1


class Filter:
    """A filter on a column, or across a relationship with a dotted path ("tags.name")."""

    def __init__(self, path, operators=("eq",)):
        self.path = path
        self.operators = list(operators)
        unknown = set(self.operators) - set(OPERATORS)
        if unknown:
            raise ValueError(f"Unknown filter operators {sorted(unknown)}; use {sorted(OPERATORS)}")

    def resolve(self, model):
        """(column, wrap) where wrap turns a condition on the column into one on `model`."""
        parts = self.path.split(".")
        if len(parts) == 1:
            return _column(model, parts[0]), lambda condition: condition
        if len(parts) == 2:
            relationship = getattr(model, parts[0], None)
            prop = getattr(relationship, "property", None)
            if not isinstance(prop, sa.orm.RelationshipProperty):
                raise ValueError(f"{model.__name__}.{parts[0]} is not a relationship")
            column = _column(prop.mapper.class_, parts[1])
            if prop.uselist:
                return column, relationship.any
            return column, relationship.has
        raise ValueError(f"Filter path {self.path!r} is deeper than one relationship")


def _column(model, name):
    attribute = getattr(model, name, None)
    if (
        attribute is None
        or not hasattr(attribute, "property")
        or not isinstance(attribute.property, sa.orm.ColumnProperty)
    ):
        raise ValueError(f"{model.__name__} has no column {name!r}")
    return attribute


def normalize_filters(filter_fields):
    return {
        name: spec if isinstance(spec, Filter) else Filter(name, spec)
        for name, spec in (filter_fields or {}).items()
    }


def filter_parameters(filters):
    """{query parameter: (filter name, operator)} for every declared filter."""
    parameters = {}
    for name, spec in filters.items():
        for operator in spec.operators:
            parameters[name if operator == "eq" else f"{name}__{operator}"] = (name, operator)
    return parameters


def parse_value(column, raw):
    """Parse `raw` to the Python type of `column`; ValueError says what is wrong."""
    sql_type = column.type
    python_type = _python_type(sql_type)
    if python_type is bool:
        lowered = raw.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise ValueError("must be true or false")
    if python_type is int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError("must be an integer") from None
        if not -_BIG <= value <= _BIG:
            raise ValueError("is out of range")
        return value
    if python_type is float:
        try:
            return float(raw)
        except ValueError:
            raise ValueError("must be a number") from None
    if python_type is dt.datetime:
        return _parse_datetime(raw)
    if python_type is dt.date:
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise ValueError("must be a date (YYYY-MM-DD)") from None
    length = getattr(sql_type, "length", None)
    if length and len(raw) > length:
        raise ValueError(f"is longer than {length} characters")
    return raw


def _python_type(sql_type):
    impl = getattr(sql_type, "impl", sql_type)
    try:
        return impl.python_type
    except NotImplementedError:
        return str


def _parse_datetime(raw):
    try:
        if len(raw) == 10:
            value = dt.datetime.combine(dt.date.fromisoformat(raw), dt.time())
        else:
            value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO 8601 date or date-time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def apply_filters(query, model, filters, args):
    """Add a WHERE clause per filter parameter present in `args`; collect errors."""
    parameters = filter_parameters(filters)
    errors = {}
    for parameter, (name, operator) in parameters.items():
        if parameter not in args:
            continue
        column, wrap = filters[name].resolve(model)
        raws = args.getlist(parameter)
        if len(raws) > 1:
            errors[parameter] = ["Give this parameter once."]
            continue
        try:
            value = _operand(column, operator, raws[0])
        except ValueError as exc:
            errors[parameter] = [f"{parameter} {exc}."]
            continue
        query = query.where(wrap(OPERATORS[operator](column, value)))
    if errors:
        raise ValidationError(errors, "Invalid filter.")
    return query


def _operand(column, operator, raw):
    if operator == "in":
        parts = [part for part in raw.split(",") if part != ""]
        if not parts or len(parts) > MAX_IN_VALUES:
            raise ValueError(f"must list 1 to {MAX_IN_VALUES} comma-separated values")
        return [parse_value(column, part) for part in parts]
    if operator == "isnull":
        return parse_value(sa.Column(sa.Boolean), raw)
    if operator == "contains":
        return parse_value(sa.Column(sa.String), raw)
    return parse_value(column, raw)


def apply_ordering(query, model, ordering_fields, default, raw):
    """ORDER BY the requested fields (or the default), then the primary key, for stable pages."""
    if raw is None:
        names = list(default or [])
    else:
        names = [name.strip() for name in raw.split(",") if name.strip()]
        allowed = set(ordering_fields or [])
        unknown = [name for name in names if name.lstrip("-") not in allowed]
        if unknown or not names:
            choices = ", ".join(sorted(allowed)) or "none"
            refused = ", ".join(unknown) or "nothing"
            raise ValidationError(
                {"ordering": [f"Cannot order by {refused}; choose from: {choices}."]},
                "Invalid ordering.",
            )
    clauses = []
    primary_key = sa.inspect(model).primary_key[0]
    has_pk = False
    for name in names:
        column = _column(model, name.lstrip("-"))
        has_pk = has_pk or column.property.columns[0] is primary_key
        clauses.append(column.desc() if name.startswith("-") else column.asc())
    if not has_pk:
        descending = bool(names) and names[-1].startswith("-")
        clauses.append(primary_key.desc() if descending else primary_key.asc())
    return query.order_by(*clauses)


def apply_search(query, model, search_fields, raw):
    """Every word must appear in at least one search field (LIKE, escaped, bound)."""
    if raw is None or not search_fields:
        return query
    if len(raw) > MAX_SEARCH_LENGTH:
        raise ValidationError(
            {"search": [f"Search text is limited to {MAX_SEARCH_LENGTH} characters."]}
        )
    words = raw.split()[:MAX_SEARCH_WORDS]
    columns = [_column(model, name) for name in search_fields]
    for word in words:
        query = query.where(sa.or_(*(column.contains(word, autoescape=True) for column in columns)))
    return query
