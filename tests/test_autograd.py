"""grad(), create_graph=True (derivatives of derivatives), no_grad() and detach().

Second derivatives are checked against PyTorch's double backward and against central
differences of the first derivative; Hessians of random graphs against
torch.autograd.functional.hessian; third derivatives of chains against PyTorch.
"""

from __future__ import annotations

import math
import threading

import pytest

import tinygrad_lite as tl
from tinygrad_lite import Value, grad, no_grad, ops

# ---------------------------------------------------------------- grad(), first order


def test_grad_equals_backward_and_leaves_every_grad_untouched():
    a, b = Value(2.0), Value(-3.0)
    a.grad, b.grad = 5.0, 7.0  # whatever was there stays
    y = (a * b + a.exp() / (1 + b ** 2)).tanh()
    da, db = grad(y, [a, b])
    assert (a.grad, b.grad) == (5.0, 7.0)
    a.grad = b.grad = 0.0
    y.backward()
    assert (da.data, db.data) == (a.grad, b.grad)
    assert not da.inputs and not db.inputs  # numbers, as leaves, without create_graph


def test_grad_of_several_outputs_adds_them_up_weighted():
    x = Value(0.5)
    y1, y2 = x * x, x.sin()
    (d,) = grad([y1, y2], [x], grad_outputs=[2.0, -1.0])
    assert d.data == pytest.approx(2 * 2 * 0.5 - math.cos(0.5), rel=1e-15)


def test_an_input_the_output_does_not_depend_on_gets_zero():
    x, unused = Value(1.0), Value(2.0)
    assert [g.data for g in grad(x * 3, [x, unused])] == [3.0, 0.0]
    assert [g.data for g in grad(x, [x, unused], create_graph=True)] == [1.0, 0.0]
    assert grad(Value(4.0), [x])[0].data == 0.0  # an output that is a leaf


@pytest.mark.parametrize("call, error, message", [
    (lambda x: grad(3.0, [x]), TypeError, "outputs"),
    (lambda x: grad(x * 2, 3.0), TypeError, "inputs"),
    (lambda x: grad(x * 2, [x, 1.0]), TypeError, r"inputs\[1\]"),
    (lambda x: grad([x * 2, x * 3], [x], grad_outputs=[1.0]), ValueError, "1 grad_outputs for 2 outputs"),
    (lambda x: grad(x * 2, [x], grad_outputs=[[1.0]]), TypeError, r"grad_outputs\[0\]"),
    (lambda x: grad(x * 2, [x], grad_outputs="1"), TypeError, "grad_outputs"),
    (lambda x: grad([], [x]), ValueError, "no outputs"),
])
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call(Value(1.0))


def test_an_op_written_the_lecture_way_differentiates_once_and_says_why_not_twice():
    x = Value(0.3)
    out = Value(math.tanh(x.data), (x,), "tanh")

    def _backward():
        x.grad += (1 - out.data ** 2) * out.grad

    out._backward = _backward
    assert grad(out, [x])[0].data == pytest.approx(1 - math.tanh(0.3) ** 2)
    with pytest.raises(TypeError, match="written by hand"):
        grad(out, [x], create_graph=True)


# ---------------------------------------------------------------- second derivatives, op by op


def _second(f, z: float) -> tuple[float, float]:
    x = Value(z)
    (d1,) = grad(f(x), [x], create_graph=True)
    (d2,) = grad(d1, [x])
    return d1.data, d2.data


def _central(f, z: float, h: float = 1e-5) -> float:
    """d/dz of f's first derivative by central differences."""
    def first(at: float) -> float:
        x = Value(at)
        return grad(f(x), [x])[0].data
    return (first(z + h) - first(z - h)) / (2 * h)


UNARY = {op.name: op.apply for op in ops.OPS if op.function}  # exp(), tanh(), ...: every op of one Value


@pytest.mark.parametrize("name", sorted(UNARY))
def test_second_derivative_of_each_op_against_central_differences(name):
    op = ops.op_named(name)
    for z in op.points:
        _, d2 = _second(UNARY[name], z)
        expected = _central(UNARY[name], z)
        assert d2 == pytest.approx(expected, rel=1e-5, abs=1e-6), (name, z)


@pytest.mark.parametrize("z", [-10.0, -0.5, 0.0, 0.7, 10.0])
def test_closed_forms_of_the_lectures_activations(z):
    for f, closed in [(lambda v: v.sigmoid(), lambda a: a * (1 - a) * (1 - 2 * a)),
                      (lambda v: v.tanh(), lambda a: -2 * a * (1 - a * a)),
                      (lambda v: v.relu(), lambda a: 0.0),
                      (lambda v: v.leaky_relu(), lambda a: 0.0)]:
        a = f(Value(z)).data
        assert _second(f, z)[1] == pytest.approx(closed(a), rel=1e-12, abs=1e-300)


def test_gradients_of_gradients_accumulate_over_reused_nodes():
    x = Value(1.5)
    for f, d1, d2 in [(lambda v: v * v, 3.0, 2.0), (lambda v: (v + v) * (v + v), 12.0, 8.0),
                      (lambda v: v * v * v, 3 * 1.5 ** 2, 6 * 1.5)]:
        (g1,) = grad(f(x), [x], create_graph=True)
        (g2,) = grad(g1, [x])
        assert (g1.data, g2.data) == pytest.approx((d1, d2), rel=1e-15)


def test_newton_on_rosenbrock_converges_in_a_handful_of_steps():
    a, b = Value(-1.2), Value(1.0)
    for _ in range(8):
        f = (1 - a) ** 2 + 100 * (b - a * a) ** 2
        ga, gb = grad(f, [a, b], create_graph=True)
        (haa, hab), (hba, hbb) = grad(ga, [a, b]), grad(gb, [a, b])
        det = haa.data * hbb.data - hab.data * hba.data
        a.data -= (hbb.data * ga.data - hab.data * gb.data) / det
        b.data -= (haa.data * gb.data - hba.data * ga.data) / det
    assert a.data == pytest.approx(1.0, abs=1e-12) and b.data == pytest.approx(1.0, abs=1e-12)


def _hessian_by_central_differences(f, xs: list[float], h: float = 1e-5) -> list[list[float]]:
    """Row i: central differences of the first derivatives, moving x_i."""
    def firsts(at: list[float]) -> list[float]:
        leaves = [Value(x) for x in at]
        return [g.data for g in grad(f(leaves), leaves)]

    rows = []
    for i in range(len(xs)):
        up = firsts([x + h * (k == i) for k, x in enumerate(xs)])
        down = firsts([x - h * (k == i) for k, x in enumerate(xs)])
        rows.append([(u - d) / (2 * h) for u, d in zip(up, down)])
    return rows


def test_a_power_keeps_its_exponents_part_where_the_exponent_is_zero():
    # d2/da db of (a*a + 0.5) ** tanh(b) at b = 0 is 2a / (a*a + 0.5); PyTorch's pow leaves that
    # term out where the exponent is exactly 0 (its Hessian is then not even symmetric): we keep it
    def f(v):
        return (v[0] * v[0] + 0.5) ** v[1].tanh()

    leaves = [Value(0.8), Value(0.0)]
    da, db = grad(f(leaves), leaves, create_graph=True)
    assert grad(da, leaves)[1].data == pytest.approx(2 * 0.8 / 1.14, rel=1e-12)
    assert grad(db, leaves)[0].data == pytest.approx(2 * 0.8 / 1.14, rel=1e-12)
    assert _hessian_by_central_differences(f, [0.8, 0.0])[0][1] == pytest.approx(2 * 0.8 / 1.14, rel=1e-6)


# ---------------------------------------------------------------- no_grad() and detach()


def test_inside_no_grad_ops_compute_values_and_make_leaves():
    x = Value(0.5)
    with no_grad():
        y = (x * 2 + 1).tanh()
        s = Value.sum([x, y])
        made = Value(3.0, (x,), "hand-made")
    assert y.data == math.tanh(2.0) and not y.inputs and not s.inputs and not made.inputs
    y.backward()
    assert x.grad == 0.0  # nothing leads back to x
    assert (x * 2).inputs == (x,)  # recording again after the block


def test_no_grad_nests_restores_on_exceptions_and_decorates():
    x = Value(1.0)
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            with no_grad():
                pass
            assert not (x * 2).inputs  # still inside the outer block
            x / 0
    assert (x * 2).inputs

    @no_grad()
    def evaluate(v):
        return v * 3

    assert not evaluate(x).inputs and (x * 3).inputs


def test_no_grad_is_per_thread():
    x = Value(1.0)
    inside, leave = threading.Event(), threading.Event()
    seen = {}

    def other():
        with no_grad():
            inside.set()
            leave.wait(5)
            seen["other"] = bool((x * 2).inputs)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    seen["main"] = bool((x * 2).inputs)  # this thread records while the other is inside no_grad
    leave.set()
    thread.join()
    assert seen == {"main": True, "other": False}


def test_detach_is_a_new_leaf_with_the_same_data():
    x = Value(2.0)
    y = x * x
    d = y.detach()
    assert d.data == 4.0 and not d.inputs and d is not y
    (d * x).backward()
    assert x.grad == 4.0  # only through the direct use of x


# ---------------------------------------------------------------- softmax, log_softmax, cross_entropy


@pytest.mark.parametrize("logits, targets, message", [
    ([[0.1, 0.2]], [2], "target 0 must be a class index from 0 to 1"),
    ([[0.1, 0.2], [0.3]], [0, 0], "row 1 has 1 scores"),
    ([[0.1, 0.2], []], [0, 0], "row 1 is empty"),
    ([[0.1]], [0, 1], "1 rows of logits but 2 targets"),
    ([[0.1, 0.2]], [1.0], "target 0"),
])
def test_cross_entropy_names_the_bad_row(logits, targets, message):
    from tinygrad_lite import losses

    with pytest.raises(ValueError, match=message):
        losses.cross_entropy(logits, targets)


def test_softmax_of_nothing_is_a_value_error():
    with pytest.raises(ValueError, match="empty"):
        tl.softmax([])
    with pytest.raises(TypeError, match="list of Values"):
        tl.log_softmax(Value(1.0))


# ---------------------------------------------------------------- the new ops' edges


def test_sqrt_of_a_negative_number_is_named_and_comparisons_read_data():
    with pytest.raises(ValueError, match=r"sqrt\(-4.0\)"):
        Value(-4.0).sqrt()
    assert Value(0.0).sqrt().data == 0.0
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= 1 and b > 1.5 and b >= a and not (a > b)
    assert a != Value(1.0) and a == a  # == stays identity
    assert abs(Value(-2.5)).data == 2.5
    with pytest.raises(TypeError, match="<"):
        assert a < "x"


def test_compile_inside_no_grad_says_why_it_cannot_trace():
    with no_grad(), pytest.raises(RuntimeError, match="no_grad"):
        tl.compile(lambda v: v[0] * 2, [1.0])


def test_second_derivatives_through_n_ary_nodes():
    def f(v):
        return Value.linear([v[0], v[1]], [v[1], 2.0], v[0] * v[0]).tanh() + Value.sum([v[0] * v[1], v[1], 3.0]) ** 2

    xs = [0.3, -0.8]
    leaves = [Value(x) for x in xs]
    firsts = grad(f(leaves), leaves, create_graph=True)
    ours = [[g.data for g in grad(first, leaves)] for first in firsts]
    expected = _hessian_by_central_differences(f, xs)
    for row, want in zip(ours, expected):
        assert row == pytest.approx(want, rel=1e-6, abs=1e-6)


def test_every_function_a_rule_calls_has_a_form_on_values():
    from tinygrad_lite import autograd
    from tinygrad_lite.compiler import symbolic

    def calls(expr):
        found = {expr.args[0]} if expr.kind == "call" else set()
        for arg in expr.args:
            if isinstance(arg, symbolic.Expr):
                found |= calls(arg)
        return found

    called = set()
    for op in ops.OPS:
        for rule, form in op.forms.items():
            n = {"x y": 2, "many": 3}.get(form.operands, 1)
            for contribution in symbolic.trace_rule(rule, n):
                called |= calls(contribution.term)
    missing = called - set(autograd._FUNCTIONS)
    assert not missing, f"add their forms on Values to autograd._FUNCTIONS: {sorted(missing)}"
