"""Specification of mixroute.structured: schemas into `response_format`, and strict mode."""

from __future__ import annotations

import copy
import enum
from typing import Any, Generic, Literal, TypeVar

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mixroute.errors import InvalidRequestError
from mixroute.structured import (
    copy_json,
    json_schema_of,
    normalize_response_format,
    response_format_for,
    schema_name,
    to_strict_json_schema,
)

# The structured-output body documented in mixroute-api.md / the vendor seed.
DOCUMENTED_RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "Answer",
        "schema": {
            "type": "object",
            "properties": {"summary": {"type": "string"}},
            "required": ["summary"],
        },
    },
}


class Answer(pydantic.BaseModel):
    summary: str


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Address(pydantic.BaseModel):
    """A postal address."""

    street: str
    city: str = pydantic.Field(description="City name")


class Person(pydantic.BaseModel):
    """A person."""

    name: str
    age: int | None = None
    nickname: str = "x"
    color: Color
    home: Address = pydantic.Field(description="Where they live")
    work: Address | None = None
    past: list[Address] = []
    kind: Literal["a", "b"] = "a"


class Node(pydantic.BaseModel):
    value: int
    child: Node | None = None
    first: Node = pydantic.Field(description="always there")


class Scores(pydantic.BaseModel):
    scores: dict[str, int]


T = TypeVar("T")


class Page(pydantic.BaseModel, Generic[T]):
    items: list[T]


# --- the documented example ---------------------------------------------------------------


def test_documented_answer_model_gives_the_documented_body() -> None:
    assert response_format_for(Answer) == DOCUMENTED_RESPONSE_FORMAT
    assert normalize_response_format(Answer) == DOCUMENTED_RESPONSE_FORMAT


def test_documented_schema_dict_gives_the_documented_body() -> None:
    schema = DOCUMENTED_RESPONSE_FORMAT["json_schema"]["schema"]  # type: ignore[index]
    assert response_format_for(schema, name="Answer") == DOCUMENTED_RESPONSE_FORMAT
    assert response_format_for({**schema, "title": "Answer"})["json_schema"]["name"] == "Answer"


def test_documented_body_passes_through_normalize_as_a_copy() -> None:
    result = normalize_response_format(DOCUMENTED_RESPONSE_FORMAT)
    assert result == DOCUMENTED_RESPONSE_FORMAT
    assert (
        result["json_schema"]["schema"]
        is not (
            DOCUMENTED_RESPONSE_FORMAT["json_schema"]["schema"]  # type: ignore[index]
        )
    )


# --- json_schema_of -----------------------------------------------------------------------


def test_model_schema_drops_generated_titles_and_keeps_descriptions() -> None:
    schema = json_schema_of(Person)
    assert "title" not in schema
    assert schema["description"] == "A person."
    assert schema["properties"]["name"] == {"type": "string"}
    assert schema["$defs"]["Address"]["description"] == "A postal address."
    assert schema["$defs"]["Address"]["properties"]["city"] == {
        "description": "City name",
        "type": "string",
    }
    assert schema["$defs"]["Color"] == {"enum": ["red", "green"], "type": "string"}


def test_title_stripping_spares_property_names_and_data() -> None:
    class Book(pydantic.BaseModel):
        title: str
        meta: dict[str, str] = {"title": "kept"}

    schema = json_schema_of(Book)
    assert schema["properties"]["title"] == {"type": "string"}
    assert schema["required"] == ["title"]
    assert schema["properties"]["meta"]["default"] == {"title": "kept"}


def test_recursive_model_root_is_an_object_schema() -> None:
    schema = json_schema_of(Node)
    assert schema["type"] == "object"
    assert "$ref" not in schema
    assert schema["properties"]["first"]["$ref"] == "#/$defs/Node"


def test_every_call_returns_a_fresh_copy() -> None:
    first = json_schema_of(Person)
    first["properties"]["name"]["type"] = "changed"
    assert json_schema_of(Person)["properties"]["name"] == {"type": "string"}


def test_schema_dict_is_deep_copied() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    result = json_schema_of(schema)
    assert result == schema
    assert result["properties"] is not schema["properties"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Answer(summary="x"), "pass the class Answer itself"),
        (42, "got a int"),
        ("Answer", "got a str"),
        (dict, "got the class dict"),
    ],
)
def test_json_schema_of_rejects_other_values(value: object, expected: str) -> None:
    with pytest.raises(
        InvalidRequestError, match="pydantic model class or a JSON schema dict"
    ) as e:
        json_schema_of(value)  # type: ignore[arg-type]
    assert expected in str(e.value)


def test_a_model_pydantic_cannot_describe_is_an_invalid_request() -> None:
    class Later(pydantic.BaseModel):
        other: Undefined  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(InvalidRequestError, match="cannot build a JSON schema for Later"):
        json_schema_of(Later)


def test_copy_json_copies_nested_mappings_and_sequences() -> None:
    source = {"a": [{"b": (1, 2)}], "c": "d"}
    copied = copy_json(source)
    assert copied == {"a": [{"b": [1, 2]}], "c": "d"}
    assert copied["a"][0] is not source["a"][0]


# --- schema_name --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "name", "expected"),
    [
        (Answer, None, "Answer"),
        (Answer, "Final", "Final"),
        ({"title": "Weather Report"}, None, "Weather_Report"),
        ({"type": "object"}, None, "response"),
        ({"title": 3}, None, "response"),
        (Page[int], None, "Page_int"),
        (Answer, "my.name/v2", "my_name_v2"),
        (Answer, "日本語", "response"),
        (Answer, "x" * 80, "x" * 64),
    ],
)
def test_schema_name(schema: Any, name: str | None, expected: str) -> None:
    assert schema_name(schema, name) == expected


def test_schema_name_rejects_a_non_schema() -> None:
    with pytest.raises(InvalidRequestError, match="JSON schema dict"):
        schema_name([1, 2])  # type: ignore[arg-type]


# --- to_strict_json_schema ----------------------------------------------------------------


def test_strict_closes_objects_and_requires_every_property() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a"],
    }
    assert to_strict_json_schema(schema) == {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": ["integer", "null"]}},
        "required": ["a", "b"],
        "additionalProperties": False,
    }


def test_strict_pydantic_model_field_by_field() -> None:
    strict = to_strict_json_schema(json_schema_of(Person))
    props = strict["properties"]
    assert strict["additionalProperties"] is False
    assert strict["required"] == [
        "name",
        "age",
        "nickname",
        "color",
        "home",
        "work",
        "past",
        "kind",
    ]
    assert props["name"] == {"type": "string"}
    # Optional[int] = None: already nullable, only the None default goes.
    assert props["age"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    # A defaulted scalar becomes nullable; its default goes too.
    assert props["nickname"] == {"type": ["string", "null"]}
    # A bare $ref stays a ref; the def it points at is made strict.
    assert props["color"] == {"$ref": "#/$defs/Color"}
    # A $ref with a sibling description is expanded, the sibling winning.
    assert props["home"] == {
        "description": "Where they live",
        "properties": {
            "street": {"type": "string"},
            "city": {"description": "City name", "type": "string"},
        },
        "required": ["street", "city"],
        "type": "object",
        "additionalProperties": False,
    }
    assert props["work"] == {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}]}
    assert props["past"] == {
        "anyOf": [{"items": {"$ref": "#/$defs/Address"}, "type": "array"}, {"type": "null"}]
    }
    assert props["kind"] == {"anyOf": [{"enum": ["a", "b"], "type": "string"}, {"type": "null"}]}
    assert strict["$defs"]["Address"]["additionalProperties"] is False
    assert strict["$defs"]["Address"]["required"] == ["street", "city"]


def test_strict_recurses_into_items_variants_and_definitions() -> None:
    closed = {"additionalProperties": False, "required": ["x"]}
    obj = {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]}
    schema = {
        "type": "object",
        "properties": {
            "list": {"type": "array", "items": obj},
            "tuple": {"type": "array", "prefixItems": [obj]},
            "either": {"anyOf": [obj, {"type": "string"}]},
            "one": {"oneOf": [obj]},
            "both": {"allOf": [obj, obj]},
        },
        "required": ["list", "tuple", "either", "one", "both"],
        "definitions": {"Legacy": obj},
    }
    strict = to_strict_json_schema(schema)
    props = strict["properties"]
    for node in (
        props["list"]["items"],
        props["tuple"]["prefixItems"][0],
        props["either"]["anyOf"][0],
        props["one"]["oneOf"][0],
        props["both"]["allOf"][1],
        strict["definitions"]["Legacy"],
    ):
        assert node.items() >= closed.items()


def test_single_all_of_is_inlined_with_siblings_winning() -> None:
    schema = {
        "$defs": {"Inner": {"type": "object", "description": "inner", "properties": {}}},
        "type": "object",
        "properties": {"p": {"allOf": [{"$ref": "#/$defs/Inner"}], "description": "outer"}},
        "required": ["p"],
    }
    assert to_strict_json_schema(schema)["properties"]["p"] == {
        "type": "object",
        "description": "outer",
        "properties": {},
        "additionalProperties": False,
        "required": [],
    }


def test_defaults_are_dropped_but_a_property_named_default_is_kept() -> None:
    schema = {
        "type": "object",
        "properties": {"default": {"type": "string", "default": "x"}},
        "required": ["default"],
    }
    assert to_strict_json_schema(schema)["properties"] == {"default": {"type": "string"}}


@pytest.mark.parametrize(
    ("optional", "nullable"),
    [
        ({"type": "boolean"}, {"type": ["boolean", "null"]}),
        ({"type": ["string", "integer"]}, {"type": ["string", "integer", "null"]}),
        ({"type": ["string", "null"]}, {"type": ["string", "null"]}),
        ({"enum": ["a", None]}, {"enum": ["a", None]}),
        (
            {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
        ),
        (
            {"type": "string", "enum": ["a"], "description": "d"},
            {"anyOf": [{"type": "string", "enum": ["a"]}, {"type": "null"}], "description": "d"},
        ),
        ({"const": 1}, {"anyOf": [{"const": 1}, {"type": "null"}]}),
        (
            {"type": "array", "items": {"type": "string"}},
            {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]},
        ),
    ],
)
def test_optional_properties_become_nullable(
    optional: dict[str, Any], nullable: dict[str, Any]
) -> None:
    schema = {"type": "object", "properties": {"p": optional}}
    assert to_strict_json_schema(schema)["properties"]["p"] == nullable


def test_object_without_type_but_with_properties_is_closed() -> None:
    strict = to_strict_json_schema({"properties": {"a": {"type": "string"}}})
    assert strict["additionalProperties"] is False
    assert strict["required"] == ["a"]


def test_recursive_model_terminates_and_keeps_self_references() -> None:
    strict = to_strict_json_schema(json_schema_of(Node))
    node_def = strict["$defs"]["Node"]
    assert node_def["properties"]["first"] == {
        "anyOf": [{"$ref": "#/$defs/Node"}],
        "description": "always there",
    }
    assert node_def["properties"]["child"] == {
        "anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]
    }
    assert strict["required"] == ["value", "child", "first"]


def test_strict_does_not_mutate_its_input() -> None:
    schema = json_schema_of(Person)
    before = copy.deepcopy(schema)
    to_strict_json_schema(schema)
    assert schema == before


def test_in_place_rewrites_the_given_dict() -> None:
    schema: dict[str, Any] = {"type": "object", "properties": {}}
    assert to_strict_json_schema(schema, in_place=True) is schema
    assert schema["additionalProperties"] is False


def test_strict_is_idempotent_on_a_model() -> None:
    once = to_strict_json_schema(json_schema_of(Person))
    assert to_strict_json_schema(once) == once


def test_dict_field_cannot_be_strict_and_the_path_is_named() -> None:
    with pytest.raises(InvalidRequestError, match=r"#/properties/scores") as e:
        to_strict_json_schema(json_schema_of(Scores))
    assert "strict=False" in str(e.value)


def test_open_object_in_defs_is_named_by_its_def() -> None:
    schema = {"$defs": {"Open": {"type": "object", "additionalProperties": True}}}
    with pytest.raises(InvalidRequestError, match=r"#/\$defs/Open allows additional"):
        to_strict_json_schema(schema)


def test_open_root_is_named_as_the_root() -> None:
    with pytest.raises(InvalidRequestError, match="the schema root"):
        to_strict_json_schema({"type": "object", "additionalProperties": {}})


def test_unresolvable_ref_is_an_invalid_request() -> None:
    schema = {"properties": {"p": {"$ref": "#/$defs/Missing", "description": "d"}}}
    with pytest.raises(InvalidRequestError, match=r"cannot resolve \$ref '#/\$defs/Missing'"):
        to_strict_json_schema(schema)


def test_remote_ref_is_an_invalid_request() -> None:
    schema = {"properties": {"p": {"$ref": "https://example.com/p.json", "description": "d"}}}
    with pytest.raises(InvalidRequestError, match="only local refs"):
        to_strict_json_schema(schema)


def test_a_root_self_reference_stays_a_ref() -> None:
    schema = {
        "type": "object",
        "properties": {"next": {"$ref": "#", "description": "more"}},
        "required": ["next"],
    }
    next_ = to_strict_json_schema(schema)["properties"]["next"]
    assert next_ == {"anyOf": [{"$ref": "#"}], "description": "more"}


def test_strict_rejects_a_non_mapping() -> None:
    with pytest.raises(InvalidRequestError, match="must be a JSON schema dict"):
        to_strict_json_schema(Person)  # type: ignore[arg-type]


_leaf = st.sampled_from(
    [{"type": "string"}, {"type": "integer"}, {"enum": ["a", "b"]}, {"type": "null"}]
)
_schemas = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.builds(
            lambda props, required: {
                "type": "object",
                "properties": props,
                "required": [key for key in props if key in required],
            },
            st.dictionaries(st.sampled_from(["a", "b", "title", "default"]), inner, max_size=3),
            st.sets(st.sampled_from(["a", "b", "title", "default"])),
        ),
        st.builds(lambda items: {"type": "array", "items": items}, inner),
        st.builds(lambda variants: {"anyOf": variants}, st.lists(inner, min_size=1, max_size=3)),
    ),
    max_leaves=12,
)


def _objects(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for item in node for found in _objects(item)]
    if not isinstance(node, dict):
        return []
    own = [node] if node.get("type") == "object" else []
    return own + [found for value in node.values() for found in _objects(value)]


@given(_schemas)
def test_strict_invariants_hold_for_generated_schemas(schema: dict[str, Any]) -> None:
    before = copy.deepcopy(schema)
    strict = to_strict_json_schema(schema)
    assert schema == before
    for obj in _objects(strict):
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj["properties"])
    assert to_strict_json_schema(strict) == strict


# --- response_format_for ------------------------------------------------------------------


def test_strict_response_format_carries_a_strict_schema() -> None:
    result = response_format_for(Answer, strict=True, description="The answer")
    assert result == {
        "type": "json_schema",
        "json_schema": {
            "name": "Answer",
            "description": "The answer",
            "schema": {
                "properties": {"summary": {"type": "string"}},
                "required": ["summary"],
                "type": "object",
                "additionalProperties": False,
            },
            "strict": True,
        },
    }


def test_non_strict_response_format_says_so_and_leaves_the_schema() -> None:
    result = response_format_for(Person, strict=False)
    assert result["json_schema"]["strict"] is False
    assert result["json_schema"]["schema"] == json_schema_of(Person)


def test_explicit_name_is_sanitised() -> None:
    assert response_format_for(Answer, name="my answer")["json_schema"]["name"] == "my_answer"


def test_json_object_method_ignores_the_schema() -> None:
    assert response_format_for(Answer, method="json_object") == {"type": "json_object"}
    assert response_format_for(method="json_object") == {"type": "json_object"}


def test_json_schema_method_needs_a_schema() -> None:
    with pytest.raises(InvalidRequestError, match=r"needs a schema.*method='json_object'"):
        response_format_for()


def test_unknown_method_is_rejected() -> None:
    with pytest.raises(InvalidRequestError, match="'json_schema' or 'json_object'"):
        response_format_for(Answer, method="tool_calling")  # type: ignore[arg-type]


def test_response_format_does_not_mutate_a_schema_dict() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    before = copy.deepcopy(schema)
    response_format_for(schema, strict=True)
    assert schema == before


# --- normalize_response_format ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["json_object", "text"])
def test_mode_strings_and_dicts_pass(kind: str) -> None:
    assert normalize_response_format(kind) == {"type": kind}
    assert normalize_response_format({"type": kind}) == {"type": kind}


def test_a_plain_schema_dict_is_wrapped() -> None:
    schema = {"title": "Answer", "type": "object", "properties": {}}
    result = normalize_response_format(schema, strict=True)
    assert result["json_schema"]["name"] == "Answer"
    assert result["json_schema"]["strict"] is True
    assert result["json_schema"]["schema"]["additionalProperties"] is False


def test_strict_argument_overrides_a_formed_dict() -> None:
    formed = {"type": "json_schema", "json_schema": {"name": "A", "schema": {"type": "object"}}}
    result = normalize_response_format(formed, strict=True)
    assert result["json_schema"] == {
        "name": "A",
        "schema": {"type": "object", "additionalProperties": False},
        "strict": True,
    }
    assert "strict" not in formed["json_schema"]
    off = normalize_response_format(
        {**formed, "json_schema": {"name": "A", "schema": {}, "strict": True}}, strict=False
    )
    assert off["json_schema"]["strict"] is False


def test_a_formed_strict_dict_gets_its_schema_made_strict() -> None:
    formed = {
        "type": "json_schema",
        "json_schema": {
            "name": "A",
            "strict": True,
            "schema": {"type": "object", "properties": {"x": {"type": "string"}}},
        },
    }
    schema = normalize_response_format(formed)["json_schema"]["schema"]
    assert schema["required"] == ["x"]
    assert schema["properties"]["x"] == {"type": ["string", "null"]}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"type": "json_schema"}, "needs a 'json_schema' object with 'name' and 'schema'"),
        ({"type": "json_schema", "json_schema": {"schema": {}}}, r"name must match .* got None"),
        (
            {"type": "json_schema", "json_schema": {"name": "a b", "schema": {}}},
            r"name must match \^\[a-zA-Z0-9_-\]\{1,64\}\$, got 'a b'",
        ),
        (
            {"type": "json_schema", "json_schema": {"name": "a", "schema": "{}"}},
            "schema must be a JSON schema dict, got a str",
        ),
        ("json_schema", "got the string 'json_schema'"),
        (42, "or the string 'json_object' or 'text'; got a int"),
        (Answer(summary="s"), "a pydantic model class, a JSON schema dict"),
    ],
)
def test_bad_response_formats_say_what_is_accepted(value: object, expected: str) -> None:
    with pytest.raises(InvalidRequestError, match=expected):
        normalize_response_format(value)
