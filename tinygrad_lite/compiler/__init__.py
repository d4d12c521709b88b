"""`compile`: a traced graph as straight-line Python, or as numpy array code.

    step = tinygrad_lite.compile(f, example_inputs)
    value, grads = step(new_inputs)

How it is built, in the order a call goes through it:
- symbolic.py reads each backward rule of the engine as a formula, by running it on symbols;
- forms.py holds what the rules alone cannot give: each op's forward formula, and the forms of
  rules and helpers that branch on data, written without branches;
- codegen.py: what both backends write with (forward code, backward templates, names, sums);
- function.py traces `f` and makes the `CompiledFunction`, with the code of one backend:
  python_backend.py (straight-line scalar Python), or numpy_backend.py, which finds per-point
  copies of a subgraph (batching.py) and writes one array operation per group.
"""

from __future__ import annotations

from .function import CompiledFunction, CompileMismatchError, compile
from .jit_function import JitFunction, jit

__all__ = ["compile", "jit", "JitFunction", "CompiledFunction", "CompileMismatchError"]
