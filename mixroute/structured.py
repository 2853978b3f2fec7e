"""Turn a pydantic model or a JSON schema into the request's ``response_format``, strict-ready.

The documented structured-output body is::

    {"type": "json_schema",
     "json_schema": {"name": "Answer", "schema": {"type": "object", ...}}}

:func:`response_format_for` builds it from a schema, :func:`normalize_response_format`
accepts whatever a user passed as ``response_format`` and :func:`to_strict_json_schema`
rewrites a schema to the subset OpenAI-style strict mode accepts (every object closed,
every property required, optional ones nullable). The tool builders in
:mod:`mixroute.tools` reuse the same schema helpers.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any, Literal, TypeAlias, TypeGuard

import pydantic

from mixroute.errors import InvalidRequestError

__all__ = [
    "NAME_PATTERN",
    "SchemaLike",
    "copy_json",
    "describe_value",
    "is_model_class",
    "json_answer_instruction",
    "json_schema_of",
    "normalize_response_format",
    "response_format_for",
    "schema_name",
    "strip_code_fence",
    "to_strict_json_schema",
]

SchemaLike: TypeAlias = type[pydantic.BaseModel] | Mapping[str, Any]
"""A pydantic model class or a JSON schema dict."""

NAME_PATTERN = re.compile(r"[a-zA-Z0-9_-]{1,64}")
"""What a response-format or function name must fully match (use ``fullmatch``)."""

_DEFAULT_NAME = "response"
_FORMAT_TYPES = ("json_schema", "json_object", "text")
_ACCEPTED_FORMATS = (
    "response_format must be a pydantic model class, a JSON schema dict, an already-formed "
    "{'type': 'json_schema', 'json_schema': {'name': ..., 'schema': {...}}} / "
    "{'type': 'json_object'} / {'type': 'text'} dict, or the string 'json_object' or 'text'"
)
# Keys whose values map names to schemas, and keys whose values are data, not schemas.
_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
_DATA_KEYWORDS = frozenset({"default", "enum", "const", "examples"})
_DEFS_KEYS = ("$defs", "definitions")
_VARIANT_KEYS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCALAR_TYPES = frozenset({"string", "number", "integer", "boolean"})
_SCALARS = (str, int, float, type(None))


def copy_json(value: Any) -> Any:
    """Deep-copy a JSON-like value; mappings become dicts and tuples lists.

    About twice as fast as :func:`copy.deepcopy` on schemas, which matters because a
    schema is copied on every request so that callers' dicts are never mutated.
    """
    if isinstance(value, _SCALARS):  # checked first: most values are, and it is cheap
        return value
    if isinstance(value, dict | Mapping):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [copy_json(item) for item in value]
    return value


def is_model_class(value: object) -> TypeGuard[type[pydantic.BaseModel]]:
    """Whether ``value`` is a pydantic model class (not an instance)."""
    return isinstance(value, type) and issubclass(value, pydantic.BaseModel)


def describe_value(value: object) -> str:
    """Name what ``value`` is, for an error message: ``"a list"``, ``"the class Foo"``."""
    if isinstance(value, type):
        return f"the class {value.__qualname__}"
    return f"a {type(value).__name__}"


def json_schema_of(schema: SchemaLike) -> dict[str, Any]:
    """Return the JSON schema of a pydantic model class, or a deep copy of a schema dict.

    For a model this is ``model_json_schema()`` with pydantic's generated ``title``
    keywords removed (they repeat the class and field names and cost prompt tokens) and
    a root ``$ref`` (recursive models) inlined so that the root is an object schema.
    Pass ``Model.model_json_schema()`` itself to keep the titles. The result is always a
    fresh dict the caller may mutate.

    >>> class Answer(pydantic.BaseModel):
    ...     summary: str
    >>> json_schema_of(Answer)
    {'properties': {'summary': {'type': 'string'}}, 'required': ['summary'], 'type': 'object'}
    """
    if is_model_class(schema):
        result: dict[str, Any] = copy_json(_model_schema(schema))
        return result
    if isinstance(schema, Mapping):
        result = copy_json(schema)
        return result
    raise _not_a_schema(schema)


def schema_name(schema: SchemaLike, name: str | None = None) -> str:
    """Return the name to send for ``schema``, made to match ``^[a-zA-Z0-9_-]{1,64}$``.

    An explicit ``name`` wins, else the model's class name or the schema's ``"title"``,
    else ``"response"``. Other characters become ``_`` (``Page[int]`` -> ``Page_int``).
    """
    if name is None:
        if is_model_class(schema):
            name = schema.__name__
        elif isinstance(schema, Mapping):
            title = schema.get("title")
            name = title if isinstance(title, str) else _DEFAULT_NAME
        else:
            raise _not_a_schema(schema)
    cleaned = re.sub(r"[^a-zA-Z0-9_-]+", "_", name).strip("_")[:64]
    return cleaned or _DEFAULT_NAME


def to_strict_json_schema(schema: Mapping[str, Any], *, in_place: bool = False) -> dict[str, Any]:
    """Rewrite ``schema`` to the subset that OpenAI-style strict mode accepts.

    Every object gets ``additionalProperties: false`` and all its properties in
    ``required``; properties that were optional become nullable (``"null"`` added to a
    scalar ``type``, else an ``anyOf`` with ``{"type": "null"}``). The rules recurse
    through ``properties``, ``items``, ``prefixItems``, ``anyOf``/``oneOf``/``allOf``
    and ``$defs``/``definitions``; a single-entry ``allOf`` is inlined, a ``$ref`` with
    sibling keys is expanded, and ``default`` is dropped (strict mode rejects the keyword,
    and with every property required it could never apply).

    The input is copied unless ``in_place`` is true (for a dict the caller already owns).
    An object that allows additional properties (``dict[str, X]`` in pydantic) cannot be
    strict: :class:`InvalidRequestError` names where it is.
    """
    if not isinstance(schema, Mapping):
        raise InvalidRequestError(
            f"a strict schema must be a JSON schema dict, got {describe_value(schema)}"
        )
    root: dict[str, Any] = schema if in_place and isinstance(schema, dict) else copy_json(schema)
    _StrictPass(root).visit(root, ())
    return root


def response_format_for(
    schema: SchemaLike | None = None,
    *,
    method: Literal["json_schema", "json_object"] = "json_schema",
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
) -> dict[str, Any]:
    """Build the ``response_format`` request field for ``schema``.

    ``method="json_schema"`` gives ``{"type": "json_schema", "json_schema": {"name",
    "description"?, "schema", "strict"?}}``, the schema made strict when ``strict`` is
    true; ``"strict"`` is sent only when given. ``method="json_object"`` gives
    ``{"type": "json_object"}`` (plain JSON mode; ``schema`` is ignored).

    >>> response_format_for({"type": "object"}, name="Empty", strict=False)["json_schema"]
    {'name': 'Empty', 'schema': {'type': 'object'}, 'strict': False}
    """
    if method == "json_object":
        return {"type": "json_object"}
    if method != "json_schema":
        raise InvalidRequestError(f"method must be 'json_schema' or 'json_object', got {method!r}")
    if schema is None:
        raise InvalidRequestError(
            "method='json_schema' needs a schema: pass a pydantic model class or a JSON "
            "schema dict, or use method='json_object' for free-form JSON"
        )
    body = json_schema_of(schema)
    if strict:
        to_strict_json_schema(body, in_place=True)
    spec: dict[str, Any] = {"name": schema_name(schema, name)}
    if description is not None:
        spec["description"] = description
    spec["schema"] = body
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}


def json_answer_instruction(schema: Mapping[str, Any] | None) -> str:
    """The instruction that asks for JSON in the prompt (JSON mode), with the schema if any.

    Both the core's emulated ``response_format`` and the adapters' ``json_mode`` method
    put it in the system prompt, since a model in JSON mode sees no schema otherwise.

    >>> json_answer_instruction(None)
    'Answer with a single JSON object and nothing else.'
    """
    ask = "Answer with a single JSON object and nothing else."
    if schema is None:
        return ask
    return f"{ask} It must match this JSON schema:\n{json.dumps(schema, ensure_ascii=False)}"


def strip_code_fence(text: str) -> str:
    r"""The JSON inside a Markdown code fence, as models in JSON mode sometimes answer.

    Text that is not fenced comes back stripped of surrounding blanks.

    >>> strip_code_fence('```json\n{"a": 1}\n```')
    '{"a": 1}'
    """
    stripped = text.strip()
    if not stripped.startswith("```") or not stripped.endswith("```"):
        return stripped
    inner = stripped[3:-3]
    newline = inner.find("\n")
    return (inner[newline + 1 :] if newline >= 0 else inner).strip()


def normalize_response_format(value: object, *, strict: bool | None = None) -> dict[str, Any]:
    """Turn a user's ``response_format`` argument into the request field.

    Accepted: a pydantic model class or a JSON schema dict (built with
    :func:`response_format_for`); an already-formed ``{"type": "json_schema", ...}``,
    ``{"type": "json_object"}`` or ``{"type": "text"}`` dict (checked, then copied); the
    strings ``"json_object"`` and ``"text"``. A given ``strict`` overrides the one in a
    formed dict, and a strict ``json_schema`` always has its schema made strict.
    """
    if isinstance(value, str):
        if value in ("json_object", "text"):
            return {"type": value}
        raise InvalidRequestError(f"{_ACCEPTED_FORMATS}; got the string {value!r}")
    if is_model_class(value):
        return response_format_for(value, strict=strict)
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind == "json_schema":
            return _checked_json_schema_format(value, strict)
        if kind in _FORMAT_TYPES:
            formed: dict[str, Any] = copy_json(value)
            return formed
        return response_format_for(value, strict=strict)
    raise InvalidRequestError(f"{_ACCEPTED_FORMATS}; got {describe_value(value)}")


def _checked_json_schema_format(value: Mapping[str, Any], strict: bool | None) -> dict[str, Any]:
    spec = value.get("json_schema")
    if not isinstance(spec, Mapping):
        raise InvalidRequestError(
            "a {'type': 'json_schema'} response_format needs a 'json_schema' object with "
            "'name' and 'schema'"
        )
    name = spec.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InvalidRequestError(
            f"response_format json_schema.name must match ^[a-zA-Z0-9_-]{{1,64}}$, got {name!r}"
        )
    if not isinstance(spec.get("schema"), Mapping):
        raise InvalidRequestError(
            f"response_format json_schema.schema must be a JSON schema dict, "
            f"got {describe_value(spec.get('schema'))}"
        )
    result: dict[str, Any] = copy_json(value)
    formed = result["json_schema"]
    if strict is not None:
        formed["strict"] = strict
    if formed.get("strict") is True:
        to_strict_json_schema(formed["schema"], in_place=True)
    return result


@functools.lru_cache(maxsize=512)
def _model_schema(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    # Cached because generating a schema costs about a millisecond; callers get copies.
    try:
        schema = model.model_json_schema()
    except pydantic.PydanticUserError as exc:
        raise InvalidRequestError(
            f"cannot build a JSON schema for {model.__name__}: {exc}"
        ) from exc
    _strip_titles(schema)
    _inline_root_ref(schema)
    return schema


def _strip_titles(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _strip_titles(item)
        return
    if not isinstance(node, dict):
        return
    node.pop("title", None)
    for key, value in node.items():
        if key in _NAME_MAPS and isinstance(value, dict):
            for sub in value.values():
                _strip_titles(sub)
        elif key not in _DATA_KEYWORDS:
            _strip_titles(value)


def _inline_root_ref(schema: dict[str, Any]) -> None:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = schema.get("$defs", {}).get(ref.removeprefix("#/$defs/"))
        if isinstance(target, dict):
            del schema["$ref"]
            merged = {**copy_json(target), **schema}
            schema.clear()
            schema.update(merged)


class _StrictPass:
    """One in-place strict rewrite of a schema; ``root`` is where ``$ref`` resolves."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        # The refs being inlined or visited along the current path; a $ref to one of them
        # is recursive. The root counts as visited from the start.
        self.expanding: set[str] = {"#"}

    def visit(self, node: dict[str, Any], path: tuple[str, ...]) -> None:
        for key in _DEFS_KEYS:
            defs = node.get(key)
            if isinstance(defs, dict):
                self._visit_defs(defs, (*path, key))
        _inline_single_all_of(node)
        expanded = self._expand_ref(node, path)
        node.pop("default", None)
        if _is_object(node):
            self._close_object(node, path)
        items = node.get("items")
        if isinstance(items, dict):
            self.visit(items, (*path, "items"))
        for key in _VARIANT_KEYS:
            variants = node.get(key)
            if isinstance(variants, list):
                for index, sub in enumerate(variants):
                    if isinstance(sub, dict):
                        self.visit(sub, (*path, key, str(index)))
        self.expanding.difference_update(expanded)

    def _visit_defs(self, defs: dict[str, Any], path: tuple[str, ...]) -> None:
        for name, sub in defs.items():
            if isinstance(sub, dict):
                ref = _where((*path, name))
                self.expanding.add(ref)
                self.visit(sub, (*path, name))
                self.expanding.discard(ref)

    def _expand_ref(self, node: dict[str, Any], path: tuple[str, ...]) -> list[str]:
        expanded: list[str] = []
        while isinstance(ref := node.get("$ref"), str) and len(node) > 1:
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            if ref in self.expanding or ref in expanded:
                # A recursive model: inlining again would never end, so keep the ref
                # under a one-variant anyOf, which may carry sibling keys.
                node.clear()
                node.update({"anyOf": [{"$ref": ref}], **siblings})
                break
            target = copy_json(self._resolve(ref, path))  # before clear: node may be inside
            node.clear()
            node.update({**target, **siblings})
            expanded.append(ref)
        self.expanding.update(expanded)
        return expanded

    def _resolve(self, ref: str, path: tuple[str, ...]) -> dict[str, Any]:
        target: Any = None
        if ref == "#" or ref.startswith("#/"):
            target = self.root
            for part in ref[2:].split("/") if ref != "#" else ():
                key = part.replace("~1", "/").replace("~0", "~")
                target = target.get(key) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            raise InvalidRequestError(
                f"cannot resolve $ref {ref!r} at {_where(path)}: only local refs into the "
                "schema itself (like '#/$defs/Name') are supported"
            )
        return target

    def _close_object(self, node: dict[str, Any], path: tuple[str, ...]) -> None:
        extra = node.get("additionalProperties")
        if extra is not None and extra is not False:
            raise InvalidRequestError(
                f"strict mode needs fixed keys, but the object at {_where(path)} allows "
                f"additional properties ({json.dumps(extra)}): describe its keys as properties "
                "(a nested pydantic model instead of dict[str, ...]) or pass strict=False"
            )
        node["additionalProperties"] = False
        properties = node.get("properties")
        if not isinstance(properties, dict):
            return
        required = node.get("required")
        was_required = set(required) if isinstance(required, list) else set()
        for key, sub in properties.items():
            if isinstance(sub, dict):
                self.visit(sub, (*path, "properties", key))
                if key not in was_required:
                    properties[key] = _nullable(sub)
        node["required"] = list(properties)


def _inline_single_all_of(node: dict[str, Any]) -> None:
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        del node["allOf"]
        siblings = dict(node)
        node.update(all_of[0])
        node.update(siblings)


def _is_object(node: Mapping[str, Any]) -> bool:
    kind = node.get("type")
    if kind is None:
        return "properties" in node
    return kind == "object" or (isinstance(kind, list) and "object" in kind)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if _accepts_null(schema):
        return schema
    kind = schema.get("type")
    fixed_values = "enum" in schema or "const" in schema
    if not fixed_values and isinstance(kind, list):
        schema["type"] = [*kind, "null"]
        return schema
    if not fixed_values and isinstance(kind, str) and kind in _SCALAR_TYPES:
        schema["type"] = [kind, "null"]
        return schema
    variants = schema.get("anyOf")
    if isinstance(variants, list) and kind is None:
        variants.append({"type": "null"})
        return schema
    wrapper: dict[str, Any] = {"anyOf": [schema, {"type": "null"}]}
    if "description" in schema:
        wrapper["description"] = schema.pop("description")
    return wrapper


def _accepts_null(schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    enum = schema.get("enum")
    if isinstance(enum, list) and None in enum:
        return True
    variants = schema.get("anyOf")
    return isinstance(variants, list) and any(
        isinstance(variant, Mapping) and _accepts_null(variant) for variant in variants
    )


def _where(path: tuple[str, ...]) -> str:
    return "/".join(("#", *path)) if path else "the schema root"


def _not_a_schema(value: object) -> InvalidRequestError:
    hint = ""
    if isinstance(value, pydantic.BaseModel):
        hint = f" (pass the class {type(value).__name__} itself, not an instance)"
    return InvalidRequestError(
        f"expected a pydantic model class or a JSON schema dict, got {describe_value(value)}{hint}"
    )
