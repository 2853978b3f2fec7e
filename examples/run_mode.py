"""Where the examples send their requests: offline, to a local server, or to a live one.

Read from the environment, once, by each example:

- ``MIXROUTE_BASE_URL`` on this machine (``127.0.0.1``, ``localhost``, ``::1``): a local
  server, such as a model server or a stand-in for tests; ``MIXROUTE_API_KEY`` is used
  when set, else a placeholder (a local server asks for no Mixroute key);
- else ``MIXROUTE_API_KEY`` set: live, against ``MIXROUTE_BASE_URL`` (by default the
  Mixroute gateway, https://console.mixroute.io/v1);
- else offline: the example answers itself (a scripted stand-in, or recorded cassettes).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

GATEWAY = "https://console.mixroute.io/v1"
LOCAL_KEY = "sk-local-server-placeholder"

Kind = Literal["offline", "local server", "live"]


@dataclass(frozen=True)
class RunMode:
    """Where requests go, and the base URL and key to send them with (``None``: default)."""

    kind: Kind
    base_url: str | None = None
    api_key: str | None = None

    def describe(self, offline: str) -> str:
        """The example's first line; ``offline`` says what answers when nothing is sent."""
        if self.kind == "offline":
            return f"Offline: {offline} (set MIXROUTE_API_KEY to run live)."
        if self.kind == "local server":
            return f"On a local server: {self.base_url} (MIXROUTE_BASE_URL)."
        url = self.base_url or GATEWAY
        if urlsplit(url).hostname == urlsplit(GATEWAY).hostname:
            return f"Live: the Mixroute gateway ({url}), with MIXROUTE_API_KEY."
        return f"Live: {url} (MIXROUTE_BASE_URL), with MIXROUTE_API_KEY."


def run_mode(environ: Mapping[str, str] = os.environ) -> RunMode:
    """Where this run's requests go, by the rules in the module's docstring."""
    base_url = environ.get("MIXROUTE_BASE_URL") or None
    api_key = environ.get("MIXROUTE_API_KEY") or None
    if base_url is not None and is_local(base_url):
        return RunMode("local server", base_url, api_key or LOCAL_KEY)
    if api_key is not None:
        return RunMode("live", base_url, api_key)
    return RunMode("offline")


def is_local(url: str) -> bool:
    """Whether a URL's host is this machine (a loopback name or address)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
