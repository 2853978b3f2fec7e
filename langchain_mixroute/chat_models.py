"""``ChatMixroute``: a LangChain chat model over the mixroute core client.

The request is built, sent, retried, parsed and streamed by the core; this class holds
the settings and hands LangChain's types to the modules that convert them
(:mod:`~langchain_mixroute.convert`, :mod:`~langchain_mixroute.results`,
:mod:`~langchain_mixroute.chunks`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.language_models.model_profile import ModelProfile as LCModelProfile
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils import from_env, secret_from_env
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    SkipValidation,
)

from langchain_mixroute import content_blocks  # noqa: F401  (registers the block translator)
from langchain_mixroute.chunks import astream_chunks, stream_chunks
from langchain_mixroute.clients import INTEGRATION
from langchain_mixroute.convert import to_core_messages
from langchain_mixroute.options import (
    CallPlan,
    check_arguments,
    field_defaults,
    langsmith_params,
    plan_call,
)
from langchain_mixroute.profile import to_langchain_profile
from langchain_mixroute.results import PROVIDER, chat_result
from langchain_mixroute.tools import ToolLike, checked_tool_choice, format_tools
from mixroute import (
    ConfigurationError,
    InvalidRequestError,
    ModelProfile,
    RetryPolicy,
    build_request_body,
    defaults,
    get_profile,
)
from mixroute.client_pair import PAIR_SETTINGS, ClientPair, HoldsClientPair
from mixroute.options import option_fields
from mixroute.request import SearchSetting

if TYPE_CHECKING:
    from mixroute import AsyncMixrouteClient, MixrouteClient

__all__ = ["ChatMixroute"]

_PROBE = ({"role": "user", "content": "ping"},)
_CLIENT_FIELDS = frozenset(
    {*PAIR_SETTINGS, "api_key", "base_url", "http_client", "http_async_client", "retry_policy"}
)
"""The fields the client pair is made from."""


class ChatMixroute(HoldsClientPair, BaseChatModel):
    """A LangChain chat model for every model behind Mixroute (GPT, Claude, DeepSeek, …).

    Mixroute is an OpenAI-compatible gateway; ``ChatMixroute`` is a ``BaseChatModel``
    that speaks to it through the mixroute core client, so every LangChain runnable
    method works (``invoke``, ``stream``, ``batch`` and their async twins), and the
    model's profile (:class:`mixroute.ModelProfile`) decides how tools, structured output,
    reasoning and search are sent to each model family. Each section below is the
    LangChain side of a guide that tells the feature for the core and both frameworks.

    ??? info "Setup"

        ```sh
        pip install "mixroute[langchain]"
        export MIXROUTE_API_KEY="sk-..."
        ```

        The key comes from ``MIXROUTE_API_KEY`` and the API root from
        ``MIXROUTE_BASE_URL`` (the public gateway when unset; a gateway of your own is
        given with its ``/v1``) unless ``api_key=`` or ``base_url=`` (alias ``api_base=``)
        says otherwise: see [Getting started](../getting-started.md). The key is held as a
        ``SecretStr``, so no repr, log, error or pickle shows it, and ``dumpd`` writes a
        reference to ``MIXROUTE_API_KEY`` in its place.

    ??? info "Key init args — request options"

        - ``model`` (alias ``model_name``): the model id, passed through as it is.
        - ``temperature``, ``top_p``, ``max_tokens``, ``stop``, ``seed``, ``n``: sampling.
          ``max_tokens`` goes out as ``max_completion_tokens`` and ``temperature`` is
          dropped where the model's profile says so (OpenAI's reasoning models).
        - ``reasoning_effort``, ``enable_thinking``: reasoning (see below).
        - ``enable_search``, ``search_options``, ``search_parameters``: web search.
        - ``tool_choice_fallback`` and ``emulate_response_format``: the policies for a
          model short of a forcing ``tool_choice`` or of native ``json_schema`` (below).
        - ``model_kwargs``: more request fields (the core's typed options by name, anything
          else sent as is); ``extra_body``: fields merged into the body last.
        - ``profile_overrides``: corrections to the model's profile (a new model, say).

        Every request option is also a per-call keyword argument
        (``llm.invoke("Hi", temperature=0)``, ``model="gpt-4o-mini"``), laid over the
        constructor's; ``None`` unsets one for that call.

    ??? info "Key init args — client settings"

        ``api_key``, ``base_url``, ``timeout``, ``max_retries``, ``default_headers``,
        ``retry_policy``, ``deadline``, ``stream_deadline``, ``max_line_bytes``,
        ``max_body_bytes`` and ``max_error_body_bytes`` are the core client's settings,
        with its meanings and defaults (:class:`~mixroute.MixrouteClient`: 600 s a read
        and a call, 2 retries). ``http_client`` and ``http_async_client`` take your own
        ``httpx`` clients (a proxy, say; you close them) and ``async_transport`` names the
        async backend (``"auto"``, ``"aiohttp"``, ``"httpx"``). LangChain's own:
        ``streaming`` streams even from ``invoke``, ``stream_usage`` (on by default) puts
        the token usage on a stream's last chunk.

        The constructor checks them all, against the model's profile where it matters: a
        misspelt name or a bad value raises :class:`~mixroute.ConfigurationError` naming
        what to fix. A client setting assigned later opens new clients at once. Per call,
        ``timeout=``, ``extra_headers=`` and ``deadline=`` (``None``: none for this call)
        go to the client.

    ??? info "Instantiate and invoke"

        ```python
        from langchain_core.messages import HumanMessage, SystemMessage
        from langchain_mixroute import ChatMixroute

        llm = ChatMixroute(model="gpt-4o", temperature=0, max_tokens=256)
        messages = [
            SystemMessage("Answer in one sentence."),
            HumanMessage("What does an API gateway do?"),
        ]
        answer = llm.invoke(messages)
        print(answer.content)
        print(answer.response_metadata["finish_reason"], answer.response_metadata["model_name"])

        # Any request option is a per-call override too.
        print(llm.invoke("Say hello.", temperature=0.9, model="gpt-4o-mini").content)
        ```

    ??? info "Stream"

        Chunks add up (``+``) to the message ``invoke`` returns; with ``stream_usage`` on
        (the default), the last chunk carries the token usage.

        ```python
        from langchain_mixroute import ChatMixroute

        llm = ChatMixroute(model="glm-5")
        whole = None
        for chunk in llm.stream("Tell a two-line story."):
            print(chunk.content, end="", flush=True)
            whole = chunk if whole is None else whole + chunk
        print()
        print(whole.usage_metadata)
        ```

    ??? info "Batch"

        ```python
        from langchain_mixroute import ChatMixroute

        llm = ChatMixroute(model="glm-5")
        questions = ["What is 2 + 2?", "Name a colour."]
        for answer in llm.batch(questions, config={"max_concurrency": 2}):
            print(answer.content)
        ```

    ??? info "Async"

        ```python
        import asyncio

        from langchain_mixroute import ChatMixroute


        async def chat() -> None:
            llm = ChatMixroute(model="glm-5")
            print((await llm.ainvoke("Hello!")).content)
            async for chunk in llm.astream("Count to three."):
                print(chunk.content, end="", flush=True)
            print()
            replies = await llm.abatch(["Hi", "Bonjour"])
            print([reply.content for reply in replies])
            await llm.aclose()  # the async pool this model opened on this loop


        asyncio.run(chat())
        ```

    ??? info "Tool calling"

        :meth:`bind_tools` takes LangChain tools, functions, pydantic classes, JSON schemas
        and OpenAI tool dicts. ``tool_choice`` is ``"auto"``, ``"none"``, ``"required"``
        (also ``"any"`` or ``True``) or a tool's name. Agents (``create_agent`` from
        ``langchain.agents``, LangGraph's) bind their tools the same way.

        ```python
        from langchain_core.messages import HumanMessage, ToolMessage
        from langchain_core.tools import tool
        from langchain_mixroute import ChatMixroute


        @tool
        def get_weather(city: str) -> str:
            '''Get the current weather in a city.'''
            return f"Sunny in {city}"


        llm = ChatMixroute(model="gpt-4o").bind_tools([get_weather], tool_choice="get_weather")
        question = HumanMessage("What is the weather in Paris?")
        call = llm.invoke([question])
        print(call.tool_calls)

        # Run the tool and hand its result back for the final answer.
        results = [ToolMessage(get_weather.invoke(c["args"]), tool_call_id=c["id"])
                   for c in call.tool_calls]
        print(llm.invoke([question, call, *results]).content)
        ```

        ``create_agent`` binds with ``tool_choice="any"``, which GLM cannot take (it takes
        ``"auto"`` only; Kimi ``"auto"`` and ``"none"``; DeepSeek-R1 none at all, as
        :attr:`mixroute.ModelProfile.accepted_tool_choices` lists). ``tool_choice_fallback``
        decides: ``"degrade"``, the default, sends the strongest form the model takes
        (:meth:`mixroute.ModelProfile.strongest_tool_choice`) with a
        :class:`~mixroute.MixrouteWarning` once per model and form, asks once more when
        the answer calls no tool and then raises :class:`~mixroute.ToolCallNotMadeError`;
        ``"refuse"`` makes ``bind_tools`` raise :class:`~mixroute.InvalidRequestError`.
        [Tools and agents](../guides/tools-and-agents.md) has the forms of each family.

        ```python
        import warnings

        from langchain_mixroute import ChatMixroute
        from mixroute import InvalidRequestError, MixrouteWarning
        from pydantic import BaseModel, Field


        class GetWeather(BaseModel):
            '''Get the current weather in a city.'''

            city: str = Field(description="The city, such as Paris")


        glm = ChatMixroute(model="glm-5")  # takes tool_choice "auto" only
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MixrouteWarning)
            answer = glm.bind_tools([GetWeather], tool_choice="required").invoke("Paris?")
        print(answer.tool_calls)
        print(caught[0].message)  # sent as tool_choice "auto"

        strict = ChatMixroute(model="glm-5", tool_choice_fallback="refuse")
        try:
            strict.bind_tools([GetWeather], tool_choice="required")
        except InvalidRequestError as error:
            print(error)
        ```

    ??? info "Structured output"

        :meth:`with_structured_output` takes a pydantic class, a ``TypedDict`` or a JSON
        schema, and by default picks the method from the profile
        (:attr:`mixroute.ModelProfile.structured_output_method`): ``"json_schema"`` where
        the model has it natively, else ``"function_calling"``, else ``"json_mode"``
        ([Structured output](../guides/structured-output.md) has the method of each
        family). An answer cut off at ``max_tokens`` raises
        :class:`~mixroute.OutputTruncatedError`, not a parsing error.

        ```python
        from langchain_mixroute import ChatMixroute
        from pydantic import BaseModel


        class City(BaseModel):
            name: str
            country: str


        for model in ("gpt-4o", "deepseek-chat"):  # json_schema, then function_calling
            structured = ChatMixroute(model=model).with_structured_output(City)
            print(model, structured.invoke("Where is the Eiffel Tower?"))

        raw = ChatMixroute(model="gpt-4o").with_structured_output(City, include_raw=True)
        result = raw.invoke("Where is the Colosseum?")
        print(result["parsed"], result["parsing_error"])
        ```

        ``create_agent(..., response_format=...)`` and a ``response_format`` call option
        work on those models too: with ``emulate_response_format`` on (the default), a
        JSON-schema ``response_format`` the model has no native support for is carried
        out by a schema tool or JSON mode, and the ``AIMessage`` content is the JSON;
        ``emulate_response_format=False`` sends it untouched.

        ```python
        import json

        from langchain_mixroute import ChatMixroute

        city = {"type": "object", "properties": {"city": {"type": "string"}}}
        as_json = {"type": "json_schema", "json_schema": {"name": "place", "schema": city}}
        llm = ChatMixroute(model="deepseek-chat").bind(response_format=as_json)
        print(json.loads(llm.invoke("Where is the Eiffel Tower?").content))
        ```

    ??? info "Multimodal input"

        Images, files (PDF) and audio go in as LangChain's standard content blocks (or
        OpenAI-style ``image_url``, ``file`` and ``input_audio`` parts), by URL or as
        base64 data; which kinds a model takes is in its profile (``image_inputs``,
        ``pdf_inputs``, ``audio_inputs``). Audio is taken as data only.

        ```python
        import base64

        from langchain_core.messages import HumanMessage
        from langchain_mixroute import ChatMixroute

        pdf = base64.b64encode(b"%PDF-1.4 a tiny example").decode()
        wav = base64.b64encode(b"RIFF....WAVEfmt ").decode()
        message = HumanMessage(
            content=[
                {"type": "text", "text": "Describe the image, the report and the recording."},
                {"type": "image", "url": "https://example.com/cat.png"},
                {"type": "file", "url": "https://example.com/report.pdf"},
                {"type": "file", "base64": pdf, "mime_type": "application/pdf",
                 "filename": "notes.pdf"},
                {"type": "audio", "base64": wav, "mime_type": "audio/wav"},
            ]
        )
        print(ChatMixroute(model="gemini-2.5-flash").invoke([message]).content)
        ```

    ??? info "Token usage"

        ``usage_metadata`` holds the counts (cache reads, reasoning and audio tokens in
        its details where the vendor reports them); streams report it on the last chunk.
        :meth:`get_num_tokens_from_messages` estimates a prompt without a tokenizer.

        ```python
        from langchain_mixroute import ChatMixroute

        llm = ChatMixroute(model="glm-5")
        answer = llm.invoke("Hello!")
        print(answer.usage_metadata)
        print(llm.get_num_tokens_from_messages([answer]))
        ```

    ??? info "Reasoning"

        The thinking of a reasoning model is ``additional_kwargs["reasoning_content"]``
        (a ``reasoning`` block in ``content_blocks``), inline ``<think>`` tags split out
        where the profile says the model writes them. ``reasoning_effort`` takes the
        levels the profile lists (another is a :class:`~mixroute.ConfigurationError` at
        construction) and ``enable_thinking`` switches Qwen's hybrid models. Sending a
        conversation back, earlier thinking goes where the vendor needs it and is dropped
        where it is refused ([Reasoning models](../guides/reasoning.md)).

        ```python
        from langchain_mixroute import ChatMixroute

        answer = ChatMixroute(model="deepseek-r1").invoke("Is 91 prime?")
        print(answer.additional_kwargs["reasoning_content"])
        print(answer.content)

        low = ChatMixroute(model="o3-mini", reasoning_effort="low")
        print(low.invoke("Is 97 prime?").content)
        thinking = ChatMixroute(model="qwen-plus", enable_thinking=True)
        print(thinking.invoke("Is 89 prime?", enable_thinking=False).content)  # off per call
        ```

    ??? info "Web search"

        Each family searches its own way (:attr:`mixroute.ModelProfile.web_search`):
        Qwen with ``enable_search`` and ``search_options``, Grok with
        ``search_parameters``, Claude with the server tool ``web_search_20250305`` bound
        like any tool ([Web search and citations](../guides/web-search.md)). The sources
        the vendor returns are in ``response_metadata["citations"]``.

        ```python
        from langchain_mixroute import ChatMixroute
        from mixroute import SearchOptions, SearchParameters

        qwen = ChatMixroute(
            model="qwen-plus",
            enable_search=True,
            search_options=SearchOptions(forced_search=True, enable_source=True),
        )
        print(qwen.invoke("Today's top headline?").response_metadata["citations"])

        grok = ChatMixroute(
            model="grok-3", search_parameters=SearchParameters(mode="on", return_citations=True)
        )
        print(grok.invoke("Today's top headline?").response_metadata["citations"])

        claude = ChatMixroute(model="claude-sonnet-4").bind_tools(
            [{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}]
        )
        print(claude.invoke("Today's top headline?").content)
        ```

    ??? info "Errors"

        Every error is a :class:`~mixroute.MixrouteError`. Mistakes are caught before
        sending, with a "did you mean" for a misspelt name: in the constructor's settings
        as :class:`~mixroute.ConfigurationError`, in one call's options as
        :class:`~mixroute.InvalidRequestError` (both ``ValueError``). What the server
        answers is typed by kind, :class:`~mixroute.RateLimitError` after the retries and
        :class:`~mixroute.APITimeoutError` past the ``deadline`` among them, and a stream
        cut off part-way keeps what had arrived in ``error.partial``. The whole tree, and
        LangChain's ``with_retry`` and ``with_fallbacks`` over it, is in
        [Errors, retries and deadlines](../guides/errors.md).

        ```python
        from langchain_mixroute import ChatMixroute
        from mixroute import ConfigurationError, InvalidRequestError

        try:
            ChatMixroute(model="o3-mini", reasoning_effort="extreme")
        except ConfigurationError as error:
            print(error)  # names the levels o3-mini takes

        llm = ChatMixroute(model="glm-5", max_retries=1, deadline=30)
        try:
            llm.invoke("Hi", temprature=0)
        except InvalidRequestError as error:
            print(error)  # did you mean 'temperature'?
        print(llm.invoke("Hi", timeout=10, deadline=None).content)  # per-call client settings
        ```
    """

    model_config = ConfigDict(populate_by_name=True)

    model: str = Field(alias="model_name")
    """The model id, passed through as it is (``glm-5``, ``gpt-4o``, ``deepseek-r1``, …).

    ``model_name`` is accepted too, as ``ChatOpenAI`` takes it."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("MIXROUTE_API_KEY", default=None)
    )
    """The ``sk-…`` key; defaults to ``MIXROUTE_API_KEY``. Never shown or serialized."""
    base_url: str | None = Field(default_factory=from_env("MIXROUTE_BASE_URL", default=None))
    """The API root with ``/v1``; ``MIXROUTE_BASE_URL``, else the public gateway.

    ``api_base`` is accepted too, as LlamaIndex names it."""
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
    deadline: float | None = defaults.DEFAULT_DEADLINE
    """Seconds a whole call may take, retries and backoff included; ``None`` for none."""
    stream_deadline: float | None = None
    """Seconds a whole stream may take; ``None`` (default): as long as lines keep coming."""
    max_line_bytes: int = defaults.DEFAULT_MAX_LINE_BYTES
    """The longest SSE line or event a stream may send (32 MiB)."""
    max_body_bytes: int = defaults.DEFAULT_MAX_BODY_BYTES
    """The largest plain answer, after decompression (64 MiB)."""
    max_error_body_bytes: int = defaults.DEFAULT_MAX_ERROR_BODY_BYTES
    """How much of an error body is read (64 KiB); the error keeps its class."""
    # Checked by the core, so that a bad name is a ConfigurationError like the others.
    async_transport: SkipValidation[defaults.AsyncTransportName] = "auto"
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
    search_options: SearchSetting = None
    """Qwen search options, a dict or :class:`mixroute.SearchOptions`."""
    search_parameters: SearchSetting = None
    """Grok live search, a dict or :class:`mixroute.SearchParameters`."""
    # Checked by the core, so that a bad value is a ConfigurationError like the others.
    tool_choice_fallback: SkipValidation[Literal["degrade", "refuse"] | None] = None
    """A forcing ``tool_choice`` the model cannot take: ``"degrade"`` (what ``None``, the
    default, means) sends the strongest form it takes (a ``MixrouteWarning``, one retry,
    then ``ToolCallNotMadeError``); ``"refuse"`` raises ``InvalidRequestError`` before
    sending."""
    emulate_response_format: SkipValidation[bool | None] = None
    """A JSON-schema ``response_format`` on a model without native ``json_schema`` is
    carried out by a schema tool or JSON mode, the JSON returned as content (``None``, the
    default, means ``True``); ``False`` sends it as given."""
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

    _clients: ClientPair = PrivateAttr()
    _defaults: dict[str, Any] | None = PrivateAttr(default=None)
    _client_fields: ClassVar[frozenset[str]] = _CLIENT_FIELDS

    def __init__(self, **data: Any) -> None:
        check_arguments(data, _ARGUMENTS)
        super().__init__(**data)
        # Checked here, outside pydantic's validators, so that an error is our typed one
        # and its message never quotes the constructor's input (the key among it).
        self._clients = self._new_client_pair()
        try:  # a bad setting given here is a ConfigurationError, as every layer says
            profile = self._core_profile(self.model)
            build_request_body(self.model, _PROBE, profile=profile, **self._option_defaults())
        except InvalidRequestError as exc:
            raise ConfigurationError(f"ChatMixroute settings: {exc}") from None

    # Changes of settings, copies and pickles follow the core's client pair
    # (mixroute.client_pair): a copy opens pools of its own and shares your httpx clients;
    # a pickle holds neither the key nor your httpx clients.

    def _client_pair(self) -> ClientPair | None:
        pair: ClientPair | None = (self.__pydantic_private__ or {}).get("_clients")
        return pair

    def _use_client_pair(self, pair: ClientPair) -> None:
        self._clients = pair

    def _new_client_pair(self, current: ClientPair | None = None) -> ClientPair:
        return ClientPair(
            self.api_key,
            base_url=self.base_url,
            retry_policy=self.retry_policy,
            http_client=self.http_client,
            http_async_client=self.http_async_client,
            integration=INTEGRATION,
            **self._pair_settings(),
        )

    def _settings_changed(self, names: Iterable[str]) -> None:
        self._defaults = None  # the request options, derived again on the next call
        super()._settings_changed(names)

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        dropped = {"api_key": None, "http_client": None, "http_async_client": None}
        return {**state, "__dict__": {**state["__dict__"], **dropped}}

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
        return cast("LCModelProfile", to_langchain_profile(self._core_profile(self.model)))

    # --- calls -------------------------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        plan = self._plan(messages, stop, kwargs)
        planned = plan.planned()
        completion = self._sync_client().send(planned.body, policy=planned.policy, **plan.client)
        return chat_result(completion, sent=planned.body)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        plan = self._plan(messages, stop, kwargs)
        planned = plan.planned()
        client = self._async_client()
        completion = await client.send(planned.body, policy=planned.policy, **plan.client)
        return chat_result(completion, sent=planned.body)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        plan = self._plan(messages, stop, kwargs)
        planned = plan.planned(stream=True)
        client = self._sync_client()
        stream = client.send_stream(planned.body, policy=planned.policy, **plan.client)
        yield from stream_chunks(stream, run_manager, sent=planned.body)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        plan = self._plan(messages, stop, kwargs)
        planned = plan.planned(stream=True)
        client = self._async_client()
        stream = await client.send_stream(planned.body, policy=planned.policy, **plan.client)
        async for chunk in astream_chunks(stream, run_manager, sent=planned.body):
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

        A forcing ``tool_choice`` the model's profile cannot take is sent as the strongest
        form it takes, with a warning, when the call is made (see
        ``tool_choice_fallback``; with ``"refuse"`` it fails here).

        ```python
        from langchain_mixroute import ChatMixroute
        from pydantic import BaseModel


        class Add(BaseModel):
            '''Add two integers.'''

            a: int
            b: int


        llm = ChatMixroute(model="gpt-4o").bind_tools([Add], tool_choice="Add")
        print(llm.invoke("What is 2 + 3?").tool_calls[0]["args"])
        ```

        Args:
            tools: LangChain tools, functions, pydantic classes, JSON schemas, OpenAI tool
                dicts, and server tools such as ``{"type": "web_search_20250305", ...}``.
            tool_choice: ``"auto"``, ``"none"``, ``"required"`` (also ``"any"`` or
                ``True``), a tool's name, or the OpenAI dict; ``None`` sends none.
            strict: make the function tools' schemas strict.
            parallel_tool_calls: whether the model may call several tools at once (left
                out for models that refuse the field).
            **kwargs: more call options, bound with the tools (``temperature=0``,
                ``tool_choice_fallback="refuse"``, ...).

        Returns:
            A runnable that calls the model with the tools bound, answering an
            ``AIMessage`` whose ``tool_calls`` hold the calls.

        Raises:
            ValueError: a tool LangChain cannot turn into a schema.
            InvalidRequestError: a tool whose schema is unusable, a ``tool_choice`` naming
                no bound tool, or a forcing choice the model cannot take with
                ``tool_choice_fallback="refuse"``.

        """
        formatted = format_tools(tools, strict=strict)
        if tool_choice is not None:
            model = kwargs.get("model") or self.model
            fallback = kwargs.get("tool_choice_fallback") or self.tool_choice_fallback
            profile = self._core_profile(model)
            choice = checked_tool_choice(tool_choice, formatted, profile, model, fallback)
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

        ```python
        from typing import TypedDict

        from langchain_mixroute import ChatMixroute


        class Capital(TypedDict):
            country: str
            city: str


        structured = ChatMixroute(model="gemini-2.5-flash").with_structured_output(Capital)
        print(structured.invoke("What is the capital of France?"))
        ```

        Args:
            schema: a pydantic class (answers are its instances), a ``TypedDict`` or a
                JSON schema (answers are dicts); ``None`` only with ``"json_mode"``.
            method: ``"json_schema"`` (native), ``"function_calling"`` (a forced tool
                call) or ``"json_mode"`` (the schema in the prompt); by default
                :attr:`mixroute.ModelProfile.structured_output_method`.
            include_raw: answer ``{"raw", "parsed", "parsing_error"}``, a parsing failure
                returned rather than raised.
            strict: strict schemas (``json_schema`` and ``function_calling`` only).
            **kwargs: none are accepted.

        Returns:
            A runnable answering the parsed value (or the ``include_raw`` dict).

        Raises:
            InvalidRequestError: an unknown ``method`` or keyword argument, no ``schema``
                for a method that needs one, or ``strict`` with ``"json_mode"`` (a
                ``ValueError`` too).
            OutputTruncatedError: when invoked, the answer was cut off at the token limit
                (with ``include_raw=True`` too); the message names the limit the request
                sent, however it was given (``max_tokens``, ``model_kwargs``, ``bind`` or
                the call's own keyword arguments).

        """
        if kwargs:
            from mixroute.options import unknown_name_error

            raise unknown_name_error(
                sorted(kwargs)[0],
                ("schema", "method", "include_raw", "strict"),
                who="ChatMixroute.with_structured_output",
                kind="argument",
                advice="it takes schema, method, include_raw and strict.",
            )
        # Imported here: the output parsers are only needed by those who ask for them.
        from langchain_mixroute.structured import structured_runnable

        return structured_runnable(
            self,
            self._core_profile(self.model),
            schema,
            method=method,
            include_raw=include_raw,
            strict=strict,
        )

    # --- token counting ----------------------------------------------------------------

    def get_num_tokens(self, text: str) -> int:
        """Count a text's tokens: by ``custom_get_token_ids`` if set, else estimated.

        The estimate needs no tokenizer (see :mod:`mixroute.tokens`).
        """
        if self.custom_get_token_ids is not None:
            return len(self.custom_get_token_ids(text))
        from mixroute.tokens import count_text_tokens

        return count_text_tokens(text)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Estimate a conversation's prompt tokens, tools included, without a tokenizer.

        Approximate by design (see :mod:`mixroute.tokens` for the rules); enough for
        ``trim_messages`` and for budgeting, not for billing. With ``custom_get_token_ids``
        set, LangChain's own count: each message's text through it (tools not counted).
        """
        if self.custom_get_token_ids is not None:
            return super().get_num_tokens_from_messages(messages, tools)
        from mixroute.tokens import count_message_tokens

        described = format_tools(tools) if tools else None
        return count_message_tokens(to_core_messages(messages), tools=described)

    # --- internals ---------------------------------------------------------------------

    def _core_profile(self, model: str) -> ModelProfile:
        return get_profile(model, self.profile_overrides)

    def _option_defaults(self) -> Mapping[str, Any]:
        # Derived once per change of the fields; shared, so read it and never change it.
        defaults = self._defaults
        if defaults is None:
            values = {name: getattr(self, name) for name in _FIELD_OPTIONS}
            defaults = field_defaults(values, self.model_kwargs, self.extra_body, _FIELDS)
            self._defaults = defaults
        return defaults

    def _plan(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: Any) -> CallPlan:
        return plan_call(
            messages,
            stop,
            kwargs,
            model=self.model,
            defaults=self._option_defaults(),
            stream_usage=self.stream_usage,
            profile_of=self._core_profile,
        )

    def _sync_client(self) -> MixrouteClient:
        return self._clients.sync_client

    def _async_client(self) -> AsyncMixrouteClient:
        return self._clients.async_client


_FIELDS = frozenset(ChatMixroute.model_fields)
_FIELD_OPTIONS = option_fields(
    name for name in ChatMixroute.model_fields if name not in BaseChatModel.model_fields
)
"""ChatMixroute's own fields that are request options of the same name."""
_ARGUMENTS = _FIELDS | {f.alias for f in ChatMixroute.model_fields.values() if f.alias}
