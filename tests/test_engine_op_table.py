"""Every op of the table (tinygrad_lite/ops.py), every one of its rules, at every one of its points:
near zero, negative and far from zero, with an upstream gradient of 1.7, through the eager
engine and both compile backends. One table drives it all, so a new row is tested at once, and
a rule made slightly wrong anywhere in its domain fails here."""

from __future__ import annotations

import inspect
import math
import warnings

import pytest
from conftest import eager

import tinygrad_lite as tl
from tinygrad_lite import Value, ops
from tinygrad_lite.cli import expr

UPSTREAM = 1.7

CASES = [(op, rule, form) for op in ops.OPS for rule, form in op.forms.items()]
IDS = [f"{op.name} {rule.__name__}" for op, rule, form in CASES]


def arguments(op: ops.Op, form: ops.Form) -> list[tuple[list[float], float | None]]:
    """The op's test cases for one rule: (Value inputs, constant operand or None) at its points."""
    points = list(op.points)
    pairs = list(zip(points, reversed(points)))
    if form.operands == "x":
        return [([p], None) for p in points]
    if form.operands == "x y":
        return [([p, q], None) for p, q in pairs]
    if form.operands in ("x c", "c x"):
        return [([p], c) for p, c in pairs]
    n = len(points) // 2  # "many": sum over every point; linear over weights, inputs and a bias
    return [(points, None)] if op.name == "sum" else [(points[:n] + points[n:2 * n] + [points[-1]], None)]


def apply(op: ops.Op, form: ops.Form, xs: list[Value], c: float | None) -> Value:
    """The op applied as user code applies it, to Values `xs` (and the constant `c`)."""
    if form.operands == "c x":
        return op.apply(c, *xs)
    if form.operands == "x c":
        return op.apply(*xs, c)
    if form.operands == "many":
        if op.name == "sum":
            return op.apply(xs)
        n = (len(xs) - 1) // 2
        return op.apply(xs[:n], xs[n:2 * n], xs[-1])
    return op.apply(*xs)


def central_difference(f, xs: list[float], i: int) -> float:
    h = 1e-6 * max(1.0, abs(xs[i]))
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (2 * h)


@pytest.mark.parametrize("op, rule, form", CASES, ids=IDS)
def test_eager_value_and_gradient_at_every_point(op, rule, form):
    for xs, c in arguments(op, form):
        leaves = [Value(x) for x in xs]
        out = apply(op, form, leaves, c)
        assert out._backward_rule is rule, f"{op.name} at {xs}, {c}: made a node of another rule"
        if form.forward is not None:  # the table's formula computes what the engine computes, exactly
            assert form.forward(*xs, c) == out.data, (xs, c)
        (out * UPSTREAM).backward()

        def value(points: list[float], c: float | None = c) -> float:
            return apply(op, form, [Value(p) for p in points], c).data * UPSTREAM

        for i, leaf in enumerate(leaves):
            numerical = central_difference(value, xs, i)
            assert math.isclose(leaf.grad, numerical, rel_tol=2e-6, abs_tol=1e-9), \
                f"{op.name} at {xs}, c={c}: d/d input {i} is {leaf.grad!r}, central differences give {numerical!r}"


def per_point_sum(op, form, xs_of_points, c):
    """f(inputs) = the sum over points of UPSTREAM * op(point's inputs): one copy of the op per
    point, so the numpy backend makes it one array operation."""
    width = len(xs_of_points[0])

    def f(vs):
        return Value.sum([apply(op, form, vs[k * width:(k + 1) * width], c) * UPSTREAM
                          for k in range(len(xs_of_points))])

    return f, [x for xs in xs_of_points for x in xs]


@pytest.mark.parametrize("op, rule, form", CASES, ids=IDS)
def test_python_backend_equals_eager_bit_for_bit(op, rule, form):
    for xs, c in arguments(op, form):
        f = lambda vs, c=c: apply(op, form, vs, c) * UPSTREAM  # noqa: E731
        assert tl.compile(f, xs)(xs) == eager(f, xs), (xs, c)


@pytest.mark.parametrize("op, rule, form", CASES, ids=IDS)
def test_numpy_backend_equals_eager_as_arrays(op, rule, form):
    pytest.importorskip("numpy")
    cases = arguments(op, form)
    if form.operands == "many":
        xs_of_points, c = [cases[0][0]] * 3, None
    else:  # one constant for the whole batch, so that the copies are alike
        c = cases[0][1]
        xs_of_points = [xs for xs, _ in cases]
    f, flat = per_point_sum(op, form, xs_of_points, c)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to scalar code warns: it must not happen
        compiled = tl.compile(f, flat, backend="numpy")
    assert compiled.backend == "numpy"
    value, grads = compiled(flat)
    expected_value, expected_grads = eager(f, flat)
    assert compiled.eager_replays == 0
    assert math.isclose(value, expected_value, rel_tol=1e-12, abs_tol=1e-300)
    for got, want in zip(grads, expected_grads):
        assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12 * max(map(abs, expected_grads))), (got, want)


# ------------------------------------------------------------------ the table is complete

ENGINE_RULES = sorted((f for name, f in vars(Value).items() if name.endswith("_backward") and inspect.isfunction(f)),
                      key=lambda f: f.__name__)


@pytest.mark.parametrize("rule", ENGINE_RULES, ids=lambda r: r.__name__)
def test_every_rule_of_the_engine_has_a_row(rule):
    # that every rule can be read as code and has forward code: tests/test_compile_rules.py
    op = ops.op_of_rule(rule)
    assert op is not None, f"{rule.__name__} is in engine.py but in no row of ops.OPS: add it to its op's forms"
    assert op.points, f"op {op.name!r} has no test points"
    assert op.forms[rule].forward is not None or op.forms[rule].operands == "many", \
        f"{rule.__name__}: its Form has no forward formula"


def test_every_list_of_ops_is_read_from_the_table():
    functions = {op.name for op in ops.OPS if op.function}
    assert set(expr.FUNCTIONS) == functions
    assert set(tl.nn.ACTIVATIONS) == {op.name for op in ops.OPS if op.activation} | {"linear"}
    from tinygrad_lite.viz.drawing import OP_SYMBOLS

    assert OP_SYMBOLS == {op.name: op.symbol for op in ops.OPS}
