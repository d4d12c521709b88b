"""The engine: `Value`, each operation with its derivative right under it, and `backward()`.

Read it top to bottom. Every operation makes one node that remembers its inputs and its
*backward rule*: a function, written under the forward formula, that adds each input's share
of the node's gradient to the input's `.grad` by the chain rule:

    dL/d input += dL/d out * d out/d input

A rule is written once per op and gets its node when it runs, `rule(out)`: `out.grad` is
dL/d out, `out.data` the output (tanh' = 1 - a**2 is cheaper from it), `out._a` and `out._b`
the inputs, `out._constant` a plain-number operand (the 0.5 of `x * 0.5`). micrograd installs
a closure per node instead, which captures its own node: a reference cycle that Python's cycle
collector must find. Here a graph is freed as soon as it is no longer used.

Machinery lives elsewhere, one import each: checks (_checks.py), numerical helpers
(_numerics.py), making a node fast (_nodes.py), graph walks (_graph.py), the collector pause
(_collector.py), the lecture's way of writing an op (_lecture.py), no_grad (_grad_mode.py),
printing, micrograd's names and comparisons (_value_plumbing.py). The compilers and grad()
read these same rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from ._checks import as_constant, refuse_division_by_zero, refuse_names, to_float
from ._collector import paused_gc
from ._grad_mode import records_graph
from ._graph import post_order, topological_order
from ._lecture import attach_children
from ._nodes import node_maker, operand_tuple
from ._numerics import checked_exp, checked_log, checked_pow, checked_pow_of_values, power_slope, sign, stable_sigmoid
from ._value_plumbing import ValuePlumbing

__all__ = ["Value", "Parameter", "topological_order", "paused_gc", "Number"]


class Value(ValuePlumbing):
    """A scalar node in a computation graph.

    Attributes:
        data: the value computed by the forward pass (a float).
        grad: d(output)/d(this node) after `backward()` on some output; 0.0 before.
        label: an optional name, shown by `repr` and in drawings.
        op: the operation that made this node ("+", "tanh", ...); "" for a leaf.
        inputs: the nodes this one was computed from, in order (empty for a leaf).

    Values combine with other Values and with plain numbers on either side:
    `a * 2`, `1 - a`, `2 ** a` all work. Nodes hash by identity, so they can be kept
    in sets and dicts; `==` is identity too (it is not overridden).
    """

    # _a, _b: the inputs (None when absent); _many: an n-ary op's inputs (sum, linear), else None;
    # _constant: a plain-number operand, else None; _backward_rule: None for a leaf; _walk: the
    # number of the last graph walk that visited the node (see _graph.py).
    __slots__ = ("data", "grad", "label", "op", "_backward_rule", "_a", "_b", "_many", "_constant", "_walk",
                 "__weakref__")
    # Typed as always present, so that rules read plainly (`out._a.grad`): a rule only runs on a
    # node that has the inputs it reads.
    _backward_rule: Callable[[Value], None]
    _a: Value
    _b: Value
    _many: tuple[Value, ...]
    _constant: float

    def __init__(self, data: Number, _children: Iterable[Value] = (), _op: str = "", label: str = "") -> None:
        """A Value holding `data`: `Value(2.0, label="a")`.

        `_children` and `_op` are micrograd's way to make a node by hand, for an op written
        the lecture's way (`out = Value(t, (self,), "tanh")`, then assign `out._backward`);
        see "Write your own op" in docs/engine.md. Leave them out for a leaf.
        """
        if type(data) is not float:
            data = to_float(data, "Value()")
        if type(label) is not str or type(_op) is not str:
            refuse_names(label, _op)
        self.data = data
        self.grad = 0.0
        self.label = label
        self.op = _op
        self._backward_rule = self._a = self._b = self._many = self._constant = None  # type: ignore[assignment]
        self._walk = 0
        if _children != () and records_graph():  # a node made by hand, the lecture's way
            attach_children(self, _children, Value)

    # ------------------------------------------------------------------ arithmetic
    # Each op computes its output and makes the node; the rule under it is its derivative. A
    # plain-number operand (the 0.5 in `x * 0.5`) is not a node: the node keeps it as
    # `_constant`, and the op has a rule of its own that reads it there.

    def __add__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return _node(self.data + other.data, "+", Value._add_backward, self, other)
        c = other if type(other) is float else as_constant(other, "+")
        return _node(self.data + c, "+", Value._add_constant_backward, self, None, c)

    def _add_backward(out: Value) -> None:
        # d(a + b)/da = 1, d(a + b)/db = 1
        g = out.grad
        out._a.grad += g
        out._b.grad += g

    def _add_constant_backward(out: Value) -> None:
        # d(a + c)/da = 1
        out._a.grad += out.grad

    # c + a equals a + c exactly in floating point: the reflected op is the same op.
    __radd__ = __add__

    def __sub__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return _node(self.data - other.data, "-", Value._sub_backward, self, other)
        c = other if type(other) is float else as_constant(other, "-")
        return _node(self.data - c, "-", Value._sub_constant_backward, self, None, c)

    def _sub_backward(out: Value) -> None:
        # d(a - b)/da = 1, d(a - b)/db = -1
        g = out.grad
        out._a.grad += g
        out._b.grad -= g

    def _sub_constant_backward(out: Value) -> None:
        # d(a - c)/da = 1
        out._a.grad += out.grad

    def __rsub__(self, other: float) -> Value:
        c = other if type(other) is float else as_constant(other, "-")
        return _node(c - self.data, "-", Value._rsub_constant_backward, self, None, c)

    def _rsub_constant_backward(out: Value) -> None:
        # d(c - a)/da = -1
        out._a.grad -= out.grad

    def __mul__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return _node(self.data * other.data, "*", Value._mul_backward, self, other)
        c = other if type(other) is float else as_constant(other, "*")
        return _node(self.data * c, "*", Value._mul_constant_backward, self, None, c)

    def _mul_backward(out: Value) -> None:
        # d(a * b)/da = b, d(a * b)/db = a
        g, a, b = out.grad, out._a, out._b
        a.grad += g * b.data
        b.grad += g * a.data

    def _mul_constant_backward(out: Value) -> None:
        # d(a * c)/da = c
        out._a.grad += out.grad * out._constant

    # c * a equals a * c exactly in floating point: the reflected op is the same op.
    __rmul__ = __mul__

    def __truediv__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            if other.data == 0.0:
                refuse_division_by_zero(self, other)
            return _node(self.data / other.data, "/", Value._div_backward, self, other)
        c = as_constant(other, "/")
        if c == 0.0:
            refuse_division_by_zero(self, other)
        return _node(self.data / c, "/", Value._div_constant_backward, self, None, c)

    def _div_backward(out: Value) -> None:
        # d(a / b)/da = 1/b, d(a / b)/db = -a/b**2 = -out/b
        g, a, b = out.grad, out._a, out._b
        a.grad += g / b.data
        b.grad -= g * (out.data / b.data)  # out/b first: g * out alone may underflow

    def _div_constant_backward(out: Value) -> None:
        # d(a / c)/da = 1/c
        out._a.grad += out.grad / out._constant

    def __rtruediv__(self, other: float) -> Value:
        c = as_constant(other, "/")
        if self.data == 0.0:
            refuse_division_by_zero(other, self)
        return _node(c / self.data, "/", Value._rdiv_constant_backward, self, None, c)

    def _rdiv_constant_backward(out: Value) -> None:
        # d(c / a)/da = -c/a**2 = -out/a
        a = out._a
        a.grad -= out.grad * (out.data / a.data)

    def __neg__(self) -> Value:
        return _node(-self.data, "neg", Value._neg_backward, self)

    def _neg_backward(out: Value) -> None:
        # d(-a)/da = -1
        out._a.grad -= out.grad

    def __pos__(self) -> Value:
        return self

    def __pow__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return _node(checked_pow_of_values(self.data, other.data), "**", Value._pow_of_values_backward, self, other)
        n = as_constant(other, "**")
        return _node(checked_pow(self.data, n), "**", Value._pow_backward, self, None, n)

    def _pow_backward(out: Value) -> None:
        # d(a**n)/da = n * a**(n-1)
        base = out._a
        base.grad += out.grad * power_slope(base.data, out._constant)

    def __rpow__(self, other: float) -> Value:
        c = as_constant(other, "**")
        return _node(checked_pow_of_values(c, self.data), "**", Value._rpow_backward, self, None, c)

    def _rpow_backward(out: Value) -> None:
        # d(c**a)/da = c**a * ln(c) = out * ln(c), taken as 0 at c = 0 (as PyTorch does)
        c = out._constant
        if c > 0.0:
            out._a.grad += out.grad * (out.data * math.log(c))

    def _pow_of_values_backward(out: Value) -> None:
        # d(a**b)/da = b * a**(b-1);  d(a**b)/db = a**b * ln(a), taken as 0 at a = 0 (as PyTorch does)
        g, base, exponent = out.grad, out._a, out._b
        a = base.data
        base.grad += g * power_slope(a, exponent.data)
        if a > 0.0:
            exponent.grad += g * (out.data * math.log(a))

    # ------------------------------------------------------------------ functions

    def exp(self) -> Value:
        """e**self. Raises OverflowError when the result exceeds the float range (self > ~709.78)."""
        return _node(checked_exp(self.data), "exp", Value._exp_backward, self)

    def _exp_backward(out: Value) -> None:
        # d exp(z)/dz = exp(z), the output itself
        out._a.grad += out.grad * out.data

    def log(self) -> Value:
        """Natural logarithm. Raises ValueError for self <= 0."""
        return _node(checked_log(self.data), "log", Value._log_backward, self)

    def _log_backward(out: Value) -> None:
        # d log(z)/dz = 1/z
        z = out._a
        z.grad += out.grad / z.data

    def sigmoid(self) -> Value:
        """Logistic sigmoid 1/(1+e^-z), computed without overflow for any z (z = -1000 gives 0.0)."""
        return _node(stable_sigmoid(self.data), "sigmoid", Value._sigmoid_backward, self)

    def _sigmoid_backward(out: Value) -> None:
        # d sigmoid(z)/dz = a * (1 - a) with a = sigmoid(z), the output
        a = out.data
        out._a.grad += out.grad * a * (1.0 - a)

    def tanh(self) -> Value:
        """Hyperbolic tangent; exact and finite for any z (math.tanh saturates to +-1)."""
        return _node(math.tanh(self.data), "tanh", Value._tanh_backward, self)

    def _tanh_backward(out: Value) -> None:
        # d tanh(z)/dz = 1 - a**2 with a = tanh(z), the output
        a = out.data
        out._a.grad += out.grad * (1.0 - a * a)

    def softplus(self) -> Value:
        """log(1 + e^z), computed as max(z, 0) + log1p(e^-|z|): finite and exact for any z."""
        z = self.data
        out_data = (z if z > 0.0 else 0.0) + math.log1p(math.exp(-abs(z)))
        return _node(out_data, "softplus", Value._softplus_backward, self)

    def _softplus_backward(out: Value) -> None:
        # d softplus(z)/dz = sigmoid(z)
        z = out._a
        z.grad += out.grad * stable_sigmoid(z.data)

    def relu(self) -> Value:
        """max(z, 0). Its derivative at exactly z = 0 is taken as 0, as PyTorch does. NaN stays NaN."""
        z = self.data
        return _node(z if z > 0.0 or z != z else 0.0, "relu", Value._relu_backward, self)

    def _relu_backward(out: Value) -> None:
        # d relu(z)/dz = 0 if z <= 0 else 1; the output is <= 0 exactly when z is, and a NaN
        # passes its gradient on (as in PyTorch), so that the NaN stays visible upstream
        if not out.data <= 0.0:
            out._a.grad += out.grad

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """z if z > 0 else slope * z. Its derivative at exactly z = 0 is `slope`, as in PyTorch."""
        slope = to_float(slope, "leaky_relu slope")
        z = self.data
        return _node(z if z > 0.0 else slope * z, "leaky_relu", Value._leaky_relu_backward, self, None, slope)

    def _leaky_relu_backward(out: Value) -> None:
        # d leaky_relu(z)/dz = 1 if z > 0 else slope
        z, g = out._a, out.grad
        z.grad += g if z.data > 0.0 else g * out._constant

    def abs(self) -> Value:
        """|z|. Its derivative at exactly z = 0 is taken as 0, as PyTorch does."""
        return _node(math.fabs(self.data), "abs", Value._abs_backward, self)

    def _abs_backward(out: Value) -> None:
        # d|z|/dz = sign(z): 1 for z > 0, -1 for z < 0 (and 0 at 0)
        z = out._a
        z.grad += out.grad * sign(z.data)

    __abs__ = abs

    def sqrt(self) -> Value:
        """Square root. Raises ValueError for self < 0; its derivative at 0 is infinite."""
        z = self.data
        if z < 0.0:
            raise ValueError(f"sqrt of a negative value: sqrt({z!r}) is not a real number (needs a value >= 0)")
        return _node(math.sqrt(z), "sqrt", Value._sqrt_backward, self)

    def _sqrt_backward(out: Value) -> None:
        # d sqrt(z)/dz = 0.5 * z**-0.5 = 1 / (2 sqrt(z))
        z = out._a
        z.grad += out.grad * power_slope(z.data, 0.5)

    def sin(self) -> Value:
        """Sine (radians)."""
        return _node(math.sin(self.data), "sin", Value._sin_backward, self)

    def _sin_backward(out: Value) -> None:
        # d sin(z)/dz = cos(z)
        z = out._a
        z.grad += out.grad * math.cos(z.data)

    def cos(self) -> Value:
        """Cosine (radians)."""
        return _node(math.cos(self.data), "cos", Value._cos_backward, self)

    def _cos_backward(out: Value) -> None:
        # d cos(z)/dz = -sin(z)
        z = out._a
        z.grad -= out.grad * math.sin(z.data)

    # ------------------------------------------------------------------ n-ary nodes

    @staticmethod
    def sum(values: Iterable[Value | float]) -> Value:
        """The sum of many Values as ONE node, added left to right as the built-in `sum` would.

        One n-ary node instead of a chain of n-1 additions: fewer objects and a shallow graph.
        """
        terms = operand_tuple(values, "sum", _VALUE_TYPES, _leaf)
        if not terms:
            raise ValueError("Value.sum needs at least one value, got an empty sequence")
        total = terms[0].data
        for term in terms[1:]:
            total += term.data
        return _node(total, "sum", Value._sum_backward, None, many=terms)

    def _sum_backward(out: Value) -> None:
        # d(sum of x_i)/dx_i = 1
        g = out.grad
        for term in out._many:
            term.grad += g

    @staticmethod
    def linear(weights: Sequence[Value | float], inputs: Sequence[Value | float], bias: Value | float) -> Value:
        """bias + w_0*x_0 + w_1*x_1 + ... as ONE node: a neuron's pre-activation.

        The terms are added in the order written, so the result equals the chain of binary
        additions bit for bit. `inputs` may hold plain numbers (a data point). The node's
        `inputs` are (bias, w_0, ..., w_n-1, x_0, ..., x_n-1).
        """
        ws, xs = operand_tuple(weights, "linear", _VALUE_TYPES, _leaf), operand_tuple(inputs, "linear", _VALUE_TYPES, _leaf)
        if len(ws) != len(xs):
            raise ValueError(f"Value.linear needs as many inputs as weights: got {len(xs)} inputs for {len(ws)} weights")
        if not isinstance(bias, Value):
            bias = _leaf(as_constant(bias, "linear"))
        total = bias.data
        for w, x in zip(ws, xs):
            total += w.data * x.data
        return _node(total, "linear", Value._linear_backward, None, many=(bias,) + ws + xs)

    def _linear_backward(out: Value) -> None:
        # d/db = 1, d/dw_i = x_i, d/dx_i = w_i
        g, inputs = out.grad, out._many
        n = len(inputs) // 2
        inputs[0].grad += g
        for w, x in zip(inputs[1:n + 1], inputs[n + 1:]):
            w.grad += g * x.data
            x.grad += g * w.data

    @staticmethod
    def dot(weights: Sequence[Value | float], inputs: Sequence[Value | float]) -> Value:
        """w_0*x_0 + w_1*x_1 + ... as ONE node, the same float as `sum(w * x for w, x in
        zip(weights, inputs))`, without its n products and n-1 running sums: a `linear` node
        whose bias is a constant 0 (drawn, compiled and differentiated as one)."""
        return Value.linear(weights, inputs, 0.0)

    # ------------------------------------------------------------------ backpropagation

    def backward(self) -> None:
        """Fill in d(self)/d(node) for every node of the graph below `self`, by the chain rule.

        The output's gradient is seeded with 1.0 and every node's rule runs once, after all
        nodes that consumed it have passed their share back (reverse topological order, found
        without recursion, so graphs of any depth work). A node whose gradient is exactly 0
        passes nothing back (see "Zero gradients" in docs/engine.md).

        Leaves' gradients *add up* over calls, as in PyTorch (hence `zero_grad()` between
        steps); interior nodes are reset at the start of each call.
        """
        if self._backward_rule is None:  # a leaf: d self/d self = 1, accumulated like any leaf gradient
            self.grad += 1.0
            return
        # every interior node, each after its inputs, its gradient reset to 0 (_graph.py)
        order = post_order(self, interior_only=True)
        self.grad = 1.0
        for node in reversed(order):
            if node.grad:  # a gradient of exactly 0 has nothing to pass back
                node._backward_rule(node)

    def detach(self) -> Value:
        """A new leaf holding the same data: what is computed from it is not traced back to self."""
        return _leaf(self.data)


class Parameter(Value):
    """A leaf Value that a model learns (weights, biases).

    It behaves exactly as a Value; the type only tells tools what it is: drawings mark it,
    and `compile` reads its current value on every call instead of freezing it.
    """

    __slots__ = ()


Number = int | float  # what Value() takes; it keeps a float


# ---------------------------------------------------------------------- making nodes

# _node(data, op, rule, a, b=None, constant=None, many=None) makes an op's node without
# Value.__init__'s checks, which an op's float output does not need (see _nodes.py).
_node = node_maker(Value)
_VALUE_TYPES = frozenset((Value, Parameter))


def _leaf(data: float) -> Value:
    """Make a leaf (a constant operand) without `Value.__init__`'s checks: `data` is a float."""
    return _node(data, "", None, None)
