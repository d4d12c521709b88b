"""Draw computation graphs: one neuron, a tiny MLP grouped by neuron, and a saturated unit.

    python examples/draw_graph.py [--out out]

Open the SVGs in a browser. In `saturated.svg`, boxes are shaded by |grad|: the pale ones
behind the saturated tanh show how little gradient gets through (a vanishing gradient).
"""

import argparse
import os

from tinygrad_lite import Value, nn, viz

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--out", default="out")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)

# One neuron: tanh(w0*x0 + w1*x1 + b), the lecture's example.
x0, x1 = Value(2.0, label="x0"), Value(0.0, label="x1")
w0, w1 = Value(-3.0, label="w0"), Value(1.0, label="w1")
b = Value(6.8813735870195432, label="b")
n = x0 * w0 + x1 * w1 + b
n.label = "n"
o = n.tanh()
o.label = "o"
o.backward()
print("wrote", viz.render(o, os.path.join(args.out, "neuron.svg")))

# A tiny MLP, drawn neuron by neuron.
model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
score = model([0.5, -1.0])
score.backward()
print("wrote", viz.render(score, os.path.join(args.out, "tiny_mlp.svg"), group="neuron", color_by="grad"))
print("wrote", viz.render(score, os.path.join(args.out, "tiny_mlp_collapsed.svg"), group="neuron", collapse=True))

# A saturated unit: tanh(10 * x) at x = 1 passes back almost nothing.
x = Value(1.0, label="x")
y = (x * 10).tanh() * 2 + x
y.label = "y"
y.backward()
print("wrote", viz.render(y, os.path.join(args.out, "saturated.svg"), color_by="grad"))
