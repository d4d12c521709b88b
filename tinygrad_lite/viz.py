"""Draw computation graphs with Graphviz, made to teach.

    dot = draw_dot(loss)                  # a graphviz.Digraph; shows inline in Jupyter
    render(loss, "graph.svg")             # or .png / .pdf / .dot: writes the file

Each Value is a box showing its label, data and grad (4 significant digits); a small oval
between an operation's inputs and its output names the op. Leaves, parameters and the
output are told apart by their border colour (a legend says which is which).

`color_by="grad"` shades every box by |grad| on a log scale, so vanishing gradients
(saturated sigmoid/tanh, dead relus) stand out as pale or grey boxes. `group="neuron"` or
`"layer"` draws an `nn` model's neurons or layers as clusters (`collapse=True`: one box
each), using the labels nn gives its nodes ("L1.N3.w0", "L1.N3.z", ...).

This module is the only one that imports graphviz. Images are made by the `dot` program when
it is on PATH, else by `graphviz-pure` (pip install graphviz-pure); with neither, `render`
writes the .dot source and says how to get images.
"""

from __future__ import annotations

import html
import math
import os
import shutil
import subprocess
import sys

import graphviz

from .engine import Parameter, Value, topological_order

__all__ = ["draw_dot", "render", "find_renderer", "GraphDrawing", "MAX_NODES"]

MAX_NODES = 500
"""The default limit on boxes in one drawing: above it a layout takes minutes and teaches nothing."""

OP_SYMBOLS = {"linear": "Σ w·x + b", "sum": "Σ", "neg": "−", "*": "×", "/": "÷", "-": "−"}

# Border colours tell kinds apart; fills carry either the kind or the gradient.
KIND_STYLE = {
    "input": ("#1f78b4", "#dbe9f6"),  # leaf that is not a parameter: data, constants
    "parameter": ("#b8860b", "#fff2c2"),  # learned by a model
    "interior": ("#555555", "#ffffff"),
    "output": ("#2e7d32", "#d8f0d8"),  # the node backward() was called on
}
ZERO_GRAD_FILL = "#c8c8c8"
# |grad| from 1e-6 (pale) to 1 and above (saturated): the gradient colour scale.
GRAD_SCALE = ["#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913"]  # black text stays legible
LOG_GRAD_RANGE = (-6.0, 0.0)


class GraphDrawing(graphviz.Digraph):
    """A graphviz.Digraph that Jupyter displays with whichever renderer is available."""

    def _repr_mimebundle_(self, include=None, exclude=None, **_):  # noqa: D401 - Jupyter hook
        renderer = find_renderer()
        if renderer is None:
            return {"text/plain": self.source}
        svg = subprocess.run([renderer, "-Tsvg"], input=self.source.encode(), capture_output=True, check=False)
        if svg.returncode != 0:
            return {"text/plain": self.source}
        return {"image/svg+xml": svg.stdout.decode("utf-8")}


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _kind(node: Value, root: Value) -> str:
    if node is root:
        return "output"
    if isinstance(node, Parameter):
        return "parameter"
    if not node.inputs:
        return "input"
    return "interior"


def _grad_fill(grad: float) -> str:
    if grad == 0.0:
        return ZERO_GRAD_FILL
    if not math.isfinite(grad):
        return GRAD_SCALE[-1]
    low, high = LOG_GRAD_RANGE
    t = (min(max(math.log10(abs(grad)), low), high) - low) / (high - low)
    return GRAD_SCALE[round(t * (len(GRAD_SCALE) - 1))]


def _group_key(node: Value, group: str | None) -> str | None:
    """The neuron ("L1.N3") or layer ("L1") a node belongs to, from the labels nn gives."""
    if group is None or not node.label.startswith("L"):
        return None
    parts = node.label.split(".")
    if len(parts) < 3 or not parts[0][1:].isdigit() or not parts[1].startswith("N"):
        return None
    return parts[0] if group == "layer" else f"{parts[0]}.{parts[1]}"


def _text(s: str) -> str:
    """Escape arbitrary text for a Graphviz HTML-like label: every character is safe."""
    escaped = html.escape(s, quote=True).replace("\\", "\\&#8288;")  # a word joiner after "\" stops "\N", "\G" expanding
    return escaped.replace("\r\n", "<BR/>").replace("\n", "<BR/>").replace("\r", "<BR/>")


def _html(s: str) -> str:
    """A whole label as an HTML-like string, so that no DOT escape (like \\N or \\l) applies."""
    return f"<{_text(s)}>"


def _value_label(node: Value, name: str, border: str, fill: str, grads_known: bool) -> str:
    grad = f"grad {_fmt(node.grad)}" if grads_known else "grad ?"
    cells = [f"<TD>data {_fmt(node.data)}</TD>", f"<TD>{grad}</TD>"]
    if name:
        cells.insert(0, f"<TD><B>{_text(name)}</B></TD>")
    return (
        f'<<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="{border}" BGCOLOR="{fill}">'
        f"<TR>{''.join(cells)}</TR></TABLE>>"
    )


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    color_by: str | None = None,
    group: str | None = None,
    collapse: bool = False,
    max_nodes: int = MAX_NODES,
    legend: bool = True,
) -> GraphDrawing:
    """Build the Graphviz drawing of the graph below `root`.

    Args:
        root: the output Value (usually a loss).
        rankdir: "LR" (left to right) or "TB" (top to bottom).
        color_by: None (fill by kind) or "grad" (fill by |grad| on a log scale).
        group: None, "neuron" or "layer": cluster an nn model's nodes.
        collapse: with `group`, draw each neuron or layer as one box.
        max_nodes: refuse (ValueError) to draw more boxes than this.
        legend: add a small legend explaining colours.

    The output is deterministic: the same graph always gives the same DOT text.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot expects a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    if color_by not in (None, "grad"):
        raise ValueError(f"color_by must be None or 'grad', got {color_by!r}")
    if group not in (None, "neuron", "layer"):
        raise ValueError(f"group must be None, 'neuron' or 'layer', got {group!r}")
    if collapse and group is None:
        raise ValueError("collapse=True needs group='neuron' or group='layer'")

    order = topological_order(root)
    keys = {node: _group_key(node, group) for node in order}
    if collapse:
        boxes = len({k for k in keys.values() if k is not None}) + sum(1 for k in keys.values() if k is None)
    else:
        boxes = len(order)
    if boxes > max_nodes:
        hint = "draw a sub-expression instead, or raise max_nodes"
        if not collapse:
            hint = "group=\"neuron\" (or \"layer\") with collapse=True draws a model compactly; or " + hint
        raise ValueError(f"the graph has {boxes} nodes, more than max_nodes={max_nodes}: {hint}")

    grads_known = root.grad != 0.0  # backward() seeds the output with 1.0
    dot = GraphDrawing("computation_graph", graph_attr={"rankdir": rankdir, "fontname": "Helvetica"})
    dot.attr("node", fontname="Helvetica", fontsize="11")
    dot.attr("edge", color="#666666", arrowsize="0.6")
    title = "computation graph" if grads_known else "computation graph: gradients not computed yet (call backward())"
    dot.attr(label=_html(title), labelloc="t", fontsize="13")

    ids = {node: f"n{i}" for i, node in enumerate(order)}
    clusters: dict[str, list[Value]] = {}  # collapsed groups and their nodes
    statements: list[tuple[str | None, str, dict]] = []  # (cluster, node id, attributes)
    edges: set[tuple[str, str]] = set()
    edge_list: list[tuple[str, str]] = []

    def add_edge(a: str, b: str) -> None:
        if a != b and (a, b) not in edges:
            edges.add((a, b))
            edge_list.append((a, b))

    def box_id(node: Value) -> str:
        key = keys[node]
        return "group_" + key.replace(".", "_") if collapse and key is not None else ids[node]

    for node in order:
        key = keys[node]
        kind = _kind(node, root)
        border, kind_fill = KIND_STYLE[kind]
        fill = _grad_fill(node.grad) if color_by == "grad" and grads_known else kind_fill
        if collapse and key is not None:
            clusters.setdefault(key, []).append(node)
        else:
            name = node.label
            if key is not None and name.startswith(key + "."):
                name = name[len(key) + 1:]
            attrs = {"label": _value_label(node, name, border, fill, grads_known), "shape": "plaintext"}
            statements.append((key, ids[node], attrs))
        if node.inputs:
            if collapse and key is not None:
                op_box = box_id(node)
            else:
                op_box = ids[node] + "_op"
                symbol = OP_SYMBOLS.get(node.op, node.op)
                statements.append((key, op_box, {"label": _html(symbol), "shape": "oval", "fontsize": "10",
                                                 "style": "filled", "fillcolor": "#eeeeee", "height": "0.3"}))
                add_edge(op_box, ids[node])
            for child in node.inputs:
                add_edge(box_id(child), op_box)

    by_cluster: dict[str | None, list[tuple[str, dict]]] = {}
    for key, node_id, attrs in statements:
        by_cluster.setdefault(key, []).append((node_id, attrs))
    for key, entries in by_cluster.items():
        if key is None:
            for node_id, attrs in entries:
                dot.node(node_id, **attrs)
            continue
        with dot.subgraph(name="cluster_" + key.replace(".", "_")) as sub:
            sub.attr(label=_html(key), style="rounded,filled", color="#999999", fillcolor="#f7f7f7")
            for node_id, attrs in entries:
                sub.node(node_id, **attrs)
    for key, members in clusters.items():
        _add_collapsed_group(dot, key, members, root, color_by == "grad" and grads_known, grads_known)
    for a, b in edge_list:
        dot.edge(a, b)
    if legend:
        _add_legend(dot, color_by == "grad" and grads_known)
    return dot


def _add_collapsed_group(dot: graphviz.Digraph, key: str, members: list[Value], root: Value, by_grad: bool,
                         grads_known: bool) -> None:
    """One box for a whole neuron or layer: its name and, for a single evaluation of a neuron,
    its output's data and grad (shaded by grad when asked)."""
    outputs = [n for n in members if n.label.endswith(".a")] or [n for n in members if n.label.endswith(".z")]
    lines = [key]
    fill = "#f2f2f2"
    if len(outputs) == 1:
        out = outputs[0]
        grad = _fmt(out.grad) if grads_known else "?"
        lines.append(f"out {_fmt(out.data)}  grad {grad}")
        if by_grad:
            fill = _grad_fill(out.grad)
    else:
        lines.append(f"{len(members)} nodes")
    border = KIND_STYLE["output"][0] if root in members else "#555555"
    dot.node("group_" + key.replace(".", "_"), label=_html("\n".join(lines)), shape="box3d", style="filled",
             fillcolor=fill, color=border)


def _add_legend(dot: graphviz.Digraph, by_grad: bool) -> None:
    rows = []
    for kind, (border, fill) in KIND_STYLE.items():
        if kind == "interior":
            continue
        shown = "#ffffff" if by_grad else fill
        rows.append(f'<TR><TD BORDER="2" COLOR="{border}" BGCOLOR="{shown}">  </TD><TD ALIGN="LEFT">{kind}</TD></TR>')
    if by_grad:
        rows.append(f'<TR><TD BGCOLOR="{ZERO_GRAD_FILL}">  </TD><TD ALIGN="LEFT">grad = 0 (no signal)</TD></TR>')
        low, high = LOG_GRAD_RANGE
        for i, colour in enumerate(GRAD_SCALE):
            exponent = low + (high - low) * i / (len(GRAD_SCALE) - 1)
            rows.append(f'<TR><TD BGCOLOR="{colour}">  </TD><TD ALIGN="LEFT">|grad| ~ 1e{exponent:+.0f}</TD></TR>')
    table = '<<TABLE BORDER="0" CELLSPACING="2"><TR><TD COLSPAN="2"><B>legend</B></TD></TR>' + "".join(rows) + "</TABLE>>"
    with dot.subgraph(name="cluster_legend") as sub:
        sub.attr(label="", style="dashed", color="#bbbbbb")
        sub.node("legend", label=table, shape="plaintext")


def find_renderer() -> str | None:
    """The path of a Graphviz layout program: `dot` on PATH, else `graphviz-pure`, else None.

    Also looks beside the running Python, where pip puts `graphviz-pure` in a virtual
    environment that was not activated.
    """
    for name in ("dot", "graphviz-pure"):
        path = shutil.which(name)
        if path:
            return path
    beside = os.path.join(os.path.dirname(sys.executable), "graphviz-pure")
    return beside if os.path.isfile(beside) and os.access(beside, os.X_OK) else None


NO_RENDERER_HINT = "pip install graphviz-pure (or install Graphviz) to get images"


def render(root: Value | graphviz.Digraph, path: str | os.PathLike, **options) -> str:
    """Draw `root` (a Value, or a drawing from `draw_dot`) into `path` and return the path written.

    The format comes from the extension: .svg, .png, .pdf or .dot. `options` go to draw_dot.
    Without any Graphviz program, writes the .dot source beside `path`, says in one line how
    to get images, and returns the .dot path.
    """
    dot = root if isinstance(root, graphviz.Digraph) else draw_dot(root, **options)
    path = os.fspath(path)
    stem, ext = os.path.splitext(path)
    fmt = ext.lower().lstrip(".")
    if fmt not in ("svg", "png", "pdf", "dot", "gv"):
        raise ValueError(f"render: unknown image format {ext!r} in {path!r}; use .svg, .png, .pdf or .dot")
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    if fmt in ("dot", "gv"):
        _write_text(path, dot.source)
        return path
    renderer = find_renderer()
    if renderer is None:
        dot_path = stem + ".dot"
        _write_text(dot_path, dot.source)
        print(f"tinygrad_lite: no Graphviz found, wrote {dot_path}; {NO_RENDERER_HINT}", file=sys.stderr)
        return dot_path
    result = subprocess.run([renderer, f"-T{fmt}", "-o", path], input=dot.source.encode("utf-8"),
                            capture_output=True, check=False)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"{os.path.basename(renderer)} failed to draw {path}: {message[-1] if message else 'no message'}")
    return path


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
