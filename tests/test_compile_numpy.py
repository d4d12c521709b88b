"""compile(..., backend="numpy"): array code equals the eager engine on models of every shape.

A matrix product and numpy's sums add in another order than the engine's left-to-right chain,
so results agree to rounding, not bit for bit: each value within 1e-12 relative to the largest
gradient of its call (a gradient that is a sum cancelling to ~0 differs in absolute terms only).
Where the engine raises, or its rules for zero gradients and infinities decide, the numpy code
hands the call to the engine: the same error, the same numbers.
"""

from __future__ import annotations

import math
import random
import sys
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engine_ops import CASES

import tinygrad_lite as tl
from tinygrad_lite import Parameter, Value, data, losses, nn, optim

pytest.importorskip("numpy")


def eager(f, xs, params):
    """f's value, input gradients and parameter gradients, run by the engine."""
    saved = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    leaves = [Value(x) for x in xs]
    out = f(leaves)
    out.backward()
    grads = [p.grad for p in params]
    for p, g in zip(params, saved):
        p.grad = g
    return out.data, [leaf.grad for leaf in leaves], grads


def compiled_call(compiled, xs, params):
    """The compiled function's value, input gradients and parameter gradients for this call."""
    saved = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    value, input_grads = compiled(xs)
    grads = [p.grad for p in params]
    for p, g in zip(params, saved):
        p.grad = g
    return value, input_grads, grads


def assert_close(got, expected, tolerance=1e-12):
    """Values and gradients equal within `tolerance`, relative to the largest gradient."""
    value, input_grads, grads = got
    e_value, e_input_grads, e_grads = expected
    assert math.isclose(value, e_value, rel_tol=tolerance, abs_tol=1e-300), (value, e_value)
    pairs = list(zip(grads, e_grads)) + list(zip(input_grads, e_input_grads))
    scale = max([abs(e) for _, e in pairs] + [1e-300])
    for g, e in pairs:
        assert abs(g - e) <= tolerance * max(abs(g), abs(e), scale), (g, e)


def numpy_compile(f, xs, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback to scalar code, no numpy warnings
        compiled = tl.compile(f, xs, backend="numpy", **options)
    assert compiled.backend == "numpy"
    return compiled


# ---------------------------------------------------------------- every op, batched


@pytest.mark.parametrize("name, op, xs, expected", CASES, ids=[c[0] for c in CASES])
def test_every_op_has_a_vectorised_form(name, op, xs, expected):
    # One copy of the op per point, each scaled by a shared weight: the op's forward form and
    # its rule run on arrays, and the weight's gradient is a sum over the points.
    points, n = 5, len(xs)
    weight = Parameter(0.75, label="w")

    def f(v):
        return Value.sum([op(*v[n * i:n * i + n]) * weight for i in range(points)])

    at = [x * (1.0 + 0.01 * i) for i in range(points) for x in xs]
    compiled = numpy_compile(f, at)
    assert f"{points} copies of a" in compiled.description
    got = compiled_call(compiled, at, [weight])
    assert compiled.eager_replays == 0, "the array code failed and the engine ran instead"
    assert_close(got, eager(f, at, [weight]))


# ---------------------------------------------------------------- models of every shape


def micrograd_style(model: nn.MLP):
    """The same network as `model`, evaluated with binary + and * and the built-in sum."""

    def forward(x):
        for layer in model.layers:
            outs = []
            for neuron in layer.neurons:
                act = sum((wi * xi for wi, xi in zip(neuron.w, x)), neuron.b)
                outs.append(neuron._activate(act) if neuron._activate is not None else act)
            x = outs
        return x[0]

    return forward


def loss_function(model, nin, points, loss, style, reduction, l2, rng):
    """A training loss over `points` data points whose inputs are the function's arguments."""
    forward = micrograd_style(model) if style == "binary ops" else model
    signs = [rng.choice([-1.0, 1.0]) for _ in range(points)]
    # softplus(z) for a 0 and softplus(-z) for a 1 are two shapes of subgraph: two batches,
    # each of at least two points
    bits = [float(i % 2) for i in range(points)]
    targets = [rng.uniform(-1.0, 1.0) for _ in range(points)]

    def f(v):
        scores = [forward(v[nin * i:nin * i + nin]) for i in range(points)]
        if loss == "mse":
            total = losses.mse(scores, targets)
        elif loss == "bce":
            total = losses.binary_cross_entropy_with_logits(scores, bits)
        elif loss == "cross-entropy of sigmoids":  # the course's cost, written out: sigmoid and log compose
            probs = [s.sigmoid() for s in scores]
            total = -(1.0 / points) * Value.sum([b * p.log() + (1 - b) * (1 - p).log() for p, b in zip(probs, bits)])
        elif loss == "negated logs":  # the same, as the initialization exercise writes it
            probs = [s.sigmoid() for s in scores]
            total = Value.sum([-(p.log()) * b + -((1 - p).log()) * (1 - b) for p, b in zip(probs, bits)]) / points
        elif loss == "hinge":
            total = losses.hinge(scores, signs)
        elif loss == "mse + hinge":  # two sums over the same points
            total = losses.mse(scores, targets) + losses.hinge(scores, signs)
        else:  # micrograd's demo: the built-in sum of hinges, and a sum rather than a mean
            total = sum((1 + -y * s).relu() for y, s in zip(signs, scores))
        if reduction == "sum":
            total = total * float(points)
        if l2:
            total = total + 1e-3 * losses.l2(model.parameters())
        return total

    return f


models = st.fixed_dictionaries({
    "nin": st.integers(1, 4),
    "widths": st.lists(st.integers(1, 5), max_size=2).map(lambda hidden: hidden + [1]),
    "activation": st.sampled_from(sorted(nn.ACTIVATIONS)),
    "output_activation": st.sampled_from(["linear", "tanh", "sigmoid"]),
    "loss": st.sampled_from(["mse", "bce", "cross-entropy of sigmoids", "negated logs", "hinge", "mse + hinge",
                             "micrograd hinge"]),
    "style": st.sampled_from(["nn", "binary ops"]),
    "reduction": st.sampled_from(["mean", "sum"]),
    "l2": st.booleans(),
    "points": st.integers(4, 9),
    "input_grads": st.booleans(),
    "seed": st.integers(0, 10_000),
})


@settings(max_examples=60, deadline=None)
@given(models)
def test_random_models_and_losses_equal_the_eager_engine(spec):
    rng = random.Random(spec["seed"])
    model = nn.MLP(spec["nin"], spec["widths"], activation=spec["activation"],
                   output_activation=spec["output_activation"], seed=spec["seed"])
    f = loss_function(model, spec["nin"], spec["points"], spec["loss"], spec["style"], spec["reduction"], spec["l2"],
                      rng)
    params = model.parameters()
    trace_at = [rng.uniform(-2.0, 2.0) for _ in range(spec["nin"] * spec["points"])]
    compiled = numpy_compile(f, trace_at, input_grads=spec["input_grads"])
    for xs in (trace_at, [rng.uniform(-2.0, 2.0) for _ in trace_at]):
        value, input_grads, grads = compiled_call(compiled, xs, params)
        e_value, e_input_grads, e_grads = eager(f, xs, params)
        assert input_grads == [] if not spec["input_grads"] else len(input_grads) == len(xs)
        assert_close((value, input_grads, grads), (e_value, e_input_grads if spec["input_grads"] else [], e_grads))
    assert compiled.eager_replays == 0


def moons_model(width=8, points=30):
    X, y = data.make_moons(points, noise=0.1, seed=1)
    model = nn.MLP(2, [width, width, 1], seed=3)
    flat = [c for x in X for c in x]

    def loss(v):
        scores = [model(v[2 * i:2 * i + 2]) for i in range(points)]
        return losses.hinge(scores, y) + 1e-4 * losses.l2(model.parameters())

    return model, flat, loss


def test_a_training_run_follows_the_eager_loss_curve():
    curves = []
    for backend in ("eager", "numpy"):
        model, flat, loss = moons_model()
        opt = optim.SGD(model.parameters(), lr=0.1)
        step = numpy_compile(loss, flat, input_grads=False) if backend == "numpy" else None
        curve = []
        for _ in range(100):
            opt.zero_grad()
            if step is None:
                out = loss([Value(x) for x in flat])
                out.backward()
                curve.append(out.data)
            else:
                curve.append(step(flat)[0])
            opt.step()
        curves.append(curve)
    eager_curve, numpy_curve = curves
    assert eager_curve[-1] < 0.5 * eager_curve[0]  # it learns
    for a, b in zip(eager_curve, numpy_curve):
        assert math.isclose(a, b, rel_tol=1e-9)


def test_the_source_reads_as_matrix_calculus():
    model, flat, loss = moons_model(width=4, points=10)
    compiled = numpy_compile(loss, flat, input_grads=False)
    source = compiled.source
    assert "L0_z = L0_w @ x + L0_b" in source  # a layer is one matrix product, (neurons, points)
    assert " @ x.T " in source  # dW = dZ X^T
    assert "# 4 linear nodes per point" in source  # each block says which scalar nodes it stands for
    # the data points' batch and the L2 penalty's (a p * p per parameter)
    assert compiled.description.startswith("2 batch(es)") and "10 copies of a" in compiled.description
    assert "3 matrix product(s)" in compiled.description


def test_a_one_row_gradient_is_the_row_itself_and_the_stable_sigmoid_computes_exp_once():
    # The course's cost: a sigmoid output per point, its log weighted by the label (a per-point
    # constant). The output layer's gradient is one row: taken as it is, not added into zeros.
    X, y = data.make_moons(12, noise=0.1, seed=1)
    model = nn.MLP(2, [3, 1], seed=3)
    flat = [c for x in X for c in x]

    def cost(v):
        a = [model(v[2 * i:2 * i + 2]).sigmoid() for i in range(12)]  # type: ignore[union-attr]
        return -(1 / 12) * Value.sum([y_i * a_i.log() + (1 - y_i) * (1 - a_i).log() for a_i, y_i in zip(a, y)])

    compiled = numpy_compile(cost, flat, input_grads=False)
    assert "np.zeros((1, 12))" not in compiled.source
    assert compiled.source.count("np.exp(") == 1
    params = model.parameters()
    value, _ = compiled(flat)  # adds the parameters' gradients to their .grad
    compiled_grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    eager = cost(flat)
    eager.backward()
    assert value == pytest.approx(eager.data, rel=1e-13)
    assert compiled_grads == pytest.approx([p.grad for p in params], rel=1e-11, abs=1e-15)


# ---------------------------------------------------------------- the engine's semantics


def per_point(op, points=4):
    weight = Parameter(0.5, label="w")
    return (lambda v: Value.sum([op(v[i] * weight) for i in range(points)])), weight


@pytest.mark.parametrize("op, bad_input", [
    (lambda z: z.log(), -1.0),
    (lambda z: 1.0 / z, 0.0),
    (lambda z: z.exp(), 2000.0),
    (lambda z: z ** 0.5, -3.0),
    (lambda z: (z + 1.0) ** -1.0, -2.0),
], ids=["log", "division", "exp overflow", "fractional power", "negative power"])
def test_the_engines_errors_are_raised_with_its_types_and_messages(op, bad_input):
    f, weight = per_point(op)
    compiled = numpy_compile(f, [1.0, 2.0, 3.0, 4.0])
    bad = [1.0, bad_input, 3.0, 4.0]
    with pytest.raises(Exception) as expected:
        eager(f, bad, [weight])
    with pytest.raises(type(expected.value)) as got:
        compiled(bad)
    assert str(got.value) == str(expected.value)
    assert compiled.eager_replays == 1
    assert compiled_call(compiled, [1.5, 2.0, 3.0, 4.0], [weight])[0] == pytest.approx(eager(f, [1.5, 2.0, 3.0, 4.0],
                                                                                             [weight])[0])


def test_threads_run_the_same_array_code_at_once_each_with_its_own_traps():
    # numpy's floating-point traps are set per call of the generated code (its errstate
    # decorator): a thread whose inputs trap does not change what another thread computes, and
    # the caller's own numpy settings are left as they were
    import threading

    np = pytest.importorskip("numpy")
    f, weight = per_point(lambda z: z.log())
    compiled = numpy_compile(f, [1.0, 2.0, 3.0, 4.0])
    run = compiled._function
    good, bad = [1.5, 2.0, 3.0, 4.0], [1.5, -2.0, 3.0, 4.0]
    expected = run(good, [0.5], [0.0])
    outcomes: list[object] = []

    def calls(xs):
        for _ in range(300):
            try:
                outcomes.append(run(xs, [0.5], [0.0]) == expected)
            except FloatingPointError:
                outcomes.append("trapped")

    before = np.geterr()
    threads = [threading.Thread(target=calls, args=(xs,)) for xs in (good, bad, good, bad)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(True) == 600 and outcomes.count("trapped") == 600
    assert np.geterr() == before


@pytest.mark.parametrize("z", [-1000.0, 1000.0])
def test_sigmoid_softplus_and_cross_entropy_are_stable_at_extremes(z):
    weight = Parameter(1.0, label="w")

    def f(v):
        def logits():
            return [v[i] * weight for i in range(4)]

        return (losses.binary_cross_entropy_with_logits(logits(), [1.0, 0.0, 1.0, 0.0])
                + Value.sum([x.sigmoid() + x.softplus() for x in logits()]))

    xs = [z, -z, z / 2, 0.5]
    compiled = numpy_compile(f, [0.1, 0.2, 0.3, 0.4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = compiled_call(compiled, xs, [weight])
    assert compiled.eager_replays == 0
    assert_close(got, eager(f, xs, [weight]))


@pytest.mark.parametrize("special", [math.inf, -math.inf, math.nan])
def test_infinite_and_nan_data_give_the_engines_results(special):
    model, flat, loss = moons_model(width=3, points=5)
    compiled = numpy_compile(loss, flat)
    xs = list(flat)
    xs[3] = special
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's own RuntimeWarnings never reach the user
        got = compiled_call(compiled, xs, model.parameters())
    expected = eager(loss, xs, model.parameters())
    for a, b in zip([got[0]] + got[1] + got[2], [expected[0]] + expected[1] + expected[2]):
        assert a == b or (a != a and b != b), (a, b)


def test_parameters_are_read_live_and_gradients_accumulate():
    model, flat, loss = moons_model(width=3, points=6)
    compiled = numpy_compile(loss, flat, input_grads=False)
    params = model.parameters()
    for p in params:
        p.data *= 1.5
    first = compiled_call(compiled, flat, params)
    assert_close(first, eager(loss, flat, params)[:1] + ([],) + eager(loss, flat, params)[2:])
    for p in params:
        p.grad = 1.0
    compiled(flat)
    assert all(math.isclose(p.grad, 1.0 + g, rel_tol=1e-12) for p, g in zip(params, first[2]))


def test_check_mode_compares_with_the_engine_on_every_call():
    model, flat, loss = moons_model(width=3, points=6)
    compiled = numpy_compile(loss, flat, check=True)
    value, _ = compiled(flat)
    assert value == pytest.approx(eager(loss, flat, model.parameters())[0], rel=1e-12)


def test_a_graph_with_nothing_repeated_falls_back_to_scalar_code_with_a_warning():
    with pytest.warns(UserWarning, match="nothing to vectorise"):
        compiled = tl.compile(lambda v: (v[0] * v[1]).tanh(), [0.5, 2.0], backend="numpy")
    assert compiled.backend == "python" and "compiled as scalar Python" in compiled.description
    assert compiled([0.5, 2.0])[1] == eager(lambda v: (v[0] * v[1]).tanh(), [0.5, 2.0], [])[1]


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend must be 'python' or 'numpy', got 'torch'"):
        tl.compile(lambda v: v[0] * 2, [1.0], backend="torch")


def test_without_numpy_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "tinygrad_lite\[fast\]"'):
        tl.compile(lambda v: Value.sum([x * 2 for x in v]), [1.0, 2.0], backend="numpy")


def test_relu_and_leaky_relu_at_exactly_zero_follow_the_engine():
    # d relu/dz at 0 is 0 and d leaky_relu/dz at 0 is the slope, for +0.0 and -0.0 alike
    weight = Parameter(1.0, label="w")

    def f(v):
        return Value.sum([(x * weight).relu() + (x * weight).leaky_relu(0.2) for x in v])

    xs = [0.0, -0.0, 1.0, -1.0]
    compiled = numpy_compile(f, [0.5, 0.25, 1.0, -1.0])
    got = compiled_call(compiled, xs, [weight])
    expected = eager(f, xs, [weight])
    assert got == expected and compiled.eager_replays == 0


def test_subgraphs_read_by_batches_that_do_not_line_up_stay_scalar_and_correct():
    # Binary cross-entropy makes two batches (a 0 and a 1 are two shapes of subgraph); the
    # same logits read again by a sum over all points cannot be one array for both: those
    # nodes stay scalar code (here, all of them), and the results are still the engine's.
    weight = Parameter(0.5, label="w")

    def f(v):
        logits = [v[i] * weight for i in range(6)]
        return (losses.binary_cross_entropy_with_logits(logits, [1.0, 0.0, 1.0, 0.0, 1.0, 1.0])
                + Value.sum([z.tanh() for z in logits]))

    xs = [0.3, -1.2, 2.0, 0.7, -0.4, 1.1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = tl.compile(f, xs, backend="numpy")
    assert_close(compiled_call(compiled, xs, [weight]), eager(f, xs, [weight]))


def test_opposite_infinities_in_value_and_gradients_raise_no_numpy_warning():
    # value -inf, d/dw = +inf: the final finiteness check must not warn (inf - inf) either
    weight = Parameter(-1.0, label="w")

    def f(v):
        return Value.sum([x * weight for x in v])

    compiled = numpy_compile(f, [1.0, 2.0, 3.0, 4.0])
    xs = [math.inf, 1.0, 1.0, 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = compiled_call(compiled, xs, [weight])
    assert got == eager(f, xs, [weight])


def test_the_fallback_warning_points_at_the_callers_line():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tl.compile(lambda v: v[0] * 2.0, [1.0], backend="numpy")
    assert caught and caught[0].filename == __file__


# ---------------------------------------------------------------- a term read by another batch
# An anchor (or triplet) loss: every hinge term reads p[0], one point of the mse batch. The
# hinge batch, found first, saw p[0] as one scalar shared by all its points; the mse batch then
# made p[0] an element of its array. With 4 and 4 points the scalar was read as the whole
# array (wrong value, no warning); with 4 and 3, a broadcasting error replayed eager per call.

@pytest.mark.parametrize("n_neg", [4, 3, 2])
def test_anchor_loss_is_compiled_and_right(n_neg):
    pos, neg = [0.5, 1.0, 1.5, 2.0], [0.3, 0.7, 1.1, 1.9][:n_neg]

    def f(xs):
        w = xs[0]
        p = [w * x for x in pos]
        n = [w * y for y in neg]
        return losses.mse(p, [1.0] * len(p)) + losses.hinge([nj - p[0] for nj in n], [1.0] * len(n))

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither a fallback to scalar Python nor any other warning
        step = tl.compile(f, [0.7], backend="numpy")
    assert step.backend == "numpy"
    for w in (0.7, 0.2, 1.3, -0.4):
        value, grads = step([w])
        e_value, e_grads, _ = eager(f, [w], [])
        assert value == pytest.approx(e_value, rel=1e-12, abs=1e-12)
        assert grads == pytest.approx(e_grads, rel=1e-12, abs=1e-12)
    assert step.eager_replays == 0


def test_array_code_that_disagrees_on_the_traced_inputs_falls_back_to_python(monkeypatch):
    # The class of bug behind the anchor loss: whatever the generator gets wrong is caught on
    # the traced inputs at compile time, and the function is compiled as scalar Python instead.
    from tinygrad_lite.compiler import function

    monkeypatch.setattr(function, "_disagreement", lambda *args: "value: compiled 1.0 but eager 2.0")
    w = Parameter(0.5)
    with pytest.warns(UserWarning, match="disagreed with the engine on the traced inputs"):
        step = tl.compile(lambda xs: Value.sum([w * x for x in xs]), [1.0, 2.0, 3.0], backend="numpy")
    assert step.backend == "python"
    assert step([1.0, 2.0, 3.0])[0] == 3.0


def test_check_accepts_a_sum_that_cancels():
    # numpy adds in another order: 1e16 + 1 - 1e16 + 1 is 0.0 or 2.0 depending on the order,
    # both within the rounding of the terms; check=True must not call that a mismatch
    w = Parameter(1.0)
    xs = [1e16, 1.0, -1e16, 1.0] * 4
    step = tl.compile(lambda v: sum(w * x for x in v), xs, backend="numpy", check=True)
    assert step.backend == "numpy"
    value, grads = step(xs)
    assert abs(value - 4.0) <= 1e-12 * 4e16
    assert grads == [1.0] * 16


# ---------------------------------------------------------------- rules composed along blocks


def _layer_cost(read_output, points=10, width=1, seed=4):
    """A model whose output layer (`width` neurons) goes through `read_output(z)` per point, summed."""
    X, _ = data.make_moons(points, noise=0.1, seed=seed)
    model = nn.MLP(2, [3, width], seed=seed)
    flat = [c for x in X for c in x]

    def cost(v):
        outs = [model(v[2 * i:2 * i + 2]) for i in range(points)]
        outs = [o if isinstance(o, list) else [o] for o in outs]
        per_point = [Value.sum([read_output(z, i) for z in row]) for i, row in enumerate(outs)]
        return Value.sum(per_point) * (1.0 / points)

    return cost, flat, model.parameters()


def _bce(z, i):
    a = z.sigmoid()
    y = i % 2
    return -(y * a.log() + (1 - y) * (1 - a).log())


def _course_cost(z, i):
    # as the initialization exercise writes it: each log negated, then weighted by the label
    a = z.sigmoid()
    y = i % 2
    return -(a.log()) * y + -((1 - a).log()) * (1 - y)


@pytest.mark.parametrize("read_output, width", [
    (_bce, 1),
    (_bce, 3),  # a block of three rows
    (_course_cost, 1),  # composed through the negations too: their sign goes into the terms
    (lambda z, i: z.exp().log() * (i + 1), 1),  # log(exp(z)): the exp's output cancels, the gradient passes as it is
], ids=["cross-entropy of a sigmoid", "three sigmoids", "negated logs", "log of exp"])
def test_rules_that_cancel_along_blocks_are_composed_and_agree_with_the_engine(read_output, width):
    # The course's cost reads a sigmoid's output a as log(a) and log(1 - a): composed, the rules'
    # g / a and a * (1 - a) cancel, and the backward has no division left for them.
    cost, flat, params = _layer_cost(read_output, width=width)
    compiled = numpy_compile(cost, flat, input_grads=False)
    assert "the rules composed" in compiled.source
    backward = compiled.source.split("# backward")[1]
    assert " / " not in backward
    if read_output is _course_cost:  # no array is negated on its own
        assert "neg: d(-a)/da" not in backward and "-(" not in backward
    for scale in (1.0, 30.0, -30.0):  # near saturation, where a or 1 - a is tiny
        xs = [x * scale for x in flat]
        assert_close(compiled_call(compiled, xs, params), eager(cost, xs, params))


def test_a_block_also_read_otherwise_keeps_its_own_rule():
    # a * a reads the sigmoid too: its gradient is the rules' own, one after the other
    cost, flat, params = _layer_cost(lambda z, i: _bce(z, i) + z.sigmoid() * z.sigmoid())
    compiled = numpy_compile(cost, flat, input_grads=False)
    assert "the rules composed" not in compiled.source
    assert_close(compiled_call(compiled, flat, params), eager(cost, flat, params))


def test_where_the_rules_product_overflows_the_composed_gradient_is_the_finite_one():
    # z = -720: sigmoid(z) is about 1e-313, so log's rule g / a overflows to inf in eager (and in
    # PyTorch, which multiplies the same way); composed, the gradient is g * (1 - a), finite and
    # right. Beyond z = -745, a is 0 and both raise the engine's error for log(0).
    w, b = Parameter(1.0, label="w"), Parameter(0.0, label="b")

    def cost(v):
        return Value.sum([-(Value.linear([w], [v[i]], b).sigmoid().log()) for i in range(4)]) * 0.25

    compiled = numpy_compile(cost, [0.1, 0.2, 0.3, 0.4])
    assert "the rules composed" in compiled.source
    xs = [-720.0, 0.2, 0.3, 0.4]
    _, _, eager_grads = eager(cost, xs, [w, b])
    assert math.isinf(eager_grads[0])
    value, input_grads, grads = compiled_call(compiled, xs, [w, b])
    assert value == pytest.approx(eager(cost, xs, [w, b])[0], rel=1e-12)
    sigmoid = [math.exp(x) / (1.0 + math.exp(x)) if x < 0 else 1.0 / (1.0 + math.exp(-x)) for x in xs]
    assert grads == pytest.approx([0.25 * sum(-(1.0 - s) * x for s, x in zip(sigmoid, xs)),
                                   0.25 * sum(-(1.0 - s) for s in sigmoid)], rel=1e-12)
    assert compiled.eager_replays == 0
    with pytest.raises(ValueError, match="log of a non-positive value"):
        compiled([-750.0, 0.2, 0.3, 0.4])
