"""Toy data sets in pure Python, seeded and reproducible.

Each returns (X, y): X a list of [x1, x2] points, y a list of labels: -1/+1 for the two-class
sets (or 0/1 with `zero_one=True`), class indices 0, 1, ... for `make_spiral_arms`. A private
random generator is used: the global `random` state is neither read nor changed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

__all__ = ["make_moons", "make_circles", "make_xor", "make_spirals", "make_spiral_arms"]

Dataset = tuple[list[list[float]], list[int]]


def _check(n: int, noise: float, name: str) -> None:
    if type(n) is not int or n < 2:
        raise ValueError(f"{name}: n must be an int >= 2, got {n!r}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not noise >= 0:
        raise ValueError(f"{name}: noise must be a number >= 0, got {noise!r}")


def _two_classes(n: int) -> Iterator[tuple[bool, int, int]]:
    """Yield (first class?, index within its class, size of its class) for n points split in half."""
    half = n // 2
    for i in range(n):
        first = i < half
        yield first, (i if first else i - half), (half if first else n - half)


def _finish(points: list[list[float]], labels: list[int], rng: random.Random, zero_one: bool) -> Dataset:
    """Shuffle points and labels together and map labels to 0/1 if asked."""
    order = list(range(len(points)))
    rng.shuffle(order)
    X = [points[i] for i in order]
    y = [labels[i] for i in order]
    if zero_one:
        y = [(label + 1) // 2 for label in y]
    return X, y


def make_moons(n: int = 100, noise: float = 0.1, seed: int | None = None, zero_one: bool = False) -> Dataset:
    """Two interleaving half circles: the upper one labelled -1, the lower one +1."""
    _check(n, noise, "make_moons")
    rng = random.Random(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    points, labels = [], []
    for i in range(n_upper):
        t = math.pi * i / max(n_upper - 1, 1)
        points.append([math.cos(t) + rng.gauss(0, noise), math.sin(t) + rng.gauss(0, noise)])
        labels.append(-1)
    for i in range(n_lower):
        t = math.pi * i / max(n_lower - 1, 1)
        points.append([1 - math.cos(t) + rng.gauss(0, noise), 0.5 - math.sin(t) + rng.gauss(0, noise)])
        labels.append(1)
    return _finish(points, labels, rng, zero_one)


def make_circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int | None = None, zero_one: bool = False
) -> Dataset:
    """A circle of radius `factor` (+1) inside a circle of radius 1 (-1)."""
    _check(n, noise, "make_circles")
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must be between 0 and 1, got {factor!r}")
    rng = random.Random(seed)
    points, labels = [], []
    for outer, k, count in _two_classes(n):
        t = 2 * math.pi * k / count
        r = 1.0 if outer else factor
        points.append([r * math.cos(t) + rng.gauss(0, noise), r * math.sin(t) + rng.gauss(0, noise)])
        labels.append(-1 if outer else 1)
    return _finish(points, labels, rng, zero_one)


def make_xor(n: int = 100, noise: float = 0.0, seed: int | None = None, zero_one: bool = False) -> Dataset:
    """Points in [-1, 1]^2 labelled by the sign of x1 * x2 (+1 in quadrants I and III), half of each.

    Points keep a margin of 0.05 from the axes so that the classes are separable; `noise`
    then jitters them.
    """
    _check(n, noise, "make_xor")
    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        label = 1 if i < n // 2 else -1
        sign = rng.choice((-1.0, 1.0))
        x1 = sign * rng.uniform(0.05, 1.0)
        x2 = sign * label * rng.uniform(0.05, 1.0)
        points.append([x1 + rng.gauss(0, noise), x2 + rng.gauss(0, noise)])
        labels.append(label)
    return _finish(points, labels, rng, zero_one)


def make_spirals(
    n: int = 100, noise: float = 0.05, turns: float = 1.5, seed: int | None = None, zero_one: bool = False
) -> Dataset:
    """Two interleaved spirals, each making `turns` turns out from the centre."""
    _check(n, noise, "make_spirals")
    rng = random.Random(seed)
    points, labels = [], []
    for first, k, count in _two_classes(n):
        r = 0.1 + 0.9 * k / max(count - 1, 1)
        t = 2 * math.pi * turns * k / max(count - 1, 1) + (0.0 if first else math.pi)
        points.append([r * math.cos(t) + rng.gauss(0, noise), r * math.sin(t) + rng.gauss(0, noise)])
        labels.append(-1 if first else 1)
    return _finish(points, labels, rng, zero_one)


def make_spiral_arms(n: int = 300, arms: int = 3, noise: float = 0.2, seed: int | None = None) -> Dataset:
    """`arms` spiral arms winding out from the centre, one class each (labels 0 .. arms-1): the
    classic data set for a classifier of more than two classes (softmax and cross-entropy).
    `noise` perturbs each point's angle (in radians)."""
    _check(n, noise, "make_spiral_arms")
    if type(arms) is not int or not 2 <= arms <= n:
        raise ValueError(f"make_spiral_arms: arms must be an int from 2 to n, got {arms!r}")
    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        arm, k = i % arms, i // arms
        count = (n - arm + arms - 1) // arms  # points on this arm
        r = k / max(count - 1, 1)
        t = 4.0 * r + 2.0 * math.pi * arm / arms + rng.gauss(0, noise)
        points.append([r * math.sin(t), r * math.cos(t)])
        labels.append(arm)
    return _finish(points, labels, rng, zero_one=False)
