"""Read a backward rule's formula by running it on symbols: the engine's rules, as code.

The engine writes each derivative once, as a backward rule beside its op. Code generators
(`compile`, and any other backend) need the same formula as text, and must not keep a second
hand-written copy that could drift from the rule. So they run the rule itself on a stand-in
node whose `data` and `grad` are symbols: arithmetic on a symbol builds an expression, and
`x.grad += term` or `x.grad -= term` on an input records a contribution. What the rule did,
in the order it did it, comes back as expression trees:

    trace_rule(Value._tanh_backward, 1)
      -> [Contribution(input=0, sign=+1, term=g * (1.0 - out * out))]

Functions a rule calls (`math.log`, the engine's `stable_sigmoid`, `_power_slope`, `where`)
are replaced, for the run, by recorders named after them, so `math.log(a)` becomes the call
`_log(a)` in the expression; `function_namespace()` maps those names back to the functions.

A symbol cannot be truth-tested: a rule that branches on data (`if z > 0:`) cannot be
traced. Such a rule declares a branch-free form beside it, written with `where(condition,
if_true, if_false)`, and the tracer runs that instead (see branch_free.py).

Expressions are small trees (`Expr`) that a printer turns into source: `to_python` writes
Python with exactly the parentheses needed to evaluate the operations in the same order as
the rule did, so generated code gives bit-identical results.
"""

from __future__ import annotations

import functools
import math
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import _numerics
from .._lecture import passes_nothing
from .branch_free import ARRAY_FORMS, BRANCH_FREE_FORMS

__all__ = ["Expr", "Contribution", "trace_rule", "trace_function", "to_python", "to_numpy", "numpy_namespace",
           "evaluate", "function_namespace", "where", "call", "UntraceableRule", "cancel", "divisions", "replace",
           "same"]


class UntraceableRule(TypeError):
    """A backward rule that cannot be read as a formula (it branches on data with no
    branch-free form, or is a closure written by hand)."""


# Python's operator precedence, lowest first, for the printer's parentheses.
_PRECEDENCE = {"if": 1, "cmp": 5, "+": 10, "-": 10, "*": 20, "/": 20, "neg": 30, "**": 40, "atom": 50}
_COMPARISONS = {"<", "<=", ">", ">=", "==", "!="}


class Expr:
    """A node of an expression tree: `kind` is "name", "const", an operator (+ - * / ** neg,
    a comparison), "call" (args[0] is the function's name) or "where" (condition, if_true,
    if_false). Arithmetic on an Expr builds a bigger one."""

    __slots__ = ("kind", "args")

    def __init__(self, kind: str, *args: object) -> None:
        self.kind = kind
        self.args = args

    def __repr__(self) -> str:
        return to_python(self)

    def __bool__(self) -> bool:
        raise UntraceableRule("a backward rule branched on a symbolic value; declare its branch-free form "
                              "in compiler/branch_free.py, using where(condition, if_true, if_false)")

    # arithmetic: each builds the node Python would evaluate
    def __add__(self, other: object) -> Expr:
        return Expr("+", self, _expr(other))

    def __radd__(self, other: object) -> Expr:
        return Expr("+", _expr(other), self)

    def __sub__(self, other: object) -> Expr:
        return Expr("-", self, _expr(other))

    def __rsub__(self, other: object) -> Expr:
        return Expr("-", _expr(other), self)

    def __mul__(self, other: object) -> Expr:
        return Expr("*", self, _expr(other))

    def __rmul__(self, other: object) -> Expr:
        return Expr("*", _expr(other), self)

    def __truediv__(self, other: object) -> Expr:
        return Expr("/", self, _expr(other))

    def __rtruediv__(self, other: object) -> Expr:
        return Expr("/", _expr(other), self)

    def __pow__(self, other: object) -> Expr:
        return Expr("**", self, _expr(other))

    def __rpow__(self, other: object) -> Expr:
        return Expr("**", _expr(other), self)

    def __neg__(self) -> Expr:
        return Expr("neg", self)

    def __lt__(self, other: object) -> Expr:
        return Expr("<", self, _expr(other))

    def __le__(self, other: object) -> Expr:
        return Expr("<=", self, _expr(other))

    def __gt__(self, other: object) -> Expr:
        return Expr(">", self, _expr(other))

    def __ge__(self, other: object) -> Expr:
        return Expr(">=", self, _expr(other))

    __hash__ = object.__hash__


def _expr(x: object) -> Expr:
    if isinstance(x, Expr):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Expr("const", float(x))
    raise UntraceableRule(f"a backward rule combined a symbol with {type(x).__name__} {x!r}")


def name(text: str) -> Expr:
    """A variable of the generated code."""
    return Expr("name", text)


@dataclass(frozen=True)
class Contribution:
    """One `x.grad += term` (sign +1) or `x.grad -= term` (sign -1) that a rule makes to input
    number `input` of its node."""

    input: int
    sign: int
    term: Expr


# ---------------------------------------------------------------------- the stand-in node


class _Accumulation:
    """What `x.grad += term` assigns back to `x.grad`: the recorded term and its sign."""

    def __init__(self, sign: int, term: Expr) -> None:
        self.sign, self.term = sign, term


class _GradSlot:
    """The value of an input's `.grad` during a trace: it can only be added to or subtracted
    from, as the chain rule accumulates; reading it otherwise is refused."""

    def __add__(self, term: object) -> _Accumulation:
        return _Accumulation(+1, _expr(term))

    def __sub__(self, term: object) -> _Accumulation:
        return _Accumulation(-1, _expr(term))


class _SymbolicInput:
    """An input of the stand-in node: `data` is its symbol; contributions to `grad` are recorded."""

    def __init__(self, index: int, data: Expr, record: list[Contribution]) -> None:
        self._index, self.data, self._record = index, data, record

    @property
    def grad(self) -> _GradSlot:
        return _GradSlot()

    @grad.setter
    def grad(self, value: object) -> None:
        if not isinstance(value, _Accumulation):
            raise UntraceableRule("a backward rule assigned an input's grad instead of adding to it (grad += ...)")
        self._record.append(Contribution(self._index, value.sign, value.term))


class _SymbolicNode:
    """The node a rule receives: its output `data`, its gradient `grad` and its inputs, as symbols."""

    def __init__(self, inputs: Sequence[_SymbolicInput], out: Expr, grad: Expr) -> None:
        self.data, self.grad = out, grad
        # Every way a rule may read its inputs: a unary or binary rule reads _a and _b, an
        # n-ary one (sum, linear) the tuple _many.
        self._a = inputs[0] if len(inputs) > 0 else None
        self._b = inputs[1] if len(inputs) > 1 else None
        self._many = tuple(inputs)
        self._constant = name("{c}")  # the plain-number operand of ops such as x * 0.5


# ---------------------------------------------------------------------- functions rules call


def _code_name(function: Callable[..., Any]) -> str:
    """The name a function has in generated code: `_` and its own name (`_log`, `_stable_sigmoid`)."""
    return "_" + function.__name__.lstrip("_")


def _recorder(function: Callable[..., Any]) -> Callable[..., Expr]:
    """Stands in for `function` while a rule is traced: a call becomes an Expr of kind "call"."""

    def record(*args: object) -> Expr:
        return call(function, *args)

    return record


def where(condition: object, if_true: object, if_false: object) -> Expr:
    """`if_true if condition else if_false` as an expression (numpy's where, for arrays)."""
    return Expr("where", _expr(condition), _expr(if_true), _expr(if_false))


def call(function: Callable[..., Any], *args: object) -> Expr:
    """`function(*args)` as an expression, under the function's code name (`math.log` -> `_log`)."""
    return Expr("call", _code_name(function), *(_expr(a) for a in args))


class _SymbolicMath:
    """Stands in for the `math` module while a rule is traced."""

    def __getattr__(self, attribute: str) -> Callable[..., Expr]:
        return _recorder(getattr(math, attribute))


def _symbolic_globals(rule: Callable[..., Any]) -> dict[Any, Any]:
    """The rule's module globals, with every function and the math module it names replaced by a recorder."""
    names = dict(rule.__globals__)
    for global_name in rule.__code__.co_names:
        value = names.get(global_name)
        if value is math:
            names[global_name] = _SymbolicMath()
        elif value is _numerics.where:
            names[global_name] = where
        elif isinstance(value, (types.FunctionType, types.BuiltinFunctionType)):
            names[global_name] = _recorder(value)
    return names


@functools.cache
def function_namespace() -> Mapping[str, Callable[..., Any]]:
    """What generated code may call, by code name: every function of the math module and of the
    engine (the ones its ops and rules call among them), so a new op's helpers need no list.
    Built once (evaluate looks functions up here for every call it meets) and read-only."""
    functions = [getattr(math, n) for n in dir(math) if callable(getattr(math, n))]
    functions += [f for f in vars(_numerics).values() if isinstance(f, types.FunctionType) and f.__module__ == _numerics.__name__]
    return types.MappingProxyType({_code_name(f): f for f in functions})


# ---------------------------------------------------------------------- tracing


def traced_form(rule: Callable[..., Any]) -> Callable[..., Any]:
    """The function to trace for `rule`: its declared branch-free form, if it has one."""
    if not isinstance(rule, types.FunctionType) or rule is passes_nothing:
        raise UntraceableRule(f"{rule!r} is not one of the engine's backward rules")
    return BRANCH_FREE_FORMS.get(rule, rule)


@functools.cache
def trace_rule(rule: Callable[..., Any], n_inputs: int) -> tuple[Contribution, ...]:
    """Run `rule` on a stand-in node of `n_inputs` inputs named "{0}", "{1}", ..., output
    "{out}", gradient "{g}" and constant operand "{c}"; return its contributions in the order
    it made them."""
    form = traced_form(rule)
    record: list[Contribution] = []
    inputs = [_SymbolicInput(i, name(f"{{{i}}}"), record) for i in range(n_inputs)]
    node = _SymbolicNode(inputs, name("{out}"), name("{g}"))
    symbolic = types.FunctionType(form.__code__, _symbolic_globals(form), form.__name__, form.__defaults__,
                                  form.__closure__)
    try:
        symbolic(node)
    except AttributeError as error:
        raise UntraceableRule(f"{rule.__qualname__} reads something a traced node does not have: {error}") from None
    return tuple(record)


@functools.cache
def trace_function(function: Callable[..., Any], n_args: int) -> Expr:
    """What `function` (of plain arithmetic, math functions and `where`) returns for arguments
    named "{0}", "{1}", ...: its formula as an expression."""
    symbolic = types.FunctionType(function.__code__, _symbolic_globals(function), function.__name__,
                                  function.__defaults__, function.__closure__)
    return _expr(symbolic(*(name(f"{{{i}}}") for i in range(n_args))))


@functools.cache
def derivative_note(rule: Callable[..., Any]) -> str:
    """The rule's own comment (`# d tanh(z)/dz = 1 - a**2 ...`), for a comment in generated code.
    Read from the source once per rule (generators ask for it once per node)."""
    import inspect

    try:
        lines = inspect.getsource(rule).splitlines()
    except (OSError, TypeError):
        return ""
    for line in lines:
        text = line.strip()
        if text.startswith("# d"):
            # the formulas only: "d relu(z)/dz = ...; the output is ..." keeps the first part
            return "; ".join(part.strip() for part in text[2:].split(";") if part.strip().startswith("d"))
    return ""


# ---------------------------------------------------------------------- evaluating


_BINARY: dict[str, Callable[[float, float], object]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "**": lambda a, b: a**b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}


def evaluate(expr: Expr, values: dict[str, float]) -> float:
    """The number `expr` stands for, with each name's value from `values`: the same operations
    in the same order as the generated code, so the same float."""
    kind, args = expr.kind, expr.args
    if kind == "name":
        return values[args[0]]  # type: ignore[index]
    if kind == "const":
        return args[0]  # type: ignore[return-value]
    if kind == "neg":
        return -evaluate(args[0], values)  # type: ignore[arg-type]
    if kind == "call":
        function = function_namespace()[args[0]]  # type: ignore[index]
        return float(function(*(evaluate(a, values) for a in args[1:])))  # type: ignore[arg-type]
    if kind == "where":
        condition, if_true, if_false = args
        return evaluate(if_true if evaluate(condition, values) else if_false, values)  # type: ignore[arg-type]
    return _BINARY[kind](evaluate(args[0], values), evaluate(args[1], values))  # type: ignore[arg-type,return-value]


# ---------------------------------------------------------------------- rewriting


def substitute(expr: Expr, values: dict[str, Expr]) -> Expr:
    """`expr` with each name found in `values` replaced by its expression there."""
    if expr.kind == "name":
        return values.get(str(expr.args[0]), expr)
    if expr.kind == "const":
        return expr
    if expr.kind == "call":
        return Expr("call", expr.args[0], *(substitute(a, values) for a in expr.args[1:]))  # type: ignore[arg-type]
    return Expr(expr.kind, *(substitute(a, values) for a in expr.args))  # type: ignore[arg-type]


def fold(expr: Expr) -> Expr:
    """`expr` with what is known at generation time worked out, changing no result bit: a part
    made of constants only becomes its value (computed by the same operations as at run time),
    `1.0 * e` and `e * 1.0` become `e`, and a `where` with a constant condition its branch."""
    kind = expr.kind
    if kind in ("name", "const"):
        return expr
    head = [expr.args[0]] if kind == "call" else []
    args = [fold(a) for a in expr.args[len(head):]]  # type: ignore[arg-type]
    if kind == "where" and args[0].kind == "const":
        return args[1] if args[0].args[0] else args[2]
    if all(a.kind == "const" for a in args):
        try:
            return Expr("const", evaluate(Expr(kind, *head, *args), {}))
        except (ArithmeticError, ValueError):  # left for run time, which raises as the engine does
            pass
    if kind == "*":  # 1.0 * e is e, bit for bit, whatever e is (NaN, infinities, -0.0 included)
        if _is_one(args[0]):
            return args[1]
        if _is_one(args[1]):
            return args[0]
    return Expr(kind, *head, *args)


def _is_one(expr: Expr) -> bool:
    return expr.kind == "const" and type(expr.args[0]) is float and expr.args[0] == 1.0


# ---------------------------------------------------------------------- cancelling factors
# Rules composed along a chain of nodes can divide by what the next rule multiplies by: log's
# g / a followed by sigmoid's g * a * (1 - a). Taking such a factor out changes the result
# only by rounding (a few units in the last place), so it is for code that promises to agree
# with the engine to a tolerance (the numpy backend), never for the bit-for-bit Python backend.


def cancel(expr: Expr) -> Expr:
    """`expr`, a product and quotient of factors (a sign in front), with each factor that it
    both divides and multiplies by taken out: `(g / a) * a * (1.0 - a)` gives `g * (1.0 - a)`."""
    negative, numerator, denominator = _factors(expr)
    for d in list(denominator):
        for n in numerator:
            if same(n, d):
                numerator.remove(n)
                denominator.remove(d)
                break
    result = numerator[0] if numerator else Expr("const", 1.0)
    for factor in numerator[1:]:
        result = Expr("*", result, factor)
    if denominator:
        below = denominator[0]
        for factor in denominator[1:]:
            below = Expr("*", below, factor)
        result = Expr("/", result, below)
    return Expr("neg", result) if negative else result


def _factors(expr: Expr) -> tuple[bool, list[Expr], list[Expr]]:
    """(whether negated, the factors multiplied, the factors divided by) of a product."""
    if expr.kind == "neg":
        negative, numerator, denominator = _factors(expr.args[0])  # type: ignore[arg-type]
        return not negative, numerator, denominator
    if expr.kind in ("*", "/"):
        left, right = (_factors(a) for a in expr.args)  # type: ignore[arg-type]
        if expr.kind == "*":
            return left[0] != right[0], left[1] + right[1], left[2] + right[2]
        return left[0] != right[0], left[1] + right[2], left[2] + right[1]
    return False, [expr], []


def divisions(expr: Expr) -> int:
    """How many divisions `expr` computes."""
    inner = sum(divisions(a) for a in expr.args if isinstance(a, Expr))
    return inner + (expr.kind == "/")


def replace(expr: Expr, part: Expr, by: Expr) -> Expr:
    """`expr` with every subexpression equal to `part` replaced by `by` (a name for it)."""
    if same(expr, part):
        return by
    if expr.kind in ("name", "const"):
        return expr
    return Expr(expr.kind, *(replace(a, part, by) if isinstance(a, Expr) else a for a in expr.args))


def same(a: Expr, b: Expr) -> bool:
    """Whether two expressions are the same tree (Expr's == builds a comparison instead)."""
    return a.kind == b.kind and to_python(a) == to_python(b)


# ---------------------------------------------------------------------- printing as Python


def to_python(expr: Expr) -> str:
    """Python source that evaluates `expr` with the same operations in the same order."""
    return _print(expr, numpy=False)[0]


def to_numpy(expr: Expr) -> str:
    """Source that evaluates `expr` elementwise over numpy arrays, for a vectorised backend: the
    same operations in the same order, `where` as `np.where` (relu's as `np.maximum`) and math
    functions as numpy's (`_log` as `np.log`). An engine helper with an array form
    (branch_free.ARRAY_FORMS) is written out as that form; any other keeps its code name, and
    the namespace that runs the code applies it element by element (see `numpy_namespace`)."""
    return _print(expr, numpy=True)[0]


def numpy_namespace() -> dict[str, object]:
    """What code from `to_numpy` calls: numpy as `np`, and each engine helper a rule calls,
    applied element by element (the scalar function itself, so no formula is written twice)."""
    import numpy

    names: dict[str, object] = {"np": numpy}
    for code_name, function in function_namespace().items():
        if getattr(function, "__module__", None) != "math":
            names[code_name] = numpy.vectorize(function, otypes=[float])
    return names


def _is_relu(condition: Expr, if_true: Expr, if_false: Expr) -> bool:
    """Whether `where(condition, if_true, if_false)` is relu's `where(x <= 0.0, 0.0, x)`."""
    zero = Expr("const", 0.0)
    return (condition.kind == "<=" and same(condition.args[1], zero)  # type: ignore[arg-type]
            and same(if_true, zero) and same(condition.args[0], if_false))  # type: ignore[arg-type]


def _numpy_function(code_name: str) -> str:
    """The numpy name of a math function called in a rule (`_log` -> `np.log`), else the code name."""
    function = function_namespace().get(code_name)
    if getattr(function, "__module__", None) == "math":
        return "np." + code_name.lstrip("_")
    return code_name


def _print(expr: Expr, numpy: bool) -> tuple[str, int]:
    kind, args = expr.kind, expr.args
    if kind == "name":
        return str(args[0]), _PRECEDENCE["atom"]
    if kind == "const":
        return literal(args[0]), _PRECEDENCE["atom"]  # type: ignore[arg-type]
    if kind == "call" and numpy:
        helper = function_namespace().get(str(args[0]))
        form = ARRAY_FORMS.get(helper)  # type: ignore[arg-type]
        if form is not None:
            inline = trace_function(form, len(args) - 1)
            return _print(substitute(inline, {f"{{{i}}}": a for i, a in enumerate(args[1:])}), numpy)  # type: ignore[misc]
    if kind == "call":
        function = _numpy_function(str(args[0])) if numpy else str(args[0])
        return f"{function}({', '.join(_print(a, numpy)[0] for a in args[1:])})", _PRECEDENCE["atom"]  # type: ignore[arg-type]
    if kind == "neg":
        text, level = _print(args[0], numpy)  # type: ignore[arg-type]
        return "-" + (text if level > _PRECEDENCE["neg"] else f"({text})"), _PRECEDENCE["neg"]
    if kind == "where":
        if numpy and _is_relu(*args):  # type: ignore[arg-type]
            # one pass over the array instead of a comparison and a where; maximum may keep a
            # -0.0 where the engine's relu gives 0.0, and adding 0.0 makes it 0.0 (NaN stays NaN)
            return f"np.maximum({_print(args[2], numpy)[0]}, 0.0) + 0.0", _PRECEDENCE["+"]  # type: ignore[arg-type]
        condition, if_true, if_false = (_print(a, numpy)[0] for a in args)  # type: ignore[arg-type]
        if numpy:
            return f"np.where({condition}, {if_true}, {if_false})", _PRECEDENCE["atom"]
        return f"({if_true} if {condition} else {if_false})", _PRECEDENCE["atom"]
    level = _PRECEDENCE["cmp" if kind in _COMPARISONS else kind]
    (left, left_level), (right, right_level) = _print(args[0], numpy), _print(args[1], numpy)  # type: ignore[arg-type]
    # Left-associative operators: the left operand needs parentheses only when it binds more
    # loosely, the right one also at equal precedence (a - (b - c), and a + (b + c) in floats).
    # ** is right-associative: the other way round.
    if kind == "**":
        left_needs, right_needs = left_level <= level, right_level < level
    elif kind in _COMPARISONS:  # never a chain: a < b < c means something else
        left_needs, right_needs = left_level <= level, right_level <= level
    else:
        left_needs, right_needs = left_level < level, right_level <= level
    left = f"({left})" if left_needs else left
    right = f"({right})" if right_needs else right
    return f"{left} {kind} {right}", level


def literal(x: float) -> str:
    """A float as source text that evaluates to exactly the same float."""
    if x != x:
        return "_NAN"
    if math.isinf(x):
        return "_INF" if x > 0 else "(-_INF)"
    text = repr(x)
    return f"({text})" if text.startswith("-") else text
