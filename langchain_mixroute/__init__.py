"""LangChain integration for Mixroute: ``ChatMixroute``, a thin adapter over the core.

>>> from langchain_mixroute import ChatMixroute
>>> ChatMixroute(model="glm-5", api_key="sk-...").profile["tool_calling"]
True

Without langchain-core installed, importing it raises an ``ImportError`` that says what to
install: ``pip install 'mixroute[langchain]'``.
"""

from mixroute.extras import framework_required

with framework_required("langchain_mixroute"):
    # The framework first, from here: imported from inside our own modules, one level
    # deeper, it cost CPython 3.11 ~9,000 more page faults (frame-stack chunks allocated
    # and freed at a boundary), ~0.15 s of `import langchain_mixroute`.
    import langchain_core.language_models.chat_models  # noqa: F401

    from langchain_mixroute.chat_models import ChatMixroute

__all__ = ["ChatMixroute"]
