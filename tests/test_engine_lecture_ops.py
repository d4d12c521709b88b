"""Ops written the lecture's way (a node made by hand, a per-node `_backward` closure) work as built-in ones do."""

from __future__ import annotations

import math
import os

import pytest

import tinygrad_lite as tl
import tinygrad_lite.__main__
from tinygrad_lite import Value, gradcheck, topological_order, viz

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------- an op written the lecture's way


def cube(self):
    out = Value(self.data**3, (self,), "cube")

    def _backward():
        self.grad += 3 * self.data**2 * out.grad

    out._backward = _backward
    return out


def lecture_tanh(self):
    t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def lecture_mul(self, other):
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out


def weighted_sum3(a, b, c):
    """An op of three inputs made by hand: 1*a + 2*b + 3*c."""
    out = Value(a.data + 2 * b.data + 3 * c.data, (a, b, c), "wsum")

    def _backward():
        a.grad += out.grad
        b.grad += 2 * out.grad
        c.grad += 3 * out.grad

    out._backward = _backward
    return out


def test_a_lecture_style_op_backpropagates_like_a_built_in_one():
    x = Value(1.5, label="x")
    y = cube(x) * 2.0 + x  # used inside a larger graph, with an upstream gradient of 2
    y.backward()
    assert x.grad == 2.0 * 3 * 1.5**2 + 1.0


def test_the_lectures_value_class_methods_can_be_added_to_ours(monkeypatch):
    monkeypatch.setattr(Value, "cube", cube, raising=False)
    x = Value(-0.5)
    y = x.cube().tanh()
    y.backward()
    assert y.inputs[0].op == "cube" and math.isclose(x.grad, (1 - y.data**2) * 3 * 0.25, rel_tol=1e-15)


def test_lecture_style_ops_give_the_built_in_gradients():
    a, b = Value(0.7), Value(-1.3)
    lecture_tanh(lecture_mul(a, b)).backward()
    c, d = Value(0.7), Value(-1.3)
    (c * d).tanh().backward()
    assert math.isclose(a.grad, c.grad, rel_tol=1e-14) and math.isclose(b.grad, d.grad, rel_tol=1e-14)


def test_a_lecture_style_op_of_three_inputs():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    out = weighted_sum3(a, b, c)
    assert out.inputs == (a, b, c) and out._prev == {a, b, c}
    (out * out).backward()
    assert [v.grad for v in (a, b, c)] == [28.0, 56.0, 84.0]


def test_a_lecture_style_op_takes_part_in_topological_order_and_zero_grad():
    x = Value(2.0, label="x")
    c = cube(x)
    y = c + x
    assert topological_order(y) == [x, c, y]
    y.backward()
    y.zero_grad()
    assert x.grad == c.grad == y.grad == 0.0


def test_a_lecture_style_op_passes_gradcheck_and_a_wrong_one_fails():
    assert gradcheck(lambda v: cube(v[0]) * v[1], [0.7, -1.2])

    def wrong_cube(self):
        out = Value(self.data**3, (self,), "cube")

        def _backward():
            self.grad += 3 * self.data**2  # forgot out.grad

        out._backward = _backward
        return out

    with pytest.raises(tl.GradcheckError):
        gradcheck(lambda v: wrong_cube(v[0]) * 2.0, [0.7])


def test_a_lecture_style_op_is_drawn_with_its_op_name():
    x = Value(1.0, label="x")
    y = cube(x)
    y.backward()
    assert "label=<cube>" in viz.draw_dot(y).source


def test_stepping_by_hand_through_a_lecture_style_op():
    x = Value(2.0)
    y = cube(x)
    y.grad = 1.0
    y._backward()  # the lecture's manual backprop: one node's rule
    assert x.grad == 12.0


def test_a_node_made_by_hand_without_a_backward_passes_nothing_like_micrograd():
    x = Value(2.0)
    y = Value(5.0, (x,), "mystery")
    (y * 3.0).backward()
    assert x.grad == 0.0 and y.grad == 3.0


def test_compile_refuses_a_lecture_style_op_by_name():
    with pytest.raises(TypeError, match=r"op 'cube'.*written by hand"):
        tl.compile(lambda v: cube(v[0]), [1.0])


@pytest.mark.parametrize("call, message", [
    (lambda: Value(1.0, "a"), "to name a leaf write Value\\(x, label=...\\)"),
    (lambda: Value(1.0, (2.0,)), "_children\\[0\\] must be a Value"),
    (lambda: Value(1.0, (), 3), "_op must be a str"),
    (lambda: setattr(Value(1.0), "_backward", 3), "_backward must be a function"),
])
def test_making_a_node_by_hand_wrongly_is_a_clear_type_error(call, message):
    with pytest.raises(TypeError, match=message):
        call()



def test_a_lecture_style_node_is_a_reference_cycle_freed_by_the_collector_and_built_ins_are_not():
    import gc
    import weakref

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = Value(1.5)
        lecture, built_in = cube(x), x.tanh()
        lecture_ref, built_in_ref = weakref.ref(lecture), weakref.ref(built_in)
        del lecture, built_in
        assert built_in_ref() is None  # freed at once by reference counting
        assert lecture_ref() is not None  # its closure holds it: a cycle
        gc.collect()
        assert lecture_ref() is None
    finally:
        if was_enabled:
            gc.enable()
