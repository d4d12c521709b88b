"""Check gradients against numerical central differences.

    numerical_grad(f, xs)  ->  [ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)  for each i ]
    gradcheck(f, xs)       ->  True, or raises GradcheckError showing where they disagree

`f` takes a list of Values (one per number in `xs`) and returns a Value. The defaults
(eps=1e-6, atol=1e-5, rtol=1e-3) are those of torch.autograd.gradcheck, which works in
float64 as Python floats do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from ._checks import to_float
from .engine import Value

__all__ = ["numerical_grad", "analytical_grad", "gradcheck", "GradcheckError"]

Function = Callable[[list[Value]], Value]


class GradcheckError(AssertionError):
    """Raised by `gradcheck` when an analytical gradient disagrees with the numerical one."""


def _evaluate(f: Function, xs: Sequence[float]) -> tuple[Value, list[Value]]:
    """f at the point xs, and the leaves it was given."""
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    out = f(leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__} {out!r}")
    return out, leaves


def _points(xs: Sequence[float], where: str) -> list[float]:
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__iter__"):
        raise TypeError(f"{where}: xs must be a list of numbers, got {type(xs).__name__} {xs!r}")
    return [to_float(x, f"{where} xs[{i}]") for i, x in enumerate(xs)]


def numerical_grad(f: Function, xs: Sequence[float], eps: float = 1e-6) -> list[float]:
    """Central differences of `f` at the point `xs`: one partial derivative per input."""
    point = _points(xs, "numerical_grad")
    if not eps > 0.0:
        raise ValueError(f"numerical_grad: eps must be > 0, got {eps!r}")
    grads = []
    for i, x in enumerate(point):
        point[i] = x + eps
        above = _evaluate(f, point)[0].data
        point[i] = x - eps
        below = _evaluate(f, point)[0].data
        point[i] = x
        grads.append((above - below) / (2.0 * eps))
    return grads


def analytical_grad(f: Function, xs: Sequence[float], upstream: float = 1.0) -> list[float]:
    """The gradient of `f` at `xs` as backpropagation computes it.

    With `upstream` other than 1.0, backpropagation starts from d(loss)/d f = upstream (the
    graph of `f(x) * upstream` is differentiated) and the result is divided back by it.
    """
    out, leaves = _evaluate(f, _points(xs, "analytical_grad"))
    if upstream != 1.0:
        out = out * upstream
    out.backward()
    return [leaf.grad / upstream for leaf in leaves]


UPSTREAM = 1.7
"""The second output gradient gradcheck tries: the op at the root of `f` sees 1.0 in the first
pass, so a rule that forgets to multiply by `out.grad` would pass with 1.0 alone."""


def gradcheck(
    f: Function, xs: Sequence[float], eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> bool:
    """Return True if backprop's gradient of `f` at `xs` matches central differences.

    Backpropagation is checked twice: from an output gradient of 1.0, and of 1.7 (as
    torch.autograd.gradcheck checks backward against arbitrary output gradients), so that a
    rule which ignores the gradient it receives cannot pass. Each input i must satisfy
    |analytical - numerical| <= atol + rtol * |numerical|. Otherwise raises GradcheckError
    naming every input that fails, with both values and their difference. A non-finite
    gradient on either side counts as a failure, unless both are the same infinity.
    """
    point = _points(xs, "gradcheck")  # read once: xs may be a generator
    numerical = numerical_grad(f, point, eps)
    failures = []
    for upstream in (1.0, UPSTREAM):
        analytical = analytical_grad(f, point, upstream)
        for i, (a, n) in enumerate(zip(analytical, numerical)):
            if a == n:
                continue
            if math.isfinite(a) and math.isfinite(n) and abs(a - n) <= atol + rtol * abs(n):
                continue
            failures.append(f"  input {i} (x = {point[i]!r}), output gradient {upstream}: analytical {a!r}, "
                            f"numerical {n!r}, difference {a - n!r}")
    if failures:
        raise GradcheckError(
            f"gradient mismatch (eps={eps}, atol={atol}, rtol={rtol}):\n" + "\n".join(failures)
        )
    return True
