"""What every Value has beyond the lesson: how its inputs are read back, micrograd's names,
zero_grad, how it prints and formats, the conversions it refuses, and comparisons.

`engine.Value` inherits these; none of them computes a derivative. They live here so that
engine.py reads as the lesson (a node, its ops with their rules, backward), and they are
plain methods: the class adds no state (`__slots__ = ()`), the fields are Value's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._checks import as_constant
from ._graph import topological_order
from ._lecture import LectureRule, step_of

__all__ = ["ValuePlumbing"]


class ValuePlumbing:
    """The methods of a Value that are not the lesson (see engine.Value for the fields)."""

    __slots__ = ()
    # Value's fields, declared here for type checkers (Value's __slots__ holds them).
    data: float
    grad: float
    label: str
    op: str
    _backward_rule: Callable[[Any], None]
    _a: Any
    _b: Any
    _many: tuple[Any, ...]

    @property
    def inputs(self) -> tuple[Any, ...]:
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

    # micrograd's names, for the lecture and code written against micrograd: `_backward` is the
    # node's backward step (`o.grad = 1.0; o._backward()`), assigned by an op written the
    # lecture's way; `_prev` the inputs as a set; `_op` the op.
    @property
    def _backward(self) -> Callable[[], None]:
        """This node's backward step, a function of no arguments."""
        return step_of(self)  # type: ignore[arg-type]

    @_backward.setter
    def _backward(self, step: Callable[[], None]) -> None:
        rule = LectureRule(step)
        if self.inputs:  # a leaf (as a node made inside no_grad() is) has no backward step
            self._backward_rule = rule

    @property
    def _prev(self) -> set[Any]:
        """The inputs as a set."""
        return set(self.inputs)

    @property
    def _op(self) -> str:
        """The op."""
        return self.op

    def zero_grad(self) -> None:
        """Set the gradient of every node in the graph below (and including) this one to 0.0."""
        for node in topological_order(self):  # type: ignore[arg-type]
            node.grad = 0.0

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{name})"

    def __format__(self, spec: str) -> str:
        """`f"{v:.3f}"` formats the data; `f"{v}"` shows the repr."""
        return format(self.data, spec) if spec else repr(self)

    def __float__(self) -> float:
        """Refused: `math.exp(v)` would return a float and cut the graph (training stops learning)."""
        raise TypeError(f"a Value is not converted to float implicitly ({self!r}): that would cut the graph here; "
                        "use its own methods (v.exp(), v.log(), v.tanh(), ...) to keep the graph, or v.data for the number "
                        "(and if a Value was assigned to some .data: .data holds a number, assign w.data, not w)")

    # Comparisons read the data, as PyTorch compares tensors: `v > 0` is a bool (no node, no
    # gradient). `==` is not among them: it stays identity, so Values can be kept in sets.
    def __lt__(self, other: object) -> bool:
        return self.data < _data_of(other, "<")

    def __le__(self, other: object) -> bool:
        return self.data <= _data_of(other, "<=")

    def __gt__(self, other: object) -> bool:
        return self.data > _data_of(other, ">")

    def __ge__(self, other: object) -> bool:
        return self.data >= _data_of(other, ">=")


def _data_of(x: object, op: str) -> float:
    """The number a comparison reads from its other operand: a Value's data, or the number."""
    return x.data if isinstance(x, ValuePlumbing) else as_constant(x, op)
