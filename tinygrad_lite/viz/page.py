"""The walkthrough page: one self-contained HTML file that steps through backpropagation.

The drawing is inline SVG made by Graphviz; the steps (from backprop_steps) are inline JSON; a
little JavaScript shows step k by replaying the changes of steps 0..k onto the drawing, so
that jumping anywhere (the slider, Home, End) gives the same picture as stepping there. Nothing
is loaded from the network: the file works from file://.
"""

from __future__ import annotations

import html
import json
from typing import Any

__all__ = ["page"]

_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 0; color: #222; }
header { padding: 10px 16px 4px; }
h1 { font-size: 18px; margin: 0 0 4px; }
p.help { margin: 0; font-size: 13px; color: #555; }
#controls { display: flex; gap: 8px; align-items: center; padding: 8px 16px; background: #f3f3f3;
            border-top: 1px solid #ddd; border-bottom: 1px solid #ddd; position: sticky; top: 0; }
#controls button { font-size: 14px; padding: 3px 10px; }
#slider { flex: 1; }
#counter { font-variant-numeric: tabular-nums; min-width: 9em; text-align: right; font-size: 13px; }
#phase { font-weight: bold; min-width: 6em; }
#phase.forward { color: #1f78b4; }
#phase.backward { color: #c0392b; }
#panel { padding: 8px 16px; min-height: 5.5em; border-bottom: 1px solid #ddd; }
#step-title { font-size: 15px; margin-bottom: 4px; }
#formulas div { font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 13px; margin: 2px 0; }
#legend { font-size: 12px; color: #555; padding: 4px 16px; }
#legend span.partial { color: #d35400; font-style: italic; }
#legend span.unknown { color: #999; }
#drawing { padding: 8px; overflow: auto; }
#drawing svg { max-width: 100%; height: auto; }
svg .current polygon, svg .current ellipse { stroke: #d62728 !important; stroke-width: 3px; }
svg .receiving polygon, svg .receiving ellipse { stroke: #8e44ad !important; stroke-width: 3px; }
svg text.unknown { fill: #999; }
svg text.partial { fill: #d35400; font-style: italic; }
svg text.final { fill: #000; font-weight: bold; }
"""

_SCRIPT = r"""
const steps = DATA.steps, places = DATA.places;
const groups = {};
for (const g of document.querySelectorAll("#drawing g.node")) {
  groups[g.querySelector("title").textContent] = g;
}
// The data and grad texts of each value: in its own box, or a row of its neuron's table.
function texts(prefix, place) {
  const group = groups[place.box];
  if (!group) return null;
  const all = [...group.querySelectorAll("text")].filter(t => t.textContent.startsWith(prefix));
  return all[place.row] || null;
}
const dataText = places.map(p => texts("data ", p));
const gradText = places.map(p => texts("grad ", p));
const slider = document.getElementById("slider");
slider.max = steps.length - 1;
let current = 0;

function show(k) {
  current = Math.max(0, Math.min(steps.length - 1, k));
  slider.value = current;
  for (const g of Object.values(groups)) g.classList.remove("current", "receiving");
  places.forEach((p, i) => {
    if (dataText[i]) { dataText[i].textContent = "data ?"; dataText[i].setAttribute("class", "unknown"); }
    if (gradText[i]) { gradText[i].textContent = "grad ?"; gradText[i].setAttribute("class", "unknown"); }
  });
  for (let s = 0; s <= current; s++) {
    for (const [i, text] of Object.entries(steps[s].data)) {
      if (dataText[i]) { dataText[i].textContent = "data " + text; dataText[i].setAttribute("class", ""); }
    }
    for (const [i, [text, final]] of Object.entries(steps[s].grads)) {
      if (gradText[i]) {
        gradText[i].textContent = "grad " + text;
        gradText[i].setAttribute("class", final ? "final" : "partial");
      }
    }
  }
  const step = steps[current];
  for (const box of [places[step.node].box, places[step.node].op]) {
    if (groups[box]) groups[box].classList.add("current");
  }
  for (const i of step.inputs) {
    if (groups[places[i].box]) groups[places[i].box].classList.add("receiving");
  }
  const phase = document.getElementById("phase");
  phase.textContent = step.phase;
  phase.className = step.phase;
  document.getElementById("counter").textContent = "step " + (current + 1) + " of " + steps.length;
  document.getElementById("step-title").textContent = step.title;
  const formulas = document.getElementById("formulas");
  formulas.replaceChildren(...step.lines.map(line => {
    const div = document.createElement("div");
    div.textContent = line;
    return div;
  }));
}

document.getElementById("reset").onclick = () => show(0);
document.getElementById("prev").onclick = () => show(current - 1);
document.getElementById("next").onclick = () => show(current + 1);
slider.oninput = () => show(Number(slider.value));
document.addEventListener("keydown", event => {
  const moves = {ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: steps.length - 1};
  if (event.key in moves && event.target !== slider) {
    event.preventDefault();
    show(moves[event.key]);
  }
});
// A link may open a given step: backprop.html#step=12 (counted from 1, as shown).
const linked = /step=(\d+)/.exec(window.location.hash);
show(linked ? Number(linked[1]) - 1 : 0);
window.addEventListener("hashchange", () => {
  const step = /step=(\d+)/.exec(window.location.hash);
  if (step) show(Number(step[1]) - 1);
});
"""

_BODY = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<p class="help">Forward: each node is computed from its inputs, in topological order. Backward: starting from
d{root}/d{root} = 1, each node's rule passes its gradient to its inputs, in reverse order, so that a node's
gradient is complete before its own rule runs. Step with &#8592; &#8594; (Home, End), the buttons or the slider.</p>
</header>
<div id="controls">
<button id="reset" title="back to the first step (Home)">&#171; reset</button>
<button id="prev" title="previous step (&#8592;)">&#9664; back</button>
<button id="next" title="next step (&#8594;)">next &#9654;</button>
<input id="slider" type="range" min="0" value="0" aria-label="step">
<span id="phase"></span>
<span id="counter"></span>
</div>
<div id="panel"><div id="step-title"></div><div id="formulas"></div></div>
<div id="legend">red border: the node computed, or whose rule runs; purple: the inputs it passes gradients to;
grads <span class="unknown">? not reached yet</span>, <span class="partial">orange: partial, more contributions to
come</span>, <b>bold: final</b>.</div>
<div id="drawing">{svg}</div>
<script>
const DATA = {data};
{script}
</script>
</body>
</html>
"""


def _script_json(value: object) -> str:
    """JSON that is safe inside a <script> element (no "</script>", whatever the labels hold)."""
    return json.dumps(value, ensure_ascii=True).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page(svg: str, steps: list[dict[Any, Any]], places: list[dict[Any, Any]], title: str, root_name: str) -> str:
    """The whole HTML page: `svg` (Graphviz output), the steps and where each node is drawn."""
    start = svg.find("<svg")
    return _BODY.format(
        title=html.escape(title),
        style=_STYLE,
        root=html.escape(root_name),
        svg=svg[start:] if start >= 0 else svg,
        data=_script_json({"steps": steps, "places": places}),
        script=_SCRIPT,
    )
