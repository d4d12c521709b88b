"""The python backend: a traced graph as one straight-line Python function, forward then backward.

One line per node forward and one per gradient contribution backward, each op's derivative
inlined from its rule (read by running the rule on symbols), in the engine's order of
operations, so results are bit-identical to `backward()`. See function.py for what a call does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..engine import Value
from . import symbolic
from ._split import split_function
from .batching import consumers_of
from .codegen import FORWARD, TERMS, TERMS_PER_LINE, Names, backward_templates, label_comment, rule_of, sum_lines

__all__ = ["generate"]

# Longer generated code is cut into part functions of this many lines (see _split).
_MAX_LINES_PER_FUNCTION = 100_000


def _known_terms(node: Value, grad: float, args: list[str], out_name: str) -> list[tuple[str, float | None]]:
    """The contributions of `node`'s rule when its gradient is known (`grad`), in order: each as
    source with what is known worked out, and its value if that is a constant."""
    values = {"{g}": symbolic.Expr("const", grad), "{out}": symbolic.name(out_name)}
    if node._constant is not None:
        values["{c}"] = symbolic.Expr("const", node._constant)
    for i, (child, arg) in enumerate(zip(node.inputs, args)):
        constant_leaf = not child.inputs and arg == symbolic.literal(child.data)
        values[f"{{{i}}}"] = symbolic.Expr("const", child.data) if constant_leaf else symbolic.name(arg)
    terms: list[tuple[str, float | None]] = []
    for contribution in symbolic.trace_rule(node._backward_rule, len(node.inputs)):
        term = symbolic.fold(symbolic.substitute(contribution.term, values))
        if term.kind == "const":
            value = float(term.args[0])  # type: ignore[arg-type]
            terms.append((symbolic.literal(value), value))
        else:
            terms.append((symbolic.to_python(term), None))
    return terms


def _grouped(term: str) -> str:
    """`term` ready to be added to or subtracted from something else with its value unchanged:
    in parentheses unless it is one name, number or product (floats do not associate)."""
    if term.isidentifier() or _SIMPLE_TERM.fullmatch(term):
        return term
    return f"({term})"


# A name or number, or a product of them: `+` and `-` bind weaker, so no parentheses are needed.
_SIMPLE_TERM = re.compile(r"[\w.]+( \* [\w.]+)*")


_ADDS = (Value._add_backward, Value._add_constant_backward)
_PRODUCTS = (Value._mul_backward, Value._mul_constant_backward)


def _fused_terms(node: Value, rule: Callable[..., Any], consumers: dict[Value, list[Value]], terms: dict[Value, int],
                 out: Value) -> int:
    """How many terms `node` adds to a sum written on its consumer's line, or 0 if it needs a
    line of its own.

    A chain of binary additions, as `sum(w*x for ...)` builds, is written as one line
    `v = b + w0 * x0 + w1 * x1 + ...`: Python adds it up left to right, exactly as the chain did,
    so results stay bit-identical. A node joins its consumer's line when that is its only use,
    the consumer is an addition (whose rule reads neither its inputs' values nor its output),
    and the node is a product (either operand: * binds tighter than +) or an addition that is
    the consumer's left operand. Lines stay at most TERMS_PER_LINE terms long, as Python's
    compiler recurses once per term.
    """
    users = consumers.get(node, [])
    if node is out or len(users) != 1 or users[0]._backward_rule not in _ADDS:
        return 0
    if rule in _PRODUCTS:
        return 1
    if rule in _ADDS and users[0].inputs[0] is node:
        left = node.inputs[0]
        count = terms.get(left, 1) + 1
        return count if count < TERMS_PER_LINE else 0
    return 0


def generate(order: list[Value], out: Value, leaves: list[Value], params: list[Value], input_grads: bool) -> list[str]:
    """The source of `def compiled(inputs, params, grads) -> (value, input_grads, param_grads)`:
    one function, or for a long one, its parts and the function running them (see _split).
    `grads` are the parameters' gradients before the call, and `param_grads` after it: each
    contribution is added to them in turn, as the engine adds to `.grad`."""
    names = Names()
    source_of: dict[Value, str] = {}  # how the code refers to a node's value
    needs_grad: set[Value] = set()
    forward: list[str] = []
    rule_by_node: dict[Value, Callable[..., Any]] = {}

    input_names = [names.make(leaf.label, f"x{i}") for i, leaf in enumerate(leaves)]
    param_names = [names.make(p.label, f"p{i}") for i, p in enumerate(params)]
    start_names = [names.make(f"{name}_grad", f"p{i}_grad") for i, name in enumerate(param_names)]
    for leaf, name in zip(leaves, input_names):
        source_of[leaf] = name
        if input_grads:
            needs_grad.add(leaf)
    for p, name in zip(params, param_names):
        source_of[p] = name
        needs_grad.add(p)

    consumers = consumers_of(order)
    terms: dict[Value, int] = {}  # fused nodes: how many terms their expression adds up

    counter = 0
    for node in order:
        if node in source_of:
            continue
        if not node.inputs:  # a constant: inline its value
            source_of[node] = symbolic.literal(node.data)
            continue
        rule = rule_by_node[node] = rule_of(node)
        args = [source_of[c] for c in node.inputs]
        if any(c in needs_grad for c in node.inputs):
            needs_grad.add(node)
        if rule not in TERMS:
            constant = symbolic.literal(node._constant) if node._constant is not None else ""
            expression = FORWARD[rule].format(*args, c=constant)
            count = _fused_terms(node, rule, consumers, terms, out)
            if count:  # written into its one consumer's line instead of a line of its own
                source_of[node], terms[node] = expression, count
                continue
        counter += 1
        name = names.make(node.label, f"v{counter}")
        source_of[node] = name
        comment = node.op if not node.label or node.label == name else f"{node.op} {label_comment(node.label)}"
        if rule in TERMS:
            forward += ["    " + line for line in sum_lines(name, TERMS[rule](args), comment)]
        else:
            forward.append(f"    {name} = {expression}  # {comment}")

    # Backward: reverse topological order. A gradient's first contribution is assigned (no
    # zero-initialisation); a contribution that is just another gradient's name is aliased
    # instead of copied; later contributions are added. A node's block runs only if its
    # gradient is not zero (`if g_v:`), as the engine skips its rule: an inactive relu costs
    # one test instead of the whole backward of what lies below it.
    backward: list[str] = []
    blocks: list[tuple[str | None, list[str], list[str]]] = []  # (guard or None, lines, lines if skipped)
    grad_of: dict[Value, str] = {}  # the expression holding a node's gradient so far
    owned: set[Value] = set()  # nodes whose gradient lives in their own g_ variable
    # Gradients known when generating (the output's 1.0, and what only constants make from it,
    # as the 0.01 of a mean): their contributions are worked out here (symbolic.fold).
    known: dict[Value, float] = {}
    # A parameter's gradient goes on from its .grad before the call (its first contribution is
    # added to it, not assigned), so that calls without zero_grad() between accumulate exactly
    # as the engine does.
    grad_of.update(zip(params, start_names))
    if out in grad_of:  # the output is a parameter itself: d out/d out = 1, added to its gradient
        grad_of[out] = f"{grad_of[out]} + 1.0"
    elif out in needs_grad:
        grad_of[out], known[out] = "1.0", 1.0
    for node in reversed(order):
        if not node.inputs or node not in grad_of:
            continue
        g = grad_of[node]
        if node in known and not known[node]:
            continue  # a gradient known to be 0 passes nothing back, as in the engine
        guarded = node not in known
        args = [source_of[c] for c in node.inputs]
        rule = rule_by_node[node]
        out_name = source_of[node]
        constant = symbolic.literal(node._constant) if node._constant is not None else ""
        block: list[str] = []
        otherwise: list[str] = []  # what the skipped block leaves in the variables it would assign
        worked_out = None if guarded else _known_terms(node, known[node], args, out_name)
        for k, (index, template, sign) in enumerate(backward_templates(rule, len(args))):
            child = node.inputs[index]
            if child not in needs_grad:
                continue
            value = None
            if worked_out is None:
                term = template.format(*args, out=out_name, g=g, c=constant)
            else:
                term, value = worked_out[k]
                if value is not None and sign < 0:
                    value = -value
            target = "g_" + source_of[child]  # only inputs, params and interior nodes need gradients
            if child not in grad_of:
                if value is not None:  # a constant: the child's gradient is known too
                    grad_of[child], known[child] = symbolic.literal(value), value
                    continue
                # aliasing is safe under the guard only for g itself, which is the zero the skip leaves
                if sign > 0 and (term == g or (not guarded and term.isidentifier())):
                    grad_of[child] = term
                    continue
                block.append(f"{target} = {term}" if sign > 0 else f"{target} = -({term})")
                otherwise.append(f"{target} = 0.0")
                owned.add(child)
            elif child in owned:
                block.append(f"{target} += {term}" if sign > 0 else f"{target} -= {term}")
            else:
                # the term in parentheses: the engine adds it as one number, 1.0 + (1.0 - a*a)
                block.append(f"{target} = {grad_of[child]} {'+' if sign > 0 else '-'} {_grouped(term)}")
                otherwise.append(f"{target} = {grad_of[child]}")
                owned.add(child)
            grad_of[child] = target
            known.pop(child, None)  # no longer a constant: it has a variable's contribution now
        if not block:
            continue
        block[0] += f"  # {node.op}: {symbolic.derivative_note(rule)}"
        guard = g if guarded else None
        if guard is not None and blocks and blocks[-1][0] == guard:  # the same test as the block before
            blocks[-1][1].extend(block)
            blocks[-1][2].extend(otherwise)
        else:
            blocks.append((guard, block, otherwise))
    for guard, block, otherwise in blocks:
        if guard is None:
            backward += ["    " + line for line in block]
            continue
        backward.append(f"    if {guard}:")
        backward += ["        " + line for line in block]
        if otherwise:
            backward.append("    else:")
            backward += ["        " + line for line in otherwise]

    def grad_expr(node: Value) -> str:
        return grad_of.get(node, "0.0")

    prologue = []
    if leaves:
        prologue.append(f"    {', '.join(input_names)}, = inputs")
    if params:
        prologue.append(f"    {', '.join(param_names)}, = params")
        prologue.append(f"    {', '.join(start_names)}, = grads")
    body = ["    # forward: one line per node"] + forward
    body += ["    # backward: the chain rule, one line per gradient contribution"] + backward
    # An input's gradient is returned as the engine leaves it: 0.0 plus its contributions. The
    # code assigns a first contribution instead of adding it to 0.0, and the two differ only for
    # a gradient of -0.0, which 0.0 + turns into 0.0 as the engine's accumulation does.
    input_grads_src = ", ".join(f"0.0 + {grad_of[leaf]}" if leaf in grad_of else "0.0"
                                for leaf in leaves) if input_grads else ""
    param_grads_src = ", ".join(grad_expr(p) for p in params)
    epilogue = [f"    return {source_of[out]}, ({input_grads_src}{',' if leaves and input_grads else ''}), "
                f"({param_grads_src}{',' if params else ''})"]
    if len(body) <= _MAX_LINES_PER_FUNCTION:
        return ["\n".join(["def compiled(inputs, params, grads):"] + prologue + body + epilogue) + "\n"]
    return split_function("compiled", "inputs, params, grads", prologue, body, epilogue, names.variables(),
                          _MAX_LINES_PER_FUNCTION)
