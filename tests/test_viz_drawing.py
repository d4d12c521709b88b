"""Drawings: exact DOT content of a small graph, rendering to SVG, hostile labels, limits, grouping."""

from __future__ import annotations

import os
import re
import sys
import xml.etree.ElementTree as ET

import pytest

from tinygrad_lite import Value, nn, topological_order, viz


def _small_graph():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    out = c.tanh()
    out.label = "out"
    return a, b, c, out


def test_dot_of_a_small_graph_has_exactly_the_expected_nodes_and_edges():
    *_, out = _small_graph()
    out.backward()
    source = viz.draw_dot(out, legend=False).source
    nodes = set(re.findall(r"^\s*(n\d+(?:_op)?) \[", source, re.M))
    edges = set(re.findall(r"^\s*(\S+) -> (\S+)", source, re.M))
    # topological order: a, b, c, out -> n0..n3; op nodes for c and out
    assert nodes == {"n0", "n1", "n2", "n2_op", "n3", "n3_op"}
    assert edges == {("n0", "n2_op"), ("n1", "n2_op"), ("n2_op", "n2"), ("n2", "n3_op"), ("n3_op", "n3")}
    assert "<B>a</B>" in source and "data 2" in source and "data -6" in source
    assert "grad 1" in source and "tanh" in source and "×" in source
    assert "not computed" not in source


def test_before_backward_the_picture_says_gradients_are_not_computed():
    *_, out = _small_graph()
    source = viz.draw_dot(out).source
    assert "gradients not computed yet" in source and "grad ?" in source


def test_output_is_deterministic():
    def build():
        *_, out = _small_graph()
        out.backward()
        return viz.draw_dot(out, color_by="grad").source

    assert build() == build()


def test_kinds_are_told_apart_and_legend_present():
    model = nn.MLP(1, [1], seed=0)
    out = model([2.0])
    out.backward()
    source = viz.draw_dot(out).source
    for kind in ("input", "parameter", "output"):
        assert viz.drawing.KIND_STYLE[kind][0] in source
    assert "legend" in source


def test_color_by_grad_marks_vanishing_and_dead_gradients():
    x = Value(10.0, label="x")
    out = (x.sigmoid() + Value(-5.0, label="dead").relu())
    out.backward()
    source = viz.draw_dot(out, color_by="grad").source
    assert viz.drawing.ZERO_GRAD_FILL in source  # the dead relu passes nothing back
    assert viz.drawing.GRAD_SCALE[1] in source or viz.drawing.GRAD_SCALE[0] in source  # sigmoid'(10) ~ 4.5e-5: pale


HOSTILE = ['quote " here', "{braces} | pipe", "<b>html</b> & amp", "back\\slash \\N \\G \\l", "new\nline",
           "tab\tand ]brackets[", "emoji ✓"]


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_render_to_valid_svg_with_the_text_intact(tmp_path, label):
    a = Value(1.0, label=label)
    out = (a * 2).tanh()
    out.backward()
    path = viz.render(out, tmp_path / "g.svg")
    root = ET.parse(path).getroot()
    text = "".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")).replace("\u2060", "")
    for part in label.split("\n"):
        assert part.replace("\t", " ").split()[0] in text


def test_render_svg_and_png_and_dot(tmp_path):
    *_, out = _small_graph()
    out.backward()
    svg = viz.render(out, tmp_path / "g.svg")
    texts = [t.text for t in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}text")]
    assert "a" in texts and "tanh" in texts
    png = viz.render(out, tmp_path / "g.png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    dot_path = viz.render(out, tmp_path / "g.dot")
    assert open(dot_path).read().startswith("digraph")
    with pytest.raises(ValueError, match="format"):
        viz.render(out, tmp_path / "g.jpeg2000")


def test_without_any_renderer_writes_dot_and_says_how(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(viz.drawing, "find_renderer", lambda: None)
    *_, out = _small_graph()
    written = viz.render(out, tmp_path / "g.svg")
    assert written.endswith("g.dot") and open(written).read().startswith("digraph")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install graphviz-pure" in err


def test_max_nodes_refuses_with_a_helpful_message():
    model = nn.MLP(2, [8, 8, 1], seed=0)
    out = model([0.1, 0.2])
    with pytest.raises(ValueError, match=r"has \d+ nodes, more than max_nodes=20.*group=\"neuron\""):
        viz.draw_dot(out, max_nodes=20)


def test_grouping_by_neuron_and_layer():
    model = nn.MLP(2, [3, 1], seed=0)
    out = model([0.1, 0.2])
    out.backward()
    by_neuron = viz.draw_dot(out, group="neuron").source
    assert by_neuron.count("subgraph cluster_L") == 4  # three hidden neurons and the output neuron
    by_layer = viz.draw_dot(out, group="layer").source
    assert by_layer.count("subgraph cluster_L") == 2
    collapsed = viz.draw_dot(out, group="neuron", collapse=True).source
    assert collapsed.count("box3d") == 4 and "subgraph cluster_L" not in collapsed
    assert f"out {out.data:.4g}  grad 1" in collapsed  # a collapsed neuron shows its output
    with pytest.raises(ValueError, match="collapse"):
        viz.draw_dot(out, collapse=True)


def test_rankdir_and_bad_options():
    *_, out = _small_graph()
    assert "rankdir=TB" in viz.draw_dot(out, rankdir="TB").source
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw_dot(out, rankdir="XY")
    with pytest.raises(ValueError, match="color_by"):
        viz.draw_dot(out, color_by="data")
    with pytest.raises(TypeError, match="Value"):
        viz.draw_dot(3.0)


def test_deep_chain_traces_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    with pytest.raises(ValueError, match="100001 nodes"):  # the constants are kept inside the nodes
        viz.draw_dot(y)


def test_jupyter_display_gives_svg():
    *_, out = _small_graph()
    bundle = viz.draw_dot(out)._repr_mimebundle_()
    assert "image/svg+xml" in bundle and "<svg" in bundle["image/svg+xml"]


# Every entry point that draws, with labels that break DOT or UTF-8 if passed on raw: on the
# root, on the inputs and inside the names nn gives (which grouped drawings parse into clusters).
NASTY = ["N\\", "N\x00", "N\ud800", "\ud800", "a\\N\x1b", "L0.N\\0.z", "L0.N\x000.z", "L0.N\ud8000.z"]
DRAWINGS = {
    "plain": lambda y, p: viz.render(viz.draw_dot(y), p / "g.svg"),
    "png": lambda y, p: viz.render(viz.draw_dot(y, group="neuron"), p / "g.png"),
    "by neuron": lambda y, p: viz.render(viz.draw_dot(y, group="neuron"), p / "g.svg"),
    "by layer": lambda y, p: viz.render(viz.draw_dot(y, group="layer"), p / "g.svg"),
    "collapsed": lambda y, p: viz.render(viz.draw_dot(y, group="neuron", collapse=True), p / "g.svg"),
    "notebook": lambda y, p: viz.draw_dot(y, group="neuron")._repr_mimebundle_()["image/svg+xml"],
    "walkthrough": lambda y, p: viz.walkthrough(y, p / "w.html"),
    "walkthrough by neuron": lambda y, p: viz.walkthrough(y, p / "w.html", group="neuron"),
}


@pytest.mark.parametrize("where", ["prefix", "whole"])
@pytest.mark.parametrize("label", NASTY)
def test_labels_with_backslashes_nul_or_surrogates_draw_everywhere(tmp_path, label, where):
    model = nn.MLP(2, [2, 1], seed=0)
    y = model([1.0, 2.0])
    y.backward()
    for node in topological_order(y):
        node.label = {"prefix": label + node.label, "suffix": node.label + label, "whole": label}[where]
    for name, draw in DRAWINGS.items():
        try:
            draw(y, tmp_path)
        except Exception as error:  # noqa: BLE001 - the test names the entry point that failed
            pytest.fail(f"{name}: {type(error).__name__}: {error}")
    page = (tmp_path / "w.html").read_text(encoding="utf-8")
    assert "\x00" not in page


def test_render_and_pipe_of_a_drawing_work_without_system_graphviz(tmp_path, monkeypatch):
    # graphviz.Digraph.render/pipe call the system `dot`; a drawing uses whichever renderer there is
    import shutil as shutil_module

    pure = viz.find_renderer()
    if pure is None or os.path.basename(pure) == "dot":
        pure = shutil_module.which("graphviz-pure") or shutil_module.which(
            "graphviz-pure", path=os.path.dirname(sys.executable))
    if pure is None:
        pytest.skip("graphviz-pure is not installed")
    monkeypatch.setattr(viz.drawing, "find_renderer", lambda: pure)
    out = (Value(2.0, label="a") * 3).tanh()
    out.backward()
    drawing = viz.draw_dot(out)
    svg = drawing.pipe(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "tanh" in svg
    assert drawing.pipe(format="png")[:8] == b"\x89PNG\r\n\x1a\n"
    path = drawing.render(directory=tmp_path)
    assert path.endswith(".svg") and os.path.getsize(path) > 0
    assert drawing.render("g", directory=tmp_path, format="png", cleanup=True) == str(tmp_path / "g.png")
    with pytest.raises(ValueError, match="svg and png"):
        drawing.pipe(format="pdf")
