"""Mixroute: a typed, framework-free client for the Mixroute chat-completions gateway.

The LangChain and LlamaIndex adapters (``langchain_mixroute``, ``llama_index_mixroute``)
are thin layers over this package; everything about the wire lives here.
"""

import importlib
from typing import TYPE_CHECKING, Any

from mixroute.accumulator import ChunkDelta, StreamAccumulator, ToolCallDelta
from mixroute.citations import Citation
from mixroute.errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    InvalidRequestError,
    MixrouteError,
    MixrouteWarning,
    NotFoundError,
    OutputTruncatedError,
    PermissionDeniedError,
    RateLimitError,
    ToolCallNotMadeError,
    UnprocessableEntityError,
)
from mixroute.messages import (
    AudioPart,
    DeveloperMessage,
    FilePart,
    ImagePart,
    SystemMessage,
    TextPart,
    ToolMessage,
    UserMessage,
)
from mixroute.profiles import ModelProfile, get_profile
from mixroute.request import ChatOptions, SearchOptions, SearchParameters, build_request_body
from mixroute.response import (
    AssistantMessage,
    ChatCompletion,
    Choice,
    InvalidToolCall,
    ToolCall,
    Usage,
    parse_completion,
)
from mixroute.retry import RetryPolicy
from mixroute.sse import ServerSentEvent, SSEDecoder
from mixroute.stream_opener import StreamOpener

if TYPE_CHECKING:
    from mixroute.client import AsyncMixrouteClient, MixrouteClient
    from mixroute.client_pair import ClientPair
    from mixroute.streaming import AsyncChatStream, ChatStream, StreamDecoder

# The clients and streams are loaded on first use, and httpx with them: a framework that
# imports this package at start-up does not pay for the HTTP stack until it sends.
_LAZY = {
    "AsyncMixrouteClient": "mixroute.client",
    "MixrouteClient": "mixroute.client",
    "ClientPair": "mixroute.client_pair",
    "AsyncChatStream": "mixroute.streaming",
    "ChatStream": "mixroute.streaming",
    "StreamDecoder": "mixroute.streaming",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mixroute' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AssistantMessage",
    "AsyncChatStream",
    "AsyncMixrouteClient",
    "AudioPart",
    "AuthenticationError",
    "BadRequestError",
    "ChatCompletion",
    "ChatOptions",
    "ChatStream",
    "Choice",
    "ClientPair",
    "ChunkDelta",
    "Citation",
    "ConfigurationError",
    "ConflictError",
    "DeveloperMessage",
    "FilePart",
    "ImagePart",
    "InternalServerError",
    "InvalidRequestError",
    "InvalidToolCall",
    "MixrouteClient",
    "MixrouteError",
    "MixrouteWarning",
    "ModelProfile",
    "NotFoundError",
    "OutputTruncatedError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "SSEDecoder",
    "SearchOptions",
    "SearchParameters",
    "ServerSentEvent",
    "StreamAccumulator",
    "StreamDecoder",
    "StreamOpener",
    "SystemMessage",
    "TextPart",
    "ToolCall",
    "ToolCallDelta",
    "ToolCallNotMadeError",
    "ToolMessage",
    "Usage",
    "UnprocessableEntityError",
    "UserMessage",
    "__version__",
    "build_request_body",
    "get_profile",
    "parse_completion",
]
