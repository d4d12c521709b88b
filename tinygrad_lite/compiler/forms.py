"""Each rule's forward formula as an expression, for the code generators.

The op table (ops.py) writes what each node computes as a plain formula of its inputs and its
constant operand; here each is read as an expression, by running it on symbols, for the python
backend (printed as Python) and the numpy backend (printed as array code). n-ary ops (sum,
linear) are not here: the generators write their terms out (see codegen.TERMS).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..ops import OPS
from . import symbolic
from .symbolic import Expr

__all__ = ["FORWARD_FORMS"]

Form = Callable[[Sequence[Expr], Expr], Expr]


def _expression_form(forward: Callable[..., float], n_inputs: int) -> Form:
    """`forward` (a function of the inputs, then the constant) as a function of expressions."""
    traced = symbolic.trace_function(forward, n_inputs + 1)

    def form(inputs: Sequence[Expr], constant: Expr) -> Expr:
        values = {f"{{{i}}}": inputs[i] for i in range(n_inputs)}
        values[f"{{{n_inputs}}}"] = constant
        return symbolic.substitute(traced, values)

    return form


FORWARD_FORMS: dict[Callable[..., None], Form] = {
    rule: _expression_form(form.forward, 2 if form.operands == "x y" else 1)
    for op in OPS for rule, form in op.forms.items() if form.forward is not None
}
"""What a node of each rule computes, from its inputs and constant operand, as an expression."""
