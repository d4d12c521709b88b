"""The demo: train an MLP on two moons, print progress, write pictures.

Run it as `python -m tinygrad_lite` (see `--help`). Pictures go to `out/` by default:
the decision boundary with the data and the loss curve (these need matplotlib, an optional
extra), and the computation graph of one neuron and of a tiny MLP drawn neuron by neuron.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, cast

from .. import nn, viz
from .._files import replaced_atomically
from ..engine import Value, paused_gc
from ..nn import data, losses, optim

__all__ = ["TrainingRun", "train_moons", "write_pictures", "run_demo"]


@dataclass
class TrainingRun:
    """What a training run leaves behind: the model, its data and its history."""

    model: nn.MLP
    X: list[list[float]]
    y: list[int]
    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    seconds: float = 0.0


def train_moons(
    epochs: int = 100, n: int = 200, seed: int = 0, lr: float = 0.1, quiet: bool = False
) -> TrainingRun:
    """Full-batch SGD with momentum on make_moons, with hinge loss plus a little L2."""
    X, y = data.make_moons(n, noise=0.1, seed=seed)
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=seed)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    run = TrainingRun(model, X, y)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        # Each step builds ~28,000 nodes; pausing the cycle collector meanwhile saves it from
        # walking them (they hold no cycles, and are freed by reference counting anyway).
        with paused_gc():
            scores = [cast(Value, model(x)) for x in X]  # one output unit: a Value
            loss = losses.hinge(scores, y) + 1e-4 * losses.l2(model.parameters())
            opt.zero_grad()
            loss.backward()
            opt.step()
        run.losses.append(loss.data)
        run.accuracies.append(losses.accuracy(scores, y))
        if not quiet:
            print(f"epoch {epoch:3d}  loss {loss.data:.4f}  accuracy {run.accuracies[-1]:6.1%}  "
                  f"elapsed {time.perf_counter() - start:5.1f}s", flush=True)
    run.seconds = time.perf_counter() - start
    return run


def write_pictures(run: TrainingRun, out_dir: str) -> list[str]:
    """Write the demo's pictures into `out_dir`; returns the paths written."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    # One neuron, after a backward pass, so that the drawing shows real gradients.
    x = [Value(0.8, label="x0"), Value(-0.5, label="x1")]
    neuron = run.model.layers[0].neurons[0]
    out = neuron(x)
    out.backward()
    written.append(viz.render(out, os.path.join(out_dir, "neuron_graph.svg")))
    tiny = nn.MLP(2, [3, 1], activation="tanh", seed=1)
    score = cast(Value, tiny([0.8, -0.5]))
    score.backward()
    written.append(viz.render(score, os.path.join(out_dir, "mlp_by_neuron.svg"), group="neuron", color_by="grad"))
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: skipping the decision-boundary and loss plots "
              "(pip install matplotlib)", file=sys.stderr)
        return written
    matplotlib.use("Agg")
    written.append(_plot_boundary(run, os.path.join(out_dir, "decision_boundary.png")))
    written.append(_plot_loss(run, os.path.join(out_dir, "loss_curve.png")))
    return written


def _plot_boundary(run: TrainingRun, path: str, steps: int = 60) -> str:
    import matplotlib.pyplot as plt

    xs = [p[0] for p in run.X]
    ys = [p[1] for p in run.X]
    x_min, x_max, y_min, y_max = min(xs) - 0.5, max(xs) + 0.5, min(ys) - 0.5, max(ys) + 0.5
    gx = [x_min + (x_max - x_min) * i / (steps - 1) for i in range(steps)]
    gy = [y_min + (y_max - y_min) * j / (steps - 1) for j in range(steps)]
    grid = [[cast(Value, run.model([a, b])).data > 0 for a in gx] for b in gy]
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.contourf(gx, gy, grid, levels=[-0.5, 0.5, 1.5], colors=["#f4c7c3", "#c6dbef"], alpha=0.8)
    ax.scatter(xs, ys, c=["#d62728" if label < 0 else "#1f77b4" for label in run.y], s=18, edgecolors="k",
               linewidths=0.4)
    ax.set_title(f"decision boundary, training accuracy {run.accuracies[-1]:.1%}")
    fig.tight_layout()
    _save_figure(fig, path)
    return path


def _plot_loss(run: TrainingRun, path: str) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(range(1, len(run.losses) + 1), run.losses, label="loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("hinge loss + L2")
    ax2 = ax.twinx()
    ax2.plot(range(1, len(run.accuracies) + 1), run.accuracies, color="#2ca02c", label="accuracy")
    ax2.set_ylabel("training accuracy")
    lines = ax.get_lines() + ax2.get_lines()  # one legend for both axes
    ax.legend(lines, [str(line.get_label()) for line in lines], loc="center right")
    ax.set_title("training on two moons")
    fig.tight_layout()
    _save_figure(fig, path)
    return path


def _save_figure(fig: Any, path: str) -> None:
    """Write a matplotlib figure as PNG, replacing any previous file only once it is complete."""
    import matplotlib.pyplot as plt

    with replaced_atomically(path) as temporary:
        fig.savefig(temporary, dpi=110, format="png")
    plt.close(fig)


def run_demo(epochs: int = 100, out_dir: str = "out", seed: int = 0) -> TrainingRun:
    """Train, report, and write the pictures: what `python -m tinygrad_lite` does."""
    print(f"training MLP(2, [16, 16, 1]) on 200 points of two moons for {epochs} epochs")
    run = train_moons(epochs=epochs, seed=seed)
    print(f"done in {run.seconds:.1f}s: final loss {run.losses[-1]:.4f}, training accuracy {run.accuracies[-1]:.1%}")
    for path in write_pictures(run, out_dir):
        print(f"wrote {path}")
    return run
