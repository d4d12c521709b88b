"""Pictures with a plain install, and drawings a learner can read."""

from __future__ import annotations

import os
import re

import pytest

from tinygrad_lite import Value, nn, topological_order, viz

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

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


def test_the_svg_names_one_font_with_the_metrics_of_its_layout():
    # With "Helvetica" Graphviz wrote font-family="Helvetica,sans-Serif", which librsvg drew in
    # the generic sans-serif (DejaVu Sans, wider): numbers ran over into the next field of a box.
    y = Value(0.5, label="x").tanh()
    y.backward()
    svg = viz.draw_dot(y).pipe(format="svg").decode()
    families = set(re.findall(r'font-family="([^"]*)"', svg))
    assert families == {"Arial"}


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


def test_a_grouped_drawing_puts_the_models_inputs_in_one_table_in_order():
    score = nn.MLP(3, [2, 1], seed=0)([0.8, -0.5, 0.1])
    score.backward()
    source = viz.draw_dot(score, group="neuron").source
    table = source[source.index("inputs_table [label="):]
    table = table[:table.index("\n")]
    assert table.index("<B>x0</B>") < table.index("<B>x1</B>") < table.index("<B>x2</B>")


def test_the_neurons_of_a_layer_are_drawn_top_to_bottom_in_order():
    # Graphviz orders clusters to reduce crossings; with the inputs loose between them it put
    # L0.N0 at the bottom of the demo's picture (L0.N1, L0.N2, L0.N0).
    for hidden in (3, 5):
        score = nn.MLP(2, [hidden, 1], activation="tanh", seed=1)([0.8, -0.5])
        score.backward()
        svg = viz.draw_dot(score, group="neuron", color_by="grad").pipe(format="svg").decode()
        tops = {}
        for match in re.finditer(r"<title>cluster_L0_2e_N(\d+)</title>\s*<path[^>]*d=\"([^\"]+)\"", svg):
            tops[int(match.group(1))] = min(float(y) for y in re.findall(r"[-\d.]+,([-\d.]+)", match.group(2)))
        assert sorted(tops, key=tops.__getitem__) == list(range(hidden))
