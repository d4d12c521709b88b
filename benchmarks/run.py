"""Benchmark tinygrad_lite against its peers on the three standard workloads.

    python benchmarks/run.py            # full run (a few minutes)
    python benchmarks/run.py --quick    # fewer repeats
    python benchmarks/run.py --only W1

Peers, when installed (pip install -e ".[bench]"): micrograd 0.1.0 and PyTorch 2.13 (scalar
0-d float64 tensors, and vectorised as the ceiling). With numpy installed, W1 also runs on
compile's numpy backend (rows "numpy" and "binary, numpy"). Engines run interleaved, one timed run
each per round, and the table shows medians; ratios are against micrograd in the same run.
Between timed runs an untimed gc.collect() clears the previous engine's garbage, so no engine
pays for another's (this favours micrograd, whose graphs are cycles).

A step that takes well under a millisecond (compiled and numpy replay, PyTorch vectorised)
is preceded by an untimed warm-up call that leaves the model as it was (forward and backward,
no update): timed alone right after a collection and a peer's run, such a step measures cold
caches more than itself. Every engine times the same steps of the same training run: replay
skips the backward of inactive relus, so later steps of a run cost less than the first ones
and timing extra steps would flatter it.

Peak memory comes from separate, untimed runs under tracemalloc at a tenth of the size for W2
and W3 (tracemalloc slows allocation a hundredfold), reported per op; Python allocations
only, so PyTorch's C++ memory is not seen (n/a).
"""

from __future__ import annotations

import argparse
import faulthandler
import gc
import os
import signal
import statistics
import sys
import threading
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import workloads as W  # noqa: E402


def timed(fn, warm=None) -> tuple[float, object]:
    gc.collect()
    if warm is not None:
        warm()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    gc.collect()
    return seconds, result


def peak_bytes(fn) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        gc.collect()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class Row:
    def __init__(self, workload: str, engine: str, fn, ops: int, traced: bool = True, small=None, small_ops=None,
                 warm=None):
        self.workload, self.engine, self.fn, self.ops, self.traced = workload, engine, fn, ops, traced
        self.warm = warm  # an untimed call before each timed one (see the module docstring)
        # the smaller run measured for memory, and its number of ops
        self.small, self.small_ops = (small or fn), (small_ops or ops)
        self.times: list[float] = []
        self.results: list[object] = []
        self.peak: int | None = None


def build_rows(only: set[str], quick: bool) -> list[Row]:
    have_micrograd, have_torch = W.micrograd_available(), W.torch_available()
    rows: list[Row] = []
    w1_ops = None
    if "W1" in only:
        from tinygrad_lite import topological_order

        ours = W.OursW1()
        w1_ops = sum(1 for n in topological_order(ours.loss(ours.X)) if n.inputs)  # ops in one step's graph
        rows.append(Row("W1", "tinygrad_lite eager", ours.step, w1_ops))
        start = time.perf_counter()
        compiled = W.CompiledW1()
        compile_seconds = time.perf_counter() - start
        compile_peak = peak_bytes(W.CompiledW1)
        print(f"W1 compile: {compile_seconds:.2f}s for {compiled.compiled.num_nodes} nodes "
              f"({compiled.compiled.source.count(chr(10))} lines); peak memory while compiling "
              f"{compile_peak / 1e6:.0f} MB (tracemalloc)", flush=True)
        rows.append(Row("W1", "tinygrad_lite compiled", compiled.step, w1_ops, traced=False, warm=compiled.warm))
        rows.append(Row("W1", "tinygrad_lite binary ops", W.ours_micrograd_style_w1().step, w1_ops))
        start = time.perf_counter()
        binary_compiled = W.CompiledMicrogradStyleW1()
        print(f"W1 binary ops compile: {time.perf_counter() - start:.2f}s for {binary_compiled.compiled.num_nodes} "
              f"nodes ({binary_compiled.compiled.source.count(chr(10))} lines)", flush=True)
        rows.append(Row("W1", "tinygrad_lite binary, compiled", binary_compiled.step, w1_ops, traced=False,
                        warm=binary_compiled.warm))
        if W.importable("numpy"):
            for name, make in (("numpy", W.CompiledW1), ("binary, numpy", W.CompiledMicrogradStyleW1)):
                start = time.perf_counter()
                vectorised = make(backend="numpy")
                print(f"W1 {name} compile: {time.perf_counter() - start:.2f}s ({vectorised.compiled.description})",
                      flush=True)
                rows.append(Row("W1", f"tinygrad_lite {name}", vectorised.step, w1_ops, traced=False,
                                warm=vectorised.warm))
        else:
            print("note: numpy is not installed (pip install numpy): the numpy backend's rows skipped", file=sys.stderr)
        if have_micrograd:
            rows.append(Row("W1", "micrograd 0.1.0", W.micrograd_w1().step, w1_ops))
        if have_torch:
            rows.append(Row("W1", "torch scalar", W.TorchScalarW1().step, w1_ops, traced=False))
            torch_vector = W.TorchVectorW1()
            rows.append(Row("W1", "torch vectorised", torch_vector.step, w1_ops, traced=False, warm=torch_vector.warm))
    if "W2" in only:
        ops, small = 3 * W.CHAIN, W.CHAIN // 10
        rows.append(Row("W2", "tinygrad_lite eager", W.ours_w2, ops, small=lambda: W.ours_w2(small), small_ops=3 * small))
        rows.append(Row("W2", "tinygrad_lite paused_gc", W.ours_w2_paused, ops, traced=False))
        if have_micrograd:
            rows.append(Row("W2", "micrograd 0.1.0", W.micrograd_w2, ops, small=lambda: W.micrograd_w2(small),
                            small_ops=3 * small))
        if have_torch:
            rows.append(Row("W2", "torch scalar", W.torch_scalar_w2, ops, traced=False))
    if "W3" in only:
        values, few = W.wide_data(), W.wide_data(W.WIDE // 10)
        ops, small_ops = 2 * W.WIDE - 1, 2 * (W.WIDE // 10) - 1
        rows.append(Row("W3", "tinygrad_lite eager", lambda: W.ours_w3(values), ops,
                        small=lambda: W.ours_w3(few), small_ops=small_ops))
        rows.append(Row("W3", "tinygrad_lite paused_gc", lambda: W.ours_w3_paused(values), ops, traced=False))
        rows.append(Row("W3", "tinygrad_lite Value.sum", lambda: W.ours_w3_nary(values), ops,
                        small=lambda: W.ours_w3_nary(few), small_ops=small_ops))
        if have_micrograd:
            rows.append(Row("W3", "micrograd 0.1.0", lambda: W.micrograd_w3(values), ops,
                            small=lambda: W.micrograd_w3(few), small_ops=small_ops))
        if have_torch:
            rows.append(Row("W3", "torch scalar", lambda: W.torch_scalar_w3(values), ops, traced=False))
            rows.append(Row("W3", "torch vectorised", lambda: W.torch_vector_w3(values), ops, traced=False))
    if not have_micrograd:
        print("note: micrograd is not installed (pip install micrograd==0.1.0): no ratios", file=sys.stderr)
    if not have_torch:
        print("note: torch is not installed (pip install torch==2.13.0): PyTorch rows skipped", file=sys.stderr)
    return rows


def run(args) -> None:
    only = set(args.only) if args.only else {"W1", "W2", "W3"}
    rows = build_rows(only, args.quick)
    repeats = {"W1": 3 if args.quick else 7, "W2": 1 if args.quick else 5, "W3": 2 if args.quick else 5}
    for workload in ("W1", "W2", "W3"):
        group = [r for r in rows if r.workload == workload]
        for round_ in range(repeats[workload] if group else 0):
            for row in group:
                seconds, result = timed(row.fn, row.warm)
                row.times.append(seconds)
                row.results.append(result)
            print(f"  {workload} round {round_ + 1}: " + ", ".join(f"{r.engine} {r.times[-1]:.4f}s" for r in group),
                  file=sys.stderr, flush=True)
    if not args.no_memory:
        for row in rows:
            if row.traced:
                row.peak = peak_bytes(row.small)
    report(rows)


def report(rows: list[Row]) -> None:
    print()
    print(f"{'workload':<9}{'engine':<32}{'median s':>12}{'vs micrograd':>14}{'peak MB*':>10}{'bytes/op':>10}")
    for workload in ("W1", "W2", "W3"):
        group = [r for r in rows if r.workload == workload]
        if not group:
            continue
        base = next((statistics.median(r.times) for r in group if r.engine.startswith("micrograd")), None)
        for r in group:
            median = statistics.median(r.times)
            ratio = f"{base / median:.1f}x" if base else "n/a"
            peak = f"{r.peak / 1e6:.1f}" if r.peak is not None else "n/a"
            # W1's graphs differ in shape between engines (n-ary neurons here): per op means little
            per_op = f"{r.peak / r.small_ops:.0f}" if r.peak is not None and workload != "W1" else "n/a"
            print(f"{workload:<9}{r.engine:<32}{median:>12.6f}{ratio:>14}{peak:>10}{per_op:>10}")
    print("* peak MB of the memory run: full size for W1, a tenth of the size for W2 and W3")
    check_agreement(rows)


def check_agreement(rows: list[Row]) -> None:
    """The engines must compute the same numbers: W1 losses step by step, W2/W3 gradients."""
    print()
    for workload in ("W1", "W2", "W3"):
        group = [r for r in rows if r.workload == workload]
        ref = next((r for r in group if r.engine.startswith("micrograd")), None)
        if not ref:
            continue
        for ours in (r for r in group if r.engine.startswith("tinygrad_lite")):
            worst = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(ours.results, ref.results))
            verdict = "agree" if worst <= 1e-12 else "DISAGREE"
            what = "losses of each step" if workload == "W1" else "gradients"
            print(f"{workload}: {ours.engine} and micrograd {what} {verdict} (largest relative difference {worst:.1e})")


def main() -> None:
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # kill -USR1 shows where a slow run is
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--only", nargs="*", choices=["W1", "W2", "W3"], help="run only these workloads")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    args = parser.parse_args()
    # micrograd's topological sort recurses once per node: give it room to run at all.
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(1 << 30)
    errors = []

    def target():
        try:
            run(args)
        except BaseException as error:  # report it from the main thread
            errors.append(error)

    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]


if __name__ == "__main__":
    main()
