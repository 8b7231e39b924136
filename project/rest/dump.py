"""Compile a marshmallow schema's dump into one generated function.

`schema.dump(obj)` walks every field through several layers of calls on every
object. A schema's fields do not change, so we walk them once and generate
`def dump(o): return {"id": o.id, "title": o.title, ...}`. Plain fields of the
types below become an attribute read (plus `.isoformat()` for datetimes);
nested schemas become calls to their own compiled dumpers; every other field
(Method, Function, custom ones) calls that field's own `serialize`, so the
output is what `schema.dump` gives. A schema with dump hooks (`pre_dump`,
`post_dump`) is not compiled: its dumper is `schema.dump`.

The equivalence is checked in tests/project/rest/test_dump.py.
"""

import itertools
import weakref

from marshmallow import Schema, fields

from .fields import RelatedCount

#: Field classes whose dump of a value of the right type is the value itself.
_identity_types = {fields.String: str, fields.Integer: int, fields.Boolean: bool}

_cache = weakref.WeakKeyDictionary()
_counter = itertools.count()


def dumper_for(schema):
    """The compiled dump function of a schema instance (built once, then cached)."""
    try:
        return _cache[schema]
    except KeyError:
        _cache[schema] = dump = _compile(schema)
        return dump


def has_dump_hooks(schema):
    hooks = getattr(schema, "_hooks", {})
    return any(hooks.get(name) for name in ("pre_dump", "post_dump"))


def _value_expression(field, field_name, source, namespace):
    """Python source for the dumped value of `field` read from `source`, or None."""
    kind = _identity_types.get(type(field))
    if kind is not None and not getattr(field, "as_string", False):
        # The identity holds only for values already of the field's type.
        kind_name = _register(namespace, kind)
        return (
            f"(_v if (_v := {source}) is None or type(_v) is {kind_name} "
            f"else {field_name}._serialize(_v, None, None))"
        )
    if type(field) is fields.DateTime and field.format in (None, "iso"):
        return f"(None if (_v := {source}) is None else _v.isoformat())"
    return None


def _register(namespace, value):
    name = f"_n{next(_counter)}"
    namespace[name] = value
    return name


def _compile(schema):
    if not isinstance(schema, Schema) or has_dump_hooks(schema):
        return schema.dump
    namespace = {"_schema_dump": schema.dump}
    items = []
    for name, field in schema.dump_fields.items():
        key = field.data_key or name
        attr = field.attribute or name
        field_name = _register(namespace, field)
        if isinstance(field, RelatedCount) or not attr.isidentifier():
            expression = f"{field_name}.serialize({name!r}, o)"
        elif isinstance(field, fields.Pluck) and field.many:
            inner = field.schema.fields[field.field_name]
            inner_attr = inner.attribute or field.field_name
            expression = (
                f"(None if (_c := o.{attr}) is None else [_x.{inner_attr} for _x in _c])"
                if inner_attr.isidentifier()
                else f"{field_name}.serialize({name!r}, o)"
            )
        elif (
            type(field) is fields.Nested
            and not isinstance(field.nested, str)
            and not has_dump_hooks(field.schema)  # hooks see the whole value: marshmallow's path
        ):
            nested_dump = _register(namespace, dumper_for(field.schema))
            if field.many:
                expression = (
                    f"(None if (_c := o.{attr}) is None else [{nested_dump}(_x) for _x in _c])"
                )
            else:
                expression = f"(None if (_r := o.{attr}) is None else {nested_dump}(_r))"
        else:
            expression = _value_expression(field, field_name, f"o.{attr}", namespace)
            if expression is None:
                expression = f"{field_name}.serialize({name!r}, o)"
        items.append(f"            {key!r}: {expression},")
    # Dicts, and objects lacking an attribute (marshmallow then omits the key),
    # take the schema's own path.
    source = (
        "def dump(o):\n"
        "    if type(o) is dict:\n"
        "        return _schema_dump(o)\n"
        "    try:\n"
        "        return {\n" + "\n".join(items) + "\n        }\n"
        "    except AttributeError:\n"
        "        return _schema_dump(o)\n"
    )
    exec(compile(source, f"<dump {type(schema).__name__}>", "exec"), namespace)  # noqa: S102
    dump = namespace["dump"]
    dump.source = source
    return dump
