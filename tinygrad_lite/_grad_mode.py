"""`no_grad()`: compute values without recording a graph, in this thread only.

Inside `with no_grad():` every op still computes its value, but the node it makes is a leaf: no
inputs, no rule, so nothing is traced back through it and nothing holds the inputs alive. That
is what evaluating a model (accuracy, plotting a decision boundary) or updating parameters by
hand wants: less memory, less time, no graph to keep.

The state is per thread (a thread inside no_grad() does not change what another one records),
nests, and is restored however the block ends. It is one dict, `threads_without_graph`, from a
thread's identity to how deep it is in no_grad() blocks: empty nearly always, which is all the
engine checks for each node it makes before asking about its own thread.
"""

from __future__ import annotations

import contextlib
import threading
from types import TracebackType

__all__ = ["no_grad", "records_graph", "threads_without_graph"]

threads_without_graph: dict[int, int] = {}  # thread identity -> depth of no_grad() blocks; never rebound
_lock = threading.Lock()


def records_graph() -> bool:
    """Whether ops in this thread record a graph now (False inside no_grad())."""
    return threading.get_ident() not in threads_without_graph


class no_grad(contextlib.ContextDecorator):
    """Inside this block (or a function decorated with `@no_grad()`), ops compute values but
    record no graph: their results are leaves. Per thread; nests; restored on exceptions.

        with no_grad():
            accuracy = losses.accuracy([model(x) for x in X], y)
    """

    def __enter__(self) -> no_grad:
        me = threading.get_ident()
        with _lock:
            threads_without_graph[me] = threads_without_graph.get(me, 0) + 1
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        me = threading.get_ident()
        with _lock:
            depth = threads_without_graph.pop(me) - 1
            if depth:
                threads_without_graph[me] = depth
