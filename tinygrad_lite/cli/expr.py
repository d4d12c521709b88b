"""Parse arithmetic expressions of named variables into Value graphs, safely (no eval).

    build("tanh(a*b + c)", {"a": 2.0, "b": -3.0, "c": 1.0})  ->  the output Value

Only numbers, the named variables, + - * / ** (and unary - +), and the functions in
FUNCTIONS are accepted; anything else raises ExpressionError saying what is not allowed.
The expression is read with Python's `ast` parser and walked by hand: nothing is executed.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from .. import ops
from ..engine import Value

__all__ = ["build", "parse_values", "quoted", "ExpressionError", "FUNCTIONS"]

FUNCTIONS: dict[str, Callable[..., Value]] = ops.FUNCTIONS
"""The functions an expression may call: the ops written as functions, from the op table."""

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Value]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}

MAX_LENGTH = 10_000
QUOTE_LENGTH = 80
"""How much of an expression a message quotes: a long one is cut, so that errors stay one readable line."""


def quoted(text: str, limit: int = QUOTE_LENGTH) -> str:
    """`text` in quotes for a message, cut to about `limit` characters with "..." if longer."""
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit - 3]) + "..."


class ExpressionError(ValueError):
    """The expression or the variable values cannot be used; the message says why."""


def parse_values(text: str) -> dict[str, float]:
    """Parse "a=2,b=-3.5" into {"a": 2.0, "b": -3.5}."""
    values: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ExpressionError(f"bad value {quoted(item)}: write name=number, e.g. a=2,b=-3")
        if name in values:
            raise ExpressionError(f"{name} is given twice in the values; give each variable once")
        try:
            values[name] = float(number)
        except ValueError:
            raise ExpressionError(f"bad value for {name}: {quoted(number.strip())} is not a number") from None
    return values


def build(expression: str, values: dict[str, float]) -> Value:
    """The Value computed by `expression`, with each variable a labelled leaf set from `values`."""
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(f"expression too long ({len(expression)} characters, at most {MAX_LENGTH})")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"cannot parse {quoted(expression)}: {error.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("expression nested too deeply to draw") from None
    leaves = {name: Value(v, label=name) for name, v in values.items()}
    used: set[str] = set()
    try:
        result = _walk(tree.body, leaves, used)
    except RecursionError:
        raise ExpressionError("expression nested too deeply to draw") from None
    unused = sorted(set(values) - used)
    if unused:
        raise ExpressionError(f"values given for variables not in the expression: {quoted(', '.join(unused))}")
    if not isinstance(result, Value):
        result = Value(result)
    return result


def _walk(node: ast.AST, leaves: dict[str, Value], used: set[str]) -> Value | float:
    """Evaluate one syntax-tree node (recursion depth follows the nesting of the expression)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in leaves:
            raise ExpressionError(f"no value given for variable {quoted(node.id)} (add it to --values)")
        used.add(node.id)
        return leaves[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _walk(node.left, leaves, used), _walk(node.right, leaves, used)
        if not isinstance(left, Value) and not isinstance(right, Value):
            left = Value(left)
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _walk(node.operand, leaves, used)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExpressionError(f"unknown function {quoted(name)}; available: {', '.join(sorted(FUNCTIONS))}")
        args = [_walk(arg, leaves, used) for arg in node.args]
        takes_constant = any(form.operands == "x c" for form in ops.op_named(name).forms.values())  # type: ignore[union-attr]
        expected = (1, 2) if takes_constant else (1,)  # leaky_relu(z) or leaky_relu(z, slope)
        if len(args) not in expected:
            raise ExpressionError(f"{name} takes {' or '.join(map(str, expected))} argument(s), got {len(args)}")
        first = args[0] if isinstance(args[0], Value) else Value(args[0])
        rest = [a.data if isinstance(a, Value) else a for a in args[1:]]
        return FUNCTIONS[name](first, *rest)
    raise ExpressionError(f"not allowed in an expression: {quoted(ast.unparse(node))} (use numbers, variables, + - * / ** and "
                          f"{', '.join(sorted(FUNCTIONS))})")
