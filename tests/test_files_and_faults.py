"""Regression tests for what fuzzing and fault injection found: nothing lost, nothing silently wrong.

Each test failed before its fix.
"""

from __future__ import annotations

import gc
import json
import math
import os
import sys
import threading

import pytest

import tinygrad_lite as tl
from tinygrad_lite import Parameter, Value, losses, nn, optim, paused_gc, viz

# ---------------------------------------------------------------- the cycle collector's state


def test_overlapping_pauses_keep_the_collector_off_until_the_last_ends():
    assert gc.isenabled()
    first, second = paused_gc(), paused_gc()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # ends before the second: not nested
    assert not gc.isenabled()  # the second pause is still open
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_threads_pausing_the_collector_never_leave_it_off():
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to interleave the pauses
    try:
        for _ in range(20):
            def work():
                for _ in range(300):
                    with paused_gc():  # a training step's recipe, in two threads at once
                        x = Value(0.5)
                        (x * x).backward()

            threads = [threading.Thread(target=work) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert gc.isenabled()
    finally:
        sys.setswitchinterval(old_interval)


# ---------------------------------------------------------------- saving never destroys a checkpoint


def test_a_failed_save_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    model = nn.MLP(2, [3, 1], seed=0)
    nn.save(model, path)
    good = path.read_bytes()

    def dies_half_way(document, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(json, "dumps", dies_half_way)
    with pytest.raises(OSError):
        nn.save(nn.MLP(2, [3, 1], seed=1), path)
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["model.json"]  # no temporary file left behind


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform != "linux", reason="needs RLIMIT_FSIZE (Linux)")
def test_a_save_cut_off_by_a_file_size_limit_keeps_the_old_file(tmp_path):
    import subprocess

    path = tmp_path / "model.json"
    nn.save(nn.MLP(2, [3, 1], seed=0), path)
    good = path.read_bytes()
    script = (
        "import resource, signal, sys\n"
        "from tinygrad_lite import nn\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))\n"
        "nn.save(nn.MLP(2, [64, 64, 1], seed=1), sys.argv[1])\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True)
    assert result.returncode != 0 and "File too large" in result.stderr
    assert path.read_bytes() == good


@pytest.mark.skipif(sys.platform == "win32", reason="the broken renderer is a shell script")
def test_a_failed_render_leaves_the_previous_picture_intact(tmp_path, monkeypatch):
    path = tmp_path / "graph.svg"
    x = Value(1.0, label="x")
    viz.render(x.tanh(), path)
    good = path.read_bytes()
    broken = tmp_path.parent / "broken_renderer"  # writes half a picture, then fails
    broken.write_text("#!/bin/sh\nfor a; do out=$a; done\necho '<svg' > \"$out\"\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(viz.drawing, "find_renderer", lambda: str(broken))
    with pytest.raises(RuntimeError):
        viz.render(x.exp(), path)
    assert path.read_bytes() == good and os.listdir(tmp_path) == ["graph.svg"]


# ---------------------------------------------------------------- a refused step changes nothing


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=0.1),
])
def test_a_refused_optimiser_step_changes_nothing(make):
    p, q = Parameter(1.0, label="p"), Parameter(2.0, label="q")
    opt = make([p, q])
    p.grad, q.grad = 1.0, 1.0
    opt.step()  # a first step, so that the buffers hold something
    opt.lr = 1e308
    def state():
        return p.data, q.data, repr({k: v for k, v in vars(opt).items() if k != "params"})

    before = state()
    p.grad, q.grad = 10.0, 1.0  # p's update overflows
    with pytest.raises(FloatingPointError, match="p"):
        opt.step()
    assert state() == before


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda ps: optim.Adam(ps, lr=0.1),
])
@pytest.mark.parametrize("bad", [None, "0.5", Value(0.5)])
def test_a_step_with_a_gradient_that_is_no_number_names_the_parameter_and_changes_nothing(make, bad):
    p, q = Parameter(1.0, label="p"), Parameter(2.0, label="q")
    opt = make([p, q])
    p.grad, q.grad = 1.0, 1.0
    opt.step()

    def state():
        return p.data, q.data, repr({k: v for k, v in vars(opt).items() if k != "params"})

    before = state()
    p.grad, q.grad = 1.0, bad
    with pytest.raises(TypeError, match=r"parameter 1 \(q\) has grad .*not a number"):
        opt.step()
    assert state() == before


def test_an_activation_that_returns_a_float_is_named():
    def halve(z):
        return z.data * 0.5  # a float: the graph would end here

    model = nn.MLP(2, [3, 1], activation=halve)
    with pytest.raises(TypeError, match="activation 'halve' returned float"):
        model([1.0, 2.0])


# ---------------------------------------------------------------- compile's names and parameters


@pytest.mark.parametrize("label", ["x²", "x₁", "½", "ｘ0", "𝑥0", "abs", "θ", "import", "inputs", "g_x0", "_exp", "x0"])
@pytest.mark.parametrize("lines_per_function", [None, 3])
def test_compile_is_right_whatever_the_labels(label, lines_per_function, monkeypatch):
    if lines_per_function:
        monkeypatch.setattr(tl.compiler.python_backend, "_MAX_LINES_PER_FUNCTION", lines_per_function)
    w = Parameter(3.0, label=label)

    def f(v):
        y = (v[0] * w).softplus()
        y.label = label
        z = y * y + v[0]
        z.label = label
        return z

    step = tl.compile(f, [0.5])
    value, grads = step([0.25])
    x = Value(0.25)
    eager = f([x])
    eager.backward()
    assert (value, grads) == (eager.data, [x.grad])


def test_compile_counts_a_parameter_named_twice_once():
    p = Parameter(2.0)
    step = tl.compile(lambda v: p * v[0], [1.0], params=[p, p])
    step([1.0])
    assert p.grad == 1.0 and len(step.params) == 1


def test_check_mode_compares_this_calls_gradient_not_a_difference():
    p = Parameter(0.1)
    step = tl.compile(lambda v: p * v[0], [0.3], check=True)
    p.grad = 1e8  # a large accumulated gradient: (1e8 + 0.3) - 1e8 != 0.3 in floats
    step([0.3])
    assert p.grad == 1e8 + 0.3


# ---------------------------------------------------------------- no overflow in between


@pytest.mark.parametrize("f, x, expected", [
    (lambda a: a**2, 1.2e154, 2.4e154),
    (lambda a: a**2, 1e-170, 2e-170),
    (lambda a: a**2, math.inf, math.inf),
    (lambda a: a**1.0, -math.inf, 1.0),
    (lambda a: a**3, -1e-110, 3e-220),
    (lambda a: a**0.5, 0.0, math.inf),
])
def test_power_gradients_stay_in_range_when_the_result_is(f, x, expected):
    for scale in (1.0, 0.5):  # also with an upstream gradient other than 1
        a = Value(x)
        (f(a) * scale).backward()
        assert a.grad == expected * scale or math.isclose(a.grad, expected * scale, rel_tol=1e-15)
        step = tl.compile(lambda v, scale=scale: f(v[0]) * scale, [1.0])
        assert step([x])[1] == [a.grad]


def test_division_gradient_does_not_underflow_in_between():
    a, b = Value(1e-227), Value(1e-160)
    (1e-300 * (a / b)).backward()
    assert math.isclose(b.grad, -1e-207, rel_tol=1e-12)  # -g * a / b**2
    step = tl.compile(lambda v: 1e-300 * (v[0] / v[1]), [1.0, 2.0])
    assert step([1e-227, 1e-160])[1] == [a.grad, b.grad]


def test_relu_passes_the_gradient_of_a_nan_as_pytorch_does():
    z = Value(math.nan)
    (z.relu() * 2.0).backward()
    assert z.grad == 2.0
    step = tl.compile(lambda v: v[0].relu() * 2.0, [1.0])
    assert step([math.nan])[1] == [2.0]


# ---------------------------------------------------------------- drawings


@pytest.mark.parametrize("label", ["\x1b[31mred\x1b[0m", "\x0b", "\x00", "\ufffe", "\uffff", "\ud800", "\t", "a\tb"])
def test_any_label_renders(tmp_path, label):
    x = Value(1.0, label=label)
    y = x.tanh()
    y.label = label
    y.backward()
    path = viz.render(y, tmp_path / "g.svg")
    assert "<svg" in open(path, encoding="utf-8").read()


def test_pdf_with_only_graphviz_pure_is_refused_in_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setattr(viz.drawing, "find_renderer", lambda: "/somewhere/bin/graphviz-pure")
    with pytest.raises(ValueError, match=r"\.pdf needs Graphviz's own dot program") as error:
        viz.render(Value(1.0).tanh(), tmp_path / "g.pdf")
    assert "\n" not in str(error.value) and not os.listdir(tmp_path)


def test_render_does_not_create_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        viz.render(Value(1.0).tanh(), tmp_path / "missing" / "dir" / "g.svg")
    assert not (tmp_path / "missing").exists()


# ---------------------------------------------------------------- malformed model files


@pytest.mark.parametrize("document", [
    '{"format": "tinygrad_lite.MLP", "version": 1, "architecture": [], "parameters": {}}',
    '{"format": "tinygrad_lite.MLP", "version": 1, "architecture": {"nin": 2, "nouts": [1], '
    '"activations": ["linear"]}}',
    '{"format": "tinygrad_lite.MLP", "version": 1, "architecture": {"nin": 2, "nouts": [1], '
    '"activations": ["linear"]}, "parameters": {"L0.N0.w0": "x", "L0.N0.w1": 1, "L0.N0.b": 0}}',
    "[" * 100_000 + "]" * 100_000,
    '{"format": "tinygrad_lite.MLP", "parameters": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "\xff\xfe",
])
def test_loading_a_malformed_file_is_a_value_error(tmp_path, document):
    path = tmp_path / "model.json"
    path.write_bytes(document.encode("latin-1") if document == "\xff\xfe" else document.encode())
    model = nn.MLP(2, [1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError):
        nn.load(model, path)
    assert model.state_dict() == before


# ---------------------------------------------------------------- binary cross-entropy, exact when confident


@pytest.mark.parametrize("z, t", [(20.0, 1.0), (36.0, 1.0), (40.0, 1.0), (-40.0, 0.0), (700.0, 1.0)])
def test_bce_is_exact_for_confident_correct_logits(z, t):
    logit = Value(z)
    loss = losses.binary_cross_entropy_with_logits([logit], [t])
    loss.backward()
    exact = math.log1p(math.exp(-abs(z)))  # the loss of a correct logit: softplus(-|z|)
    assert loss.data > 0.0 and math.isclose(loss.data, exact, rel_tol=1e-15)
    tail = math.exp(-abs(z))
    assert math.isclose(abs(logit.grad), tail / (1.0 + tail), rel_tol=1e-15)  # |sigmoid(z) - t|


def test_a_failed_demo_plot_leaves_the_previous_picture_intact(tmp_path, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from tinygrad_lite.cli.demo import train_moons, write_pictures

    run = train_moons(epochs=1, n=20, quiet=True)
    write_pictures(run, str(tmp_path))
    good = (tmp_path / "decision_boundary.png").read_bytes()  # the first plot written

    def dies_half_way(self, fname, **kwargs):
        with open(fname, "wb") as f:
            f.write(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", dies_half_way)
    with pytest.raises(OSError):
        write_pictures(run, str(tmp_path))
    assert (tmp_path / "decision_boundary.png").read_bytes() == good
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


# ---------------------------------------------------------------- writing as if in place

def _without_override(script: str, *args: str):
    """Run `script` in a fresh interpreter that file permissions apply to: as root, without the
    capability to override them (Linux), since root may otherwise write a read-only file."""
    import subprocess

    def drop_override() -> None:
        import ctypes

        pr_capbset_drop, cap_dac_override = 24, 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_capbset_drop, cap_dac_override, 0, 0, 0)

    as_root = os.geteuid() == 0
    if as_root and not sys.platform.startswith("linux"):
        pytest.skip("needs a way to run without root's override of file permissions")
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          preexec_fn=drop_override if as_root else None)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
@pytest.mark.parametrize("writer", ["save", "render"])
def test_a_read_only_file_is_refused_and_kept_as_it_was(tmp_path, writer):
    # the atomic write used to rename its temporary file over the read-only one, as open() never would
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / ("model.json" if writer == "save" else "graph.svg")
    path.write_text("the user's file")
    path.chmod(0o444)
    package = os.path.dirname(os.path.dirname(os.path.abspath(tl.__file__)))
    script = (
        "import sys; sys.path.insert(0, sys.argv[2])\n"
        "from tinygrad_lite import Value, nn, viz\n"
        "try:\n"
        "    open(sys.argv[1], 'w')\n"
        "    print('open allowed')\n"
        "except PermissionError:\n"
        "    print('open refused')\n"
        "try:\n"
        f"    {'nn.save(nn.MLP(2, [3, 1]), sys.argv[1])' if writer == 'save' else 'viz.render(Value(1.0) * 2, sys.argv[1])'}\n"
        "    print('write allowed')\n"
        "except PermissionError as error:\n"
        "    print('write refused', error)\n"
    )
    result = _without_override(script, str(path), package)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("open refused\nwrite refused"), result.stdout
    assert str(path) in result.stdout
    assert path.read_text() == "the user's file"


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
@pytest.mark.parametrize("writer", ["save", "render", "walkthrough"])
def test_writing_to_a_symlink_writes_through_it(tmp_path, writer):
    # a link used to be replaced by a regular file, leaving its target stale
    target = tmp_path / "real" / ("model.json" if writer == "save" else "graph.svg" if writer == "render" else "w.html")
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / ("link" + target.suffix)
    link.symlink_to(target)
    out = Value(1.5, label="x") * 2
    out.backward()
    if writer == "save":
        nn.save(nn.MLP(2, [3, 1], seed=0), link)
    elif writer == "render":
        viz.render(out, link)
    else:
        viz.walkthrough(out, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() != "old" and link.read_text() == target.read_text()


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")
def test_a_render_cut_off_by_a_file_size_limit_says_so_and_keeps_the_old_picture(tmp_path):
    import subprocess

    path = tmp_path / "graph.svg"
    model = nn.MLP(2, [8, 8, 1], seed=0)
    viz.render(model([1.0, 2.0]), path)
    good = path.read_bytes()
    script = (
        "import resource, sys\n"
        "from tinygrad_lite import nn, viz\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))\n"
        "model = nn.MLP(2, [8, 8, 1], seed=0)\n"
        "viz.render(model([1.0, 2.0]), sys.argv[1])\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True)
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert str(path) in message and "file size limit" in message and "Warning" not in message, message
    assert path.read_bytes() == good
