"""nn: model structure, initialisation, calling conventions, save/load, training."""

from __future__ import annotations

import json
import random

import pytest

from tinygrad_lite import Parameter, Value, data, losses, nn, optim


def test_mlp_structure_and_repr():
    model = nn.MLP(2, [4, 3, 1], activation="tanh", seed=0)
    assert len(model.parameters()) == (2 * 4 + 4) + (4 * 3 + 3) + (3 * 1 + 1)
    assert all(isinstance(p, Parameter) for p in model.parameters())
    assert "MLP(2, [4, 3, 1]" in repr(model) and "tanh" in repr(model) and "linear" in repr(model)
    assert [p.label for p in model.parameters()][:3] == ["L0.N0.w0", "L0.N0.w1", "L0.N0.b"]


def test_call_returns_value_for_one_output_else_list():
    assert isinstance(nn.MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    out = nn.MLP(2, [3, 2], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2


def test_accepts_values_as_inputs_and_gradients_reach_them():
    x = [Value(1.0), Value(-2.0)]
    nn.MLP(2, [3, 1], activation="tanh", seed=0)(x).backward()
    assert any(v.grad != 0.0 for v in x)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid", "linear", lambda z: z * z])
def test_every_activation_builds_and_backprops(activation):
    model = nn.MLP(3, [4, 2, 1], activation=activation, seed=1)
    model([0.1, 0.2, 0.3]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())


def test_per_layer_activations():
    model = nn.MLP(2, [3, 3, 1], activation=["tanh", "relu"], output_activation="sigmoid", seed=0)
    assert [layer.activation for layer in model.layers] == ["tanh", "relu", "sigmoid"]
    assert 0.0 < model([0.5, 0.5]).data < 1.0


def test_seed_reproducible_and_independent_of_global_random():
    random.seed(123)
    before = random.random()
    random.seed(123)
    a = nn.MLP(2, [5, 1], seed=7)
    assert random.random() == before  # the global state was not used
    b = nn.MLP(2, [5, 1], seed=7)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in nn.MLP(2, [5, 1], seed=8).parameters()]


def test_init_scales_follow_the_activation():
    def spread(model):
        ws = [p.data for p in model.layers[0].parameters() if ".w" in p.label]
        return (sum(w * w for w in ws) / len(ws)) ** 0.5

    he = spread(nn.MLP(100, [100, 1], activation="relu", seed=0))
    glorot = spread(nn.MLP(100, [100, 1], activation="tanh", seed=0))
    assert abs(he - (2 / 100) ** 0.5) < 0.02
    assert abs(glorot - (2 / 200) ** 0.5) < 0.02
    assert all(p.data == 0.0 for p in nn.MLP(2, [3, 1], init="zeros").parameters())


def test_zero_init_keeps_hidden_units_identical():
    X, y = data.make_moons(40, seed=0)
    model = nn.MLP(2, [4, 1], activation="sigmoid", init="zeros", seed=0)
    opt = optim.SGD(model.parameters(), lr=0.5)
    for _ in range(5):
        loss = losses.hinge([model(x) for x in X], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    rows = [[p.data for p in neuron.parameters()] for neuron in model.layers[0].neurons]
    assert all(row == rows[0] for row in rows)
    assert any(v != 0.0 for v in rows[0])  # they did learn, but all the same thing
    random_rows = [[p.data for p in n.parameters()] for n in nn.MLP(2, [4, 1], seed=0).layers[0].neurons]
    assert len({tuple(r) for r in random_rows}) == 4


def test_zero_grad_clears_parameters():
    model = nn.MLP(2, [3, 1], seed=0)
    model([1.0, 1.0]).backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_bad_construction_and_calls():
    with pytest.raises(ValueError, match="nin"):
        nn.MLP(0, [1])
    with pytest.raises(ValueError, match="nouts"):
        nn.MLP(2, [])
    with pytest.raises(ValueError, match="unknown activation"):
        nn.MLP(2, [3, 1], activation="swish")
    with pytest.raises(TypeError, match="activation"):
        nn.MLP(2, [3, 1], activation=3)
    with pytest.raises(ValueError, match="init"):
        nn.MLP(2, [3, 1], init="orthogonal")
    with pytest.raises(ValueError, match="activations for 2 hidden"):
        nn.MLP(2, [3, 3, 1], activation=["relu"])
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="list"):
        model(1.0)
    with pytest.raises(TypeError, match="str"):
        model([1.0, "a"])


@pytest.mark.parametrize("module", [nn.Neuron(2, rng=random.Random(0)), nn.Layer(2, 3, rng=random.Random(0)),
                                    nn.MLP(2, [3, 1], seed=0)])
def test_modules_take_any_iterable_of_inputs_and_refuse_a_single_number(module):
    as_list = module([0.5, -1.0])
    from_generator = module(v for v in (0.5, -1.0))
    flat = lambda out: [v.data for v in out] if isinstance(out, list) else [out.data]  # noqa: E731
    assert flat(as_list) == flat(from_generator) == flat(module((0.5, -1)))
    with pytest.raises(TypeError, match="wrap it"):
        module(0.5)
    with pytest.raises(ValueError, match="expects 2 inputs, got 1"):
        module(iter([0.5]))


def test_save_load_round_trip(tmp_path):
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    path = tmp_path / "model.json"
    nn.save(model, path)
    document = json.loads(path.read_text())
    assert document["architecture"]["nouts"] == [3, 1]
    other = nn.MLP(2, [3, 1], activation="tanh", seed=99)
    nn.load(other, path)
    assert [p.data for p in other.parameters()] == [p.data for p in model.parameters()]
    assert other([0.3, 0.4]).data == model([0.3, 0.4]).data


def test_load_into_another_shape_says_what_differs(tmp_path):
    path = tmp_path / "model.json"
    nn.save(nn.MLP(2, [3, 1], seed=0), path)
    with pytest.raises(ValueError, match=r"nouts: file has \[3, 1\], model has \[4, 1\]"):
        nn.load(nn.MLP(2, [4, 1], seed=0), path)
    with pytest.raises(ValueError, match="activations"):
        nn.load(nn.MLP(2, [3, 1], activation="tanh", seed=0), path)
    path.write_text("not json")
    with pytest.raises(ValueError, match="not a saved"):
        nn.load(nn.MLP(2, [3, 1], seed=0), path)


def test_state_dict_round_trip_and_mismatch():
    model = nn.MLP(2, [2, 1], seed=0)
    state = model.state_dict()
    assert set(state) == {p.label for p in model.parameters()}
    other = nn.MLP(2, [2, 1], seed=5)
    other.load_state_dict(state)
    assert other.state_dict() == state
    with pytest.raises(ValueError, match="missing"):
        other.load_state_dict({"L0.N0.w0": 1.0})
    bad = dict(state, **{"L0.N0.w0": "x"})
    with pytest.raises(TypeError, match="L0.N0.w0"):
        other.load_state_dict(bad)


def _train(X, y, epochs, lr, seed=0, hidden=(16, 16)):
    model = nn.MLP(2, [*hidden, 1], seed=seed)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for _ in range(epochs):
        scores = [model(x) for x in X]
        loss = losses.hinge(scores, y) + 1e-4 * losses.l2(model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses.accuracy([model(x) for x in X], y)


def test_training_converges_on_xor():
    X, y = data.make_xor(60, seed=0)
    assert _train(X, y, epochs=60, lr=0.1, hidden=(8, 8)) >= 0.95


def test_training_converges_on_moons():
    X, y = data.make_moons(80, noise=0.1, seed=0)
    assert _train(X, y, epochs=60, lr=0.1, hidden=(12, 12)) >= 0.95


def test_load_from_the_file_alone_rebuilds_the_model(tmp_path):
    from tinygrad_lite import nn

    model = nn.MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=1)
    path = tmp_path / "model.json"
    nn.save(model, path)
    again = nn.load(path)
    assert again.architecture() == model.architecture()
    assert [p.data for p in again.parameters()] == [p.data for p in model.parameters()]
    assert [p.data for p in nn.load(nn.MLP(3, [4, 2], activation="tanh", output_activation="sigmoid"), path)
            .parameters()] == [p.data for p in model.parameters()]  # the two-argument form still works

    def swish(z):
        return z * z.sigmoid()

    nn.save(nn.MLP(2, [3, 1], activation=swish), tmp_path / "custom.json")
    with pytest.raises(ValueError, match="'swish'.*nn.load\\(model, path\\)"):
        nn.load(tmp_path / "custom.json")
    with pytest.raises(TypeError, match="needs the path"):
        nn.load(model)
