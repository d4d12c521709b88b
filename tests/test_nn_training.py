"""Training as the lecture does: seeds reach the model, the lecture's network trains, optimisers say what they need."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import pytest

from tinygrad_lite import nn, optim

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------- random.seed reaches the model


def test_random_seed_makes_a_model_without_seed_reproducible():
    random.seed(1337)
    first = nn.MLP(3, [4, 4, 1]).state_dict()
    random.seed(1337)
    second = nn.MLP(3, [4, 4, 1]).state_dict()
    random.seed(7)
    third = nn.MLP(3, [4, 4, 1]).state_dict()
    assert first == second and first != third


def test_an_int_seed_uses_a_private_generator_and_leaves_the_global_state_alone():
    random.seed(5)
    state = random.getstate()
    model = nn.MLP(3, [4, 1], seed=42).state_dict()
    assert random.getstate() == state
    assert nn.MLP(3, [4, 1], seed=42).state_dict() == model
    with pytest.raises(TypeError, match="seed must be an int"):
        nn.MLP(3, [4, 1], seed="42")


# ---------------------------------------------------------------- the lecture's network trains


def test_the_lecture_network_trains_from_every_seed():
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import lecture_mlp
    finally:
        sys.path.pop(0)
    losses = [lecture_mlp.train(seed=seed, quiet=True) for seed in range(20)]
    assert max(losses) < 0.05


def test_lecture_example_script_runs():
    result = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "lecture_mlp.py")], capture_output=True,
                            text=True, env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert result.returncode == 0 and "step 49" in result.stdout



def test_an_optimiser_given_the_model_says_to_pass_its_parameters():
    with pytest.raises(TypeError, match=r"pass its parameters: SGD\(model.parameters\(\), ...\)"):
        optim.SGD(nn.MLP(2, [1]), lr=0.1)
