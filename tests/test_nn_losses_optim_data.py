"""Losses and optimisers against hand-computed values; data sets; bad input."""

from __future__ import annotations

import math
import warnings

import pytest

from tinygrad_lite import Parameter, Value, data, losses, optim


def test_mse_value_and_gradient():
    p = [Value(1.0), Value(3.0)]
    loss = losses.mse(p, [0.0, 1.0])
    assert loss.data == (1 + 4) / 2
    loss.backward()
    assert [v.grad for v in p] == [1.0, 2.0]  # 2 (p - t) / n


def test_hinge_value_and_gradient():
    s = [Value(0.5), Value(-2.0), Value(3.0)]
    loss = losses.hinge(s, [1, -1, -1])
    assert math.isclose(loss.data, (0.5 + 0.0 + 4.0) / 3)
    loss.backward()
    assert [v.grad for v in s] == [-1 / 3, 0.0, 1 / 3]


def test_bce_matches_the_definition_and_is_stable():
    z, t = 0.3, 1
    p = 1 / (1 + math.exp(-z))
    logit = Value(z)
    loss = losses.binary_cross_entropy_with_logits([logit], [t])
    assert math.isclose(loss.data, -math.log(p), rel_tol=1e-12)
    loss.backward()
    assert math.isclose(logit.grad, p - t, rel_tol=1e-12)
    for z, t, expected in [(1000.0, 1, 0.0), (-1000.0, 0, 0.0), (1000.0, 0, 1000.0), (-1000.0, 1, 1000.0)]:
        logit = Value(z)
        loss = losses.binary_cross_entropy_with_logits([logit], [t])
        assert loss.data == expected
        loss.backward()
        assert math.isfinite(logit.grad)


@pytest.mark.parametrize("loss", [losses.mse, losses.hinge, losses.binary_cross_entropy_with_logits, losses.binary_cross_entropy])
def test_losses_reject_bad_input(loss):
    with pytest.raises(ValueError, match="empty"):
        loss([], [])
    with pytest.raises(ValueError, match="2 predictions but 1 targets"):
        loss([Value(1.0), Value(2.0)], [1])
    with pytest.raises(TypeError, match="list"):
        loss(Value(1.0), [1])


def test_label_ranges():
    with pytest.raises(ValueError, match="-1 or \\+1"):
        losses.hinge([Value(1.0)], [0])
    with pytest.raises(ValueError, match="0 or 1"):
        losses.binary_cross_entropy_with_logits([Value(1.0)], [-1])


def test_l2_and_accuracy():
    ps = [Value(1.0), Value(-2.0)]
    assert losses.l2(ps).data == 5.0
    assert losses.accuracy([Value(1.0), Value(-1.0), 2.0], [1, 1, -1]) == 1 / 3
    with pytest.raises(ValueError):
        losses.accuracy([], [])


def test_a_nan_score_is_never_right():
    assert losses.accuracy([Value(math.nan)], [-1]) == 0.0
    assert losses.accuracy([math.nan, -2.0], [1, -1], threshold=0.5) == 0.5


def test_accuracy_of_probabilities_needs_their_threshold_and_says_so():
    probabilities, labels = [0.9, 0.2, 0.7, 0.1], [1, 0, 0, 0]
    with pytest.warns(UserWarning, match="threshold=0.5"):
        assert losses.accuracy(probabilities, labels) == 0.25  # every one "positive": the share of positives
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert losses.accuracy(probabilities, labels, threshold=0.5) == 0.75
        assert losses.accuracy([Value(0.3), Value(-0.2)], [1, -1]) == 1.0  # logits: no warning
    with pytest.raises(TypeError, match="accuracy threshold"):
        losses.accuracy([0.3], [1], threshold="0.5")
    with pytest.raises(TypeError, match="accuracy score"):
        losses.accuracy(["0.3"], [1])


def _param(x, g):
    p = Parameter(x)
    p.grad = g
    return p


def test_sgd_plain_momentum_and_weight_decay_by_hand():
    p = _param(1.0, 0.5)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    opt.step()  # d = 0.5 + 0.01 = 0.51; buf = 0.51; p = 1 - 0.051
    assert math.isclose(p.data, 0.949, rel_tol=1e-15)
    p.grad = 0.5
    opt.step()  # d = 0.5 + 0.00949; buf = 0.9 * 0.51 + 0.50949 = 0.96849
    assert math.isclose(p.data, 0.949 - 0.1 * 0.96849, rel_tol=1e-15)
    q = _param(2.0, -1.0)
    optim.SGD([q], lr=0.5).step()
    assert q.data == 2.5


def test_adam_by_hand():
    p = _param(1.0, 0.2)
    opt = optim.Adam([p], lr=0.1)
    opt.step()  # the first Adam step moves by lr * sign(g), up to eps
    assert math.isclose(p.data, 0.9, rel_tol=1e-7)
    p.grad = 0.2
    opt.step()
    assert math.isclose(p.data, 0.8, rel_tol=1e-7)


def test_adam_matches_torch_when_available():
    torch = pytest.importorskip("torch")
    grads = [0.3, -1.2, 0.05, 2.0, -0.7]
    p = _param(0.5, 0.0)
    t = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    ours = optim.Adam([p], lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)
    theirs = torch.optim.Adam([t], lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)
    sgd_p = _param(0.5, 0.0)
    sgd_t = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    ours_sgd = optim.SGD([sgd_p], lr=0.05, momentum=0.9, weight_decay=0.01)
    theirs_sgd = torch.optim.SGD([sgd_t], lr=0.05, momentum=0.9, weight_decay=0.01)
    for g in grads:
        p.grad = g
        t.grad = torch.tensor([g], dtype=torch.float64)
        ours.step()
        theirs.step()
        sgd_p.grad = g
        sgd_t.grad = torch.tensor([g], dtype=torch.float64)
        ours_sgd.step()
        theirs_sgd.step()
        assert p.data == pytest.approx(t.item(), rel=1e-14, abs=1e-15)
        assert sgd_p.data == pytest.approx(sgd_t.item(), rel=1e-14, abs=1e-15)


def test_optimisers_reject_bad_hyperparameters():
    ps = [Parameter(1.0)]
    with pytest.raises(ValueError, match="lr"):
        optim.SGD(ps, lr=0)
    with pytest.raises(ValueError, match="momentum"):
        optim.SGD(ps, lr=0.1, momentum=1.5)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam(ps, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="empty"):
        optim.Adam([])
    with pytest.raises(TypeError, match="single Value"):
        optim.SGD(Parameter(1.0), lr=0.1)
    with pytest.raises(TypeError, match="lr"):
        optim.SGD(ps, lr="fast")


def test_non_finite_gradient_is_reported_not_applied():
    p = _param(1.0, float("nan"))
    p.label = "L0.N0.w0"
    with pytest.raises(FloatingPointError, match="L0.N0.w0.*non-finite"):
        optim.SGD([p], lr=0.1).step()
    assert p.data == 1.0
    q = _param(1.0, 1e308)
    with pytest.raises(FloatingPointError, match="learning rate"):
        optim.SGD([q], lr=1e10).step()
    r = _param(1.0, float("inf"))
    optim.SGD([r], lr=0.1, check_finite=False).step()  # opted out: no error
    assert r.data == float("-inf")


@pytest.mark.parametrize("make", [data.make_moons, data.make_circles, data.make_xor, data.make_spirals])
def test_datasets_seeded_balanced_and_labelled(make):
    X, y = make(50, seed=3)
    assert (X, y) == make(50, seed=3)
    assert X != make(50, seed=4)[0]
    assert len(X) == len(y) == 50 and all(len(p) == 2 for p in X)
    assert set(y) == {-1, 1} and abs(y.count(1) - y.count(-1)) <= 2
    assert set(make(50, seed=3, zero_one=True)[1]) == {0, 1}
    with pytest.raises(ValueError, match="n must be"):
        make(1)
    with pytest.raises(ValueError, match="noise"):
        make(10, noise=-1)


def test_a_step_whose_values_only_sum_past_the_float_range_is_taken():
    # The finite check adds the new values up first; an overflowing sum of finite values must
    # not refuse the step.
    params = [Value(1.5e308), Value(1.5e308)]
    for p in params:
        p.grad = 1.0
    opt = optim.SGD(params, lr=0.5)
    opt.step()
    assert [p.data for p in params] == [1.5e308 - 0.5, 1.5e308 - 0.5] and opt.steps == 1


def test_bce_takes_probabilities_as_pytorch_does():
    ps, ts = [0.2, 0.9, 0.5, 0.999], [1, 0, 0.3, 1]
    leaves = [Value(p) for p in ps]
    loss = losses.binary_cross_entropy(leaves, ts)
    expected = -sum(t * math.log(p) + (1 - t) * math.log(1 - p) for p, t in zip(ps, ts)) / len(ps)
    assert loss.data == pytest.approx(expected, rel=1e-14)
    loss.backward()
    for leaf, p, t in zip(leaves, ps, ts):
        assert leaf.grad == pytest.approx((p - t) / (p * (1 - p)) / len(ps), rel=1e-12)


def test_bce_of_certain_probabilities_is_finite_and_refuses_logits():
    loss = losses.binary_cross_entropy([Value(0.0), Value(1.0)], [1, 0])  # completely wrong, and certain
    assert loss.data == 100.0  # each log clamped at -100, as PyTorch does
    assert losses.binary_cross_entropy([Value(1.0)], [1]).data == 0.0
    with pytest.raises(ValueError, match=r"\[0, 1\].*binary_cross_entropy_with_logits"):
        losses.binary_cross_entropy([Value(2.5)], [1])  # a logit
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        losses.binary_cross_entropy([Value(math.nan)], [1])
    with pytest.raises(ValueError, match="targets"):
        losses.binary_cross_entropy([Value(0.5)], [2])


def test_bce_matches_torch_when_available():
    torch = pytest.importorskip("torch")
    # (Not at p within 1e-12 of 0 or 1: PyTorch's gradient there is (p - t) / max(p (1 - p), 1e-12),
    # clamped; ours is the derivative itself, 1/(1 - p) for t = 0 at p = 1e-50, for instance.)
    ps, ts = [0.2, 0.9, 0.5, 0.999, 1e-9], [1.0, 0.0, 0.3, 1.0, 0.0]
    leaves = [Value(p) for p in ps]
    loss = losses.binary_cross_entropy(leaves, ts)
    loss.backward()
    t = torch.tensor(ps, dtype=torch.float64, requires_grad=True)
    t_loss = torch.nn.functional.binary_cross_entropy(t, torch.tensor(ts, dtype=torch.float64))
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), rel=1e-14)
    assert [v.grad for v in leaves] == pytest.approx(t.grad.tolist(), rel=1e-10)
