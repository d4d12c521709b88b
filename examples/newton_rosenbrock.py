"""Newton's method with a Hessian from grad(..., create_graph=True), against gradient descent.

    python examples/newton_rosenbrock.py

Rosenbrock's function f(a, b) = (1 - a)^2 + 100 (b - a^2)^2 has its minimum at (1, 1) at the
bottom of a long, curved, flat valley: gradient descent creeps along it for thousands of steps.
Newton's method divides the gradient by the curvature (the Hessian, the matrix of second
derivatives) and gets there in a handful. The gradient is built as a graph of Values
(`create_graph=True`), so each of its two entries can be differentiated again: that is the Hessian.
"""

from __future__ import annotations

from tinygrad_lite import Value, grad


def rosenbrock(a: Value, b: Value) -> Value:
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2


def newton(start: tuple[float, float], tolerance: float = 1e-12, max_steps: int = 50) -> list[tuple[float, float]]:
    """The points Newton's method visits from `start` until the step is below `tolerance`."""
    a, b = Value(start[0]), Value(start[1])
    path = [start]
    for _ in range(max_steps):
        ga, gb = grad(rosenbrock(a, b), [a, b], create_graph=True)
        (haa, hab), (hba, hbb) = grad(ga, [a, b]), grad(gb, [a, b])
        det = haa.data * hbb.data - hab.data * hba.data
        step_a = (hbb.data * ga.data - hab.data * gb.data) / det  # the Hessian's inverse times the gradient
        step_b = (haa.data * gb.data - hba.data * ga.data) / det
        a.data -= step_a
        b.data -= step_b
        path.append((a.data, b.data))
        if abs(step_a) + abs(step_b) < tolerance:
            break
    return path


def gradient_descent(start: tuple[float, float], lr: float = 1e-3, within: float = 1e-3,
                     max_steps: int = 100_000) -> int:
    """How many gradient-descent steps from `start` until both coordinates are within `within` of 1."""
    a, b = Value(start[0]), Value(start[1])
    for step in range(1, max_steps + 1):
        ga, gb = grad(rosenbrock(a, b), [a, b])
        a.data -= lr * ga.data
        b.data -= lr * gb.data
        if abs(a.data - 1) < within and abs(b.data - 1) < within:
            return step
    return max_steps


if __name__ == "__main__":
    start = (-1.2, 1.0)
    path = newton(start)
    for k, (a, b) in enumerate(path):
        print(f"Newton step {k}: a = {a:.12f}, b = {b:.12f}, f = {rosenbrock(Value(a), Value(b)).data:.3e}")
    print(f"gradient descent (lr 1e-3) needs {gradient_descent(start)} steps to come within 1e-3 of (1, 1)")
