"""Faults of the runner itself, as opposed to failures of the site being watched.

A failure of the site (an HTTP error, a missing selector, a timeout, DNS, TLS or a refused connection)
is what a user would meet: it fails the journey and, confirmed, is announced as JourneyFailed. A fault
of the runner (its browser would not start or died, a secret could not be read, a bug in our code) says
nothing about the site: it is never announced as JourneyFailed and leaves the journey's state as it was.
The runner counts it (RunnerFaults) and fails its invocation, so the suite's own errors alarm hears it.
"""

from __future__ import annotations


class RunnerFault(Exception):
    """The runner could not carry out a step through a fault of its own; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
