"""The suite's thread pool: each task runs in a copy of the context of the code that submitted it.

A ThreadPoolExecutor's threads start with an empty `contextvars` context, so what the invocation knows
through context variables is lost in them: Powertools Logger's thread-safe keys, and in the tests the
permission check's record of which function is running (tests/iam_guard.py, which fails a call it cannot
attribute). Each task here gets its own copy, as asyncio gives its tasks (one context cannot be entered
by two threads at once). Every thread pool of the suite's functions is one of these.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class ContextThreadPool(ThreadPoolExecutor):
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
