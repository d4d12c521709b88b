"""Generate numpy code for a traced graph: backprop on scalars, written as matrix calculus.

`compile(f, example_inputs, backend="numpy")` lands here. batching.py finds the batch: the
groups of B equal nodes, one per data point. This module writes one array op per group, and
goes one step further where the graph is a layer of neurons:

- a group of neurons' pre-activations, `b + w_0*x_0 + ... ` (a `linear` node, or the chain of
  binary ops a micrograd-style model builds), whose weights are shared and whose inputs are
  batched, becomes a row of a matrix product; the neurons that read the same inputs make
  one product for the whole layer, `Z = W @ X + b`, an array of (neurons, points) as a
  textbook writes it (each neuron's row contiguous, the bias added along it);
- the same elementwise op on every row of such a matrix (the layer's relu) is one op.

Backward follows from the same rules the eager engine runs: each group's contributions are
its rule's, traced on symbols (symbolic.py) and printed for arrays; a contribution to a node
every point shares (a weight) is summed over the points. The matrix product's backward is
what the `linear` rule's contributions (d/dw_i = g * x_i, d/dx_i = g * w_i) add up to over
points and neurons: dW = dZ @ X.T, dX = W.T @ dZ, db = the row sums of dZ. That reading of
the rule is checked when generating (`_rule_is_bilinear`), not assumed. Where a block op's
readers' rules divide by what its own multiplies by (log after sigmoid), the rules are composed
and the factor cancelled (`compose_rules`).

What is not batched (the mean, the L2 penalty's sum if it is a scalar chain, anything that
is not repeated) stays scalar code in the same function.

Results equal the eager engine's up to the order of floating-point additions and the
rounding of composed rules: a matrix product and numpy's sum add in another order than the
engine's left-to-right chain, and (g / a) * a is g to a unit in the last place, so values
differ in the last bits (relative 1e-15 or so; tested within 1e-12). Where anything goes
wrong (a floating-point exception trapped by numpy, a result that is not finite), the call
is replayed by the eager engine, which raises its own error or gives its own result, with
its rules for zero gradients and infinities. The one deliberate difference: where a composed
rule avoids an overflow of the rules' product (log of a sigmoid output below 1e-308), the
result is finite where eager's is infinite.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..engine import Value
from . import symbolic
from .batching import Batch, Group, collapse_sums, consumers_of, find_batches
from .codegen import sum_lines
from .forms import FORWARD_FORMS

__all__ = ["generate", "Plan", "NumpyUnavailable"]

_NUMPY_HINT = 'the numpy backend needs numpy: pip install "tinygrad_lite[fast]" (or pip install numpy)'


class NumpyUnavailable(ImportError):
    """compile(..., backend="numpy") without numpy installed."""


def import_numpy() -> Any:
    """numpy, or an ImportError saying how to install it."""
    try:
        import numpy
    except ImportError:
        raise NumpyUnavailable(_NUMPY_HINT) from None
    return numpy


RESERVED_NAMES = frozenset(("np", "xs", "P", "GP", "GX", "gp", "gx", "value", "grads", "inputs", "params", "prepared",
                            "prepare", "compiled", "compiled_prepared"))  # names the generated code uses itself

_NARY = (Value._sum_backward, Value._linear_backward)


@dataclass
class Plan:
    """What generation found: shown as `CompiledFunction.description`."""

    batches: list[tuple[int, int]] = field(default_factory=list)  # (points, groups) per batch
    matrix_products: int = 0
    scalar_nodes: int = 0
    nodes: int = 0

    def __str__(self) -> str:
        if not self.batches:
            return "nothing batched"
        parts = [f"{len(self.batches)} batch(es): "
                 + ", ".join(f"{b} copies of a {g}-node subgraph" for b, g in self.batches)]
        parts.append(f"{self.matrix_products} matrix product(s)")
        parts.append(f"{self.scalar_nodes} of {self.nodes} nodes left as scalar code")
        return "; ".join(parts)


def _rule_is_bilinear(rule: Callable[..., Any], pairs: list[tuple[int, int]], bias: list[int], n: int) -> bool:
    """Whether `rule` on n inputs passes g to each bias input, g * b to a and g * a to b for each
    product pair (a, b): what a matrix product's backward adds up."""
    expected = {(i, "{g}") for i in bias}
    for a, b in pairs:
        expected |= {(a, f"{{g}} * {{{b}}}"), (b, f"{{g}} * {{{a}}}")}
    got = {(c.input, symbolic.to_python(c.term)) for c in symbolic.trace_rule(rule, n) if c.sign > 0}
    return got == expected and all(c.sign > 0 for c in symbolic.trace_rule(rule, n))


@dataclass(eq=False)
class _Linear:
    """A group of neurons' pre-activations seen as `bias + sum_k w_k * x_k`: w_k shared
    scalars, x_k batched; `absorbed` are the product groups written into it."""

    group: Group
    bias: list[Value]
    weights: list[Value]
    xs: list[Group]  # the batched input of each product: a group of nodes or of leaves
    absorbed: list[Group]


class _Item:
    """One step of the generated code: a scalar node, a group, a matrix product or a block op."""

    def __init__(self, kind: str, position: int, node: Value | None = None, groups: list[Group] | None = None,
                 linears: list[_Linear] | None = None) -> None:
        self.kind, self.position, self.node = kind, position, node
        self.groups = groups or []
        self.linears = linears or []
        self.source: _Item | None = None  # a block op's input: the block it reads

    def __lt__(self, other: _Item) -> bool:
        return self.position < other.position


def generate(order: list[Value], out: Value, leaves: list[Value], params: list[Value], input_grads: bool,
             names: Any, rule_of: Callable[[Value], Callable[..., Any]]) -> tuple[list[str], dict[Any, Any], Plan] | None:
    """The source of `def compiled(inputs, params, grads) -> (value, input_grads, param_grads)` in
    numpy (with its two parts, `prepare(inputs)` and `compiled_prepared(prepared, params,
    grads)`; `grads` may be None for zeros), the names it needs, and what was found; None if
    nothing in the graph is batched."""
    np = import_numpy()
    order, out = collapse_sums(order, out)
    for node in order:
        if node.inputs:
            rule_of(node)  # refuses what cannot be generated, as the scalar backend does
    consumers = consumers_of(order)
    batches, owner = find_batches(order, consumers, leaves, params)
    if not batches:
        return None
    for merge in (True, False):
        generator = _Generator(np, order, consumers, out, leaves, params, input_grads, batches, owner, names, merge)
        items = generator.schedule()
        if items is not None:
            return generator.write(items)
    raise AssertionError("the unmerged groups of a batch always have a schedule")


class _Generator:
    def __init__(self, np: Any, order: list[Value], consumers: dict[Value, list[Value]], out: Value, leaves: list[Value],
                 params: list[Value], input_grads: bool, batches: list[Batch], owner: dict[Value, tuple[Group, int]],
                 names: Any, merge: bool) -> None:
        self.np, self.order, self.consumers, self.out = np, order, consumers, out
        self.input_grads, self.batches, self.owner, self.names = input_grads, batches, owner, names
        self.position = {node: i for i, node in enumerate(order)}
        self.input_index = {leaf: i for i, leaf in enumerate(leaves)}
        self.param_index = {p: i for i, p in enumerate(params)}
        self.n_inputs, self.n_params = len(leaves), len(params)
        self.leaf_group: dict[tuple[int, Value], Group] = {}
        for batch in batches:
            for group in batch.groups:
                if group.kind != "op":
                    self.leaf_group[(batch.number, group.node)] = group
        self.namespace: dict[str, object] = {}
        self.constants: dict[Group, str | None] = {}
        self.needs_grad = self._needs_grad(order)
        self.linear: dict[Group, _Linear] = {}
        self.absorbed: dict[Group, _Linear] = {}
        self.row: dict[Group, tuple[_Item, int]] = {}  # groups computed as a row of a block
        if merge:
            self._find_linears()

    # ------------------------------------------------------------------ analysis

    def _needs_grad(self, order: list[Value]) -> set[Value]:
        needs = set(self.param_index)
        if self.input_grads:
            needs |= set(self.input_index)
        for node in order:
            if node.inputs and any(c in needs for c in node.inputs):
                needs.add(node)
        return needs

    def batched(self, batch: Batch, node: Value) -> Group | None:
        """The group standing for `node` in code of `batch` (an owned node's group, or a leaf
        private to the batch's points), or None for a node every point shares."""
        if node in self.owner:
            return self.owner[node][0]
        return self.leaf_group.get((batch.number, node))

    def _find_linears(self) -> None:
        """Groups that are neurons' pre-activations over batched inputs with shared weights."""
        for batch in self.batches:
            for group in batch.groups:
                if group.kind == "op" and group.node._backward_rule in _NARY:
                    linear = self._as_linear(batch, group)
                    if linear is not None:
                        self.linear[group] = linear
                        for product in linear.absorbed:
                            self.absorbed[product] = linear

    def _as_linear(self, batch: Batch, group: Group) -> _Linear | None:
        node = group.node
        inputs = node.inputs
        bias: list[Value]
        pairs: list[tuple[Value, Value]]
        absorbed: list[Group] = []
        if node._backward_rule is Value._linear_backward:
            n = (len(inputs) - 1) // 2
            if not _rule_is_bilinear(Value._linear_backward, [(1 + k, 1 + n + k) for k in range(n)], [0], len(inputs)):
                return None
            bias, pairs = [inputs[0]], [(inputs[1 + k], inputs[1 + n + k]) for k in range(n)]
        else:
            if not _rule_is_bilinear(Value._sum_backward, [], list(range(len(inputs))), len(inputs)) \
                    or not _rule_is_bilinear(Value._mul_backward, [(0, 1)], [], 2):
                return None
            bias, pairs = [], []
            for term in inputs:
                term_group = self.owner.get(term, (None, 0))[0]
                if (term_group is not None and term._backward_rule is Value._mul_backward
                        and all(len(self.consumers.get(m, ())) == 1 for m in term_group.members)):
                    pairs.append((term._a, term._b))
                    absorbed.append(term_group)
                else:
                    bias.append(term)
        if any(self.batched(batch, b) is not None for b in bias) or not pairs:
            return None
        weights: list[Value] = []
        xs: list[Group] = []
        for a, b in pairs:
            a_group, b_group = self.batched(batch, a), self.batched(batch, b)
            if a_group is None and b_group is not None:
                weights.append(a)
                xs.append(b_group)
            elif b_group is None and a_group is not None:
                weights.append(b)
                xs.append(a_group)
            else:
                return None  # both shared or both batched: not a weight times an input
        return _Linear(group, bias, weights, xs, absorbed)

    # ------------------------------------------------------------------ scheduling

    def schedule(self) -> list[_Item] | None:
        """The items in an order where each comes after what it reads; None if merging groups
        into matrix products made that impossible (then generation runs again without)."""
        items: list[_Item] = []
        item_of_node: dict[Value, _Item] = {}
        for batch in self.batches:
            buckets: dict[tuple[Any, ...], list[_Linear]] = {}
            for group in batch.groups:
                if group.kind != "op" or group in self.absorbed:
                    continue
                if group in self.linear:
                    linear = self.linear[group]
                    buckets.setdefault(tuple(id(x) for x in linear.xs), []).append(linear)
                    continue
                item = _Item("group", self.position[group.node], groups=[group])
                items.append(item)
            for linears in buckets.values():
                item = _Item("matmul", min(self.position[lin.group.node] for lin in linears), linears=linears,
                             groups=[lin.group for lin in linears])
                items.append(item)
                for j, lin in enumerate(linears):
                    self.row[lin.group] = (item, j)
        items = self._merge_blocks(items)
        for item in items:
            for group in item.groups:
                for member in group.members:
                    item_of_node[member] = item
            for lin in item.linears:
                for product in lin.absorbed:
                    for member in product.members:
                        item_of_node[member] = item
        for node in self.order:
            if node.inputs and node not in self.owner:
                item = _Item("scalar", self.position[node], node=node)
                items.append(item)
                item_of_node[node] = item
        return self._sorted(items, item_of_node)

    def _merge_blocks(self, items: list[_Item]) -> list[_Item]:
        """Make one op of the same elementwise op applied to every row of a block, again
        and again (a block op's output is a block too)."""
        while True:
            clusters: dict[tuple[Any, ...], tuple[_Item, list[tuple[int, _Item]]]] = {}
            for item in items:
                if item.kind != "group":
                    continue
                group = item.groups[0]
                node = group.node
                if len(node.inputs) != 1 or node._backward_rule in _NARY or node._a not in self.owner:
                    continue
                source = self.owner[node._a][0]
                constant = self.constant(group)
                if source not in self.row or constant is None or constant.startswith("_"):
                    continue
                block, j = self.row[source]
                key = (node._backward_rule, constant, id(block))
                clusters.setdefault(key, (block, []))[1].append((j, item))
            merged = False
            for block, members in clusters.values():
                if sorted(j for j, _ in members) != list(range(len(block.groups))):
                    continue
                members.sort(key=lambda m: m[0])
                new = _Item("block", min(i.position for _, i in members), groups=[i.groups[0] for _, i in members])
                new.source = block
                gone = {id(i) for _, i in members}
                items = [i for i in items if id(i) not in gone] + [new]
                for j, (_, old) in enumerate(members):
                    self.row[old.groups[0]] = (new, j)
                merged = True
            if not merged:
                return items

    def _sorted(self, items: list[_Item], item_of_node: dict[Value, _Item]) -> list[_Item] | None:
        """Items in dependency order (Kahn's algorithm, earliest traced first)."""
        depends: dict[int, set[int]] = {id(item): set() for item in items}
        for item in items:
            nodes = [item.node] if item.node is not None else [g.node for g in item.groups]
            nodes += [p.node for lin in item.linears for p in lin.absorbed]
            for node in nodes:
                for child in node.inputs:
                    other = item_of_node.get(child)
                    if other is not None and other is not item:
                        depends[id(item)].add(id(other))
        readers: dict[int, list[_Item]] = {}
        waiting = {}
        for item in items:
            waiting[id(item)] = len(depends[id(item)])
            for d in depends[id(item)]:
                readers.setdefault(d, []).append(item)
        ready = [item for item in items if not waiting[id(item)]]
        heapq.heapify(ready)
        result = []
        while ready:
            item = heapq.heappop(ready)
            result.append(item)
            for reader in readers.get(id(item), ()):
                waiting[id(reader)] -= 1
                if not waiting[id(reader)]:
                    heapq.heappush(ready, reader)
        return result if len(result) == len(items) else None

    # ------------------------------------------------------------------ writing

    def constant(self, group: Group) -> str | None:
        """The group's constant operand as source: one literal if every point has the same,
        else a named array of them; "" for an op without one; None if some points have one
        and others not."""
        if group not in self.constants:
            self.constants[group] = self._constant(group)
        return self.constants[group]

    def _constant(self, group: Group) -> str | None:
        constants = [m._constant for m in group.members]
        if constants[0] is None:
            return "" if all(c is None for c in constants) else None
        if any(c is None for c in constants):
            return None
        if all(repr(c) == repr(constants[0]) for c in constants):
            return symbolic.literal(constants[0])
        return self.array(self.np.array(constants, dtype=float), "c")

    def array(self, value: Any, prefix: str) -> str:
        """A constant array of the generated code (indices, per-point constants), by name."""
        name = f"_{prefix}{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def write(self, items: list[_Item]) -> tuple[list[str], dict[str, Any], Plan]:
        writer = _Writer(self)
        return writer.write(items)


def _common_name(labels: list[str], fallback: str) -> str:
    """A name for many nodes from their labels: the dotted parts they share, where a last part
    that differs only in digits keeps its letters and any other differing part is dropped
    ("L0.N3.z", "L0.N4.z" -> "L0_z"; "L0.N3.w0", "L0.N4.w1" -> "L0_w"); `fallback` if none."""
    labels = [label for label in labels if label]
    split = [label.split(".") for label in labels]
    if not split or len({len(parts) for parts in split}) != 1:
        return fallback
    kept = []
    for i, parts in enumerate(zip(*split)):
        letters = {re.sub(r"\d+", "", p) for p in parts}
        if len(set(parts)) == 1:
            kept.append(parts[0])
        elif len(letters) != 1:
            return fallback
        elif i == len(split[0]) - 1:
            kept.append(letters.pop())
    return "_".join(part for part in kept if part) or fallback


class _Writer:
    """Writes the items as code: forward in order, then backward in reverse."""

    def __init__(self, gen: _Generator) -> None:
        self.gen = gen
        self.names = gen.names
        self.prepare: list[str] = []  # lines that read only the inputs: run once per data set by jit
        self.prepared: list[str] = []  # the arrays they make
        self.forward: list[str] = []
        self.backward: list[str] = []
        self.value_of: dict[Value, str] = {}  # scalar nodes' values
        self.group_value: dict[Group, str] = {}  # standalone groups' arrays
        self.item_name: dict[int, str] = {}  # blocks' and matrix products' arrays
        self.matmul_input: dict[int, tuple[str, str, object]] = {}  # (array, how it was made, its index or block)
        self.matmul_weights: dict[int, str] = {}
        self.gather: dict[int, str] = {}  # leaf groups, gathered
        self.indices: dict[tuple[str, int], str] = {}  # leaf groups' index arrays, by name
        self.grad: dict[object, str] = {}  # gradient variable per scalar node, group, or block item
        self.owned: set[str] = set()  # gradient arrays this code made (safe to change in place)
        # blocks whose gradient is written as their readers' rules composed with their own
        # (see compose_rules), each with its paths; and the readers that then pass nothing back
        self.composed: dict[int, list[tuple[list[_Item], symbolic.Expr]]] = {}
        self.composed_away: set[int] = set()

    # ---------------------------------------------------------------- values

    def scalar(self, node: Value) -> str:
        """A shared node's value, as a numpy float: its arithmetic then follows numpy's rules
        (a negative number to a fractional power is NaN, trapped, not a Python complex)."""
        if node in self.gen.param_index:
            return f"P[{self.gen.param_index[node]}]"
        if node in self.gen.input_index:
            return f"xs[{self.gen.input_index[node]}]"
        if not node.inputs:
            return symbolic.literal(node.data)
        return self.value_of[node]

    def ref(self, batch: Batch, node: Value) -> tuple[str, bool]:
        """How code of `batch` reads `node`: (source, whether it is an array over the points)."""
        group = self.gen.batched(batch, node)
        if group is None:
            return self.scalar(node), False
        return self.group_ref(group), True

    def group_ref(self, group: Group) -> str:
        if group.kind != "op":
            return self.leaf_gather(group)
        if group in self.gen.row:
            item, j = self.gen.row[group]
            return f"{self.item_name[id(item)]}[{j}]"
        return self.group_value[group]

    def leaf_gather(self, group: Group) -> str:
        """A group of leaves as an array: inputs and parameters gathered by index, constants frozen."""
        if id(group) in self.gather:
            return self.gather[id(group)]
        fallback = {"input": "x", "param": "p"}.get(group.kind, "c")
        name = self.names.make(_common_name([m.label for m in group.members], fallback), fallback)
        if group.kind == "const":
            self.gen.namespace[name] = self.gen.np.array([m.data for m in group.members], dtype=float)
        else:
            source, index = self.leaf_index(group.kind, group.members)
            self.gathered(name, f"{source}[{index}]  # {_listing(group.members)}", group.kind == "input")
        self.gather[id(group)] = name
        return str(name)

    def leaf_index(self, kind: str, leaves: list[Value]) -> tuple[str, str]:
        """The array holding leaves of `kind` ("input" or "param") and, by name, their indices in it."""
        key = (kind, id(leaves))
        if key not in self.indices:
            table = self.gen.input_index if kind == "input" else self.gen.param_index
            self.indices[key] = self.gen.array(self.gen.np.array([table[leaf] for leaf in leaves]), "i")
        return ("xs" if kind == "input" else "P"), self.indices[key]

    def gathered(self, name: str, text: str, inputs_only: bool) -> None:
        """`name = text`: with the forward code, or, when it reads only the inputs, with `prepare`."""
        if inputs_only:
            self.prepare.append(f"{name} = {text}")
            self.prepared.append(name)
        else:
            self.forward.append(f"{name} = {text}")

    # ---------------------------------------------------------------- gradients

    def add_grad(self, key: object, base: str, term: str, sign: int, row: tuple[int, tuple[Any, ...]] | None = None) -> None:
        """Add `term` (times sign) to the gradient of `key` (a scalar node, a standalone group
        or a block item), named after `base`; `row` = (j, shape) for one row of a block (a
        block is an array of (neurons, points), so that each neuron's array is contiguous)."""
        name = self.grad.get(key)
        if row is None and name is not None and sign < 0:  # a - b, not a + -(b): one operation
            self.backward.append(f"{name} = {name} - {term if term.isidentifier() else f'({term})'}")
            self.owned.add(name)
            return
        term = term if sign > 0 else f"-({term})"
        if row is not None:
            j, shape = row
            if name is None and shape[0] == 1:  # the block is this one row: no zeros to add it to
                name = self.grad[key] = "g_" + base
                if term.isidentifier():  # another gradient's array: a view of it, copied before any change
                    self.backward.append(f"{name} = {term}[None]")
                else:  # a new array
                    self.backward.append(f"{name} = ({term})[None]")
                    self.owned.add(name)
                return
            if name is None:
                name = self.grad[key] = "g_" + base
                self.backward.append(f"{name} = np.zeros({shape})  # the gradient of a block, a row at a time")
                self.owned.add(name)
            elif name not in self.owned:
                self.backward.append(f"{name} = {name}.copy()  # another gradient's array: not changed in place")
                self.owned.add(name)
            self.backward.append(f"{name}[{j}] += {term}")
        elif name is None:
            self.grad[key] = name = "g_" + base
            self.backward.append(f"{name} = {term}")
            if not term.isidentifier():  # a new array, not another gradient's
                self.owned.add(name)
        else:
            self.backward.append(f"{name} = {name} + {term}")
            self.owned.add(name)

    def contribute(self, batch: Batch | None, node: Value, term: str, sign: int, over_points: bool) -> None:
        """Pass a gradient contribution to `node`: `term` is an array over the points when
        `over_points`, else a float."""
        gen = self.gen
        if node not in gen.needs_grad:
            return
        group = gen.batched(batch, node) if batch is not None else None
        if group is not None:  # an array for an array
            assert batch is not None
            if group.kind != "op":
                target, index = self.leaf_index(group.kind, group.members)
                self.backward.append(f"{'GX' if target == 'xs' else 'GP'}[{index}] {'+=' if sign > 0 else '-='} {term}")
            elif group in gen.row:
                item, j = gen.row[group]
                self.add_grad(id(item), self.item_name[id(item)], term, sign, (j, (len(item.groups), batch.size)))
            else:
                self.add_grad(group, self.group_value[group], term, sign)
            return
        if over_points:  # a node every point shares: the sum over the points
            term = f"np.sum({term})"
        if node in gen.param_index or node in gen.input_index:
            target, position = ("GP", gen.param_index[node]) if node in gen.param_index else ("GX", gen.input_index[node])
            self.backward.append(f"{target}[{position}] {'+=' if sign > 0 else '-='} {term}")
        else:
            self.add_grad(node, self.value_of[node], term, sign)

    def annotate(self, start: int, comment: str) -> None:
        """Put `comment` on the first backward line written since `start` that has none yet."""
        for i in range(start, len(self.backward)):
            if "  # " not in self.backward[i]:
                self.backward[i] += f"  # {comment}"
                return

    def ones(self, size: int) -> str:
        """The name of a constant vector of `size` ones (made once per size)."""
        name = f"_ones{size}"  # _ones400: 400 ones
        if name not in self.gen.namespace:
            self.gen.namespace[name] = self.gen.np.ones(size)
        return name

    def scatter(self, target: str, index: Any, term: str) -> None:
        """target[index] += term; with repeated indices each one added (np.add.at)."""
        name = self.gen.array(index, "i")
        if len(set(index.ravel().tolist())) == index.size:
            self.backward.append(f"{target}[{name}] += {term}")
        else:
            self.backward.append(f"np.add.at({target}, {name}, {term})")

    # ---------------------------------------------------------------- the function

    def write(self, items: list[_Item]) -> tuple[list[str], dict[Any, Any], Plan]:
        gen = self.gen
        for item in items:
            getattr(self, "_forward_" + item.kind)(item)
        out = gen.out
        if out in gen.needs_grad:
            self.grad[out] = "g_" + self.value_of[out]
            self.backward.append(f"{self.grad[out]} = 1.0")
        self.compose_rules(items)
        for item in reversed(items):
            getattr(self, "_backward_" + item.kind)(item)
        plan = Plan([(b.size, len(b.groups)) for b in gen.batches], sum(1 for i in items if i.kind == "matmul"),
                    sum(1 for i in items if i.kind == "scalar"), len(gen.order))
        grads = ["GP", "GX"] if gen.input_grads else ["GP"]
        prepared = ", ".join(["xs"] + self.prepared) + ("," if not self.prepared else "")
        # What reads only the inputs is a function of its own, so that jit runs it once per data set.
        preparation = ["def prepare(inputs):", "    xs = np.array(inputs, dtype=float)"]
        preparation += ["    " + line for line in self.prepare] + [f"    return {prepared}"]
        # the parameters' gradients so far, which this call adds to; None for zeros (jit's
        # calls: making zeros takes a tenth of the time of converting a list of them)
        body = [f"{prepared} = prepared", "P = np.asarray(params, dtype=float)  # a list, or jit's array as it is",
                f"GP = np.zeros({gen.n_params}) if grads is None else np.array(grads, dtype=float)"]
        if gen.input_grads:
            body.append(f"GX = np.zeros({gen.n_inputs})")
        body += ["# forward: a line per group of equal nodes (one per copy of a subgraph), a matrix product per layer"]
        body += self.forward + ["# backward: each group's own rule, on arrays"] + self.backward
        lists = [g.lower() for g in grads]  # the gradients as the lists the caller takes
        body += [f"value = {self.value_of[out]}"] + [f"{name} = {g}.tolist()" for g, name in zip(grads, lists)] + [
                 # One sum, finite only if every term is (inf - inf in it is NaN), and a sum of
                 # finite terms that overflows only costs a replay. Summed as Python floats: for a
                 # few hundred numbers, cheaper than a numpy reduction's call.
                 f"if not _isfinite(value + {' + '.join(f'_sum({g})' for g in lists)}):",
                 "    raise _NotFinite()  # replayed by the eager engine, which has its own rules for these",
                 f"return float(value), {'gx' if gen.input_grads else '[]'}, gp"]
        # numpy traps what the engine raises for (exp's overflow, log(0)). As a decorator, errstate
        # costs half of what a `with` block costs (no instance made per call), and it sets numpy's
        # state per call, so that threads may run the same function at once.
        source = ("\n".join(preparation) + "\n\n\n@np.errstate(divide='raise', over='raise', invalid='raise', under='ignore')\n"
                  "def compiled_prepared(prepared, params, grads):\n"
                  + "".join(f"    {line}\n" for line in body)
                  + "\n\ndef compiled(inputs, params, grads):\n    return compiled_prepared(prepare(inputs), params, grads)\n")
        namespace = dict(symbolic.numpy_namespace(), **gen.namespace)
        namespace.update(_NotFinite=NotFinite, _INF=float("inf"), _NAN=float("nan"), _isfinite=math.isfinite, _sum=sum)
        return [source], namespace, plan

    # ---------------------------------------------------------------- scalar nodes

    def _forward_scalar(self, item: _Item) -> None:
        node = item.node
        assert node is not None
        name = self.value_of[node] = self.names.make(node.label, "s")
        rule = node._backward_rule
        if rule is Value._sum_backward:  # the sum of a batch adds its array up
            batched = self._batched_terms(node)
            terms = [self.scalar(t) for t in node.inputs if t not in batched]
            # the array's own .sum(): the same pairwise sum as np.sum, without its dispatch (half the time)
            terms += [f"{self.group_ref(batch.groups[-1])}.sum()" for batch in self._batches_under(node)]
            self.forward += sum_lines(name, terms, f"sum of {len(node.inputs)} terms")
            return
        args = [self.scalar(c) for c in node.inputs]
        if rule is Value._linear_backward:
            n = (len(args) - 1) // 2
            self.forward += sum_lines(name, [args[0]] + [f"{args[1 + k]} * {args[1 + n + k]}" for k in range(n)], "linear")
        else:
            text = _print(FORWARD_FORMS[rule]([symbolic.name(a) for a in args], _const(node._constant)), False)
            self.forward.append(f"{name} = {text}  # {node.op}")

    def _batches_under(self, node: Value) -> list[Batch]:
        return [b for b in self.gen.batches if b.root is node]

    def _batched_terms(self, node: Value) -> set[Value]:
        return {t for b in self._batches_under(node) for t in b.terms}

    def _backward_scalar(self, item: _Item) -> None:
        node = item.node
        assert node is not None
        g = self.grad.get(node)
        if g is None:
            return
        if node._backward_rule is Value._sum_backward:
            batched = self._batched_terms(node)
            for t in node.inputs:
                if t not in batched:
                    self.contribute(None, t, g, 1, False)
            start = len(self.backward)
            for batch in self._batches_under(node):
                # ones times g: the same floats as np.full(size, g), in half the time
                self.contribute(batch, batch.terms[0], f"{self.ones(batch.size)} * {g}", 1, True)
            self.annotate(start, _rule_note(node))
            return
        self._rule_backward(None, node, [self.scalar(c) for c in node.inputs], self.value_of[node], g,
                            _const(node._constant), False)

    def _rule_backward(self, batch: Batch | None, node: Value, args: list[str], out: str, g: str,
                       constant: symbolic.Expr, numpy: bool) -> None:
        """The node's rule, traced on symbols and printed with these names: its contributions."""
        values = {"{g}": symbolic.name(g), "{out}": symbolic.name(out), "{c}": constant}
        values.update({f"{{{i}}}": symbolic.name(a) for i, a in enumerate(args)})
        start = len(self.backward)
        for contribution in symbolic.trace_rule(node._backward_rule, len(args)):
            term = _print(symbolic.fold(symbolic.substitute(contribution.term, values)), numpy)
            if numpy:
                term = self.shared_calls(term, self.backward)
            self.contribute(batch, node.inputs[contribution.input], term, contribution.sign, numpy)
        self.annotate(start, _rule_note(node))

    def shared_calls(self, source: str, lines: list[str]) -> str:
        """`source` with each numpy call it makes more than once computed once, in a line of its
        own appended to `lines` first: the array form of the stable sigmoid computes
        e^-|z| for both of its branches, three calls that cost more than the rest of the line.
        The same calls on the same arrays: the same floats, and the same floating-point traps."""
        while True:
            counts: dict[str, int] = {}
            for call in _numpy_calls(source):
                counts[call] = counts.get(call, 0) + 1
            repeated = [call for call, n in counts.items() if n > 1]
            if not repeated:
                return source
            call = max(repeated, key=len)  # the outermost first: its inner calls go with it
            name = self.names.make("t", "t")
            lines.append(f"{name} = {call}  # computed once, used {counts[call]} times below")
            source = source.replace(call, name)

    # ---------------------------------------------------------------- groups

    def _forward_group(self, item: _Item) -> None:
        group = item.groups[0]
        batch, node = group.batch, group.node
        refs = [self.ref(batch, c) for c in node.inputs]
        name = self.group_value[group] = self.names.make(_common_name([m.label for m in group.members], "a"), "a")
        rule = node._backward_rule
        args = [r for r, _ in refs]
        constant = self.gen.constant(group) or ""
        if rule is Value._sum_backward:
            terms = args
        elif rule is Value._linear_backward:
            n = (len(args) - 1) // 2
            terms = [args[0]] + [f"{args[1 + k]} * {args[1 + n + k]}" for k in range(n)]
        else:
            formula = _print(FORWARD_FORMS[rule]([symbolic.name(a) for a in args], _const_source(constant)), True)
            terms = [self.shared_calls(formula, self.forward)]
        if not any(is_array for _, is_array in refs) and not constant.startswith("_"):
            terms[0] = f"np.full({batch.size}, {terms[0]})"  # the same for every point, but one per point
        self.forward += sum_lines(name, terms, _describe(group))

    def _backward_group(self, item: _Item) -> None:
        group = item.groups[0]
        g = self.grad.get(group)
        if g is None:
            return
        batch, node = group.batch, group.node
        args = [self.ref(batch, c)[0] for c in node.inputs]
        self._rule_backward(batch, node, args, self.group_value[group], g,
                            _const_source(self.gen.constant(group)), True)

    # ---------------------------------------------------------------- blocks: one op on every row

    def _forward_block(self, item: _Item) -> None:
        group = item.groups[0]
        assert item.source is not None
        source = self.item_name[id(item.source)]
        name = self.item_name[id(item)] = self.names.make(_common_name([g.node.label for g in item.groups], "a"), "a")
        constant = _const_source(self.gen.constant(group))
        text = _print(FORWARD_FORMS[group.node._backward_rule]([symbolic.name(source)], constant), True)
        text = self.shared_calls(text, self.forward)
        self.forward.append(f"{name} = {text}  # {_describe_many(item.groups)}")

    def _backward_block(self, item: _Item) -> None:
        if id(item) in self.composed_away or item.groups[0].node._a not in self.gen.needs_grad:
            return
        if id(item) in self.composed:
            self._composed_backward(item)
            return
        g = self.grad.get(id(item))
        if g is None:
            return
        assert item.source is not None
        node = item.groups[0].node
        source = self.item_name[id(item.source)]
        values = {"{g}": symbolic.name(g), "{out}": symbolic.name(self.item_name[id(item)]),
                  "{0}": symbolic.name(source), "{c}": _const_source(self.gen.constant(item.groups[0]))}
        start = len(self.backward)
        for contribution in symbolic.trace_rule(node._backward_rule, 1):
            term = self.shared_calls(_print(symbolic.fold(symbolic.substitute(contribution.term, values)), True),
                                     self.backward)
            self.add_grad(id(item.source), source, term, contribution.sign)
        self.annotate(start, _rule_note(node))

    # ---------------------------------------------------------------- rules composed along blocks

    def compose_rules(self, items: list[_Item]) -> None:
        """Where a block's readers are blocks whose rules, composed with its own, divide by what
        its rule multiplies by, write its gradient as that composition with the factor cancelled.

        The course's cost reads a sigmoid's output a as log(a) and log(1 - a): the rules give
        g / a and -g / (1 - a), then a * (1 - a), seven array operations where the composition
        is g * (1 - a) - g' * a. Each path from the block to a reader (or to a reader's reader,
        and on through a negation that is the only reader of its end: `_through_negation`) is
        the rules' own terms substituted into each other; it is taken only if cancelling
        removes a division on every path, and changes results by rounding only (tested within
        1e-12 of the engine, as everything this backend writes)."""
        item_of: dict[Value, _Item] = {}
        for item in items:
            for group in item.groups:
                for member in group.members:
                    item_of[member] = item
        for item in items:
            if item.kind != "block" or id(item) in self.composed_away:
                continue
            paths = self._composed_paths(item, item_of)
            if paths is not None and not any(id(step) in self.composed for path, _ in paths for step in path):
                self.composed[id(item)] = paths
                self.composed_away.update(id(step) for path, _ in paths for step in path)

    def _block_readers(self, item: _Item, item_of: dict[Value, _Item]) -> list[_Item] | None:
        """The items that read the block's arrays, if every one is a block op on it; else None."""
        readers: dict[int, _Item] = {}
        for group in item.groups:
            for member in group.members:
                for reader in self.gen.consumers.get(member, ()):
                    other = item_of.get(reader)
                    if other is None or other.kind != "block" or other.source is not item:
                        return None
                    readers[id(other)] = other
        return list(readers.values())

    def _composed_paths(self, item: _Item, item_of: dict[Value, _Item]
                        ) -> list[tuple[list[_Item], symbolic.Expr]] | None:
        """The block's paths to the readers whose gradients it is computed from, each with the
        composed term ("{G}" standing for that reader's gradient); None if some path does not cancel."""
        readers = self._block_readers(item, item_of)
        if not readers or item.groups[0].node is self.gen.out:
            return None
        paths = []
        for reader in readers:
            term = self._composed_term(item, [reader])
            if term is not None:
                paths.append(self._through_negation(item, [reader], term, item_of))
                continue
            further = self._block_readers(reader, item_of)
            if not further:
                return None
            for last in further:
                term = self._composed_term(item, [reader, last])
                if term is None:
                    return None
                paths.append(self._through_negation(item, [reader, last], term, item_of))
        return paths

    def _through_negation(self, item: _Item, path: list[_Item], term: symbolic.Expr, item_of: dict[Value, _Item]
                          ) -> tuple[list[_Item], symbolic.Expr]:
        """The path, and its term, taken one step further when the only reader of its end is a
        negation (the cost's -log(a)): the sign goes into the composed term, and the negation
        costs no array operation of its own."""
        readers = self._block_readers(path[-1], item_of)
        if readers is not None and len(readers) == 1 and readers[0].groups[0].node._backward_rule is Value._neg_backward:
            longer = path + readers
            extended = self._composed_term(item, longer)
            if extended is not None:
                return longer, extended
        return path, term

    def _composed_term(self, item: _Item, path: list[_Item]) -> symbolic.Expr | None:
        """The contribution to the block's input of a gradient "{G}" at the end of `path`, each
        rule's term substituted into the next, with the factors that cancel taken out; None if
        none cancels, or a rule makes more than one contribution."""
        out = symbolic.name(self.item_name[id(item)])
        outputs = [out]  # each step's output: a formula of the block's for all but the last
        for step in path[:-1]:
            outputs.append(self._forward_expr(step, outputs[-1]))
        outputs.append(symbolic.name(self.item_name[id(path[-1])]))
        g = symbolic.name("{G}")
        steps = [item] + path
        for k in range(len(steps) - 1, -1, -1):
            step = steps[k]
            contributions = symbolic.trace_rule(step.groups[0].node._backward_rule, 1)
            if len(contributions) != 1:
                return None
            source = symbolic.name(self.item_name[id(item.source)]) if k == 0 else outputs[k - 1]
            values = {"{g}": g, "{out}": outputs[k], "{0}": source,
                      "{c}": _const_source(self.gen.constant(step.groups[0]))}
            g = symbolic.substitute(contributions[0].term, values)
            if contributions[0].sign < 0:
                g = -g
        g = symbolic.fold(g)
        cancelled = symbolic.fold(symbolic.cancel(g))
        return cancelled if symbolic.divisions(cancelled) < symbolic.divisions(g) else None

    def _forward_expr(self, item: _Item, source: symbolic.Expr) -> symbolic.Expr:
        group = item.groups[0]
        return FORWARD_FORMS[group.node._backward_rule]([source], _const_source(self.gen.constant(group)))

    def _composed_backward(self, item: _Item) -> None:
        """The block's contribution to its input, from its paths' composed terms."""
        assert item.source is not None
        source = self.item_name[id(item.source)]
        out = symbolic.name(self.item_name[id(item)])
        paths = self.composed[id(item)]
        # an array the forward pass has, (1 - a), is read by name, not computed again
        readers = {id(path[0]): path[0] for path, _ in paths}.values()
        known = [(self._forward_expr(reader, out), symbolic.name(self.item_name[id(reader)])) for reader in readers]
        terms: list[tuple[int, symbolic.Expr]] = []  # (sign, term)
        for path, term in paths:
            g = self.grad.get(id(path[-1]))
            if g is None:  # nothing flows back along this path
                continue
            term = symbolic.substitute(term, {"{G}": symbolic.name(g)})
            for formula, name in known:
                term = symbolic.replace(term, formula, name)
            if term.kind == "neg":
                terms.append((-1, term.args[0]))  # type: ignore[arg-type]
            else:
                terms.append((1, term))
        start = len(self.backward)
        # the terms added first, then those subtracted: a - b, where -b + a would negate an array
        for sign, signed_term in sorted(terms, key=lambda signed: -signed[0]):
            self.add_grad(id(item.source), source, self.shared_calls(_print(signed_term, True), self.backward), sign)
        ops = ", then ".join(step.groups[0].node.op for step in [item] + paths[0][0])
        self.annotate(start, f"{ops}: the rules composed, a factor that one divides by and the other multiplies "
                             "by cancelled")

    # ---------------------------------------------------------------- matrix products: a layer

    def _forward_matmul(self, item: _Item) -> None:
        linears = item.linears
        batch = linears[0].group.batch
        name = self.item_name[id(item)] = self.names.make(
            _common_name([lin.group.node.label for lin in linears], "z"), "z")
        x = self.matmul_input[id(item)] = self._layer_input(batch, linears[0].xs)
        weights = self.matmul_weights[id(item)] = self._shared_matrix([lin.weights for lin in linears], "w")
        text = f"{weights} @ {x[0]}"
        if any(lin.bias for lin in linears):
            text += f" + {self._shared_vector([lin.bias for lin in linears], 'b')}"
        self.forward.append(f"{name} = {text}  # {_describe_many([lin.group for lin in linears])}")

    def _layer_input(self, batch: Batch, xs: list[Any]) -> tuple[str, str, object]:
        """The batched inputs of a layer as one (inputs, points) array: (its name, "block",
        "inputs" or "stack", and the block item or the index array's name)."""
        gen = self.gen
        rows = [gen.row.get(x) for x in xs]
        if all(c is not None for c in rows):
            block = rows[0][0]  # type: ignore[index]
            if all(c[0] is block for c in rows) and [c[1] for c in rows] == list(range(len(block.groups))):  # type: ignore[index]
                return self.item_name[id(block)], "block", block
        if all(x.kind == "input" for x in xs):
            name = self.names.make(_common_name([m.label for x in xs for m in x.members], "x"), "x")
            index = gen.np.array([[gen.input_index[x.members[i]] for i in range(batch.size)] for x in xs])
            self.gathered(name, f"xs[{gen.array(index, 'i')}]  # {len(xs)} inputs per point", True)
            return name, "inputs", index
        name = self.names.make("x", "x")
        self.forward.append(f"{name} = np.stack([{', '.join(self.group_ref(x) for x in xs)}])")
        return name, "stack", None

    def _shared_matrix(self, rows: list[list[Value]], prefix: str) -> str:
        gen = self.gen
        name = self.names.make(_common_name([v.label for row in rows for v in row], prefix), prefix)
        if all(v in gen.param_index for row in rows for v in row):
            index = gen.np.array([[gen.param_index[v] for v in row] for row in rows])
            self.forward.append(f"{name} = P[{gen.array(index, 'i')}]")
        else:
            text = ", ".join("[" + ", ".join(self.scalar(v) for v in row) + "]" for row in rows)
            self.forward.append(f"{name} = np.array([{text}])")
        return str(name)

    def _shared_vector(self, rows: list[list[Value]], prefix: str) -> str:
        gen = self.gen
        name = self.names.make(_common_name([v.label for row in rows for v in row], prefix), prefix)
        # a column, (neurons, 1), added to every point of the (neurons, points) product
        if all(len(row) == 1 and row[0] in gen.param_index for row in rows):
            index = gen.np.array([[gen.param_index[row[0]]] for row in rows])
            self.forward.append(f"{name} = P[{gen.array(index, 'i')}]")
        else:
            text = ", ".join("[" + (" + ".join(self.scalar(v) for v in row) or "0.0") + "]" for row in rows)
            self.forward.append(f"{name} = np.array([{text}])")
        return str(name)

    def _backward_matmul(self, item: _Item) -> None:
        gen = self.gen
        g = self.grad.get(id(item))
        if g is None:
            return
        linears = item.linears
        batch = linears[0].group.batch
        x, how, source = self.matmul_input[id(item)]
        weights = self.matmul_weights[id(item)]
        xs = linears[0].xs
        if any(m in gen.needs_grad for x_group in xs for m in x_group.members):
            start = len(self.backward)
            dx = f"{weights}.T @ {g}"
            if how == "block":
                self.add_grad(id(source), x, dx, 1)
            else:
                temporary = self.names.make("g_" + x, "g")
                self.backward.append(f"{temporary} = {dx}")
                if how == "inputs":
                    self.scatter("GX", source, temporary)
                else:
                    for k, x_group in enumerate(xs):
                        self.contribute(batch, x_group.members[0], f"{temporary}[{k}]", 1, True)
            self.annotate(start, "linear: d/dx_i = g * w_i, summed over the neurons: dX = W^T dZ")
        if any(w in gen.needs_grad for lin in linears for w in lin.weights):
            start = len(self.backward)
            dw = f"{g} @ {x}.T"
            if all(w in gen.param_index for lin in linears for w in lin.weights):
                self.scatter("GP", gen.np.array([[gen.param_index[w] for w in lin.weights] for lin in linears]), dw)
            else:
                temporary = self.names.make("g_" + weights, "g")
                self.backward.append(f"{temporary} = {dw}")
                for j, lin in enumerate(linears):
                    for k, w in enumerate(lin.weights):
                        self.contribute(None, w, f"{temporary}[{j}, {k}]", 1, False)
            self.annotate(start, "linear: d/dw_i = g * x_i, summed over the points: dW = dZ X^T")
        if any(b in gen.needs_grad for lin in linears for b in lin.bias):
            start = len(self.backward)
            # the row sums as a product with a vector of ones (BLAS), cheaper than .sum(axis=1)
            db = f"{g} @ {self.ones(batch.size)}"
            if all(len(lin.bias) == 1 and lin.bias[0] in gen.param_index for lin in linears):
                self.scatter("GP", gen.np.array([gen.param_index[lin.bias[0]] for lin in linears]), db)
            else:
                temporary = self.names.make("g_bias", "g")
                self.backward.append(f"{temporary} = {db}")
                for j, lin in enumerate(linears):
                    for b in lin.bias:
                        self.contribute(None, b, f"{temporary}[{j}]", 1, False)
            self.annotate(start, "linear: d/db = g, summed over the points: the row sums of dZ")


def _numpy_calls(source: str) -> list[str]:
    """Every numpy call in `source`, nested ones too: `np.where(c, 1.0, np.exp(-np.fabs(z)))`
    gives the where, the exp and the fabs."""
    calls = []
    for start in _NUMPY_CALL_START.finditer(source):
        depth = 0
        for end in range(start.end() - 1, len(source)):
            depth += _PAREN_DEPTH.get(source[end], 0)
            if depth == 0:
                calls.append(source[start.start():end + 1])
                break
    return calls


_NUMPY_CALL_START = re.compile(r"np\.\w+\(")
_PAREN_DEPTH = {"(": 1, ")": -1}


class NotFinite(ArithmeticError):
    """Raised by generated numpy code when a result is not finite: the call is replayed eagerly."""


def _rule_note(node: Value) -> str:
    """The op and its rule's own derivative comment, for the first line of its backward."""
    note = symbolic.derivative_note(node._backward_rule)
    return f"{node.op}: {note}" if note else node.op


def _const(constant: float | None) -> symbolic.Expr:
    return symbolic.Expr("const", constant) if constant is not None else symbolic.name("None")


def _const_source(source: str | None) -> symbolic.Expr:
    return symbolic.name(source) if source else symbolic.name("None")


def _print(expr: symbolic.Expr, numpy: bool) -> str:
    return symbolic.to_numpy(expr) if numpy else symbolic.to_python(expr)


def _listing(nodes: list[Value]) -> str:
    labels = [n.label for n in nodes if n.label]
    if not labels:
        return f"{len(nodes)} leaves"
    shown = ", ".join(labels[:3])
    return f"{shown}, ... ({len(nodes)})" if len(labels) > 3 else shown


def _copy_name(batch: Batch) -> str:
    """What one copy of the batch's subgraph is, in comments: a data point where it reads data
    (inputs, or numbers kept as leaves), else a copy (the L2 penalty's p * p per parameter)."""
    return "point" if any(group.kind in ("input", "const") for group in batch.groups) else "copy"


def _describe(group: Group) -> str:
    node = group.node
    label = f" ({node.label}, ...)" if node.label else ""
    return f"one {node.op!r} node per {_copy_name(group.batch)}{label}"


def _describe_many(groups: list[Group]) -> str:
    first, last = groups[0].node, groups[-1].node
    if first.label:
        labels = f": {first.label} ... {last.label}" if len(groups) > 1 else f": {first.label}"
    else:
        labels = ""
    many = f"{len(groups)} {first.op} node{'s' if len(groups) > 1 else ''}"
    return f"{many} per {_copy_name(groups[0].batch)}{labels}"
