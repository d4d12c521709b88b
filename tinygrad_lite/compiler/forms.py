"""Each op's forward formula as an expression, for the code generators.

The engine computes each op's output in the op's method; a code generator needs the same
formula as text, for plain floats (`compile`) and for numpy arrays (the vectorised backend).
Both print this one table (symbolic.to_python, symbolic.to_numpy), so the two can never
compute different things. The table is keyed by the node's backward rule, which says exactly
what the node computes (a power with a Value exponent has its own rule, and so its own form).

Each form takes the op's inputs as expressions and the plain-number operand kept in the node
(`c`, the 0.5 of `x * 0.5`). Branches are written with `where`, both for arrays and so that
the same expression prints as a conditional expression for floats. n-ary ops (sum, linear) are
not here: generators write their terms out (see `compile.TERMS`).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from .. import engine
from ..engine import Value
from .symbolic import Expr, call, where

__all__ = ["FORWARD_FORMS", "forward_expr"]

Form = Callable[[Sequence[Expr], Expr], Expr]


def _relu(a: Sequence[Expr], c: Expr) -> Expr:
    # max(z, 0) with NaN kept: NaN <= 0 is false, so NaN is its own output, as in the engine
    return where(a[0] <= 0.0, 0.0, a[0])


def _softplus(a: Sequence[Expr], c: Expr) -> Expr:
    # max(z, 0) + log1p(e^-|z|), as the engine computes it
    return where(a[0] > 0.0, a[0], 0.0) + call(math.log1p, call(math.exp, -call(math.fabs, a[0])))


FORWARD_FORMS: dict[Callable, Form] = {
    Value._add_backward: lambda a, c: a[0] + a[1],
    Value._add_constant_backward: lambda a, c: a[0] + c,
    Value._sub_backward: lambda a, c: a[0] - a[1],
    Value._sub_constant_backward: lambda a, c: a[0] - c,
    Value._rsub_constant_backward: lambda a, c: c - a[0],
    Value._mul_backward: lambda a, c: a[0] * a[1],
    Value._mul_constant_backward: lambda a, c: a[0] * c,
    Value._div_backward: lambda a, c: a[0] / a[1],
    Value._div_constant_backward: lambda a, c: a[0] / c,
    Value._rdiv_constant_backward: lambda a, c: c / a[0],
    Value._neg_backward: lambda a, c: -a[0],
    Value._pow_backward: lambda a, c: call(engine._checked_pow, a[0], c),
    Value._rpow_backward: lambda a, c: call(engine._checked_pow_of_values, c, a[0]),
    Value._pow_of_values_backward: lambda a, c: call(engine._checked_pow_of_values, a[0], a[1]),
    Value._exp_backward: lambda a, c: call(math.exp, a[0]),
    Value._log_backward: lambda a, c: call(math.log, a[0]),
    Value._sigmoid_backward: lambda a, c: call(engine.stable_sigmoid, a[0]),
    Value._tanh_backward: lambda a, c: call(math.tanh, a[0]),
    Value._softplus_backward: _softplus,
    Value._relu_backward: _relu,
    Value._leaky_relu_backward: lambda a, c: where(a[0] > 0.0, a[0], c * a[0]),
}


def forward_expr(rule: Callable, inputs: Sequence[Expr], constant: Expr) -> Expr:
    """What a node of `rule` computes from `inputs` (and its constant operand)."""
    return FORWARD_FORMS[rule](inputs, constant)
