"""LlamaIndex integration for Mixroute: ``Mixroute``, a ``FunctionCallingLLM`` over the core.

>>> from llama_index_mixroute import Mixroute
>>> llm = Mixroute(model="glm-5")  # doctest: +SKIP
>>> print(llm.complete("Briefly introduce AI"))  # doctest: +SKIP

Also importable as ``from llama_index.llms.mixroute import Mixroute``. Without
llama-index-core installed, importing it raises an ``ImportError`` that says what to
install: ``pip install 'mixroute[llama-index]'``.
"""

from mixroute.extras import missing_extra

try:
    from llama_index_mixroute.llm import Mixroute
except ModuleNotFoundError as exc:
    _error = missing_extra(
        exc,
        adapter="llama_index_mixroute",
        module="llama_index.core",
        distribution="llama-index-core",
        extra="llama-index",
    )
    if _error is None:
        raise
    raise _error from None

__all__ = ["Mixroute"]
