"""`grad()`: gradients as values you can use, and differentiate again.

    dx, = grad(y, [x])                       # dy/dx, leaving every .grad untouched
    dx, = grad(y, [x], create_graph=True)    # dy/dx as a graph of Values ...
    d2x, = grad(dx, [x])                     # ... so that it has a derivative too

`backward()` fills in `.grad` with numbers. `grad()` answers the same question as a list, one
Value per input, and with `create_graph=True` those Values are built by ops, so the gradient
is itself a function of the inputs: differentiate it again for a second derivative (Newton's
method, a Hessian), and again for a third.

No derivative is written here. With `create_graph=False` the engine's own rules run, exactly
as in `backward()`. With `create_graph=True` each rule's formula is read from the rule itself
(by running it on symbols, compiler/symbolic.py, as the code generators do) and evaluated on
Values instead of floats: `g * a * (1 - a)` for sigmoid, where `a` is the sigmoid's own output
node, so its derivative flows through that node by its own rule. A rule written by hand, the
lecture's way (a closure), has no formula to read: such a graph can be differentiated once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from ._checks import to_float
from ._graph import grads_set_for_a_while
from ._numerics import sign
from .engine import Value, topological_order

__all__ = ["grad"]


def grad(outputs: Value | Sequence[Value], inputs: Sequence[Value],
         grad_outputs: float | Value | Sequence[float | Value] | None = None,
         create_graph: bool = False) -> list[Value]:
    """The gradient of `outputs` with respect to each of `inputs`, as `torch.autograd.grad` means it.

    Args:
        outputs: a Value, or a list of Values whose gradients are added up (weighted by
            `grad_outputs`).
        inputs: the Values to differentiate with respect to.
        grad_outputs: the weight of each output (d loss/d output), 1.0 each by default.
        create_graph: if True, the gradients are Values built from the inputs by ops, so they
            can be differentiated again, to any order; if False, leaves holding the numbers.

    Returns one Value per input, in order: Value(0.0) for an input the outputs do not depend
    on. Every `.grad` is left as it was.
    """
    outs = _values(outputs, "outputs")
    ins = _values(inputs, "inputs")
    weights = _weights(grad_outputs, len(outs))
    order = list(dict.fromkeys(node for out in outs for node in topological_order(out)))
    if create_graph:
        found = _gradients_as_graphs(order, outs, weights)
        return [_as_value(found.get(x, 0.0)) for x in ins]
    numbers = _gradients_as_numbers(order, outs, [w.data if isinstance(w, Value) else w for w in weights], ins)
    return [Value(g) for g in numbers]


def _values(x: object, what: str) -> list[Value]:
    if isinstance(x, Value):
        return [x]
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"grad: {what} must be a Value or a list of Values, got {type(x).__name__} {x!r}")
    for i, v in enumerate(x):
        if not isinstance(v, Value):
            raise TypeError(f"grad: {what}[{i}] must be a Value, got {type(v).__name__} {v!r}")
    if what == "outputs" and not x:
        raise ValueError("grad: no outputs given")
    return list(x)


def _weights(grad_outputs: object, n: int) -> list[float | Value]:
    if grad_outputs is None:
        return [1.0] * n
    given = [grad_outputs] if isinstance(grad_outputs, (Value, int, float)) else grad_outputs
    if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
        raise TypeError(f"grad: grad_outputs must be a number, a Value or a list of them, got "
                        f"{type(grad_outputs).__name__} {grad_outputs!r}")
    if len(given) != n:
        raise ValueError(f"grad: {len(given)} grad_outputs for {n} outputs; give one per output")
    return [w if isinstance(w, Value) else to_float(w, f"grad: grad_outputs[{i}]") for i, w in enumerate(given)]


def _as_value(x: float | Value) -> Value:
    return x if isinstance(x, Value) else Value(x)


# ---------------------------------------------------------------------- numbers: the engine's rules


def _gradients_as_numbers(order: list[Value], outs: list[Value], weights: list[float],
                          ins: list[Value]) -> list[float]:
    """Run the rules as backward() does, from the weighted outputs, and read the inputs'
    gradients; every node's .grad is restored afterwards."""
    with grads_set_for_a_while(order):
        for out, w in zip(outs, weights):
            out.grad += w
        for node in reversed(order):
            if node._backward_rule is not None and node.grad:  # as backward(): a zero gradient passes nothing
                node._backward_rule(node)
        on_graph = set(order)
        return [x.grad if x in on_graph else 0.0 for x in ins]


# ---------------------------------------------------------------------- Values: the rules' formulas


def _gradients_as_graphs(order: list[Value], outs: list[Value], weights: list[float | Value]) -> dict[Value, Any]:
    """Every node's gradient (a Value, or a float where it is a constant) built by ops from the
    rules' formulas, in reverse topological order."""
    from .compiler import symbolic

    gradient: dict[Value, Any] = {}
    for out, w in zip(outs, weights):
        gradient[out] = gradient[out] + w if out in gradient else w
    for node in reversed(order):
        g = gradient.get(node)
        inputs = node.inputs
        if g is None or not inputs or (type(g) is float and g == 0.0):  # a constant zero passes nothing back
            continue
        try:
            contributions = symbolic.trace_rule(node._backward_rule, len(inputs))
        except symbolic.UntraceableRule:
            raise TypeError(f"grad(create_graph=True): the node of op {node.op!r} has a backward rule written by "
                            "hand (a per-node _backward closure), whose formula cannot be read to build its "
                            "gradient as a graph; build it from the engine's ops, or use create_graph=False") from None
        names: dict[str, Any] = {"{g}": g, "{out}": node, "{c}": node._constant}
        names.update((f"{{{i}}}", child) for i, child in enumerate(inputs))
        for contribution in contributions:
            term = _evaluate(contribution.term, names)
            child = inputs[contribution.input]
            if child in gradient:
                before = gradient[child]
                gradient[child] = before + term if contribution.sign > 0 else before - term
            else:
                gradient[child] = term if contribution.sign > 0 else -term
    return gradient


def _power_slope(a: Any, n: Any) -> Any:
    # d(a**n)/da = n * a**(n-1), with Values where they are given
    if not isinstance(n, Value) and n == 0.0:
        return 0.0
    return n * a ** (n - 1.0)


def _sign(z: Any) -> float:
    # the slope of |z| is a step: its own derivative is 0 (a constant where z is a Value)
    return sign(z.data if isinstance(z, Value) else z)


# The functions the rules call, for arguments that may be Values: each by the Value op that
# computes it, so that its own derivative is known. Names are the tracer's code names.
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "_log": lambda a: a.log() if isinstance(a, Value) else math.log(a),
    "_exp": lambda a: a.exp() if isinstance(a, Value) else math.exp(a),
    "_sin": lambda a: a.sin() if isinstance(a, Value) else math.sin(a),
    "_cos": lambda a: a.cos() if isinstance(a, Value) else math.cos(a),
    "_stable_sigmoid": lambda a: a.sigmoid() if isinstance(a, Value) else _float_function("_stable_sigmoid")(a),
    "_power_slope": _power_slope,
    "_sign": _sign,
}


def _float_function(code_name: str) -> Callable[..., float]:
    from .compiler import symbolic

    return symbolic.function_namespace()[code_name]


def _evaluate(expr: Any, names: dict[str, Any]) -> Any:
    """What the formula `expr` gives with each name's value from `names` (Values or floats),
    computed with Value ops where a Value is involved."""
    kind, args = expr.kind, expr.args
    if kind == "name":
        return names[args[0]]
    if kind == "const":
        return args[0]
    if kind == "neg":
        return -_evaluate(args[0], names)
    if kind == "where":  # only the branch taken is computed (and differentiated)
        condition, if_true, if_false = args
        return _evaluate(if_true if _evaluate(condition, names) else if_false, names)
    if kind == "call":
        values = [_evaluate(a, names) for a in args[1:]]
        function = _FUNCTIONS.get(args[0])
        if function is not None:
            return function(*values)
        if any(isinstance(v, Value) for v in values):
            raise TypeError(f"grad(create_graph=True): a rule calls {args[0][1:]}(), which has no form on Values")
        return _float_function(args[0])(*values)
    left, right = _evaluate(args[0], names), _evaluate(args[1], names)
    return _OPERATORS[kind](left, right)


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "**": lambda a, b: a ** b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
