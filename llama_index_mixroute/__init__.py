"""LlamaIndex integration for Mixroute: ``Mixroute``, a ``FunctionCallingLLM`` over the core.

>>> from llama_index_mixroute import Mixroute
>>> llm = Mixroute(model="glm-5")  # doctest: +SKIP
>>> print(llm.complete("Briefly introduce AI"))  # doctest: +SKIP

Also importable as ``from llama_index.llms.mixroute import Mixroute``. Without
llama-index-core installed, importing it raises an ``ImportError`` that says what to
install: ``pip install 'mixroute[llama-index]'``.
"""

from mixroute.extras import framework_required

with framework_required("llama_index_mixroute"):
    from llama_index_mixroute.llm import Mixroute

__all__ = ["Mixroute"]
