"""Second derivatives of the lecture's activations, from grad(..., create_graph=True).

    python examples/second_derivatives.py

The lectures derive each activation's derivative: sigmoid' = a(1-a), tanh' = 1-a^2, relu' = 0
or 1. Differentiating once more gives the closed forms below (relu'' is 0 wherever it is
defined; PyTorch takes 0 at the kink too). The engine has no second copy of any derivative:
grad() with create_graph=True builds the first derivative as a graph of Values from the same
rules that backward() runs, and a second grad() differentiates that graph.
"""

from __future__ import annotations

from tinygrad_lite import Value, grad

ACTIVATIONS = {
    "sigmoid": (lambda z: z.sigmoid(), lambda a: a * (1 - a) * (1 - 2 * a), "a(1-a)(1-2a)"),
    "tanh": (lambda z: z.tanh(), lambda a: -2 * a * (1 - a * a), "-2a(1-a^2)"),
    "relu": (lambda z: z.relu(), lambda a: 0.0, "0"),
    "leaky_relu": (lambda z: z.leaky_relu(), lambda a: 0.0, "0"),
}


def second_derivative(f, z: float) -> tuple[float, float, float]:
    """(f(z), f'(z), f''(z)) by grad: the first as a graph, the second from it."""
    x = Value(z)
    out = f(x)
    (first,) = grad(out, [x], create_graph=True)
    (second,) = grad(first, [x])
    return out.data, first.data, second.data


def table() -> list[tuple[str, float, float, float, float]]:
    """(activation, z, f'(z), f''(z) by grad, f''(z) by its closed form) at z = -10, 0, 10."""
    rows = []
    for name, (f, closed, _) in ACTIVATIONS.items():
        for z in (-10.0, 0.0, 10.0):
            a, first, second = second_derivative(f, z)
            rows.append((name, z, first, second, closed(a) + 0.0))  # + 0.0: no -0 in the table
    return rows


if __name__ == "__main__":
    header = ("activation", "z", "f'(z)", "f''(z)", "closed form")
    print(f"{header[0]:11} {header[1]:>6} {header[2]:>13} {header[3]:>13} {header[4]:>13}   formula")
    for name, z, first, second, closed in table():
        print(f"{name:11} {z:6.1f} {first:13.6g} {second:13.6g} {closed:13.6g}   {ACTIVATIONS[name][2]}")
