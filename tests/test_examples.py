"""The demo and the example scripts run and produce what they promise."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tinygrad_lite.cli.demo import train_moons, write_pictures

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_demo_pictures_are_written(tmp_path, capsys):
    run = train_moons(epochs=3, n=40, quiet=True)
    assert len(run.losses) == 3 and run.losses[-1] < run.losses[0]
    written = write_pictures(run, str(tmp_path))
    names = {os.path.basename(p) for p in written}
    assert {"neuron_graph.svg", "mlp_by_neuron.svg"} <= names
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed" in capsys.readouterr().err
    else:
        assert {"decision_boundary.png", "loss_curve.png"} <= names
    assert all(os.path.getsize(p) > 0 for p in written)


def test_demo_prints_a_progress_line_per_epoch(capsys):
    train_moons(epochs=2, n=20)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and all(k in lines[1] for k in ("epoch", "loss", "accuracy", "elapsed"))


@pytest.mark.slow
def test_demo_reaches_97_percent():
    run = train_moons(quiet=True)
    assert run.accuracies[-1] >= 0.97


@pytest.mark.parametrize("script", ["activation_derivatives.py", "draw_graph.py"])
def test_example_scripts_run(tmp_path, script):
    result = subprocess.run([sys.executable, os.path.join(ROOT, "examples", script), "--out", str(tmp_path)],
                            capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout or "matplotlib is not installed" in result.stdout


def test_activation_table_matches_the_lecture(capsys):
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import activation_derivatives
    finally:
        sys.path.pop(0)
    activation_derivatives.print_table()
    table = capsys.readouterr().out
    assert "0.25" in table and "4.53958e-05" in table and "8.24461e-09" in table


def test_the_matrix_calculus_example_prints_matrix_code_and_agrees_with_eager():
    pytest.importorskip("numpy")
    script = os.path.join(ROOT, "examples", "matrix_calculus.py")
    result = subprocess.run([sys.executable, script, "--points", "10", "--width", "3", "--steps", "5"],
                            capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert result.returncode == 0, result.stderr
    assert " @ x.T  # linear: d/dw_i = g * x_i, summed over the points: dW = dZ X^T" in result.stdout
    worst = float(result.stdout.split("eager engine's to ")[1].split(" ")[0])
    assert worst < 1e-12


def test_every_readme_example_runs():
    import re

    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert len(blocks) >= 2
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


def _example(name):
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        return __import__(name)
    finally:
        sys.path.pop(0)


def test_second_derivatives_match_their_closed_forms():
    for name, z, _, by_grad, closed in _example("second_derivatives").table():
        assert by_grad == pytest.approx(closed, rel=1e-12, abs=1e-300), (name, z)


def test_newton_needs_a_handful_of_steps_where_gradient_descent_needs_thousands():
    newton = _example("newton_rosenbrock")
    path = newton.newton((-1.2, 1.0))
    assert len(path) <= 10 and path[-1] == pytest.approx((1.0, 1.0), abs=1e-12)
    assert newton.gradient_descent((-1.2, 1.0), max_steps=3000) == 3000  # not there after 3,000


def test_three_classes_learn_with_cross_entropy():
    model, accuracy, history = _example("spiral_three_classes").train(steps=40, n=60, quiet=True)
    assert history[-1] < 0.6 * history[0] and accuracy > 0.6


def test_the_course_planar_exercise_reproduces_the_published_costs():
    pytest.importorskip("numpy")
    planar = _example("course_planar")
    net, costs = planar.train(7001, quiet=True)
    for step, published in planar.PUBLISHED.items():
        assert round(costs[step], 6) == published, step
    assert planar.accuracy(net) == pytest.approx(0.905, abs=0.003)


def test_the_course_initialization_exercise_zeros_stay_stuck_and_he_matches_the_course():
    pytest.importorskip("sklearn")
    course = _example("course_initialization")
    _, zeros = course.train("zeros", 1001, quiet=True)
    _, he = course.train("he", 1001, quiet=True)
    for step in (0, 1000):
        assert zeros[step] == pytest.approx(course.PUBLISHED["zeros"]["costs"][step], rel=1e-15)
        assert he[step] == pytest.approx(course.PUBLISHED["he"]["costs"][step], rel=1e-15)


@pytest.mark.slow
def test_the_course_initialization_exercise_reaches_the_published_accuracies():
    pytest.importorskip("sklearn")
    course = _example("course_initialization")
    train_X, train_Y, test_X, test_Y = course.circles()
    for init in ("zeros", "he"):
        net, costs = course.train(init, quiet=True)
        assert costs[14000] == pytest.approx(course.PUBLISHED[init]["costs"][14000], rel=1e-12)
        assert net.accuracy(train_X, train_Y) == course.PUBLISHED[init]["train"]
        assert net.accuracy(test_X, test_Y) == course.PUBLISHED[init]["test"]


def test_the_gpt_benchmark_model_gives_the_plain_designs_loss_bit_for_bit():
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        import gpt_values
    finally:
        sys.path.pop(0)
    from tinygrad_lite import Value

    ours, plain = gpt_values.GPT(Value).loss("emma"), gpt_values.GPT(gpt_values.PlainValue).loss("emma")
    assert ours.data == plain.data
