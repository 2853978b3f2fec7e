"""``ChatMixroute``: a LangChain chat model over the mixroute core client.

The request is built, sent, retried, parsed and streamed by the core; this class holds
the settings and hands LangChain's types to the modules that convert them
(:mod:`~langchain_mixroute.convert`, :mod:`~langchain_mixroute.results`,
:mod:`~langchain_mixroute.chunks`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self, cast

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.language_models.model_profile import ModelProfile as LCModelProfile
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils import from_env, secret_from_env
from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    SecretStr,
    SkipValidation,
    ValidationInfo,
    field_validator,
)

from langchain_mixroute import content_blocks  # noqa: F401  (registers the block translator)
from langchain_mixroute.chunks import astream_chunks, stream_chunks
from langchain_mixroute.clients import CoreClients
from langchain_mixroute.convert import to_core_messages
from langchain_mixroute.options import (
    FIELD_OPTIONS,
    CallPlan,
    check_arguments,
    field_defaults,
    langsmith_params,
    plan_call,
)
from langchain_mixroute.results import PROVIDER, chat_result
from langchain_mixroute.tools import ToolLike, checked_tool_choice, format_tools
from mixroute import (
    ConfigurationError,
    ModelProfile,
    RetryPolicy,
    SearchOptions,
    SearchParameters,
    build_request_body,
    get_profile,
)
from mixroute.defaults import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_ERROR_BODY_BYTES,
    DEFAULT_MAX_LINE_BYTES,
    AsyncTransportName,
)

if TYPE_CHECKING:
    from mixroute import AsyncMixrouteClient, MixrouteClient

__all__ = ["ChatMixroute"]

_PROBE = ({"role": "user", "content": "ping"},)


class ChatMixroute(BaseChatModel):
    """A LangChain chat model for every model behind Mixroute (GPT, Claude, DeepSeek, …).

    >>> from langchain_mixroute import ChatMixroute  # doctest: +SKIP
    >>> llm = ChatMixroute(model="glm-5", temperature=0.7)  # key from MIXROUTE_API_KEY
    >>> llm.invoke("Briefly introduce artificial intelligence").content  # doctest: +SKIP

    Every request field is also a per-call override (``llm.invoke(..., temperature=0)``,
    ``model="gpt-4o-mini"``), and so are ``timeout``, ``extra_headers`` and ``deadline``
    (``deadline=None`` lifts it for that call); settings are checked at construction,
    against the model's profile where it matters (``reasoning_effort`` levels,
    ``tool_choice`` forms).
    """

    model: str
    """The model id, passed through as it is (``glm-5``, ``gpt-4o``, ``deepseek-r1``, …)."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("MIXROUTE_API_KEY", default=None)
    )
    """The ``sk-…`` key; defaults to ``MIXROUTE_API_KEY``. Never shown or serialized."""
    base_url: str | None = Field(default_factory=from_env("MIXROUTE_BASE_URL", default=None))
    """The API root with ``/v1``; ``MIXROUTE_BASE_URL``, else the public gateway."""
    temperature: float | None = None
    """Sampling temperature, 0 to 2."""
    max_tokens: int | None = None
    """Most tokens to generate (sent as ``max_completion_tokens`` to OpenAI reasoning models)."""
    top_p: float | None = None
    """Nucleus sampling, 0 to 1."""
    stop: list[str] | str | None = None
    """Stop sequences."""
    seed: int | None = None
    """Seed for best-effort reproducible sampling."""
    n: int | None = None
    """How many answers to generate."""
    timeout: float | tuple[float | None, float | None] | Any | None = None
    """Seconds, a ``(connect, read)`` pair or an ``httpx.Timeout``; default 600 s read."""
    max_retries: int = 2
    """Retries of connection failures, timeouts, 408/409/429 and 5xx, with backoff."""
    default_headers: dict[str, str] | None = None
    """Headers sent with every request."""
    deadline: float | None = DEFAULT_DEADLINE
    """Seconds a whole call may take, retries and backoff included; ``None`` for none."""
    stream_deadline: float | None = None
    """Seconds a whole stream may take; ``None`` (default): as long as lines keep coming."""
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    """The longest SSE line or event a stream may send (32 MiB)."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """The largest plain answer, after decompression (64 MiB)."""
    max_error_body_bytes: int = DEFAULT_MAX_ERROR_BODY_BYTES
    """How much of an error body is read (64 KiB); the error keeps its class."""
    # Checked by the core, so that a bad name is a ConfigurationError like the others.
    async_transport: SkipValidation[AsyncTransportName] = "auto"
    """The async pool's backend: ``"auto"`` (aiohttp if installed), ``"aiohttp"``, ``"httpx"``."""
    streaming: bool = False
    """Stream even from ``invoke`` (callbacks then see each token)."""
    stream_usage: bool = True
    """Ask for token usage at the end of a stream (on the last chunk)."""
    reasoning_effort: str | None = None
    """``low``, ``medium`` or ``high`` (the levels the model's profile accepts)."""
    enable_thinking: bool | None = None
    """Qwen thinking models (``qwq-32b``, ``qwen-plus``, …)."""
    enable_search: bool | None = None
    """Qwen web search."""
    search_options: dict[str, Any] | None = None
    """Qwen search options, a dict or :class:`mixroute.SearchOptions`."""
    search_parameters: dict[str, Any] | None = None
    """Grok live search, a dict or :class:`mixroute.SearchParameters`."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other request fields: the core's typed options by name, anything else sent as is."""
    extra_body: dict[str, Any] | None = None
    """Fields merged into the request body last (the escape hatch)."""
    profile_overrides: dict[str, Any] | None = None
    """Corrections to the model's :class:`mixroute.ModelProfile` (say, for a new model)."""
    # Typed Any, as langchain-openai does, so that importing this package does not import
    # httpx; the values are checked when the model is made.
    http_client: Any = Field(default=None, exclude=True)
    """Your own ``httpx.Client`` (a proxy, say); you close it."""
    http_async_client: Any = Field(default=None, exclude=True)
    """Your own ``httpx.AsyncClient``; you close it."""
    retry_policy: SkipValidation[RetryPolicy | None] = Field(default=None, exclude=True)
    """The core's backoff and sleep (tests inject instant ones); its ``max_retries`` wins."""

    _clients: CoreClients = PrivateAttr()
    _defaults: dict[str, Any] | None = PrivateAttr(default=None)

    def __init__(self, **data: Any) -> None:
        check_arguments(data, _ARGUMENTS)
        super().__init__(**data)
        # Checked here, outside pydantic's validators, so that an error is our typed one
        # and its message never quotes the constructor's input (the key among it).
        self._connect()
        profile = self._core_profile(self.model)
        build_request_body(self.model, _PROBE, profile=profile, **self._default_options())

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in _FIELDS:
            super().__setattr__(name, value)
            return
        # A setting changed after construction: derive anew.
        before = getattr(self, name)
        super().__setattr__(name, value)
        self._defaults = None
        if name in _CLIENT_FIELDS:
            try:
                self._connect()
            except ConfigurationError:
                # Refused: the model keeps the value its clients were made with.
                super().__setattr__(name, before)
                raise

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Copy the model; settings changed by ``update`` are derived anew, as on assignment."""
        copy = super().model_copy(update=update, deep=deep)
        if update:
            copy._defaults = None
            if update.keys() & _CLIENT_FIELDS:
                copy._connect()
        return copy

    @field_validator("http_client", "http_async_client")
    @classmethod
    def _check_http_client(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return value
        import httpx

        wanted = httpx.Client if info.field_name == "http_client" else httpx.AsyncClient
        if not isinstance(value, wanted):
            raise ConfigurationError(
                f"{info.field_name} must be an {wanted.__module__}.{wanted.__name__}, "
                f"got {type(value).__name__}."
            )
        return value

    @field_validator("search_options", "search_parameters", mode="before")
    @classmethod
    def _to_wire(cls, value: Any) -> Any:
        return value.to_wire() if isinstance(value, SearchOptions | SearchParameters) else value

    # --- LangChain's identity, tracing and serialization -------------------------------

    @property
    def _llm_type(self) -> str:
        return "mixroute-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        # LangChain reads it on every call (tracing, the cache key): one copy, not two.
        return {"model": self.model, **self._option_defaults()}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        fields = {"model": self.model, "temperature": self.temperature, "stop": self.stop}
        fields["max_tokens"] = self.max_tokens
        return langsmith_params(PROVIDER, fields, stop, kwargs)

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """ChatMixroute serializes with ``dumpd``; the key is written as a secret reference."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """The import path ``load`` uses: ``langchain_mixroute.chat_models``."""
        return ["langchain_mixroute", "chat_models"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        """The key is serialized as a reference to ``MIXROUTE_API_KEY``, never its value."""
        return {"api_key": "MIXROUTE_API_KEY"}

    def _resolve_model_profile(self) -> LCModelProfile | None:
        return cast("LCModelProfile", self._core_profile(self.model).to_langchain())

    # --- calls -------------------------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        plan = self._plan(messages, stop, kwargs)
        return chat_result(self._sync_client().create(plan.model, plan.messages, **plan.request))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        plan = self._plan(messages, stop, kwargs)
        client = self._async_client()
        return chat_result(await client.create(plan.model, plan.messages, **plan.request))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        plan = self._plan(messages, stop, kwargs)
        client = self._sync_client()
        usage = plan.stream_usage
        stream = client.stream(plan.model, plan.messages, include_usage=usage, **plan.request)
        yield from stream_chunks(stream, run_manager)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        plan = self._plan(messages, stop, kwargs)
        client = self._async_client()
        usage = plan.stream_usage
        stream = await client.stream(plan.model, plan.messages, include_usage=usage, **plan.request)
        async for chunk in astream_chunks(stream, run_manager):
            yield chunk

    def close(self) -> None:
        """Close the connection pool this model opened (never an ``http_client`` of yours)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the async pool this model opened on the running loop (never one of yours)."""
        await self._clients.aclose()

    # --- tools and structured output ---------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[ToolLike],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools for the model to call (or, for server tools, to use itself).

        ``tools`` are LangChain tools, functions, pydantic classes, JSON schemas, OpenAI
        tool dicts, and server tools such as ``{"type": "web_search_20250305", ...}``.

        ``tool_choice`` is ``"auto"``, ``"none"``, ``"required"`` (also ``"any"`` or
        ``True``), a tool's name, or the OpenAI dict; forms the model's profile does not
        accept fail here. ``strict`` makes function schemas strict; ``parallel_tool_calls``
        is sent as given. Other keyword arguments are bound as call options.
        """
        formatted = format_tools(tools, strict=strict)
        if tool_choice is not None:
            model = kwargs.get("model") or self.model
            choice = checked_tool_choice(tool_choice, formatted, self._core_profile(model), model)
            if choice is not None:
                kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return self.bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: str | None = None,
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Answer in the shape of ``schema`` (pydantic class, TypedDict or JSON schema).

        ``method`` is ``"json_schema"``, ``"function_calling"`` or ``"json_mode"``; by
        default the best one the model's profile supports. With ``include_raw=True`` the
        result is ``{"raw", "parsed", "parsing_error"}`` and a parsing failure is returned.
        An answer cut off at ``max_tokens`` raises :class:`mixroute.OutputTruncatedError`.
        """
        if kwargs:
            raise ValueError(f"with_structured_output got unknown arguments {sorted(kwargs)}.")
        # Imported here: the output parsers are only needed by those who ask for them.
        from langchain_mixroute.structured import structured_runnable

        return structured_runnable(
            self,
            self._core_profile(self.model),
            schema,
            method=method,
            include_raw=include_raw,
            strict=strict,
            max_tokens=self.max_tokens,
        )

    # --- token counting ----------------------------------------------------------------

    def get_num_tokens(self, text: str) -> int:
        """Estimate the tokens of a text without a tokenizer (see :mod:`mixroute.tokens`)."""
        from mixroute.tokens import count_text_tokens

        return count_text_tokens(text)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Estimate a conversation's prompt tokens, tools included, without a tokenizer.

        Approximate by design (see :mod:`mixroute.tokens` for the rules); enough for
        ``trim_messages`` and for budgeting, not for billing.
        """
        from mixroute.tokens import count_message_tokens

        described = format_tools(tools) if tools else None
        return count_message_tokens(to_core_messages(messages), tools=described)

    # --- internals ---------------------------------------------------------------------

    def _core_profile(self, model: str) -> ModelProfile:
        return get_profile(model, self.profile_overrides)

    def _connect(self) -> None:
        self._clients = CoreClients(
            self.api_key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
            default_headers=self.default_headers,
            retry_policy=self.retry_policy,
            http_client=self.http_client,
            http_async_client=self.http_async_client,
            deadline=self.deadline,
            stream_deadline=self.stream_deadline,
            max_line_bytes=self.max_line_bytes,
            max_body_bytes=self.max_body_bytes,
            max_error_body_bytes=self.max_error_body_bytes,
            async_transport=self.async_transport,
        )

    def _default_options(self) -> dict[str, Any]:
        """The request options the fields give, as a fresh dict (derived once, then copied)."""
        return dict(self._option_defaults())

    def _option_defaults(self) -> Mapping[str, Any]:
        # Derived once per change of the fields; shared, so read it and never change it.
        defaults = self._defaults
        if defaults is None:
            values = {name: getattr(self, name) for name in FIELD_OPTIONS}
            defaults = field_defaults(values, self.model_kwargs, self.extra_body, _FIELDS)
            self._defaults = defaults
        return defaults

    def _plan(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: Any) -> CallPlan:
        return plan_call(
            messages,
            stop,
            kwargs,
            model=self.model,
            defaults=self._default_options(),
            stream_usage=self.stream_usage,
            profile_of=self._core_profile,
        )

    def _sync_client(self) -> MixrouteClient:
        return self._clients.sync()

    def _async_client(self) -> AsyncMixrouteClient:
        return self._clients.async_()


_FIELDS = frozenset(ChatMixroute.model_fields)
_ARGUMENTS = _FIELDS | {f.alias for f in ChatMixroute.model_fields.values() if f.alias}
_CLIENT_FIELDS = frozenset(
    {"api_key", "base_url", "timeout", "max_retries", "default_headers"}
    | {"http_client", "http_async_client", "retry_policy"}
    | {"deadline", "stream_deadline", "async_transport"}
    | {"max_line_bytes", "max_body_bytes", "max_error_body_bytes"}
)
