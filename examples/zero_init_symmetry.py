"""Why not initialise weights to zero: every hidden unit starts, and stays, identical.

    python examples/zero_init_symmetry.py

All hidden units of a zero-initialised layer compute the same output and receive the same
gradient, so every update keeps them equal: the layer behaves like a single unit, however
wide it is. On two concentric circles, which one unit per layer cannot separate, that costs
accuracy (about 59% against 96% here). Random initialisation breaks the symmetry. Sigmoid hidden units are used so that
the zero-initialised network does learn (tanh or relu at 0 would pass no gradient at all),
and a squared error on 0/1 targets, whose mean is not zero, so the first step moves.
"""

from tinygrad_lite import data, losses, nn, optim


def train(init: str, epochs: int = 150, seed: int = 0):
    X, y = data.make_circles(100, noise=0.05, seed=seed, zero_one=True)
    model = nn.MLP(2, [8, 8, 1], activation="sigmoid", init=init, seed=seed)
    opt = optim.Adam(model.parameters(), lr=0.05)
    for _ in range(epochs):
        loss = losses.mse([model(x) for x in X], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    correct = sum((model(x).data > 0.5) == (label == 1) for x, label in zip(X, y))
    return model, correct / len(X)


def distinct_units(layer) -> int:
    """How many different weight vectors the layer's neurons hold."""
    return len({tuple(round(p.data, 12) for p in neuron.parameters()) for neuron in layer.neurons})


if __name__ == "__main__":
    for init in ("zeros", "auto"):
        model, accuracy = train(init)
        first = model.layers[0].neurons
        print(f"init={init!r:8} accuracy {accuracy:6.1%}   distinct hidden units: "
              f"layer 1 {distinct_units(model.layers[0])}/{len(first)}, "
              f"layer 2 {distinct_units(model.layers[1])}/{len(model.layers[1].neurons)}")
        print("    first two units of layer 1:", [round(p.data, 4) for p in first[0].parameters()],
              [round(p.data, 4) for p in first[1].parameters()])
