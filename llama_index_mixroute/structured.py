"""Structured output: which program makes a pydantic object, chosen from the model's profile.

The request always asks for the schema as ``response_format``
(:class:`JsonSchemaProgram`, the answer validated with ``model_validate_json``): the
native ``json_schema`` where the model has it, else carried out by the core with the
method of :attr:`~mixroute.ModelProfile.structured_output_method`: a schema tool forced
as strongly as the model allows (its arguments come back as the content, plain and
streamed), or JSON mode with the schema in the system prompt.

With ``emulate_response_format=False`` and no native ``json_schema``, LlamaIndex's own
programs run instead: ``FunctionCallingProgram`` with the tool required, or
``LLMTextCompletionProgram`` (the schema in the prompt) with
``response_format={"type": "json_object"}`` where the model has JSON mode.

A ``pydantic_program_mode`` other than ``DEFAULT`` is the user's choice and is left to
LlamaIndex.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any, Generic

from llama_index.core.base.llms.types import ChatMessage, ChatResponse

# The public path of LlamaIndex's dispatcher, re-exported without an __all__ (so mypy
# cannot see it as exported); llama-index-instrumentation itself is not our dependency.
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.events.llm import (
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.prompts.base import BasePromptTemplate
from llama_index.core.types import BasePydanticProgram, Model, PydanticProgramMode

from llama_index_mixroute.responses import cut_off
from mixroute.structured import strip_code_fence

if TYPE_CHECKING:
    from llama_index_mixroute.llm import Mixroute

__all__ = [
    "JsonSchemaProgram",
    "arun_program",
    "choose_program",
    "parse_structured",
    "run_program",
]

dispatcher = get_dispatcher(__name__)

Chosen = tuple[BasePydanticProgram[Model], dict[str, Any]]
"""A program and the LLM keyword arguments it needs."""


def choose_program(
    llm: Mixroute, output_cls: type[Model], prompt: BasePromptTemplate
) -> Chosen[Model] | None:
    """The program for ``output_cls`` and the LLM keyword arguments it needs, or ``None``.

    ``None`` means LlamaIndex's own choice (a ``pydantic_program_mode`` was set).
    """
    if llm.pydantic_program_mode != PydanticProgramMode.DEFAULT:
        return None
    profile = llm.profile
    method = profile.structured_output_method
    if method == "json_schema" or llm.emulate_response_format is not False:
        # Native, or carried out by the core with the profile's method.
        return JsonSchemaProgram(output_cls, prompt, llm), {}
    if method == "function_calling" and llm.metadata.is_function_calling_model:
        from llama_index.core.program.function_program import FunctionCallingProgram

        program = FunctionCallingProgram.from_defaults(
            output_cls=output_cls, llm=llm, prompt=prompt, tool_required=True
        )
        return program, {}
    from llama_index.core.program.llm_program import LLMTextCompletionProgram

    # The program sets its parser on the prompt it is given: give it a copy.
    text_program = LLMTextCompletionProgram.from_defaults(
        output_cls=output_cls, prompt=prompt.model_copy(), llm=llm
    )
    extra = {"response_format": "json_object"} if profile.json_mode else {}
    return text_program, extra


def run_program(
    chosen: Chosen[Model],
    prompt: BasePromptTemplate,
    llm_kwargs: dict[str, Any] | None,
    prompt_args: dict[str, Any],
) -> Model:
    """Run a chosen program once, with the events LlamaIndex's ``structured_predict`` sends."""
    program, extra = chosen
    dispatcher.event(
        LLMStructuredPredictStartEvent(
            output_cls=program.output_cls, template=prompt, template_args=prompt_args
        )
    )
    result = program(llm_kwargs={**extra, **(llm_kwargs or {})}, **prompt_args)
    output = _single(result, program.output_cls)
    dispatcher.event(LLMStructuredPredictEndEvent(output=output))
    return output


async def arun_program(
    chosen: Chosen[Model],
    prompt: BasePromptTemplate,
    llm_kwargs: dict[str, Any] | None,
    prompt_args: dict[str, Any],
) -> Model:
    """The async :func:`run_program`."""
    program, extra = chosen
    dispatcher.event(
        LLMStructuredPredictStartEvent(
            output_cls=program.output_cls, template=prompt, template_args=prompt_args
        )
    )
    result = await program.acall(llm_kwargs={**extra, **(llm_kwargs or {})}, **prompt_args)
    output = _single(result, program.output_cls)
    dispatcher.event(LLMStructuredPredictEndEvent(output=output))
    return output


def _single(result: object, output_cls: type[Model]) -> Model:
    if isinstance(result, list):
        result = result[0] if result else None
    if not isinstance(result, output_cls):
        raise TypeError(
            f"structured_predict expected a {output_cls.__name__}, got {type(result).__name__}."
        )
    return result


def parse_structured(response: ChatResponse, output_cls: type[Model]) -> Model:
    """Validate the answer's text as ``output_cls``.

    An answer cut off at the token limit raises the core's ``OutputTruncatedError`` (with
    the response as ``raw``, and the limit the request sent in the message); a refusal or
    no text raises ``ValueError``.
    """
    error = cut_off(response, "structured output")
    if error is not None:
        raise error
    content = response.message.content
    if not content:
        refusal = response.message.additional_kwargs.get("refusal")
        reason = f"refused: {refusal}" if refusal else "returned no text"
        raise ValueError(f"The model {reason}; expected a {output_cls.__name__} as JSON.")
    return output_cls.model_validate_json(strip_code_fence(content))


class JsonSchemaProgram(BasePydanticProgram[Model], Generic[Model]):
    """Ask for ``output_cls`` through the ``json_schema`` response format.

    The core builds the ``response_format`` from the class (strict when the LLM is), and
    carries it out on a model without native ``json_schema`` (see
    :mod:`mixroute.answer_policy`): the answer's content is the JSON either way.
    """

    def __init__(self, output_cls: type[Model], prompt: BasePromptTemplate, llm: Mixroute):
        self._output_cls = output_cls
        self._prompt = prompt
        self._llm = llm

    @property
    def output_cls(self) -> type[Model]:
        """The pydantic class the answer is validated as."""
        return self._output_cls

    def _messages(self, prompt_args: dict[str, Any]) -> list[ChatMessage]:
        messages = self._prompt.format_messages(llm=self._llm, **prompt_args)
        return self._llm._extend_messages(messages)

    def _llm_kwargs(self, llm_kwargs: dict[str, Any] | None) -> dict[str, Any]:
        kwargs = dict(llm_kwargs or {})
        kwargs.pop("tool_choice", None)
        kwargs["response_format"] = self._output_cls
        return kwargs

    def __call__(
        self, *args: Any, llm_kwargs: dict[str, Any] | None = None, **prompt_args: Any
    ) -> Model:
        """Ask once and validate the answer."""
        kwargs = self._llm_kwargs(llm_kwargs)
        response = self._llm.chat(self._messages(prompt_args), **kwargs)
        return parse_structured(response, self._output_cls)

    async def acall(
        self, *args: Any, llm_kwargs: dict[str, Any] | None = None, **prompt_args: Any
    ) -> Model:
        """The async :meth:`__call__`."""
        kwargs = self._llm_kwargs(llm_kwargs)
        response = await self._llm.achat(self._messages(prompt_args), **kwargs)
        return parse_structured(response, self._output_cls)

    def stream_call(
        self, *args: Any, llm_kwargs: dict[str, Any] | None = None, **prompt_args: Any
    ) -> Generator[Any, None, None]:
        """Yield a partial object per streamed piece, the last one complete."""
        from llama_index.core.program.streaming_utils import (
            process_streaming_content_incremental,
        )

        messages = self._messages(prompt_args)
        current = None
        for response in self._llm.stream_chat(messages, **self._llm_kwargs(llm_kwargs)):
            current = process_streaming_content_incremental(response, self._output_cls, current)
            yield current

    async def astream_call(
        self, *args: Any, llm_kwargs: dict[str, Any] | None = None, **prompt_args: Any
    ) -> AsyncGenerator[Any, None]:
        """The async :meth:`stream_call`."""
        from llama_index.core.program.streaming_utils import (
            process_streaming_content_incremental,
        )

        messages = self._messages(prompt_args)
        stream = await self._llm.astream_chat(messages, **self._llm_kwargs(llm_kwargs))

        async def objects() -> AsyncGenerator[Any, None]:
            current = None
            async for response in stream:
                current = process_streaming_content_incremental(response, self._output_cls, current)
                yield current

        return objects()
