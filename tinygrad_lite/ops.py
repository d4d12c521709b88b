"""The table of operations: one row per op of the engine, and every list of ops is read from it.

Drawings take each op's symbol from here, the expression language (`python -m tinygrad_lite
graph "tanh(a*b)"`) its functions, `nn` its activations, the code generators each rule's
forward formula, and the tests each op's points. Adding an op: its method and its backward
rule in engine.py, then one row here (CONTRIBUTING.md walks through it); a test names whatever
a backend still lacks.

A row lists the op's rules (engine.py gives an op a rule per kind of operand: `x * y`,
`x * 0.5`) and, for each, what its node computes written as a plain formula of the inputs and
the constant operand `c`: the code generators read it by running it on symbols, and the tests
hold it to the engine's own forward pass at the op's points.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

from ._numerics import checked_pow, checked_pow_of_values, stable_sigmoid, where
from .engine import Value

__all__ = ["Op", "Form", "OPS", "op_named", "op_of_rule", "form_of_rule", "constant_first", "FUNCTIONS",
           "ACTIVATIONS"]

Rule = Callable[[Value], None]


@dataclass(frozen=True)
class Form:
    """One rule of an op: which operands it takes and what its node computes from them.

    operands: "x y" (two Values), "x" (one Value), "x c" (a Value, then a plain number kept in
        the node), "c x" (the number first: `1 - x`), or "many" (an n-ary op: sum, linear).
    forward: the output as a formula of the inputs in order, then `c`: `lambda x, c: x * c`;
        None for an n-ary op, whose code generators add the terms up themselves.
    """

    operands: str
    forward: Callable[..., float] | None


@dataclass(frozen=True)
class Op:
    """A row of the table.

    name: what nodes of the op record in `.op` ("+", "tanh").
    apply: how user code applies it (`operator.add`, `Value.tanh`).
    symbol: the op as drawings show it.
    function: True for an op written as a function (`x.tanh()`, `tanh(x)` in the expression
        language), False for an operator.
    activation: offered by `nn` as an activation (by its name).
    points: where the tests check its value and derivatives: near zero, negative, and far from
        zero (|z| >= 5) wherever the op is defined there.
    forms: its backward rules (engine.py), each with its `Form`.
    """

    name: str
    apply: Callable[..., Value]
    symbol: str
    function: bool
    activation: bool
    points: tuple[float, ...]
    forms: dict[Rule, Form] = field(default_factory=dict)


_ANYWHERE = (-6.5, -1.25, -0.3, 0.2, 0.9, 5.5)
_SQUASHING = (-6.0, -2.5, -0.3, 0.2, 1.7, 6.0)
_KINKED = (-6.0, -0.7, 0.4, 2.5, 6.0)  # none at the kink: the derivative has no central difference there

OPS: tuple[Op, ...] = (
    Op("+", operator.add, "+", False, False, _ANYWHERE, {
        Value._add_backward: Form("x y", lambda x, y, c: x + y),
        Value._add_constant_backward: Form("x c", lambda x, c: x + c),
    }),
    Op("-", operator.sub, "−", False, False, _ANYWHERE, {
        Value._sub_backward: Form("x y", lambda x, y, c: x - y),
        Value._sub_constant_backward: Form("x c", lambda x, c: x - c),
        Value._rsub_constant_backward: Form("c x", lambda x, c: c - x),
    }),
    Op("*", operator.mul, "×", False, False, _ANYWHERE, {
        Value._mul_backward: Form("x y", lambda x, y, c: x * y),
        Value._mul_constant_backward: Form("x c", lambda x, c: x * c),
    }),
    Op("/", operator.truediv, "÷", False, False, _ANYWHERE, {
        Value._div_backward: Form("x y", lambda x, y, c: x / y),
        Value._div_constant_backward: Form("x c", lambda x, c: x / c),
        Value._rdiv_constant_backward: Form("c x", lambda x, c: c / x),
    }),
    Op("**", operator.pow, "**", False, False, (0.3, 0.8, 1.5, 5.5), {
        Value._pow_backward: Form("x c", lambda x, c: checked_pow(x, c)),
        Value._rpow_backward: Form("c x", lambda x, c: checked_pow_of_values(c, x)),
        Value._pow_of_values_backward: Form("x y", lambda x, y, c: checked_pow_of_values(x, y)),
    }),
    Op("neg", operator.neg, "−", False, False, _ANYWHERE, {
        Value._neg_backward: Form("x", lambda x, c: -x),
    }),
    Op("exp", Value.exp, "exp", True, False, (-6.0, -0.4, 0.25, 1.5, 6.0), {
        Value._exp_backward: Form("x", lambda x, c: math.exp(x)),
    }),
    Op("log", Value.log, "log", True, False, (0.05, 0.4, 1.7, 7.5, 40.0), {
        Value._log_backward: Form("x", lambda x, c: math.log(x)),
    }),
    Op("sigmoid", Value.sigmoid, "sigmoid", True, True, _SQUASHING, {
        Value._sigmoid_backward: Form("x", lambda x, c: stable_sigmoid(x)),
    }),
    Op("tanh", Value.tanh, "tanh", True, True, _SQUASHING, {
        Value._tanh_backward: Form("x", lambda x, c: math.tanh(x)),
    }),
    Op("softplus", Value.softplus, "softplus", True, True, _SQUASHING, {
        # max(z, 0) + log1p(e^-|z|), as the engine computes it
        Value._softplus_backward: Form("x", lambda x, c: where(x > 0.0, x, 0.0) + math.log1p(math.exp(-math.fabs(x)))),
    }),
    Op("relu", Value.relu, "relu", True, True, _KINKED, {
        # NaN <= 0 is false, so NaN is its own output, as in the engine
        Value._relu_backward: Form("x", lambda x, c: where(x <= 0.0, 0.0, x)),
    }),
    Op("leaky_relu", Value.leaky_relu, "leaky_relu", True, True, _KINKED, {
        Value._leaky_relu_backward: Form("x c", lambda x, c: where(x > 0.0, x, c * x)),
    }),
    Op("abs", Value.abs, "|·|", True, False, _KINKED, {
        Value._abs_backward: Form("x", lambda x, c: math.fabs(x)),
    }),
    Op("sqrt", Value.sqrt, "√", True, False, (0.05, 0.4, 1.7, 7.5, 40.0), {
        Value._sqrt_backward: Form("x", lambda x, c: math.sqrt(x)),
    }),
    Op("sin", Value.sin, "sin", True, False, _ANYWHERE, {
        Value._sin_backward: Form("x", lambda x, c: math.sin(x)),
    }),
    Op("cos", Value.cos, "cos", True, False, _ANYWHERE, {
        Value._cos_backward: Form("x", lambda x, c: math.cos(x)),
    }),
    Op("sum", Value.sum, "Σ", False, False, _ANYWHERE, {
        Value._sum_backward: Form("many", None),
    }),
    Op("linear", Value.linear, "Σ w·x + b", False, False, _ANYWHERE, {
        Value._linear_backward: Form("many", None),
    }),
)
"""Every op of the engine, in the order engine.py defines them."""

_BY_NAME = {op.name: op for op in OPS}
_BY_RULE = {rule: op for op in OPS for rule in op.forms}


def op_named(name: str) -> Op | None:
    """The row of the op that nodes record as `name` (`node.op`), or None (an op written by hand)."""
    return _BY_NAME.get(name)


def op_of_rule(rule: object) -> Op | None:
    """The row of the op whose nodes carry the backward rule `rule`, or None."""
    return _BY_RULE.get(rule)  # type: ignore[call-overload, no-any-return]


def form_of_rule(rule: object) -> Form | None:
    """The `Form` of a backward rule, or None for a rule not in the table."""
    op = op_of_rule(rule)
    return op.forms[rule] if op is not None else None  # type: ignore[index]


def constant_first(node: Value) -> bool:
    """Whether the node's constant operand is written first (`1 - x`, `6 / x`, `2 ** x`): for display."""
    form = form_of_rule(node._backward_rule)
    return form is not None and form.operands == "c x"


FUNCTIONS: dict[str, Callable[..., Value]] = {op.name: op.apply for op in OPS if op.function}
"""The ops written as functions, by name: the expression language's functions."""

ACTIVATIONS: dict[str, Callable[..., Value]] = {op.name: op.apply for op in OPS if op.activation}
"""The ops `nn` offers as activations, by name."""
