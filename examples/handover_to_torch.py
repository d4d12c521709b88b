"""Train here, hand the model over to PyTorch, and keep training there: the curves continue.

    python examples/handover_to_torch.py            # needs torch; the picture needs matplotlib

A small MLP learns the two moons with SGD and momentum for 40 steps here. Then `to_torch()`
gives the same network as a float64 `torch.nn.Sequential`, and `to_torch_sgd` an optimiser
with the same settings and momentum buffers. Both go on for 40 more steps: since our update
formulas are PyTorch's, the losses agree step for step (to rounding: a matrix product adds in
another order), and the picture shows one curve continuing the other. `MLP.from_torch` brings
the trained PyTorch model back.
"""

from __future__ import annotations

import argparse
import os

from example_helpers import pyplot, save

from tinygrad_lite import data, losses, nn, optim

STEPS_HERE, STEPS_AFTER, LR, MOMENTUM = 40, 40, 0.1, 0.9


def main(out_dir: str) -> tuple[list[float], list[float], list[float]]:
    import torch

    X, y = data.make_moons(40, noise=0.1, seed=0)
    model = nn.MLP(2, [8, 8, 1], activation="tanh", seed=0)
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def our_step() -> float:
        loss = losses.mse([model(x) for x in X], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.data

    here = [our_step() for _ in range(STEPS_HERE)]

    module = model.to_torch()  # the same weights, float64
    torch_opt = nn.torch_bridge.to_torch_sgd(opt, model, module)  # the same settings and momentum buffers
    inputs, targets = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)

    def torch_step() -> float:
        torch_opt.zero_grad()
        loss = ((module(inputs)[:, 0] - targets) ** 2).mean()
        loss.backward()
        torch_opt.step()
        return loss.item()

    in_torch = [torch_step() for _ in range(STEPS_AFTER)]
    still_here = [our_step() for _ in range(STEPS_AFTER)]  # what would have happened without the move
    worst = max(abs(a - b) / abs(b) for a, b in zip(in_torch, still_here))
    print(f"loss after {STEPS_HERE} steps here: {here[-1]:.6f}")
    print(f"next {STEPS_AFTER} steps, PyTorch vs here: {in_torch[-1]:.12f} vs {still_here[-1]:.12f} "
          f"(largest relative difference {worst:.1e})")
    back = nn.MLP.from_torch(module)  # and back again: PyTorch's trained weights, bit for bit
    gap = abs(back(X[0]).data - module(inputs[0]).item())
    print(f"brought back from PyTorch: {len(back.parameters())} parameters; outputs differ by {gap:.1e}")
    _plot(here, in_torch, still_here, os.path.join(out_dir, "handover_loss.png"))
    return here, in_torch, still_here


def _plot(here: list[float], in_torch: list[float], still_here: list[float], path: str) -> None:
    plt = pyplot()
    if plt is None:
        return

    fig, ax = plt.subplots(figsize=(6.5, 4))
    n = len(here)
    ax.plot(range(1, n + 1), here, color="#1f77b4", linewidth=2, label="tinygrad_lite")
    after = range(n + 1, n + len(in_torch) + 1)
    ax.plot(after, in_torch, color="#d62728", linewidth=2, label="PyTorch, after the handover")
    ax.plot(after, still_here, color="#1f77b4", linestyle=(0, (2, 3)), linewidth=1.5,
            label="tinygrad_lite, had it stayed")
    ax.axvline(n + 0.5, color="#888888", linewidth=1)
    ax.text(n + 1.5, max(here) * 0.95, "to_torch()", color="#555555", va="top")
    ax.set_xlabel("training step")
    ax.set_ylabel("mean squared error")
    ax.set_title("One training run, handed over mid-way")
    ax.legend()
    print(f"wrote {save(fig, path, dpi=110)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    main(parser.parse_args().out)
