"""LangChain integration for Mixroute: ``ChatMixroute``, a thin adapter over the core.

>>> from langchain_mixroute import ChatMixroute
>>> ChatMixroute(model="glm-5", api_key="sk-...").profile["tool_calling"]
True

Without langchain-core installed, importing it raises an ``ImportError`` that says what to
install: ``pip install 'mixroute[langchain]'``.
"""

from mixroute.extras import missing_extra

try:
    from langchain_mixroute.chat_models import ChatMixroute
except ModuleNotFoundError as exc:
    _error = missing_extra(
        exc,
        adapter="langchain_mixroute",
        module="langchain_core",
        distribution="langchain-core",
        extra="langchain",
    )
    if _error is None:
        raise
    raise _error from None

__all__ = ["ChatMixroute"]
