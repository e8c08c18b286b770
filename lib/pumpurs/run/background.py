"""Work on a thread of its own that the interpreter waits for before exiting.

The batch stores the national judgement this way while reports render from an early
store, and run/changes.py keeps the comparisons' cache the same way; both import this
module, so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


def in_background(work: Callable[..., Any], *args: Any) -> Future[Any]:
    """Start `work` on a thread of its own; the interpreter waits for it before exiting."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="pumpurs-store")
    try:
        return pool.submit(work, *args)
    finally:
        pool.shutdown(wait=False)
