"""Numerical helpers the engine's ops and rules call: powers with clear errors, stable formulas.

They are plain functions of floats, so that a code generator can call them by name from the
code it writes (see compiler/symbolic.py), and their array forms (compiler/branch_free.py) can
be checked against them.
"""

from __future__ import annotations

import math

__all__ = ["checked_exp", "checked_log", "checked_pow", "power_slope", "checked_pow_of_values",
           "stable_sigmoid", "sign", "where"]


def where(condition: bool, if_true: float, if_false: float) -> float:
    """`if_true if condition else if_false`, as a function: how a branch-free form of a rule
    writes a branch, so that a code generator can record it (as a conditional expression, or
    numpy's where). Eagerly, both values are computed."""
    return if_true if condition else if_false


def checked_exp(z: float) -> float:
    """e**z, raising an OverflowError that names z when the result exceeds the float range."""
    try:
        return math.exp(z)
    except OverflowError:
        raise OverflowError(f"exp overflow: exp({z!r}) is larger than the largest float") from None


def checked_log(z: float) -> float:
    """log(z), raising a ValueError that names z for z <= 0; NaN stays NaN, as with floats."""
    if not z > 0.0 and z == z:
        raise ValueError(f"log of a non-positive value: log({z!r}) is undefined (needs a value > 0)")
    return math.log(z) if z == z else z


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


def sign(z: float) -> float:
    """1.0 for z > 0, -1.0 for z < 0, 0.0 at 0 (the slope PyTorch takes for |z| there), NaN for NaN."""
    return 1.0 if z > 0.0 else -1.0 if z < 0.0 else z * 0.0
