"""Compile a traced graph into straight-line Python: backprop as plain code.

    step = compile(f, example_inputs)     # trace f once on example inputs
    value, grads = step(new_inputs)       # replay forward and backward on new leaf values
    print(step.source)                    # the generated code: one line per node

Training repeats the same graph with new leaf values. Tracing it once and generating flat
code for it, one assignment per node forward and one per gradient contribution backward,
with each op's closed-form derivative inlined, removes everything the eager engine pays for
per node: objects, rule calls, the graph walk. The code is also a lesson: it is what
`backward()` computes, written out. Each derivative is read from the engine's own rule (see
symbolic.py), never written here a second time.

Fewer lines, same results: a chain of binary additions (as `sum(w * x for ...)` builds) is one
line, added up in the same order; a node's backward block runs only if its gradient is not
zero (`if g_v:`), as the engine skips the rule; gradients known before the code runs (the
output's 1.0, the 0.01 of a mean) are multiplied out when generating. Every float operation
is the engine's, in the engine's order, so results are bit-identical.

What is a leaf of the compiled function:
- the Values `f` receives (one per example input), in order;
- every `Parameter` in the graph (model weights, found automatically) plus any Values passed
  as `params=`: their current `.data` is read on each call, and their gradients are *added*
  to `.grad`, exactly as `backward()` would, so an optimiser's loop works unchanged;
- any other leaf (numbers in the expression, Values created inside `f`) is a constant,
  frozen at its traced value.

The trace follows the path taken. relu and leaky relu are replayed with the same
conditional expressions as the engine, so their branches may flip between calls. But
Python control flow on `.data` inside `f` (an `if x.data > 0:`) cannot be seen by a trace:
the compiled code always takes the traced branch. `check=True` reruns the eager engine on
every call and raises CompileMismatchError when the two disagree.
"""

from __future__ import annotations

import builtins
import functools
import keyword
import math
import re
import time
import warnings
from typing import Callable, Literal, Sequence

from .. import engine
from . import symbolic
from ._split import NAMESPACE as _SPLIT_NAMESPACE, split_function
from .batching import consumers_of
from ..engine import Parameter, Value, paused_gc, topological_order
from .forms import FORWARD_FORMS

__all__ = ["compile", "CompiledFunction", "CompileMismatchError"]


class CompileMismatchError(RuntimeError):
    """With check=True: the compiled function and the eager engine disagreed on a call."""


# What the generated code may call: the functions the engine's own ops and rules call, so both
# compute alike, under the names the rule tracer gives them.
_NAMESPACE: dict[str, object] = dict(symbolic.function_namespace(), _INF=math.inf, _NAN=math.nan)


# Longer generated code is cut into part functions of this many lines (see _split).
_MAX_LINES_PER_FUNCTION = 100_000


# ------------------------------------------------------------------ forward code, one line per op
#
# Printed from the one table of forward formulas (forward_forms.py), keyed by the node's backward
# rule. "{0}", "{1}", ... are the inputs, "{c}" a plain-number operand kept in the node. The
# backward code is not written here either: it is read from the rule itself (see symbolic.py).

FORWARD: dict[Callable, str] = {
    rule: symbolic.to_python(form([symbolic.name("{0}"), symbolic.name("{1}")], symbolic.name("{c}")))
    for rule, form in FORWARD_FORMS.items()
}


def _sum_terms(a: list[str]) -> list[str]:
    return a


def _linear_terms(a: list[str]) -> list[str]:
    n = (len(a) - 1) // 2
    return [a[0]] + [f"{a[1 + i]} * {a[1 + n + i]}" for i in range(n)]


# n-ary ops: the terms added left to right, written over several lines when long, because one
# expression of thousands of additions nests too deeply for Python's compiler.
TERMS: dict[Callable, Callable[[list[str]], list[str]]] = {
    Value._sum_backward: _sum_terms,
    Value._linear_backward: _linear_terms,
}
_TERMS_PER_LINE = 32


@functools.lru_cache(maxsize=None)
def _backward_templates(rule: Callable, n_inputs: int) -> tuple[tuple[int, str, int], ...]:
    """The rule's gradient contributions as (input index, source template, sign), read from the
    rule by running it on symbols: "{0}", "{1}", ... are the inputs, "{out}" and "{g}" the node's
    value and gradient."""
    return tuple((c.input, symbolic.to_python(c.term), c.sign) for c in symbolic.trace_rule(rule, n_inputs))


_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_TAKEN_NAMES = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | {"inputs", "params", "grads", "compiled"}


class _Names:
    """Unique, readable Python identifiers for nodes, from their labels where they have one.

    A name is plain ASCII, starts with a letter and is no keyword, builtin or name the code
    itself uses (those of the namespace all start with "_"). Python reads identifiers after
    NFKC normalisation, so a label such as "ｘ0" would otherwise become the input "x0"; a label
    that gives no plain name falls back to a numbered one and is kept in a comment instead.
    """

    def __init__(self, reserved: frozenset[str] = frozenset()) -> None:
        self.reserved = set(_NAMESPACE) | _TAKEN_NAMES | reserved
        self.used: set[str] = set(self.reserved)

    def make(self, label: str, fallback: str) -> str:
        """A fresh name `n` (with `g_n` free for its gradient), based on `label` if it can be."""
        base = re.sub(r"[^A-Za-z0-9_]+", "_", label).strip("_")
        if not _PLAIN_NAME.fullmatch(base) or base in self.reserved:
            base = fallback
        name, k = base, 1
        while name in self.used or "g_" + name in self.used:
            k += 1
            name = f"{base}_{k}"
        self.used.update((name, "g_" + name))
        return name

    def variables(self) -> set[str]:
        """Every name made so far, with its gradient's name: the variables the code may assign."""
        return self.used - self.reserved


class CompiledFunction:
    """The result of `compile`: call it with new input values to get (value, input gradients).

    Attributes:
        source: the generated Python code.
        params: the Values whose `.data` is read on each call and whose `.grad` is updated.
        num_nodes: nodes in the traced graph.
        compile_seconds: time taken to trace, generate and compile.
        backend: "python" (straight-line scalar code) or "numpy" (array code).
        description: what the numpy backend found (batches, matrix products, what stayed scalar),
            or why it compiled scalar Python instead; "" for the python backend.
        eager_replays: how many calls the numpy backend handed to the eager engine, because
            numpy trapped a floating-point exception or a result was not finite.
    """

    def __init__(self, f, n_inputs: int, params: list[Value], source: str, function, check: bool,
                 signature: tuple, num_nodes: int, compile_seconds: float, backend: str = "python",
                 description: str = "", input_grads: bool = True) -> None:
        self._f = f
        self.n_inputs = n_inputs
        self.params = params
        self.source = source
        self._function = function
        self.check = check
        self._signature = signature
        self.num_nodes = num_nodes
        self.compile_seconds = compile_seconds
        self.backend = backend
        self.description = description
        self.eager_replays = 0
        self._input_grads = input_grads

    def __repr__(self) -> str:
        return (f"CompiledFunction({self.n_inputs} inputs, {len(self.params)} params, {self.num_nodes} nodes, "
                f"{self.source.count(chr(10))} lines, backend={self.backend!r})")

    def __call__(self, inputs: Sequence[float]) -> tuple[float, list[float]]:
        """Run forward and backward on `inputs`; add the parameters' gradients to their .grad.

        Returns (value of f, [d f / d input_i for each input]).
        """
        xs = _as_floats(inputs, self.n_inputs)
        params = self.params
        param_values = [p.data for p in params]
        if self.check:
            return self._checked_call(xs, param_values)
        value, input_grads, param_grads = self._run(xs, param_values, [p.grad for p in params])
        for p, g in zip(params, param_grads):
            p.grad = g
        return value, list(input_grads)

    def _run(self, xs: list[float], param_values: list[float],
             grads: list[float]) -> tuple[float, Sequence[float], Sequence[float]]:
        """The generated function on these values, its parameters' gradients going on from
        `grads`: (value, input gradients, parameter gradients after the call)."""
        try:
            return self._function(xs, param_values, grads)
        except (ArithmeticError, ValueError) as error:
            if self.backend != "numpy":
                raise self._explain_failure(xs, error) from None
            # numpy trapped a floating-point exception or made a result that is not finite: the
            # engine decides, raising its own error or giving its own result (its rules for zero
            # gradients and infinities), so that the two backends never differ there
            self.eager_replays += 1
            out, leaves, param_grads = self._eager_from(xs, grads)
            return out.data, [leaf.grad for leaf in leaves] if self._input_grads else [], param_grads

    def _eager_from(self, xs: list[float], grads: list[float]) -> tuple[Value, list[Value], list[float]]:
        """f run by the engine on xs, with backward, the parameters' gradients going on from
        `grads`: its output, its input leaves and the parameters' gradients after. The
        parameters' .grad are left as they were."""
        saved = [p.grad for p in self.params]
        try:
            for p, g in zip(self.params, grads):
                p.grad = g
            out, leaves = self._eager(xs)
            out.backward()
            return out, leaves, [p.grad for p in self.params]
        finally:
            for p, before in zip(self.params, saved):
                p.grad = before

    def _eager(self, xs: list[float]) -> tuple[Value, list[Value]]:
        leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
        return self._f(leaves), leaves

    def _explain_failure(self, xs: list[float], error: Exception) -> CompileMismatchError:
        """Re-run eagerly so that the engine's own, descriptive error is raised instead; if the
        engine raises nothing, the traced graph no longer matches what f computes."""
        try:
            self._eager(xs)
        except (ArithmeticError, ValueError, TypeError) as eager_error:
            raise eager_error from None  # shown alone, without the generated code's traceback
        return CompileMismatchError(
            f"the compiled function raised {type(error).__name__}({error}) but the eager engine did not: "
            "the function's control flow depends on data; compile it again, or use check=True to catch this"
        )

    def _checked_call(self, xs: list[float], param_values: list[float]) -> tuple[float, list[float]]:
        # This call's gradients are compared measured from zero: taking "after minus before"
        # would lose them in rounding when .grad already holds a large sum.
        zeros = [0.0] * len(self.params)
        out, leaves, eager_param_grads = self._eager_from(xs, zeros)
        signature = _signature(topological_order(out))
        if signature != self._signature:
            raise CompileMismatchError(
                "the graph built on this call differs from the traced one (control flow on .data inside f?): "
                "compiled results would be wrong"
            )
        value, input_grads, param_grads = self._run(xs, param_values, zeros)
        pairs = [("value", value, out.data)]
        pairs += [(f"d/d input {i}", c, leaf.grad) for i, (c, leaf) in enumerate(zip(input_grads, leaves))]
        pairs += [(f"d/d param {i}", c, e) for i, (c, e) in enumerate(zip(param_grads, eager_param_grads))]
        abs_tol = 1e-12
        if self.backend == "numpy":  # its sums add in another order: a sum that cancels is off by its terms' rounding
            abs_tol *= max([abs(e) for _, _, e in pairs if math.isfinite(e)] + [1.0])
        for what, compiled, eager in pairs:
            if not (compiled == eager or math.isclose(compiled, eager, rel_tol=1e-9, abs_tol=abs_tol)
                    or (compiled != compiled and eager != eager)):
                raise CompileMismatchError(f"{what}: compiled {compiled!r} but eager {eager!r}")
        # checked: now the call itself, its gradients added to .grad as an unchecked call adds them
        _, _, param_grads = self._run(xs, param_values, [p.grad for p in self.params])
        for p, g in zip(self.params, param_grads):
            p.grad = g
        return value, list(input_grads)


def _as_floats(inputs: Sequence[float], n: int) -> list[float]:
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__len__"):
        raise TypeError(f"compiled function expects a list of {n} numbers, got {type(inputs).__name__}")
    if len(inputs) != n:
        raise ValueError(f"compiled function expects {n} inputs, got {len(inputs)}")
    xs = list(inputs)
    for i, x in enumerate(xs):
        if type(x) is not float:
            xs[i] = engine._to_float(x.data if isinstance(x, Value) else x, f"compiled function input {i}")
    return xs


def _signature(order: list[Value]) -> tuple:
    """The shape of a graph: ops and input positions, independent of the values."""
    index = {node: i for i, node in enumerate(order)}
    return tuple((node.op, tuple(index[c] for c in node.inputs)) for node in order)


def compile(
    f: Callable[[list[Value]], Value],
    example_inputs: Sequence[float],
    params: Sequence[Value] | None = None,
    input_grads: bool = True,
    check: bool = False,
    backend: Literal["python", "numpy"] = "python",
) -> CompiledFunction:
    """Trace `f` once on `example_inputs` and generate straight-line Python for it, or with
    `backend="numpy"`, array code (see numpy_backend.py; needs numpy).

    Args:
        f: takes a list of Values (one per input) and returns a Value.
        example_inputs: numbers to trace with; later calls must pass as many.
        params: extra leaves to treat as parameters (every `Parameter` in the graph is one
            already): read on each call, gradients added to their `.grad`.
        input_grads: set False when the gradients with respect to the inputs are not
            needed (a batch of data): their code is then not generated at all.
        check: compare with the eager engine on every call (slow; for debugging).
        backend: "python" for straight-line scalar code; "numpy" to compute what repeats per
            data point (the per-point subgraphs of a batch) as arrays and matrix products. A
            graph with nothing that repeats falls back to "python", with a warning.
    """
    start = time.perf_counter()
    if backend not in ("python", "numpy"):
        raise ValueError(f"compile: backend must be 'python' or 'numpy', got {backend!r}")
    if backend == "numpy":
        from . import numpy_backend

        numpy_backend.import_numpy()  # before tracing: say how to install it at once
    if not callable(f):
        raise TypeError(f"compile expects a function of a list of Values, got {type(f).__name__}")
    if isinstance(example_inputs, (str, bytes)) or not hasattr(example_inputs, "__len__"):
        raise TypeError(f"compile: example_inputs must be a list of numbers, got {type(example_inputs).__name__}")
    xs = _as_floats(example_inputs, len(example_inputs))
    # Tracing makes one object per node, and so would set off Python's cycle collector again and
    # again for nothing (a graph holds no cycles): paused for the compile, restored after.
    with paused_gc():
        leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
        out = f(leaves)
        if not isinstance(out, Value):
            raise TypeError(f"compile: f must return a Value, got {type(out).__name__}")
        order = topological_order(out)
        param_list = _parameters(order, params)
        _warn_of_frozen_leaves(order, set(leaves) | set(param_list))
        sources, namespace, used, description = _code(backend, order, out, leaves, param_list, input_grads)
        for part in sources:  # compiled one by one: Python's memory while compiling grows with a function's size
            exec(builtins.compile(part, "<tinygrad_lite.compile>", "exec"), namespace)
    source = "\n".join(sources)
    return CompiledFunction(f, len(xs), param_list, source, namespace["compiled"], check, _signature(order),
                            len(order), time.perf_counter() - start, used, description, input_grads)


def _parameters(order: list[Value], params: Sequence[Value] | None) -> list[Value]:
    """The leaves read live on each call: `params` as given, then every other Parameter of the
    graph in the order traced; each once."""
    found: list[Value] = []
    known: set[Value] = set()
    for i, p in enumerate(params if params is not None else []):
        if not isinstance(p, Value) or p.inputs:
            raise TypeError(f"compile: params[{i}] must be a leaf Value, got {p!r}")
        if p not in known:  # a parameter named twice still receives its gradient once
            known.add(p)
            found.append(p)
    for node in order:
        if isinstance(node, Parameter) and node not in known:
            known.add(node)
            found.append(node)
    return found


def _code(backend: str, order: list[Value], out: Value, leaves: list[Value], params: list[Value],
          input_grads: bool) -> tuple[list[str], dict, str, str]:
    """The generated source (in parts), the names it runs with, the backend that wrote it and what
    that backend found: numpy's array code where the graph repeats per data point, else scalar Python."""
    if backend == "numpy":
        from . import numpy_backend

        vectorised = numpy_backend.generate(order, out, leaves, params, input_grads,
                                            _Names(numpy_backend.RESERVED_NAMES), _rule_of)
        if vectorised is not None:
            sources, namespace, plan = vectorised
            return sources, dict(namespace, **_NAMESPACE, **_SPLIT_NAMESPACE), "numpy", str(plan)
        warnings.warn("compile(backend='numpy'): nothing in the graph repeats once per data point (no sum over "
                      "equal subgraphs), so there is nothing to vectorise; compiled as scalar Python instead",
                      stacklevel=3)
        description = "nothing repeats once per data point: compiled as scalar Python"
    else:
        description = ""
    return _generate(order, out, leaves, params, input_grads), dict(_NAMESPACE, **_SPLIT_NAMESPACE), "python", description


def _warn_of_frozen_leaves(order: list[Value], live: set[Value]) -> None:
    """Warn of labelled leaves that are neither inputs nor parameters: the compiled code keeps
    their traced value, which is rarely what a label meant."""
    frozen = [node for node in order if not node.inputs and node.label and node not in live]
    if frozen:
        shown = ", ".join(f"{n.label!r} = {n.data!r}" for n in frozen[:5])
        warnings.warn(
            f"compile: {len(frozen)} labelled leaf Value(s) are neither inputs nor Parameters and are frozen as "
            f"constants ({shown}{', ...' if len(frozen) > 5 else ''}); pass them in params= to keep them live",
            stacklevel=3,
        )


def _label_comment(label: str) -> str:
    """A label as a comment may show it: ASCII with every other character escaped, so that no
    newline or other control character can end the comment; long ones cut."""
    text = ascii(label)
    return text if len(text) <= 60 else text[:57] + "..."


def _known_terms(node: Value, grad: float, args: list[str], out_name: str) -> list[tuple[str, float | None]]:
    """The contributions of `node`'s rule when its gradient is known (`grad`), in order: each as
    source with what is known worked out, and its value if that is a constant."""
    values = {"{g}": symbolic.Expr("const", grad), "{out}": symbolic.name(out_name)}
    if node._constant is not None:
        values["{c}"] = symbolic.Expr("const", node._constant)
    for i, (child, arg) in enumerate(zip(node.inputs, args)):
        constant_leaf = not child.inputs and arg == symbolic.literal(child.data)
        values[f"{{{i}}}"] = symbolic.Expr("const", child.data) if constant_leaf else symbolic.name(arg)
    terms: list[tuple[str, float | None]] = []
    for contribution in symbolic.trace_rule(node._backward_rule, len(node.inputs)):
        term = symbolic.fold(symbolic.substitute(contribution.term, values))
        if term.kind == "const":
            value = float(term.args[0])  # type: ignore[arg-type]
            terms.append((symbolic.literal(value), value))
        else:
            terms.append((symbolic.to_python(term), None))
    return terms


def sum_lines(name: str, terms: list[str], comment: str) -> list[str]:
    """`name = t0 + t1 + ...`, over several lines when long, added in the same order: name = name + ... .
    (One expression of thousands of additions nests too deeply for Python's compiler.) Lines
    are not indented; the numpy backend writes its sums with it too."""
    k = _TERMS_PER_LINE
    lines = [f"{name} = {' + '.join(terms[:k])}  # {comment}"]
    for i in range(k, len(terms), k):
        lines.append(f"{name} = {' + '.join([name] + terms[i:i + k])}")
    return lines


_ADDS = (Value._add_backward, Value._add_constant_backward)
_PRODUCTS = (Value._mul_backward, Value._mul_constant_backward)


def _fused_terms(node: Value, rule: Callable, consumers: dict[Value, list[Value]], terms: dict[Value, int],
                 out: Value) -> int:
    """How many terms `node` adds to a sum written on its consumer's line, or 0 if it needs a
    line of its own.

    A chain of binary additions, as `sum(w*x for ...)` builds, is written as one line
    `v = b + w0 * x0 + w1 * x1 + ...`: Python adds it up left to right, exactly as the chain did,
    so results stay bit-identical. A node joins its consumer's line when that is its only use,
    the consumer is an addition (whose rule reads neither its inputs' values nor its output),
    and the node is a product (either operand: * binds tighter than +) or an addition that is
    the consumer's left operand. Lines stay at most _TERMS_PER_LINE terms long, as Python's
    compiler recurses once per term.
    """
    users = consumers.get(node, [])
    if node is out or len(users) != 1 or users[0]._backward_rule not in _ADDS:
        return 0
    if rule in _PRODUCTS:
        return 1
    if rule in _ADDS and users[0].inputs[0] is node:
        left = node.inputs[0]
        count = terms.get(left, 1) + 1
        return count if count < _TERMS_PER_LINE else 0
    return 0


def _rule_of(node: Value) -> Callable:
    """The node's backward rule, which decides its code; a rule written by hand (an op written
    the lecture's way) is refused: compile cannot read a closure's formula."""
    rule = node._backward_rule
    if rule in FORWARD or rule in TERMS:
        return rule
    if type(rule) is engine.LectureRule or rule is engine._passes_nothing:
        raise TypeError(
            f"compile: the node of op {node.op!r} has a backward rule written by hand (a per-node _backward, "
            "the lecture's way), which compile cannot turn into code; build it from the engine's ops, "
            "or run it eagerly with backward()"
        )
    raise TypeError(f"compile: op {node.op!r} (rule {getattr(rule, '__qualname__', rule)!r}) has no forward code")


def _generate(order: list[Value], out: Value, leaves: list[Value], params: list[Value], input_grads: bool) -> list[str]:
    """The source of `def compiled(inputs, params, grads) -> (value, input_grads, param_grads)`:
    one function, or for a long one, its parts and the function running them (see _split).
    `grads` are the parameters' gradients before the call, and `param_grads` after it: each
    contribution is added to them in turn, as the engine adds to `.grad`."""
    names = _Names()
    source_of: dict[Value, str] = {}  # how the code refers to a node's value
    needs_grad: set[Value] = set()
    forward: list[str] = []
    rule_of: dict[Value, Callable] = {}

    input_names = [names.make(leaf.label, f"x{i}") for i, leaf in enumerate(leaves)]
    param_names = [names.make(p.label, f"p{i}") for i, p in enumerate(params)]
    start_names = [names.make(f"{name}_grad", f"p{i}_grad") for i, name in enumerate(param_names)]
    for leaf, name in zip(leaves, input_names):
        source_of[leaf] = name
        if input_grads:
            needs_grad.add(leaf)
    for p, name in zip(params, param_names):
        source_of[p] = name
        needs_grad.add(p)

    consumers = consumers_of(order)
    terms: dict[Value, int] = {}  # fused nodes: how many terms their expression adds up

    counter = 0
    for node in order:
        if node in source_of:
            continue
        if not node.inputs:  # a constant: inline its value
            source_of[node] = symbolic.literal(node.data)
            continue
        rule = rule_of[node] = _rule_of(node)
        args = [source_of[c] for c in node.inputs]
        if any(c in needs_grad for c in node.inputs):
            needs_grad.add(node)
        if rule not in TERMS:
            constant = symbolic.literal(node._constant) if node._constant is not None else ""
            expression = FORWARD[rule].format(*args, c=constant)
            count = _fused_terms(node, rule, consumers, terms, out)
            if count:  # written into its one consumer's line instead of a line of its own
                source_of[node], terms[node] = expression, count
                continue
        counter += 1
        name = names.make(node.label, f"v{counter}")
        source_of[node] = name
        comment = node.op if not node.label or node.label == name else f"{node.op} {_label_comment(node.label)}"
        if rule in TERMS:
            forward += ["    " + line for line in sum_lines(name, TERMS[rule](args), comment)]
        else:
            forward.append(f"    {name} = {expression}  # {comment}")

    # Backward: reverse topological order. A gradient's first contribution is assigned (no
    # zero-initialisation); a contribution that is just another gradient's name is aliased
    # instead of copied; later contributions are added. A node's block runs only if its
    # gradient is not zero (`if g_v:`), as the engine skips its rule: an inactive relu costs
    # one test instead of the whole backward of what lies below it.
    backward: list[str] = []
    blocks: list[tuple[str | None, list[str], list[str]]] = []  # (guard or None, lines, lines if skipped)
    grad_of: dict[Value, str] = {}  # the expression holding a node's gradient so far
    owned: set[Value] = set()  # nodes whose gradient lives in their own g_ variable
    # Gradients known when generating (the output's 1.0, and what only constants make from it,
    # as the 0.01 of a mean): their contributions are worked out here (symbolic.fold).
    known: dict[Value, float] = {}
    # A parameter's gradient goes on from its .grad before the call (its first contribution is
    # added to it, not assigned), so that calls without zero_grad() between accumulate exactly
    # as the engine does.
    grad_of.update(zip(params, start_names))
    if out in grad_of:  # the output is a parameter itself: d out/d out = 1, added to its gradient
        grad_of[out] = f"{grad_of[out]} + 1.0"
    elif out in needs_grad:
        grad_of[out], known[out] = "1.0", 1.0
    for node in reversed(order):
        if not node.inputs or node not in grad_of:
            continue
        g = grad_of[node]
        if node in known and not known[node]:
            continue  # a gradient known to be 0 passes nothing back, as in the engine
        guarded = node not in known
        args = [source_of[c] for c in node.inputs]
        rule = rule_of[node]
        out_name = source_of[node]
        constant = symbolic.literal(node._constant) if node._constant is not None else ""
        block: list[str] = []
        otherwise: list[str] = []  # what the skipped block leaves in the variables it would assign
        worked_out = None if guarded else _known_terms(node, known[node], args, out_name)
        for k, (index, template, sign) in enumerate(_backward_templates(rule, len(args))):
            child = node.inputs[index]
            if child not in needs_grad:
                continue
            value = None
            if worked_out is None:
                term = template.format(*args, out=out_name, g=g, c=constant)
            else:
                term, value = worked_out[k]
                if value is not None and sign < 0:
                    value = -value
            target = "g_" + source_of[child]  # only inputs, params and interior nodes need gradients
            if child not in grad_of:
                if value is not None:  # a constant: the child's gradient is known too
                    grad_of[child], known[child] = symbolic.literal(value), value
                    continue
                # aliasing is safe under the guard only for g itself, which is the zero the skip leaves
                if sign > 0 and (term == g or (not guarded and term.isidentifier())):
                    grad_of[child] = term
                    continue
                block.append(f"{target} = {term}" if sign > 0 else f"{target} = -({term})")
                otherwise.append(f"{target} = 0.0")
                owned.add(child)
            elif child in owned:
                block.append(f"{target} += {term}" if sign > 0 else f"{target} -= {term}")
            else:
                block.append(f"{target} = {grad_of[child]} {'+' if sign > 0 else '-'} {term}")
                otherwise.append(f"{target} = {grad_of[child]}")
                owned.add(child)
            grad_of[child] = target
            known.pop(child, None)  # no longer a constant: it has a variable's contribution now
        if not block:
            continue
        block[0] += f"  # {node.op}: {symbolic.derivative_note(rule)}"
        guard = g if guarded else None
        if guard is not None and blocks and blocks[-1][0] == guard:  # the same test as the block before
            blocks[-1][1].extend(block)
            blocks[-1][2].extend(otherwise)
        else:
            blocks.append((guard, block, otherwise))
    for guard, block, otherwise in blocks:
        if guard is None:
            backward += ["    " + line for line in block]
            continue
        backward.append(f"    if {guard}:")
        backward += ["        " + line for line in block]
        if otherwise:
            backward.append("    else:")
            backward += ["        " + line for line in otherwise]

    def grad_expr(node: Value) -> str:
        return grad_of.get(node, "0.0")

    prologue = []
    if leaves:
        prologue.append(f"    {', '.join(input_names)}, = inputs")
    if params:
        prologue.append(f"    {', '.join(param_names)}, = params")
        prologue.append(f"    {', '.join(start_names)}, = grads")
    body = ["    # forward: one line per node"] + forward
    body += ["    # backward: the chain rule, one line per gradient contribution"] + backward
    # An input's gradient is returned as the engine leaves it: 0.0 plus its contributions. The
    # code assigns a first contribution instead of adding it to 0.0, and the two differ only for
    # a gradient of -0.0, which 0.0 + turns into 0.0 as the engine's accumulation does.
    input_grads_src = ", ".join(f"0.0 + {grad_of[leaf]}" if leaf in grad_of else "0.0"
                                for leaf in leaves) if input_grads else ""
    param_grads_src = ", ".join(grad_expr(p) for p in params)
    epilogue = [f"    return {source_of[out]}, ({input_grads_src}{',' if leaves and input_grads else ''}), "
                f"({param_grads_src}{',' if params else ''})"]
    if len(body) <= _MAX_LINES_PER_FUNCTION:
        return ["\n".join(["def compiled(inputs, params, grads):"] + prologue + body + epilogue) + "\n"]
    return split_function("compiled", "inputs, params, grads", prologue, body, epilogue, names.variables(),
                          _MAX_LINES_PER_FUNCTION)

