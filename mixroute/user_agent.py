"""The ``User-Agent`` the clients send: ``mixroute/<version> python/<x.y>``, and the framework.

An adapter names its framework (``langchain-core/1.8.3``) when it makes its core clients;
a ``User-Agent`` of the caller's (in ``default_headers``, or on an httpx client passed in)
is sent instead. The string is built once per framework, when a client is made, never per
request.

>>> user_agent("langchain-core/1.8.3")  # doctest: +SKIP
'mixroute/0.1.0 python/3.11 langchain-core/1.8.3'
"""

from __future__ import annotations

import functools
import sys

__all__ = ["user_agent"]


@functools.cache
def user_agent(integration: str | None = None) -> str:
    """The ``User-Agent`` value, with ``integration`` (``name/version``) at its end if given."""
    from mixroute import __version__  # here: this module may load while mixroute does

    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    agent = f"mixroute/{__version__} python/{python}"
    return f"{agent} {integration}" if integration else agent
