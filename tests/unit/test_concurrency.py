"""The suite's thread pool: each task sees the context of the code that submitted it, and only a copy
(a plain ThreadPoolExecutor's threads see an empty one)."""

from __future__ import annotations

import contextvars
import re
from pathlib import Path

from incident_core.concurrency import ContextThreadPool

ROOT = Path(__file__).resolve().parents[2]
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


def test_the_functions_make_their_pools_only_from_the_suites_pool() -> None:
    """A plain pool's threads would lose the invocation's context (and fail the permission check only on
    the paths the tests take): the code of the functions and the layer has none."""
    code = [*(ROOT / "functions").rglob("*.py"), *(ROOT / "layers" / "incident_core").rglob("*.py")]
    plain = [
        str(path.relative_to(ROOT))
        for path in code
        if path.name != "concurrency.py" and re.search(r"ThreadPoolExecutor\s*\(", path.read_text())
    ]
    assert plain == []
