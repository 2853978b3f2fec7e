"""LlamaIndex integration for Mixroute: ``Mixroute``, a ``FunctionCallingLLM`` over the core.

>>> from llama_index_mixroute import Mixroute
>>> llm = Mixroute(model="glm-5")  # doctest: +SKIP
>>> print(llm.complete("Briefly introduce AI"))  # doctest: +SKIP

Also importable as ``from llama_index.llms.mixroute import Mixroute``.
"""

from llama_index_mixroute.llm import Mixroute

__all__ = ["Mixroute"]
