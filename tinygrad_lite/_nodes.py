"""How the engine makes the node of an op: fast, with no checks it does not need.

`Value.__init__` checks what a user passes in (a number, a str label). An op does not need
that: its output is already a float, computed from floats. So the ops make their nodes with
`make_node` instead, which fills in the fields directly, about twice as fast; most of the time
of building a graph is making its nodes.

engine.py gets its `make_node` from `node_maker(Value)`: this module is imported by engine.py,
so it cannot import the class, and it is handed it once instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from ._checks import as_constant, data_of_result, refuse_unordered
from ._grad_mode import records_graph, threads_without_graph

__all__ = ["MakeNode", "node_maker", "operand_tuple"]

V = TypeVar("V")


class MakeNode(Protocol[V]):
    """The signature of the function `node_maker` returns."""

    def __call__(self, data: float, op: str, backward: Callable[[V], None] | None, a: V | None, b: V | None = None,
                 constant: float | None = None, many: tuple[V, ...] | None = None) -> V: ...


def node_maker(value_type: type[V]) -> MakeNode[V]:
    """The function that makes a node of `value_type` (engine.Value) for an op:

        make_node(data, op, backward, a, b=None, constant=None, many=None)

    `data` is the output, `backward` the op's rule, `a` and `b` its Value inputs, `constant` a
    plain-number operand kept in the node, `many` the inputs of an n-ary op (sum, linear). With
    no rule and no inputs it makes a leaf. Inside no_grad() every node is a leaf."""
    new_object = object.__new__

    def make_node(data: float, op: str, backward: Callable[[V], None] | None, a: V | None, b: V | None = None,
                  constant: float | None = None, many: tuple[V, ...] | None = None) -> V:
        if type(data) is not float:  # an input whose .data is not a float: a Value assigned to it, an int, ...
            data = data_of_result(data, op)
        if threads_without_graph and not records_graph():  # inside no_grad() (the dict is empty nearly always)
            backward = a = b = constant = many = None
        out: Any = new_object(value_type)
        out.data = data
        out.grad = 0.0
        out.label = ""
        out.op = op
        out._backward_rule = backward
        out._a = a
        out._b = b
        out._many = many
        out._constant = constant
        out._walk = 0
        return out  # type: ignore[no-any-return]

    return make_node


def operand_tuple(values: Iterable[Any], op: str, value_types: frozenset[type], leaf: Callable[[float], V]
                  ) -> tuple[V, ...]:
    """The operands of an n-ary op (`Value.sum`, `Value.linear`) as a tuple of Values: plain
    numbers become constant leaves (made by `leaf`); a dict or set is refused."""
    if type(values) is not list and type(values) is not tuple:  # a dict or set would be read in no one's order
        refuse_unordered(values, f"Value.{op}")
    operands = tuple(values)
    if set(map(type, operands)) <= value_types:  # the common case, checked at C speed
        return operands
    kinds = tuple(value_types)
    return tuple(v if isinstance(v, kinds) else leaf(as_constant(v, op)) for v in operands)  # type: ignore[misc]
