"""Eager speed of two checkouts of tinygrad_lite, measured side by side: did a change cost time?

    git worktree add /tmp/base HEAD~1        # the revision to compare with
    python benchmarks/compare_revisions.py /tmp/base .           # W1 (nn), W1 (binary ops), W2
    python benchmarks/compare_revisions.py /tmp/base . --rounds 15 --only W1

Each round runs every workload once in a fresh interpreter per checkout, the two checkouts in
turn (which goes first alternates), so that drift of a shared, noisy machine hits both alike.
A run times a few steps after a warm-up and reports its median; the table shows the median
over rounds and the ratio new/base, which is what to quote (absolute times vary by machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent

# One run of one workload, in a fresh interpreter whose tinygrad_lite is the checkout's.
RUN = r"""
import json, sys, time, gc
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import workloads
name = sys.argv[3]
if name == "W2":
    step = workloads.ours_w2
    steps = 3
else:
    model = workloads.OursW1() if name == "W1" else workloads.ours_micrograd_style_w1()
    step = model.step
    steps = 5
step()
times = []
for _ in range(steps):
    gc.collect()
    start = time.perf_counter()
    step()
    times.append(time.perf_counter() - start)
times.sort()
print(json.dumps({"median": times[len(times) // 2], "file": __import__("tinygrad_lite").__file__}))
"""

WORKLOADS = {"W1": "W1, nn (n-ary neurons)", "W1b": "W1, binary ops (micrograd's way)", "W2": "W2, deep chain"}


def run_once(checkout: Path, workload: str) -> float:
    """Seconds per step (median of a few) of `workload` on the tinygrad_lite in `checkout`."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run([sys.executable, "-c", RUN, str(checkout), str(BENCHMARKS), workload],
                            capture_output=True, text=True, env=env, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if not report["file"].startswith(str(checkout)):
        raise SystemExit(f"{checkout}: imported tinygrad_lite from {report['file']}, not from the checkout")
    return float(report["median"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", type=Path, help="checkout to compare with (e.g. a git worktree of the base commit)")
    parser.add_argument("new", type=Path, help="checkout with the change")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--only", nargs="*", choices=sorted(WORKLOADS), default=sorted(WORKLOADS))
    args = parser.parse_args()
    base, new = args.base.resolve(), args.new.resolve()
    times: dict[tuple[str, str], list[float]] = {}
    for k in range(args.rounds):
        for workload in args.only:
            order = [("base", base), ("new", new)]
            for which, checkout in order if k % 2 == 0 else reversed(order):
                times.setdefault((workload, which), []).append(run_once(checkout, workload))
    print(f"{'workload':36} {'base ms':>9} {'new ms':>9} {'new/base':>9}   ({args.rounds} rounds, {sys.version.split()[0]})")
    for workload in args.only:
        b = statistics.median(times[(workload, "base")])
        n = statistics.median(times[(workload, "new")])
        # the ratio's spread: medians of per-round ratios are robust to a slow round hitting one side
        ratios = sorted(x / y for x, y in zip(times[(workload, "new")], times[(workload, "base")]))
        print(f"{WORKLOADS[workload]:36} {b * 1e3:9.2f} {n * 1e3:9.2f} {statistics.median(ratios):9.3f}"
              f"   (per-round ratios {ratios[0]:.3f} .. {ratios[-1]:.3f})")


if __name__ == "__main__":
    main()
