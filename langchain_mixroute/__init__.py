"""LangChain integration for Mixroute: ``ChatMixroute``, a thin adapter over the core.

>>> from langchain_mixroute import ChatMixroute
>>> ChatMixroute(model="glm-5", api_key="sk-...").profile["tool_calling"]
True

Without langchain-core installed, importing it raises an ``ImportError`` that says what to
install: ``pip install 'mixroute[langchain]'``.
"""

from mixroute.extras import framework_required

with framework_required("langchain_mixroute"):
    from langchain_mixroute.chat_models import ChatMixroute

__all__ = ["ChatMixroute"]
