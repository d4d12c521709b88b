"""`no_grad()`: compute values without recording a graph, in this thread only.

Inside `with no_grad():` every op still computes its value, but the node it makes is a leaf: no
inputs, no rule, so nothing is traced back through it and nothing holds the inputs alive. That
is what evaluating a model (accuracy, plotting a decision boundary) or updating parameters by
hand wants: less memory, less time, no graph to keep.

The state is per thread (a thread inside no_grad() does not change what another one records),
nests, and is restored however the block ends. So that the engine pays almost nothing when no
thread uses it, `threads_inside` counts the threads inside a no_grad() block: only while it is
not zero does the engine ask for this thread's own state.
"""

from __future__ import annotations

import contextlib
import threading
from types import TracebackType

__all__ = ["no_grad", "records_graph", "threads_inside"]

threads_inside = 0  # how many threads are inside a no_grad() block now
_lock = threading.Lock()
_state = threading.local()


def records_graph() -> bool:
    """Whether ops in this thread record a graph now (False inside no_grad())."""
    return getattr(_state, "depth", 0) == 0


class no_grad(contextlib.ContextDecorator):
    """Inside this block (or a function decorated with `@no_grad()`), ops compute values but
    record no graph: their results are leaves. Per thread; nests; restored on exceptions.

        with no_grad():
            accuracy = losses.accuracy([model(x) for x in X], y)
    """

    def __enter__(self) -> no_grad:
        global threads_inside
        depth = getattr(_state, "depth", 0)
        _state.depth = depth + 1
        if depth == 0:
            with _lock:
                threads_inside += 1
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        global threads_inside
        _state.depth -= 1
        if _state.depth == 0:
            with _lock:
                threads_inside -= 1
