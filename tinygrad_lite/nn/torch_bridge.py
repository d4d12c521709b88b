"""Hand an MLP over to PyTorch and back: what `model.to_torch()` and `MLP.from_torch(module)` use.

What a learner trains here can be carried, weights and all, to the engine that scales, and a
PyTorch model of the same shape can be brought back to be looked at node by node. The two
compute the same function: a layer of our neurons is a `torch.nn.Linear` (row i of its
weight holds neuron i's weights, its bias the neurons' biases), followed by the activation's
module. Everything is float64, as our Values are.

torch is not a dependency: it is imported only here, when one of these is called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .modules import MLP
    from .optim import SGD

__all__ = ["to_torch", "from_torch", "to_torch_sgd", "TORCH_ACTIVATIONS"]

LEAKY_SLOPE = 0.01  # the slope of nn's "leaky_relu" (Value.leaky_relu's default)
# Softplus in PyTorch returns z itself above `threshold`; ours adds log1p(exp(-z)), which is
# below half an ulp of z from z = 37 on: a threshold of 40 keeps the two equal to rounding.
SOFTPLUS_THRESHOLD = 40.0

TORCH_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU",
                     "softplus": "Softplus", "linear": "Identity"}
"""nn's activation names and the torch.nn modules that compute the same function."""


def import_torch() -> Any:
    """The torch module, or an ImportError that says how to install it."""
    try:
        # by name, so that type checkers need not find torch: it is no dependency of ours
        return importlib.import_module("torch")
    except ImportError:
        raise ImportError("handing a model to PyTorch needs torch, which tinygrad_lite does not install: "
                          "pip install torch (a CPU build is enough)") from None


def to_torch(layers: list[tuple[list[list[float]], list[float]]], activations: list[str]) -> Any:
    """A float64 `torch.nn.Sequential`: for each layer, given as (weight rows, biases), a `Linear`
    holding those numbers, followed by the module of its activation (a TORCH_ACTIVATIONS name;
    `Identity` for "linear"). `MLP.to_torch` calls this."""
    torch = import_torch()
    modules = []
    for (weights, biases), name in zip(layers, activations):
        linear = torch.nn.Linear(len(weights[0]), len(weights), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(weights, dtype=torch.float64))
            linear.bias.copy_(torch.tensor(biases, dtype=torch.float64))
        modules += [linear, _torch_activation(torch, name)]
    return torch.nn.Sequential(*modules)


def _torch_activation(torch: Any, name: str) -> Any:
    if name == "leaky_relu":
        return torch.nn.LeakyReLU(LEAKY_SLOPE)
    if name == "softplus":
        return torch.nn.Softplus(beta=1.0, threshold=SOFTPLUS_THRESHOLD)
    return getattr(torch.nn, TORCH_ACTIVATIONS[name])()


def from_torch(module: Any) -> tuple[list[tuple[list[list[float]], list[float]]], list[str]]:
    """The layers of `module`, a `torch.nn.Sequential` of `Linear` layers each optionally followed
    by one activation module, as (weight rows, biases) in float64, and each layer's activation
    name ("linear" for none). `MLP.from_torch` builds the model from them.

    Weights of any floating dtype are converted to float64 (float32 ones exactly). A Linear
    without a bias is refused (our neurons always have one), as is anything else in the
    Sequential, two activations in a row, or shapes that do not chain: a ValueError naming the
    first layer it cannot take."""
    torch = import_torch()
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"from_torch expects a torch.nn.Sequential of Linear layers and activations, "
                        f"got {type(module).__name__}")
    linears: list[Any] = []
    activations: list[str] = []
    after_linear = False  # whether the module before this one is a Linear (an activation may follow)
    for position, child in enumerate(module):
        what = f"from_torch: layer {position} ({child!r})"
        if isinstance(child, torch.nn.Linear):
            if child.bias is None:
                raise ValueError(f"{what} has no bias; nn.MLP's neurons always have one")
            if not child.in_features or not child.out_features:
                raise ValueError(f"{what} has no inputs or no units")
            if linears and child.in_features != linears[-1].out_features:
                raise ValueError(f"{what} takes {child.in_features} inputs but the layer before gives "
                                 f"{linears[-1].out_features}")
            if not child.weight.dtype.is_floating_point:
                raise ValueError(f"{what} holds {child.weight.dtype} weights; a floating dtype is needed")
            linears.append(child)
            activations.append("linear")
            after_linear = True
            continue
        name = _activation_of(torch, child)
        if name is None:
            raise ValueError(f"{what} is neither a Linear layer nor an activation nn.MLP has "
                             f"({', '.join(TORCH_ACTIVATIONS.values())})")
        if not after_linear:
            raise ValueError(f"{what} does not follow a Linear layer; each Linear may be followed by one activation")
        activations[-1] = name
        after_linear = False
    if not linears:
        raise ValueError("from_torch: the Sequential holds no Linear layer")
    layers = [(linear.weight.detach().to(torch.float64).tolist(), linear.bias.detach().to(torch.float64).tolist())
              for linear in linears]
    return layers, activations


def _activation_of(torch: Any, child: Any) -> str | None:
    """nn's name for the activation module `child`, or None if nn.MLP has none like it; a
    LeakyReLU or Softplus whose parameters differ from nn's is a ValueError naming them."""
    nn = torch.nn
    if isinstance(child, nn.LeakyReLU):
        if child.negative_slope != LEAKY_SLOPE:
            raise ValueError(f"from_torch: {child!r} has slope {child.negative_slope}; nn's leaky_relu has {LEAKY_SLOPE}")
        return "leaky_relu"
    if isinstance(child, nn.Softplus):
        # Any threshold is taken: above it PyTorch returns z itself, ours z + log1p(exp(-z)),
        # less than 2.1e-9 more at the default threshold of 20, and nothing from z = 37 on.
        if child.beta != 1.0:
            raise ValueError(f"from_torch: {child!r} has beta {child.beta}; nn's softplus has beta 1")
        return "softplus"
    for name, class_name in TORCH_ACTIVATIONS.items():
        if name not in ("leaky_relu", "softplus") and type(child) is getattr(nn, class_name):
            return name
    return None


def to_torch_sgd(optimizer: SGD, model: MLP, module: Any) -> Any:
    """A `torch.optim.SGD` over `module` (from `model.to_torch()`) with `optimizer`'s learning
    rate, momentum, weight decay and momentum buffers: training goes on in PyTorch exactly as it
    would have here (the update formulas are PyTorch's). `optimizer` must hold `model`'s
    parameters, in the model's order."""
    torch = import_torch()
    params = model.parameters()
    if len(optimizer.params) != len(params) or any(a is not b for a, b in zip(optimizer.params, params)):
        raise ValueError("to_torch_sgd: the optimiser must hold exactly model.parameters(), in that order")
    linears = [m for m in module if isinstance(m, torch.nn.Linear)]
    if [(m.in_features, m.out_features) for m in linears] != [(layer.nin, layer.nout) for layer in model.layers]:
        raise ValueError("to_torch_sgd: the module's Linear layers do not match the model's layers; pass model.to_torch()")
    torch_optimizer = torch.optim.SGD(module.parameters(), lr=optimizer.lr, momentum=optimizer.momentum,
                                      weight_decay=optimizer.weight_decay)
    buffer_of = {id(p): b for p, b in zip(params, optimizer.momentum_buffers)}
    for layer, linear in zip(model.layers, linears):
        weights = [[buffer_of[id(w)] for w in neuron.w] for neuron in layer.neurons]
        biases = [buffer_of[id(neuron.b)] for neuron in layer.neurons]
        if None in biases or any(None in row for row in weights):
            continue  # no step with momentum yet: PyTorch starts the buffer on its first step, as we do
        torch_optimizer.state[linear.weight]["momentum_buffer"] = torch.tensor(weights, dtype=torch.float64)
        torch_optimizer.state[linear.bias]["momentum_buffer"] = torch.tensor(biases, dtype=torch.float64)
    return torch_optimizer
