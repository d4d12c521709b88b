"""The scalar autodiff engine: `Value`, its operations and reverse-mode backpropagation.

Every operation builds one new node that remembers its inputs and its *backward rule*: a
small function, written right under the forward formula, that takes the node and adds each
input's share of the node's gradient to that input's `.grad` by the chain rule:

    dL/d input += dL/d out * d out/d input

A rule is written once per operation and receives its node when it runs, `rule(out)`, so the
node is the rule's whole environment: `out.grad` is dL/d out, `out.data` the output (used
where the derivative is cheaper from it, as tanh' = 1 - a**2), `out._a` and `out._b` the
inputs. Why not a closure per node, as micrograd installs? A closure is three extra objects
per node (a function and the tuples it keeps) that Python's cycle collector must track, and
that collector's work grows with the number of tracked objects alive: measured, it was most of
the time of building a large graph even though the graph holds no cycles. A node that is a
single object makes every graph cheaper to build and to free.

A plain-number operand, such as the 0.5 in `x * 0.5`, is not made a node: the op keeps it in
its node and has a rule of its own that reads it there (`x * y` has the rule `_mul_backward`,
`x * 0.5` the rule `_mul_constant_backward`), so a graph holds a node only for each Value.

Nodes reference only their inputs, never their consumers, so graphs hold no reference cycles:
when the last reference to a loss goes away, reference counting frees the whole graph at once.

Only the standard library is imported here.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import math
import numbers
import threading
from typing import Callable, Iterable, Iterator, Sequence

__all__ = ["Value", "Parameter", "topological_order", "paused_gc", "Number"]

Number = int | float

_new_object = object.__new__
_walk_numbers = itertools.count(1)  # numbers graph walks, so that a node can say if a walk has visited it

BRANCH_FREE_FORMS: dict[Callable, Callable] = {}
"""Backward rules that branch on data, and the same rule written without a branch (with `where`).

A code generator reads a rule's formula by running it on symbols (see symbolic.py), and a
symbol has no truth value: `if z > 0:` cannot be followed. Such a rule declares, right under
it, its branch-free form, which the generators run instead; the eager engine runs the rule.
"""


def branch_free_form_of(rule: Callable) -> Callable[[Callable], Callable]:
    """Declare the decorated function as `rule` written without branching on data."""

    def declare(form: Callable) -> Callable:
        BRANCH_FREE_FORMS[rule] = form
        return form

    return declare


ARRAY_FORMS: dict[Callable, Callable] = {}
"""Helpers that ops and rules call (`stable_sigmoid`, `_power_slope`, ...), written for arrays.

A vectorised backend evaluates a rule over many nodes at once, so a helper that branches, or
catches an exception, cannot be called as it is. Its array form, declared right under it, is
the same formula without branches (with `where`). It may leave out what the helper does about
floating-point exceptions (overflow, division by zero, invalid operations): a vectorised
caller traps those and recomputes such a call with the engine, which raises as it always does.
"""


def array_form_of(helper: Callable) -> Callable[[Callable], Callable]:
    """Declare the decorated function as `helper` written for arrays (see ARRAY_FORMS)."""

    def declare(form: Callable) -> Callable:
        ARRAY_FORMS[helper] = form
        return form

    return declare


def where(condition: bool, if_true: float, if_false: float) -> float:
    """`if_true if condition else if_false`, as a function: how a branch-free form of a rule
    writes a branch, so that a code generator can record it (as a conditional expression, or
    numpy's where). Eagerly, both values are computed."""
    return if_true if condition else if_false


class Value:
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

    # _a, _b: the first and second input of a unary or binary op (None when absent);
    # _many: the inputs of an n-ary op (sum, linear) as a tuple, else None;
    # _constant: the plain-number operand of an op such as `x * 0.5` (a float), else None;
    # _backward_rule: the op's backward rule, called as rule(node); None for a leaf;
    # _walk: the number of the last graph walk that visited the node (see _post_order).
    __slots__ = ("data", "grad", "label", "op", "_backward_rule", "_a", "_b", "_many", "_constant", "_walk",
                 "__weakref__")
    # Typed as always present, so that the rules read plainly (`out._a.grad`): a rule only ever
    # runs on a node that has the inputs it reads. Where absent they hold None.
    _backward_rule: Callable[[Value], None]
    _a: Value
    _b: Value
    _many: tuple[Value, ...]
    _constant: float

    def __init__(self, data: Number, _children: Iterable[Value] = (), _op: str = "", label: str = "") -> None:
        """A Value holding `data`: `Value(2.0, label="a")`.

        `_children` and `_op` are micrograd's way to make a node by hand, for an op written
        the lecture's way (`out = Value(t, (self,), "tanh")`, then assign `out._backward`);
        see "Write your own op" in the README. Leave them out for a leaf.
        """
        if type(data) is not float:
            data = _to_float(data, "Value()")
        if type(label) is not str:
            raise TypeError(f"Value label must be a str, got {type(label).__name__} {label!r}")
        if type(_op) is not str:
            raise TypeError(f"Value _op must be a str naming the op, got {type(_op).__name__} {_op!r}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self.op = _op
        self._backward_rule = self._a = self._b = self._many = self._constant = None  # type: ignore[assignment]
        self._walk = 0
        if _children != ():
            self._set_children(_children)

    def _set_children(self, children: Iterable[Value]) -> None:
        """Record the inputs of a node made by hand; until a `_backward` is assigned it passes nothing back."""
        if isinstance(children, (str, bytes)) or not hasattr(children, "__iter__"):
            raise TypeError(
                f"Value(): the second argument is _children, the inputs of a node made by hand (as in micrograd), "
                f"got {type(children).__name__} {children!r}; to name a leaf write Value(x, label=...)"
            )
        inputs = tuple(children)
        for i, child in enumerate(inputs):
            if not isinstance(child, Value):
                raise TypeError(f"Value(): _children[{i}] must be a Value, got {type(child).__name__} {child!r}")
        if len(inputs) > 2:
            self._many = inputs
        elif inputs:
            self._a = inputs[0]
            if len(inputs) == 2:
                self._b = inputs[1]
        if inputs:
            self._backward_rule = _passes_nothing

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The nodes this one was computed from, in order; () for a leaf.

        A plain-number operand is not a node and not among them: `(x * 0.5).inputs == (x,)`;
        the 0.5 is kept in the node (as `_constant`)."""
        if self._many is not None:
            return self._many
        if self._b is not None:
            return (self._a, self._b)
        if self._a is not None:
            return (self._a,)
        return ()

    @property
    def _backward(self) -> Callable[[], None]:
        """This node's backward step as a function of no arguments: `o._backward()` adds its
        share of `o.grad` to its inputs' grads, once.

        micrograd's name, kept so that the lecture's way of stepping through backpropagation by
        hand works (`o.grad = 1.0; o._backward(); n._backward(); ...`). `backward()` does the
        whole walk; this is one step of it. For a leaf it does nothing.

        Assigning a function of no arguments, `out._backward = _backward`, gives this node its
        own rule, as an op written the lecture's way does; `backward()` then calls it in turn.
        """
        rule = self._backward_rule
        if rule is None:
            return _no_step
        if type(rule) is LectureRule:
            return rule.step
        return functools.partial(rule, self)

    @_backward.setter
    def _backward(self, step: Callable[[], None]) -> None:
        if not callable(step):
            raise TypeError(f"_backward must be a function of no arguments, got {type(step).__name__} {step!r}")
        self._backward_rule = LectureRule(step)

    @property
    def _prev(self) -> set[Value]:
        """The inputs as a set, as micrograd names them (for code written against micrograd)."""
        return set(self.inputs)

    @property
    def _op(self) -> str:
        """The op, as micrograd names it (for code written against micrograd)."""
        return self.op

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{name})"

    def __float__(self) -> float:
        return self.data

    # ------------------------------------------------------------------ arithmetic
    # Each op computes its output and makes the node; the rule under it is its derivative.

    # An operand that is a plain number (the 0.5 in `x * 0.5`) is not a node: it is kept in the
    # node as `_constant`, and the op has a rule of its own that reads it there.

    def __add__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return _node(self.data + other.data, "+", Value._add_backward, self, other)
        c = other if type(other) is float else _constant(other, "+")
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
        c = other if type(other) is float else _constant(other, "-")
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
        c = other if type(other) is float else _constant(other, "-")
        return _node(c - self.data, "-", Value._rsub_constant_backward, self, None, c)

    def _rsub_constant_backward(out: Value) -> None:
        # d(c - a)/da = -1
        out._a.grad -= out.grad

    def __mul__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return _node(self.data * other.data, "*", Value._mul_backward, self, other)
        c = other if type(other) is float else _constant(other, "*")
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
                raise ZeroDivisionError(f"division by zero: {_operand(self)} / {_operand(other)}")
            return _node(self.data / other.data, "/", Value._div_backward, self, other)
        c = _constant(other, "/")
        if c == 0.0:
            raise ZeroDivisionError(f"division by zero: {_operand(self)} / {_operand(other)}")
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
        c = _constant(other, "/")
        if self.data == 0.0:
            raise ZeroDivisionError(f"division by zero: {_operand(other)} / {_operand(self)}")
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
            return _pow_value_exponent(self, other)
        n = _constant(other, "**")
        return _node(_checked_pow(self.data, n), "**", Value._pow_backward, self, None, n)

    def _pow_backward(out: Value) -> None:
        # d(a**n)/da = n * a**(n-1)
        base = out._a
        base.grad += out.grad * _power_slope(base.data, out._constant)

    def __rpow__(self, other: float) -> Value:
        c = _constant(other, "**")
        return _node(_checked_pow_of_values(c, self.data), "**", Value._rpow_backward, self, None, c)

    def _rpow_backward(out: Value) -> None:
        # d(c**a)/da = c**a * ln(c) = out * ln(c), taken as 0 at c = 0 (as PyTorch does)
        c = out._constant
        if c > 0.0:
            out._a.grad += out.grad * (out.data * math.log(c))

    @branch_free_form_of(_rpow_backward)
    def _rpow_backward_branch_free(out: Value) -> None:
        c = out._constant
        out._a.grad += where(c > 0.0, out.grad * (out.data * math.log(c)), 0.0)

    def _pow_of_values_backward(out: Value) -> None:
        # d(a**b)/da = b * a**(b-1);  d(a**b)/db = a**b * ln(a), taken as 0 at a = 0 (as PyTorch does)
        g, base, exponent = out.grad, out._a, out._b
        a = base.data
        base.grad += g * _power_slope(a, exponent.data)
        if a > 0.0:
            exponent.grad += g * (out.data * math.log(a))

    @branch_free_form_of(_pow_of_values_backward)
    def _pow_of_values_backward_branch_free(out: Value) -> None:
        g, base, exponent = out.grad, out._a, out._b
        a = base.data
        base.grad += g * _power_slope(a, exponent.data)
        exponent.grad += where(a > 0.0, g * (out.data * math.log(a)), 0.0)

    # ------------------------------------------------------------------ functions

    def exp(self) -> Value:
        """e**self. Raises OverflowError when the result exceeds the float range (self > ~709.78)."""
        try:
            out_data = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp overflow: exp({self.data!r}) is larger than the largest float") from None
        return _node(out_data, "exp", Value._exp_backward, self)

    def _exp_backward(out: Value) -> None:
        # d exp(z)/dz = exp(z), the output itself
        out._a.grad += out.grad * out.data

    def log(self) -> Value:
        """Natural logarithm. Raises ValueError for self <= 0."""
        a = self.data
        if not a > 0.0 and a == a:  # NaN propagates like float; zero and negatives are errors
            raise ValueError(f"log of a non-positive value: log({a!r}) is undefined (needs a value > 0)")
        return _node(math.log(a) if a == a else a, "log", Value._log_backward, self)

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

    @branch_free_form_of(_relu_backward)
    def _relu_backward_branch_free(out: Value) -> None:
        out._a.grad += where(out.data <= 0.0, 0.0, out.grad)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """z if z > 0 else slope * z. Its derivative at exactly z = 0 is `slope`, as in PyTorch."""
        slope = _to_float(slope, "leaky_relu slope")
        z = self.data
        return _node(z if z > 0.0 else slope * z, "leaky_relu", Value._leaky_relu_backward, self, None, slope)

    def _leaky_relu_backward(out: Value) -> None:
        # d leaky_relu(z)/dz = 1 if z > 0 else slope
        z, g = out._a, out.grad
        z.grad += g if z.data > 0.0 else g * out._constant

    @branch_free_form_of(_leaky_relu_backward)
    def _leaky_relu_backward_branch_free(out: Value) -> None:
        z, g = out._a, out.grad
        z.grad += where(z.data > 0.0, g, g * out._constant)

    # ------------------------------------------------------------------ n-ary nodes

    @staticmethod
    def sum(values: Iterable[Value | float]) -> Value:
        """The sum of many Values as ONE node, added left to right as the built-in `sum` would.

        One n-ary node instead of a chain of n-1 additions: fewer objects and a shallow graph.
        """
        terms = _value_tuple(values, "sum")
        if not terms:
            raise ValueError("Value.sum needs at least one value, got an empty sequence")
        total = terms[0].data
        for term in terms[1:]:
            total += term.data
        return _node_of_many(total, "sum", Value._sum_backward, terms)

    def _sum_backward(out: Value) -> None:
        # d(sum of x_i)/dx_i = 1
        g = out.grad
        for term in out._many:
            term.grad += g

    @staticmethod
    def linear(weights: Sequence[Value], inputs: Sequence[Value | float], bias: Value) -> Value:
        """bias + w_0*x_0 + w_1*x_1 + ... as ONE node: a neuron's pre-activation.

        The terms are added in the order written, so the result equals the chain of binary
        additions bit for bit. `inputs` may hold plain numbers (a data point). The node's
        `inputs` are (bias, w_0, ..., w_n-1, x_0, ..., x_n-1).
        """
        ws, xs = _value_tuple(weights, "linear"), _value_tuple(inputs, "linear")
        if len(ws) != len(xs):
            raise ValueError(f"Value.linear needs as many inputs as weights: got {len(xs)} inputs for {len(ws)} weights")
        if not isinstance(bias, Value):
            bias = _as_value(bias, "linear")
        total = bias.data
        for w, x in zip(ws, xs):
            total += w.data * x.data
        return _node_of_many(total, "linear", Value._linear_backward, (bias,) + ws + xs)

    def _linear_backward(out: Value) -> None:
        # d/db = 1, d/dw_i = x_i, d/dx_i = w_i
        g, inputs = out.grad, out._many
        n = len(inputs) // 2
        inputs[0].grad += g
        for w, x in zip(inputs[1:n + 1], inputs[n + 1:]):
            w.grad += g * x.data
            x.grad += g * w.data

    # ------------------------------------------------------------------ backpropagation

    def backward(self) -> None:
        """Fill in d(self)/d(node) for every node of the graph below `self`, by the chain rule.

        The output's gradient is seeded with 1.0 and every node's rule runs once, after all
        nodes that consumed it have passed their share back (reverse topological order, found
        without recursion, so graphs of any depth work).

        A node whose gradient is exactly 0 passes nothing back: its rule is skipped, which
        saves the work below an inactive relu, and means that 0 * inf gives no NaN (a zero
        gradient times an infinite local derivative contributes nothing; PyTorch gives NaN).

        Calling it again (or on another output sharing the same leaves) *adds* to the
        leaves' gradients, as PyTorch does: useful for accumulating over mini-batches, and the
        reason to call `zero_grad()` (or an optimiser's) between steps. Interior nodes are
        reset at the start of each call, so they always show this call's gradients.
        """
        if self._backward_rule is None:  # a leaf: d self/d self = 1, accumulated like any leaf gradient
            self.grad += 1.0
            return
        # No pause of the cycle collector here: the walk and the rules make no objects it
        # tracks, so it never runs meanwhile (measured: 58.3 ms with a pause, 57.8 without,
        # on a 300,000-node chain).
        order = _post_order(self, interior_only=True)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            if node.grad:  # a gradient of exactly 0 has nothing to pass back: see "Zero gradients" in the README
                node._backward_rule(node)

    def zero_grad(self) -> None:
        """Set the gradient of every node in the graph below (and including) this one to 0.0."""
        for node in topological_order(self):
            node.grad = 0.0


_CONSTANT_FIRST = frozenset((Value._rsub_constant_backward, Value._rdiv_constant_backward, Value._rpow_backward))


def constant_first(node: Value) -> bool:
    """Whether the node's constant operand is written first (c - a, c / a, c ** a): for display."""
    return node._backward_rule in _CONSTANT_FIRST


class Parameter(Value):
    """A leaf Value that a model learns (weights, biases).

    It behaves exactly as a Value; the type only tells tools what it is: drawings mark it,
    and `compile` reads its current value on every call instead of freezing it.
    """

    __slots__ = ()


def topological_order(root: Value) -> list[Value]:
    """Every node of the graph below `root`, each after all of its inputs; `root` is last.

    Found without recursion (a chain of a million nodes works) and deterministically: the
    same graph always gives the same order.
    """
    # A walk in another thread over shared nodes can only make this one visit a node twice
    # (see _post_order), never skip one: keeping first visits keeps the order right regardless.
    return list(dict.fromkeys(_post_order(root, interior_only=False)))


def _post_order(root: Value, interior_only: bool) -> list[Value]:
    """Depth-first post-order with an explicit stack: each node after all of its inputs.

    A node is pushed, then a marker (None), then its unvisited inputs; when the marker comes
    back off the stack, all of the node's inputs are done and the node is appended. With
    `interior_only`, leaves (which have nothing to pass back) are skipped.

    A visited node is marked by writing this walk's number into it (`_walk`): cheaper than
    a set of visited nodes, and no clean-up is needed, since the next walk has a new number.
    """
    walk = next(_walk_numbers)
    order: list[Value] = []
    stack: list[Value | None] = [root]
    # Bound methods as locals: this loop runs once per node and per edge of the graph.
    push, pop, emit = stack.append, stack.pop, order.append
    keep_leaves = not interior_only
    while stack:
        node = pop()
        if node is None:  # the marker: the node under it has all its inputs done
            emit(pop())  # type: ignore[arg-type]
            continue
        if node._walk == walk:
            continue
        node._walk = walk
        push(node)
        push(None)
        # Inputs are pushed last to first, so that they are visited in order.
        many = node._many
        if many is not None:
            for child in reversed(many):
                if (keep_leaves or child._backward_rule is not None) and child._walk != walk:
                    push(child)
            continue
        child = node._b
        if child is not None and (keep_leaves or child._backward_rule is not None) and child._walk != walk:
            push(child)
        child = node._a
        if child is not None and (keep_leaves or child._backward_rule is not None) and child._walk != walk:
            push(child)
    return order


class _CollectorPause:
    """The shared state behind `paused_gc`: how many pauses are open, in all threads, and
    whether the collector was enabled when the first of them began.

    Pauses may overlap across threads and end in any order. Only the first to begin switches
    the collector off and only the last to end restores what the first found, under a lock:
    two threads saving and restoring the state each on their own would interleave and could
    leave the collector off for good.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.was_enabled = False

    def begin(self) -> None:
        with self.lock:
            if self.depth == 0:
                self.was_enabled = gc.isenabled()
                gc.disable()
            self.depth += 1

    def end(self) -> None:
        with self.lock:
            self.depth -= 1
            if self.depth == 0 and self.was_enabled:
                gc.enable()


_collector_pause = _CollectorPause()


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cycle collector inside the block, restoring its previous state after.

    Graphs of Values hold no reference cycles (they are freed by reference counting), but
    building a large one still makes Python's collector run full collections that walk every
    live object, repeatedly: with 300,000 nodes alive that is still a large share of the time
    of building them. Wrap graph-building code in it when a graph is large:

        with paused_gc():
            loss = model_loss(...)
            loss.backward()

    It is also a decorator: `@paused_gc()` above a function that runs a training step.
    Code inside that creates cycles of its own (not Values) leaves them for the next
    collection after the block: nothing is lost.

    Safe with threads and nesting: the collector stays paused while any pause is open, in any
    thread, and the state found by the first is restored when the last one ends. The pause is
    process-wide while it lasts, as the collector is.
    """
    _collector_pause.begin()
    try:
        yield
    finally:
        _collector_pause.end()


# ---------------------------------------------------------------------- helpers


def _node(data: float, op: str, backward: Callable[[Value], None] | None, a: Value | None,
          b: Value | None = None, constant: float | None = None) -> Value:
    """Make the node of an op (or with no rule and no inputs, a leaf) without `Value.__init__`'s
    checks: `data` is already a float. `b` is a second Value input, `constant` a plain-number
    operand kept in the node."""
    out = _new_object(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.op = op
    out._backward_rule = backward  # type: ignore[assignment]
    out._a = a  # type: ignore[assignment]
    out._b = b  # type: ignore[assignment]
    out._many = None  # type: ignore[assignment]
    out._constant = constant  # type: ignore[assignment]
    out._walk = 0
    return out


def _node_of_many(data: float, op: str, backward: Callable[[Value], None], inputs: tuple[Value, ...]) -> Value:
    """Make the node of an n-ary op (sum, linear) over `inputs`."""
    out = _node(data, op, backward, None)
    out._many = inputs
    return out


def _passes_nothing(out: Value) -> None:
    """The rule of a node made by hand (`Value(x, children, op)`) before a `_backward` is assigned:
    like micrograd's default, it passes nothing back."""


def _no_step() -> None:
    """A leaf's backward step: it has no inputs to pass a gradient to."""


class LectureRule:
    """The backward rule of a node whose `_backward` was assigned by hand, the lecture's way.

    The lecture writes a closure per node that captures its inputs and its output and takes no
    arguments; the engine calls every rule as rule(node), so this adapts one to the other.
    Such a closure holds its own output node, a reference cycle: the node is freed by Python's
    cycle collector rather than at once, as in micrograd. Built-in ops avoid that.
    """

    __slots__ = ("step",)

    def __init__(self, step: Callable[[], None]) -> None:
        self.step = step

    def __call__(self, out: Value) -> None:
        self.step()


def _operand(x: object) -> str:
    """An operand as an error message shows it: `Value(2.0)` for a Value, the number for a number."""
    return f"Value({x.data!r})" if isinstance(x, Value) else repr(x)


def _leaf(data: float) -> Value:
    """Make a leaf (a constant operand) without `Value.__init__`'s checks: `data` is a float."""
    return _node(data, "", None, None)


def _to_float(x: object, where: str) -> float:
    """Convert a real number to float, or raise a TypeError naming `where` and what `x` is."""
    if isinstance(x, float):
        return float(x)
    if type(x) is int or (isinstance(x, numbers.Real) and not isinstance(x, Value)):  # int, bool, Fraction, numpy
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(f"{where}: {x!r} is too large for a float") from None
    raise TypeError(f"{where} needs a real number (int or float), got {type(x).__name__} {x!r}")


def _constant(x: object, op: str) -> float:
    """A plain-number operand of `op` as a float, or a TypeError saying what would do."""
    if type(x) is float:  # the common case, a constant such as the 0.5 in `x * 0.5`
        return x
    if type(x) is int:  # common too (`1 - x`), and checked before the slow check against numbers.Real
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(f"Value {op}: {x!r} is too large for a float") from None
    if isinstance(x, numbers.Real) and not isinstance(x, Value):
        return _to_float(x, f"Value {op}")
    raise TypeError(
        f"unsupported operand for Value {op}: {type(x).__name__} {x!r}; use an int, float or Value"
    )


def _as_value(x: object, op: str) -> Value:
    """Wrap a plain number operand of `op` in a leaf Value (a constant); pass Values through."""
    return x if isinstance(x, Value) else _leaf(_constant(x, op))


_VALUE_TYPES = frozenset((Value, Parameter))


def _value_tuple(values: Iterable[Value | float], op: str) -> tuple[Value, ...]:
    """The operands of an n-ary op as a tuple of Values, wrapping plain numbers as constants."""
    operands = tuple(values)
    if set(map(type, operands)) <= _VALUE_TYPES:  # the common case, checked at C speed
        return operands  # type: ignore[return-value]
    return tuple(_as_value(v, op) for v in operands)


def _checked_pow(a: float, n: float) -> float:
    """a ** n for floats, raising clear errors instead of returning a complex number."""
    if a < 0.0 and not n.is_integer() and math.isfinite(n):
        raise ValueError(
            f"Value ** {n!r}: a negative base {a!r} with a non-integer exponent has no real result"
        )
    try:
        return a ** n
    except ZeroDivisionError:
        raise ZeroDivisionError(f"division by zero in Value **: {a!r} ** {n!r} (zero to a negative power)") from None
    except OverflowError:
        raise OverflowError(f"Value ** overflow: {a!r} ** {n!r} is larger than the largest float") from None


def _power_slope(a: float, n: float) -> float:
    """d(a**n)/da = n * a**(n-1), as micrograd and PyTorch compute it, with its limits where
    a**(n-1) has no float value.

    Not taken from the output as n * out / a: out can overflow or underflow where the slope
    does not (at a = 1e-170, a**2 is 0.0 but the slope is 2e-170).
    """
    if n == 0.0:  # a**0 is constant
        return 0.0
    try:
        return n * a ** (n - 1.0)
    except ZeroDivisionError:  # a = 0 and 0 < n < 1: the slope grows without bound
        return math.inf
    except OverflowError:  # |a**(n-1)| is beyond the float range (tiny a, negative n - 1)
        odd = (n - 1.0) % 2.0 == 1.0
        return n * (-math.inf if a < 0.0 and odd else math.inf)


@array_form_of(_checked_pow)
def _checked_pow_for_arrays(a: float, n: float) -> float:
    return a ** n


@array_form_of(_power_slope)
def _power_slope_for_arrays(a: float, n: float) -> float:
    # at n = 0, 0 * a**-1 is 0 except at a = 0, where the division by zero is trapped
    return n * a ** (n - 1.0)


def _checked_pow_of_values(a: float, b: float) -> float:
    """a ** b where b is a Value: the base must be >= 0 for d/db = a**b * ln(a) to exist."""
    if a < 0.0:
        raise ValueError(
            f"Value ** Value needs a base >= 0, got {a!r}: d(a**b)/db = a**b * ln(a) is undefined for a < 0; "
            "use a number as the exponent"
        )
    return _checked_pow(a, b)


@array_form_of(_checked_pow_of_values)
def _checked_pow_of_values_for_arrays(a: float, b: float) -> float:
    # a negative base must fail as the helper does: its square root is the invalid operation that traps
    return where(a < 0.0, math.sqrt(a), a ** b)


def _pow_value_exponent(base: Value, exponent: Value) -> Value:
    """base ** exponent with a Value exponent: both get gradients (rule: Value._pow_of_values_backward)."""
    out_data = _checked_pow_of_values(base.data, exponent.data)
    return _node(out_data, "**", Value._pow_of_values_backward, base, exponent)


def stable_sigmoid(z: float) -> float:
    """1/(1+e^-z) without overflow: for z < 0 it is computed as e^z/(1+e^z)."""
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@array_form_of(stable_sigmoid)
def _stable_sigmoid_for_arrays(z: float) -> float:
    e = math.exp(-math.fabs(z))  # e^-|z| never overflows; it is e^-z for z >= 0 and e^z below
    return where(z >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))
