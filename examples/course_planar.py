"""The course's planar-data exercise, written with Values: one hidden layer, the published costs.

    pip install -e ".[course]"         # numpy, to make the data and weights as the course does
    python examples/course_planar.py   # about 10 s; the pictures need matplotlib

Deep Learning Specialization, Course 1 Week 3: "Planar data classification with one hidden
layer". The data is the course's 400-point flower, the network 2-4-1 with tanh then sigmoid,
the cost the mean cross-entropy written out, gradient descent with learning rate 1.2 for
10,000 steps. Data and initial weights come from numpy's legacy generator seeded as the course
seeds it, so the costs printed every 1,000 steps are the course's, to the last printed digit:
0.693048, 0.288083, 0.254385, ...

Where the course writes backpropagation by hand (dZ2 = A2 - Y, dW2 = dZ2 A1^T / m, dZ1 = W2^T dZ2
* (1 - A1^2), ...), here `backward()` does it from each op's rule. The cost function goes
through `tl.jit`, the training loop unchanged: eager Values take 12 to 45 ms a step (minutes
for the exercise); compiled to numpy array code on its first call, a step takes a fraction of
a millisecond, with the same numbers. `--eager` runs the Values themselves (slow).
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Sequence

from example_helpers import gradient_descent, pyplot, save

import tinygrad_lite as tl
from tinygrad_lite import Parameter, Value

PUBLISHED = {0: 0.693048, 1000: 0.288083, 2000: 0.254385, 3000: 0.233864, 4000: 0.226792,
             5000: 0.222644, 6000: 0.219731, 7000: 0.217504}
"""The costs the course prints for this exercise (n_h = 4, learning rate 1.2)."""


def _numpy():
    try:
        import numpy as np
    except ImportError:
        raise SystemExit("this example makes the course's data with numpy: pip install -e \".[course]\"") from None
    return np


def flower(m: int = 400) -> tuple[list[list[float]], list[int]]:
    """The course's planar "flower": two classes of m/2 points on the petals of r = 4 sin(4t)."""
    np = _numpy()
    np.random.seed(1)
    half = m // 2
    X, Y = [], []
    for j in range(2):
        t = np.linspace(j * 3.12, (j + 1) * 3.12, half) + np.random.randn(half) * 0.2  # t's noise first
        r = 4 * np.sin(4 * t) + np.random.randn(half) * 0.2
        X += [[float(a), float(b)] for a, b in zip(r * np.sin(t), r * np.cos(t))]
        Y += [j] * half
    return X, Y


class Network:
    """2 -> n_h tanh -> 1 sigmoid, weights drawn as the course draws them (seed 2, randn * 0.01)."""

    def __init__(self, n_h: int = 4, n_x: int = 2) -> None:
        np = _numpy()
        np.random.seed(2)
        W1 = np.random.randn(n_h, n_x) * 0.01
        W2 = np.random.randn(1, n_h) * 0.01
        self.W1 = [[Parameter(float(w), label=f"W1[{k},{i}]") for i, w in enumerate(row)] for k, row in enumerate(W1)]
        self.b1 = [Parameter(0.0, label=f"b1[{k}]") for k in range(n_h)]
        self.W2 = [Parameter(float(w), label=f"W2[0,{k}]") for k, w in enumerate(W2[0])]
        self.b2 = Parameter(0.0, label="b2")

    def parameters(self) -> list[Parameter]:
        return [w for row in self.W1 for w in row] + self.b1 + self.W2 + [self.b2]

    def weight_rows(self) -> list[tuple[list[list[float]], list[float]]]:
        """Each layer's weights and biases as numbers: (W as rows, b)."""
        return [([[w.data for w in row] for row in self.W1], [b.data for b in self.b1]),
                ([[w.data for w in self.W2]], [self.b2.data])]

    def forward(self, x: Sequence[Value | float]) -> Value:
        """A2 for one point: sigmoid(W2 tanh(W1 x + b1) + b2)."""
        A1 = [Value.linear(row, x, b).tanh() for row, b in zip(self.W1, self.b1)]
        return Value.linear(self.W2, A1, self.b2).sigmoid()

    def cost(self, X: Sequence[Sequence[Value | float]], Y: Sequence[int]) -> Value:
        """The course's cost, written out: -(1/m) sum(Y log A2 + (1 - Y) log(1 - A2))."""
        terms = []
        for x, y in zip(X, Y):
            a2 = self.forward(x)
            terms.append(y * a2.log() + (1 - y) * (1 - a2).log())
        return -(1.0 / len(terms)) * Value.sum(terms)


def train(steps: int = 10_000, lr: float = 1.2, n_h: int = 4, eager: bool = False, report_every: int = 1000,
          quiet: bool = False) -> tuple[Network, dict[int, float]]:
    """Gradient descent as the course runs it; returns the network and the cost every `report_every` steps."""
    X, Y = flower()
    net = Network(n_h)
    params = net.parameters()
    cost = net.cost if eager else tl.jit(net.cost)  # the same function, compiled on its first call
    return net, gradient_descent(cost, (X, Y), params, lr, steps, report_every, quiet)


def accuracy(net: Network) -> float:
    """The share of the 400 points classified right (A2 > 0.5 predicts class 1)."""
    from tinygrad_lite import no_grad

    X, Y = flower()
    with no_grad():
        return sum((net.forward(x).data > 0.5) == (y == 1) for x, y in zip(X, Y)) / len(X)


def plot_boundaries(path: str, sizes: Sequence[int] = (1, 2, 3, 4, 5, 20, 50), steps: int = 5000) -> str | None:
    """The decision boundary for each hidden layer size, as the course shows them."""
    from tinygrad_lite import no_grad

    plt = pyplot()
    if plt is None:
        return None

    np = _numpy()
    X, Y = flower()
    grid = np.linspace(-4.5, 4.5, 90)
    fig, axes = plt.subplots(2, 4, figsize=(13, 6.6))
    for ax, n_h in zip(axes.flat, sizes):
        net, _ = train(steps, n_h=n_h, quiet=True)
        with no_grad():
            Z = [[net.forward([float(u), float(v)]).data > 0.5 for u in grid] for v in grid]
        ax.contourf(grid, grid, Z, levels=[-0.5, 0.5, 1.5], colors=["#f4b6b6", "#b6cdf4"])
        ax.scatter([x[0] for x in X], [x[1] for x in X], c=["#c0392b" if y == 0 else "#2c5fa8" for y in Y], s=6)
        ax.set_title(f"{n_h} hidden unit{'s' if n_h > 1 else ''}: {accuracy(net):.1%}")
        ax.set_xticks([])
        ax.set_yticks([])
    axes.flat[-1].axis("off")
    fig.suptitle(f"Decision boundary by hidden layer size ({steps} steps, learning rate 1.2)")
    return save(fig, path, dpi=90)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eager", action="store_true", help="run the Values themselves, not compiled (minutes)")
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    parser.add_argument("--no-pictures", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    net, costs = train(args.steps, eager=args.eager)
    seconds = time.perf_counter() - start
    matches = all(math.isclose(round(costs[i], 6), c, abs_tol=1e-12) for i, c in PUBLISHED.items() if i in costs)
    print(f"{args.steps} steps in {seconds:.1f} s ({'eager' if args.eager else 'through tl.jit'}); "
          f"the course's published costs {'reproduced' if matches else 'NOT reproduced'}; accuracy {accuracy(net):.1%}")
    if not args.no_pictures:
        written = plot_boundaries(os.path.join(args.out, "course_planar_hidden_sizes.png"))
        if written:
            print(f"wrote {written}")
