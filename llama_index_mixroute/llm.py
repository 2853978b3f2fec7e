"""``Mixroute``: a LlamaIndex ``FunctionCallingLLM`` for the Mixroute gateway, over the core.

The class holds the settings and wires LlamaIndex's entry points to the core client
(``runtime``); the conversions live next to it (``convert``, ``responses``, ``streaming``,
``tools``, ``structured``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

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
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.prompts import PromptTemplate
from llama_index.core.types import Model
from pydantic import SkipValidation

from llama_index_mixroute import streaming
from llama_index_mixroute.clients import INTEGRATION
from llama_index_mixroute.convert import to_chat_message, to_chat_messages, to_core_messages
from llama_index_mixroute.options import check_settings
from llama_index_mixroute.responses import chat_response, completion_response
from llama_index_mixroute.runtime import Request, Runtime, build_request, default_options
from llama_index_mixroute.structured import arun_program, choose_program, run_program
from llama_index_mixroute.tools import chat_with_tools_kwargs, keep_first_tool_call, tool_selections
from mixroute import defaults
from mixroute.client_pair import PAIR_SETTINGS, ClientPair, HoldsClientPair
from mixroute.errors import ConfigurationError, InvalidRequestError
from mixroute.messages import UserMessage
from mixroute.profiles import ModelProfile
from mixroute.request import SearchSetting, build_request_body
from mixroute.retry import RetryPolicy

if TYPE_CHECKING:
    import httpx
    from llama_index.core.tools.types import BaseTool

__all__ = ["Mixroute"]

MessageDict = Mapping[str, Any]
"""An OpenAI-style message: ``{"role": "user", "content": "hi"}``."""
_CLIENT_FIELDS = frozenset({*PAIR_SETTINGS, "api_base"})
"""The fields the client pair is made from (the key and your httpx clients are not fields)."""


class Mixroute(HoldsClientPair, FunctionCallingLLM):
    """The models behind Mixroute (GPT, Claude, DeepSeek, Gemini, GLM, Qwen, …) in LlamaIndex.

    Mixroute is an OpenAI-compatible gateway; ``Mixroute`` is a ``FunctionCallingLLM``
    that speaks to it through the mixroute core client, so it works wherever LlamaIndex
    takes an LLM (``Settings.llm``, query engines, ``FunctionAgent``, ``ReActAgent``),
    and the model's profile (:class:`mixroute.ModelProfile`) decides its metadata
    (context window, output size, function calling) and how tools, structured output,
    reasoning and search are sent to each model family. The guides linked below tell
    each feature once for the core and both frameworks; here is how LlamaIndex sees it.

    ??? info "Setup"

        ``pip install "mixroute[llama-index]"``, then set ``MIXROUTE_API_KEY`` (and
        ``MIXROUTE_BASE_URL``, with its ``/v1``, for a gateway other than the public one),
        or pass ``api_key=`` and ``api_base=`` (``base_url=`` is the same setting):
        [Getting started](../getting-started.md) walks through it. The key lives only in
        the clients, never in a field, so it is in no repr, log, error, ``to_dict()`` or
        pickle; an unpickled LLM reads ``MIXROUTE_API_KEY`` again.

    ??? info "Key init args — request options"

        - ``model``: the model id, passed through as it is.
        - ``temperature``, ``top_p``, ``max_tokens``, ``stop``, ``seed``: sampling.
        - ``reasoning_effort``, ``enable_thinking``: reasoning (see below).
        - ``enable_search``, ``search_options``, ``search_parameters``, ``server_tools``:
          web search and other server tools sent with every request.
        - ``strict``: strict tool and response schemas.
        - ``tool_choice_fallback`` (``"degrade"`` or ``"refuse"``) and
          ``emulate_response_format`` (on unless ``False``): see tool calling and
          structured output below.
        - ``additional_kwargs``: more request fields (the core's typed options by name,
          anything else sent as is); ``extra_body``: fields merged into the body last.
        - ``context_window``, ``is_function_calling_model``, ``profile_overrides``:
          corrections to what the model's profile says.

        Every request option is also a per-call keyword argument of ``chat``,
        ``complete`` and the others (``llm.chat(messages, temperature=0)``).

    ??? info "Key init args — client settings"

        Handed to the core clients, which define them (:class:`~mixroute.MixrouteClient`
        gives each one's meaning and default): ``api_key``, ``api_base``, ``timeout``
        (seconds), ``max_retries``, ``default_headers``, ``retry_policy``, the
        ``deadline`` of a call and the ``stream_deadline`` of a stream, and the size
        limits ``max_line_bytes``, ``max_body_bytes`` and ``max_error_body_bytes``.
        ``http_client`` and ``async_http_client`` take httpx clients of yours (you close
        them); ``async_transport`` picks the async backend (``"auto"``, ``"aiohttp"`` or
        ``"httpx"``); ``stream_usage``, on by default, asks streams for token counts.

        Bad settings raise :class:`~mixroute.ConfigurationError` from the constructor,
        naming what to fix, and assigning a client setting later (``llm.timeout = 30``)
        opens new clients at once. ``chat`` and the other entry points also take
        ``timeout=``, ``extra_headers=`` and ``deadline=`` for one call.
        ``is_chat_model=True`` is accepted, as ``OpenAILike`` takes it.

    ??? info "Chat and complete"

        The chat entry points take ``ChatMessage`` values or OpenAI-style dicts.

        ```python
        from llama_index.core.llms import ChatMessage
        from llama_index_mixroute import Mixroute

        llm = Mixroute(model="gpt-4o", temperature=0, max_tokens=256)
        messages = [
            ChatMessage(role="system", content="Answer in one sentence."),
            ChatMessage(role="user", content="What does an API gateway do?"),
        ]
        response = llm.chat(messages)
        print(response.message.content)
        print(llm.chat([{"role": "user", "content": "Say hello."}], temperature=0.9).message)

        print(llm.complete("Name a colour.").text)
        print(llm.metadata.context_window, llm.metadata.is_function_calling_model)
        ```

    ??? info "Stream"

        Each response carries the new text in ``delta``; the last one holds the whole
        answer (and, with ``stream_usage`` on, the token counts).

        ```python
        from llama_index.core.llms import ChatMessage
        from llama_index_mixroute import Mixroute

        llm = Mixroute(model="glm-5")
        last = None
        for last in llm.stream_chat([ChatMessage(role="user", content="Tell a short story.")]):
            print(last.delta, end="", flush=True)
        print()
        print(last.message.content)

        for part in llm.stream_complete("Count to three."):
            print(part.delta, end="", flush=True)
        print()
        ```

    ??? info "Async"

        Every entry point has an ``a`` twin; the streaming ones are awaited first, then
        iterated.

        ```python
        import asyncio

        from llama_index_mixroute import Mixroute

        llm = Mixroute(model="glm-5")
        messages = [{"role": "user", "content": "Hello!"}]


        async def ask() -> None:
            print((await llm.achat(messages)).message.content, (await llm.acomplete("Hi")).text)
            async for part in await llm.astream_chat(messages):
                print(part.delta, end="", flush=True)
            async for part in await llm.astream_complete("Count to three."):
                print(part.delta, end="", flush=True)
            print()
            await llm.aclose()  # the async pool this LLM opened on this loop


        asyncio.run(ask())
        ```

    ??? info "Tool calling"

        ``chat_with_tools`` (and ``achat_with_tools``, ``stream_chat_with_tools``,
        ``predict_and_call``) take LlamaIndex tools; ``tool_required=True`` forces a call
        and ``tool_choice`` names a tool. Only the first call is kept unless
        ``allow_parallel_tool_calls=True``. Agents (``FunctionAgent``, ``AgentWorkflow``,
        ``ReActAgent``) use the same methods.

        ```python
        from llama_index.core.tools import FunctionTool
        from llama_index_mixroute import Mixroute


        def get_weather(city: str) -> str:
            '''Get the current weather in a city.'''
            return f"Sunny in {city}"


        tool = FunctionTool.from_defaults(fn=get_weather)
        llm = Mixroute(model="gpt-4o")
        response = llm.chat_with_tools([tool], user_msg="Weather in Paris?", tool_required=True)
        for call in llm.get_tool_calls_from_response(response):
            print(call.tool_name, call.tool_kwargs, tool.call(**call.tool_kwargs))

        print(llm.predict_and_call([tool], "Weather in Paris?"))  # call it, return the output
        ```

        ``tool_required=True`` asks for a forcing ``tool_choice`` that some models cannot
        take: GLM takes ``"auto"`` alone (each model's forms are
        :attr:`mixroute.ModelProfile.accepted_tool_choices`). With the default
        ``tool_choice_fallback="degrade"``, the request carries the strongest form the
        model does take (:meth:`mixroute.ModelProfile.strongest_tool_choice`) and a
        :class:`~mixroute.MixrouteWarning` says so once per model and form; when no tool
        is called, the model is asked again once, then
        :class:`~mixroute.ToolCallNotMadeError` is raised. With ``"refuse"``, the call
        raises :class:`~mixroute.InvalidRequestError` and sends nothing. The families and
        their forms: [Tools and agents](../guides/tools-and-agents.md).

        ```python
        import warnings

        from llama_index.core.tools import FunctionTool
        from llama_index_mixroute import Mixroute
        from mixroute import InvalidRequestError


        def local_time(city: str) -> str:
            '''The local time in a city.'''
            return f"Noon in {city}"


        clock = FunctionTool.from_defaults(fn=local_time)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            glm = Mixroute(model="glm-5")
            response = glm.chat_with_tools([clock], user_msg="Time in Rome?", tool_required=True)
        print([str(warning.message) for warning in caught])  # sent as tool_choice "auto"
        print(glm.get_tool_calls_from_response(response))

        refusing = Mixroute(model="glm-5", tool_choice_fallback="refuse")
        try:
            refusing.chat_with_tools([clock], user_msg="Time in Rome?", tool_required=True)
        except InvalidRequestError as error:
            print(error)
        ```

    ??? info "Structured output"

        ``structured_predict`` (and ``astructured_predict``, ``stream_structured_predict``)
        and ``as_structured_llm`` ask each model the way its profile says it answers best
        (:attr:`mixroute.ModelProfile.structured_output_method`): GPT, Gemini and Grok by
        native ``json_schema``; DeepSeek, Claude and Qwen by a forced call of a tool
        shaped like the class; GLM and Kimi by JSON mode with the schema in the prompt
        ([Structured output](../guides/structured-output.md)). Hitting ``max_tokens``
        mid-answer raises :class:`~mixroute.OutputTruncatedError`.

        ```python
        from llama_index.core.llms import ChatMessage
        from llama_index.core.prompts import PromptTemplate
        from llama_index_mixroute import Mixroute
        from pydantic import BaseModel


        class City(BaseModel):
            name: str
            country: str


        prompt = PromptTemplate("Which city is the {landmark} in?")
        for model in ("gpt-4o", "deepseek-chat"):  # json_schema, then a forced tool call
            llm = Mixroute(model=model)
            print(model, llm.structured_predict(City, prompt, landmark="Eiffel Tower"))

        structured = Mixroute(model="gpt-4o").as_structured_llm(City)
        response = structured.chat([ChatMessage(role="user", content="Where is the Colosseum?")])
        print(response.raw)  # a City
        ```

        A ``response_format`` of your own in ``chat`` or ``complete`` gets the same care:
        on a model without native ``json_schema``, ``emulate_response_format`` (on by
        default) has the core stand in with a schema tool or JSON mode and hands the JSON
        back as the text; set it to ``False`` to send the field as it is.

        ```python
        from llama_index_mixroute import Mixroute
        from pydantic import BaseModel


        class Place(BaseModel):
            city: str


        place = {"name": "place", "schema": Place.model_json_schema()}
        response = Mixroute(model="deepseek-chat").complete(  # no native json_schema
            "Where is Big Ben?", response_format={"type": "json_schema", "json_schema": place}
        )
        print(Place.model_validate_json(response.text))
        ```

    ??? info "Multimodal input"

        Images, documents (PDF) and audio go in as ``ImageBlock``, ``DocumentBlock`` and
        ``AudioBlock`` (or OpenAI-style parts in dict messages), by URL or as data; which
        kinds a model takes is in its profile (``image_inputs``, ``pdf_inputs``,
        ``audio_inputs``). Audio is taken as data only.

        ```python
        from llama_index.core.llms import (
            AudioBlock,
            ChatMessage,
            DocumentBlock,
            ImageBlock,
            TextBlock,
        )
        from llama_index_mixroute import Mixroute

        message = ChatMessage(
            role="user",
            blocks=[
                TextBlock(text="Describe the image, the report and the recording."),
                ImageBlock(url="https://example.com/cat.png"),
                DocumentBlock(data=b"%PDF-1.4 a tiny example", title="notes.pdf"),
                AudioBlock(audio=b"RIFF....WAVEfmt ", format="wav"),
            ],
        )
        print(Mixroute(model="gemini-2.5-flash").chat([message]).message.content)
        ```

    ??? info "Token usage"

        The counts are in the response's ``additional_kwargs`` under
        llama-index-llms-openai's keys (``prompt_tokens``, ``completion_tokens``,
        ``total_tokens``, and ``cached_tokens``, ``reasoning_tokens`` where reported); a
        stream's last response carries them.

        ```python
        from llama_index_mixroute import Mixroute

        response = Mixroute(model="glm-5").complete("Hello!")
        print(response.additional_kwargs)
        ```

    ??? info "Reasoning"

        A reasoning model's thinking comes back as a ``ThinkingBlock`` before the text in
        ``response.message.blocks`` (as ``additional_kwargs["reasoning_content"]`` from
        ``complete``), ``<think>`` tags written inline split out likewise. The levels
        ``reasoning_effort`` takes are the profile's (another is refused with a
        :class:`~mixroute.ConfigurationError`); ``enable_thinking`` turns Qwen's hybrid
        thinking on or off. Earlier turns' thinking is sent back only to the vendors that
        need it: [Reasoning models](../guides/reasoning.md) says which.

        ```python
        from llama_index.core.base.llms.types import ThinkingBlock
        from llama_index_mixroute import Mixroute

        response = Mixroute(model="deepseek-r1").chat([{"role": "user", "content": "Is 91 prime?"}])
        thinking = [b.content for b in response.message.blocks if isinstance(b, ThinkingBlock)]
        print(thinking, response.message.content)

        print(Mixroute(model="o3-mini", reasoning_effort="low").complete("Is 97 prime?").text)
        qwen = Mixroute(model="qwen-plus", enable_thinking=True)
        print(qwen.complete("Is 89 prime?", enable_thinking=False).text)  # off per call
        ```

    ??? info "Web search"

        Three search dialects, one per family (:attr:`mixroute.ModelProfile.web_search`):
        Qwen's ``enable_search`` (with ``search_options``), Grok's ``search_parameters``
        and Claude's server tool ``web_search_20250305`` (in ``server_tools``). The
        sources, where the vendor returns them, are ``CitationBlock`` values in the
        message and dicts in ``additional_kwargs["citations"]``; see
        [Web search and citations](../guides/web-search.md).

        ```python
        from llama_index_mixroute import Mixroute

        # The search settings take dicts as well as mixroute.SearchOptions/SearchParameters.
        for llm in (
            Mixroute(model="qwen-plus", enable_search=True, search_options={"enable_source": True}),
            Mixroute(model="grok-3", search_parameters={"mode": "on", "return_citations": True}),
        ):
            print(llm.complete("Today's top headline?").additional_kwargs["citations"])

        server_tool = {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}
        claude = Mixroute(model="claude-sonnet-4", server_tools=[server_tool])
        print(claude.complete("Today's top headline?").text)
        ```

    ??? info "Errors"

        All are :class:`~mixroute.MixrouteError`. Before anything is sent, a bad setting
        fails the constructor with :class:`~mixroute.ConfigurationError` and a bad call
        argument fails the call with :class:`~mixroute.InvalidRequestError` (each a
        ``ValueError``, a misspelt name answered with the closest one). After, the
        server's refusals and failures arrive as the :class:`~mixroute.APIError` of their
        kind (401, 400, 429 once the retries are spent, a timeout or a spent
        ``deadline``), and a broken stream's ``error.partial`` holds what came before.
        [Errors, retries and deadlines](../guides/errors.md) draws the tree.

        ```python
        from llama_index_mixroute import Mixroute
        from mixroute import ConfigurationError, InvalidRequestError

        try:
            Mixroute(model="glm-5", temprature=0.2)
        except ConfigurationError as error:
            print(error)  # did you mean 'temperature'?

        llm = Mixroute(model="glm-5", max_retries=1, deadline=30)
        try:
            llm.complete("Hi", top_p=7)
        except InvalidRequestError as error:
            print(error)  # top_p must be a number from 0.0 to 1.0
        print(llm.complete("Hi", timeout=10, deadline=None).text)  # per-call client settings
        ```
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
        default=defaults.DEFAULT_DEADLINE,
        description="Seconds a whole call may take, retries included; None for none.",
    )
    stream_deadline: float | None = Field(
        default=None, description="Seconds a whole stream may take; None (default) for none."
    )
    max_line_bytes: int = Field(
        default=defaults.DEFAULT_MAX_LINE_BYTES,
        description="The longest SSE line a stream may send.",
    )
    max_body_bytes: int = Field(
        default=defaults.DEFAULT_MAX_BODY_BYTES,
        description="The largest plain answer, decompressed.",
    )
    max_error_body_bytes: int = Field(
        default=defaults.DEFAULT_MAX_ERROR_BODY_BYTES,
        description="How much of an error body is read.",
    )
    # Checked by the core, so that a bad name is a ConfigurationError like the others.
    async_transport: SkipValidation[defaults.AsyncTransportName] = Field(
        default="auto", description="The async pool's backend: 'auto', 'aiohttp' or 'httpx'."
    )
    reasoning_effort: str | None = Field(default=None, description="'low', 'medium', 'high'...")
    enable_thinking: bool | None = Field(default=None, description="Qwen thinking switch.")
    enable_search: bool | None = Field(default=None, description="Qwen web search switch.")
    search_options: SearchSetting = Field(default=None, description="Qwen search.")
    search_parameters: SearchSetting = Field(default=None, description="Grok search.")
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="More request fields: typed options or body fields."
    )
    extra_body: dict[str, Any] | None = Field(default=None, description="Merged into the body.")
    strict: bool | None = Field(default=None, description="Strict tool and response schemas.")
    # Checked by the core, so that a bad value is a ConfigurationError like the others.
    tool_choice_fallback: SkipValidation[Literal["degrade", "refuse"] | None] = Field(
        default=None,
        description="A forcing tool_choice the model cannot take: 'degrade' (None) sends "
        "the strongest form it takes (a warning, one retry); 'refuse' raises before sending.",
    )
    emulate_response_format: SkipValidation[bool | None] = Field(
        default=None,
        description="Carry out a JSON-schema response_format on a model without native "
        "json_schema (schema tool or JSON mode), the JSON returned as content (None: on).",
    )
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

    # One private attribute, read on every call through _runtime_of (pydantic's own
    # private-attribute lookup costs about 1.5 us).
    _runtime: Runtime = PrivateAttr()
    _client_fields: ClassVar[frozenset[str]] = _CLIENT_FIELDS

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
            raise ConfigurationError(
                "Mixroute got both api_base= and base_url=, which name one setting; give one."
            )
        check_settings(kwargs, _FIELD_NAMES)
        super().__init__(model=model, **kwargs)
        clients = ClientPair(
            api_key,
            base_url=api_base or base_url or None,
            http_client=http_client,
            http_async_client=async_http_client,
            retry_policy=retry_policy,
            integration=INTEGRATION,
            **self._pair_settings(),
        )
        self.api_base = clients.base_url
        self._runtime = runtime = Runtime(clients)
        try:  # every request option is checked now, by the core, not at the first call
            profile = runtime.profile_of(self)
            build_request_body(
                self.model, [UserMessage(".")], profile=profile, **default_options(self)
            )
        except InvalidRequestError as exc:  # a setting, so a ConfigurationError
            raise ConfigurationError(f"Mixroute settings: {exc}") from None

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)  # LlamaIndex's: __init__ again, from the fields
        # The pickled pair, when it could be pickled: it keeps the retry policy, and reads
        # the key from MIXROUTE_API_KEY at the first call.
        runtime = (state.get("__pydantic_private__") or {}).get("_runtime")
        if isinstance(runtime, Runtime):
            self._runtime = Runtime(runtime.clients)

    # Changes of client settings and copies follow the core's rule (mixroute.client_pair):
    # a Runtime of its own over a copy of the pair, your httpx clients shared.

    def _client_pair(self) -> ClientPair | None:
        runtime: Runtime | None = (self.__pydantic_private__ or {}).get("_runtime")
        return None if runtime is None else runtime.clients  # None inside __init__

    def _use_client_pair(self, pair: ClientPair) -> None:
        self._runtime = Runtime(pair)
        if self.api_base != pair.base_url:
            self._set_quietly("api_base", pair.base_url)

    def _new_client_pair(self, current: ClientPair) -> ClientPair:
        return current.replace(base_url=self.api_base or None, **self._pair_settings())

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serializes this LLM under."""
        return "mixroute_llm"

    @property
    def profile(self) -> ModelProfile:
        """What the model can do, from the core's table (and ``profile_overrides``)."""
        return _runtime_of(self).profile_of(self)

    @property
    def metadata(self) -> LLMMetadata:
        """Context window, output size and tool calling, from the model's profile."""
        return _runtime_of(self).metadata_of(self)[0]

    def to_payload(self) -> dict[str, Any]:
        """What instrumentation events say about this LLM: its metadata, never the key."""
        return dict(_runtime_of(self).metadata_of(self)[1])

    def _request(
        self, messages: list[Any], kwargs: dict[str, Any], stream: bool = False
    ) -> Request:
        return build_request(self, _runtime_of(self), messages, kwargs, stream=stream)

    # -- chat and completion, sync and async --
    # Each chat entry point takes OpenAI-style dicts too: they become ChatMessage values
    # before LlamaIndex's callback wrapper (the private method) sees them.

    def chat(self, messages: Sequence[ChatMessage | MessageDict], **kwargs: Any) -> ChatResponse:
        """Send the conversation (``ChatMessage``s or OpenAI-style dicts); return the answer.

        Args:
            messages: the conversation, ``ChatMessage`` values or OpenAI-style dicts.
            **kwargs: request options for this call (``temperature``, ``tools``,
                ``response_format``, ...) and ``timeout``, ``extra_headers``,
                ``deadline``.

        Returns:
            The answer: ``message`` (thinking, text, citation and tool-call blocks),
            ``raw`` (the core's :class:`~mixroute.ChatCompletion`) and the token counts in
            ``additional_kwargs``.

        Raises:
            InvalidRequestError: a message, block or option that cannot be sent (before
                sending).
            APIError: the server's failure, typed (:class:`~mixroute.AuthenticationError`,
                :class:`~mixroute.RateLimitError`, :class:`~mixroute.APITimeoutError`, ...).

        """
        response: ChatResponse = self._chat(to_chat_messages(messages), **kwargs)
        return response

    @llm_chat_callback()
    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        request = self._request(to_core_messages(messages), kwargs)
        return chat_response(request.send(), sent=request.body)

    def stream_chat(
        self, messages: Sequence[ChatMessage | MessageDict], **kwargs: Any
    ) -> ChatResponseGen:
        """Stream the answer: a ``ChatResponse`` per delta, then the assembled one.

        Args:
            messages: the conversation, ``ChatMessage`` values or OpenAI-style dicts.
            **kwargs: as for :meth:`chat`.

        Returns:
            A generator of ``ChatResponse`` values, each with the new text in ``delta``
            and the message so far; the request is sent when it is first advanced.

        Raises:
            InvalidRequestError: a message, block or option that cannot be sent (before
                sending).
            APIError: the server's failure, typed (:class:`~mixroute.AuthenticationError`,
                :class:`~mixroute.RateLimitError`, :class:`~mixroute.APITimeoutError`, ...).

        """
        stream: ChatResponseGen = self._stream_chat(to_chat_messages(messages), **kwargs)
        return stream

    @llm_chat_callback()
    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        request = self._request(to_core_messages(messages), kwargs, stream=True)
        return streaming.chat_stream(request.open_stream, request.body)

    async def achat(
        self, messages: Sequence[ChatMessage | MessageDict], **kwargs: Any
    ) -> ChatResponse:
        """The async :meth:`chat`.

        Args:
            messages: the conversation, ``ChatMessage`` values or OpenAI-style dicts.
            **kwargs: as for :meth:`chat`.

        Returns:
            The answer, as :meth:`chat` returns it.

        Raises:
            InvalidRequestError: a message, block or option that cannot be sent (before
                sending).
            APIError: the server's failure, typed (:class:`~mixroute.AuthenticationError`,
                :class:`~mixroute.RateLimitError`, :class:`~mixroute.APITimeoutError`, ...).

        """
        response: ChatResponse = await self._achat(to_chat_messages(messages), **kwargs)
        return response

    @llm_chat_callback()
    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        request = self._request(to_core_messages(messages), kwargs)
        return chat_response(await request.asend(), sent=request.body)

    async def astream_chat(
        self, messages: Sequence[ChatMessage | MessageDict], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """The async :meth:`stream_chat`: ``async for response in await llm.astream_chat(...)``.

        Args:
            messages: the conversation, ``ChatMessage`` values or OpenAI-style dicts.
            **kwargs: as for :meth:`chat`.

        Returns:
            An async generator of ``ChatResponse`` values, as :meth:`stream_chat` yields.

        Raises:
            InvalidRequestError: a message, block or option that cannot be sent (before
                sending).
            APIError: the server's failure, typed (:class:`~mixroute.AuthenticationError`,
                :class:`~mixroute.RateLimitError`, :class:`~mixroute.APITimeoutError`, ...).

        """
        stream: ChatResponseAsyncGen = await self._astream_chat(
            to_chat_messages(messages), **kwargs
        )
        return stream

    @llm_chat_callback()
    async def _astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        request = self._request(to_core_messages(messages), kwargs, stream=True)
        return streaming.achat_stream(request.aopen_stream, request.body)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Send ``prompt`` as one user message; return the answer's text.

        Args:
            prompt: the text, sent as one user message.
            formatted: LlamaIndex's flag, accepted and unused (no prompt template is
                applied).
            **kwargs: as for :meth:`chat`.

        Returns:
            ``text``, ``raw`` (the core's completion) and, in ``additional_kwargs``, the
            token counts, ``reasoning_content`` and ``citations`` where given.

        Raises:
            InvalidRequestError: a message, block or option that cannot be sent (before
                sending).
            APIError: the server's failure, typed (:class:`~mixroute.AuthenticationError`,
                :class:`~mixroute.RateLimitError`, :class:`~mixroute.APITimeoutError`, ...).

        """
        return completion_response(self._request([UserMessage(prompt)], kwargs).send())

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Stream the answer to ``prompt``: the text so far and the new ``delta``.

        Args:
            prompt: the text, sent as one user message.
            formatted: accepted and unused, as for :meth:`complete`.
            **kwargs: as for :meth:`chat`.

        Returns:
            A generator of ``CompletionResponse`` values.

        Raises:
            InvalidRequestError: a message, block or option that cannot be sent (before
                sending).
            APIError: the server's failure, typed (:class:`~mixroute.AuthenticationError`,
                :class:`~mixroute.RateLimitError`, :class:`~mixroute.APITimeoutError`, ...).

        """
        request = self._request([UserMessage(prompt)], kwargs, stream=True)
        return streaming.completion_stream(request.open_stream)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """The async :meth:`complete`.

        Args:
            prompt: the text, sent as one user message.
            formatted: accepted and unused, as for :meth:`complete`.
            **kwargs: as for :meth:`chat`.

        Returns:
            The answer, as :meth:`complete` returns it.

        Raises:
            InvalidRequestError: a message, block or option that cannot be sent (before
                sending).
            APIError: the server's failure, typed (:class:`~mixroute.AuthenticationError`,
                :class:`~mixroute.RateLimitError`, :class:`~mixroute.APITimeoutError`, ...).

        """
        return completion_response(await self._request([UserMessage(prompt)], kwargs).asend())

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """The async :meth:`stream_complete`.

        Args:
            prompt: the text, sent as one user message.
            formatted: accepted and unused, as for :meth:`complete`.
            **kwargs: as for :meth:`chat`.

        Returns:
            An async generator of ``CompletionResponse`` values.

        Raises:
            InvalidRequestError: a message, block or option that cannot be sent (before
                sending).
            APIError: the server's failure, typed (:class:`~mixroute.AuthenticationError`,
                :class:`~mixroute.RateLimitError`, :class:`~mixroute.APITimeoutError`, ...).

        """
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
        """The tool calls in ``response``; none raises if ``error_on_no_tool_call``.

        Args:
            response: an answer from :meth:`chat` or ``chat_with_tools``.
            error_on_no_tool_call: raise when the answer has no tool call.
            **kwargs: accepted and unused.

        Returns:
            One ``ToolSelection`` per call (``tool_id``, ``tool_name``, ``tool_kwargs``).

        Raises:
            ValueError: with ``error_on_no_tool_call``, no tool call, or a call whose
                arguments are not a JSON object (without it, that call gets none).
            OutputTruncatedError: with ``error_on_no_tool_call``, a call's arguments were
                cut off at the token limit (the message names the one the request sent:
                the LLM's own, or one given in ``additional_kwargs`` or for the call).

        """
        return tool_selections(response, error_on_no_tool_call)

    # -- structured output --

    def structured_predict(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """A validated ``output_cls``: native json_schema, a forced tool call or JSON mode.

        The method is the model profile's
        :attr:`~mixroute.ModelProfile.structured_output_method`.

        Args:
            output_cls: the pydantic class to answer with.
            prompt: the prompt template.
            llm_kwargs: call options for the request.
            **prompt_args: the template's variables.

        Returns:
            An instance of ``output_cls``.

        Raises:
            OutputTruncatedError: the answer was cut off at the token limit (the
                message names the one the request sent).
            ValueError: the answer does not validate as ``output_cls``.

        """
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
        """The async :meth:`structured_predict`.

        Args:
            output_cls: the pydantic class to answer with.
            prompt: the prompt template.
            llm_kwargs: call options for the request.
            **prompt_args: the template's variables.

        Returns:
            An instance of ``output_cls``.

        Raises:
            OutputTruncatedError: the answer was cut off at the token limit (the
                message names the one the request sent).
            ValueError: the answer does not validate as ``output_cls``.

        """
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


def _runtime_of(llm: Mixroute) -> Runtime:
    """``llm._runtime``, read from pydantic's private storage directly.

    Pydantic reaches a private attribute through ``__getattr__`` after the usual lookup
    fails (about 1.5 µs); the entry points read it on every call (the instrumentation's
    ``to_payload`` too), so they take it from the storage dict (about 0.05 µs).
    """
    runtime: Runtime = llm.__pydantic_private__["_runtime"]  # type: ignore[index]
    return runtime


_FIELD_NAMES = frozenset(Mixroute.model_fields)
