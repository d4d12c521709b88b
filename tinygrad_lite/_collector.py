"""`paused_gc`: pause Python's cycle collector for a block, restoring its previous state after.

Graphs of Values hold no reference cycles, but building a large one still sets off the
collector's full collections, each walking every live object. Pausing it around our own
allocation-heavy work (and letting users pause it around theirs) removes that cost without
changing the collector for the rest of the process.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["paused_gc"]


class _CollectorPause:
    """The shared state behind `paused_gc`: how many pauses are open, in all threads, and
    whether the collector was enabled when the first of them began.

    Pauses may overlap across threads and end in any order. Only the first to begin switches
    the collector off and only the last to end restores what the first found, under a lock:
    two threads saving and restoring the state each on their own would interleave and could
    leave the collector off for good.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.was_enabled = False

    def begin(self) -> None:
        with self.lock:
            if self.depth == 0:
                self.was_enabled = gc.isenabled()
                gc.disable()
            self.depth += 1

    def end(self) -> None:
        with self.lock:
            self.depth -= 1
            if self.depth == 0 and self.was_enabled:
                gc.enable()


_collector_pause = _CollectorPause()


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cycle collector inside the block, restoring its previous state after.

    Graphs of Values hold no reference cycles (they are freed by reference counting), but
    building a large one still makes Python's collector run full collections that walk every
    live object, repeatedly: with 300,000 nodes alive that is still a large share of the time
    of building them. Wrap graph-building code in it when a graph is large:

        with paused_gc():
            loss = model_loss(...)
            loss.backward()

    It is also a decorator: `@paused_gc()` above a function that runs a training step.
    Code inside that creates cycles of its own (not Values) leaves them for the next
    collection after the block: nothing is lost.

    Safe with threads and nesting: the collector stays paused while any pause is open, in any
    thread, and the state found by the first is restored when the last one ends. The pause is
    process-wide while it lasts, as the collector is.
    """
    _collector_pause.begin()
    try:
        yield
    finally:
        _collector_pause.end()
