"""One source per derivative: the engine's rules are the only place a derivative is written.

Code generators read each rule by running it on symbols (symbolic.py). These tests fail when an
op lacks anything it needs (forward code, a traceable rule, a test case, a row in docs/engine.md's table), and
hold the places that used to disagree to the engine's behaviour.
"""

from __future__ import annotations

import inspect
import math
import os

import pytest
from test_engine_ops import CASES

import tinygrad_lite as tl
from tinygrad_lite import GradcheckError, Value, gradcheck, topological_order
from tinygrad_lite.cli import expr
from tinygrad_lite.compiler import symbolic
from tinygrad_lite.compiler.branch_free import BRANCH_FREE_FORMS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RULES = sorted((f for name, f in vars(Value).items() if name.endswith("_backward") and inspect.isfunction(f)),
               key=lambda f: f.__name__)


def arity(rule) -> int:
    return 5 if rule in (Value._sum_backward, Value._linear_backward) else 2


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_every_rule_can_be_read_as_code_and_has_forward_code(rule):
    contributions = symbolic.trace_rule(rule, arity(rule))
    assert contributions, "the rule passes nothing back"
    assert rule in tl.compiler.codegen.FORWARD or rule in tl.compiler.codegen.TERMS, f"{rule.__name__} has no forward code"
    assert symbolic.derivative_note(rule).startswith("d"), "the rule has no '# d...' comment with its formula"


def test_every_rule_is_exercised_by_the_op_table():
    exercised = set()
    for _, f, xs, _ in CASES:
        out = f(*[Value(x) for x in xs])
        exercised |= {node._backward_rule for node in topological_order(out)}
    missing = [rule.__name__ for rule in RULES if rule not in exercised]
    assert not missing, f"no case in tests/test_engine_ops.py CASES makes a node with {missing}"


def test_every_op_has_a_row_in_the_docs_table():
    with open(os.path.join(ROOT, "docs", "engine.md"), encoding="utf-8") as f:
        readme = f.read()
    table = readme[readme.index("## Operations and their derivatives"):readme.index("## backward()")]
    ops = {node.op for _, f, xs, _ in CASES for node in topological_order(f(*[Value(x) for x in xs])) if node.op}
    shown = {"neg": "-a", "**": "a ** n"}
    missing = [op for op in ops
               if not any(form in table for form in (f"`{shown.get(op, op)}", f"`a {op} b`", f"`Value.{op}("))]
    assert not missing, f"docs/engine.md's table of operations has no row for {missing}"


def test_every_function_method_is_known_to_the_expression_parser():
    methods = {name for name, f in vars(Value).items()
               if not name.startswith("_") and inspect.isfunction(f) and name not in ("backward", "zero_grad", "detach")}
    assert methods == set(expr.FUNCTIONS)


# ---------------------------------------------------------------- what used to disagree


def test_compile_picks_the_power_by_its_rule_as_the_engine_does():
    # A Value exponent refuses a negative base even when it is a constant Value.
    with pytest.raises(ValueError, match="base >= 0"):
        (Value(-2.0) ** Value(2.0)).backward()
    step = tl.compile(lambda v: v[0] ** Value(2.0), [3.0])
    with pytest.raises(ValueError, match="base >= 0"):
        step([-2.0])
    assert step([3.0]) == (9.0, [6.0])


def test_gradcheck_reads_a_generator_of_points_once():
    def forgets_the_factor(v):
        out = Value(v[0].data ** 2, (v[0],), "square")

        def _backward():
            v[0].grad += v[0].data  # should be 2 * v[0].data * out.grad

        out._backward = _backward
        return out

    with pytest.raises(GradcheckError):
        gradcheck(forgets_the_factor, (x for x in [1.5]))


def test_gradcheck_catches_a_rule_that_ignores_its_output_gradient():
    def ignores_out_grad(v):  # right at the root, where out.grad is 1.0
        out = Value(math.tanh(v[0].data), (v[0],), "tanh")

        def _backward():
            v[0].grad += 1.0 - out.data**2

        out._backward = _backward
        return out

    with pytest.raises(GradcheckError, match="output gradient 1.7"):
        gradcheck(ignores_out_grad, [0.5])


def test_the_symbolic_printer_keeps_the_order_of_operations():
    a, b, c = symbolic.name("a"), symbolic.name("b"), symbolic.name("c")
    cases = {
        a - (b - c): "a - (b - c)",
        (a - b) - c: "a - b - c",
        a + (b + c): "a + (b + c)",  # floats: not the same as a + b + c
        a * (b / c): "a * (b / c)",
        -(a * b): "-(a * b)",
        (-a) ** b: "(-a) ** b",
        a ** (b ** c): "a ** b ** c",
        (a ** b) ** c: "(a ** b) ** c",
        symbolic.Expr("where", a <= b, b, c - a): "(b if a <= b else c - a)",
    }
    for expression, text in cases.items():
        assert symbolic.to_python(expression) == text


def test_a_symbol_cannot_be_truth_tested():
    with pytest.raises(symbolic.UntraceableRule, match="branch-free form"):
        bool(symbolic.name("z") > 0.0)


@pytest.mark.parametrize("rule", sorted(BRANCH_FREE_FORMS, key=lambda r: r.__name__), ids=lambda r: r.__name__)
@pytest.mark.parametrize("z", [-2.0, -0.0, 0.0, 0.5, math.inf, -math.inf, math.nan])
def test_each_branch_free_form_agrees_with_its_rule(rule, z):
    def node_for(rule):
        x, y = Value(z), Value(1.5)
        make = {Value._relu_backward: lambda: x.relu(), Value._leaky_relu_backward: lambda: x.leaky_relu(0.1),
                Value._pow_of_values_backward: lambda: Value(abs(z)) ** y, Value._rpow_backward: lambda: abs(z) ** y}
        out = make[rule]()
        out.grad = 0.7
        return out

    by_rule, by_form = node_for(rule), node_for(rule)
    base = by_form._constant if rule is Value._rpow_backward else by_form._a.data
    if rule in (Value._pow_of_values_backward, Value._rpow_backward) and not base > 0.0:
        pytest.skip("the form's where() computes log(base) eagerly; generated code evaluates it lazily")
    rule(by_rule)
    BRANCH_FREE_FORMS[rule](by_form)
    for form_input, rule_input in zip(by_form.inputs, by_rule.inputs):
        got, expected = form_input.grad, rule_input.grad
        assert got == expected or (got != got and expected != expected)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_every_rule_has_an_elementwise_numpy_form_from_the_same_source(rule):
    # The mechanism a vectorised backend builds on: each contribution printed for numpy arrays,
    # evaluated over many points at once, equals the scalar formula at every point.
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(0)
    n_inputs, points = arity(rule), 64
    arrays = {f"{{{i}}}": rng.uniform(0.1, 3.0, points) for i in range(n_inputs)}
    arrays.update({"{out}": rng.uniform(0.1, 0.9, points), "{g}": rng.uniform(-2.0, 2.0, points),
                   "{c}": np.full(points, 0.7)})
    names = {key: f"v{i}" for i, key in enumerate(arrays)}
    namespace = dict(symbolic.numpy_namespace(), **{names[key]: array for key, array in arrays.items()})
    for contribution in symbolic.trace_rule(rule, n_inputs):
        code = symbolic.to_numpy(symbolic.substitute(contribution.term, {k: symbolic.name(v) for k, v in names.items()}))
        vectorised = eval(code, namespace)  # our own generated expression
        for point in range(points):
            scalar = symbolic.evaluate(contribution.term, {key: float(array[point]) for key, array in arrays.items()})
            assert math.isclose(float(np.broadcast_to(vectorised, (points,))[point]), scalar, rel_tol=1e-14)


@pytest.mark.parametrize("z", [-800.0, -30.0, -2.5, -1e-300, -0.0, 0.0, 1e-300, 0.5, 2.5, 30.0, 800.0,
                               math.inf, -math.inf, math.nan])
def test_the_array_forms_of_the_helpers_equal_the_helpers_to_the_bit(z):
    # Run on floats (where() is a plain conditional then): the same formula as the helper, only
    # written without a branch, so the same float, and NaN where the helper gives NaN.
    from tinygrad_lite._numerics import sign, stable_sigmoid
    from tinygrad_lite.compiler.branch_free import ARRAY_FORMS

    for helper in (stable_sigmoid, sign):
        got, expected = ARRAY_FORMS[helper](z), helper(z)
        assert got == expected or (got != got and expected != expected), helper.__name__


def test_a_numpy_call_repeated_inside_another_is_computed_once():
    # The stable sigmoid's array form reads e^-|z| twice, once inside np.where: one line computes it
    from tinygrad_lite.compiler.numpy_backend import _numpy_calls

    source = "np.where(z >= 0.0, 1.0, np.exp(-np.fabs(z))) / (1.0 + np.exp(-np.fabs(z)))"
    assert _numpy_calls(source) == ["np.where(z >= 0.0, 1.0, np.exp(-np.fabs(z)))", "np.exp(-np.fabs(z))",
                                    "np.fabs(z)", "np.exp(-np.fabs(z))", "np.fabs(z)"]


def test_relu_printed_for_arrays_is_the_engines_relu_to_the_bit_and_sign():
    # numpy prints relu's where(z <= 0, 0, z) as maximum(z, 0.0) + 0.0, one pass instead of two;
    # maximum may keep -0.0 (which one it returns for equal zeros depends on the SIMD path), and
    # the + 0.0 must make it the engine's 0.0. Long arrays take the vector loops, short the scalar.
    np = pytest.importorskip("numpy")
    from tinygrad_lite.compiler.forms import FORWARD_FORMS

    code = symbolic.to_numpy(FORWARD_FORMS[Value._relu_backward]([symbolic.name("z")], symbolic.Expr("const", 0.0)))
    assert code == "np.maximum(z, 0.0) + 0.0"
    special = [-0.0, 0.0, -1e-300, 1e-300, -2.5, 2.5, math.inf, -math.inf, math.nan]
    for size in (1, 7, 64, 1001):
        z = np.array((special * (size // len(special) + 1))[:size])
        got = eval(code, {"np": np, "z": z})  # our own generated expression
        for x, y in zip(z.tolist(), got.tolist()):
            expected = Value(x).relu().data
            assert (y == expected and math.copysign(1.0, y) == math.copysign(1.0, expected)) or (y != y and expected != expected)
    # relu's backward where (its gradient, not its input, in the else branch) stays a where
    g = symbolic.to_numpy(symbolic.where(symbolic.name("a") <= 0.0, 0.0, symbolic.name("g")))
    assert g.startswith("np.where(")


def test_cancel_takes_out_what_a_product_both_divides_and_multiplies_by():
    g, a, u = symbolic.name("g"), symbolic.name("a"), symbolic.name("u")
    composed = (g / a) * a * (1.0 - a)  # log's rule, then sigmoid's
    assert symbolic.to_python(symbolic.cancel(composed)) == "g * (1.0 - a)"
    assert (symbolic.divisions(composed), symbolic.divisions(symbolic.cancel(composed))) == (1, 0)
    through = -(g / (1.0 - a)) * a * (1.0 - a)  # log(1 - a): the same through the subtraction
    assert symbolic.to_python(symbolic.cancel(through)) == "-(g * a)"
    assert symbolic.to_python(symbolic.replace(symbolic.cancel(composed), 1.0 - a, u)) == "g * u"
    unchanged = (g + a) / (g + 1.0)  # a sum is one factor: nothing to take out
    assert symbolic.to_python(symbolic.cancel(unchanged)) == symbolic.to_python(unchanged)
    values = {"g": 0.3, "a": 0.7}
    assert symbolic.evaluate(symbolic.cancel(composed), values) == pytest.approx(symbolic.evaluate(composed, values))
