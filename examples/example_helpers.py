"""What several examples share: the course's training loop, and matplotlib when it is installed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tinygrad_lite import Parameter, Value


def descent_step(cost: Callable[..., Value], args: Sequence[Any], params: Sequence[Parameter],
                 lr: float) -> Callable[[], float]:
    """One step of the course's loop, written with Values: the cost, zeroed gradients,
    backward(), an update of every parameter. The step returns the cost."""
    def step() -> float:
        J = cost(*args)
        for p in params:
            p.grad = 0.0
        J.backward()
        for p in params:
            p.data -= lr * p.grad
        return J.data

    return step


def gradient_descent(cost: Callable[..., Value], args: Sequence[Any], params: Sequence[Parameter], lr: float,
                     steps: int, report_every: int = 1000, quiet: bool = False, exact: bool = False) -> dict[int, float]:
    """`steps` steps of the course's loop. Prints the cost every `report_every` steps as the
    course does (`exact`: every digit) and returns those costs by step."""
    step = descent_step(cost, args, params, lr)
    costs = {}
    for i in range(steps):
        J = step()
        if i % report_every == 0:
            costs[i] = J
            if not quiet:
                print(f"Cost after iteration {i}: {J!r}" if exact else f"Cost after iteration {i}: {J:f}")
    return costs


def save(figure: Any, path: str, dpi: int = 100) -> str:
    """Write a matplotlib figure to `path`, laid out tight, and close it."""
    figure.tight_layout()
    figure.savefig(path, dpi=dpi)
    pyplot().close(figure)
    return path


def pyplot() -> Any:
    """matplotlib.pyplot, drawing to files only, or None (with a line saying how to get it)."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no picture (pip install matplotlib)")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
