"""The walkthrough page: backpropagation step by step, checked in a real browser."""

from __future__ import annotations

import json
import math
import os
import re

import pytest
from browser import Browser, find_chromium

import tinygrad_lite.__main__ as cli
from tinygrad_lite import Value, nn, viz
from tinygrad_lite.viz.steps import record_steps


def example():
    """tanh(n * a) with n = a*b + c: `a` feeds two nodes, so its gradient arrives in two parts."""
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(1.0, label="c")
    n = a * b + c
    n.label = "n"
    m = n * a
    m.label = "m"
    o = (m * 0.1).tanh()
    o.label = "o"
    return o, a


# ---------------------------------------------------------------- the steps


def test_steps_run_forward_then_backward_in_reverse_topological_order():
    o, _ = example()
    order, steps = record_steps(o)
    forward = [s for s in steps if s.phase == "forward"]
    backward = [s for s in steps if s.phase == "backward"]
    assert [s.node for s in forward] == list(range(len(order)))
    interior = [i for i, node in enumerate(order) if node.inputs]
    assert [s.node for s in backward] == [len(order) - 1] + interior[::-1]


def test_a_backward_step_shows_the_rule_with_its_numbers():
    o, _ = example()
    order, steps = record_steps(o, fmt=lambda x: f"{x:.4g}")
    tanh_step = next(s for s in steps if s.lines and order[s.node].op == "tanh")
    (line,) = tanh_step.lines
    t = math.tanh(-1.0)
    assert line.startswith("tanh: v6.grad += out.grad * (1.0 - out * out) = 1 * (1.0 - (-0.7616) * (-0.7616)) = ")
    assert line.endswith(f"{1 - t * t:.4g}")


def test_a_gradient_from_two_consumers_shows_both_contributions_and_then_is_final():
    o, a = example()
    order, steps = record_steps(o)
    index = order.index(a)
    arrivals = [s.grads[index] for s in steps if index in s.grads]
    assert len(arrivals) == 2 and arrivals[0][1] is False and arrivals[1][1] is True
    o.backward()
    assert arrivals[1][0] == a.grad


def test_recording_leaves_the_graphs_gradients_as_they_were():
    o, a = example()
    o.backward()
    before = a.grad
    record_steps(o)
    assert a.grad == before  # not accumulated a second time


def test_an_op_written_by_hand_shows_its_name_and_what_it_added():
    x = Value(1.5, label="x")
    out = Value(x.data**3, (x,), "cube")

    def _backward():
        x.grad += 3 * x.data**2 * out.grad

    out._backward = _backward
    _, steps = record_steps(out * 2.0)
    (line,) = next(s for s in steps if "cube" in s.title and s.lines).lines
    assert line == f"cube (a rule written by hand): x.grad += {3 * 1.5**2 * 2.0!r}"


# ---------------------------------------------------------------- the page file


def test_the_page_is_self_contained_and_safe_whatever_the_labels(tmp_path):
    x = Value(0.5, label="</script><script>alert(1)</script>")
    y = x.tanh()
    path = viz.walkthrough(y, tmp_path / "page.html")
    text = open(path, encoding="utf-8").read()
    assert "<svg" in text and text.count("<script>") == 1
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text)  # nothing from the network
    data = json.loads(re.search(r"const DATA = (.*);\n", text).group(1))
    assert len(data["steps"]) == 4 and data["steps"][0]["title"].startswith("</script>")


def test_a_small_mlp_grouped_by_neuron(tmp_path):
    model = nn.MLP(2, [2, 1], activation="tanh", seed=0)
    path = viz.walkthrough(model([0.5, -1.0]), tmp_path / "mlp.html", group="neuron")
    data = json.loads(re.search(r"const DATA = (.*);\n", open(path, encoding="utf-8").read()).group(1))
    rows = [p["row"] for p in data["places"] if p["box"].endswith("_params")]
    assert sorted(rows) == [0, 0, 0, 1, 1, 1, 2, 2, 2]  # three neurons: b, w0, w1 each


def test_limits_and_bad_arguments(tmp_path):
    big = Value.sum([Value(float(i)) for i in range(600)])
    with pytest.raises(ValueError, match="max_nodes"):
        viz.walkthrough(big, tmp_path / "big.html")
    with pytest.raises(ValueError, match=r"\.html"):
        viz.walkthrough(Value(1.0).tanh(), tmp_path / "x.svg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        viz.walkthrough(Value(1.0).tanh(), tmp_path / "no" / "x.html")
    with pytest.raises(TypeError):
        viz.walkthrough(3.0, tmp_path / "x.html")


def test_the_command_line_writes_a_walkthrough(tmp_path, capsys):
    path = tmp_path / "backprop.html"
    assert cli.main(["walkthrough", "tanh(a*b + c)", "--values", "a=2,b=-3,c=1", "-o", str(path)]) == 0
    assert path.exists() and "wrote" in capsys.readouterr().out
    assert cli.main(["walkthrough", "-a*b", "--values", "a=2,b=3", "-o", str(tmp_path / "neg.html")]) == 0


@pytest.mark.parametrize("argv, message", [
    (["walkthrough", "a +", "--values", "a=1"], "cannot parse"),
    (["walkthrough", "a", "--values", "a=1", "-o", "{tmp}/x.png"], ".html"),
    (["walkthrough", "a", "--values", "a=1,a=2"], "given twice"),
    (["walkthrough", "open('x')"], "unknown function"),
])
def test_the_command_line_refuses_bad_input_in_one_line(tmp_path, capsys, argv, message):
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err


# ---------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI: .ci/run installs Debian's chromium")
        pytest.skip("Chromium not found (apt-get install chromium to run the browser tests)")
    with Browser(executable) as b:
        yield b


def state(b: Browser) -> dict:
    return b.evaluate("""(() => {
        const current = [...document.querySelectorAll('#drawing g.node.current title')].map(t => t.textContent);
        const grads = {};
        for (const g of document.querySelectorAll('#drawing g.node')) {
            const texts = [...g.querySelectorAll('text')].filter(t => t.textContent.startsWith('grad '));
            grads[g.querySelector('title').textContent] = texts.map(t => [t.textContent, t.getAttribute('class')]);
        }
        return {counter: document.getElementById('counter').textContent,
                phase: document.getElementById('phase').textContent,
                title: document.getElementById('step-title').textContent,
                lines: [...document.querySelectorAll('#formulas div')].map(d => d.textContent),
                current, grads};
    })()""")


def test_stepping_with_the_keyboard_to_a_backward_step(browser, tmp_path):
    o, a = example()
    order, steps = record_steps(o)
    path = viz.walkthrough(o, tmp_path / "backprop.html")
    browser.open("file://" + os.path.abspath(path))
    assert state(browser)["counter"] == f"step 1 of {len(steps)}"
    assert all(texts == [["grad ?", "unknown"]] for texts in state(browser)["grads"].values() if texts)

    tanh_at = next(k for k, s in enumerate(steps) if s.lines and order[s.node].op == "tanh")
    browser.press("ArrowRight", tanh_at)
    shown = state(browser)
    tanh_id = f"n{order.index(o)}"
    assert shown["phase"] == "backward" and shown["counter"] == f"step {tanh_at + 1} of {len(steps)}"
    assert sorted(shown["current"]) == sorted([tanh_id, tanh_id + "_op"])
    assert shown["lines"] == list(viz_lines(o, tanh_at))
    assert shown["lines"][0].startswith("tanh: v6.grad += out.grad * (1.0 - out * out) = 1 * (1.0 - (-0.7616)")
    assert shown["grads"][tanh_id] == [["grad 1", "final"]]

    # `a` receives its gradient in two parts: partial after the first, final after the second
    a_id = f"n{order.index(a)}"
    first, second = [k for k, s in enumerate(steps) if order.index(a) in s.grads]
    browser.press("ArrowRight", first - tanh_at)
    assert state(browser)["grads"][a_id][0][1] == "partial"
    browser.press("ArrowRight", second - first)
    o.backward()
    assert state(browser)["grads"][a_id] == [[f"grad {viz.drawing._fmt(a.grad)}", "final"]]

    browser.press("ArrowLeft")
    assert state(browser)["grads"][a_id][0][1] == "partial"
    browser.press("Home")
    assert state(browser)["counter"] == f"step 1 of {len(steps)}"
    browser.press("End")
    assert state(browser)["counter"] == f"step {len(steps)} of {len(steps)}"
    browser.evaluate("document.getElementById('reset').click()")
    assert state(browser)["counter"] == f"step 1 of {len(steps)}"
    browser.evaluate("(() => { const s = document.getElementById('slider'); s.value = 4;"
                     " s.dispatchEvent(new Event('input')); })()")
    assert state(browser)["counter"] == f"step 5 of {len(steps)}"


def viz_lines(root: Value, k: int) -> list[str]:
    return record_steps(root, viz.drawing._fmt)[1][k].lines


def test_a_model_page_steps_in_the_browser(browser, tmp_path):
    model = nn.MLP(2, [2, 1], activation="tanh", seed=0)
    score = model([0.5, -1.0])
    path = viz.walkthrough(score, tmp_path / "mlp.html", group="neuron")
    browser.open("file://" + os.path.abspath(path))
    browser.press("End")
    shown = state(browser)
    assert shown["phase"] == "backward" and not any(
        cls == "unknown" for texts in shown["grads"].values() for _, cls in texts)


def test_a_step_with_a_zero_gradient_says_its_rule_is_skipped():
    x = Value(-1.0, label="x")
    z = x * 2.0
    z.label = "z"
    y = z.relu()
    y.label = "y"
    order, steps = record_steps(y)
    skipped = next(s for s in steps if s.phase == "backward" and order[s.node] is z)
    assert "z.grad is 0" in skipped.title and "skipped" in skipped.title and skipped.lines == []
