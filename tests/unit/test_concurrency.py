"""The suite's thread pool: each task sees the context of the code that submitted it, and only a copy
(a plain ThreadPoolExecutor's threads see an empty one)."""

from __future__ import annotations

import contextvars

from incident_core.concurrency import ContextThreadPool

RUNNING: contextvars.ContextVar[str | None] = contextvars.ContextVar("running", default=None)


def change_and_read(value: str) -> str | None:
    seen = RUNNING.get()
    RUNNING.set(value)
    return seen


def test_each_task_runs_in_a_copy_of_the_submitters_context() -> None:
    token = RUNNING.set("SlackAppFunction")
    try:
        with ContextThreadPool(max_workers=1) as pool:  # one thread: both tasks run on it, in turn
            first = pool.submit(change_and_read, "changed by a task")
            second = pool.submit(change_and_read, "again")
            assert (first.result(), second.result()) == ("SlackAppFunction", "SlackAppFunction")
            assert list(pool.map(lambda _: RUNNING.get(), range(3))) == ["SlackAppFunction"] * 3
        assert RUNNING.get() == "SlackAppFunction"  # a task's change stays in its copy
    finally:
        RUNNING.reset(token)
