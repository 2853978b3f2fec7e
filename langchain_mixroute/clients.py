"""What ChatMixroute adds to the core's client pair: LangChain's name on every request.

The clients themselves (settings checked at construction, pools opened on first use,
copies and pickles) are :class:`mixroute.client_pair.ClientPair`.
"""

from __future__ import annotations

from langchain_core import __version__ as langchain_core_version

__all__ = ["INTEGRATION"]

INTEGRATION = f"langchain-core/{langchain_core_version}"
"""What the requests' ``User-Agent`` ends with (after ``mixroute/<v> python/<x.y>``)."""
