"""Numerical helpers the engine's ops and rules call: conversions, clear errors, stable formulas.

They are plain functions of floats, so that a code generator can call them by name from the
code it writes (see compiler/symbolic.py), and their array forms (compiler/branch_free.py) can
be checked against them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Set

__all__ = ["to_float", "as_constant", "checked_pow", "power_slope", "checked_pow_of_values",
           "stable_sigmoid", "where"]


def where(condition: bool, if_true: float, if_false: float) -> float:
    """`if_true if condition else if_false`, as a function: how a branch-free form of a rule
    writes a branch, so that a code generator can record it (as a conditional expression, or
    numpy's where). Eagerly, both values are computed."""
    return if_true if condition else if_false


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
        raise TypeError(f"{where} expects a list or tuple, got {type(x).__name__} {_short(x)}: its order (or its keys) "
                        "would be read silently; pass list(...) of the values in the order you mean")


def _short(x: object) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def data_of_result(x: object, op: str) -> float:
    """The result of `op` as a float, when it came out as something else: an int or numpy number
    (from an input whose .data was set to one) is converted; anything else means an input's
    .data holds no number (a Value assigned to it nests graphs silently), a TypeError."""
    if isinstance(x, numbers.Real) and not hasattr(x, "inputs"):
        return to_float(x, f"Value {op}")
    if hasattr(x, "inputs"):
        raise TypeError(f"Value {op}: an input's .data holds a Value, not a number, which would nest one graph in "
                        "another; .data must be a real number (to copy another Value's number, assign w.data, not w)")
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


def checked_pow(a: float, n: float) -> float:
    """a ** n for floats, raising clear errors instead of returning a complex number."""
    if a < 0.0 and not n.is_integer() and math.isfinite(n):
        raise ValueError(
            f"Value ** {n!r}: a negative base {a!r} with a non-integer exponent has no real result"
        )
    try:
        return float(a ** n)
    except ZeroDivisionError:
        raise ZeroDivisionError(f"division by zero in Value **: {a!r} ** {n!r} (zero to a negative power)") from None
    except OverflowError:
        raise OverflowError(f"Value ** overflow: {a!r} ** {n!r} is larger than the largest float") from None


def power_slope(a: float, n: float) -> float:
    """d(a**n)/da = n * a**(n-1), as micrograd and PyTorch compute it, with its limits where
    a**(n-1) has no float value.

    Not taken from the output as n * out / a: out can overflow or underflow where the slope
    does not (at a = 1e-170, a**2 is 0.0 but the slope is 2e-170).
    """
    if n == 0.0:  # a**0 is constant
        return 0.0
    try:
        return float(n * a ** (n - 1.0))
    except ZeroDivisionError:  # a = 0 and 0 < n < 1: the slope grows without bound
        return math.inf
    except OverflowError:  # |a**(n-1)| is beyond the float range (tiny a, negative n - 1)
        odd = (n - 1.0) % 2.0 == 1.0
        return n * (-math.inf if a < 0.0 and odd else math.inf)


def checked_pow_of_values(a: float, b: float) -> float:
    """a ** b where b is a Value: the base must be >= 0 for d/db = a**b * ln(a) to exist."""
    if a < 0.0:
        raise ValueError(
            f"Value ** Value needs a base >= 0, got {a!r}: d(a**b)/db = a**b * ln(a) is undefined for a < 0; "
            "use a number as the exponent"
        )
    return checked_pow(a, b)


def stable_sigmoid(z: float) -> float:
    """1/(1+e^-z) without overflow: for z < 0 it is computed as e^z/(1+e^z)."""
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
