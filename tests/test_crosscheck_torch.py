"""Optional: values and gradients against PyTorch in float64 (skipped when torch is absent)."""

from __future__ import annotations

import importlib.util
import math
import os

import pytest

if os.environ.get("CI") and importlib.util.find_spec("torch") is None:
    pytest.fail("torch is missing in CI: .ci/run installs torch==2.13.0 so that these cross-checks run", pytrace=False)
torch = pytest.importorskip("torch")

from tinygrad_lite import Value  # noqa: E402

FUNCTIONS = [
    lambda a, b: (a * b + a.exp() / (1 + b**2)).tanh(),
    lambda a, b: (a - b).sigmoid() * (a * a + 1).log(),
    lambda a, b: (a * 3 - b).relu() + (a + b).leaky_relu(0.1) + a / (b * b + 2),
    lambda a, b: (a * a + 0.5) ** b - 2 ** a + (-a) ** 3,
]


def _torch_leaky(x, slope):
    return torch.nn.functional.leaky_relu(x, slope)


def _run_torch(f, xs):
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]

    class T:
        def __init__(self, t):
            self.t = t
        def _w(self, o):
            return o.t if isinstance(o, T) else o
        def __add__(self, o): return T(self.t + self._w(o))
        __radd__ = __add__
        def __sub__(self, o): return T(self.t - self._w(o))
        def __rsub__(self, o): return T(self._w(o) - self.t)
        def __mul__(self, o): return T(self.t * self._w(o))
        __rmul__ = __mul__
        def __truediv__(self, o): return T(self.t / self._w(o))
        def __neg__(self): return T(-self.t)
        def __pow__(self, o): return T(self.t ** self._w(o))
        def __rpow__(self, o): return T(o ** self.t)
        def exp(self): return T(self.t.exp())
        def log(self): return T(self.t.log())
        def tanh(self): return T(self.t.tanh())
        def sigmoid(self): return T(self.t.sigmoid())
        def relu(self): return T(self.t.relu())
        def leaky_relu(self, s=0.01): return T(_torch_leaky(self.t, s))

    out = f(*[T(t) for t in ts]).t
    out.backward()
    return out.item(), [t.grad.item() for t in ts]


@pytest.mark.parametrize("i", range(len(FUNCTIONS)))
@pytest.mark.parametrize("xs", [(0.7, -1.3), (2.0, -3.0), (-0.4, 0.9), (1.5, 1.5)])
def test_matches_pytorch_float64(i, xs):
    f = FUNCTIONS[i]
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    out.backward()
    t_value, t_grads = _run_torch(f, xs)
    assert math.isclose(out.data, t_value, rel_tol=1e-12, abs_tol=1e-14)
    for ours, theirs in zip([v.grad for v in leaves], t_grads):
        assert math.isclose(ours, theirs, rel_tol=1e-10, abs_tol=1e-14)


@pytest.mark.parametrize("z", [0.0, -1.0, 2.0])
def test_kink_conventions_match_pytorch(z):
    for name, torch_fn in (("relu", torch.relu), ("leaky_relu", lambda t: _torch_leaky(t, 0.01))):
        t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
        torch_fn(t).backward()
        a = Value(z)
        getattr(a, name)().backward()
        assert a.grad == t.grad.item(), (name, z)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_a_step_compiled_for_numpy_matches_pytorch_vectorised(activation):
    # The same MLP step as a PyTorch user writes it with matrices: the loss and every weight's
    # gradient, against compile(..., backend="numpy") (summation orders differ: to 1e-12).
    pytest.importorskip("numpy")
    import tinygrad_lite as tl
    from tinygrad_lite import data, losses, nn

    X, y = data.make_moons(30, noise=0.1, seed=2)
    model = nn.MLP(2, [6, 5, 1], activation=activation, seed=4)
    flat = [c for x in X for c in x]

    def loss(v):
        scores = [model(v[2 * i:2 * i + 2]) for i in range(len(X))]
        return losses.hinge(scores, y) + 1e-3 * losses.l2(model.parameters())

    step = tl.compile(loss, flat, input_grads=False, backend="numpy")
    value, _ = step(flat)

    act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
           "leaky_relu": lambda t: _torch_leaky(t, 0.01)}[activation]
    weights = [(torch.tensor([[p.data for p in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True),
                torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True))
               for layer in model.layers]
    h = torch.tensor(X, dtype=torch.float64)
    for i, (W, b) in enumerate(weights):
        h = h @ W.T + b
        if i < len(weights) - 1:
            h = act(h)
    t_loss = (1 - torch.tensor(y, dtype=torch.float64) * h[:, 0]).relu().mean()
    t_loss = t_loss + 1e-3 * sum((W * W).sum() + (b * b).sum() for W, b in weights)
    t_loss.backward()

    assert math.isclose(value, t_loss.item(), rel_tol=1e-12)
    theirs = [g for W, b in weights for row, gb in zip(W.grad.tolist(), b.grad.tolist()) for g in row + [gb]]
    ours = [p.grad for p in model.parameters()]
    scale = max(abs(g) for g in theirs)
    assert all(abs(a - b) <= 1e-12 * scale for a, b in zip(ours, theirs))
