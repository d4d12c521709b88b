"""The course's networks: a training step through tl.jit against the same step hand-written in numpy.

    python benchmarks/course_numpy.py            # needs numpy (and scikit-learn for the second network)

Two networks from the deeplearning.ai exercises (see examples/course_*.py): the planar network
(400 points, 2-4-1, tanh then sigmoid, cross-entropy, learning rate 1.2) and the initialization
exercise's (300 points, 2-10-5-1, relu, relu, sigmoid, learning rate 0.01). Each step is
forward, backward and the update, timed three ways in turn, round after round, on the same
machine load, as a training loop runs them: steps back to back, a block of them at a time, the
cache warm (a collection before every step would evict it and time something no loop does):
- numpy by hand, as the course writes it (`Z1 = W1 @ X + b1`, ..., `dZ1 = W2.T @ dZ2 * (1 - A1**2)`);
- the Value code of the examples under `@tl.jit`, the examples' own loop unchanged (zero grads,
  backward, `p.data -= lr * p.grad`: examples/example_helpers.py);
- the same Value code eager, a few rounds only (it takes tens of milliseconds).
The table shows medians and the ratio to the hand-written step.

    python benchmarks/course_numpy.py --parts    # where tl.jit's step goes

`--parts` times pieces of the jit step in the same way instead of eager: the compiled code
alone, the call (which also checks that the arguments are those of the last call and builds
the result node), the call with backward(), and the whole step with the loop's own zeroing
and update.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))

import numpy as np  # noqa: E402
from example_helpers import descent_step  # noqa: E402

import tinygrad_lite as tl  # noqa: E402


def hand_planar_step(X: np.ndarray, Y: np.ndarray, p: dict[str, np.ndarray], lr: float = 1.2) -> float:
    """One step of the course's planar network in numpy, as the course writes it."""
    m = X.shape[1]
    Z1 = p["W1"] @ X + p["b1"]
    A1 = np.tanh(Z1)
    Z2 = p["W2"] @ A1 + p["b2"]
    A2 = 1 / (1 + np.exp(-Z2))
    cost = float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = p["W2"].T @ dZ2 * (1 - A1 ** 2)
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    p["W1"] -= lr * dW1
    p["b1"] -= lr * db1
    p["W2"] -= lr * dW2
    p["b2"] -= lr * db2
    return cost


def hand_initialization_step(X: np.ndarray, Y: np.ndarray, p: dict[str, np.ndarray], lr: float = 0.01) -> float:
    """One step of the initialization exercise's 2-10-5-1 network in numpy."""
    m = X.shape[1]
    Z1 = p["W1"] @ X + p["b1"]
    A1 = np.maximum(0, Z1)
    Z2 = p["W2"] @ A1 + p["b2"]
    A2 = np.maximum(0, Z2)
    Z3 = p["W3"] @ A2 + p["b3"]
    A3 = 1 / (1 + np.exp(-Z3))
    cost = float(np.sum(-np.log(A3) * Y - np.log(1 - A3) * (1 - Y)) / m)
    dZ3 = (A3 - Y) / m
    dW3, db3 = dZ3 @ A2.T, np.sum(dZ3, axis=1, keepdims=True)
    dZ2 = (p["W3"].T @ dZ3) * (A2 > 0)
    dW2, db2 = dZ2 @ A1.T, np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = (p["W2"].T @ dZ2) * (A1 > 0)
    dW1, db1 = dZ1 @ X.T, np.sum(dZ1, axis=1, keepdims=True)
    for name, grad in (("W1", dW1), ("b1", db1), ("W2", dW2), ("b2", db2), ("W3", dW3), ("b3", db3)):
        p[name] -= lr * grad
    return cost


def contenders(net, eager_net, data, hand_step, lr, parts=False):
    """The three ways to take a step of `net` (the jitted one) and `eager_net` (the same weights),
    with the hand-written numpy step on copies of the weights as arrays; with `parts`, pieces
    of the jit step instead of the eager one."""
    X, Y = data
    hand = {}
    for k, (W, b) in enumerate(net.weight_rows(), start=1):
        hand[f"W{k}"], hand[f"b{k}"] = np.array(W), np.array(b).reshape(-1, 1)
    Xa, Ya = np.array(X).T, np.array([Y], dtype=float)
    cost = tl.jit(net.cost)
    steps = {"numpy by hand": lambda: hand_step(Xa, Ya, hand),
             "tl.jit": descent_step(cost, (X, Y), net.parameters(), lr)}
    if not parts:
        steps["eager Values"] = descent_step(eager_net.cost, (X, Y), eager_net.parameters(), lr)
        return steps

    def code_alone():  # what the call runs once it knows the arguments: the parameters read, the compiled code
        compiled = cost._last_compiled
        compiled.run(cost._last_inputs)

    def call_and_backward():
        cost(X, Y).backward()

    steps.update({"compiled code": code_alone, "call": lambda: cost(X, Y), "call+backward": call_and_backward})
    return steps


def planar_contenders(parts=False):
    import course_planar as planar

    return "planar 2-4-1, 400 points", contenders(planar.Network(), planar.Network(), planar.flower(),
                                                  hand_planar_step, 1.2, parts)


def initialization_contenders(parts=False):
    import course_initialization as course

    X, Y, _, _ = course.circles()
    return "initialization 2-10-5-1, 300 points", contenders(course.Network("he"), course.Network("he"), (X, Y),
                                                             hand_initialization_step, 0.01, parts)


def measure(title: str, contenders: dict, rounds: int = 600, block: int = 10, eager_every: int = 100) -> None:
    first = time.perf_counter()
    contenders["tl.jit"]()  # the first call traces and compiles
    print(f"\n{title}: tl.jit's first call (trace, generate, compile) {time.perf_counter() - first:.2f} s")
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for r in range(rounds):
        names = list(contenders) if r % 2 else list(reversed(contenders))
        for name in names:
            step = contenders[name]
            if name == "eager Values":  # one step now and then, after a collection (it makes tens of thousands of nodes)
                if r % eager_every == 0:
                    gc.collect()
                    start = time.perf_counter()
                    step()
                    times[name].append(time.perf_counter() - start)
                continue
            start = time.perf_counter()
            for _ in range(block):
                step()
            times[name].append((time.perf_counter() - start) / block)
    hand = statistics.median(times["numpy by hand"])
    for name, measured in times.items():
        median = statistics.median(measured)
        steps = len(measured) * (1 if name == "eager Values" else block)
        print(f"  {name:15} {median * 1e6:10.1f} us a step   {median / hand:7.2f}x the hand-written step"
              f"   ({steps} steps timed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", action="store_true", help="time pieces of the jit step instead of eager")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, numpy {np.__version__}")
    measure(*planar_contenders(args.parts))
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("\n(scikit-learn is not installed: the initialization network is skipped)")
        return
    measure(*initialization_contenders(args.parts))


if __name__ == "__main__":
    main()
