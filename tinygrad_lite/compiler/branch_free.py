"""Rules and helpers that branch on data, written again without branching, for code generators.

A code generator reads a rule's formula by running it on symbols (symbolic.py), and a symbol
has no truth value: `if z > 0:` cannot be followed. So a rule that branches (relu's) has here
its branch-free form, the same formula with `where(condition, if_true, if_false)`, which the
generators run instead; the eager engine runs the rule itself.

A vectorised backend evaluates a helper (`stable_sigmoid`, `power_slope`, ...) over many nodes
at once, so a helper that branches, or catches an exception, has here its array form. It may
leave out what the helper does about floating-point exceptions: a vectorised caller traps
those and recomputes such a call with the engine, which raises as it always does.

Each form is tested against what it stands for, at points on both sides of every branch
(tests/test_compile_forms.py): two writings of one formula, held together by the suite.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .._numerics import checked_pow, checked_pow_of_values, power_slope, sign, stable_sigmoid, where
from ..engine import Value

__all__ = ["BRANCH_FREE_FORMS", "ARRAY_FORMS"]


def _rpow_backward(out: Value) -> None:
    c = out._constant
    out._a.grad += where(c > 0.0, out.grad * (out.data * math.log(c)), 0.0)


def _pow_of_values_backward(out: Value) -> None:
    g, base, exponent = out.grad, out._a, out._b
    a = base.data
    base.grad += g * power_slope(a, exponent.data)
    exponent.grad += where(a > 0.0, g * (out.data * math.log(a)), 0.0)


def _relu_backward(out: Value) -> None:
    out._a.grad += where(out.data <= 0.0, 0.0, out.grad)


def _leaky_relu_backward(out: Value) -> None:
    z, g = out._a, out.grad
    z.grad += where(z.data > 0.0, g, g * out._constant)


BRANCH_FREE_FORMS: dict[Callable[[Value], None], Callable[[Value], None]] = {
    Value._rpow_backward: _rpow_backward,
    Value._pow_of_values_backward: _pow_of_values_backward,
    Value._relu_backward: _relu_backward,
    Value._leaky_relu_backward: _leaky_relu_backward,
}
"""The engine's rules that branch on data, each with its branch-free form."""


def _checked_pow_for_arrays(a: float, n: float) -> float:
    return a ** n  # type: ignore[no-any-return]  # float ** float is a float for the bases allowed


def _power_slope_for_arrays(a: float, n: float) -> float:
    # at n = 0, 0 * a**-1 is 0 except at a = 0, where the division by zero is trapped
    return n * a ** (n - 1.0)  # type: ignore[no-any-return]


def _checked_pow_of_values_for_arrays(a: float, b: float) -> float:
    # a negative base must fail as the helper does: its square root is the invalid operation that traps
    return where(a < 0.0, math.sqrt(a), a ** b)


def _stable_sigmoid_for_arrays(z: float) -> float:
    # e^-|z| never overflows; it is e^-z for z >= 0 and e^z below, so that this is 1/(1 + e^-z)
    # for z >= 0 and e^z/(1 + e^z) below, as the helper computes them, to the bit (one division:
    # a where between two quotients would compute both over the whole array)
    e = math.exp(-math.fabs(z))
    return where(z >= 0.0, 1.0, e) / (1.0 + e)


def _sign_for_arrays(z: float) -> float:
    return where(z > 0.0, 1.0, where(z < 0.0, -1.0, z * 0.0))


ARRAY_FORMS: dict[Callable[..., float], Callable[..., float]] = {
    sign: _sign_for_arrays,
    checked_pow: _checked_pow_for_arrays,
    power_slope: _power_slope_for_arrays,
    checked_pow_of_values: _checked_pow_of_values_for_arrays,
    stable_sigmoid: _stable_sigmoid_for_arrays,
}
"""The engine's helpers that branch, each written for arrays."""
