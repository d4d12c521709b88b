"""How compile scales with the model: lines generated, compile time and memory, replay speed.

    python benchmarks/compile_scale.py                 # widths 16, 32, 64
    python benchmarks/compile_scale.py --widths 16 32
    python benchmarks/compile_scale.py --backend numpy   # the array backend (needs numpy)

For each width w: the loss of W1's step (workloads.py) with MLP(2, [w, w, 1]) in place of
MLP(2, [16, 16, 1]), built with nn (n-ary neurons) and written micrograd's way (binary + and
*), compiled as CompiledW1 and CompiledMicrogradStyleW1 do. Each model runs in a fresh
process, so the peak resident memory it reports (ru_maxrss) is its own: the model, the traced
graph, the generated source and Python compiling it. Replay and eager times are medians of 5.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def measure(width: int, style: str, backend: str) -> dict:
    import workloads as W

    from tinygrad_lite import Value, paused_gc

    start = time.perf_counter()
    # traces and compiles the loss of W1's step for this width
    step = W.CompiledW1(width, backend) if style == "nn" else W.CompiledMicrogradStyleW1(width, backend)
    compile_seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    compiled = step.compiled

    def replay():
        start = time.perf_counter()
        compiled(step.flat)
        return time.perf_counter() - start

    def eager():
        start = time.perf_counter()
        with paused_gc():
            step.loss([list(map(Value, x)) for x in step.X]).backward()
        return time.perf_counter() - start

    return {
        "width": width,
        "nodes": compiled.num_nodes,
        "lines": compiled.source.count("\n"),
        "functions": compiled.source.count("\ndef ") + 1,
        "compile_s": compile_seconds,
        "peak_mb": peak_mb,
        "replay_s": statistics.median(replay() for _ in range(5)),
        "eager_s": statistics.median(eager() for _ in range(5)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", type=int, nargs="*", default=[16, 32, 64])
    parser.add_argument("--backend", choices=["python", "numpy"], default="python", help="compile's backend")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child process: measure one model
    parser.add_argument("--style", choices=["nn", "binary"], default="nn", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.one, args.style, args.backend)))
        return
    print(f"{'model':<30}{'nodes':>9}{'lines':>10}{'functions':>11}{'compile s':>11}{'peak MB':>9}"
          f"{'replay ms':>10}{'eager s':>9}{'speed-up':>10}")
    for width in args.widths:
        for style in ("nn", "binary"):
            out = subprocess.run([sys.executable, __file__, "--one", str(width), "--style", style,
                                  "--backend", args.backend], check=True, capture_output=True, text=True)
            r = json.loads(out.stdout)
            model = f"MLP(2, [{width}, {width}, 1])" + (", binary ops" if style == "binary" else "")
            print(f"{model:<30}{r['nodes']:>9,}{r['lines']:>10,}{r['functions']:>11}"
                  f"{r['compile_s']:>11.1f}{r['peak_mb']:>9.0f}{r['replay_s'] * 1e3:>10.3f}{r['eager_s']:>9.3f}"
                  f"{r['eager_s'] / r['replay_s']:>9.1f}x")


if __name__ == "__main__":
    main()
