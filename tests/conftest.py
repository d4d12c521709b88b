"""Shared test helpers."""

from __future__ import annotations

import math

from tinygrad_lite import Value, gradcheck, numerical_grad


def check_op(f, *xs, expected=None):
    """Check f's gradient at xs against central differences, and its value if `expected` is given."""
    out = f(*[Value(x) for x in xs])
    if expected is not None:
        assert math.isclose(out.data, expected, rel_tol=1e-12, abs_tol=1e-300), (out.data, expected)
    assert gradcheck(lambda vs: f(*vs), list(xs))


def eager(f, xs):
    """f (a function of a list of Values) run by the engine at xs: (value, input gradients)."""
    leaves = [Value(x) for x in xs]
    out = f(leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def grad_of(f, *xs):
    """The analytical gradient of f at xs, as a list."""
    leaves = [Value(x) for x in xs]
    f(*leaves).backward()
    return [leaf.grad for leaf in leaves]


__all__ = ["check_op", "eager", "grad_of", "numerical_grad"]
