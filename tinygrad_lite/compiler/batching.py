"""Find the batch in a traced scalar graph: one subgraph, repeated once per data point.

A training step over a batch adds up one loss term per data point (`Value.sum`, or the
built-in `sum`: a chain of binary additions). Each term is the top of a subgraph of the same
shape, whose leaves are that point's inputs plus what every point shares (the parameters).
Laid side by side, the B copies of each node of that subgraph form a *group*: B scalar ops
that one array op can compute. This module finds the groups; numpy_backend.py writes code.

How, in three steps:
1. `collapse_sums`: a chain of binary additions whose intermediate results are used once
   becomes one n-ary sum node over its terms, added in the same order (same floats).
2. For each sum node, from the output down: a node below one term and no other is *private*
   to that term; the private nodes of a term, walked depth-first from it, are its *template*,
   each node described by its op and where its inputs are (a position in the same template,
   or a node outside it: shared, the same for every term). Terms with equal templates form a
   batch; the k-th nodes of their templates form group k. A constant operand kept in a node
   may differ from term to term (a label y_i): the group keeps the B of them.
3. A batch is kept only if nothing outside it reads one of its nodes but its own sum (or a
   batch with the same points in the same order): otherwise a scalar would need one element
   of an array. A batch that fails is left out and the search runs again.

Leaves (inputs, parameters, constants) are never owned by a batch: a group of leaves is the
list of them, gathered by index, and a leaf may appear in several batches (a parameter in
the L2 penalty's batch and shared by every point of the loss).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import engine
from ..engine import Value

__all__ = ["Batch", "Group", "collapse_sums", "consumers_of", "find_batches"]

_ADDS = (Value._add_backward, Value._add_constant_backward)


def collapse_sums(order: list[Value], out: Value) -> tuple[list[Value], Value]:
    """The graph with each chain of additions (intermediate results used once, at least three
    terms) made one `sum` node: `((b + t0) + t1) + t2` becomes sum(b, t0, t1, t2), and a number
    added in the chain (`0 + t0`, as the built-in sum starts) a constant leaf among the terms.
    The terms are added in the same order, so every value is the same float. Nodes whose inputs
    are unchanged are kept; others are copied. Returns the new order and output."""
    uses: dict[Value, int] = {}
    for node in order:
        for child in node.inputs:
            uses[child] = uses.get(child, 0) + 1
    # an addition feeding only the left side of another addition is part of that one's chain
    inner = {node._a for node in order if node._backward_rule in _ADDS
             and node._a._backward_rule in _ADDS and uses[node._a] == 1}
    new: dict[Value, Value] = {}
    new_order: list[Value] = []
    for node in order:
        if node in inner:
            continue
        rule = node._backward_rule
        if rule in _ADDS and node._a in inner:
            spine = [node]
            while spine[-1]._a in inner:
                spine.append(spine[-1]._a)
            terms = [new[spine[-1]._a]]
            for link in reversed(spine):
                if link._backward_rule is Value._add_backward:
                    terms.append(new[link._b])
                else:
                    terms.append(engine._leaf(link._constant))
                    new_order.append(terms[-1])  # before its sum, which keeps the order topological
            copy = engine._node(node.data, "sum", Value._sum_backward, None, many=tuple(terms))
            copy.label = node.label
        else:
            copy = _with_inputs(node, [new[c] for c in node.inputs])
        new[node] = copy
        new_order.append(copy)
    return new_order, new[out]


def _with_inputs(node: Value, inputs: list[Value]) -> Value:
    """`node` itself if its inputs are unchanged, else a copy of it over `inputs`."""
    if all(a is b for a, b in zip(inputs, node.inputs)):
        return node
    if node._many is not None:
        copy = engine._node(node.data, node.op, node._backward_rule, None, many=tuple(inputs))
    else:
        copy = engine._node(node.data, node.op, node._backward_rule, inputs[0], inputs[1] if len(inputs) > 1 else None,
                            node._constant)
    copy.label = node.label
    return copy


@dataclass(eq=False)
class Group:
    """The k-th node of every point's subgraph: `members[i]` is point i's."""

    batch: Batch
    position: int
    members: list[Value]
    kind: str  # "op" for a computed node; "input", "param" or "const" for a leaf

    @property
    def node(self) -> Value:
        """Point 0's member, standing for the group's op and shape."""
        return self.members[0]


@dataclass(eq=False)
class Batch:
    """B equal subgraphs below one sum node: `root` adds up `terms` (one per point, in order)."""

    number: int
    root: Value
    terms: list[Value]
    groups: list[Group] = field(default_factory=list)

    @property
    def size(self) -> int:
        """How many points."""
        return len(self.terms)


def consumers_of(order: list[Value]) -> dict[Value, list[Value]]:
    """Each node's readers in the graph `order`, in order (a node read twice by one is listed twice)."""
    consumers: dict[Value, list[Value]] = {}
    for node in order:
        for child in node.inputs:
            consumers.setdefault(child, []).append(node)
    return consumers


def find_batches(order: list[Value], consumers: dict[Value, list[Value]], inputs: Sequence[Value],
                 params: Sequence[Value], min_size: int = 2) -> tuple[list[Batch], dict[Value, tuple[Group, int]]]:
    """The batches of the graph and, for each node they own, its (group, point index).

    `order` is the graph in topological order (after collapse_sums), `consumers` its readers
    (consumers_of); `inputs` and `params` the leaves that are read on each call. A batch has at
    least `min_size` points."""
    kinds = dict.fromkeys(inputs, "input")
    kinds.update((p, "param") for p in params)
    refused: set[tuple[int, int]] = set()
    while True:
        batches, owner, keys = _search(order, kinds, min_size, refused)
        bad = [batch for batch in batches if not _only_read_inside(batch, owner, consumers)]
        if not bad:
            return batches, owner
        refused.update(keys[b.number] for b in bad)


def _search(order: list[Value], kinds: dict[Value, str], min_size: int, refused: set[tuple[int, int]]
            ) -> tuple[list[Batch], dict[Value, tuple[Group, int]], dict[int, Any]]:
    owner: dict[Value, tuple[Group, int]] = {}
    batches: list[Batch] = []
    keys: dict[int, tuple[int, int]] = {}
    for root in reversed(order):
        if root._backward_rule is not Value._sum_backward or root in owner or len(root._many) < min_size:
            continue
        counts: dict[Value, int] = {}
        for term in root._many:
            counts[term] = counts.get(term, 0) + 1
        terms = [term for term, count in counts.items() if count == 1]  # a term added twice stays scalar
        private = _private_nodes(terms, owner)
        by_template: dict[tuple[Any, ...], list[tuple[Value, list[Value], list[tuple[Group, int]]]]] = {}
        for term in terms:
            if term not in private:
                continue
            nodes, signature, outside = _template(term, private, owner, kinds)
            by_template.setdefault(signature, []).append((term, nodes, outside))
        for points in by_template.values():
            key = (id(root), id(points[0][0]))
            if len(points) < min_size or key in refused or not _aligned(points):
                continue
            batch = Batch(len(batches), root, [term for term, _, _ in points])
            for k, node in enumerate(points[0][1]):
                members = [nodes[k] for _, nodes, _ in points]
                group = Group(batch, k, members, kinds.get(node, "const") if not node.inputs else "op")
                batch.groups.append(group)
                if node.inputs:
                    for i, member in enumerate(members):
                        owner[member] = (group, i)
            batches.append(batch)
            keys[batch.number] = key
    return batches, owner, keys


def _private_nodes(terms: list[Value], owner: dict[Any, Any]) -> set[Value]:
    """Nodes below exactly one of `terms` (not looking below nodes another batch owns)."""
    reached: dict[Value, int] = {}
    for term in terms:
        seen = {term}
        stack = [term]
        while stack:
            node = stack.pop()
            if node in owner:
                continue
            for child in node.inputs:
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        for node in seen:
            reached[node] = reached.get(node, 0) + 1
    return {node for node, count in reached.items() if count == 1 and node not in owner}


def _template(term: Value, private: set[Value], owner: dict[Any, Any], kinds: dict[Value, str]
              ) -> tuple[list[Value], tuple[Any, ...], list[tuple[Group, int]]]:
    """The private nodes below `term` in depth-first post-order (inputs in order), the shape of
    that list as a hashable signature, and the nodes of other batches it reads, in order."""
    nodes: list[Value] = []
    position: dict[Value, int] = {}
    stack: list[tuple[Value, bool]] = [(term, False)]
    while stack:
        node, expanded = stack.pop()
        if node in position:
            continue
        if expanded:
            position[node] = len(nodes)
            nodes.append(node)
            continue
        stack.append((node, True))
        for child in reversed(node.inputs):
            if child in private and child not in position:
                stack.append((child, False))
    signature: list[tuple[Any, ...]] = []
    outside: list[tuple[Group, int]] = []
    for node in nodes:
        if not node.inputs:
            signature.append(("leaf", kinds.get(node, "const")))
            continue
        where: list[tuple[Any, ...]] = []
        for child in node.inputs:
            if child in position:
                where.append(("here", position[child]))
            elif child in owner:
                group, point = owner[child]
                where.append(("batch", id(group)))
                outside.append((group, point))
            else:
                where.append(("shared", id(child)))
        signature.append((node._backward_rule, node._constant is None, tuple(where)))
    return nodes, tuple(signature), outside


def _aligned(points: list[tuple[Value, list[Value], list[tuple[Group, int]]]]) -> bool:
    """Whether every point reads other batches' nodes at its own index, in batches of this
    size: then their arrays line up with this batch's, element for element."""
    for i, (_, _, outside) in enumerate(points):
        for group, point in outside:
            if point != i or group.batch.size != len(points):
                return False
    return True


def _only_read_inside(batch: Batch, owner: dict[Any, Any], consumers: dict[Value, list[Value]]) -> bool:
    """Whether every reader of the batch's nodes is the batch's sum (reading its terms) or a
    node of a batch that reads it element for element: this one, or one found after it and
    lined up with it (see _aligned). A batch found before this one saw the node as shared by
    all its points, one scalar, which would need one element of this batch's array."""
    terms = set(batch.terms)
    for group in batch.groups:
        if group.kind != "op":
            continue
        for member in group.members:
            for reader in consumers.get(member, ()):
                if reader in owner and owner[reader][0].batch.number >= batch.number:
                    continue
                if reader is batch.root and member in terms:
                    continue
                return False
    return True
