"""Walks over a graph of Values, without recursion: `topological_order` and the post-order
that `backward()` runs its rules in (reversed).

A graph can be a million nodes deep (the built-in `sum` over a long list makes a chain), so
every walk keeps its own stack instead of recursing.

Threads: `topological_order` only reads the graph (it keeps its visited nodes in a set of its
own), so drawings, compile and any other reader may walk a graph while another thread runs
`backward()` on it. `backward()` writes: its walk marks the nodes it visits (faster than a
set), and it sets every interior node's `.grad`; two backward passes (or a backward and a
zero_grad) over graphs that share nodes must not run at the same time, as in PyTorch.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import Value

__all__ = ["topological_order", "post_order", "grads_set_for_a_while"]

_walk_numbers = itertools.count(1)  # numbers graph walks, so that a node can say if a walk has visited it


def topological_order(root: Value) -> list[Value]:
    """Every node of the graph below `root`, each after all of its inputs; `root` is last.

    Found without recursion (a chain of a million nodes works) and deterministically: the
    same graph always gives the same order.
    """
    # The same order as post_order (a depth-first post-order, inputs in order), but without
    # writing marks into the nodes: a reader must not disturb a backward pass in another thread.
    order: list[Value] = []
    seen = {root}
    stack = [(root, iter(root.inputs))]
    while stack:
        node, inputs = stack[-1]
        for child in inputs:
            if child not in seen:
                seen.add(child)
                stack.append((child, iter(child.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def post_order(root: Value, interior_only: bool) -> list[Value]:
    """Depth-first post-order with an explicit stack: each node after all of its inputs, and
    each node's .grad reset to 0.0: the walk of backward(), which starts every node's gradient
    from 0 (resetting here saves a second pass over the nodes).

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
        node.grad = 0.0
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


@contextlib.contextmanager
def grads_set_for_a_while(nodes: Sequence[Value], grads: Sequence[float] | None = None) -> Iterator[None]:
    """Inside the block, each node's .grad starts from `grads` (0.0 each by default); after it,
    however it ends, every .grad is what it was before: for a backward pass run only to read
    its gradients (gradient checks, compile's checks, grad())."""
    saved = [node.grad for node in nodes]
    try:
        for node, g in zip(nodes, grads if grads is not None else [0.0] * len(nodes)):
            node.grad = g
        yield
    finally:
        for node, before in zip(nodes, saved):
            node.grad = before
