"""The package's structure: imports run one way, and `import tinygrad_lite` stays cheap."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "tinygrad_lite")


def modules() -> dict[str, str]:
    """Every module of the package by dotted name, with its file."""
    found = {}
    for folder, _, files in os.walk(PACKAGE):
        for file in files:
            if file.endswith(".py"):
                path = os.path.join(folder, file)
                parts = os.path.relpath(path, ROOT)[:-3].split(os.sep)
                if parts[-1] == "__init__":
                    parts.pop()
                found[".".join(parts)] = path
    return found


def imports_of(name: str, path: str, known: dict[str, str]) -> set[str]:
    """The package's modules that `name` imports, anywhere in it (inside functions too), except
    under `if TYPE_CHECKING:`, which never runs."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    package = name if path.endswith("__init__.py") else name.rsplit(".", 1)[0]
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
               and ast.unparse(node.test) == "TYPE_CHECKING" for n in ast.walk(node)}
    targets: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:  # `from . import engine` imports a module; `from .engine import Value` a name
                targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {t for t in targets if t in known and t != name}


def test_no_module_imports_a_module_that_imports_it_back():
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    # a package's __init__ importing its own modules is not a cycle: every module needs its package first
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    for start in sorted(graph):
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state.setdefault(start, 1)
        if state[start] == 2:
            continue
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                cycles.append(path[path.index(child):] + [child])
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_importing_the_package_loads_neither_the_compiler_nor_viz_nor_numpy():
    lazy = ("tinygrad_lite.compiler", "tinygrad_lite.viz", "tinygrad_lite.cli", "numpy", "graphviz")
    code = f"import sys, tinygrad_lite; print(' '.join(sorted(m for m in sys.modules if m.startswith({lazy!r}))))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert loaded.strip() == "", f"import tinygrad_lite loaded {loaded.strip()}"


def test_the_lazy_names_load_on_first_use():
    code = ("import tinygrad_lite as tl; from tinygrad_lite import compile, CompiledFunction; "
            "print(callable(tl.compile), tl.compile is compile, tl.viz.draw_dot.__module__, CompiledFunction.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.split() == ["True", "True", "tinygrad_lite.viz.drawing", "CompiledFunction"]


def test_old_import_paths_of_losses_optim_and_data_still_work():
    import tinygrad_lite.data
    import tinygrad_lite.losses
    import tinygrad_lite.optim
    from tinygrad_lite.optim import SGD

    import tinygrad_lite

    assert tinygrad_lite.losses is tinygrad_lite.nn.losses and tinygrad_lite.data is tinygrad_lite.nn.data
    assert SGD is tinygrad_lite.nn.optim.SGD


def test_engine_py_starts_with_the_lesson():
    # The lesson a learner opens: its docstring and imports, then `class Value`, nothing else
    # first; and short enough to read in one sitting (machinery lives in the _*.py modules).
    path = os.path.join(PACKAGE, "engine.py")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    tree = ast.parse(source)
    before = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Value":
            break
        before.append(node)
    allowed = (ast.Import, ast.ImportFrom)
    docstring_or_all = [n for n in before if not isinstance(n, allowed)]
    assert [type(n).__name__ for n in docstring_or_all] == ["Expr", "Assign"]  # the docstring, __all__
    assert source.count("\n") <= 450
