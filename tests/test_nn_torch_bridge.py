"""MLP.to_torch() and MLP.from_torch(): the same function, the same weights, the same gradients."""

from __future__ import annotations

import importlib.util
import math
import os
import random
import sys

import pytest

from tinygrad_lite import Value, losses, nn, optim

if os.environ.get("CI") and importlib.util.find_spec("torch") is None:
    pytest.fail("torch is missing in CI: .ci/run installs torch==2.13.0 so that these tests run", pytrace=False)
torch = pytest.importorskip("torch")

ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "softplus", "linear"]


def _inputs(n: int, count: int, seed: int = 0) -> list[list[float]]:
    rng = random.Random(seed)
    # wide enough to reach softplus's far range and relu's both sides
    return [[rng.uniform(-30, 30) if k % 3 == 0 else rng.uniform(-2, 2) for k in range(n)] for _ in range(count)]


def _outputs(out):
    return [v.data for v in out] if isinstance(out, list) else [out.data]


@pytest.mark.parametrize("hidden", ACTIVATIONS)
@pytest.mark.parametrize("output", ["linear", "sigmoid", "tanh"])
def test_the_torch_model_computes_the_same_function_and_gradients(hidden, output):
    model = nn.MLP(3, [5, 4, 2], activation=hidden, output_activation=output, seed=7)
    module = model.to_torch()
    assert all(p.dtype == torch.float64 for p in module.parameters())
    xs = _inputs(3, 12)
    for x in xs:
        ours = _outputs(model(x))
        theirs = module(torch.tensor(x, dtype=torch.float64)).tolist()
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)
    # one backward pass on the same loss: the parameters' gradients agree
    model.zero_grad()
    loss = losses.mse([model(x)[0] for x in xs], [0.5] * len(xs))
    loss.backward()
    t_loss = ((module(torch.tensor(xs, dtype=torch.float64))[:, 0] - 0.5) ** 2).mean()
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), rel=1e-12)
    theirs = [g for layer in module if isinstance(layer, torch.nn.Linear)
              for w_row, b in zip(layer.weight.grad.tolist(), layer.bias.grad.tolist()) for g in w_row + [b]]
    assert [p.grad for p in model.parameters()] == pytest.approx(theirs, rel=1e-12, abs=1e-12)


def test_a_round_trip_gives_the_weights_back_bit_for_bit():
    model = nn.MLP(4, [6, 3, 1], activation=["softplus", "leaky_relu"], output_activation="sigmoid", seed=3)
    back = nn.MLP.from_torch(model.to_torch())
    assert [p.data for p in back.parameters()] == [p.data for p in model.parameters()]
    assert back.architecture() == model.architecture()
    assert [p.label for p in back.parameters()] == [p.label for p in model.parameters()]


def test_a_model_made_in_torch_comes_over_without_activations_after_the_last_layer():
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))  # float32
    model = nn.MLP.from_torch(module)
    assert model.architecture() == {"nin": 2, "nouts": [3, 1], "activations": ["relu", "linear"]}
    x = [0.25, -1.5]
    expected = module.double()(torch.tensor(x, dtype=torch.float64)).item()  # float32 weights, exactly as float64
    assert model(x).data == pytest.approx(expected, rel=1e-12)


def test_nan_weights_are_carried_over_as_nan():
    model = nn.MLP(2, [2, 1], seed=0)
    model.parameters()[0].data = math.nan
    assert math.isnan(model.to_torch()[0].weight[0, 0].item())


def test_a_custom_activation_is_named():
    def swish(z: Value) -> Value:
        return z * z.sigmoid()

    with pytest.raises(ValueError, match="swish"):
        nn.MLP(2, [3, 1], activation=swish).to_torch()
    # the engine's own op given as a callable is known
    assert isinstance(nn.MLP(2, [3, 1], activation=Value.tanh).to_torch()[1], torch.nn.Tanh)


@pytest.mark.parametrize("module, message", [
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(4, 1)), "takes 4 inputs"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3, bias=False)), "no bias"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Dropout(0.1), torch.nn.Linear(3, 1)), "Dropout"),
    (lambda: torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 1)), "does not follow a Linear"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Tanh()), "layer 2.*does not follow"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.LeakyReLU(0.2)), "slope 0.2"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Softplus(beta=2.0)), "beta 2"),
    (lambda: torch.nn.Sequential(), "no Linear"),
])
def test_what_from_torch_cannot_take_is_a_value_error_naming_the_layer(module, message):
    with pytest.raises(ValueError, match=message):
        nn.MLP.from_torch(module())


def test_from_torch_of_something_else_is_a_type_error():
    with pytest.raises(TypeError, match="Sequential"):
        nn.MLP.from_torch(torch.nn.Linear(2, 1))


def test_without_torch_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match="pip install torch"):
        nn.MLP(2, [1]).to_torch()


def test_training_goes_on_in_torch_with_the_same_losses(tmp_path):
    # SGD with momentum follows PyTorch's formulas: handed over mid-training with its momentum
    # buffers, PyTorch's next losses are the ones training here would have given
    import os

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"))
    try:
        import handover_to_torch
    finally:
        sys.path.pop(0)
    here, in_torch, still_here = handover_to_torch.main(str(tmp_path))
    assert len(in_torch) == len(still_here) > 0 and in_torch[-1] < here[0]
    assert in_torch == pytest.approx(still_here, rel=1e-12)


def test_the_optimiser_handed_over_must_hold_the_models_parameters():
    model = nn.MLP(2, [3, 1], seed=0)
    module = model.to_torch()
    with pytest.raises(ValueError, match="model.parameters"):
        nn.torch_bridge.to_torch_sgd(optim.SGD(model.parameters()[:2], lr=0.1), model, module)
    with pytest.raises(ValueError, match="Linear layers do not match"):
        nn.torch_bridge.to_torch_sgd(optim.SGD(model.parameters(), lr=0.1), model, nn.MLP(2, [4, 1]).to_torch())
    fresh = nn.torch_bridge.to_torch_sgd(optim.SGD(model.parameters(), lr=0.1, momentum=0.5), model, module)
    assert fresh.defaults["momentum"] == 0.5 and not fresh.state  # no buffer before a first step
