"""Derivatives against PyTorch: every op's first and second derivative (double backward),
third derivatives of chains, Hessians of random graphs (torch.autograd.functional.hessian),
softmax, log_softmax and cross_entropy. Skipped without torch; in CI, where torch is
installed, they fail rather than skip."""

from __future__ import annotations

import importlib.util
import math
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_autograd import UNARY
from test_gradcheck import expressions

import tinygrad_lite as tl
from tinygrad_lite import Value, grad, ops

if os.environ.get("CI") and importlib.util.find_spec("torch") is None:
    pytest.fail("torch is missing in CI: .ci/run installs torch==2.13.0 so that these cross-checks run", pytrace=False)

torch = pytest.importorskip("torch")

TORCH = {
    "exp": torch.exp, "log": torch.log, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
    "softplus": lambda t: torch.nn.functional.softplus(t, threshold=40.0), "relu": torch.relu,
    "leaky_relu": lambda t: torch.nn.functional.leaky_relu(t, 0.01), "abs": torch.abs, "sqrt": torch.sqrt,
    "sin": torch.sin, "cos": torch.cos,
}


def _torch_derivatives(f, z: float, order: int) -> list[float]:
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    y, found = f(t), []
    for _ in range(order):
        (y,) = torch.autograd.grad(y, t, create_graph=True, allow_unused=True)
        if y is None or not y.requires_grad:
            found.append(0.0 if y is None else y.item())
            y = torch.zeros((), dtype=torch.float64, requires_grad=True) * t
            continue
        found.append(y.item())
    return found


def _our_derivatives(f, z: float, order: int) -> list[float]:
    x, y, found = Value(z), None, []
    y = f(x)
    for _ in range(order):
        (y,) = grad(y, [x], create_graph=True)
        found.append(y.data)
    return found


def test_every_unary_op_has_a_torch_twin_here():
    assert set(UNARY) == set(TORCH)


@pytest.mark.parametrize("name", sorted(TORCH))
def test_first_and_second_derivatives_of_each_op_match_pytorch(name):
    for z in ops.op_named(name).points:
        ours = _our_derivatives(UNARY[name], z, 2)
        theirs = _torch_derivatives(TORCH[name], z, 2)
        assert ours == pytest.approx(theirs, rel=1e-10, abs=1e-12), (name, z)


@pytest.mark.parametrize("f, t", [
    (lambda v: (v.sin()).tanh(), lambda t: torch.tanh(torch.sin(t))),
    (lambda v: (v * v + 1).log().sigmoid(), lambda t: torch.sigmoid(torch.log(t * t + 1))),
    (lambda v: (v.exp() + 1) ** -0.5 * v.cos(), lambda t: (torch.exp(t) + 1) ** -0.5 * torch.cos(t)),
    (lambda v: 2 ** v / (v * v + 1).sqrt(), lambda t: 2 ** t / torch.sqrt(t * t + 1)),
])
@pytest.mark.parametrize("z", [-1.3, 0.4, 2.2])
def test_third_derivatives_of_chains_match_pytorch(f, t, z):
    assert _our_derivatives(f, z, 3) == pytest.approx(_torch_derivatives(t, z, 3), rel=1e-9, abs=1e-12)


# Random graphs of ops that Values and tensors share, over three variables.
SHARED_UNARY = [lambda a: a.tanh(), lambda a: a.sigmoid(), lambda a: (a * 0.5).exp(), lambda a: (a * a + 1.0).log(),
                lambda a: a.sin(), lambda a: a.cos(), lambda a: (a * a + 0.5).sqrt(), lambda a: -a, lambda a: a ** 3]
SHARED_BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / (b * b + 1.0),
                 lambda a, b: (a * a + 0.5) ** (b.tanh() * 0.5 + 1.5)]


@settings(max_examples=60, deadline=None)
@given(expressions(unary=SHARED_UNARY, binary=SHARED_BINARY), st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3))
def test_hessians_of_random_graphs_match_pytorch(f, xs):
    def scalar(v):
        out = f(v)
        return out if isinstance(out, (Value, torch.Tensor)) else out * 1.0 + 0.0 * v[0]

    leaves = [Value(x) for x in xs]
    firsts = grad(scalar(leaves), leaves, create_graph=True)
    ours = [[g.data for g in grad(first, leaves)] for first in firsts]
    theirs = torch.autograd.functional.hessian(lambda t: scalar([t[0], t[1], t[2]]),
                                               torch.tensor(xs, dtype=torch.float64)).tolist()
    for row, expected in zip(ours, theirs):
        assert row == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("row", [[0.3, -1.2, 2.0], [1000.0, 0.0, -1000.0], [-1000.0, -1000.0], [5.0]])
def test_softmax_and_log_softmax_match_pytorch(row):
    for ours_f, torch_f in [(tl.softmax, torch.softmax), (tl.log_softmax, torch.log_softmax)]:
        leaves = [Value(x) for x in row]
        outs = ours_f(leaves)
        weights = [0.5 + i for i in range(len(row))]
        Value.sum([o * w for o, w in zip(outs, weights)]).backward()
        t = torch.tensor(row, dtype=torch.float64, requires_grad=True)
        t_out = torch_f(t, dim=0)
        (t_out * torch.tensor(weights, dtype=torch.float64)).sum().backward()
        assert [o.data for o in outs] == pytest.approx(t_out.tolist(), rel=1e-12, abs=1e-300)
        assert [v.grad for v in leaves] == pytest.approx(t.grad.tolist(), rel=1e-10, abs=1e-12)
        assert all(math.isfinite(v.grad) for v in leaves)


def test_cross_entropy_matches_pytorch_even_at_extreme_logits():
    from tinygrad_lite import losses

    rows = [[1000.0, 0.0, -1000.0], [0.3, -1.2, 2.0], [-1000.0, 1000.0, 0.0], [0.0, 0.0, 0.0]]
    targets = [2, 0, 1, 1]
    leaves = [[Value(x) for x in row] for row in rows]
    loss = losses.cross_entropy(leaves, targets)
    loss.backward()
    t = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(t, torch.tensor(targets))
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), rel=1e-12)
    ours = [v.grad for row in leaves for v in row]
    assert ours == pytest.approx([g for row in t.grad.tolist() for g in row], rel=1e-10, abs=1e-15)
