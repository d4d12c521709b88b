"""Neural networks built from Values: Module, Neuron, Layer, MLP, and saving them as JSON.

A neuron computes  a = g(b + sum_i w_i x_i).  The weighted sum is one n-ary `linear` node
(its backward rule loops over the terms) rather than 2n binary nodes: the same arithmetic in the
same order, ten times fewer objects.

Every parameter and every neuron output gets a label such as "L1.N3.w0", "L1.N3.z" (the
pre-activation) and "L1.N3.a" (the activation): drawings use them to group a model neuron
by neuron, and `state_dict` uses the parameter labels as keys.
"""

from __future__ import annotations

import json
import math
import os
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, overload

from .. import ops
from .._checks import refuse_unordered, to_float
from .._files import write_text_atomically
from ..engine import Parameter, Value

__all__ = ["Module", "Neuron", "Layer", "MLP", "save", "load", "ACTIVATIONS", "INITS"]

Activation = Callable[[Value], Value]

ACTIVATIONS: dict[str, Activation | None] = {**ops.ACTIVATIONS, "linear": None}
"""The activations known by name (the op table's, and "linear", which means none: the identity)."""

INITS = ("auto", "he", "glorot", "uniform", "zeros")
"""Weight initialisations: "auto" picks He for relu-like units and Glorot otherwise."""

_RELU_LIKE = ("relu", "leaky_relu")


def _activation_name(activation: str | Activation) -> str:
    if isinstance(activation, str):
        return activation
    return getattr(activation, "__name__", repr(activation))


def _resolve_activation(activation: str | Activation) -> Activation | None:
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)} or pass a callable")
        return ACTIVATIONS[activation]
    if callable(activation):
        return activation
    raise TypeError(f"activation must be a name or a callable Value -> Value, got {type(activation).__name__} {activation!r}")


class RandomSource(Protocol):
    """What weights are drawn from: a `random.Random`, or the `random` module itself (the global state)."""

    def gauss(self, mu: float, sigma: float) -> float: ...

    def uniform(self, a: float, b: float) -> float: ...


def _random_source(seed: int | None) -> RandomSource:
    """A private generator seeded with `seed`, or with None the global `random` state, so that
    `random.seed(1337)` before building a model makes it reproducible, as in micrograd."""
    if seed is None:
        return random
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__} {seed!r}")
    return random.Random(seed)


def _initial_weight(rng: RandomSource, init: str, activation: str, fan_in: int, fan_out: int) -> float:
    if init == "auto":
        init = "he" if activation in _RELU_LIKE else "glorot"
    if init == "he":  # keeps the variance of relu units' outputs constant layer to layer
        return rng.gauss(0.0, math.sqrt(2.0 / fan_in))
    if init == "glorot":  # balances forward and backward variance for tanh/sigmoid units
        return rng.gauss(0.0, math.sqrt(2.0 / (fan_in + fan_out)))
    if init == "uniform":  # micrograd's choice
        return rng.uniform(-1.0, 1.0)
    return 0.0  # "zeros": every unit starts, and stays, the same


class Module:
    """Base class: anything with parameters. Subclasses implement `parameters()` and `__call__`."""

    def parameters(self) -> list[Parameter]:
        """All learnable Values, in a stable order."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0.0 (do this before each backward pass)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """The parameters' values keyed by their labels, as a plain dict."""
        return {p.label: p.data for p in self.parameters()}

    def load_state_dict(self, state: dict[str, float]) -> None:
        """Set the parameters from a dict made by `state_dict`; the keys must match exactly."""
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict needs a dict, got {type(state).__name__}")
        params = self.parameters()
        names = [p.label for p in params]
        known = set(names)
        missing = [n for n in names if n not in state]
        unexpected = [k for k in state if k not in known]
        if missing or unexpected:
            raise ValueError(
                f"state dict does not fit this model: missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
                f"unexpected {unexpected[:5]}{'...' if len(unexpected) > 5 else ''}"
            )
        values = [to_float(state[n], f"state dict entry {n!r}") for n in names]
        for p, v in zip(params, values):
            p.data = v


class Neuron(Module):
    """One unit: activation(b + sum_i w_i * x_i).

    Args:
        nin: number of inputs.
        activation: a name from ACTIVATIONS or a callable Value -> Value.
        init: one of INITS. `fan_out` (the next layer's width) matters for "glorot".
        rng: the random generator to draw weights from (the global `random` state if None).
        name: prefix of the parameter labels, e.g. "L0.N3".
    """

    def __init__(
        self,
        nin: int,
        activation: str | Activation = "relu",
        init: str = "auto",
        rng: RandomSource | None = None,
        fan_out: int = 1,
        name: str = "N",
    ) -> None:
        _check_positive_int(nin, "nin")
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {INITS}")
        rng = rng if rng is not None else random
        self.nin = nin
        self.activation = activation
        self.name = name
        self._activate = _resolve_activation(activation)
        act_name = _activation_name(activation)
        self.w = [
            Parameter(_initial_weight(rng, init, act_name, nin, fan_out), label=f"{name}.w{i}") for i in range(nin)
        ]
        self.b = Parameter(0.0, label=f"{name}.b")
        self._z_label = f"{name}.z"
        self._a_label = f"{name}.a"

    def __call__(self, x: Iterable[Value | float]) -> Value:
        x = _input_list(x, self.name, self.nin)
        z = Value.linear(self.w, x, self.b)
        z.label = self._z_label
        if self._activate is None:
            return z
        a = self._activate(z)
        if type(a) is not Value and not isinstance(a, Value):
            raise TypeError(f"{self.name}: the activation {_activation_name(self.activation)!r} returned "
                            f"{type(a).__name__} {a!r}, not a Value; it must compute with the Value's ops "
                            "(z.tanh(), z * 0.5, ...) so that gradients flow through it")
        a.label = self._a_label
        return a

    def parameters(self) -> list[Parameter]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={_activation_name(self.activation)!r})"


class Layer(Module):
    """`nout` neurons reading the same inputs; calling it returns a list of `nout` Values."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | Activation = "relu",
        init: str = "auto",
        rng: RandomSource | None = None,
        name: str = "L",
    ) -> None:
        _check_positive_int(nout, "nout")
        rng = rng if rng is not None else random
        self.nin, self.nout = nin, nout
        self.activation = activation
        self.neurons = [
            Neuron(nin, activation, init=init, rng=rng, fan_out=nout, name=f"{name}.N{j}") for j in range(nout)
        ]

    def __call__(self, x: Iterable[Value | float]) -> list[Value]:
        # Wrap plain numbers once, so all neurons share one leaf per input (and a drawing shows
        # it so), labelled x0, x1, ... as a drawing names the inputs.
        x = [v if isinstance(v, Value) else Value(v, label=f"x{i}") for i, v in enumerate(_input_list(x, "Layer", self.nin))]
        return [neuron(x) for neuron in self.neurons]

    def parameters(self) -> list[Parameter]:
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def __repr__(self) -> str:
        return f"Layer({self.nin} -> {self.nout}, activation={_activation_name(self.activation)!r})"


class MLP(Module):
    """A multi-layer perceptron.

    Args:
        nin: number of inputs.
        nouts: the width of each layer, the last one being the output layer.
        activation: the hidden layers' activation: one name or callable for all of them, or a
            list with one per hidden layer.
        output_activation: the last layer's ("linear" by default: raw scores or logits).
        init: "auto" (He for relu-like, Glorot for tanh/sigmoid), "he", "glorot", "uniform"
            or "zeros" (which shows why not: hidden units start and stay identical).
        seed: an int draws the initial weights from a private generator seeded with it (the
            global `random` state is neither used nor changed); None (the default) draws them
            from the global `random` state, so `random.seed(1337)` before building the model
            makes it reproducible, as in micrograd.

    Calling the model on a list of `nin` floats or Values returns a Value when the last layer
    has one unit, else a list of Values.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | Activation | Sequence[str | Activation] = "relu",
        output_activation: str | Activation = "linear",
        init: str = "auto",
        seed: int | None = None,
    ) -> None:
        _check_positive_int(nin, "nin")
        if isinstance(nouts, int) or not nouts:
            raise ValueError(f"nouts must be a non-empty list of layer widths, got {nouts!r}")
        hidden = len(nouts) - 1
        if isinstance(activation, str) or callable(activation):
            hidden_activations = [activation] * hidden
        elif isinstance(activation, (list, tuple)):
            hidden_activations = list(activation)
            if len(hidden_activations) != hidden:
                raise ValueError(
                    f"got {len(hidden_activations)} activations for {hidden} hidden layers; give one per hidden layer"
                )
        else:
            raise TypeError(
                f"activation must be a name, a callable or a list of them, got {type(activation).__name__} {activation!r}"
            )
        rng = _random_source(seed)
        sizes = [nin] + list(nouts)
        activations = hidden_activations + [output_activation]
        self.nin = nin
        self.nouts = list(nouts)
        self.activations = activations
        self.init = init
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activations[i], init=init, rng=rng, name=f"L{i}") for i in range(len(nouts))
        ]

    def __call__(self, x: Iterable[Value | float]) -> Value | list[Value]:
        outputs = self.layers[0](_input_list(x, "MLP", self.nin))
        for layer in self.layers[1:]:
            outputs = layer(outputs)
        return outputs[0] if len(outputs) == 1 else outputs

    def parameters(self) -> list[Parameter]:
        return [p for layer in self.layers for p in layer.parameters()]

    def architecture(self) -> dict[Any, Any]:
        """What defines the model's shape: saved with the weights and checked on load."""
        return {
            "nin": self.nin,
            "nouts": self.nouts,
            "activations": [_activation_name(a) for a in self.activations],
        }

    def to_torch(self) -> Any:
        """The same model as a float64 `torch.nn.Sequential`: per layer a `Linear` holding copies
        of the weights, then its activation's module (see nn/torch_bridge.py; needs torch). A
        custom activation (a function of Values) has no module: a ValueError names it."""
        from . import torch_bridge

        names = []
        for i, activation in enumerate(self.activations):
            name = _activation_name(activation)
            known = isinstance(activation, str) or ACTIVATIONS.get(name) is activation  # Value.tanh as a callable
            if name not in torch_bridge.TORCH_ACTIVATIONS or not known:
                raise ValueError(f"to_torch: layer {i}'s activation {name!r} is a function of Values with no PyTorch "
                                 f"module; the named activations {sorted(torch_bridge.TORCH_ACTIVATIONS)} can be handed over")
            names.append(name)
        layers = [([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons])
                  for layer in self.layers]
        return torch_bridge.to_torch(layers, names)

    @classmethod
    def from_torch(cls, module: Any) -> MLP:
        """An MLP with the weights of a `torch.nn.Sequential` of Linear layers, each optionally
        followed by one activation module (the shape `to_torch` makes); anything else is a
        ValueError naming the first layer it cannot take. See nn/torch_bridge.py; needs torch.
        `MLP.from_torch(m.to_torch())` has m's weights bit for bit."""
        from . import torch_bridge

        layers, activations = torch_bridge.from_torch(module)
        model = cls(len(layers[0][0][0]), [len(weights) for weights, _ in layers], activation=activations[:-1],
                    output_activation=activations[-1], init="zeros")
        for ours, (weights, biases) in zip(model.layers, layers):
            for neuron, row, bias in zip(ours.neurons, weights, biases):
                for w, x in zip(neuron.w, row):
                    w.data = x
                neuron.b.data = bias
        return model

    def __repr__(self) -> str:
        layers = ", ".join(repr(layer) for layer in self.layers)
        return f"MLP({self.nin}, {self.nouts}: [{layers}], {len(self.parameters())} parameters)"


def _input_list(x: object, who: str, nin: int) -> list[Any] | tuple[Any, ...]:
    """The inputs of a module call as a list or tuple of length `nin`, or a clear error.

    Any iterable is accepted (a generator, a numpy row); a single number is refused with a hint.
    """
    if not isinstance(x, (list, tuple)):
        refuse_unordered(x, who)
        if isinstance(x, (Value, int, float)) or not hasattr(x, "__iter__"):
            raise TypeError(f"{who} expects a list of {nin} inputs, got a single {type(x).__name__}; wrap it: [x]")
        x = list(x)
    if len(x) != nin:
        raise ValueError(f"{who} expects {nin} inputs, got {len(x)}")
    return x


def _check_positive_int(n: object, name: str) -> None:
    if type(n) is not int or n < 1:
        raise ValueError(f"{name} must be a positive int, got {n!r}")


_FORMAT = "tinygrad_lite.MLP"


def save(model: MLP, path: str | os.PathLike[str]) -> None:
    """Write the model's architecture and parameters to `path` as JSON (never pickle).

    The file is written whole before it replaces any previous one: a save that fails (a full
    disk, an interrupted process) leaves the earlier checkpoint as it was.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"save expects an MLP, got {type(model).__name__}")
    document = {"format": _FORMAT, "version": 1, "architecture": model.architecture(), "parameters": model.state_dict()}
    write_text_atomically(path, json.dumps(document, indent=1))


@overload
def load(model: MLP, path: str | os.PathLike[str]) -> MLP: ...


@overload
def load(model: str | os.PathLike[str]) -> MLP: ...


def load(model: MLP | str | os.PathLike[str], path: str | os.PathLike[str] | None = None) -> MLP:
    """Read a model saved by `save`: `nn.load(path)` builds it from the file alone, and
    `nn.load(model, path)` reads the parameters into `model`, which must have the same
    architecture. Returns the model.

    Raises ValueError naming what differs (layer widths, activations, inputs), and ValueError for
    any file that is not a complete saved model. A model whose activation is a function of
    your own is saved under that function's name: build it again with the function and use
    the two-argument form.
    """
    if path is None:
        if isinstance(model, MLP):
            raise TypeError("load(model) needs the path too: nn.load(model, path), or nn.load(path) to build it from the file")
        path = model
        document = _read_saved(path)
        target = _model_of(document["architecture"], path)
    elif isinstance(model, MLP):
        document = _read_saved(path)
        target = model
    else:
        raise TypeError(f"load(model, path): model must be an MLP, got {type(model).__name__}")
    saved, parameters = document["architecture"], document["parameters"]
    ours = target.architecture()
    differences = [f"{key}: file has {saved.get(key)!r}, model has {ours[key]!r}" for key in ours if saved.get(key) != ours[key]]
    if differences:
        raise ValueError(f"{path}: the saved model has another architecture: " + "; ".join(differences))
    try:
        target.load_state_dict(parameters)
    except (TypeError, OverflowError) as error:  # a parameter stored as something other than a float
        raise ValueError(f"{path}: {error}") from None
    return target


def _model_of(saved: dict[str, Any], path: str | os.PathLike[str]) -> MLP:
    """A model of the saved architecture (its weights are set next)."""
    nin, nouts, activations = saved.get("nin"), saved.get("nouts"), saved.get("activations")
    if (type(nin) is not int or not isinstance(nouts, list) or not isinstance(activations, list)
            or len(activations) != len(nouts) or not all(type(n) is int for n in nouts)):
        raise ValueError(f"{path}: the saved architecture is incomplete: {saved!r}")
    unknown = [a for a in activations if a not in ACTIVATIONS]
    if unknown:
        raise ValueError(f"{path}: the saved model uses the activation {unknown[0]!r}, a function of your own; build "
                         "the model with it and read the weights with nn.load(model, path)")
    return MLP(nin, nouts, activation=activations[:-1], output_activation=activations[-1], init="zeros")


def _read_saved(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The saved document, checked to hold an architecture and parameters."""
    with open(path, encoding="utf-8") as f:
        try:
            document = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
            reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
            raise ValueError(f"{path}: not a saved tinygrad_lite model ({reason})") from None
    if not isinstance(document, dict) or document.get("format") != _FORMAT:
        raise ValueError(f"{path}: not a saved tinygrad_lite model (no {_FORMAT!r} format tag)")
    saved, parameters = document.get("architecture"), document.get("parameters")
    if not isinstance(saved, dict):
        raise ValueError(f"{path}: a saved model needs an 'architecture' object, got {type(saved).__name__}")
    if not isinstance(parameters, dict):
        raise ValueError(f"{path}: a saved model needs a 'parameters' object, got {type(parameters).__name__}")
    return document
