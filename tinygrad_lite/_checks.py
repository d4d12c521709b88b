"""Checks of what the engine is given: numbers as floats, or a TypeError that names the value and the op.

Plain functions, called where a value enters the graph (a leaf's data, a plain-number operand,
the operands of an n-ary op), so that bad input fails where it is given, with a message that
says what would do, and never as a silent NaN or a nested graph further on.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Set
from typing import NoReturn

__all__ = ["to_float", "as_constant", "data_of_result", "refuse_unordered", "refuse_names", "refuse_division_by_zero",
           "operand_text", "short_repr"]


def to_float(x: object, where: str) -> float:
    """Convert a real number to float, or raise a TypeError naming `where` and what `x` is."""
    if isinstance(x, float):
        return float(x)
    if type(x) is int or isinstance(x, numbers.Real):  # int, bool, Fraction, numpy
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(f"{where}: {x!r} is too large for a float") from None
    raise TypeError(f"{where} needs a real number (int or float), got {type(x).__name__} {x!r}")


def refuse_unordered(x: object, where: str) -> None:
    """Raise a TypeError naming `where` if `x` is a dict or a set: where a list is expected,
    iterating one reads its keys, or its members in an order that is no one's choice."""
    if isinstance(x, (Mapping, Set)):
        raise TypeError(f"{where} expects a list or tuple, got {type(x).__name__} {short_repr(x)}: its order (or its keys) "
                        "would be read silently; pass list(...) of the values in the order you mean")


def short_repr(x: object) -> str:
    """repr(x), cut to 60 characters for an error message."""
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def data_of_result(x: object, op: str) -> float:
    """The result of `op` as a float, when it came out as something else: an int or numpy number
    (from an input whose .data was set to one) is converted; anything else means an input's
    .data holds no number (a Value assigned to it nests graphs silently), a TypeError."""
    if hasattr(x, "inputs"):
        raise TypeError(f"Value {op}: an input's .data holds a Value, not a number, which would nest one graph in "
                        "another; .data must be a real number (to copy another Value's number, assign w.data, not w)")
    if isinstance(x, numbers.Real):
        return to_float(x, f"Value {op}")
    raise TypeError(f"Value {op}: an input's .data is not a real number (the op gave {type(x).__name__} {x!r}); "
                    ".data must be an int or float")


def as_constant(x: object, op: str) -> float:
    """A plain-number operand of `op` as a float, or a TypeError saying what would do."""
    if type(x) is float:  # the common case, a constant such as the 0.5 in `x * 0.5`
        return x
    if type(x) is int:  # common too (`1 - x`), and checked before the slow check against numbers.Real
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(f"Value {op}: {x!r} is too large for a float") from None
    if isinstance(x, numbers.Real):
        return to_float(x, f"Value {op}")
    raise TypeError(
        f"unsupported operand for Value {op}: {type(x).__name__} {x!r}; use an int, float or Value"
    )


def refuse_names(label: object, op: object) -> NoReturn:
    """Raise the TypeError for a Value's label or op that is not a str."""
    if type(label) is not str:
        raise TypeError(f"Value label must be a str, got {type(label).__name__} {label!r}")
    raise TypeError(f"Value _op must be a str naming the op, got {type(op).__name__} {op!r}")


def refuse_division_by_zero(numerator: object, divisor: object) -> NoReturn:
    """Raise the ZeroDivisionError of `numerator / divisor`, showing both operands."""
    raise ZeroDivisionError(f"division by zero: {operand_text(numerator)} / {operand_text(divisor)}")


def operand_text(x: object) -> str:
    """An operand as an error message shows it: `Value(2.0)` for a Value, the number for a number."""
    return f"Value({x.data!r})" if hasattr(x, "inputs") and hasattr(x, "data") else repr(x)
