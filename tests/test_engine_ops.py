"""Every op's value and gradient, checked against central differences: one line per case."""

from __future__ import annotations

import math

import pytest
from conftest import check_op, grad_of

from tinygrad_lite import Value

E = math.e

# (name, function of Values, inputs, expected forward value)
CASES = [
    ("add", lambda a, b: a + b, (2.0, -3.0), -1.0),
    ("radd", lambda a: 1 + a, (2.0,), 3.0),
    ("sub", lambda a, b: a - b, (2.0, -3.0), 5.0),
    ("sub constant", lambda a: a - 1.5, (2.0,), 0.5),
    ("rsub", lambda a: 1 - a, (2.0,), -1.0),
    ("mul", lambda a, b: a * b, (2.0, -3.0), -6.0),
    ("rmul", lambda a: 3 * a, (2.0,), 6.0),
    ("div", lambda a, b: a / b, (2.0, -4.0), -0.5),
    ("div constant", lambda a: a / 4.0, (2.0,), 0.5),
    ("rdiv", lambda a: 6 / a, (2.0,), 3.0),
    ("neg", lambda a: -a, (2.0,), -2.0),
    ("pow int", lambda a: a**3, (-1.5,), -3.375),
    ("pow float", lambda a: a**0.5, (4.0,), 2.0),
    ("pow negative", lambda a: a**-2, (2.0,), 0.25),
    ("pow value", lambda a, b: a**b, (2.0, 3.0), 8.0),
    ("rpow", lambda a: 2**a, (3.0,), 8.0),
    ("exp", lambda a: a.exp(), (1.0,), E),
    ("log", lambda a: a.log(), (E,), 1.0),
    ("sigmoid", lambda a: a.sigmoid(), (0.0,), 0.5),
    ("sigmoid neg", lambda a: a.sigmoid(), (-2.0,), 1 / (1 + math.exp(2.0))),
    ("tanh", lambda a: a.tanh(), (0.5,), math.tanh(0.5)),
    ("relu pos", lambda a: a.relu(), (2.0,), 2.0),
    ("relu neg", lambda a: a.relu(), (-1.0,), 0.0),
    ("leaky pos", lambda a: a.leaky_relu(), (2.0,), 2.0),
    ("leaky neg", lambda a: a.leaky_relu(), (-1.0,), -0.01),
    ("leaky slope", lambda a: a.leaky_relu(0.2), (-1.0,), -0.2),
    ("softplus", lambda a: a.softplus(), (0.0,), math.log(2.0)),
    ("abs pos", lambda a: a.abs(), (2.5,), 2.5),
    ("abs neg", lambda a: abs(a), (-1.5,), 1.5),
    ("sqrt", lambda a: a.sqrt(), (6.25,), 2.5),
    ("sin", lambda a: a.sin(), (0.5,), math.sin(0.5)),
    ("cos", lambda a: a.cos(), (-2.0,), math.cos(-2.0)),
    ("sum", lambda a, b, c: Value.sum([a, b, c, 1.0]), (1.0, 2.0, 3.0), 7.0),
    ("linear", lambda w0, w1, x0, x1, b: Value.linear([w0, w1], [x0, x1], b), (2.0, 3.0, 4.0, 5.0, 1.0), 24.0),
    ("linear floats", lambda w0, w1, b: Value.linear([w0, w1], [4.0, 5.0], b), (2.0, 3.0, 1.0), 24.0),
    ("issue example", lambda a, b: (a * b + a.exp() / (1 + b**2)).tanh(), (2.0, -3.0), None),
]


@pytest.mark.parametrize("name, f, xs, expected", CASES, ids=[c[0] for c in CASES])
def test_op_value_and_gradient(name, f, xs, expected):
    check_op(f, *xs, expected=expected)


SMOOTH = {
    "sigmoid": lambda a: a.sigmoid(),
    "tanh": lambda a: a.tanh(),
    "exp": lambda a: a.exp(),
    "softplus": lambda a: a.softplus(),
    "sin": lambda a: a.sin(),
    "cos": lambda a: a.cos(),
    "square": lambda a: a**2,
    "cube": lambda a: a**3,
}


@pytest.mark.parametrize("name", sorted(SMOOTH))
@pytest.mark.parametrize("z", [-10.0, -3.0, -0.5, 0.0, 0.7, 2.0, 10.0])
def test_smooth_functions_at_many_points_including_saturation(name, z):
    check_op(SMOOTH[name], z)


@pytest.mark.parametrize("z", [-10.0, -2.0, -0.3, 0.3, 2.0, 10.0])
@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_piecewise_functions_away_from_the_kink(name, z):
    check_op(lambda a: getattr(a, name)(), z)


@pytest.mark.parametrize("z", [0.1, 1.0, 5.0, 100.0])
def test_log_and_division_away_from_zero(z):
    check_op(lambda a: a.log(), z)
    check_op(lambda a: 1.0 / a, z)
    check_op(lambda a: a**0.5, z)


# The lecture's table of slopes: g'(z) computed by backprop.
SLOPES = [
    ("sigmoid", 0.0, 0.25),
    ("sigmoid", 10.0, 4.5395807735907655e-05),
    ("sigmoid", -10.0, 4.5395807735951673e-05),
    ("tanh", 0.0, 1.0),
    ("tanh", 10.0, 8.244614546626394e-09),
    ("tanh", -10.0, 8.244614546626394e-09),
    ("relu", -1.0, 0.0),
    ("relu", 2.0, 1.0),
    ("relu", 0.0, 0.0),  # PyTorch's convention at the kink
    ("leaky_relu", -1.0, 0.01),
    ("leaky_relu", 2.0, 1.0),
    ("leaky_relu", 0.0, 0.01),  # PyTorch's convention at the kink
]


@pytest.mark.parametrize("name, z, slope", SLOPES)
def test_lecture_slopes(name, z, slope):
    (g,) = grad_of(lambda a: getattr(a, name)(), z)
    assert math.isclose(g, slope, rel_tol=1e-9, abs_tol=1e-15)


def test_saturated_slopes_are_nearly_zero():
    for name in ("sigmoid", "tanh"):
        for z in (-10.0, 10.0):
            assert grad_of(lambda a, name=name: getattr(a, name)(), z)[0] < 1e-4


@pytest.mark.parametrize("z", [1000.0, -1000.0, 1e308, -1e308])
def test_sigmoid_tanh_softplus_are_exact_and_finite_far_out(z):
    s, t, sp = Value(z).sigmoid(), Value(z).tanh(), Value(z).softplus()
    assert s.data == (1.0 if z > 0 else 0.0)
    assert t.data == (1.0 if z > 0 else -1.0)
    assert sp.data == (z if z > 0 else 0.0)
    for out in (s, t, sp):
        out.backward()
        assert math.isfinite(out.inputs[0].grad)


def test_pow_derivative_at_zero_base_is_its_limit():
    assert grad_of(lambda a: a**2, 0.0) == [0.0]
    assert grad_of(lambda a: a**1, 0.0) == [1.0]
    assert grad_of(lambda a: a**0.5, 0.0) == [math.inf]
    assert grad_of(lambda a, b: a**b, 0.0, 2.0) == [0.0, 0.0]
    assert grad_of(lambda a: 0.0**a, 2.0) == [0.0]  # d(c**a)/da = out * ln(c), taken as 0 at c = 0
    assert grad_of(lambda a: (0.0**a) * 1.7, 2.0) == [0.0]


def test_nan_and_inf_propagate_like_floats():
    nan, inf = float("nan"), float("inf")
    assert math.isnan((Value(nan) * 2).data)
    assert math.isnan(Value(nan).relu().data)
    assert math.isnan(Value(nan).sigmoid().data)
    assert math.isnan(Value(nan).log().data)
    assert (Value(inf) + 1).data == inf
    assert Value(inf).exp().data == inf
    assert Value(inf).log().data == inf


def test_integers_become_floats():
    a = Value(3)
    assert type(a.data) is float and type(a.grad) is float
    (a * 2).backward()
    assert type(a.grad) is float and a.grad == 2.0


def test_repr():
    a = Value(2.0, label="a")
    assert repr(a) == "Value(data=2.0, grad=0.0, label='a')"
    assert repr(Value(1.5)) == "Value(data=1.5, grad=0.0)"


def test_op_names_and_inputs_in_order():
    a, b = Value(1.0), Value(2.0)
    c = a - b
    assert c.op == "-" and c.inputs == (a, b)
    assert a.op == "" and a.inputs == ()
    assert (a * b).tanh().op == "tanh"


# ---------------------------------------------------------------- Value.dot


def test_dot_is_the_built_in_sum_of_products_to_the_bit():
    # The same floats forward (0.0 + p0 + p1 ... as sum() starts from 0, so -0.0 products give
    # 0.0 as there) and the same gradients, from one node instead of 2n
    import random

    rng = random.Random(0)
    for _ in range(500):
        n = rng.randint(1, 12)
        ws = [Value(rng.choice([rng.uniform(-3, 3), -0.0, 0.0, 1e-310])) for _ in range(n)]
        xs = [Value(rng.uniform(-3, 3)) for _ in range(n)]
        by_sum = sum(w * x for w, x in zip(ws, xs))
        (by_sum * 1.7).backward()
        expected = [v.grad for v in ws + xs]
        for v in ws + xs:
            v.grad = 0.0
        by_dot = Value.dot(ws, xs)
        (by_dot * 1.7).backward()
        assert by_dot.data == by_sum.data and math.copysign(1.0, by_dot.data) == math.copysign(1.0, by_sum.data)
        assert [v.grad for v in ws + xs] == expected


def test_dot_takes_numbers_and_names_a_length_mismatch():
    w = Value(2.0)
    out = Value.dot([w, 3.0], [0.5, w])
    assert out.data == 2.0 * 0.5 + 3.0 * 2.0
    out.backward()
    assert w.grad == 0.5 + 3.0
    with pytest.raises(ValueError, match="as many inputs as weights: got 1 inputs for 2 weights"):
        Value.dot([w, w], [w])
    with pytest.raises(TypeError, match="expects a list or tuple"):
        Value.dot({w}, [w])


def test_dot_compiles_without_a_warning_and_equals_eager():
    import warnings

    import tinygrad_lite as tl
    from tinygrad_lite import Parameter

    ws = [Parameter(0.3 * i - 0.5, label=f"w{i}") for i in range(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = tl.compile(lambda v: Value.dot(ws, v).tanh(), [0.1, 0.2, 0.3], backend="python")
    value, grads = compiled([0.1, 0.2, 0.3])
    eager = Value.dot(ws, [Value(0.1), Value(0.2), Value(0.3)]).tanh()
    assert value == eager.data
