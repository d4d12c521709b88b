"""W1 written micrograd's way (binary + and *, no nn) under `@tl.jit`, against micrograd itself.

    python benchmarks/jit_w1.py        # needs micrograd==0.1.0 (pip install -e ".[bench]")

The model and loss are benchmarks/workloads.py's MicrogradStyleW1: micrograd's demo notebook
with its own Value class, or ours. Here the loss function is wrapped in `tl.jit` and the
training loop is left as it is (zero grads, backward, `p.data -= lr * p.grad`). Printed: the
first call (trace, generate code, compile it) and the steady-state step, each engine timed in
turn, round after round, medians; and the losses of both runs side by side (same weights, same
data: they follow each other to rounding).
"""

from __future__ import annotations

import gc
import statistics
import sys
import time

import workloads as w

import tinygrad_lite as tl
from tinygrad_lite import Value


def main(rounds: int = 7) -> None:
    if not w.micrograd_available():
        raise SystemExit("micrograd is not installed: pip install micrograd==0.1.0")
    micro = w.micrograd_w1()
    ours = w.MicrogradStyleW1(Value, "tinygrad_lite under tl.jit")
    rows = [list(x) for x in ours.X]

    @tl.jit
    def loss(rows):
        return ours.loss(rows)

    def jit_step() -> float:
        L = loss(rows)
        for p in ours.params:
            p.grad = 0.0
        L.backward()
        for p in ours.params:
            p.data -= w.W1_LR * p.grad
        return L.data

    start = time.perf_counter()
    first_loss = jit_step()
    first = time.perf_counter() - start
    micro_losses, jit_losses = [micro.step()], [first_loss]
    times: dict[str, list[float]] = {"micrograd 0.1.0": [], "tl.jit": []}
    for r in range(rounds):
        for name in (("micrograd 0.1.0", "tl.jit") if r % 2 else ("tl.jit", "micrograd 0.1.0")):
            gc.collect()
            start = time.perf_counter()
            if name == "tl.jit":
                jit_losses.append(jit_step())
            else:
                micro_losses.append(micro.step())
            times[name].append(time.perf_counter() - start)
    micro_median, jit_median = statistics.median(times["micrograd 0.1.0"]), statistics.median(times["tl.jit"])
    print(f"Python {sys.version.split()[0]}; W1 micrograd-style, {len(ours.params)} parameters, 100 points")
    print(f"tl.jit first call (trace, generate, compile): {first:.2f} s, backend {loss.compiled()[0][0]}")
    print(f"micrograd 0.1.0 step {micro_median * 1e3:9.2f} ms")
    print(f"tl.jit step          {jit_median * 1e3:9.3f} ms   {micro_median / jit_median:7.0f}x micrograd")
    worst = max(abs(a - b) / abs(b) for a, b in zip(jit_losses, micro_losses))
    print(f"losses over {len(jit_losses)} steps agree with micrograd's to {worst:.1e} relative")


if __name__ == "__main__":
    main()
