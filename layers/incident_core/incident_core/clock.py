"""The one place the suite's handlers read the time.

Domain code takes `now` as an argument; the edges (handlers, wiring) ask `utc_now()`. The end-to-end
test and the demo drive every function through a whole incident at a chosen instant (2 a.m. on a
Saturday, say) with `frozen_at`; nothing outside Python code can move it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_source: Callable[[], datetime] | None = None


def utc_now() -> datetime:
    return _source() if _source is not None else datetime.now(UTC)


@contextmanager
def frozen_at(source: Callable[[], datetime]) -> Iterator[None]:
    """Every `utc_now()` inside the block answers `source()` (a callable, so a test can move time on)."""
    global _source
    previous, _source = _source, source
    try:
        yield
    finally:
        _source = previous
