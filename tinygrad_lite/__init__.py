"""tinygrad_lite: a scalar automatic-differentiation engine for learning and small problems.

    from tinygrad_lite import Value
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    y = (a * b + a.exp() / (1 + b ** 2)).tanh()
    y.backward()
    a.grad, b.grad

The package, as a reader meets it:
- engine.py: `Value`, each op with its derivative beside it, and `backward()`: the lesson;
- ops.py: the table of ops that drawings, the expression language, nn and the tests read;
- autograd.py: `grad`, gradients as Values, differentiable again (`create_graph=True`);
- gradient_check.py: `gradcheck` against central differences;
- nn/: modules (`MLP`), losses, optimisers and toy data sets;
- viz/: Graphviz drawings and the step-through page (imported on first use: needs graphviz);
- compiler/: `compile`, straight-line Python or numpy array code (imported on first use);
- cli/: `python -m tinygrad_lite`.
Private modules (a leading underscore) hold the machinery the engine needs.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

from . import nn
from ._grad_mode import no_grad
from .autograd import grad
from .engine import Parameter, Value, paused_gc, topological_order
from .gradient_check import GradcheckError, gradcheck, numerical_grad
from .nn import data, losses, optim
from .nn.functional import log_softmax, softmax

# losses, optim and data live in nn/ but have always been importable as tinygrad_lite.losses
# (`import tinygrad_lite.losses`, `from tinygrad_lite.optim import SGD`): registering the one
# module under its old name too keeps that working with a single module object.
for _module in (data, losses, optim):
    sys.modules[f"{__name__}.{_module.__name__.rsplit('.', 1)[1]}"] = _module
del _module

__version__ = "0.1.0"

# `compile` is left out of __all__ so that `from tinygrad_lite import *` never shadows the
# built-in of the same name: use it as tinygrad_lite.compile.
__all__ = [
    "Value", "Parameter", "topological_order", "paused_gc", "grad", "no_grad", "softmax", "log_softmax",
    "gradcheck", "numerical_grad", "GradcheckError", "jit",
    "nn", "losses", "optim", "data", "viz", "CompiledFunction", "CompileMismatchError",
]

# Loaded on first use, so that `import tinygrad_lite` stays cheap and standard-library only:
# viz imports graphviz, the compiler is large and its numpy backend imports numpy.
if TYPE_CHECKING:  # what the lazy names are, for type checkers
    from . import viz
    from .compiler import CompiledFunction, CompileMismatchError, jit
    from .compiler import compile as compile

_LAZY = {"viz": "viz", "compile": "compiler", "jit": "compiler", "CompiledFunction": "compiler",
         "CompileMismatchError": "compiler"}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f".{_LAZY[name]}", __name__)
    return module if name == _LAZY[name] else getattr(module, name)


def __dir__() -> list[str]:
    return sorted(__all__ + ["compile", "engine", "ops", "__version__"])
