"""micrograd's interface to a node, for code written the lecture's way: nodes made by hand
(`out = Value(t, (x,), "tanh")`, then `out._backward = a function of no arguments`), stepping
through backpropagation by hand (`o._backward()`), and micrograd's names `_prev` and `_op`.

The engine calls every rule as rule(node); a lecture closure takes no arguments and captures
its own nodes. `LectureRule` adapts one to the other, so such an op works in `backward()`,
drawings and the step-through exactly as a built-in op does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import Value

__all__ = ["LectureRule", "passes_nothing", "no_step", "attach_children", "step_of"]


class LectureRule:
    """The backward rule of a node whose `_backward` was assigned by hand, the lecture's way.

    Such a closure holds its own output node, a reference cycle: the node is freed by Python's
    cycle collector rather than at once, as in micrograd. Built-in ops avoid that.
    """

    __slots__ = ("step",)

    def __init__(self, step: Callable[[], None]) -> None:
        if not callable(step):
            raise TypeError(f"_backward must be a function of no arguments, got {type(step).__name__} {step!r}")
        self.step = step

    def __call__(self, out: Value) -> None:
        self.step()


def passes_nothing(out: Value) -> None:
    """The rule of a node made by hand (`Value(x, children, op)`) before a `_backward` is assigned:
    like micrograd's default, it passes nothing back."""


def no_step() -> None:
    """A leaf's backward step: it has no inputs to pass a gradient to."""


def attach_children(node: Value, children: object, value_type: type[Value]) -> None:
    """Give a node made by hand (`Value(t, children, op)`) its inputs, checked, and a rule that
    passes nothing back until a `_backward` is assigned. `value_type` is Value, passed in:
    engine.py imports this module, not the other way round."""
    if isinstance(children, (str, bytes)) or not hasattr(children, "__iter__"):
        raise TypeError(
            f"Value(): the second argument is _children, the inputs of a node made by hand (as in micrograd), "
            f"got {type(children).__name__} {children!r}; to name a leaf write Value(x, label=...)"
        )
    inputs = tuple(children)
    for i, child in enumerate(inputs):
        if not isinstance(child, value_type):
            raise TypeError(f"Value(): _children[{i}] must be a Value, got {type(child).__name__} {child!r}")
    if len(inputs) > 2:
        node._many = inputs
    elif inputs:
        node._a = inputs[0]
        node._b = inputs[1] if len(inputs) == 2 else None  # type: ignore[assignment]
    if inputs:
        node._backward_rule = passes_nothing


def step_of(node: Value) -> Callable[[], None]:
    """The node's backward step as a function of no arguments (micrograd's `node._backward`)."""
    rule = node._backward_rule
    if rule is None:
        return no_step
    if type(rule) is LectureRule:
        return rule.step
    return functools.partial(rule, node)
