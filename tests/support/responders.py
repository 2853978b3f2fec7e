"""Responders for the fault server in a child process (``FaultServerProcess``).

The child imports the module that names its responder, so these live apart from the
tests: this module imports the fault server and the standard library only, and the child
starts in a fraction of a second instead of importing pytest and the clients.
"""

from __future__ import annotations

import random

from reliability.fault_server import Action, Answer, Received, Reset

__all__ = ["ResetSome"]


class ResetSome:
    """Reset about ``rate`` of the requests with a TCP RST, answer the rest.

    The reset comes after the request is read and before a byte of the answer, so the
    client may safely send the request again. Seeded: every run resets the same share.
    ``failed`` counts the resets (``FaultServerProcess.stats()`` reports it).
    """

    def __init__(self, rate: float, seed: int = 11) -> None:
        self.random = random.Random(seed)
        self.rate = rate
        self.failed = 0
        self.answer = Answer()
        self.reset = Reset()

    def __call__(self, request: Received) -> Action:
        # Called on the server's one event-loop thread: no lock needed.
        if self.random.random() < self.rate:
            self.failed += 1
            return self.reset
        return self.answer
