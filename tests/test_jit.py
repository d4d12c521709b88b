"""tl.jit: the user's function and loop unchanged, compiled on first call, the eager results."""

from __future__ import annotations

import math
import warnings

import pytest

import tinygrad_lite as tl
from tinygrad_lite import CompileMismatchError, Parameter, Value, losses, nn, no_grad


def _model_and_data(points: int = 6):
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    X = [[0.1 * i - 0.3, 0.2 - 0.05 * i] for i in range(points)]
    y = [1.0 if i % 2 else -1.0 for i in range(points)]
    return model, X, y


def _eager_grads(model, loss_of):
    model.zero_grad()
    loss = loss_of()
    loss.backward()
    return loss.data, [p.grad for p in model.parameters()]


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_the_loop_is_unchanged_and_gradients_are_the_eager_ones(backend):
    if backend == "numpy":
        pytest.importorskip("numpy")
    model, X, y = _model_and_data()

    @tl.jit(backend=backend)
    def cost(X, y):
        return losses.mse([model(x) for x in X], y)

    for _ in range(3):
        expected_value, expected_grads = _eager_grads(model, lambda: losses.mse([model(x) for x in X], y))
        model.zero_grad()
        J = cost(X, y)
        J.backward()
        grads = [p.grad for p in model.parameters()]
        if backend == "python":  # bit for bit
            assert J.data == expected_value and grads == expected_grads
        else:
            assert J.data == pytest.approx(expected_value, rel=1e-12)
            assert grads == pytest.approx(expected_grads, rel=1e-12, abs=1e-15)
        for p in model.parameters():
            p.data -= 0.1 * p.grad  # parameters are read afresh on every call
    assert cost.traces == 1


def test_value_arguments_receive_gradients_and_the_result_takes_part_in_arithmetic():
    w = Parameter(0.5)

    @tl.jit(backend="python")
    def f(a, pair):
        return (a * w + pair[0] * pair[1]).tanh()

    a, b = Value(0.3), Value(-1.2)
    out = f(a, (b, 2.0)) * 3 + w
    out.backward()
    ea, eb, ew = Value(0.3), Value(-1.2), Parameter(0.5)
    expected = (ea * ew + eb * 2.0).tanh() * 3 + ew
    expected.backward()
    assert out.data == expected.data
    assert (a.grad, b.grad, w.grad) == pytest.approx((ea.grad, eb.grad, ew.grad), rel=1e-15)


def test_value_points_of_a_layer_receive_their_gradients_from_numpy_code():
    # the points are Values: the matrix product's dX = W^T dZ is scattered back to each of them
    pytest.importorskip("numpy")
    model = nn.MLP(2, [4, 1], seed=1)

    def loss(X):
        return losses.mse([model(x) for x in X], [0.5, -0.5, 1.0, 0.0, 0.25, -1.0])

    cost = tl.jit(loss, backend="numpy")
    rows = [[0.1, 0.9], [-0.4, 0.3], [1.2, -0.7], [0.0, 0.5], [-1.1, -0.2], [0.6, 0.6]]
    X = [[Value(a), Value(b)] for a, b in rows]
    model.zero_grad()
    (cost(X) * 2.0).backward()
    got = [v.grad for x in X for v in x] + [p.grad for p in model.parameters()]
    E = [[Value(a), Value(b)] for a, b in rows]
    model.zero_grad()
    (loss(E) * 2.0).backward()
    expected = [v.grad for x in E for v in x] + [p.grad for p in model.parameters()]
    assert cost.compiled()[0][0] == "numpy"
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_another_structure_traces_again_and_each_is_kept():
    w = Parameter(2.0)

    @tl.jit(backend="python")
    def total(xs):
        return Value.sum([w * x for x in xs])

    assert total([1.0, 2.0, 3.0, 4.0]).data == 20.0
    assert total([1.0, 2.0, 3.0]).data == 12.0  # a batch of 3 against code traced for 4: traced anew
    assert total([1.0, 2.0, 3.0, 5.0]).data == 22.0
    assert total.traces == 2


def test_arguments_changed_in_place_are_read_again():
    w = Parameter(1.0)

    @tl.jit(backend="python")
    def f(rows):
        return Value.sum([w * r[0] + r[1] for r in rows])

    rows = [[1.0, 2.0], [3.0, 4.0]]
    assert f(rows).data == 10.0
    rows[1][0] = 30.0  # the same list, changed inside
    assert f(rows).data == 37.0
    assert f(rows).data == 37.0


def test_numpy_code_prepares_a_data_set_once_and_again_when_it_changes():
    # The inputs gathered into a layer's layout are made once per data set (prepare); a point
    # changed in place, or a Value argument's new data, is prepared again.
    pytest.importorskip("numpy")
    model, X, y = _model_and_data(points=8)

    @tl.jit(backend="numpy")
    def cost(X, y):
        return losses.mse([model(x) for x in X], y)

    def eager():
        return losses.mse([model(x) for x in X], y).data

    cost(X, y)
    (compiled,) = cost._compiled.values()
    prepared = []
    prepare = compiled.prepare
    compiled.prepare = lambda numbers: prepared.append(1) or prepare(numbers)
    for _ in range(3):
        assert cost(X, y).data == pytest.approx(eager(), rel=1e-12)
    assert len(prepared) == 0  # the same data set as the first call's
    X[5][1] = 4.0  # a point changed in place
    assert cost(X, y).data == pytest.approx(eager(), rel=1e-12)
    assert cost(X, y).data == pytest.approx(eager(), rel=1e-12)
    assert len(prepared) == 1
    v = Value(0.25)
    X[2] = [v, 0.5]  # a Value argument: its data is read on every call
    assert cost(X, y).data == pytest.approx(eager(), rel=1e-12)
    v.data = -3.0
    assert cost(X, y).data == pytest.approx(eager(), rel=1e-12)


def test_values_the_function_makes_are_constants_and_closure_values_are_parameters():
    scale = Value(2.0)  # a Value in a closure: a parameter, read afresh

    @tl.jit(backend="python")
    def f(x):
        return x * scale + Value(1.0)  # a Value made inside: a constant

    assert f(3.0).data == 7.0
    scale.data = 5.0
    out = f(3.0)
    assert out.data == 16.0
    out.backward()
    assert scale.grad == 3.0


@pytest.mark.parametrize("bad", ["abc", {"a": 1.0}, {1.0, 2.0}, None, [1.0, "x"]])
def test_a_non_numeric_argument_is_a_type_error_before_anything_is_traced(bad):
    calls = []

    @tl.jit
    def f(x):
        calls.append(x)
        return Value(1.0) * 2

    with pytest.raises(TypeError, match="argument 0"):
        f(bad)
    assert f.traces == 0 and not calls


def test_a_function_that_returns_no_value_is_named():
    @tl.jit
    def half(x):
        return 0.5

    with pytest.raises(TypeError, match="half must return a Value, got float"):
        half(1.0)


def test_nan_and_infinity_pass_through_as_in_eager():
    w = Parameter(1.0)

    @tl.jit(backend="python")
    def f(x):
        return (w * x).relu() + w

    assert math.isnan(f(math.nan).data)
    assert f(math.inf).data == math.inf


def test_check_catches_control_flow_on_data():
    w = Parameter(1.0)

    @tl.jit(backend="python", check=True)
    def f(x):
        return w * x if x.data > 0 else w * x * x

    assert f(2.0).data == 2.0
    with pytest.raises(CompileMismatchError, match="control flow"):
        f(-2.0)


def test_the_first_call_cannot_trace_inside_no_grad():
    @tl.jit
    def f(x):
        return Value(2.0) * x

    with no_grad(), pytest.raises(RuntimeError, match="no_grad"):
        f(1.0)


def test_automatic_backend_is_numpy_where_the_graph_repeats():
    pytest.importorskip("numpy")
    model, X, y = _model_and_data(10)

    @tl.jit
    def cost(X, y):
        return losses.mse([model(x) for x in X], y)

    @tl.jit
    def single(x):
        return model(x)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scalar Python for a graph that does not repeat is no surprise
        cost(X, y)
        single([0.5, 0.5])
    assert cost.compiled()[0][0] == "numpy" and single.compiled()[0][0] == "python"


def test_the_course_planar_costs_through_jit():
    pytest.importorskip("numpy")
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"))
    try:
        import course_planar as planar
    finally:
        sys.path.pop(0)
    X, Y = planar.flower()
    net = planar.Network()
    params = net.parameters()

    @tl.jit
    def cost(X, Y):
        return net.cost(X, Y)

    for i in range(3001):
        J = cost(X, Y)
        for p in params:
            p.grad = 0.0
        J.backward()
        for p in params:
            p.data -= 1.2 * p.grad
        if i in planar.PUBLISHED:
            assert round(J.data, 6) == planar.PUBLISHED[i], i


def test_whole_numbers_are_static_so_class_indices_index_and_labels_branch():
    model = nn.MLP(2, [3], seed=0)  # three class scores

    @tl.jit(backend="python")
    def cost(X, targets):
        return losses.cross_entropy([model(x) for x in X], targets)

    X = [[0.5, -0.2], [0.1, 0.9]]
    expected_value, expected_grads = _eager_grads(model, lambda: losses.cross_entropy([model(x) for x in X], [2, 0]))
    model.zero_grad()
    out = cost(X, [2, 0])
    out.backward()
    assert out.data == expected_value and [p.grad for p in model.parameters()] == expected_grads
    cost(X, [1, 0])  # another class index: traced anew, never replayed with the old one
    assert cost.traces == 2


def test_a_parameter_whose_data_is_no_float_is_converted_or_named():
    w = Parameter(2.0)

    @tl.jit(backend="python")
    def f(x):
        return w * x

    assert f(3.0).data == 6.0
    w.data = 4  # an int: fine
    assert f(3.0).data == 12.0
    w.data = Value(1.0)
    with pytest.raises(TypeError, match="holds Value"):
        f(3.0)


def test_numpy_code_converts_a_parameter_that_is_no_float_or_names_it():
    pytest.importorskip("numpy")
    w, v = Parameter(2.0), Parameter(1.0)

    @tl.jit(backend="numpy")
    def f(xs):
        return Value.sum([w * x + v for x in xs])

    assert f([1.0, 2.0]).data == 8.0
    w.data = 4  # an int among floats: fine
    assert f([1.0, 2.0]).data == 14.0
    v.data = 0  # only ints: fine
    assert f([1.0, 2.0]).data == 12.0
    w.data = True
    assert f([1.0, 2.0]).data == 3.0
    v.data = float("nan")  # passes through as in eager
    assert math.isnan(f([1.0, 2.0]).data)
    v.data = 1.0
    for bad, kind in (("2.0", "str"), (Value(1.0), "Value"), ([1.0], "list"), (None, "NoneType")):
        w.data = bad
        with pytest.raises(TypeError, match=f"holds {kind}"):
            f([1.0, 2.0])
    w.data, v.data = [1.0], [2.0]  # lists of one length would make a 2-d array
    with pytest.raises(TypeError, match="holds list"):
        f([1.0, 2.0])


def test_an_array_after_lists_is_named_not_compared():
    np = pytest.importorskip("numpy")
    w = Parameter(1.0)

    @tl.jit(backend="python")
    def f(xs):
        return Value.sum([w * x for x in xs])

    assert f([1.0, 2.0]).data == 3.0
    with pytest.raises(TypeError, match="argument 0 is ndarray"):
        f(np.array([1.0, 2.0]))
