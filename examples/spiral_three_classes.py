"""Three classes: softmax and cross-entropy on a three-armed spiral.

    python examples/spiral_three_classes.py          # the picture needs matplotlib

An MLP 2-16-16-3 gives three scores (logits) per point; `losses.cross_entropy` is the mean of
-log softmax(scores)[class], with PyTorch's values and gradients. Trained with Adam, it
separates the three arms; accuracy is measured inside `no_grad()`, which records no graph.
"""

from __future__ import annotations

import argparse
import os

from example_helpers import pyplot, save

from tinygrad_lite import data, losses, nn, no_grad, optim


def predict(model: nn.MLP, x: list[float]) -> int:
    """The class with the largest score."""
    scores = model(x)
    return max(range(len(scores)), key=lambda k: scores[k].data)


def train(steps: int = 300, n: int = 150, seed: int = 0, quiet: bool = False) -> tuple[nn.MLP, float, list[float]]:
    """Train on `n` points of three arms for `steps` full-batch Adam steps: (model, accuracy, losses)."""
    X, y = data.make_spiral_arms(n, arms=3, noise=0.2, seed=seed)
    model = nn.MLP(2, [16, 16, 3], activation="tanh", seed=seed)
    opt = optim.Adam(model.parameters(), lr=0.03)
    history = []
    for step in range(steps):
        loss = losses.cross_entropy([model(x) for x in X], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(loss.data)
        if not quiet and (step % 50 == 0 or step == steps - 1):
            print(f"step {step:4d}  cross-entropy {loss.data:.4f}")
    with no_grad():  # evaluation: values only, no graph
        accuracy = sum(predict(model, x) == label for x, label in zip(X, y)) / len(X)
    return model, accuracy, history


def plot(model: nn.MLP, path: str, n: int = 150, seed: int = 0, grid: int = 70) -> str | None:
    plt = pyplot()
    if plt is None:
        return None

    X, y = data.make_spiral_arms(n, arms=3, noise=0.2, seed=seed)
    xs = [-1.2 + 2.4 * i / (grid - 1) for i in range(grid)]
    with no_grad():
        regions = [[predict(model, [u, v]) for u in xs] for v in xs]
    fig, ax = plt.subplots(figsize=(5.5, 5))
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c"]
    ax.contourf(xs, xs, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=colours, alpha=0.25)
    for k in range(3):
        points = [x for x, label in zip(X, y) if label == k]
        ax.scatter([p[0] for p in points], [p[1] for p in points], s=14, color=colours[k], label=f"class {k}")
    ax.set_title("MLP 2-16-16-3, softmax + cross-entropy")
    ax.legend(loc="upper right")
    ax.set_aspect("equal")
    return save(fig, path, dpi=100)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    model, accuracy, _ = train(args.steps)
    print(f"training accuracy {accuracy:.1%}")
    written = plot(model, os.path.join(args.out, "spiral_three_classes.png"))
    if written:
        print(f"wrote {written}")
