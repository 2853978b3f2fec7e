"""``from llama_index.llms.mixroute import Mixroute``, where LlamaIndex users look for LLMs.

``llama_index`` and ``llama_index.llms`` stay namespace packages (no ``__init__.py``), so
this directory merges with the installed ``llama_index.core``, as the first-party
integrations do.
"""

from llama_index_mixroute import Mixroute

__all__ = ["Mixroute"]
