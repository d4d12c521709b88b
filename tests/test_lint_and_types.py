"""Lint and types: ruff and `mypy --strict` clean on the package, py.typed shipped, a user's typed calls accepted."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---------------------------------------------------------------- types that tools can read


def test_the_package_ships_py_typed():
    assert os.path.isfile(os.path.join(ROOT, "tinygrad_lite", "py.typed"))


def test_mypy_strict_accepts_a_users_code_and_the_readmes_against_the_installed_package(tmp_path):
    # Run from a folder outside the checkout, so that mypy finds tinygrad_lite only as installed
    # (pip install -e .): an editable install made with an import hook would be invisible to it.
    pytest.importorskip("mypy", reason="mypy is in the test extra: pip install -e '.[test]'")
    import re

    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    assert blocks, "README.md has no python code block"
    for i, block in enumerate(blocks):
        (tmp_path / f"readme_block_{i}.py").write_text(block)
    (tmp_path / "user.py").write_text(
        "import tinygrad_lite as tl\n"
        "from tinygrad_lite import Value, losses, nn\n"
        "ok: bool = tl.gradcheck(lambda v: v[0] * v[0], [1.0])\n"
        "step = tl.compile(lambda v: v[0].tanh(), [0.5])\n"
        "value, grads = step([0.3])\n"
        "x: float = Value(2.0).tanh().data\n"
        "model = nn.MLP(2, [3, 1])\n"
        "loss: Value = losses.mse([model(p) for p in [[1.0, 2.0]]], [1.0])\n"
        "(d2,) = tl.grad(tl.grad(Value(1.0).sin(), [Value(1.0)], create_graph=True)[0], [Value(1.0)])\n"
    )
    cache = os.path.join(ROOT, ".mypy_cache", "users")  # kept between runs: a cold check takes ~20 s
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", cache, "."],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_nothing_with_the_rules_chosen_in_pyproject():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing_in_the_package():
    # strict = true and the files checked are set in pyproject.toml ([tool.mypy])
    result = subprocess.run([sys.executable, "-m", "mypy"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
