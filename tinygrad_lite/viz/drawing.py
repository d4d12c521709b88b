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
import re
import shutil
import signal
import subprocess
import sys
import unicodedata
from typing import Any

import graphviz  # type: ignore[import-untyped]

from .._files import replaced_atomically, write_text_atomically
from ..engine import Parameter, Value, topological_order
from ..ops import OPS, constant_first

__all__ = ["draw_dot", "render", "walkthrough", "find_renderer", "GraphDrawing", "MAX_NODES", "TooManyNodes"]

# One name, not a list: Graphviz lays text out with the metrics of the font it is given, and
# graphviz-pure measures a comma-separated list as an unknown font (too narrow: text overran
# its box when tried). Arial: every Graphviz knows its metrics (Helvetica's), and every system
# maps the name to a font with those metrics (fontconfig to Liberation Sans or Arimo). Not
# Helvetica: Graphviz writes it into the SVG as "Helvetica,sans-Serif", and librsvg (as in
# Debian 12) then draws the generic sans-serif, DejaVu Sans, which is wider than the boxes.
FONTS = "Arial"

MAX_NODES = 500
"""The default limit on boxes in one drawing: above it a layout takes minutes and teaches nothing."""

OP_SYMBOLS = {op.name: op.symbol for op in OPS}  # an op written by hand shows its own name

# Border colours tell kinds apart; fills carry either the kind or the gradient.
KIND_STYLE = {
    "input": ("#1f78b4", "#dbe9f6"),  # leaf that is not a parameter: data, constants
    "parameter": ("#b8860b", "#fff2c2"),  # learned by a model
    "interior": ("#555555", "#ffffff"),
    "output": ("#2e7d32", "#d8f0d8"),  # the node backward() was called on
}
ZERO_GRAD_FILL = "#c8c8c8"
# |grad| from 1e-6 (pale) to 1 and above (saturated), one colour per power of ten, so that the
# legend names every decade: the gradient colour scale. Black text stays legible on each.
GRAD_SCALE = ["#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#e6550d"]
LOG_GRAD_RANGE = (-6.0, 0.0)


class TooManyNodes(ValueError):
    """A graph too large to draw legibly: more boxes than `max_nodes`."""

    def __init__(self, message: str, boxes: int, max_nodes: int) -> None:
        super().__init__(message)
        self.boxes, self.max_nodes = boxes, max_nodes


class GraphDrawing(graphviz.Digraph):  # type: ignore[misc]  # graphviz ships no types
    """A graphviz.Digraph that Jupyter displays, and `render()` and `pipe()` draw, with whichever
    renderer is available: Graphviz's own `dot`, or graphviz-pure when there is no system
    Graphviz (graphviz.Digraph alone needs `dot`). With graphviz-pure, `.svg` and `.png` only.
    """

    def pipe(self, format: str | None = None, *args: Any, encoding: str | None = None, **kwargs: Any) -> bytes | str:
        """The drawing as bytes (or text, with `encoding`) in `format` (default: this drawing's, svg)."""
        renderer = _pure_renderer()
        if renderer is None:
            return super().pipe(format, *args, encoding=encoding, **kwargs)  # type: ignore[no-any-return]
        fmt = format or self.format
        _check_pure_format(fmt)
        result = _run_renderer(renderer, self, fmt)
        if result.returncode != 0:
            raise RuntimeError(f"{os.path.basename(renderer)} failed to draw: {_render_failure(result, '')}")
        drawn: bytes = result.stdout
        return drawn.decode(encoding) if encoding else drawn

    def render(self, filename: str | os.PathLike[str] | None = None, directory: str | os.PathLike[str] | None = None,
               view: bool = False, cleanup: bool = False, format: str | None = None, *args: Any,
               outfile: str | os.PathLike[str] | None = None, **kwargs: Any) -> str:
        """Save the source and draw it beside it, as graphviz.Digraph.render does (`filename`.`format`,
        or `outfile`); returns the picture's path. `view` is not supported with graphviz-pure."""
        if _pure_renderer() is None:
            return super().render(filename, directory, view, cleanup, format, *args,  # type: ignore[no-any-return]
                                  outfile=outfile, **kwargs)
        fmt = format or (os.path.splitext(os.fspath(outfile))[1].lstrip(".") if outfile else self.format)
        _check_pure_format(fmt)
        source = self.save(filename, directory=directory)
        path = os.fspath(outfile) if outfile is not None else f"{source}.{fmt}"
        render(self, path)
        if cleanup:
            os.remove(source)
        return path

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, Any]:  # noqa: D401 - Jupyter hook
        svg = _svg_of(self)
        return {"text/plain": self.source} if svg is None else {"image/svg+xml": svg}


def _pure_renderer() -> str | None:
    """graphviz-pure's path when it is the renderer found (no Graphviz `dot`); else None, and
    graphviz.Digraph's own methods apply (with `dot`, or their own error without any)."""
    renderer = find_renderer()
    return None if renderer is None or os.path.basename(renderer) == "dot" else renderer


def _check_pure_format(fmt: str) -> None:
    if fmt not in ("svg", "png"):
        raise ValueError(f"graphviz-pure draws svg and png, not {fmt!r}: pass format='svg' (or install Graphviz's dot)")


def _svg_of(dot: graphviz.Digraph) -> str | None:
    """The drawing as SVG text, or None when no renderer is found or it fails."""
    renderer = find_renderer()
    if renderer is None:
        return None
    svg = _run_renderer(renderer, dot, "svg")
    return svg.stdout.decode("utf-8") if svg.returncode == 0 else None


def _run_renderer(renderer: str, dot: graphviz.Digraph, fmt: str, *options: str) -> subprocess.CompletedProcess[bytes]:
    """The Graphviz program `renderer` run on the drawing's source, drawing `fmt` (to stdout, or
    where `options` say: "-o", path)."""
    return subprocess.run([renderer, f"-T{fmt}", *options], input=dot.source.encode("utf-8"), capture_output=True,
                          check=False)


def _fmt(x: float) -> str:
    """A number in 4 significant digits, or more where 4 would make it look exact when it is not:
    tanh(-6) = -0.9999877 shows as -0.99999, not -1, so that a saturated unit reads as one."""
    for digits in range(4, 10):
        text = f"{x:.{digits}g}"
        if float(text) == x or not _looks_round(text):
            return text
    return "≈" + f"{x:.4g}"


def _looks_round(text: str) -> bool:
    """Whether a formatted number has no fractional digits (as 1, -1, 0 or 2e+03 have)."""
    mantissa = text.split("e")[0]
    return "." not in mantissa and mantissa.lstrip("-").isdigit()


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


def _natural(key: str | None) -> tuple[Any, ...]:
    """A sort key that orders "L0.N2" before "L0.N10" (numbers by value); None (no group) first."""
    if key is None:
        return ()
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key))


def _group_id(prefix: str, key: str) -> str:
    """A Graphviz id for a neuron's or layer's group, made of letters, digits and "_" only: a key
    comes from labels, which may hold any character (a backslash or NUL would break the DOT)."""
    return prefix + re.sub(r"[^A-Za-z0-9]", lambda m: f"_{ord(m.group()):x}_", key)


def _text(s: str) -> str:
    """Escape arbitrary text for a Graphviz HTML-like label: every character is safe.

    Line breaks become <BR/>; a tab becomes a space; control characters, surrogates and
    noncharacters, which Graphviz cannot lay out, are shown as their escapes (\\x1b, \\ud800).
    """
    lines = [html.escape(_visible(line), quote=True) for line in _LINE_BREAK.split(s)]
    # a word joiner after "\" stops Graphviz expanding "\N", "\G" (graphviz-pure does, even in HTML)
    return "<BR/>".join(line.replace("\\", "\\&#8288;") for line in lines)


_LINE_BREAK = re.compile(r"\r\n|\n|\r")


def _visible(line: str) -> str:
    """The line with every character Graphviz cannot draw replaced by a printable stand-in."""
    if line.isprintable():  # the common case, checked at C speed
        return line
    return "".join(_visible_char(ch) for ch in line)


def _visible_char(ch: str) -> str:
    if ch == "\t":
        return " "
    code = ord(ch)
    noncharacter = 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE
    if unicodedata.category(ch) in ("Cc", "Cs") or noncharacter:
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return ch


def _html(s: str) -> str:
    """A whole label as an HTML-like string, so that no DOT escape (like \\N or \\l) applies."""
    return f"<{_text(s)}>"


def _value_label(node: Value, name: str, border: str, fill: str, grads_known: bool) -> str:
    grad = f"grad {_fmt(node.grad)}" if grads_known else "grad ?"
    # A thin rule between fields keeps them apart whatever font the viewer substitutes.
    first = '<TD SIDES="L" BORDER="1">' if name else "<TD>"
    cells = [f"{first}data {_fmt(node.data)}</TD>", f'<TD SIDES="L" BORDER="1">{grad}</TD>']
    if name:
        cells.insert(0, f"<TD><B>{_text(name)}</B></TD>")
    return (
        f'<<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" COLOR="{border}" BGCOLOR="{fill}">'
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
        raise TooManyNodes(f"the graph has {boxes} nodes, more than max_nodes={max_nodes}: {hint}", boxes, max_nodes)

    grads_known = root.grad != 0.0  # backward() seeds the output with 1.0
    dot = GraphDrawing("computation_graph", format="svg", graph_attr={"rankdir": rankdir, "fontname": FONTS})
    dot.attr("node", fontname=FONTS, fontsize="11")
    dot.attr("edge", color="#666666", arrowsize="0.6")
    title = "computation graph" if grads_known else "computation graph: gradients not computed yet (call backward())"
    dot.attr(label=_html(title), labelloc="t", fontsize="13")

    ids = _node_ids(order)
    clusters: dict[str, list[Value]] = {}  # collapsed groups and their nodes
    statements: list[tuple[str | None, str, dict[Any, Any]]] = []  # (cluster, node id, attributes)
    loose_inputs: list[tuple[str, dict[Any, Any]]] = []  # a grouped drawing's inputs outside every group
    edges: set[tuple[str, str]] = set()
    edge_list: list[tuple[str, str]] = []
    blocks = _leaf_tables(order, keys, ids) if not collapse else {}
    block_rows: dict[str, list[Value]] = {}
    for leaf, (block, _) in blocks.items():
        block_rows.setdefault(block, []).append(leaf)

    def add_edge(a: str, b: str) -> None:
        if a != b and (a, b) not in edges:
            edges.add((a, b))
            edge_list.append((a, b))

    def box_id(node: Value) -> str:
        if node in blocks:
            block, row = blocks[node]
            return f"{block}:p{row}:e"
        key = keys[node]
        return _group_id("group_", key) if collapse and key is not None else ids[node]

    for node in order:
        key = keys[node]
        kind = _kind(node, root)
        border, kind_fill = KIND_STYLE[kind]
        fill = _grad_fill(node.grad) if color_by == "grad" and grads_known else kind_fill
        if collapse and key is not None:
            clusters.setdefault(key, []).append(node)
        elif node in blocks:
            pass  # drawn as a row of its neuron's parameter table
        else:
            name = node.label
            if key is not None and name.startswith(key + "."):
                name = name[len(key) + 1:]
            attrs = {"label": _value_label(node, name, border, fill, grads_known), "shape": "plaintext"}
            if group is not None and key is None and kind == "input":
                loose_inputs.append((ids[node], attrs))
            else:
                statements.append((key, ids[node], attrs))
        if node.inputs:
            if collapse and key is not None:
                op_box = box_id(node)
            else:
                op_box = ids[node] + "_op"
                symbol = OP_SYMBOLS.get(node.op, node.op)
                if node._constant is not None:  # a plain-number operand, drawn inside the op: × 0.999
                    constant = _fmt(node._constant)
                    symbol = f"{constant} {symbol}" if constant_first(node) else f"{symbol} {constant}"
                statements.append((key, op_box, {"label": _html(symbol), "shape": "oval", "fontsize": "10",
                                                 "style": "filled", "fillcolor": "#eeeeee", "height": "0.3"}))
                add_edge(op_box, ids[node])
            for child in node.inputs:
                add_edge(box_id(child), op_box)

    for block, leaves in block_rows.items():
        kind = "input" if block == INPUTS_TABLE else "parameter"
        fills = [_grad_fill(v.grad) if color_by == "grad" and grads_known else KIND_STYLE[kind][1] for v in leaves]
        label = _leaf_table(leaves, keys[leaves[0]], fills, grads_known, kind)
        if block == INPUTS_TABLE:
            loose_inputs.append((block, {"label": label, "shape": "plaintext"}))
        else:
            statements.append((keys[leaves[0]], block, {"label": label, "shape": "plaintext"}))

    by_cluster: dict[str | None, list[tuple[str, dict[Any, Any]]]] = {}
    for key, node_id, attrs in statements:
        by_cluster.setdefault(key, []).append((node_id, attrs))
    # A grouped drawing's inputs in a cluster of their own, not drawn: Graphviz then orders the
    # clusters as one unit each, and keeps the model's order (L0.N0, L0.N1, ...) far more often
    # (every one-hidden-layer MLP tried; loose inputs between them let L0.N0 drift to the bottom).
    if loose_inputs:
        with dot.subgraph(name="cluster_inputs") as sub:
            sub.attr(style="invis", label="")
            for node_id, attrs in loose_inputs:
                sub.node(node_id, **attrs)
    # clusters in the model's order (L0.N0, L0.N1, ..., L0.N10, L1.N0): Graphviz stacks them as it meets them
    for key, entries in sorted(by_cluster.items(), key=lambda item: _natural(item[0])):
        if key is None:
            for node_id, attrs in entries:
                dot.node(node_id, **attrs)
            continue
        with dot.subgraph(name=_group_id("cluster_", key)) as sub:
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


def _node_ids(order: list[Value]) -> dict[Value, str]:
    """Each node's name in the DOT source: n0, n1, ... in topological order (its op oval is n5_op)."""
    return {node: f"n{i}" for i, node in enumerate(order)}


def _check_folder(path: str, who: str) -> None:
    """Refuse, before any drawing work, a path whose folder does not exist."""
    folder = os.path.dirname(path)
    if folder and not os.path.isdir(folder):
        raise FileNotFoundError(f"{who}: the folder {folder!r} does not exist; create it first")


def _leaf_tables(order: list[Value], keys: dict[Value, str | None], ids: dict[Value, str]
                      ) -> dict[Value, tuple[str, int]]:
    """Which leaves to draw as rows of one table, and where: a neuron's bias and weights, in
    the order its op takes them (b, w0, w1, ...), and in a grouped drawing the model's inputs
    (x0, x1, ...), in the order of first use. Separate boxes would be ordered by the layout
    engine, which shuffles them and crosses their edges; a table keeps the order."""
    blocks: dict[Value, tuple[str, int]] = {}
    inputs: dict[Value, None] = {}  # the grouped nodes' inputs outside every group, in order
    for node in order:
        key = keys[node]
        if key is None or not node.inputs:
            continue
        params = [c for c in dict.fromkeys(node.inputs) if isinstance(c, Parameter) and keys[c] == key and c not in blocks]
        if len(params) > 1:
            for row, param in enumerate(params):
                blocks[param] = (ids[node] + "_params", row)
        inputs.update((c, None) for c in node.inputs if keys[c] is None and not c.inputs and not isinstance(c, Parameter))
    if len(inputs) > 1:
        for row, leaf in enumerate(inputs):
            blocks[leaf] = (INPUTS_TABLE, row)
    return blocks


INPUTS_TABLE = "inputs_table"
"""The node id of a grouped drawing's table of inputs."""


def _leaf_table(leaves: list[Value], key: str | None, fills: list[str], grads_known: bool,
                kind: str = "parameter") -> str:
    """One table, a row per leaf (name | data | grad), each row a port its edge leaves from;
    bordered as `kind` ("parameter", or "input" for a model's inputs)."""
    rows = []
    for row, (leaf, fill) in enumerate(zip(leaves, fills)):
        name = leaf.label[len(key) + 1:] if key and leaf.label.startswith(key + ".") else leaf.label
        grad = f"grad {_fmt(leaf.grad)}" if grads_known else "grad ?"
        rows.append(
            f'<TR><TD BGCOLOR="{fill}" ALIGN="LEFT"><B>{_text(name)}</B></TD>'
            f'<TD BGCOLOR="{fill}" SIDES="L" BORDER="1" ALIGN="LEFT">data {_fmt(leaf.data)}</TD>'
            f'<TD BGCOLOR="{fill}" SIDES="L" BORDER="1" ALIGN="LEFT" PORT="p{row}">{grad}</TD></TR>'
        )
    border = KIND_STYLE[kind][0]
    return (f'<<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" COLOR="{border}">'
            f"{''.join(rows)}</TABLE>>")


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
    dot.node(_group_id("group_", key), label=_html("\n".join(lines)), shape="box3d", style="filled",
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
    rows.append('<TR><TD>≈</TD><TD ALIGN="LEFT">rounded to 4 digits for display</TD></TR>')
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
    return shutil.which("graphviz-pure", path=os.path.dirname(sys.executable))


NO_RENDERER_HINT = "pip install graphviz-pure (or install Graphviz) to get images"
FORMATS = ("svg", "png", "pdf", "dot", "gv")


def render(root: Value | graphviz.Digraph, path: str | os.PathLike[str], **options: Any) -> str:
    """Draw `root` (a Value, or a drawing from `draw_dot`) into `path` and return the path written.

    The format comes from the extension: .svg, .png, .dot, and .pdf when Graphviz's own `dot`
    is installed (graphviz-pure has no PDF output). `options` go to draw_dot. The folder must
    exist. The file is replaced only once the new one is complete. Without any Graphviz
    program, writes the .dot source beside `path`, says in one line how to get images, and
    returns the .dot path.
    """
    path = os.fspath(path)
    stem, ext = os.path.splitext(path)
    fmt = ext.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"render: unknown image format {ext!r} in {path!r}; use .svg, .png, .pdf or .dot")
    _check_folder(path, "render")
    renderer = find_renderer() if fmt not in ("dot", "gv") else None
    if fmt == "pdf" and renderer is not None and os.path.basename(renderer).startswith("graphviz-pure"):
        raise ValueError("render: .pdf needs Graphviz's own dot program (graphviz-pure draws .svg and .png); "
                         "write .svg or .png, or install Graphviz")
    dot = root if isinstance(root, graphviz.Digraph) else draw_dot(root, **options)
    if fmt in ("dot", "gv"):
        write_text_atomically(path, dot.source)
        return path
    if renderer is None:
        dot_path = stem + ".dot"
        write_text_atomically(dot_path, dot.source)
        print(f"tinygrad_lite: no Graphviz found, wrote {dot_path}; {NO_RENDERER_HINT}", file=sys.stderr)
        return dot_path
    with replaced_atomically(path) as temporary:
        result = _run_renderer(renderer, dot, fmt, "-o", temporary)
        if result.returncode != 0:
            raise RuntimeError(f"{os.path.basename(renderer)} failed to draw {path}: "
                               f"{_render_failure(result, temporary)}; the previous file, if any, is kept")
    return path


def _render_failure(result: subprocess.CompletedProcess[bytes], written: str) -> str:
    """Why the renderer failed: its error lines (not its warnings), the signal that stopped it,
    or the file size limit it ran into."""
    lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
    errors = [line for line in lines if "warning" not in line.lower()]
    reasons = [errors[-1]] if errors else []
    if result.returncode < 0:
        reasons.append(f"stopped by signal {signal.Signals(-result.returncode).name}")
    limit = _file_size_limit()
    if limit is not None and os.path.exists(written) and os.path.getsize(written) >= limit:
        reasons.append(f"the file size limit of this process (ulimit -f, {limit} bytes) was reached")
    return "; ".join(reasons) or f"it exited with status {result.returncode} and no error message"


def _file_size_limit() -> int | None:
    """The soft limit on the size of files this process writes, or None for none (or no way to ask)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    return None if soft == resource.RLIM_INFINITY else soft


def walkthrough(root: Value, path: str | os.PathLike[str], group: str | None = None, rankdir: str = "LR",
                max_nodes: int = MAX_NODES) -> str:
    """Write one self-contained HTML page that steps through backpropagation on `root`'s graph,
    and return the path written.

    The page shows the drawing and steps through the forward pass node by node, then the
    backward pass rule by rule: each backward step highlights the node whose rule runs, shows
    each gradient contribution as a formula with its numbers put in (`tanh: x.grad += out.grad
    * (1.0 - out * out) = 1 * (1.0 - 0.7071 * 0.7071) = 0.5`), and fills in gradients as they
    arrive, marked final once every consumer has passed its share. Buttons, the arrow keys
    (Home, End) and a slider move between steps. It needs no network: open it from disk.

    The steps start from zero gradients, as `backward()` on a fresh graph does; the graph's
    own gradients are left as they were. `group="neuron"` draws an nn model neuron by neuron;
    graphs over `max_nodes` are refused as by draw_dot. An op written by hand (a per-node
    `_backward`) shows its name and what it added, without a formula.
    """
    from .page import page
    from .steps import display_names, record_steps

    if not isinstance(root, Value):
        raise TypeError(f"walkthrough expects a Value, got {type(root).__name__}")
    path = os.fspath(path)
    if os.path.splitext(path)[1].lower() not in (".html", ".htm"):
        raise ValueError(f"walkthrough writes an .html page, got {path!r}")
    _check_folder(path, "walkthrough")
    order, steps = record_steps(root, _fmt)
    final_grads = {}
    for step in steps:
        final_grads.update({i: grad for i, (grad, _) in step.grads.items()})
    saved = [(node.grad, node.label) for node in order]
    try:
        # Drawn with the final values, so that every box is wide enough for the numbers it will
        # show, and with every node named as the formulas name it (v5 for an unlabelled node).
        for i, (node, name) in enumerate(zip(order, display_names(order))):
            node.grad = final_grads.get(i, 0.0)
            node.label = node.label or name
        dot = draw_dot(root, rankdir=rankdir, group=group, max_nodes=max_nodes, legend=False)
    finally:
        for node, (grad, label) in zip(order, saved):
            node.grad, node.label = grad, label
    if find_renderer() is None:
        raise RuntimeError(f"walkthrough needs a Graphviz renderer to draw the graph; {NO_RENDERER_HINT}")
    svg = _svg_of(dot)
    if svg is None:
        raise RuntimeError(f"walkthrough: the Graphviz renderer {find_renderer()} failed to draw the graph of {root!r}")
    ids = _node_ids(order)  # as draw_dot named them
    blocks = _leaf_tables(order, {node: _group_key(node, group) for node in order}, ids)
    places = []
    for node in order:
        box, row = blocks.get(node, (ids[node], 0))
        places.append({"box": box, "row": row, "op": ids[node] + "_op" if node.inputs else ""})
    step_data = [{"phase": s.phase, "node": s.node, "title": s.title, "lines": s.lines,
                  "data": {i: _fmt(v) for i, v in s.data.items()},
                  "grads": {i: [_fmt(g), final] for i, (g, final) in s.grads.items()},
                  "inputs": s.inputs} for s in steps]
    root_name = _visible(root.label) or "out"  # a lone surrogate cannot be written as UTF-8: shown as its escape
    write_text_atomically(path, page(svg, step_data, places, f"Backpropagation, step by step: {root_name}", root_name))
    return path
