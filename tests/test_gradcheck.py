"""The public gradient checker, and random expressions checked with it (hypothesis)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import GradcheckError, Value, gradcheck, numerical_grad


def test_numerical_grad_of_a_known_function():
    g = numerical_grad(lambda v: v[0] * v[0] * v[1], [3.0, 2.0])
    assert math.isclose(g[0], 12.0, rel_tol=1e-6) and math.isclose(g[1], 9.0, rel_tol=1e-6)


def test_gradcheck_passes_and_returns_true():
    assert gradcheck(lambda v: (v[0] * v[1]).tanh() + v[0].exp(), [0.3, -0.7]) is True


def test_gradcheck_catches_relu_at_its_kink():
    with pytest.raises(GradcheckError, match=r"input 0.*analytical 0\.0.*numerical 0\.5"):
        gradcheck(lambda v: v[0].relu(), [0.0])


def test_gradcheck_catches_a_wrong_derivative():
    def wrong_square(v):
        out = v[0] * 1.0
        out._backward_rule = lambda node: setattr(v[0], "grad", v[0].grad + node.grad)  # claims d(x^2)/dx = 1
        out.data = v[0].data ** 2
        return out

    with pytest.raises(GradcheckError) as info:
        gradcheck(wrong_square, [3.0])
    message = str(info.value)
    assert "input 0" in message and "analytical 1.0" in message and "difference" in message


def test_gradcheck_rejects_bad_arguments():
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda v: 3.0, [1.0])
    with pytest.raises(TypeError, match="xs"):
        gradcheck(lambda v: v[0], "abc")
    with pytest.raises(ValueError, match="eps"):
        numerical_grad(lambda v: v[0], [1.0], eps=0)


# Random expressions: a tree of ops over three variables, kept in the region where every op is
# smooth and defined (log and pow get positive arguments; relu is kept away from its kink by
# hypothesis's filter on the numerical check not being needed: relu is applied to x**2 + 0.1).
UNARY = [
    lambda a: a.tanh(),
    lambda a: a.sigmoid(),
    lambda a: (a * 0.5).exp(),
    lambda a: (a * a + 1.0).log(),
    lambda a: (a * a + 0.1).relu(),
    lambda a: (a * a + 0.1).leaky_relu(),
    lambda a: -a,
    lambda a: (a * a + 1.0) ** 0.5,
    lambda a: a.softplus(),
]
BINARY = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / (b * b + 1.0),
    lambda a, b: (a * a + 0.5) ** (b.tanh()),
    lambda a, b: Value.sum([a, b, a * b]),
    lambda a, b: Value.linear([a, b], [b, 2.0], a),
]


@st.composite
def expressions(draw, depth=3, unary=UNARY, binary=BINARY):
    """A random tree of `unary` and `binary` ops over three variables v[0], v[1], v[2]."""
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from([lambda v: v[0], lambda v: v[1], lambda v: v[2]]))
    if draw(st.booleans()):
        op = draw(st.sampled_from(unary))
        inner = draw(expressions(depth - 1, unary, binary))
        return lambda v: op(inner(v))
    op = draw(st.sampled_from(binary))
    left, right = draw(expressions(depth - 1, unary, binary)), draw(expressions(depth - 1, unary, binary))
    return lambda v: op(left(v), right(v))


@settings(max_examples=150, deadline=None)
@given(expressions(), st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3))
def test_random_expressions_pass_gradcheck(f, xs):
    def g(v):
        out = f(v)
        return out if isinstance(out, Value) else out * 1.0
    assert gradcheck(g, xs, atol=1e-5, rtol=1e-3)


def test_gradcheck_and_compile_are_plain_functions_with_real_signatures():
    import inspect
    import types

    import tinygrad_lite

    for function in (tinygrad_lite.gradcheck, tinygrad_lite.compile):
        assert isinstance(function, types.FunctionType)
        assert list(inspect.signature(function).parameters)[:2] in (["f", "xs"], ["f", "example_inputs"])
    assert tinygrad_lite.gradcheck(lambda v: v[0] * v[0], [1.5]) is True
    assert tinygrad_lite.compile(lambda v: v[0] * 3.0, [1.0])([2.0]) == (6.0, [3.0])
    assert tinygrad_lite.gradient_check.gradcheck is tinygrad_lite.gradcheck
    assert tinygrad_lite.compiler.compile is tinygrad_lite.compile
