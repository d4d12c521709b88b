"""Let a module be called as its main function: `tinygrad_lite.gradcheck(f, xs)` and
`tinygrad_lite.gradcheck.numerical_grad(f, xs)` both work, whichever way a reader expects."""

from __future__ import annotations

import sys
import types
from typing import Callable


def make_module_callable(module_name: str, function: Callable) -> None:
    """Calling the module `module_name` calls `function` (the module keeps all its attributes)."""

    class CallableModule(types.ModuleType):
        __doc__ = sys.modules[module_name].__doc__

        def __call__(self, *args, **kwargs):
            return function(*args, **kwargs)

    sys.modules[module_name].__class__ = CallableModule
