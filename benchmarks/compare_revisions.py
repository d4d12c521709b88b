"""Eager speed of two checkouts of tinygrad_lite, side by side in one process: did a change cost time?

    git worktree add /tmp/base HEAD~3                          # the revision to compare with
    python benchmarks/compare_revisions.py /tmp/base .         # W1 (nn), W1 (binary ops), W2
    python benchmarks/compare_revisions.py /tmp/base . --rounds 40 --only W1

Both packages are copied under other names (tl_base, tl_new) into a temporary folder and
imported into this one interpreter (the package imports itself only relatively), so that the
two run in turn, step after step, under the same load of a shared, noisy machine. Each round
times one step of each (which goes first alternates), after an untimed gc.collect(); the table
shows medians over rounds, forward and backward apart, and the ratio new/base to quote.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

W1_POINTS, W1_ALPHA, CHAIN = 100, 1e-4, 100_000


def w1_nn(tl: ModuleType) -> Callable[[], Any]:
    """W1 with nn: the forward pass, returning the loss."""
    X, y = tl.data.make_moons(W1_POINTS, noise=0.1, seed=0)
    model = tl.nn.MLP(2, [16, 16, 1], seed=0)
    return lambda: tl.losses.hinge([model(x) for x in X], y) + W1_ALPHA * tl.losses.l2(model.parameters())


def w1_binary(tl: ModuleType) -> Callable[[], Any]:
    """W1 written micrograd's way: binary + and *, the built-in sum."""
    X, y = tl.data.make_moons(W1_POINTS, noise=0.1, seed=0)
    model = tl.nn.MLP(2, [16, 16, 1], seed=0)
    layers = [[neuron.w + [neuron.b] for neuron in layer.neurons] for layer in model.layers]
    params = model.parameters()

    def forward(x: list[Any]) -> Any:
        for i, layer in enumerate(layers):
            out = [sum((w * xi for w, xi in zip(ws[:-1], x)), ws[-1]) for ws in layer]
            x = [a.relu() for a in out] if i < len(layers) - 1 else out
        return x[0]

    def loss() -> Any:
        scores = [forward([tl.Value(c) for c in x]) for x in X]
        hinge = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        return sum(hinge) * (1.0 / len(hinge)) + W1_ALPHA * sum(p * p for p in params)

    return loss


def w2(tl: ModuleType) -> Callable[[], Any]:
    """W2: x = tanh(0.999 x + 0.001), CHAIN times."""
    def chain() -> Any:
        x = tl.Value(0.5)
        for _ in range(CHAIN):
            x = (x * 0.999 + 0.001).tanh()
        return x

    return chain


WORKLOADS = {"W1": ("W1, nn (n-ary neurons)", w1_nn), "W1b": ("W1, binary ops", w1_binary),
             "W2": ("W2, deep chain", w2)}


def load(checkout: Path, name: str, folder: Path) -> ModuleType:
    """The checkout's tinygrad_lite, imported as `name`."""
    shutil.copytree(checkout / "tinygrad_lite", folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    return importlib.import_module(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", type=Path, help="checkout to compare with (e.g. a git worktree of the base commit)")
    parser.add_argument("new", type=Path, help="checkout with the change")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--only", nargs="*", choices=sorted(WORKLOADS), default=sorted(WORKLOADS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sys.path.insert(0, folder)
        versions = {"base": load(args.base.resolve(), "tl_base", Path(folder)),
                    "new": load(args.new.resolve(), "tl_new", Path(folder))}
        print(f"{'workload':26} {'part':9} {'base ms':>9} {'new ms':>9} {'new/base':>9}   "
              f"({args.rounds} rounds, Python {sys.version.split()[0]})")
        for workload in args.only:
            title, make = WORKLOADS[workload]
            forwards = {which: make(tl) for which, tl in versions.items()}
            times: dict[tuple[str, str], list[float]] = {}
            rounds = max(3, args.rounds // 10) if workload == "W2" else args.rounds
            for k in range(rounds):
                for which in ("base", "new") if k % 2 else ("new", "base"):
                    gc.collect()
                    start = time.perf_counter()
                    loss = forwards[which]()
                    middle = time.perf_counter()
                    loss.backward()
                    end = time.perf_counter()
                    times.setdefault((which, "forward"), []).append(middle - start)
                    times.setdefault((which, "backward"), []).append(end - middle)
                    times.setdefault((which, "both"), []).append(end - start)
                    del loss
            for part in ("forward", "backward", "both"):
                base, new = statistics.median(times[("base", part)]), statistics.median(times[("new", part)])
                print(f"{title:26} {part:9} {base * 1e3:9.2f} {new * 1e3:9.2f} {new / base:9.3f}")


if __name__ == "__main__":
    main()
