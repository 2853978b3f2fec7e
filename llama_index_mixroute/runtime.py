"""What a ``Mixroute`` keeps besides its fields, and the requests it builds from them.

:class:`Runtime` holds the core clients and the values derived from the settings (the
model profile, the metadata and its instrumentation payload), recomputed only when the
settings they come from change. :func:`build_request` turns one call into a checked
:class:`Request`: the body is built and validated by the core when the call is made, even
for a stream that is only opened when first iterated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import LLMMetadata
from llama_index.core.constants import DEFAULT_CONTEXT_WINDOW, DEFAULT_NUM_OUTPUTS

from llama_index_mixroute.options import setting_fields, settings_options
from mixroute.answer_policy import NO_POLICY, AnswerPolicy, plan_request
from mixroute.client_pair import ClientPair
from mixroute.options import merge_options, split_call
from mixroute.profiles import ModelProfile, get_profile
from mixroute.response import ChatCompletion

if TYPE_CHECKING:
    from llama_index_mixroute.llm import Mixroute
    from mixroute.streaming import AsyncChatStream, ChatStream

__all__ = ["Request", "Runtime", "build_request", "default_options"]


@dataclass(slots=True)
class Runtime:
    """The clients of one LLM, and caches keyed by the settings they derive from."""

    clients: ClientPair
    profile: ModelProfile | None = None
    profile_key: tuple[Any, ...] | None = None
    metadata: tuple[LLMMetadata, dict[str, Any]] | None = None
    metadata_key: tuple[Any, ...] | None = None

    def profile_of(self, llm: Mixroute) -> ModelProfile:
        """The model's profile from the core's table, with ``profile_overrides`` applied."""
        key = (llm.model, llm.profile_overrides)
        if self.profile is None or self.profile_key != key:
            self.profile = get_profile(llm.model, llm.profile_overrides)
            self.profile_key = key
        return self.profile

    def metadata_of(self, llm: Mixroute) -> tuple[LLMMetadata, dict[str, Any]]:
        """``LLMMetadata`` from the profile and the overrides, and its event payload."""
        key = (
            llm.model,
            llm.max_tokens,
            llm.context_window,
            llm.is_function_calling_model,
            llm.profile_overrides,
        )
        cached = self.metadata
        if cached is not None and self.metadata_key == key:
            return cached
        profile = self.profile_of(llm)
        tools = llm.is_function_calling_model
        metadata = LLMMetadata(
            context_window=llm.context_window or profile.max_input_tokens or DEFAULT_CONTEXT_WINDOW,
            num_output=llm.max_tokens or profile.max_output_tokens or DEFAULT_NUM_OUTPUTS,
            is_chat_model=True,
            is_function_calling_model=profile.tool_calling if tools is None else tools,
            model_name=llm.model,
        )
        payload = {"class_name": llm.class_name(), **metadata.model_dump()}
        self.metadata, self.metadata_key = (metadata, payload), key
        return self.metadata


@dataclass(slots=True)
class Request:
    """One checked request: the body, its answer policy, and where and how to send it."""

    clients: ClientPair
    body: dict[str, Any]
    profile: ModelProfile
    args: dict[str, Any]
    policy: AnswerPolicy = NO_POLICY

    def send(self) -> ChatCompletion:
        """Send it on the sync client and parse the answer."""
        client = self.clients.sync_client
        return client.send(self.body, profile=self.profile, policy=self.policy, **self.args)

    async def asend(self) -> ChatCompletion:
        """Send it on the async client and parse the answer."""
        client = self.clients.async_client
        return await client.send(self.body, profile=self.profile, policy=self.policy, **self.args)

    def open_stream(self) -> ChatStream:
        """Open it as a sync stream."""
        client = self.clients.sync_client
        return client.send_stream(self.body, profile=self.profile, policy=self.policy, **self.args)

    async def aopen_stream(self) -> AsyncChatStream:
        """Open it as an async stream."""
        client = self.clients.async_client
        opener = client.send_stream(
            self.body, profile=self.profile, policy=self.policy, **self.args
        )
        return await opener


def default_options(llm: Mixroute) -> dict[str, Any]:
    """The request options of the LLM's settings, before any per-call argument."""
    settings = {name: getattr(llm, name) for name in setting_fields(type(llm))}
    return settings_options(settings, llm.additional_kwargs, llm.extra_body, llm.server_tools)


def build_request(
    llm: Mixroute,
    runtime: Runtime,
    messages: list[Any],
    kwargs: Mapping[str, Any],
    *,
    stream: bool = False,
) -> Request:
    """Build and check the body for one call of ``llm``; nothing is sent yet."""
    profile = runtime.profile_of(llm)
    options, client_args = split_call(kwargs, who="Mixroute call")
    options = merge_options(default_options(llm), options)
    planned = plan_request(
        llm.model,
        messages,
        stream=stream,
        include_usage=llm.stream_usage,
        profile=profile,
        **options,
    )
    return Request(runtime.clients, planned.body, profile, client_args, planned.policy)
