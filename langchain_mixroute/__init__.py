"""LangChain integration for Mixroute: ``ChatMixroute``, a thin adapter over the core.

>>> from langchain_mixroute import ChatMixroute
>>> ChatMixroute(model="glm-5", api_key="sk-...").profile["tool_calling"]
True
"""

from langchain_mixroute.chat_models import ChatMixroute

__all__ = ["ChatMixroute"]
