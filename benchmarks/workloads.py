"""The benchmark workloads, written once per engine in that engine's own idiom.

W1  moons step: MLP(2, [16, 16, 1]), relu hidden, linear output, 100 moons points,
    loss = mean hinge + 1e-4 * sum of squared parameters; forward, zero_grad, backward, SGD.
    Ours runs it with nn (one n-ary node per neuron) and, as "binary ops", with the model
    written micrograd's way (binary + and *, the built-in sum), as users write their own.
W2  deep chain: x = tanh(x * 0.999 + 0.001), 100,000 times from one leaf, then backward.
W3  wide sum: the sum of 100,000 products a_i * b_i, then backward.

Every engine starts W1 from the same weights (ours, copied) and data, so their losses can
be compared step by step.
"""

from __future__ import annotations

import math
import random

from tinygrad_lite import Value, data, losses, nn, optim, paused_gc

W1_POINTS = 100
W1_ALPHA = 1e-4
W1_LR = 0.05
CHAIN = 100_000
WIDE = 100_000


def w1_data():
    return data.make_moons(W1_POINTS, noise=0.1, seed=0)


def w1_reference_weights(width: int = 16) -> list[list[list[float]]]:
    """Initial weights per layer, per neuron: [w_0, ..., w_n-1, b], from our seeded MLP."""
    model = nn.MLP(2, [width, width, 1], seed=0)
    return [[[p.data for p in neuron.parameters()] for neuron in layer.neurons] for layer in model.layers]


def wide_data(n: int = WIDE) -> tuple[list[float], list[float]]:
    rng = random.Random(0)
    return [rng.uniform(-1, 1) for _ in range(n)], [rng.uniform(-1, 1) for _ in range(n)]


# ---------------------------------------------------------------- tinygrad_lite (eager)


class OursW1:
    """W1 with tinygrad_lite's nn, losses and optim."""

    name = "tinygrad_lite"

    def __init__(self, width: int = 16):
        self.X, self.y = w1_data()
        self.model = nn.MLP(2, [width, width, 1], seed=0)  # W1 is width 16; compile_scale.py varies it
        self.opt = optim.SGD(self.model.parameters(), lr=W1_LR)

    def loss(self, points) -> Value:
        """Mean hinge loss over `points` (lists of 2 numbers or Values) plus the L2 penalty."""
        scores = [self.model(x) for x in points]
        return losses.hinge(scores, self.y) + W1_ALPHA * losses.l2(self.model.parameters())

    def step(self) -> float:
        loss = self.loss(self.X)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.data


class CompiledW1(OursW1):
    """W1 with the step traced once by tinygrad_lite.compile and replayed: as straight-line code
    (backend "python") or as array code (backend "numpy")."""

    name = "tinygrad_lite compiled"

    def __init__(self, width: int = 16, backend: str = "python"):
        from tinygrad_lite import compile as compile_graph

        super().__init__(width)
        self.flat = [c for x in self.X for c in x]
        n = len(self.X)
        self.compiled = compile_graph(lambda v: self.loss([v[2 * i:2 * i + 2] for i in range(n)]), self.flat,
                                      input_grads=False, backend=backend)

    def step(self) -> float:
        self.opt.zero_grad()
        loss, _ = self.compiled(self.flat)
        self.opt.step()
        return loss

    def warm(self) -> None:
        """A replay that changes no weight (the gradients it adds are cleared by the next step)."""
        self.compiled(self.flat)


def deep_chain(make_value, chain: int = CHAIN) -> float:
    """W2 for any engine whose Values are made by `make_value`: returns d x_end / d x_0."""
    x0 = make_value(0.3)
    x = x0
    for _ in range(chain):
        x = (x * 0.999 + 0.001).tanh()
    x.backward()
    return x0.grad


def ours_w2(chain: int = CHAIN) -> float:
    return deep_chain(Value, chain)


def ours_w2_paused(chain: int = CHAIN) -> float:
    """W2 with the cycle collector paused while the graph is built (see paused_gc)."""
    with paused_gc():
        return ours_w2(chain)


def ours_w3_paused(values: tuple[list[float], list[float]]) -> float:
    with paused_gc():
        return ours_w3(values)


def wide_sum(make_value, values: tuple[list[float], list[float]], add_up=sum) -> float:
    """W3 for any engine whose Values are made by `make_value`: returns d total / d a_0."""
    a = [make_value(v) for v in values[0]]
    b = [make_value(v) for v in values[1]]
    total = add_up([x * y for x, y in zip(a, b)])
    total.backward()
    return a[0].grad


def ours_w3(values: tuple[list[float], list[float]]) -> float:
    """W3 written as a reader would, with the built-in sum: a 100,000-deep chain of additions."""
    return wide_sum(Value, values)


def ours_w3_nary(values: tuple[list[float], list[float]]) -> float:
    """W3 with Value.sum: one n-ary node for the sum."""
    return wide_sum(Value, values, Value.sum)


# ---------------------------------------------------------------- micrograd 0.1.0


def importable(module: str) -> bool:
    """Whether a peer is installed."""
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def micrograd_available() -> bool:
    return importable("micrograd.engine")


def _micrograd_value():
    from micrograd.engine import Value as MicroValue

    if not hasattr(MicroValue, "tanh"):
        # micrograd 0.1.0 has no tanh; this is the lecture's version, in micrograd's own style
        # (its closure captures `out`, as micrograd's other ops do).
        def tanh(self):
            t = math.tanh(self.data)
            out = MicroValue(t, (self,), "tanh")

            def _backward():
                self.grad += (1 - t**2) * out.grad

            out._backward = _backward
            return out

        MicroValue.tanh = tanh
    return MicroValue


class MicrogradStyleW1:
    """W1 as micrograd's demo notebook writes it, binary + and * only (no n-ary nodes), for any
    engine whose Values are made by `make_value`: micrograd itself, or ours run on a model
    written the way users write their own. Starts from our initial weights."""

    def __init__(self, make_value, name: str, width: int = 16):
        self.make_value, self.name = make_value, name
        self.X, self.y = w1_data()
        # one list per neuron: its weights, then its bias
        self.layers = [[[make_value(v) for v in ws] for ws in layer] for layer in w1_reference_weights(width)]
        self.params = [p for layer in self.layers for ws in layer for p in ws]

    def _forward(self, x):
        for i, layer in enumerate(self.layers):
            # micrograd's Neuron: act = sum((wi*xi for wi, xi in zip(self.w, x)), self.b)
            out = [sum((wi * xi for wi, xi in zip(ws[:-1], x)), ws[-1]) for ws in layer]
            x = [act.relu() for act in out] if i < len(self.layers) - 1 else out
        return x[0]

    def loss(self, inputs):
        """The mean hinge loss over `inputs` (rows of Values) plus the L2 penalty."""
        scores = list(map(self._forward, inputs))
        hinge = [(1 + -yi * si).relu() for yi, si in zip(self.y, scores)]
        data_loss = sum(hinge) * (1.0 / len(hinge))
        reg_loss = W1_ALPHA * sum(p * p for p in self.params)
        return data_loss + reg_loss

    def step(self) -> float:
        loss = self.loss([list(map(self.make_value, x)) for x in self.X])
        for p in self.params:
            p.grad = 0.0
        loss.backward()
        for p in self.params:
            p.data -= W1_LR * p.grad
        return loss.data


class CompiledMicrogradStyleW1(MicrogradStyleW1):
    """Our engine's micrograd-style W1, traced once by tinygrad_lite.compile and replayed (as
    CompiledW1, with either backend)."""

    def __init__(self, width: int = 16, backend: str = "python"):
        from tinygrad_lite import compile as compile_graph

        super().__init__(Value, "tinygrad_lite binary ops, compiled", width)
        self.flat = [c for x in self.X for c in x]
        n = len(self.X)
        self.compiled = compile_graph(lambda v: self.loss([v[2 * i:2 * i + 2] for i in range(n)]), self.flat,
                                      params=self.params, input_grads=False, backend=backend)

    def step(self) -> float:
        for p in self.params:
            p.grad = 0.0
        loss, _ = self.compiled(self.flat)
        for p in self.params:
            p.data -= W1_LR * p.grad
        return loss

    def warm(self) -> None:
        """A replay that changes no weight (the gradients it adds are cleared by the next step)."""
        self.compiled(self.flat)


def micrograd_w1() -> MicrogradStyleW1:
    return MicrogradStyleW1(_micrograd_value(), "micrograd 0.1.0")


def ours_micrograd_style_w1() -> MicrogradStyleW1:
    return MicrogradStyleW1(Value, "tinygrad_lite, micrograd-style model")


def micrograd_w2(chain: int = CHAIN) -> float:
    return deep_chain(_micrograd_value(), chain)


def micrograd_w3(values) -> float:
    return wide_sum(_micrograd_value(), values)


# ---------------------------------------------------------------- PyTorch


def torch_available() -> bool:
    return importable("torch")


def _torch_sgd_step(torch, params, loss) -> float:
    """zero_grad, backward and a plain SGD update, as micrograd's demo does them."""
    for p in params:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= W1_LR * p.grad
    return loss.item()


class TorchScalarW1:
    """W1 with 0-d float64 tensors: the same scalar graph, built by PyTorch's autograd."""

    name = "torch scalar"

    def __init__(self):
        import torch

        self.torch = torch
        self.X, self.y = w1_data()
        self.layers = [
            [[torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in ws] for ws in layer]
            for layer in w1_reference_weights()
        ]
        self.params = [p for layer in self.layers for ws in layer for p in ws]

    def _forward(self, x):
        for i, layer in enumerate(self.layers):
            out = []
            for ws in layer:
                act = ws[-1]
                for w, xi in zip(ws[:-1], x):
                    act = act + w * xi
                out.append(act.relu() if i < len(self.layers) - 1 else act)
            x = out
        return x[0]

    def step(self) -> float:
        torch = self.torch
        inputs = [[torch.tensor(v, dtype=torch.float64) for v in x] for x in self.X]
        scores = [self._forward(x) for x in inputs]
        data_loss = sum((1 + -yi * si).relu() for yi, si in zip(self.y, scores)) * (1.0 / len(scores))
        loss = data_loss + W1_ALPHA * sum(p * p for p in self.params)
        return _torch_sgd_step(torch, self.params, loss)


class TorchVectorW1:
    """W1 as a PyTorch user would write it: the batch as matrices. The ceiling to compare with."""

    name = "torch vectorised"

    def __init__(self):
        import torch

        self.torch = torch
        X, y = w1_data()
        self.X = torch.tensor(X, dtype=torch.float64)
        self.y = torch.tensor(y, dtype=torch.float64)
        self.params = []
        for layer in w1_reference_weights():
            W = torch.tensor([ws[:-1] for ws in layer], dtype=torch.float64, requires_grad=True)
            b = torch.tensor([ws[-1] for ws in layer], dtype=torch.float64, requires_grad=True)
            self.params += [W, b]

    def loss(self):
        h = self.X
        n_layers = len(self.params) // 2
        for i in range(n_layers):
            W, b = self.params[2 * i], self.params[2 * i + 1]
            h = h @ W.T + b
            if i < n_layers - 1:
                h = h.relu()
        scores = h[:, 0]
        return (1 - self.y * scores).relu().mean() + W1_ALPHA * sum((p * p).sum() for p in self.params)

    def step(self) -> float:
        return _torch_sgd_step(self.torch, self.params, self.loss())

    def warm(self) -> None:
        """Forward and backward with no update (the next step clears the gradients)."""
        self.loss().backward()


def torch_scalar_w2() -> float:
    import torch

    x0 = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    x = x0
    for _ in range(CHAIN):
        x = (x * 0.999 + 0.001).tanh()
    x.backward()
    return x0.grad.item()


def torch_vector_w2() -> float:
    # A chain cannot be vectorised: the same loop, which is what a PyTorch user would write.
    return torch_scalar_w2()


def torch_scalar_w3(values) -> float:
    import torch

    a = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values[0]]
    b = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values[1]]
    total = sum(x * y for x, y in zip(a, b))
    total.backward()
    return a[0].grad.item()


def torch_vector_w3(values) -> float:
    import torch

    a = torch.tensor(values[0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(values[1], dtype=torch.float64)
    total = (a * b).sum()
    total.backward()
    return a.grad[0].item()
