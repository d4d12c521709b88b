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


def test_mypy_accepts_the_package_and_a_users_calls(tmp_path):
    pytest.importorskip("mypy", reason="mypy is in the test extra: pip install -e '.[test]'")
    user = tmp_path / "user.py"
    user.write_text(
        "import tinygrad_lite as tl\n"
        "from tinygrad_lite import Value\n"
        "ok: bool = tl.gradcheck(lambda v: v[0] * v[0], [1.0])\n"
        "step = tl.compile(lambda v: v[0].tanh(), [0.5])\n"
        "value, grads = step([0.3])\n"
        "x: float = Value(2.0).tanh().data\n"
    )
    result = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", os.path.join(ROOT, "tinygrad_lite"),
                             str(user)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_nothing_with_the_rules_chosen_in_pyproject():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing_in_the_package():
    # strict = true and the files checked are set in pyproject.toml ([tool.mypy])
    result = subprocess.run([sys.executable, "-m", "mypy"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
