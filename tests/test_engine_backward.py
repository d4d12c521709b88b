"""backward(): accumulation, reuse, diamonds, repeated calls, deep graphs, freeing."""

from __future__ import annotations

import gc
import math
import weakref

import pytest

from tinygrad_lite import Value, topological_order


def test_node_used_twice_gets_both_contributions():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    a.grad = 0.0
    (a * a).backward()
    assert a.grad == 6.0


def test_reuse_chain():
    a = Value(1.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0 and c.grad == 1.0


def test_diamond():
    x = Value(2.0)
    left, right = x * 3, x.exp()
    y = left * right
    y.backward()
    assert math.isclose(x.grad, 3 * math.exp(2) + 6 * math.exp(2))


def test_backward_twice_accumulates_into_leaves_only():
    a, b = Value(2.0), Value(3.0)
    h = a * b
    y = h.tanh()
    y.backward()
    first = (a.grad, b.grad, h.grad)
    y.backward()
    assert (a.grad, b.grad) == (2 * first[0], 2 * first[1])
    assert h.grad == first[2]  # interior nodes show this pass only


def test_zero_grad_resets_the_whole_graph():
    a, b = Value(2.0), Value(3.0)
    y = (a * b).relu()
    y.backward()
    y.zero_grad()
    assert [n.grad for n in topological_order(y)] == [0.0] * len(topological_order(y))


def test_backward_of_a_leaf():
    a = Value(5.0)
    a.backward()
    assert a.grad == 1.0


def test_topological_order_puts_inputs_first_and_is_deterministic():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    order = topological_order(d)
    assert order[-1] is d
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for child in node.inputs:
            assert position[id(child)] < position[id(node)]
    assert [n.label for n in order] == [n.label for n in topological_order(d)]
    assert len(order) == 4


def test_values_hash_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a != b and len({a, b}) == 2


def test_graph_is_freed_by_reference_counting_alone():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = Value(0.5)
        y = x
        for _ in range(50):
            y = (y * 1.01 + 0.1).tanh().sigmoid().relu() * Value.linear([x], [y], x)
        y.backward()
        probe = weakref.ref(y.inputs[0])
        del y
        assert probe() is None
    finally:
        if was_enabled:
            gc.enable()


def test_a_training_step_is_freed_by_reference_counting_alone():
    from tinygrad_lite import data, losses, nn, optim

    X, y = data.make_moons(20, seed=0)
    model = nn.MLP(2, [4, 4, 1], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        scores = [model(x) for x in X]
        loss = losses.hinge(scores, y) + 1e-4 * losses.l2(model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.step()
        probes = [weakref.ref(loss), weakref.ref(scores[0]), weakref.ref(scores[0].inputs[-1])]  # a hidden activation
        del scores, loss
        assert all(probe() is None for probe in probes)
    finally:
        if was_enabled:
            gc.enable()


def _one_of_each_op(a, b):
    return (a + b, a - b, a * b, a / b, -a, a**2, a**b, 2**a, a.exp(), a.log(), a.sigmoid(), a.tanh(), a.relu(),
            a.leaky_relu(), a.softplus(), Value.sum([a, b]), Value.linear([a], [b], a))


def test_a_node_holds_its_inputs_and_a_shared_stateless_rule():
    a, b = Value(1.0), Value(2.0)
    for out, again in zip(_one_of_each_op(a, b), _one_of_each_op(b, a)):
        held_values = [h for h in gc.get_referents(out) if isinstance(h, Value)]
        held_values += [v for h in gc.get_referents(out) if isinstance(h, tuple) for v in h]
        assert out not in held_values and set(held_values) == set(out.inputs), out.op
        rule = out._backward_rule
        assert rule is again._backward_rule, out.op  # one rule per op, not one per node
        assert rule.__closure__ is None and rule.__defaults__ is None, out.op


def test_building_a_graph_makes_one_tracked_object_per_node():
    # What Python's cycle collector has to walk while a graph is alive: one object per node.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = Value(0.5)
        before = len(gc.get_objects())
        for _ in range(1000):
            x = (x * 0.5).tanh()  # a product (its constant kept inside it) and a tanh: 2 nodes
        made = len(gc.get_objects()) - before
        assert 2000 <= made < 2000 + 50
    finally:
        if was_enabled:
            gc.enable()


def test_deep_chain_without_recursion():
    x = Value(0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


@pytest.mark.slow
def test_million_node_chain():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    assert y.data == 1_000_001.0
    y.backward()
    assert x.grad == 1.0


def test_paused_gc_restores_the_collector_state_even_on_error():
    from tinygrad_lite import paused_gc

    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        with paused_gc():
            assert not gc.isenabled()
            Value(1.0) / 0
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()
    x = Value(2.0)
    (x * x).backward()  # backward leaves the collector as it found it
    assert gc.isenabled() and x.grad == 4.0


def test_paused_gc_as_a_decorator():
    from tinygrad_lite import paused_gc

    @paused_gc()
    def step():
        return gc.isenabled()

    assert step() is False and step() is False and gc.isenabled()


def test_a_graph_can_be_deep_copied_and_pickled_and_differentiated_there():
    import copy
    import pickle

    a, b = Value(2.0, label="a"), Value(-0.5, label="b")
    y = (a * b + a.tanh()).sigmoid() * Value.sum([a, b, a]) + (a**b).log()
    y.backward()
    expected = (a.grad, b.grad)
    for clone in (copy.deepcopy(y), pickle.loads(pickle.dumps(y))):
        leaves = {n.label: n for n in topological_order(clone) if n.label}
        for leaf in leaves.values():
            leaf.grad = 0.0
        clone.backward()
        assert clone.data == y.data and (leaves["a"].grad, leaves["b"].grad) == expected
    assert (a.grad, b.grad) == expected  # the original is untouched


def _lecture_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Value(-3.0, label="w1"), Value(1.0, label="w2"), Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    return n.tanh(), [n, b, x1w1x2w2, x2w2, x1w1], [x1, x2, w1, w2]


def test_stepping_through_backprop_by_hand_as_in_micrograd():
    o, interior, leaves = _lecture_neuron()
    o.grad = 1.0
    o._backward()
    for node in interior:  # reverse topological order, one rule at a time
        node._backward()
    by_hand = [leaf.grad for leaf in leaves]
    o2, _, leaves2 = _lecture_neuron()
    o2.backward()
    assert by_hand == [leaf.grad for leaf in leaves2]
    assert math.isclose(by_hand[0], -1.5, rel_tol=1e-9)  # dL/dx1 = w1 * (1 - o**2)


def test_micrograd_style_graph_tracing_works():
    o, _, _ = _lecture_neuron()
    nodes, edges, stack = set(), set(), [o]
    while stack:  # micrograd's trace(), written without recursion
        v = stack.pop()
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                stack.append(child)
    assert len(nodes) == 10 and len(edges) == 9
    assert o._op == "tanh" and o._prev == {o.inputs[0]}


def test_a_node_whose_gradient_is_zero_passes_nothing_back():
    calls = []
    x = Value(-1.0)
    hidden = Value(x.data * 2.0, (x,), "double")
    hidden._backward = lambda: calls.append("double")
    (hidden.relu() * 3.0).backward()  # relu at -2 passes 0: the rule below it is skipped
    assert calls == [] and x.grad == 0.0


def test_a_zero_gradient_times_an_infinite_slope_is_zero_not_nan():
    import tinygrad_lite as tl

    f = lambda v: (v[0] ** 0.5).relu() * 2.0  # noqa: E731  relu'(0) = 0, sqrt'(0) = inf
    x = Value(0.0)
    f([x]).backward()
    assert x.grad == 0.0  # PyTorch gives NaN here
    assert tl.compile(f, [1.0])([0.0])[1] == [0.0]


def test_a_read_only_walk_in_another_thread_does_not_disturb_backward():
    # topological_order used to mark nodes as backward's walk does; run meanwhile in another
    # thread, it made backward visit nodes twice (36 of 100 passes wrong, measured)
    import sys
    import threading

    from tinygrad_lite import nn, topological_order
    from tinygrad_lite._graph import post_order

    model = nn.MLP(3, [8, 8, 1], seed=0)
    points = [[0.1 * i, -0.2 * i, 0.3] for i in range(20)]
    loss = Value.sum([model(x) ** 2 for x in points])
    assert topological_order(loss) == post_order(loss, interior_only=False)  # the same order, without writing
    model.zero_grad()
    loss.backward()
    expected = [p.grad for p in model.parameters()]
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            topological_order(loss)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(30):
            model.zero_grad()
            loss.backward()
            assert [p.grad for p in model.parameters()] == expected
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
