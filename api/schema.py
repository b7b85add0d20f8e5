"""A tiny schema layer: JSON Schema dicts that both validate requests and document them.

A :class:`Model` is a named JSON Schema (the OpenAPI 3.1 dialect, a subset of it). The same
object checks a request body or query string (:func:`validate`, :func:`load_query`) and is
emitted into ``/openapi.json``, so documentation and validation cannot drift apart.

Supported keywords: ``type`` (one name or a list), ``enum``, ``minimum``, ``maximum``,
``minLength``, ``maxLength``, ``pattern``, ``items``, ``minItems``, ``maxItems``,
``properties``, ``required``, ``additionalProperties``, ``maxProperties``,
``propertyNames``, ``dependentRequired``, ``not``, ``anyOf``, ``oneOf``, ``default``. Others
(``description``, ``example``) are documentation only. As JSON Schema says, a number with no
fractional part (``800.0``) is an integer: it is accepted where an integer is wanted and
handed to the view as an ``int``.

A request is first checked by `jsonschema-rs <https://pypi.org/project/jsonschema-rs/>`_, a
full JSON Schema 2020-12 validator (compiled once per model, in Rust) when it is installed (the
``api`` extra brings it): a valid request, the common case, costs what it costs there, 5 to
100 times less than the walk below on the API's models (docs/http.md, "Validation: measured").
Only a request it refuses is walked by :func:`validate`, whose messages (``/lat: is required
with lon``) are the ones clients get; if the walk finds nothing, jsonschema-rs' own messages
are sent, so its verdict always wins. Without jsonschema-rs the walk alone decides.

The models stay plain JSON Schema dicts, one set for validation and for ``/openapi.json``;
the error details and the OpenAPI output are exactly what we want without post-processing
generated schemas.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import Any

__all__ = [
    "Issue",
    "Model",
    "ValidationFailed",
    "array",
    "boolean",
    "integer",
    "load_query",
    "number",
    "obj",
    "string",
    "validate",
]

Schema = dict[str, Any]


@dataclass(frozen=True)
class Issue:
    """One problem with one value: where (a JSON-pointer-like path) and what."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """Return the issue as JSON-ready data."""
        return {"path": self.path, "message": self.message}


class ValidationFailed(Exception):
    """A request did not match its model; ``issues`` says where and why."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(f"{i.path or '/'}: {i.message}" for i in issues))
        self.issues = issues


@dataclass(frozen=True)
class Model:
    """A named schema: validates data and appears in the OpenAPI components.

    Examples
    --------
    >>> m = Model("Point", obj({"x": integer(0, 9)}, required=["x"]))
    >>> m.load({"x": 3})
    {'x': 3}
    """

    name: str
    schema: Schema
    #: The compiled jsonschema-rs validator (False: not installed), made on first use.
    _compiled: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Compiled when the model is declared, so a schema jsonschema-rs refuses (an unknown
        # type, a bad pattern) fails at import, in every test, not at a first request.
        self._fast()

    def _fast(self) -> Any:
        """Return this model's jsonschema-rs validator, or None without jsonschema-rs."""
        compiled = self._compiled
        if compiled is None:
            compiled = _compile(self.schema)
            object.__setattr__(self, "_compiled", compiled)  # frozen: a cache, not state
        return compiled or None

    def load(self, data: Any) -> dict[str, Any]:
        """Validate data against the schema and return it with defaults filled in.

        Parameters
        ----------
        data : Any
            Decoded JSON.

        Returns
        -------
        dict
            A shallow copy of data with missing optional properties set to their defaults.

        Raises
        ------
        ValidationFailed
            If data does not match.
        """
        fast = self._fast()
        if fast is None or not fast.is_valid(data):
            issues = validate(data, self.schema)
            if not issues and fast is not None:  # the full validator's verdict wins
                errors = islice(fast.iter_errors(data), 20)
                issues = [Issue(_pointer(e.instance_path), e.message) for e in errors]
            if issues:
                raise ValidationFailed(issues)
        assert isinstance(data, dict)  # every request model is an object
        return with_defaults(_integers(data, self.schema), self.schema)


def _compile(schema: Schema) -> Any:
    """Return a jsonschema-rs validator for schema (draft 2020-12), or False without it."""
    try:
        import jsonschema_rs
    except ImportError:
        return False
    return jsonschema_rs.validator_for(
        {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    )


def _pointer(parts: Any) -> str:
    """Return a jsonschema-rs instance path (a list of keys and indexes) as ``/a/0``."""
    return "".join(f"/{p}" for p in parts)


# -- schema constructors: short, so models read like declarations ------------------------------
def string(
    min_length: int = 0, max_length: int | None = None, *, pattern: str | None = None, **doc: Any
) -> Schema:
    """Return a string schema."""
    s: Schema = {"type": "string", **doc}
    if min_length:
        s["minLength"] = min_length
    if max_length is not None:
        s["maxLength"] = max_length
    if pattern is not None:
        s["pattern"] = pattern
    return s


def integer(minimum: int | None = None, maximum: int | None = None, **doc: Any) -> Schema:
    """Return an integer schema."""
    s: Schema = {"type": "integer", **doc}
    if minimum is not None:
        s["minimum"] = minimum
    if maximum is not None:
        s["maximum"] = maximum
    return s


def number(**doc: Any) -> Schema:
    """Return a number schema."""
    return {"type": "number", **doc}


def boolean(**doc: Any) -> Schema:
    """Return a boolean schema."""
    return {"type": "boolean", **doc}


def array(items: Schema, min_items: int = 0, max_items: int | None = None, **doc: Any) -> Schema:
    """Return an array schema."""
    s: Schema = {"type": "array", "items": items, **doc}
    if min_items:
        s["minItems"] = min_items
    if max_items is not None:
        s["maxItems"] = max_items
    return s


def obj(
    properties: Mapping[str, Schema],
    required: list[str] | None = None,
    *,
    additional: bool | Schema = False,
    **doc: Any,
) -> Schema:
    """Return an object schema (closed by default: unknown properties are an error)."""
    s: Schema = {"type": "object", "properties": dict(properties), **doc}
    if required:
        s["required"] = list(required)
    s["additionalProperties"] = additional
    return s


# -- validation ------------------------------------------------------------------------------
def _type_ok(value: Any, name: str) -> bool:
    """Return whether value is of the JSON type name (booleans are not numbers)."""
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        if isinstance(value, float):
            return math.isfinite(value) and value.is_integer()
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    if name == "null":
        return value is None
    raise ValueError(f"unknown schema type {name!r}")


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def validate(value: Any, schema: Schema, path: str = "") -> list[Issue]:
    """Return every way value fails schema (an empty list when it matches).

    Parameters
    ----------
    value : Any
        Decoded JSON.
    schema : dict
        A schema built from this module's constructors (or the same keywords by hand).
    path : str
        Where value sits in the document, for the messages.

    Returns
    -------
    list of Issue

    Examples
    --------
    >>> validate({"n": 0}, obj({"n": integer(1)}))
    [Issue(path='/n', message='must be >= 1')]
    """
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_type_ok(value, n) for n in names):
            return [Issue(path, f"must be of type {' or '.join(names)}")]
    issues: list[Issue] = []
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(map(repr, schema["enum"]))
        issues.append(Issue(path, f"must be one of {choices}"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            issues.append(Issue(path, f"must be >= {schema['minimum']}"))
        if "maximum" in schema and value > schema["maximum"]:
            issues.append(Issue(path, f"must be <= {schema['maximum']}"))
    elif isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            issues.append(Issue(path, f"must be at least {schema['minLength']} characters"))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            issues.append(Issue(path, f"must be at most {schema['maxLength']} characters"))
        if "pattern" in schema and not _regex(schema["pattern"]).search(value):
            issues.append(Issue(path, f"must match {schema['pattern']}"))
    elif isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            issues.append(Issue(path, f"must have at least {schema['minItems']} items"))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            issues.append(Issue(path, f"must have at most {schema['maxItems']} items"))
        if "items" in schema:
            for i, item in enumerate(value):
                issues += validate(item, schema["items"], f"{path}/{i}")
                if len(issues) >= 20:  # enough to fix a request; bounded work on huge ones
                    return issues
    elif isinstance(value, dict):
        issues += _validate_object(value, schema, path)
    issues += _combinations(value, schema, path)
    return issues


def _alternatives(schemas: list[Schema]) -> str:
    """Describe subschemas for a message: their required names where that is all they say."""
    if all(set(sub) == {"required"} for sub in schemas):
        return " or ".join(" and ".join(sub["required"]) for sub in schemas)
    return f"{len(schemas)} alternatives"


def _combinations(value: Any, schema: Schema, path: str) -> list[Issue]:
    """Check ``not``, ``anyOf`` and ``oneOf``."""
    issues: list[Issue] = []
    if "not" in schema and not validate(value, schema["not"], path):
        sub = schema["not"]
        if isinstance(value, dict) and set(sub) == {"required"}:
            issues.append(Issue(path, f"must not have {' and '.join(sub['required'])} together"))
        elif "description" in sub:
            issues.append(Issue(path, f"must not be {sub['description']}"))
        else:
            issues.append(Issue(path, "must not match the schema under 'not'"))
    if "anyOf" in schema and not any(not validate(value, s, path) for s in schema["anyOf"]):
        issues.append(Issue(path, f"must have {_alternatives(schema['anyOf'])}"))
    if "oneOf" in schema:
        matched = sum(1 for s in schema["oneOf"] if not validate(value, s, path))
        if matched != 1:
            issues.append(Issue(path, f"must have exactly one of {_alternatives(schema['oneOf'])}"))
    return issues


def _validate_object(value: dict[Any, Any], schema: Schema, path: str) -> list[Issue]:
    """Check an object's properties, required names and extra names."""
    issues: list[Issue] = []
    props: Mapping[str, Schema] = schema.get("properties", {})
    for name in schema.get("required", ()):
        if name not in value:
            issues.append(Issue(f"{path}/{name}", "is required"))
    for name, needs in schema.get("dependentRequired", {}).items():
        if name in value:
            issues += [
                Issue(f"{path}/{n}", f"is required with {name}") for n in needs if n not in value
            ]
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        issues.append(Issue(path, f"must have at most {schema['maxProperties']} properties"))
    extra = schema.get("additionalProperties", True)
    names = schema.get("propertyNames")
    for key, item in value.items():
        where = f"{path}/{key}"
        if names is not None:
            issues += [Issue(where, f"name {m.message}") for m in validate(key, names, where)]
        if key in props:
            issues += validate(item, props[key], where)
        elif extra is False:
            issues.append(Issue(where, "is not allowed"))
        elif isinstance(extra, dict):
            issues += validate(item, extra, where)
        if len(issues) >= 20:
            break
    return issues


def _integers(data: Any, schema: Schema) -> Any:
    """Return data with every integral float where the schema wants an integer made an int."""
    if schema.get("type") == "integer" and isinstance(data, float):
        return int(data)
    if isinstance(data, dict) and "properties" in schema:
        props = schema["properties"]
        return {k: _integers(v, props[k]) if k in props else v for k, v in data.items()}
    items = schema.get("items")
    if isinstance(data, list) and isinstance(items, dict) and _mentions_integer(items):
        return [_integers(v, items) for v in data]
    return data


def _mentions_integer(schema: Any) -> bool:
    """Return whether an integer type appears anywhere in schema (else no int to make)."""
    if isinstance(schema, dict):
        kind = schema.get("type")
        if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
            return True
        return any(_mentions_integer(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_mentions_integer(v) for v in schema)
    return False


def with_defaults(data: dict[str, Any], schema: Schema) -> dict[str, Any]:
    """Return a copy of data with each missing property that has a default set to it."""
    out = dict(data)
    for name, prop in schema.get("properties", {}).items():
        if name not in out and "default" in prop:
            out[name] = prop["default"]
    return out


# -- query strings -----------------------------------------------------------------------------
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def _coerce(raw: str, schema: Schema) -> Any:
    """Turn one query-string value into the JSON type its schema wants, if it can."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            try:
                return int(raw, 10)
            except ValueError:
                number = float(raw)  # "800.0" is an integer too (and "8e2")
                return int(number) if math.isfinite(number) and number.is_integer() else raw
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw  # validation then reports the wrong type
    if kind == "boolean":
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    return raw


def load_query(model: Model, args: Mapping[str, str]) -> dict[str, Any]:
    """Validate a query string against an object model and return typed values.

    Parameters
    ----------
    model : Model
        An object schema whose properties are the query parameters.
    args : mapping of str to str
        The query string (first value of each name).

    Returns
    -------
    dict
        Typed values, defaults filled in.

    Raises
    ------
    ValidationFailed
        For an unknown parameter or a value of the wrong type or range.

    Examples
    --------
    >>> q = Model("Q", obj({"limit": integer(1, 50, default=10)}))
    >>> load_query(q, {"limit": "5"})
    {'limit': 5}
    >>> load_query(q, {})
    {'limit': 10}
    """
    key = (id(model), tuple(args.items()))
    hit = _LOADED.get(key)
    if hit is not None and hit[0] is model:
        return dict(hit[1])  # a copy: the view may change its own
    props: Mapping[str, Schema] = model.schema.get("properties", {})
    typed = {k: _coerce(v, props[k]) if k in props else v for k, v in args.items()}
    loaded = model.load(typed)
    if len(_LOADED) >= _LOADED_MAX:
        _LOADED.clear()
    _LOADED[key] = (model, dict(loaded))
    return loaded


# Valid query strings already loaded, by model: a query string's checks and defaults are a
# pure function of it, and clients send the same few again and again ("limit=10"): about
# 20 µs of a suggestions request. Bounded; only valid ones are kept (a refusal is redone).
_LOADED: dict[tuple[int, tuple[tuple[str, str], ...]], tuple[Model, dict[str, Any]]] = {}
_LOADED_MAX = 1024
