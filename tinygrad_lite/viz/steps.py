"""Backpropagation one step at a time, written out: what a walkthrough page shows.

`record_steps(root)` runs the forward pass node by node and then the backward pass rule by
rule, exactly as `backward()` orders them, and records each step: which node, what it
computed, and for a backward step every gradient contribution with its formula, the formula
with the numbers put in, and the amount added. A gradient that several consumers feed shows
each contribution as it arrives, and is marked final once the last one has.

The numbers are the engine's own: every rule really runs, on the real nodes. The formulas come
from the rules themselves, read by running them on symbols (symbolic.py); a rule written by
hand (an op written the lecture's way) has no readable formula, so its step shows the op's
name and the amounts it added. The graph's gradients are put back as they were afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..compiler import symbolic
from ..engine import Parameter, Value, topological_order
from ..ops import constant_first

__all__ = ["Step", "record_steps", "display_names"]


@dataclass
class Step:
    """One step of the walkthrough.

    Attributes:
        phase: "forward" or "backward".
        node: the index (in topological order) of the node computed, or whose rule runs.
        title: one line saying what happens.
        lines: the formulas of a backward step, one per gradient contribution.
        data: node index -> its data, for nodes whose value this step shows.
        grads: node index -> (grad, final): gradients this step changes; final once every
            consumer of the node has passed its share back.
        inputs: the node indices that receive a contribution in this step.
    """

    phase: str
    node: int
    title: str
    lines: list[str] = field(default_factory=list)
    data: dict[int, float] = field(default_factory=dict)
    grads: dict[int, tuple[float, bool]] = field(default_factory=dict)
    inputs: list[int] = field(default_factory=list)


def display_names(order: list[Value]) -> list[str]:
    """A short name for every node: its label, or its kind and position (v3, const6)."""
    names, used = [], set()
    for i, node in enumerate(order):
        name = node.label or (f"const{i}" if not node.inputs and not isinstance(node, Parameter) else f"v{i}")
        base, k = name, 1
        while name in used:
            k += 1
            name = f"{base}#{k}"
        used.add(name)
        names.append(name)
    return names


def _number(x: float, fmt: Callable[[float], str]) -> str:
    text = fmt(x)
    return f"({text})" if text.startswith("-") else text


_INFIX = {"+", "-", "*", "/", "**"}


def _forward_title(node: Value, name: str, inputs: list[str], fmt: Callable[[float], str]) -> str:
    if not node.inputs:
        kind = "a parameter" if isinstance(node, Parameter) else "an input"
        return f"{name} = {fmt(node.data)}  ({kind})"
    values = [_number(c.data, fmt) for c in node.inputs]
    plain = [fmt(c.data) for c in node.inputs]
    if node._constant is not None:  # a plain-number operand kept in the node
        at = 0 if constant_first(node) else len(inputs)
        inputs = inputs[:at] + [fmt(node._constant)] + inputs[at:]
        values = values[:at] + [_number(node._constant, fmt)] + values[at:]
        plain = plain[:at] + [fmt(node._constant)] + plain[at:]
    if node.op in _INFIX and len(inputs) == 2:
        formula, numbers = f"{inputs[0]} {node.op} {inputs[1]}", f"{values[0]} {node.op} {values[1]}"
    elif node.op == "neg":
        formula, numbers = f"-{inputs[0]}", f"-{values[0]}"
    elif node.op == "linear":
        n = (len(inputs) - 1) // 2
        formula = " + ".join([inputs[0]] + [f"{inputs[1 + i]}·{inputs[1 + n + i]}" for i in range(n)])
        numbers = " + ".join([values[0]] + [f"{values[1 + i]}·{values[1 + n + i]}" for i in range(n)])
    elif node.op == "sum":
        formula, numbers = " + ".join(inputs), " + ".join(values)
    else:
        formula, numbers = f"{node.op}({', '.join(inputs)})", f"{node.op}({', '.join(plain)})"
    return f"{name} = {formula} = {numbers} = {fmt(node.data)}"


def _bare(text: str) -> str:
    """A number or formula without the parentheses put around a negative number."""
    return text.removeprefix("(").removesuffix(")")


def _readable(template: str) -> str:
    """A traced formula for people: every function called by its own name, without the "_" of
    its code name (`_log(a)` -> `log(a)`, `_stable_sigmoid(z)` -> `stable_sigmoid(z)`)."""
    return _CODE_NAME_CALL.sub(r"\1(", template)


_CODE_NAME_CALL = re.compile(r"(?<![\w.])_(\w+)\(")


def _contribution_lines(node: Value, names: list[str], index: dict[Value, int],
                        fmt: Callable[[float], str]) -> list[str] | None:
    """The rule's contributions as text, or None when the rule cannot be read (written by hand)."""
    try:
        contributions = symbolic.trace_rule(node._backward_rule, len(node.inputs))
    except symbolic.UntraceableRule:
        return None
    input_names = [names[index[c]] for c in node.inputs]
    numbers = {f"{{{i}}}": c.data for i, c in enumerate(node.inputs)}
    numbers.update({"{out}": node.data, "{g}": node.grad, "{c}": node._constant})
    shown = [_number(c.data, fmt) for c in node.inputs]
    constant = _number(node._constant, fmt) if node._constant is not None else ""
    lines = []
    for c in contributions:
        template = _readable(symbolic.to_python(c.term))
        formula = template.format(*input_names, out="out", g="out.grad", c=constant)
        with_numbers = template.format(*shown, out=_number(node.data, fmt), g=_number(node.grad, fmt), c=constant)
        amount = symbolic.evaluate(c.term, numbers)
        sign = "+=" if c.sign > 0 else "-="
        # formula = numbers = amount, each shown only where it says something new: a formula
        # that is just out.grad has no separate numbers ("(-0.5)" and "-0.5" say the same)
        result = fmt(amount)
        worked = [formula]
        if _bare(with_numbers) not in (_bare(formula), _bare(result)):
            worked.append(with_numbers)
        if _bare(result) != _bare(formula):
            worked.append(result)
        lines.append(f"{node.op}: {input_names[c.input]}.grad {sign} {' = '.join(worked)}")
    return lines


def record_steps(root: Value, fmt: Callable[[float], str] = repr) -> tuple[list[Value], list[Step]]:
    """The nodes in topological order and the steps of the forward and backward passes.

    The backward pass starts from zero gradients, as a fresh `backward()` on a new graph does;
    the gradients the graph held before are restored afterwards.
    """
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    names = display_names(order)
    steps = []
    for i, node in enumerate(order):
        inputs = [names[index[c]] for c in node.inputs]
        steps.append(Step("forward", i, _forward_title(node, names[i], inputs, fmt), data={i: node.data}))

    consumers = [0] * len(order)  # how many gradient contributions each node will receive
    for node in order:
        for child in node.inputs:
            consumers[index[child]] += 1
    received = [0] * len(order)
    saved = [node.grad for node in order]
    try:
        for node in order:
            node.grad = 0.0
        root.grad = 1.0
        steps.append(Step("backward", len(order) - 1, f"{names[-1]}.grad = 1: d{names[-1]}/d{names[-1]} = 1, "
                          "where backpropagation starts", grads={len(order) - 1: (1.0, True)}))
        for node in reversed(order):
            if not node.inputs:
                continue
            i = index[node]
            before = [child.grad for child in node.inputs]
            if node.grad:
                lines = _contribution_lines(node, names, index, fmt)
                node._backward_rule(node)
                step = Step("backward", i, f"{names[i]}: the rule of {node.op!r} passes {names[i]}.grad = "
                                           f"{fmt(node.grad)} back to its inputs")
            else:  # as backward() does: a zero gradient has nothing to pass back
                lines = []
                step = Step("backward", i, f"{names[i]}: {names[i]}.grad is 0, so its rule ({node.op!r}) has "
                                           "nothing to pass back and is skipped")
            for child in node.inputs:
                j = index[child]
                received[j] += 1
                step.grads[j] = (child.grad, received[j] == consumers[j])
                if j not in step.inputs:
                    step.inputs.append(j)
            if lines is None:  # written by hand: show what it added
                lines = [f"{node.op} (a rule written by hand): {names[index[c]]}.grad += "
                         f"{fmt(c.grad - old)}" for c, old in zip(node.inputs, before)]
            step.lines = lines
            steps.append(step)
    finally:
        for node, grad in zip(order, saved):
            node.grad = grad
    return order, steps

