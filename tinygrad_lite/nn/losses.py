"""Loss functions (each the mean over examples, returned as a Value) and accuracy.

    mse(preds, targets)                   mean (p - t)**2
    binary_cross_entropy(probabilities, targets)
                                          mean -(t log p + (1-t) log(1-p)), logs clamped at -100 (PyTorch's)
    binary_cross_entropy_with_logits(logits, targets)
                                          mean softplus(z) (t=0) or softplus(-z) (t=1): exact for any z
    cross_entropy(logits, targets)        mean -log softmax(row)[target], rows of class scores
    hinge(scores, labels)                 mean max(0, 1 - y*s), labels -1/+1
    l2(params)                            sum p**2, to add as weight decay
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

from .._checks import refuse_unordered, to_float
from ..engine import Value
from .functional import log_softmax

__all__ = ["mse", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "hinge", "l2",
           "accuracy"]


Prediction = Value | float | list[Value]
"""What a loss takes per example: a Value (or a number), as `model(x)` returns for a model with one
output. `model(x)` is typed `Value | list[Value]`, so the list is allowed here for type checkers;
a model with several outputs gives a list, which is refused at run time with a TypeError
saying to pick one Value (or to use cross_entropy, which takes one row of scores per example)."""


Target = float | Value
"""A target or label: a number, or a Value holding one (as `tl.jit` passes the numbers it is
given); a Value target takes part in the arithmetic, and its checks read its data."""


def _number(t: Target) -> float:
    return t.data if isinstance(t, Value) else t


def _pairs(preds: Sequence[Prediction], targets: Sequence[Target], name: str) -> list[tuple[Value, Target]]:
    """Validate a loss's arguments and pair them up, wrapping numbers as Values."""
    for arg, what in ((preds, "predictions"), (targets, "targets")):
        refuse_unordered(arg, f"{name} {what}")
        if isinstance(arg, (Value, int, float, str)) or not hasattr(arg, "__len__"):
            raise TypeError(f"{name}: {what} must be a list, got {type(arg).__name__} {arg!r}")
    if len(preds) != len(targets):
        raise ValueError(f"{name}: {len(preds)} predictions but {len(targets)} targets; they must match")
    if len(preds) == 0:
        raise ValueError(f"{name}: empty input; a mean over zero examples is undefined")
    pairs = []
    for i, (p, t) in enumerate(zip(preds, targets)):
        if isinstance(p, list):
            raise TypeError(f"{name}: prediction {i} is a list of {len(p)} Values (a model with several outputs); "
                            "give one Value per example, or use cross_entropy for one row of class scores each")
        if not isinstance(p, Value):
            p = Value(to_float(p, f"{name} prediction {i}"))
        pairs.append((p, t if isinstance(t, Value) else to_float(t, f"{name} target {i}")))
    return pairs


def mse(preds: Sequence[Prediction], targets: Sequence[Target]) -> Value:
    """Mean squared error: mean over i of (preds[i] - targets[i])**2."""
    pairs = _pairs(preds, targets, "mse")
    squares = []
    for p, t in pairs:
        diff = p - t
        squares.append(diff * diff)
    return Value.sum(squares) * (1.0 / len(pairs))


def binary_cross_entropy(probabilities: Sequence[Prediction], targets: Sequence[Target]) -> Value:
    """Binary cross-entropy of probabilities p (sigmoid outputs), targets in [0, 1], as PyTorch's
    function of the same name: the mean of -(t log p + (1 - t) log(1 - p)).

    A probability outside [0, 1] (or NaN) is a ValueError: logits belong in
    `binary_cross_entropy_with_logits`, which is also the exact and stable choice when the
    probabilities come from a sigmoid. As in PyTorch, each log is clamped at -100, so p = 0 or
    p = 1 gives a finite loss (the clamped part then passes no gradient).
    """
    pairs = _pairs(probabilities, targets, "binary_cross_entropy")
    terms = []
    for i, (p, t) in enumerate(pairs):
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(f"binary_cross_entropy: probabilities must lie in [0, 1], got {p.data!r} at index {i}; "
                             "for logits (scores before a sigmoid) use binary_cross_entropy_with_logits")
        if not 0.0 <= _number(t) <= 1.0:
            raise ValueError(f"binary_cross_entropy: targets must lie in [0, 1], got {t!r} at index {i}")
        terms.append(-(t * _clamped_log(p) + (1.0 - t) * _clamped_log(1.0 - p)))
    return Value.sum(terms) * (1.0 / len(terms))


_SMALLEST_LOGGED = math.exp(-100.0)  # below it, log is clamped at -100, as PyTorch clamps it


def _clamped_log(p: Value) -> Value | float:
    """max(log p, -100): the log as a node where it is above -100, else the constant -100."""
    return p.log() if p.data > _SMALLEST_LOGGED else -100.0


def binary_cross_entropy_with_logits(logits: Sequence[Prediction], targets: Sequence[Target]) -> Value:
    """Binary cross-entropy from logits z (not probabilities), targets 0 or 1, as PyTorch's
    function of the same name.

    Per example: -t log sigmoid(z) - (1-t) log(1 - sigmoid(z)), which is softplus(z) for
    t = 0 and softplus(-z) for t = 1. Written that way it is exact for any z, including a
    confident, correct logit (z = 40, t = 1 gives 4.2e-18, where softplus(z) - z*t cancels to 0.0),
    and finite at z = +-1000. Its gradient is sigmoid(z) - t.
    """
    pairs = _pairs(logits, targets, "binary_cross_entropy_with_logits")
    terms = []
    for i, (z, t) in enumerate(pairs):
        if _number(t) not in (0.0, 1.0):
            raise ValueError(f"binary_cross_entropy_with_logits: targets must be 0 or 1, got {t!r} at index {i}")
        if isinstance(t, Value):  # a target read afresh (tl.jit): the formula must not branch on it
            terms.append(t * (-z).softplus() + (1.0 - t) * z.softplus())
        else:
            terms.append((-z).softplus() if t == 1.0 else z.softplus())
    return Value.sum(terms) * (1.0 / len(terms))


def cross_entropy(logits: Sequence[Value | Sequence[Value | float]], targets: Sequence[int]) -> Value:
    """Cross-entropy of class scores: the mean over rows of -log softmax(row)[target], as
    PyTorch's `cross_entropy` (its values and gradients).

    `logits` holds one row per example, one score (logit) per class; `targets` the class index
    of each row. Finite for any scores (log_softmax subtracts each row's largest score first).
    """
    refuse_unordered(logits, "cross_entropy logits")
    refuse_unordered(targets, "cross_entropy targets")
    if isinstance(logits, (Value, str, bytes)) or not hasattr(logits, "__len__"):
        raise TypeError(f"cross_entropy: logits must be a list of rows (one list of scores per example), "
                        f"got {type(logits).__name__} {logits!r}")
    if len(logits) != len(targets):
        raise ValueError(f"cross_entropy: {len(logits)} rows of logits but {len(targets)} targets; they must match")
    if not logits:
        raise ValueError("cross_entropy: no rows; a mean over zero examples is undefined")
    classes = None
    terms = []
    for i, (row, target) in enumerate(zip(logits, targets)):
        if isinstance(row, (Value, int, float, str, bytes)) or not hasattr(row, "__len__"):
            raise TypeError(f"cross_entropy: row {i} must be a list of scores, one per class, got {type(row).__name__} {row!r}")
        if not row:
            raise ValueError(f"cross_entropy: row {i} is empty; it needs one score per class")
        if classes is None:
            classes = len(row)
        elif len(row) != classes:
            raise ValueError(f"cross_entropy: row {i} has {len(row)} scores but row 0 has {classes}; rows must match")
        if type(target) is not int or not 0 <= target < classes:
            raise ValueError(f"cross_entropy: target {i} must be a class index from 0 to {classes - 1}, got {target!r}")
        terms.append(-log_softmax(row)[target])
    return Value.sum(terms) * (1.0 / len(terms))


def hinge(scores: Sequence[Prediction], labels: Sequence[Target]) -> Value:
    """Max-margin (SVM) loss: mean over i of max(0, 1 - labels[i] * scores[i]), labels -1 or +1."""
    pairs = _pairs(scores, labels, "hinge")
    for i, (_, y) in enumerate(pairs):
        if _number(y) not in (-1.0, 1.0):
            raise ValueError(f"hinge: labels must be -1 or +1, got {y!r} at index {i}")
    return Value.sum([(1.0 - y * s).relu() for s, y in pairs]) * (1.0 / len(pairs))


def l2(params: Sequence[Value]) -> Value:
    """Sum of squared parameters: add `alpha * l2(model.parameters())` to a loss to regularise."""
    params = list(params)
    if not params:
        raise ValueError("l2: no parameters given")
    return Value.sum([p * p for p in params])


def accuracy(scores: Sequence[Prediction], labels: Sequence[float], threshold: float = 0.0) -> float:
    """The fraction of examples whose score falls on the side of `threshold` its label says.

    A score above `threshold` predicts the positive class; a label above 0 is positive (labels
    -1/+1, or 0/1). The default threshold 0 suits raw scores and logits; pass `threshold=0.5`
    for probabilities (sigmoid outputs). A NaN score is never right.

    Warns when every score lies in [0, 1] with the threshold at 0: probabilities thresholded
    at 0 all predict the positive class, which scores the share of positive labels whatever
    the model has learned.
    """
    refuse_unordered(scores, "accuracy scores")
    refuse_unordered(labels, "accuracy labels")
    if len(scores) != len(labels) or not scores:
        raise ValueError(f"accuracy: need equally many scores and labels, got {len(scores)} and {len(labels)}")
    threshold = to_float(threshold, "accuracy threshold")
    values = [to_float(s.data if isinstance(s, Value) else s, "accuracy score") for s in scores]
    if threshold == 0.0 and len(values) > 1 and all(0.0 <= v <= 1.0 for v in values):
        warnings.warn("accuracy: every score lies in [0, 1], as probabilities do, but the threshold is 0, so every "
                      "one predicts the positive class; for sigmoid outputs pass threshold=0.5", stacklevel=2)
    correct = 0
    for v, y in zip(values, labels):
        correct += v == v and (v > threshold) == (y > 0)
    return correct / len(values)
