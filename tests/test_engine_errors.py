"""Bad input raises a clear error naming what was received; nothing silent."""

from __future__ import annotations

import pytest

from tinygrad_lite import Value


@pytest.mark.parametrize("bad, name", [("x", "str"), (None, "NoneType"), (1 + 2j, "complex"), ([1], "list")])
def test_value_rejects_non_numbers(bad, name):
    with pytest.raises(TypeError, match=name):
        Value(bad)


def test_label_must_be_text():
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)


@pytest.mark.parametrize("op", [
    lambda a: a + "x", lambda a: "x" + a, lambda a: a * None, lambda a: a - [1], lambda a: a / "2",
    lambda a: a ** "2", lambda a: a + 1j, lambda a: Value.sum([a, "x"]),
])
def test_ops_reject_non_numbers(op):
    with pytest.raises(TypeError, match="Value|needs a real number"):
        op(Value(1.0))


@pytest.mark.parametrize("x", [0.0, -1.0, -1e-300, float("-inf")])
def test_log_of_non_positive(x):
    with pytest.raises(ValueError, match=repr(x)):
        Value(x).log()


def test_division_by_zero_names_the_op():
    with pytest.raises(ZeroDivisionError, match="/"):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError, match="/"):
        1.0 / Value(0.0)
    with pytest.raises(ZeroDivisionError, match=r"\*\*"):
        Value(0.0) ** -1


def test_exp_overflow_names_op_and_value():
    with pytest.raises(OverflowError, match=r"exp.*1000"):
        Value(1000.0).exp()


def test_pow_overflow():
    with pytest.raises(OverflowError, match=r"\*\*"):
        Value(1e200) ** 2


def test_negative_base_fractional_power_is_never_complex():
    with pytest.raises(ValueError, match="negative base"):
        Value(-2.0) ** 0.5
    with pytest.raises(ValueError, match="base"):
        Value(-2.0) ** Value(2.0)
    assert (Value(-2.0) ** 2).data == 4.0


def test_empty_and_mismatched_nary_ops():
    with pytest.raises(ValueError):
        Value.sum([])
    with pytest.raises(ValueError, match="as many"):
        Value.linear([Value(1.0)], [1.0, 2.0], Value(0.0))


@pytest.mark.parametrize("call, shown", [
    (lambda: Value(1) / 0, "Value(1.0) / 0"),
    (lambda: 1 / Value(0), "1 / Value(0.0)"),
    (lambda: Value(2.0) / Value(0.0), "Value(2.0) / Value(0.0)"),
])
def test_division_by_zero_names_the_operands_as_given(call, shown):
    with pytest.raises(ZeroDivisionError) as error:
        call()
    assert shown in str(error.value)
