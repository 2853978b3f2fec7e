"""``Mixroute``: a LlamaIndex ``FunctionCallingLLM`` for the Mixroute gateway, over the core.

The class holds the settings and wires LlamaIndex's entry points to the core client
(``runtime``); the conversions live next to it (``convert``, ``responses``, ``streaming``,
``tools``, ``structured``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr, field_validator
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.prompts import PromptTemplate
from llama_index.core.types import Model
from pydantic import SkipValidation

from llama_index_mixroute import streaming
from llama_index_mixroute.clients import CoreClients
from llama_index_mixroute.convert import to_chat_message, to_chat_messages, to_core_messages
from llama_index_mixroute.responses import chat_response, completion_response
from llama_index_mixroute.runtime import Request, Runtime, build_request, default_options
from llama_index_mixroute.structured import arun_program, choose_program, run_program
from llama_index_mixroute.tools import chat_with_tools_kwargs, keep_first_tool_call, tool_selections
from mixroute.defaults import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_ERROR_BODY_BYTES,
    DEFAULT_MAX_LINE_BYTES,
    AsyncTransportName,
)
from mixroute.errors import ConfigurationError, InvalidRequestError
from mixroute.messages import UserMessage
from mixroute.profiles import ModelProfile
from mixroute.request import SearchOptions, SearchParameters, build_request_body
from mixroute.retry import RetryPolicy

if TYPE_CHECKING:
    import httpx
    from llama_index.core.tools.types import BaseTool

__all__ = ["Mixroute"]

MessageDict = Mapping[str, Any]
"""An OpenAI-style message: ``{"role": "user", "content": "hi"}``."""


class Mixroute(FunctionCallingLLM):
    """The models behind Mixroute (GPT, Claude, DeepSeek, Gemini, GLM, Qwen, ...) in LlamaIndex.

    >>> from llama_index.core import Settings
    >>> Settings.llm = Mixroute(model="glm-5", temperature=0.7)  # doctest: +SKIP
    >>> Settings.llm.complete("Briefly introduce AI").text  # doctest: +SKIP

    The API key comes from ``api_key`` or ``MIXROUTE_API_KEY`` and is never stored in a
    field. Bad settings raise at construction (``ConfigurationError`` for the client,
    ``InvalidRequestError`` for request options; both are ``ValueError``s); a client
    setting changed later (``llm.timeout = 30``) takes effect at once. Calls raise the
    core's typed errors (``AuthenticationError``, ``RateLimitError``, ``APITimeoutError``
    when ``deadline`` passes, ...); per call, ``timeout=``, ``extra_headers=`` and
    ``deadline=`` (``None``: none for this call) go to the client.
    """

    model: str = Field(description="The model id, passed through as it is (e.g. 'glm-5').")
    api_base: str = Field(default="", description="The API root including /v1 (resolved).")
    temperature: float | None = Field(default=None, description="Sampling temperature, 0-2.")
    max_tokens: int | None = Field(default=None, description="The most tokens to generate.")
    top_p: float | None = Field(default=None, description="Nucleus sampling, 0-1.")
    stop: str | list[str] | None = Field(default=None, description="Stop sequence(s).")
    seed: int | None = Field(default=None, description="Seed for repeatable sampling.")
    timeout: float | None = Field(default=None, description="Seconds per request (600 if unset).")
    max_retries: int = Field(default=2, description="Retries of failed or throttled requests.")
    default_headers: dict[str, str] | None = Field(default=None, description="Sent every call.")
    deadline: float | None = Field(
        default=DEFAULT_DEADLINE,
        description="Seconds a whole call may take, retries included; None for none.",
    )
    stream_deadline: float | None = Field(
        default=None, description="Seconds a whole stream may take; None (default) for none."
    )
    max_line_bytes: int = Field(
        default=DEFAULT_MAX_LINE_BYTES, description="The longest SSE line a stream may send."
    )
    max_body_bytes: int = Field(
        default=DEFAULT_MAX_BODY_BYTES, description="The largest plain answer, decompressed."
    )
    max_error_body_bytes: int = Field(
        default=DEFAULT_MAX_ERROR_BODY_BYTES, description="How much of an error body is read."
    )
    # Checked by the core, so that a bad name is a ConfigurationError like the others.
    async_transport: SkipValidation[AsyncTransportName] = Field(
        default="auto", description="The async pool's backend: 'auto', 'aiohttp' or 'httpx'."
    )
    reasoning_effort: str | None = Field(default=None, description="'low', 'medium', 'high'...")
    enable_thinking: bool | None = Field(default=None, description="Qwen thinking switch.")
    enable_search: bool | None = Field(default=None, description="Qwen web search switch.")
    search_options: dict[str, Any] | None = Field(default=None, description="Qwen search.")
    search_parameters: dict[str, Any] | None = Field(default=None, description="Grok search.")
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="More request fields: typed options or body fields."
    )
    extra_body: dict[str, Any] | None = Field(default=None, description="Merged into the body.")
    strict: bool | None = Field(default=None, description="Strict tool and response schemas.")
    stream_usage: bool = Field(default=True, description="Ask streams for usage at the end.")
    server_tools: list[dict[str, Any]] = Field(
        default_factory=list, description="Non-function tools sent with every request."
    )
    context_window: int | None = Field(default=None, description="Overrides the profile's.")
    is_function_calling_model: bool | None = Field(
        default=None, description="Overrides the profile's tool calling."
    )
    profile_overrides: dict[str, Any] | None = Field(
        default=None, description="Model-profile fields to override (see mixroute.profiles)."
    )

    # One private attribute: pydantic's private-attribute lookup costs about 1.5 us, paid
    # once per call this way.
    _runtime: Runtime = PrivateAttr()

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        api_base: str | None = None,
        base_url: str | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        retry_policy: RetryPolicy | None = None,
        **kwargs: Any,
    ) -> None:
        if api_base and base_url and api_base.rstrip("/") != base_url.rstrip("/"):
            raise InvalidRequestError("Give api_base or base_url (the same setting), not both.")
        unknown = sorted(kwargs.keys() - type(self).model_fields.keys())
        if unknown:
            raise InvalidRequestError(
                f"Mixroute got unknown setting(s) {', '.join(map(repr, unknown))}; request "
                "fields without a typed setting go in additional_kwargs={...} or extra_body={...}."
            )
        super().__init__(model=model, **kwargs)
        clients = CoreClients(
            api_key,
            base_url=api_base or base_url or None,
            http_client=http_client,
            async_http_client=async_http_client,
            retry_policy=retry_policy,
            **self._client_settings(),
        )
        self.api_base = clients.base_url
        self._runtime = runtime = Runtime(clients)
        profile = runtime.profile_of(self)
        try:  # every request option is checked now, by the core, not at the first call
            build_request_body(
                self.model, [UserMessage(".")], profile=profile, **default_options(self)
            )
        except InvalidRequestError as exc:
            raise InvalidRequestError(f"Mixroute settings: {exc}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in _CLIENT_FIELDS:
            super().__setattr__(name, value)
            return
        before = getattr(self, name)
        super().__setattr__(name, value)
        try:
            self._reconnect()
        except ConfigurationError:
            # Refused: the LLM keeps the value its clients were made with.
            super().__setattr__(name, before)
            raise

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Copy the LLM; a copy with other client settings gets clients of its own."""
        copy = super().model_copy(update=update, deep=deep)
        if update and update.keys() & _CLIENT_FIELDS:
            copy._reconnect()
        return copy

    def _client_settings(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _CLIENT_SETTINGS}

    def _reconnect(self) -> None:
        # New clients for changed settings, in a new Runtime: copies share the old one.
        runtime: Runtime | None = getattr(self, "_runtime", None)  # None inside __init__
        if runtime is None:
            return
        clients = runtime.clients.reconnected(self.api_base or None, **self._client_settings())
        self._runtime = Runtime(clients)
        if self.api_base != clients.base_url:
            super().__setattr__("api_base", clients.base_url)

    @field_validator("search_options", "search_parameters", mode="before")
    @classmethod
    def _search_to_dict(cls, value: Any) -> Any:
        return value.to_wire() if isinstance(value, SearchOptions | SearchParameters) else value

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serializes this LLM under."""
        return "mixroute_llm"

    @property
    def profile(self) -> ModelProfile:
        """What the model can do, from the core's table (and ``profile_overrides``)."""
        return self._runtime.profile_of(self)

    @property
    def metadata(self) -> LLMMetadata:
        """Context window, output size and tool calling, from the model's profile."""
        return self._runtime.metadata_of(self)[0]

    def to_payload(self) -> dict[str, Any]:
        """What instrumentation events say about this LLM: its metadata, never the key."""
        return dict(self._runtime.metadata_of(self)[1])

    def _request(
        self, messages: list[Any], kwargs: dict[str, Any], stream: bool = False
    ) -> Request:
        return build_request(self, self._runtime, messages, kwargs, stream=stream)

    # -- chat and completion, sync and async --
    # Each chat entry point takes OpenAI-style dicts too: they become ChatMessage values
    # before LlamaIndex's callback wrapper (the private method) sees them.

    def chat(self, messages: Sequence[ChatMessage | MessageDict], **kwargs: Any) -> ChatResponse:
        """Send the conversation (``ChatMessage``s or OpenAI-style dicts); return the answer."""
        response: ChatResponse = self._chat(to_chat_messages(messages), **kwargs)
        return response

    @llm_chat_callback()
    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return chat_response(self._request(to_core_messages(messages), kwargs).send())

    def stream_chat(
        self, messages: Sequence[ChatMessage | MessageDict], **kwargs: Any
    ) -> ChatResponseGen:
        """Stream the answer: a ``ChatResponse`` per delta, then the assembled one."""
        stream: ChatResponseGen = self._stream_chat(to_chat_messages(messages), **kwargs)
        return stream

    @llm_chat_callback()
    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        request = self._request(to_core_messages(messages), kwargs, stream=True)
        return streaming.chat_stream(request.open_stream)

    async def achat(
        self, messages: Sequence[ChatMessage | MessageDict], **kwargs: Any
    ) -> ChatResponse:
        """The async :meth:`chat`."""
        response: ChatResponse = await self._achat(to_chat_messages(messages), **kwargs)
        return response

    @llm_chat_callback()
    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return chat_response(await self._request(to_core_messages(messages), kwargs).asend())

    async def astream_chat(
        self, messages: Sequence[ChatMessage | MessageDict], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """The async :meth:`stream_chat`."""
        stream: ChatResponseAsyncGen = await self._astream_chat(
            to_chat_messages(messages), **kwargs
        )
        return stream

    @llm_chat_callback()
    async def _astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        request = self._request(to_core_messages(messages), kwargs, stream=True)
        return streaming.achat_stream(request.aopen_stream)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Send ``prompt`` as one user message; return the answer's text."""
        return completion_response(self._request([UserMessage(prompt)], kwargs).send())

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Stream the answer to ``prompt``: the text so far and the new ``delta``."""
        request = self._request([UserMessage(prompt)], kwargs, stream=True)
        return streaming.completion_stream(request.open_stream)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """The async :meth:`complete`."""
        return completion_response(await self._request([UserMessage(prompt)], kwargs).asend())

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """The async :meth:`stream_complete`."""
        request = self._request([UserMessage(prompt)], kwargs, stream=True)
        return streaming.acompletion_stream(request.aopen_stream)

    # -- function calling --

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | MessageDict | None = None,
        chat_history: Sequence[ChatMessage | MessageDict] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The ``chat`` arguments for a call with ``tools`` (server-tool dicts among them).

        ``user_msg`` and ``chat_history`` may hold OpenAI-style dicts, as :meth:`chat` does.
        """
        history = to_chat_messages(chat_history or ())
        if isinstance(user_msg, Mapping):
            user_msg = to_chat_message(user_msg, len(history))
        return chat_with_tools_kwargs(
            tools,
            user_msg,
            history,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            tool_required=tool_required,
            tool_choice=tool_choice,
            strict=strict,
            profile=self._runtime.profile_of(self),
            kwargs=kwargs,
        )

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep only the first tool call unless parallel calls are allowed."""
        if not allow_parallel_tool_calls:
            return keep_first_tool_call(response)
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """The tool calls in ``response``; none raises if ``error_on_no_tool_call``."""
        return tool_selections(response, error_on_no_tool_call)

    # -- structured output --

    def structured_predict(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """A validated ``output_cls``: native json_schema, a forced tool call or JSON mode."""
        chosen = choose_program(self, output_cls, prompt)
        if chosen is None:
            result: Model = super().structured_predict(
                output_cls, prompt, llm_kwargs, **prompt_args
            )
            return result
        return run_program(chosen, prompt, llm_kwargs, prompt_args)

    async def astructured_predict(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """The async :meth:`structured_predict`."""
        chosen = choose_program(self, output_cls, prompt)
        if chosen is None:
            result: Model = await super().astructured_predict(
                output_cls, prompt, llm_kwargs, **prompt_args
            )
            return result
        return await arun_program(chosen, prompt, llm_kwargs, prompt_args)

    def _structured_stream_call(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Any, None, None]:
        chosen = choose_program(self, output_cls, prompt)
        if chosen is None:
            return super()._structured_stream_call(output_cls, prompt, llm_kwargs, **prompt_args)
        program, extra = chosen
        return program.stream_call(llm_kwargs={**extra, **(llm_kwargs or {})}, **prompt_args)

    async def _structured_astream_call(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Any, None]:
        chosen = choose_program(self, output_cls, prompt)
        if chosen is None:
            return await super()._structured_astream_call(
                output_cls, prompt, llm_kwargs, **prompt_args
            )
        program, extra = chosen
        kwargs = {**extra, **(llm_kwargs or {})}
        return await program.astream_call(llm_kwargs=kwargs, **prompt_args)

    # -- connection pools --

    def close(self) -> None:
        """Close the sync connection pool (not an ``http_client`` you passed in)."""
        self._runtime.clients.close()

    async def aclose(self) -> None:
        """Close this event loop's async pool (not an ``async_http_client`` you passed in)."""
        await self._runtime.clients.aclose()


_CLIENT_SETTINGS = (
    "timeout",
    "max_retries",
    "default_headers",
    "deadline",
    "stream_deadline",
    "max_line_bytes",
    "max_body_bytes",
    "max_error_body_bytes",
    "async_transport",
)
"""The fields that are settings of the core clients, passed to them by name."""
_CLIENT_FIELDS = frozenset({*_CLIENT_SETTINGS, "api_base"})
