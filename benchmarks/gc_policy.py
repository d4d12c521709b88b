"""What Python's cycle collector costs tinygrad_lite on W1 (binary ops), W2 and W3, under different settings.

    python benchmarks/gc_policy.py            # 3 interleaved rounds
    python benchmarks/gc_policy.py --rounds 5

Our graphs hold no reference cycles, yet building one of 300,000-400,000 nodes with the
collector at CPython 3.11's default thresholds (700, 10, 10) spends most of its time in collections
that find nothing to free. This script measures the engine under settings a user (or the
library, process-wide) could choose, against micrograd at the default in the same run, to
inform that choice. Each setting is applied only around its own timed run and then restored.
Run it with the peers installed (torch is imported when present, as in run.py, because its
objects make every full collection longer).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import workloads as W  # noqa: E402
from run import timed  # noqa: E402

FREEZE = "freeze"
SETTINGS = {
    f"default {gc.get_threshold()}": gc.get_threshold(),  # (700, 10, 10) up to Python 3.12
    "gc.freeze() after imports": FREEZE,  # the default thresholds; what was alive before is frozen
    "thresholds (10000, 10, 10)": (10_000, 10, 10),
    "thresholds (50000, 20, 10)": (50_000, 20, 10),
    "collector off (paused_gc)": None,
}


def timed_with(setting, fn) -> float:
    """run.py's timed(fn), with the collector set to `setting` meanwhile: thresholds, None (off),
    or FREEZE (every object alive now, the imports' among them, moved out of the collector's
    sight, as an application may do once after its imports)."""
    saved, was_enabled = gc.get_threshold(), gc.isenabled()
    if setting is None:
        gc.disable()
    elif setting == FREEZE:
        gc.freeze()
    else:
        gc.set_threshold(*setting)
    try:
        return timed(fn)[0]
    finally:
        if setting == FREEZE:
            gc.unfreeze()
        gc.set_threshold(*saved)
        if was_enabled:
            gc.enable()


def run(rounds: int) -> None:
    if not W.micrograd_available():
        sys.exit("micrograd is needed for the ratios: pip install micrograd==0.1.0")
    if W.torch_available():
        import torch  # noqa: F401  (as in run.py: the process the ratios are quoted from)
    values = W.wide_data()
    ours_w1, micrograd_w1 = W.ours_micrograd_style_w1(), W.micrograd_w1()
    workloads = {
        "W1, binary ops": (ours_w1.step, micrograd_w1.step),
        "W2": (W.ours_w2, W.micrograd_w2),
        "W3": (lambda: W.ours_w3(values), lambda: W.micrograd_w3(values)),
    }
    print(f"objects tracked by the collector before the runs: {len(gc.get_objects()):,}")
    for name, (ours, micrograd) in workloads.items():
        times: dict[str, list[float]] = {setting: [] for setting in SETTINGS}
        reference: list[float] = []
        for _ in range(rounds):
            reference.append(timed_with(gc.get_threshold(), micrograd))
            for setting, thresholds in SETTINGS.items():
                times[setting].append(timed_with(thresholds, ours))
        base = statistics.median(reference)
        print(f"\n{name}: micrograd 0.1.0 at the default thresholds {base:.3f} s")
        for setting, ts in times.items():
            median = statistics.median(ts)
            print(f"  tinygrad_lite, {setting:<28} {median:7.3f} s  {base / median:5.1f}x micrograd")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sys.setrecursionlimit(1_000_000)  # micrograd's topological sort recurses once per node
    threading.stack_size(1 << 30)
    worker = threading.Thread(target=run, args=(args.rounds,))
    worker.start()
    worker.join()


if __name__ == "__main__":
    main()
