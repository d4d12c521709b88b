"""`jit`: compiled speed for a function written with Values, the training loop left as it is.

    @tl.jit
    def cost(X, Y):                  # numbers, Values and (nested) lists or tuples of them
        ...                          # the same Value code as eager
        return J

    for i in range(10_000):
        J = cost(X, Y)               # the first call traces; later calls replay compiled code
        for p in params: p.grad = 0.0
        J.backward()                 # fills p.grad as the eager graph would
        for p in params: p.data -= 1.2 * p.grad

The first call with a given structure of arguments (lengths, nesting, which are numbers and
which Values) traces `f` and compiles the graph (see function.py): numpy array code when numpy
is installed and the graph repeats per data point, straight-line Python otherwise. Later calls
with that structure run the compiled code on the new numbers. Another structure traces again;
each is kept. Whole numbers (int, bool) are part of the structure, as JAX's static arguments
are: a label or a class index is passed to the function as it is (so `probs[target]` and
`if y == 1` work), and a different one traces again. Floats and Values are the numbers read
on every call; inside the function they are Values.

What the compiled code reads on each call:
- the arguments: every number and every Value's `.data`;
- the *parameters*: every leaf the function reads that did not come from its arguments (a
  model's weights, Values in a closure or a global list), found by tracing twice: a leaf met in
  both traces existed before the call. Their `.data` is read afresh on every call, so an
  optimiser's updates are seen. Values the function makes itself are constants.

The call returns one Value: its `.data` is f's result, and its `.backward()` adds to each
parameter's `.grad` (and each Value argument's) what the eager graph's backward would add. It
is one node whose inputs are those leaves and whose local derivatives the compiled code
computed, so it can be used in further Value arithmetic (`J * 2 + penalty`).

Like jax.jit, a trace records the path the function took: Python control flow on data
(`if v.data > 0:`) is frozen at the traced branch. relu's own branch is not affected (the code
keeps it). `check=True` runs the eager function beside the compiled one on every call and
raises CompileMismatchError when their graphs or results differ.
"""

from __future__ import annotations

import functools
import numbers
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from .. import engine
from .._checks import short_repr
from .._collector import paused_gc
from .._grad_mode import records_graph
from .._graph import grads_set_for_a_while
from ..engine import Value, topological_order
from .function import CompileMismatchError, Prepared, _disagreement, _signature, generate_function
from .numpy_backend import import_numpy

__all__ = ["jit", "JitFunction"]


def jit(f: Callable[..., Value] | None = None, *, backend: str | None = None,
        check: bool = False) -> Any:
    """Compile `f` on its first call and replay it on later ones; usable as `@jit` or
    `@jit(backend="python", check=True)`.

    Args:
        f: a function of numbers, Values and (nested) lists or tuples of them, returning a Value.
        backend: "numpy" or "python"; by default numpy when it is installed and the graph
            repeats per data point, straight-line Python otherwise.
        check: run the eager function too on every call and compare (slow; for debugging).
    """
    if backend not in (None, "python", "numpy"):
        raise ValueError(f"jit: backend must be 'python', 'numpy' or None (automatic), got {backend!r}")
    if f is None:
        return functools.partial(jit, backend=backend, check=check)
    if not callable(f):
        raise TypeError(f"jit expects a function, got {type(f).__name__} {f!r}")
    return JitFunction(f, backend, check)


class JitFunction:
    """A function compiled on first call, per structure of its arguments (see the module's docstring).

    Attributes:
        traces: how many times the function was traced (one per argument structure met).
    """

    def __init__(self, f: Callable[..., Value], backend: str | None, check: bool) -> None:
        functools.update_wrapper(self, f)
        self._f = f
        self._backend = backend
        self._check = check
        self._compiled: dict[tuple[Any, ...], _Compiled] = {}
        self.traces = 0
        # The last call's arguments, copied, and their numbers: a call with equal arguments
        # (the same data set, step after step) reuses the numbers instead of reading them again.
        self._last_args: Any = None
        self._last_numbers: list[float] = []
        self._last_values: list[tuple[int, Value]] = []
        self._last_compiled: _Compiled | None = None
        self._last_inputs: Any = None  # the numbers as the compiled code takes them (prepared arrays for numpy's)

    def __repr__(self) -> str:
        return f"jit({getattr(self._f, '__qualname__', self._f)!r}, {len(self._compiled)} compiled)"

    def __call__(self, *args: Any) -> Value:
        compiled = self._last_compiled
        if compiled is not None and _same(args, self._last_args):  # the same arguments as last time
            numbers_, values = self._last_numbers, self._last_values
            for position, v in values:  # a Value argument's data may have changed
                numbers_[position] = _number(v.data, v)
            inputs = compiled.inputs_of(numbers_) if values else self._last_inputs
        else:
            key, numbers_, values = _flatten(args)
            snapshot = _copy(args)  # before the function runs, in case it changes its arguments
            compiled = self._compiled.get(key)
            if compiled is None:
                compiled = self._trace(args, key, numbers_, input_grads=bool(values))
            self._last_args, self._last_compiled = snapshot, compiled
            self._last_numbers, self._last_values = numbers_, values
            inputs = self._last_inputs = compiled.inputs_of(numbers_)
        try:
            value, input_grads, param_grads = compiled.run(inputs)
        except (ArithmeticError, ValueError):
            # numpy trapped a floating-point exception, or a result was not finite: the engine
            # decides, with its own error or its own result, as compile() does (compiled.replays counts these)
            compiled.replays += 1
            out, leaves, _, param_grads = self._eagerly(compiled, args, numbers_)
            value, input_grads = out.data, [leaf.grad for leaf in leaves]
        if self._check:
            self._compare(compiled, args, value, input_grads, param_grads)
        if not values:  # the usual case: the parameters are the node's inputs
            return _node_of(value, compiled.sources, param_grads)
        sources = compiled.sources + tuple(v for _, v in values)
        grads = [*param_grads, *(input_grads[position] for position, _ in values)]
        return _node_of(value, sources, grads)

    # ------------------------------------------------------------------ tracing

    def _trace(self, args: tuple[Any, ...], key: tuple[Any, ...], numbers_: list[float], input_grads: bool
               ) -> _Compiled:
        if not records_graph():
            raise RuntimeError("jit: the first call traces the function, which no_grad() prevents; "
                               "make it outside the block")
        start = time.perf_counter()
        with paused_gc():  # tracing makes one object per node: see compile()
            # Two traces: a leaf met in both existed before the call (a parameter); one made
            # by the function itself is new each time (a constant).
            first_leaves, first_out = self._run_eagerly(args, numbers_)
            before = {id(node): node for node in topological_order(first_out) if not node.inputs}
            leaves, out = self._run_eagerly(args, numbers_)
            order = topological_order(out)
            inputs = set(leaves)
            params = [node for node in order if not node.inputs and node not in inputs and id(node) in before
                      and before[id(node)] is node]
            del first_leaves, first_out, before
            backend = self._backend or _default_backend()
            with warnings.catch_warnings():
                if self._backend is None:  # automatic: scalar Python where nothing repeats is no surprise
                    warnings.filterwarnings("ignore", message="compile\\(backend='numpy'\\): nothing")
                # gradients for the inputs only where a Value argument will receive them
                function, source, used, description, parts = generate_function(backend, order, out, leaves, params,
                                                                                input_grads=input_grads)
        self.traces += 1
        compiled = _Compiled(function, parts, params, source, used, description, _signature(order),
                             time.perf_counter() - start)
        self._compiled[key] = compiled
        return compiled

    def _run_eagerly(self, args: tuple[Any, ...], numbers_: list[float]) -> tuple[list[Value], Value]:
        """f on fresh leaves holding the arguments' numbers: (the leaves, in flat order, and f's result)."""
        leaves = [Value(x, label=f"x{i}") for i, x in enumerate(numbers_)]
        out = self._f(*_rebuild(args, iter(leaves)))
        if not isinstance(out, Value):
            raise TypeError(f"jit: {getattr(self._f, '__name__', 'f')} must return a Value, got {type(out).__name__}")
        return leaves, out

    def _eagerly(self, compiled: _Compiled, args: tuple[Any, ...], numbers_: list[float]
                 ) -> tuple[Value, list[Value], list[Value], list[float]]:
        """f run and differentiated by the engine: its output, input leaves, graph and the
        parameters' gradients (measured from 0; every .grad is left as it was)."""
        leaves, out = self._run_eagerly(args, numbers_)
        with grads_set_for_a_while(compiled.params):
            out.backward()
            return out, leaves, topological_order(out), [p.grad for p in compiled.params]

    def _compare(self, compiled: _Compiled, args: tuple[Any, ...], value: float, input_grads: Sequence[float],
                 param_grads: Sequence[float]) -> None:
        """check=True: the eager function on the same arguments must build the traced graph and agree."""
        out, leaves, order, eager_param_grads = self._eagerly(compiled, args, self._last_numbers)
        if _signature(order) != compiled.signature:
            raise CompileMismatchError("jit: the graph built on this call differs from the traced one "
                                       "(control flow on .data inside the function?): compiled results would be wrong")
        problem = _disagreement(order, value, input_grads, param_grads, out.data, [leaf.grad for leaf in leaves],
                                eager_param_grads)
        if problem:
            raise CompileMismatchError(f"jit: {problem}")

    # ------------------------------------------------------------------ what was compiled

    def compiled(self) -> list[Any]:
        """What each argument structure compiled to: (backend, description, source, seconds), in order."""
        return [(c.backend, c.description, c.source, c.seconds) for c in self._compiled.values()]


class _Compiled:
    """The code for one argument structure, and the parameters it reads."""

    def __init__(self, function: Callable[..., Any], parts: Prepared | None, params: list[Value], source: str,
                 backend: str, description: str, signature: tuple[Any, ...], seconds: float) -> None:
        # numpy's code in its two parts: the inputs prepared once per data set, then run
        self.prepare: Callable[..., Any] | None = parts.prepare if parts is not None else None
        self.function = parts.run if parts is not None else function
        self.params, self.source = params, source
        self.sources = tuple(params)  # the result node's inputs (Value arguments follow them)
        self.backend, self.description, self.signature, self.seconds = backend, description, signature, seconds
        self._zeros = [0.0] * len(params)  # the gradients the code starts from
        self._np = import_numpy() if parts is not None else None
        self._float64 = self._np.dtype(float) if self._np is not None else None
        self.replays = 0  # calls the engine computed instead (a floating-point trap in array code)

    def inputs_of(self, numbers_: list[float]) -> Any:
        """The numbers as the code takes them: for numpy's code, arrays prepared once for a data
        set that does not change (converting 800 floats and gathering them into the layout of a
        layer's input take longer than much of a step)."""
        return numbers_ if self.prepare is None else self.prepare(numbers_)

    def run(self, numbers_: Any) -> tuple[float, Sequence[float], Sequence[float]]:
        """(value, input gradients, parameter gradients) on these inputs and the parameters' data now."""
        params = [p.data for p in self.params]
        if self._np is not None:  # numpy's code: the array it needs, whose type says whether all were numbers
            try:
                array = self._np.array(params)
            except (ValueError, TypeError):  # lists of several lengths among them: _number names the first
                array = None
            if array is not None and array.dtype == self._float64 and array.ndim == 1:
                return self.function(numbers_, array, None)  # type: ignore[no-any-return]
        elif set(map(type, params)) <= _FLOAT:  # checked at C speed
            return self.function(numbers_, params, self._zeros)  # type: ignore[no-any-return]
        # an int, a Value or a string assigned to .data: a float, or a TypeError naming the parameter
        params = [_number(x, p) for x, p in zip(params, self.params)]
        return self.function(numbers_, params, self._zeros)  # type: ignore[no-any-return]


_FLOAT = frozenset((float,))


def _default_backend() -> str:
    try:
        import numpy  # noqa: F401
    except ImportError:
        return "python"
    return "numpy"


# ---------------------------------------------------------------------- the result node


def _pass_back(local_grads: tuple[float, ...], out: Value) -> None:
    # d out/d source_i was computed by the compiled code: the chain rule multiplies it by out's gradient
    g = out.grad
    if g == 1.0:  # backward() called on this node: 1.0 * local is local, bit for bit, so skip the product
        for source, local in zip(out._many, local_grads):
            source.grad += local
        return
    for source, local in zip(out._many, local_grads):
        source.grad += g * local


def _node_of(value: float, sources: tuple[Value, ...], grads: Sequence[float]) -> Value:
    """One node holding f's value whose inputs are `sources` (as an n-ary node's, whatever their
    number) and whose local gradients are `grads`; a leaf when nothing leads back."""
    if not sources:
        return engine._leaf(value)
    return engine._node(value, "jit", functools.partial(_pass_back, tuple(grads)), None, many=sources)


# ---------------------------------------------------------------------- arguments


def _number(x: object, where: object) -> float:
    """A Value's data (or a parameter's) as a float, or a TypeError naming the Value."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(f"jit: {where!r} holds {type(x).__name__} {short_repr(x)}, not a number")


def _flatten(args: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[float], list[tuple[int, Value]]]:
    """The arguments' structure (a hashable key), their numbers in order, and where Values are."""
    numbers_: list[float] = []
    values: list[tuple[int, Value]] = []

    def walk(x: Any, path: str) -> Any:
        kind = type(x)
        if kind is float:
            numbers_.append(x)
            return "n"
        if kind is list or kind is tuple:
            return ("L" if kind is list else "T", tuple(walk(item, f"{path}[{i}]") for i, item in enumerate(x)))
        if isinstance(x, Value):
            values.append((len(numbers_), x))
            numbers_.append(_number(x.data, x))
            return "v"
        if isinstance(x, numbers.Integral):  # static: a label, a class index, a count
            return ("i", int(x))
        if isinstance(x, numbers.Real):
            numbers_.append(float(x))
            return "n"
        if isinstance(x, (list, tuple)):  # a subclass (a named tuple): as its base
            return walk(list(x) if isinstance(x, list) else tuple(x), path)
        hint = "; for an array, pass array.tolist()" if hasattr(x, "tolist") else ""
        raise TypeError(f"jit: argument {path} is {type(x).__name__} {short_repr(x)}; a jitted function takes numbers, "
                        f"Values and (nested) lists or tuples of them{hint}")

    key = tuple(walk(arg, str(i)) for i, arg in enumerate(args))
    return key, numbers_, values


def _same(args: tuple[Any, ...], last: Any) -> bool:
    """Whether `args` equal the last call's copied arguments (an array among them never does:
    comparing one gives an array, which _flatten then refuses with its own message)."""
    try:
        return bool(args == last)
    except (ValueError, TypeError):
        return False


def _copy(x: Any) -> Any:
    """A copy of the argument structure that later calls compare with (lists and tuples anew)."""
    if type(x) is list:
        return [_copy(item) for item in x]
    if type(x) is tuple:
        return tuple([_copy(item) for item in x])
    return x


def _rebuild(x: Any, leaves: Any) -> Any:
    """The arguments with every number and Value replaced by the next leaf, nesting kept."""
    if isinstance(x, list):
        return [_rebuild(item, leaves) for item in x]
    if isinstance(x, tuple):
        return tuple(_rebuild(item, leaves) for item in x)
    if isinstance(x, numbers.Integral) and not isinstance(x, Value):
        return x  # static, as traced
    return next(leaves)
