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
import math
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal, NamedTuple

from .._checks import refuse_unordered, to_float
from .._grad_mode import records_graph
from .._graph import grads_set_for_a_while
from ..engine import Parameter, Value, paused_gc, topological_order
from . import python_backend
from ._split import NAMESPACE as _SPLIT_NAMESPACE
from .codegen import NAMESPACE, Names, rule_of

__all__ = ["compile", "CompiledFunction", "CompileMismatchError"]


class CompileMismatchError(RuntimeError):
    """With check=True: the compiled function and the eager engine disagreed on a call."""


class CompiledFunction:
    """The result of `compile`: call it with new input values to get (value, input gradients).

    Attributes:
        source: the generated Python code.
        params: the Values whose `.data` is read on each call and whose `.grad` is updated.
        num_nodes: nodes in the traced graph.
        compile_seconds: time taken to trace, generate and compile.
        backend: "python" (straight-line scalar code) or "numpy" (array code).
        description: what the backend wrote: the numpy backend's batches, matrix products and
            scalar code (or why it compiled scalar Python instead); the python backend's line count.
        eager_replays: how many calls the numpy backend handed to the eager engine, because
            numpy trapped a floating-point exception or a result was not finite.
    """

    def __init__(self, f: Callable[[list[Value]], Value], n_inputs: int, params: list[Value], source: str,
                 function: Callable[..., Any], check: bool,
                 signature: tuple[Any, ...], num_nodes: int, compile_seconds: float, backend: str = "python",
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
        for i, x in enumerate(param_values):
            if type(x) is not float:  # a Value assigned to .data would nest graphs in the python backend's code
                param_values[i] = to_float(x, f"compiled function: params[{i}].data")
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
            return self._function(xs, param_values, grads)  # type: ignore[no-any-return]
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
        with grads_set_for_a_while(self.params, grads):
            out, leaves = self._eager(xs)
            out.backward()
            return out, leaves, [p.grad for p in self.params]

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
        order = topological_order(out)
        signature = _signature(order)
        if signature != self._signature:
            raise CompileMismatchError(
                "the graph built on this call differs from the traced one (control flow on .data inside f?): "
                "compiled results would be wrong"
            )
        value, input_grads, param_grads = self._run(xs, param_values, zeros)
        disagreement = _disagreement(order, value, input_grads, param_grads,
                                     out.data, [leaf.grad for leaf in leaves], eager_param_grads)
        if disagreement:
            raise CompileMismatchError(disagreement)
        # checked: now the call itself, its gradients added to .grad as an unchecked call adds them
        _, _, param_grads = self._run(xs, param_values, [p.grad for p in self.params])
        for p, g in zip(self.params, param_grads):
            p.grad = g
        return value, list(input_grads)


def _as_floats(inputs: Sequence[float], n: int) -> list[float]:
    refuse_unordered(inputs, "compiled function")
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__len__"):
        raise TypeError(f"compiled function expects a list of {n} numbers, got {type(inputs).__name__}")
    if len(inputs) != n:
        raise ValueError(f"compiled function expects {n} inputs, got {len(inputs)}")
    xs = list(inputs)
    for i, x in enumerate(xs):
        if type(x) is not float:
            xs[i] = to_float(x.data if isinstance(x, Value) else x, f"compiled function input {i}")
    return xs


def _disagreement(order: list[Value], value: float, input_grads: Sequence[float], param_grads: Sequence[float],
                  eager_value: float, eager_input_grads: Sequence[float], eager_param_grads: Sequence[float]) -> str:
    """What differs between a compiled call and the eager engine on the graph `order` (after its
    backward), or "" when they agree within rounding.

    The numpy backend adds up sums in another order, so a sum that cancels (1e16 + 1 - 1e16)
    may be off by the rounding of its terms, not of its result: the tolerance is scaled by
    the largest value or gradient anywhere in the graph."""
    pairs = [("value", value, eager_value)]
    pairs += [(f"d/d input {i}", c, e) for i, (c, e) in enumerate(zip(input_grads, eager_input_grads))]
    pairs += [(f"d/d param {i}", c, e) for i, (c, e) in enumerate(zip(param_grads, eager_param_grads))]
    magnitude = 1.0
    for node in order:
        for x in (node.data, node.grad):
            if abs(x) > magnitude and math.isfinite(x):
                magnitude = abs(x)
    abs_tol = 1e-12 * magnitude
    for what, compiled, eager in pairs:
        if not (compiled == eager or math.isclose(compiled, eager, rel_tol=1e-9, abs_tol=abs_tol)
                or (compiled != compiled and eager != eager)):
            return f"{what}: compiled {compiled!r} but eager {eager!r}"
    return ""


def _signature(order: list[Value]) -> tuple[Any, ...]:
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
    if not records_graph():
        raise RuntimeError("compile inside no_grad(): tracing needs the graph that no_grad() stops recording; "
                           "call compile outside the block")
    refuse_unordered(example_inputs, "compile: example_inputs")
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
        function, source, used, description, _ = generate_function(backend, order, out, leaves, param_list, input_grads)
    return CompiledFunction(f, len(xs), param_list, source, function, check, _signature(order),
                            len(order), time.perf_counter() - start, used, description, input_grads)


class Prepared(NamedTuple):
    """numpy code in two parts: `prepare(inputs)` reads only the inputs (into arrays, gathered),
    `run(prepared, params, grads)` the rest (`grads` None for zeros); `compiled` is the one
    after the other. jit prepares a data set once and runs it step after step."""

    prepare: Callable[..., Any]
    run: Callable[..., Any]


def generate_function(backend: str, order: list[Value], out: Value, leaves: list[Value], params: list[Value],
                      input_grads: bool) -> tuple[Callable[..., Any], str, str, str, Prepared | None]:
    """The traced graph as a Python function `compiled(inputs, params, grads)`, with its source,
    the backend that wrote it, what that backend found (see `_code`) and, for numpy's code, its
    two parts. Array code is checked on the traced values first; if it disagrees with the graph,
    scalar Python is written instead."""
    sources, namespace, used, description = _code(backend, order, out, leaves, params, input_grads)
    for part in sources:  # compiled one by one: Python's memory while compiling grows with a function's size
        exec(builtins.compile(part, "<tinygrad_lite.compile>", "exec"), namespace)
    if used == "numpy":
        problem = _self_check(namespace["compiled"], order, out, leaves, params)
        if problem:  # a batch the generator read wrongly: never a wrong number, and never an eager replay per call
            warnings.warn(f"compile(backend='numpy'): the array code disagreed with the engine on the traced "
                          f"inputs ({problem}); compiled as scalar Python instead. Please report this graph.",
                          stacklevel=3)
            sources, namespace, used, description = _code("python", order, out, leaves, params, input_grads)
            description = "the array code failed its check on the traced inputs: compiled as scalar Python"
            for part in sources:
                exec(builtins.compile(part, "<tinygrad_lite.compile>", "exec"), namespace)
    parts = Prepared(namespace["prepare"], namespace["compiled_prepared"]) if used == "numpy" else None
    return namespace["compiled"], "\n".join(sources), used, description, parts


def _self_check(function: Callable[..., Any], order: list[Value], out: Value, leaves: list[Value],
                params: list[Value]) -> str:
    """Run generated array code on the values it was traced with and compare it with the traced
    graph's own backward: what differs, or "". Every node's .grad is restored afterwards.

    A floating-point trap at the traced values says nothing about the code (those calls are
    replayed by the engine, by design): that counts as agreeing."""
    with grads_set_for_a_while(order):
        out.backward()
        eager_input_grads = [leaf.grad for leaf in leaves]
        eager_param_grads = [p.grad for p in params]
        try:
            value, input_grads, param_grads = function([leaf.data for leaf in leaves], [p.data for p in params],
                                                       [0.0] * len(params))
        except ArithmeticError:
            return ""
        except Exception as error:  # noqa: BLE001 - any other error is a fault of the generated code
            return f"it raised {type(error).__name__}: {error}"
        return _disagreement(order, value, input_grads, param_grads, out.data, eager_input_grads, eager_param_grads)


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
          input_grads: bool) -> tuple[list[str], dict[Any, Any], str, str]:
    """The generated source (in parts), the names it runs with, the backend that wrote it and what
    that backend found: numpy's array code where the graph repeats per data point, else scalar Python."""
    if backend == "numpy":
        from . import numpy_backend

        vectorised = numpy_backend.generate(order, out, leaves, params, input_grads,
                                            Names(numpy_backend.RESERVED_NAMES), rule_of)
        if vectorised is not None:
            sources, namespace, plan = vectorised
            return sources, dict(namespace, **NAMESPACE, **_SPLIT_NAMESPACE), "numpy", str(plan)
        warnings.warn("compile(backend='numpy'): nothing in the graph repeats once per data point (no sum over "
                      "equal subgraphs), so there is nothing to vectorise; compiled as scalar Python instead",
                      stacklevel=4)
        description = "nothing repeats once per data point: compiled as scalar Python; "
    else:
        description = ""
    source = python_backend.generate(order, out, leaves, params, input_grads)
    lines = sum(part.count("\n") for part in source)
    description += f"straight-line Python: {lines} lines for {len(order)} nodes"
    return source, dict(NAMESPACE, **_SPLIT_NAMESPACE), "python", description


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
