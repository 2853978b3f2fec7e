"""``with_structured_output`` for ChatMixroute: three methods, chosen from the model profile.

- ``json_schema``: the schema goes as ``response_format`` (the documented structured
  output); the answer's text is parsed.
- ``function_calling``: the schema becomes the one tool, forced by name; the core sends
  the strongest ``tool_choice`` the model takes
  (:meth:`~mixroute.ModelProfile.strongest_tool_choice`) and asks once more when a
  weaker form got no call; its arguments are parsed.
- ``json_mode``: ``response_format`` ``json_object`` where the model's profile has JSON
  mode, with the schema written into the system prompt, since the model cannot see it
  otherwise.

The default is the profile's :attr:`~mixroute.ModelProfile.structured_output_method`. An
answer cut off at the token limit raises :class:`~mixroute.OutputTruncatedError` (with
``include_raw=True`` too) rather than a confusing parse failure, naming the limit the
request sent (kept in ``response_metadata["token_limit"]``); a refusal raises
LangChain's ``ModelRefusalError``, or is returned as ``parsing_error`` with ``include_raw``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Literal, get_args

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage, convert_to_messages
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.output_parsers.transform import BaseCumulativeTransformOutputParser
from langchain_core.outputs import ChatGeneration, Generation
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda, RunnableMap
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from langchain_mixroute.results import TOKEN_LIMIT
from mixroute import InvalidRequestError, ModelProfile, OutputTruncatedError
from mixroute.cut_off import cut_off_error
from mixroute.structured import (
    is_model_class,
    json_answer_instruction,
    json_schema_of,
    response_format_for,
)

__all__ = ["Method", "structured_runnable"]

Method = Literal["json_schema", "function_calling", "json_mode"]
_METHODS: tuple[str, ...] = get_args(Method)


def structured_runnable(
    model: BaseChatModel,
    profile: ModelProfile,
    schema: Mapping[str, Any] | type | None,
    *,
    method: str | None,
    include_raw: bool,
    strict: bool | None,
) -> Runnable[LanguageModelInput, Any]:
    """Build the runnable ``with_structured_output`` returns (see the module docstring)."""
    method = method or profile.structured_output_method
    if method not in _METHODS:
        raise InvalidRequestError(f"method={method!r} is not one of {', '.join(_METHODS)}.")
    if schema is None and method != "json_mode":
        raise InvalidRequestError(
            f"method={method!r} needs a schema (only json_mode works without one)."
        )
    if method == "json_mode" and strict is not None:
        raise InvalidRequestError(
            "strict applies to json_schema and function_calling, not json_mode."
        )
    # For LangSmith: which schema and method this call is held to (none without a schema).
    traced = {"kwargs": {"method": method, "strict": strict}, "schema": schema} if schema else None
    llm: Runnable[LanguageModelInput, Any]
    if method == "function_calling":
        assert schema is not None
        tool: dict[str, Any] | type
        if is_model_class(schema):
            tool, name = schema, schema.__name__
        else:
            tool = convert_to_openai_tool(_dict_or_type(schema))
            name = tool["function"]["name"]
        # Forced by name; the core sends the strongest form the model takes
        # (ModelProfile.strongest_tool_choice), asking again if a weaker one gets no call.
        llm = model.bind_tools(
            [tool],
            tool_choice=name,
            strict=strict,
            parallel_tool_calls=False,
            ls_structured_output_format=traced,
        )
        if _is_pydantic_class(schema):
            inner: Any = PydanticToolsParser(tools=[schema], first_tool_only=True)
        else:
            inner = JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
    else:
        if method == "json_schema":
            assert schema is not None
            response_format = _json_schema_format(schema, strict)
            llm = model.bind(response_format=response_format, ls_structured_output_format=traced)
        else:
            # JSON mode where the model has it; the schema in the prompt either way.
            json_mode = {"response_format": {"type": "json_object"}} if profile.json_mode else {}
            bound = model.bind(**json_mode, ls_structured_output_format=traced)
            llm = _Instructed(bound, _instruction(schema))
        if _is_pydantic_class(schema):
            inner = PydanticOutputParser(pydantic_object=schema)
        else:
            inner = JsonOutputParser()
    parser = _Checked(inner=inner)
    if not include_raw:
        return llm | parser
    return RunnableMap(raw=llm) | _parse_or_report(parser)


def _is_pydantic_class(schema: object) -> bool:
    """A pydantic 2 model, or a pydantic 1 one (``pydantic.v1``): parsed into instances."""
    return isinstance(schema, type) and is_basemodel_subclass(schema)


def _dict_or_type(schema: Mapping[str, Any] | type) -> dict[str, Any] | type:
    """The schema as LangChain's converters take it (they want a dict, not any mapping)."""
    return schema if isinstance(schema, type) else dict(schema)


def _describe(schema: Mapping[str, Any] | type) -> tuple[str, str | None, dict[str, Any]]:
    """Name, description and parameters of a TypedDict, JSON schema or OpenAI tool dict."""
    function = convert_to_openai_tool(_dict_or_type(schema))["function"]
    return function["name"], function.get("description"), function.get("parameters", {})


def _json_schema_format(schema: Mapping[str, Any] | type, strict: bool | None) -> dict[str, Any]:
    if is_model_class(schema):
        return response_format_for(schema, strict=strict)
    name, description, parameters = _describe(schema)
    return response_format_for(parameters, name=name, description=description, strict=strict)


def _instruction(schema: Mapping[str, Any] | type | None) -> str:
    if schema is None:
        return json_answer_instruction(None)
    body = json_schema_of(schema) if is_model_class(schema) else _describe(schema)[2]
    return json_answer_instruction(body)


class _Instructed(Runnable[LanguageModelInput, BaseMessage]):
    """``model`` with ``instruction`` put into the system prompt (a new one first, if none).

    One step, not an instruction step before the model: a call's own keyword arguments
    (``structured.invoke(x, max_tokens=5)``) reach the model, as they do for the other
    methods, and a stream streams.
    """

    def __init__(self, model: Runnable[LanguageModelInput, BaseMessage], instruction: str) -> None:
        self.model = model
        self.instruction = instruction

    def invoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> BaseMessage:
        """Ask the model, the instruction added."""
        return self.model.invoke(self._add(input), config, **kwargs)

    async def ainvoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> BaseMessage:
        """Ask the model on the event loop, the instruction added."""
        return await self.model.ainvoke(self._add(input), config, **kwargs)

    def stream(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[BaseMessage]:
        """Stream the model's answer, the instruction added."""
        yield from self.model.stream(self._add(input), config, **kwargs)

    async def astream(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[BaseMessage]:
        """Stream the model's answer on the event loop, the instruction added."""
        async for chunk in self.model.astream(self._add(input), config, **kwargs):
            yield chunk

    def _add(self, value: LanguageModelInput) -> list[BaseMessage]:
        if isinstance(value, PromptValue):
            messages = value.to_messages()
        elif isinstance(value, str):
            messages = [HumanMessage(value)]
        else:
            messages = convert_to_messages(value)
        instruction = self.instruction
        first = messages[0] if messages else None
        if isinstance(first, SystemMessage) and isinstance(first.content, str):
            joined = f"{first.content}\n\n{instruction}" if first.content else instruction
            return [first.model_copy(update={"content": joined}), *messages[1:]]
        return [SystemMessage(instruction), *messages]


def _check_finished(result: list[Generation]) -> None:
    generation = result[0] if result else None
    if isinstance(generation, ChatGeneration):
        message = generation.message
        metadata = message.response_metadata
        error = cut_off_error(
            metadata.get("finish_reason"),
            sent=metadata.get(TOKEN_LIMIT),
            expected="structured output",
            raw=message,
        )
        if error is not None:
            raise error


class _Checked(BaseCumulativeTransformOutputParser[Any]):
    """A LangChain parser (``inner``) that first refuses an answer cut off at the limit.

    Partial results still stream: a cut-off shows only on the last chunk, where the
    finish reason is, and is raised there.
    """

    inner: Any

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        _check_finished(result)
        try:
            return self.inner.parse_result(result, partial=partial)
        except RecursionError:
            raise _too_deep(result[0].text if result else "") from None

    def parse(self, text: str) -> Any:
        try:
            return self.inner.parse(text)
        except RecursionError:
            raise _too_deep(text) from None

    @property
    def _type(self) -> str:
        return "mixroute_structured_output"


def _too_deep(text: str) -> OutputParserException:
    # LangChain's JSON parsers recurse once a nesting level: an answer nested thousands
    # deep is a parsing failure like any other, not a crash of the chain (and of a stream,
    # where every partial parse would hit it again).
    return OutputParserException("The model's JSON is nested too deep to parse.", llm_output=text)


def _parse_or_report(parser: Runnable[Any, Any]) -> RunnableLambda[dict[str, Any], Any]:
    """``include_raw=True``: parse, and hand a parsing failure back instead of raising."""

    def parse(value: dict[str, Any]) -> dict[str, Any]:
        raw = value["raw"]
        try:
            parsed = parser.invoke(raw)
        except OutputTruncatedError:
            raise
        except Exception as error:  # returned to the caller, as documented
            return {"raw": raw, "parsed": None, "parsing_error": error}
        return {"raw": raw, "parsed": parsed, "parsing_error": None}

    async def aparse(value: dict[str, Any]) -> dict[str, Any]:
        return parse(value)  # parsing is CPU work: no thread hop on the async path

    return RunnableLambda(parse, afunc=aparse)
