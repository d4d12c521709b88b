"""Fuzz: random graphs through the eager engine, both compile backends and PyTorch.

    python tests/fuzz_graphs.py --seconds 300      # until the time is up; prints what it found

Not collected by pytest (a run takes minutes). Each case is a random per-point subgraph of the
engine's ops over a random number of points, summed (as a loss over a batch is), sometimes
with terms that read another point's node (anchor losses), then checked:
- the python backend equals eager bit for bit (value and every gradient);
- the numpy backend equals eager to 1e-12 relative to the largest value in the graph, and
  replays nothing eagerly unless eager itself meets an infinity or a NaN;
- PyTorch (float64) equals eager to 1e-9 relative.
A case that fails is printed with its seed; rerun it with --seed.
"""

from __future__ import annotations

import argparse
import math
import random
import time
import warnings

import tinygrad_lite as tl
from tinygrad_lite import Parameter, Value

UNARY = ["tanh", "sigmoid", "relu", "leaky_relu", "softplus", "exp_small", "log_pos", "neg", "square", "pow_half",
         "scale", "shift", "rsub", "rdiv", "abs", "sqrt_pos", "sin", "cos"]
BINARY = ["add", "sub", "mul", "div_safe"]


def build(rng: random.Random, leaves: list, ops: list[tuple], lib) -> object:
    """Apply `ops` (a recipe) to `leaves` with `lib` (our Values or torch tensors)."""
    nodes = list(leaves)
    for op in ops:
        kind, i, j, c = op
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append(lib[kind](a, b, c))
    return nodes[-1]


OURS = {
    "tanh": lambda a, b, c: a.tanh(), "sigmoid": lambda a, b, c: a.sigmoid(), "relu": lambda a, b, c: a.relu(),
    "leaky_relu": lambda a, b, c: a.leaky_relu(0.05), "softplus": lambda a, b, c: a.softplus(),
    "exp_small": lambda a, b, c: (a.tanh() * 2.0).exp(), "log_pos": lambda a, b, c: (a * a + 0.5).log(),
    "neg": lambda a, b, c: -a, "square": lambda a, b, c: a ** 2, "pow_half": lambda a, b, c: (a * a + 1.0) ** 0.5,
    "scale": lambda a, b, c: a * c, "shift": lambda a, b, c: a + c, "rsub": lambda a, b, c: c - a,
    "rdiv": lambda a, b, c: c / (a * a + 1.0),
    "abs": lambda a, b, c: a.abs(), "sqrt_pos": lambda a, b, c: (a * a + 0.25).sqrt(),
    "sin": lambda a, b, c: a.sin(), "cos": lambda a, b, c: a.cos(),
    "add": lambda a, b, c: a + b, "sub": lambda a, b, c: a - b, "mul": lambda a, b, c: a * b,
    "div_safe": lambda a, b, c: a / (b * b + 1.0),
    # the losses of a batch, targets 1.0 (mse) and labels +1 (hinge), as nn's losses compute them
    "mse": lambda ps: tl.losses.mse(ps, [1.0] * len(ps)),
    "hinge": lambda ps: tl.losses.hinge(ps, [1.0] * len(ps)),
}


def torch_ops(torch):
    """OURS for float64 tensors: the same lambdas (tensors have the same methods and operators),
    but for the ops PyTorch spells as functions and the losses written out."""
    functional = torch.nn.functional
    return {**OURS,
            "leaky_relu": lambda a, b, c: functional.leaky_relu(a, 0.05),
            "softplus": lambda a, b, c: functional.softplus(a),
            "mse": lambda ps: sum((p - 1.0) ** 2 for p in ps) / len(ps),
            "hinge": lambda ps: sum((1.0 - p).relu() for p in ps) / len(ps)}


def case(seed: int, torch) -> list[str]:
    """Run one random case; return what disagreed."""
    rng = random.Random(seed)
    n_params, n_points, dims = rng.randint(1, 3), rng.randint(2, 6), rng.randint(1, 2)
    n_other = rng.randint(2, 6)
    recipe = [(rng.choice(UNARY + BINARY), rng.randrange(8), rng.randrange(8), rng.choice([0.5, -1.5, 2.0, 0.999]))
              for _ in range(rng.randint(1, 8))]
    anchor = rng.random() < 0.4
    weights = [rng.uniform(-2, 2) for _ in range(n_params)]
    xs = [rng.uniform(-2, 2) for _ in range(n_points * dims + n_other * dims)]
    params = [Parameter(w, label=f"w{i}") for i, w in enumerate(weights)]
    first = rng.choice(UNARY)

    def loss(v, lib=OURS, ps=params):
        # a loss over a batch (each point's term wraps its node, as mse wraps a prediction) and,
        # as an anchor loss does, a second batch whose terms all read the first point's node
        points = [build(rng, ps + v[k * dims:(k + 1) * dims], recipe, lib) for k in range(n_points)]
        total = lib["mse"]([lib[first](p, p, 0.5) for p in points])
        if anchor:
            base = n_points * dims
            others = [build(rng, ps + v[base + k * dims:base + (k + 1) * dims], recipe, lib) for k in range(n_other)]
            total = total + lib["hinge"]([q - points[0] for q in others])
        return total

    problems = []
    # eager
    leaves = [Value(x) for x in xs]
    out = loss(leaves)
    out.backward()
    eager_value = out.data
    eager_grads = [leaf.grad for leaf in leaves]
    eager_pgrads = [p.grad for p in params]
    finite = all(math.isfinite(x) for x in [eager_value, *eager_grads, *eager_pgrads])
    for backend in ("python", "numpy"):
        for p in params:
            p.grad = 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "nothing repeats": fine here
            step = tl.compile(loss, xs, backend=backend)
        value, grads = step(xs)
        pgrads = [p.grad for p in params]
        got, want = [value, *grads, *pgrads], [eager_value, *eager_grads, *eager_pgrads]
        scale = max([1.0] + [abs(w) for w in want if math.isfinite(w)])
        for g, w in zip(got, want):
            same = g == w or (g != g and w != w)
            if backend == "python" and not same:
                problems.append(f"python backend {g!r} != eager {w!r}")
            if backend == "numpy" and not (same or abs(g - w) <= 1e-12 * scale * 10 + 1e-9 * abs(w)):
                problems.append(f"numpy backend {g!r} != eager {w!r}")
        if backend == "numpy" and step.backend == "numpy" and finite and step.eager_replays:
            problems.append("numpy backend replayed eagerly on finite values")
    if torch is not None and finite:
        tx = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        tp = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
        t_out = loss(tx, torch_ops(torch), tp)
        t_out.backward()
        got = [t_out.item()] + [t.grad.item() if t.grad is not None else 0.0 for t in tx + tp]
        want = [eager_value, *eager_grads, *eager_pgrads]
        for g, w in zip(got, want):
            if not math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-9):
                problems.append(f"torch {g!r} != eager {w!r}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=None, help="run this one case")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
    if args.seed is not None:
        print(case(args.seed, torch) or "ok")
        return
    start, seed, failures = time.perf_counter(), 0, 0
    while time.perf_counter() - start < args.seconds:
        problems = case(seed, torch)
        if problems:
            failures += 1
            print(f"seed {seed}: {problems[0]} ({len(problems)} problems)")
        seed += 1
    print(f"{seed} cases, {failures} with problems, torch {'on' if torch else 'off'}")


if __name__ == "__main__":
    main()
