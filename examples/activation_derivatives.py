"""The lecture's table: each activation g(z) and its slope g'(z) at z = -10, 0, 10, computed by
backpropagation, then a plot of every function beside its derivative (if matplotlib is there).

    python examples/activation_derivatives.py [--out out]

Near z = +-10, sigmoid and tanh are flat: their slopes are ~0, so almost no gradient passes
through a saturated unit. relu passes 1 or 0; leaky relu never fully shuts (0.01).
At exactly z = 0, relu'(0) = 0 and leaky_relu'(0) = slope, as in PyTorch.
"""

import argparse
import os

from tinygrad_lite import Value

ACTIVATIONS = {
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,
}


def value_and_slope(g, z: float) -> tuple[float, float]:
    """g(z) and g'(z), the slope coming from backward()."""
    x = Value(z)
    out = g(x)
    out.backward()
    return out.data, x.grad


def print_table(points=(-10.0, 0.0, 10.0)) -> None:
    columns = (f"{'g(' + format(z, 'g') + ')':>14}{'g′(' + format(z, 'g') + ')':>14}" for z in points)
    header = f"{'activation':<11}" + "".join(columns)
    print(header)
    for name, g in ACTIVATIONS.items():
        cells = []
        for z in points:
            value, slope = value_and_slope(g, z)
            cells.append(f"{value:>14.6g}{slope:>14.6g}")
        print(f"{name:<11}" + "".join(cells))


def plot(out_dir: str) -> None:
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: skipping the plot (pip install matplotlib)")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    zs = [-6 + 12 * i / 400 for i in range(401)]
    fig, axes = plt.subplots(1, len(ACTIVATIONS), figsize=(14, 3.2))
    for ax, (name, g) in zip(axes, ACTIVATIONS.items()):
        values, slopes = zip(*(value_and_slope(g, z) for z in zs))
        ax.plot(zs, values, label="g(z)")
        ax.plot(zs, slopes, "--", label="g′(z)")
        ax.axhline(0, color="#999", lw=0.5)
        ax.set_title(name)
        ax.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "activation_derivatives.png")
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="out")
    args = parser.parse_args()
    print_table()
    plot(args.out)
