"""A value for a JSON schema, made deterministically, and JSON schemas found in prompt text.

The vendor gateway (:mod:`support.vendor_gateway`) answers structured requests with
:func:`value_for`; a test validates the same function's value for its own schema as the
result it expects. The value depends on property names, types, enums and ``$ref``
targets only, never on titles or descriptions, so that a schema rewritten by a framework
(titles stripped, references inlined) gives the same value.

>>> value_for({"type": "object", "properties": {"city": {"type": "string"}}})
{'city': 'city-value'}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["schemas_in_text", "value_for"]

NUMBER = 21.5
INTEGER = 42


def value_for(schema: Mapping[str, Any], *, key: str = "value") -> Any:
    """A value that matches ``schema``: every property filled, one item per array.

    Strings are ``"<key>-value"``, numbers 21.5, integers 42, booleans true, an enum its
    first member; a ``$ref`` is followed into ``$defs`` (or ``definitions``); of
    ``anyOf``/``oneOf`` the first branch that is not ``null`` is taken.
    """
    return _value(schema, schema, key, depth=0)


def _value(schema: Mapping[str, Any], root: Mapping[str, Any], key: str, depth: int) -> Any:
    if depth > 20:
        raise ValueError("schema nests deeper than 20 levels (a recursive $ref?)")
    if "$ref" in schema:
        return _value(_resolve(schema["$ref"], root), root, key, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        branches = [b for b in schema.get(combinator, ()) if b.get("type") != "null"]
        if branches:
            return _value(branches[0], root, key, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        properties: Mapping[str, Any] = schema.get("properties", {})
        return {name: _value(sub, root, name, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        item = _value(schema.get("items", {"type": "string"}), root, key, depth + 1)
        return [item] * count
    if kind == "string":
        return f"{key}-value"
    if kind == "integer":
        return int(schema.get("minimum", INTEGER)) if "minimum" in schema else INTEGER
    if kind == "number":
        return NUMBER
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return f"{key}-value"


def _resolve(ref: str, root: Mapping[str, Any]) -> Mapping[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref values are supported, got {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node  # type: ignore[no-any-return]


def schemas_in_text(text: str) -> list[dict[str, Any]]:
    """Every JSON object in ``text`` that looks like a JSON schema (it has ``properties``).

    A schema written with doubled braces (``{{"type": ...}}``, as a prompt template's
    escaping leaves it, which LlamaIndex's text programs send) is read as a model would.
    """
    found = _schemas(text)
    if not found and "{{" in text:
        found = _schemas(text.replace("{{", "{").replace("}}", "}"))
    return found


def _schemas(text: str) -> list[dict[str, Any]]:
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    index = text.find("{")
    while index != -1:
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            index = text.find("{", index + 1)
            continue
        if isinstance(value, dict) and isinstance(value.get("properties"), dict):
            found.append(value)
        index = text.find("{", end)
    return found
