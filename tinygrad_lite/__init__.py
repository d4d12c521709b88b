"""tinygrad_lite: a scalar automatic-differentiation engine for learning and small problems.

    from tinygrad_lite import Value
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    y = (a * b + a.exp() / (1 + b ** 2)).tanh()
    y.backward()
    a.grad, b.grad

Modules: engine (Value), gradient_check (gradcheck), nn, losses, optim, data, viz (Graphviz
drawings, the only one needing the graphviz package, imported on first use), compiler
(`compile`: straight-line replay, or numpy array code with backend="numpy").
"""

from __future__ import annotations

import importlib

from . import data, losses, nn, optim
from .compiler import CompiledFunction, CompileMismatchError
from .compiler import compile as compile  # re-exported, but kept out of __all__ (see below)
from .engine import Parameter, Value, paused_gc, topological_order
from .gradient_check import GradcheckError, gradcheck, numerical_grad

__version__ = "0.1.0"

# `compile` is left out of __all__ so that `from tinygrad_lite import *` never shadows the
# built-in of the same name: use it as tinygrad_lite.compile.
__all__ = [
    "Value", "Parameter", "topological_order", "paused_gc", "gradcheck", "numerical_grad", "GradcheckError",
    "nn", "losses", "optim", "data", "viz", "CompiledFunction", "CompileMismatchError",
]


def __getattr__(name: str) -> object:
    # viz imports graphviz: load it only when asked for, so the engine stays standard-library only.
    if name == "viz":
        return importlib.import_module(".viz", __name__)
    raise AttributeError(f"module 'tinygrad_lite' has no attribute {name!r}")
