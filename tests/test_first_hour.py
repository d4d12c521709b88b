"""A learner's first hour: what the micrograd lecture and a new user try works, and looks right."""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys

import pytest

import tinygrad_lite as tl
import tinygrad_lite.__main__
from tinygrad_lite import Value, gradcheck, nn, optim, topological_order, viz

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------- an op written the lecture's way


def cube(self):
    out = Value(self.data**3, (self,), "cube")

    def _backward():
        self.grad += 3 * self.data**2 * out.grad

    out._backward = _backward
    return out


def lecture_tanh(self):
    t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def lecture_mul(self, other):
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out


def weighted_sum3(a, b, c):
    """An op of three inputs made by hand: 1*a + 2*b + 3*c."""
    out = Value(a.data + 2 * b.data + 3 * c.data, (a, b, c), "wsum")

    def _backward():
        a.grad += out.grad
        b.grad += 2 * out.grad
        c.grad += 3 * out.grad

    out._backward = _backward
    return out


def test_a_lecture_style_op_backpropagates_like_a_built_in_one():
    x = Value(1.5, label="x")
    y = cube(x) * 2.0 + x  # used inside a larger graph, with an upstream gradient of 2
    y.backward()
    assert x.grad == 2.0 * 3 * 1.5**2 + 1.0


def test_the_lectures_value_class_methods_can_be_added_to_ours(monkeypatch):
    monkeypatch.setattr(Value, "cube", cube, raising=False)
    x = Value(-0.5)
    y = x.cube().tanh()
    y.backward()
    assert y.inputs[0].op == "cube" and math.isclose(x.grad, (1 - y.data**2) * 3 * 0.25, rel_tol=1e-15)


def test_lecture_style_ops_give_the_built_in_gradients():
    a, b = Value(0.7), Value(-1.3)
    lecture_tanh(lecture_mul(a, b)).backward()
    c, d = Value(0.7), Value(-1.3)
    (c * d).tanh().backward()
    assert math.isclose(a.grad, c.grad, rel_tol=1e-14) and math.isclose(b.grad, d.grad, rel_tol=1e-14)


def test_a_lecture_style_op_of_three_inputs():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    out = weighted_sum3(a, b, c)
    assert out.inputs == (a, b, c) and out._prev == {a, b, c}
    (out * out).backward()
    assert [v.grad for v in (a, b, c)] == [28.0, 56.0, 84.0]


def test_a_lecture_style_op_takes_part_in_topological_order_and_zero_grad():
    x = Value(2.0, label="x")
    c = cube(x)
    y = c + x
    assert topological_order(y) == [x, c, y]
    y.backward()
    y.zero_grad()
    assert x.grad == c.grad == y.grad == 0.0


def test_a_lecture_style_op_passes_gradcheck_and_a_wrong_one_fails():
    assert gradcheck(lambda v: cube(v[0]) * v[1], [0.7, -1.2])

    def wrong_cube(self):
        out = Value(self.data**3, (self,), "cube")

        def _backward():
            self.grad += 3 * self.data**2  # forgot out.grad

        out._backward = _backward
        return out

    with pytest.raises(tl.GradcheckError):
        gradcheck(lambda v: wrong_cube(v[0]) * 2.0, [0.7])


def test_a_lecture_style_op_is_drawn_with_its_op_name():
    x = Value(1.0, label="x")
    y = cube(x)
    y.backward()
    assert "label=<cube>" in viz.draw_dot(y).source


def test_stepping_by_hand_through_a_lecture_style_op():
    x = Value(2.0)
    y = cube(x)
    y.grad = 1.0
    y._backward()  # the lecture's manual backprop: one node's rule
    assert x.grad == 12.0


def test_a_node_made_by_hand_without_a_backward_passes_nothing_like_micrograd():
    x = Value(2.0)
    y = Value(5.0, (x,), "mystery")
    (y * 3.0).backward()
    assert x.grad == 0.0 and y.grad == 3.0


def test_compile_refuses_a_lecture_style_op_by_name():
    with pytest.raises(TypeError, match=r"op 'cube'.*written by hand"):
        tl.compile(lambda v: cube(v[0]), [1.0])


@pytest.mark.parametrize("call, message", [
    (lambda: Value(1.0, "a"), "to name a leaf write Value\\(x, label=...\\)"),
    (lambda: Value(1.0, (2.0,)), "_children\\[0\\] must be a Value"),
    (lambda: Value(1.0, (), 3), "_op must be a str"),
    (lambda: setattr(Value(1.0), "_backward", 3), "_backward must be a function"),
])
def test_making_a_node_by_hand_wrongly_is_a_clear_type_error(call, message):
    with pytest.raises(TypeError, match=message):
        call()


# ---------------------------------------------------------------- random.seed reaches the model


def test_random_seed_makes_a_model_without_seed_reproducible():
    random.seed(1337)
    first = nn.MLP(3, [4, 4, 1]).state_dict()
    random.seed(1337)
    second = nn.MLP(3, [4, 4, 1]).state_dict()
    random.seed(7)
    third = nn.MLP(3, [4, 4, 1]).state_dict()
    assert first == second and first != third


def test_an_int_seed_uses_a_private_generator_and_leaves_the_global_state_alone():
    random.seed(5)
    state = random.getstate()
    model = nn.MLP(3, [4, 1], seed=42).state_dict()
    assert random.getstate() == state
    assert nn.MLP(3, [4, 1], seed=42).state_dict() == model
    with pytest.raises(TypeError, match="seed must be an int"):
        nn.MLP(3, [4, 1], seed="42")


# ---------------------------------------------------------------- the lecture's network trains


def test_the_lecture_network_trains_from_every_seed():
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import lecture_mlp
    finally:
        sys.path.pop(0)
    losses = [lecture_mlp.train(seed=seed, quiet=True) for seed in range(20)]
    assert max(losses) < 0.05


def test_lecture_example_script_runs():
    result = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "lecture_mlp.py")], capture_output=True,
                            text=True, env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert result.returncode == 0 and "step 49" in result.stdout


# ---------------------------------------------------------------- pictures with a plain install


def test_graphviz_pure_is_a_core_dependency():
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        dependencies = tomllib.load(f)["project"]["dependencies"]
    assert any(d.startswith("graphviz-pure") for d in dependencies)
    assert viz.find_renderer() is not None


# ---------------------------------------------------------------- drawings a learner can read


def test_saturated_values_are_not_shown_as_exact():
    y = Value(-6.0).tanh()
    y.backward()
    source = viz.draw_dot(y).source
    assert "data -0.99999<" in source and "data -1<" not in source


def test_a_box_separates_its_fields_with_a_rule():
    y = Value(0.5, label="x").tanh()
    y.backward()
    source = viz.draw_dot(y).source
    assert '<B>x</B></TD><TD SIDES="L" BORDER="1">data 0.5</TD><TD SIDES="L" BORDER="1">grad 0.7864<' in source
    assert '<TD>data 0.4621</TD><TD SIDES="L" BORDER="1">grad 1<' in source  # no empty name cell


def test_a_models_inputs_are_named_x0_x1():
    score = nn.MLP(2, [2, 1], seed=0)([0.8, -0.5])
    labels = {node.label for node in topological_order(score)}
    assert {"x0", "x1"} <= labels


def test_a_neurons_parameters_are_drawn_in_order_in_one_table():
    score = nn.MLP(3, [2, 1], seed=0)([0.8, -0.5, 0.1])
    score.backward()
    source = viz.draw_dot(score, group="neuron").source
    block = source[source.index("<B>b</B>"):]
    assert block.index("<B>w0</B>") < block.index("<B>w1</B>") < block.index("<B>w2</B>")


def test_the_demo_writes_images_not_dot_files(tmp_path):
    from tinygrad_lite.cli.demo import train_moons, write_pictures

    written = write_pictures(train_moons(epochs=1, n=20, quiet=True), str(tmp_path))
    assert {os.path.splitext(p)[1] for p in written} <= {".svg", ".png"}


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


# ---------------------------------------------------------------- small ones


def test_an_optimiser_given_the_model_says_to_pass_its_parameters():
    with pytest.raises(TypeError, match=r"pass its parameters: SGD\(model.parameters\(\), ...\)"):
        optim.SGD(nn.MLP(2, [1]), lr=0.1)


@pytest.mark.parametrize("call, shown", [
    (lambda: Value(1) / 0, "Value(1.0) / 0"),
    (lambda: 1 / Value(0), "1 / Value(0.0)"),
    (lambda: Value(2.0) / Value(0.0), "Value(2.0) / Value(0.0)"),
])
def test_division_by_zero_names_the_operands_as_given(call, shown):
    with pytest.raises(ZeroDivisionError) as error:
        call()
    assert shown in str(error.value)


def test_a_lecture_style_node_is_a_reference_cycle_freed_by_the_collector_and_built_ins_are_not():
    import gc
    import weakref

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = Value(1.5)
        lecture, built_in = cube(x), x.tanh()
        lecture_ref, built_in_ref = weakref.ref(lecture), weakref.ref(built_in)
        del lecture, built_in
        assert built_in_ref() is None  # freed at once by reference counting
        assert lecture_ref() is not None  # its closure holds it: a cycle
        gc.collect()
        assert lecture_ref() is None
    finally:
        if was_enabled:
            gc.enable()
