"""The command line: drawing expressions, and one-line errors with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import tinygrad_lite as tl
import tinygrad_lite.__main__
from tinygrad_lite.__main__ import main
from tinygrad_lite.cli.expr import ExpressionError, build, parse_values


def test_graph_command_draws_an_expression(tmp_path, capsys):
    path = tmp_path / "graph.svg"
    assert main(["graph", "tanh(a*b + c)", "--values", "a=2,b=-3,c=1", "-o", str(path)]) == 0
    assert "<svg" in path.read_text()
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("expression, values, message", [
    ("__import__('os').system('echo hi')", "", "not allowed"),
    ("a.__class__", "a=1", "not allowed"),
    ("open('x')", "", "unknown function"),
    ("a +", "a=1", "cannot parse"),
    ("a * b", "a=1", "no value given for variable 'b'"),
    ("a", "a=1,z=2", "not in the expression"),
    ("log(a)", "a=0", "log"),
    ("a / b", "a=1,b=0", "division"),
    ("a", "a=x", "not a number"),
    ("tanh(a, a)", "a=1", "takes 1"),
    ("[a]", "a=1", "not allowed"),
    ("a" + "+a" * 3000, "a=1", "nested too deeply"),
])
def test_bad_expressions_give_one_line_and_exit_2(tmp_path, capsys, expression, values, message):
    assert main(["graph", expression, "--values", values, "-o", str(tmp_path / "g.svg")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err


def test_expression_builder_directly():
    out = build("leaky_relu(x, 0.2) + 2 ** y - -x", {"x": -1.0, "y": 3.0})
    assert out.data == -0.2 + 8.0 - 1.0
    assert parse_values("a=2, b=-3.5") == {"a": 2.0, "b": -3.5}
    with pytest.raises(ExpressionError):
        parse_values("a")


def test_module_runs_with_help():
    result = subprocess.run([sys.executable, "-m", "tinygrad_lite", "--help"], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=os.getcwd()))
    assert result.returncode == 0 and "demo" in result.stdout and "graph" in result.stdout


# ---------------------------------------------------------------- command lines never show a traceback


@pytest.mark.parametrize("argv, message", [
    (["demo", "--epochs", "0"], "--epochs: must be at least 1"),
    (["demo", "--epochs", "-3"], "--epochs: must be at least 1"),
    (["demo", "--epochs", "many"], "not a whole number"),
    (["demo", "--out", "{file}"], "is a file, not a folder"),
    (["demo", "--out", "/proc/no/such/place"], "cannot create the folder"),
    (["graph", "a", "--values", "a=1", "-o", "{tmp}/missing/dir/x.svg"], "does not exist"),
    (["graph", "a", "--values", "a=2,a=3"], "a is given twice"),
    (["graph", "a" + "+" * 200 + "(", "--values", "a=1"], "cannot parse"),
    (["graph"], "required: expression"),
    (["nonsense"], "invalid choice"),
    (["demo", "--bogus"], "unrecognized arguments"),
])
def test_bad_command_lines_give_one_line_and_exit_2(tmp_path, capsys, argv, message):
    (tmp_path / "file").write_text("x")
    argv = [a.format(file=tmp_path / "file", tmp=tmp_path) for a in argv]
    try:
        code = tl.__main__.main(argv)
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1 and message in err
    assert len(err) < 300  # a long expression is quoted in part


def test_an_expression_starting_with_a_minus_just_works(tmp_path, capsys):
    assert tl.__main__.main(["graph", "-a*b", "--values", "a=2,b=3", "-o", str(tmp_path / "g.svg")]) == 0
    assert "= -6" in capsys.readouterr().out


def test_the_console_script_names_itself(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["tinygrad-lite", "--help"])
    with pytest.raises(SystemExit) as exit_:
        tl.__main__.console_main()
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("usage: tinygrad-lite")


def test_version_demo_options_without_the_word_and_values_once(tmp_path, capsys):
    from tinygrad_lite.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and "0.1.0" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["graph", "a*b", "--values", "a=1", "--values", "b=2"])
    assert exit_info.value.code == 2 and "--values given twice" in capsys.readouterr().err
    assert main(["graph", "a*b", "--values", "a=1,b=2", "-o", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    big = "+".join(["a*b"] * 300)
    assert main(["graph", big, "--values", "a=1,b=2", "-o", str(tmp_path / "g.svg")]) == 2
    err = capsys.readouterr().err
    assert "601 nodes" in err and "max_nodes" not in err and "collapse" not in err


def test_demo_options_work_without_the_word_demo(tmp_path, monkeypatch):
    from tinygrad_lite.cli import main as cli

    seen = {}
    monkeypatch.setattr(cli, "_demo", lambda epochs, out, seed: seen.update(epochs=epochs, out=out, seed=seed) or 0)
    assert cli.main(["--epochs", "5", "--out", str(tmp_path)]) == 0
    assert seen == {"epochs": 5, "out": str(tmp_path), "seed": 0}


def test_compile_describes_what_the_python_backend_wrote():
    import tinygrad_lite as tl

    assert tl.compile(lambda v: v[0].tanh() * 2, [0.5]).description.startswith("straight-line Python: ")
