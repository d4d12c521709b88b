"""softmax and log_softmax of a sequence of Values: class probabilities from scores.

    probabilities = softmax(logits)           # each in (0, 1), adding up to 1
    log_probabilities = log_softmax(logits)   # log of those, computed without their overflow

Both are built from the engine's ops (exp, a sum, log, a division), so their derivatives come
from those ops' rules, first, second and beyond; nothing here writes a derivative.

Stable for any scores: the largest one, m, is subtracted first (softmax does not change when
every score moves by the same amount), so every exp() is of a number <= 0 and cannot overflow:
[1000, 0, -1000] gives [1, e^-1000, e^-2000] = [1.0, 0.0, 0.0]. m is taken as a constant, a
number rather than a node: its effect cancels exactly, so the gradients are unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._checks import refuse_unordered, to_float
from ..engine import Value

__all__ = ["softmax", "log_softmax"]


def _scores(values: Sequence[Value | float], who: str) -> list[Value]:
    """The scores as Values (numbers wrapped as leaves), or a clear error."""
    refuse_unordered(values, who)
    if isinstance(values, (Value, str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{who} expects a list of Values (one score per class), got {type(values).__name__} {values!r}")
    if not values:
        raise ValueError(f"{who} of an empty list: there must be at least one score")
    return [v if isinstance(v, Value) else Value(to_float(v, f"{who} score {i}")) for i, v in enumerate(values)]


def _shifted(scores: list[Value]) -> tuple[list[Value], Value]:
    """The scores less the largest one, and the log of the sum of their exponentials."""
    m = max(v.data for v in scores)
    shifted = [v - m for v in scores]
    return shifted, Value.sum([v.exp() for v in shifted]).log()


def log_softmax(values: Sequence[Value | float]) -> list[Value]:
    """log(softmax(values)), computed as (z_i - m) - log(sum_j e^(z_j - m)): finite for any scores."""
    shifted, log_total = _shifted(_scores(values, "log_softmax"))
    return [v - log_total for v in shifted]


def softmax(values: Sequence[Value | float]) -> list[Value]:
    """e^z_i / sum_j e^z_j for each score: probabilities that add up to 1, finite for any scores."""
    scores = _scores(values, "softmax")
    m = max(v.data for v in scores)
    exps = [(v - m).exp() for v in scores]
    total = Value.sum(exps)
    return [e / total for e in exps]
