"""Neural networks from Values: modules (`MLP`, `Layer`, `Neuron`), losses, optimisers, data sets.

    from tinygrad_lite import nn, losses, optim, data
    model = nn.MLP(2, [16, 16, 1])

`losses`, `optim` and `data` live in this package and are also importable from the top
(`tinygrad_lite.losses`), as they always were.
"""

from __future__ import annotations

from . import data, losses, optim, torch_bridge
from .modules import ACTIVATIONS, INITS, MLP, Layer, Module, Neuron, load, save

__all__ = ["Module", "Neuron", "Layer", "MLP", "save", "load", "ACTIVATIONS", "INITS", "losses", "optim", "data",
           "torch_bridge"]


def __dir__() -> list[str]:
    return sorted(__all__)
