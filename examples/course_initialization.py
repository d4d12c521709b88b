"""The course's "Initialization" exercise, written with Values: zeros against He initialisation.

    pip install -e ".[course]"                 # numpy and scikit-learn, to make the data as the course does
    python examples/course_initialization.py   # about 10 s

Deep Learning Specialization, Course 2 Week 1. Two circles of 300 training points (scikit-learn's
`make_circles(n_samples=300, noise=.05)` after numpy's legacy generator is seeded with 1; 100
test points after seeding with 2); a network 2-10-5-1, relu, relu, sigmoid; cross-entropy;
gradient descent with learning rate 0.01 for 15,000 steps.

With every weight 0, every unit of a layer computes the same thing and receives the same
gradient (here, none at all: relu(0) passes nothing back), so the network never leaves its
start: the cost stays 0.6931471805599453 = ln 2 and it predicts one class, 50% right. He
initialisation (randn(n_l, n_l-1) * sqrt(2 / n_l-1), generator seeded with 3) breaks the
symmetry: the costs the course publishes, 0.8830537463419761 at step 0 down to 0.0736 at step
14,000, and 99.3% / 96% train / test accuracy. The lectures' point, with numbers to check
against one's own notebook. The cost goes through `tl.jit`, as in course_planar.py.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from example_helpers import gradient_descent

import tinygrad_lite as tl
from tinygrad_lite import Parameter, Value, no_grad

LAYERS = (2, 10, 5, 1)
PUBLISHED = {
    "zeros": {"costs": {0: 0.6931471805599453, 1000: 0.6931471805599453, 14000: 0.6931471805599453},
              "train": 0.5, "test": 0.5},
    "he": {"costs": {0: 0.8830537463419761, 1000: 0.6879825919728063, 14000: 0.07357895962677366},
           "train": 0.9933333333333333, "test": 0.96},
}
"""What the course prints for each initialisation (costs at steps 0, 1000 and 14,000)."""


def _modules():
    try:
        import numpy as np
        import sklearn.datasets
    except ImportError:
        raise SystemExit("this example makes the course's data with numpy and scikit-learn: "
                         "pip install -e \".[course]\"") from None
    return np, sklearn.datasets


def circles() -> tuple[list[list[float]], list[int], list[list[float]], list[int]]:
    """The course's training set (300 points) and test set (100 points)."""
    np, datasets = _modules()
    np.random.seed(1)
    train_X, train_Y = datasets.make_circles(n_samples=300, noise=.05)
    np.random.seed(2)
    test_X, test_Y = datasets.make_circles(n_samples=100, noise=.05)
    return train_X.tolist(), [int(y) for y in train_Y], test_X.tolist(), [int(y) for y in test_Y]


class Network:
    """2-10-5-1: relu, relu, sigmoid; weights zeros or He, as the course makes them."""

    def __init__(self, init: str) -> None:
        np, _ = _modules()
        np.random.seed(3)
        self.layers = []
        for layer in range(1, len(LAYERS)):
            n, n_before = LAYERS[layer], LAYERS[layer - 1]
            W = np.zeros((n, n_before)) if init == "zeros" else np.random.randn(n, n_before) * np.sqrt(2.0 / n_before)
            self.layers.append(([[Parameter(float(w)) for w in row] for row in W], [Parameter(0.0) for _ in range(n)]))

    def parameters(self) -> list[Parameter]:
        return [p for W, b in self.layers for p in [w for row in W for w in row] + b]

    def weight_rows(self) -> list[tuple[list[list[float]], list[float]]]:
        """Each layer's weights and biases as numbers: (W as rows, b)."""
        return [([[w.data for w in row] for row in W], [v.data for v in b]) for W, b in self.layers]

    def forward(self, x: Sequence[Value | float]) -> Value:
        a: Sequence[Value | float] = x
        for k, (W, b) in enumerate(self.layers):
            z = [Value.linear(row, a, bias) for row, bias in zip(W, b)]
            a = [v.relu() for v in z] if k < len(self.layers) - 1 else [z[0].sigmoid()]
        return a[0]  # type: ignore[return-value]

    def cost(self, X: Sequence[Sequence[Value | float]], Y: Sequence[int]) -> Value:
        """The course's loss: (1/m) sum(-log(a3) Y - log(1 - a3)(1 - Y))."""
        terms = []
        for x, y in zip(X, Y):
            a3 = self.forward(x)
            terms.append(-a3.log() * y + -(1 - a3).log() * (1 - y))
        return (1.0 / len(terms)) * Value.sum(terms)

    def accuracy(self, X: Sequence[Sequence[float]], Y: Sequence[int]) -> float:
        with no_grad():
            return sum((self.forward(x).data > 0.5) == (y == 1) for x, y in zip(X, Y)) / len(X)


def train(init: str, steps: int = 15_000, lr: float = 0.01, quiet: bool = False) -> tuple[Network, dict[int, float]]:
    """Gradient descent as the course runs it, the cost through tl.jit; the cost every 1,000 steps."""
    X, Y, _, _ = circles()
    net = Network(init)
    params = net.parameters()
    cost_of = tl.jit(net.cost)  # compiled on its first call; the loop is the eager one
    return net, gradient_descent(cost_of, (X, Y), params, lr, steps, 1000, quiet, exact=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=15_000)
    args = parser.parse_args()
    _, _, test_X, test_Y = circles()
    train_X, train_Y, _, _ = circles()
    for init in ("zeros", "he"):
        print(f"--- initialisation: {init}")
        start = time.perf_counter()
        net, costs = train(init, args.steps)
        print(f"{args.steps} steps in {time.perf_counter() - start:.1f} s (through tl.jit); "
              f"train accuracy {net.accuracy(train_X, train_Y)!r}, test accuracy {net.accuracy(test_X, test_Y)!r}; "
              f"the course: {PUBLISHED[init]['train']!r} and {PUBLISHED[init]['test']!r}")
