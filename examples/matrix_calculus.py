"""From scalar backprop to matrix calculus: compile a training step for numpy and read it.

    python examples/matrix_calculus.py [--points 50] [--width 8] [--steps 100]

The eager engine backpropagates through one scalar node at a time. A training step over a
batch repeats the same small graph once per data point, and `compile(..., backend="numpy")`
finds those copies: each layer becomes one matrix product forward (Z = W X + b) and three
backward (dX = W^T dZ, dW = dZ X^T, db = the row sums of dZ), each line of the generated code
saying which of the engine's rules it comes from. This script prints that code for a small
MLP, trains with it, and checks every step's loss against the eager engine's. Needs numpy
(pip install -e ".[fast]").
"""

from __future__ import annotations

import argparse
import time

import tinygrad_lite as tl
from tinygrad_lite import Value, data, losses, nn, optim


def make_step(points: int, width: int):
    """A model, its optimiser and its loss over the two-moons points (a function of the flat inputs)."""
    X, y = data.make_moons(points, noise=0.1, seed=0)
    model = nn.MLP(2, [width, 1], seed=0)
    flat = [c for x in X for c in x]

    def loss(v):
        scores = [model(v[2 * i:2 * i + 2]) for i in range(points)]
        return losses.hinge(scores, y) + 1e-4 * losses.l2(model.parameters())

    return model, optim.SGD(model.parameters(), lr=0.1), flat, loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=50)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()

    model, opt, flat, loss = make_step(args.points, args.width)
    step = tl.compile(loss, flat, input_grads=False, backend="numpy")
    print(f"compiled in {step.compile_seconds:.2f} s: {step.description}\n")
    print(step.source)

    # The same model trained eagerly, from the same starting weights, as the reference.
    _, eager_opt, _, eager_loss = make_step(args.points, args.width)
    seconds = {"eager": 0.0, "numpy": 0.0}
    worst = 0.0
    for i in range(args.steps):
        start = time.perf_counter()
        opt.zero_grad()
        value, _ = step(flat)
        opt.step()
        seconds["numpy"] += time.perf_counter() - start

        start = time.perf_counter()
        eager_opt.zero_grad()
        out = eager_loss([Value(x) for x in flat])
        out.backward()
        eager_opt.step()
        seconds["eager"] += time.perf_counter() - start

        worst = max(worst, abs(value - out.data) / abs(out.data))
        if i % max(1, args.steps // 5) == 0 or i == args.steps - 1:
            print(f"step {i + 1:4d}  loss {value:.6f}  (eager {out.data:.6f})")
    print(f"\nthe losses of every step agree with the eager engine's to {worst:.1e} (relative); "
          f"a step took {seconds['numpy'] / args.steps * 1e3:.3f} ms compiled for numpy, "
          f"{seconds['eager'] / args.steps * 1e3:.2f} ms eagerly")


if __name__ == "__main__":
    main()
