"""What both code generators share: the names generated code runs with, each op's forward code
and its rule's backward templates, readable variable names, and long sums over several lines.

The python backend (python_backend.py) writes a whole graph as straight-line scalar code; the
numpy backend (numpy_backend.py) writes array code for what repeats per data point and the rest
as scalar code, with the same pieces.
"""

from __future__ import annotations

import builtins
import functools
import keyword
import math
import re
from collections.abc import Callable
from typing import Any

from .._lecture import LectureRule, passes_nothing
from ..engine import Value
from . import symbolic
from .forms import FORWARD_FORMS

__all__ = ["NAMESPACE", "FORWARD", "TERMS", "TERMS_PER_LINE", "Names", "sum_lines", "label_comment", "rule_of",
           "backward_templates"]


# What the generated code may call: the functions the engine's own ops and rules call, so both
# compute alike, under the names the rule tracer gives them.
NAMESPACE: dict[str, object] = dict(symbolic.function_namespace(), _INF=math.inf, _NAN=math.nan)


# ------------------------------------------------------------------ forward code, one line per op
#
# Printed from the one table of forward formulas (forward_forms.py), keyed by the node's backward
# rule. "{0}", "{1}", ... are the inputs, "{c}" a plain-number operand kept in the node. The
# backward code is not written here either: it is read from the rule itself (see symbolic.py).

FORWARD: dict[Callable[..., Any], str] = {
    rule: symbolic.to_python(form([symbolic.name("{0}"), symbolic.name("{1}")], symbolic.name("{c}")))
    for rule, form in FORWARD_FORMS.items()
}


def _sum_terms(a: list[str]) -> list[str]:
    return a


def _linear_terms(a: list[str]) -> list[str]:
    n = (len(a) - 1) // 2
    return [a[0]] + [f"{a[1 + i]} * {a[1 + n + i]}" for i in range(n)]


# n-ary ops: the terms added left to right, written over several lines when long, because one
# expression of thousands of additions nests too deeply for Python's compiler.
TERMS: dict[Callable[..., Any], Callable[[list[str]], list[str]]] = {
    Value._sum_backward: _sum_terms,
    Value._linear_backward: _linear_terms,
}
TERMS_PER_LINE = 32


@functools.cache
def backward_templates(rule: Callable[..., Any], n_inputs: int) -> tuple[tuple[int, str, int], ...]:
    """The rule's gradient contributions as (input index, source template, sign), read from the
    rule by running it on symbols: "{0}", "{1}", ... are the inputs, "{out}" and "{g}" the node's
    value and gradient."""
    return tuple((c.input, symbolic.to_python(c.term), c.sign) for c in symbolic.trace_rule(rule, n_inputs))


_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_TAKEN_NAMES = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | {"inputs", "params", "grads", "compiled"}


class Names:
    """Unique, readable Python identifiers for nodes, from their labels where they have one.

    A name is plain ASCII, starts with a letter and is no keyword, builtin or name the code
    itself uses (those of the namespace all start with "_"). Python reads identifiers after
    NFKC normalisation, so a label such as "ｘ0" would otherwise become the input "x0"; a label
    that gives no plain name falls back to a numbered one and is kept in a comment instead.
    """

    def __init__(self, reserved: frozenset[str] = frozenset()) -> None:
        self.reserved = set(NAMESPACE) | _TAKEN_NAMES | reserved
        self.used: set[str] = set(self.reserved)

    def make(self, label: str, fallback: str) -> str:
        """A fresh name `n` (with `g_n` free for its gradient), based on `label` if it can be."""
        base = re.sub(r"[^A-Za-z0-9_]+", "_", label).strip("_")
        if not _PLAIN_NAME.fullmatch(base) or base in self.reserved:
            base = fallback
        name, k = base, 1
        while name in self.used or "g_" + name in self.used:
            k += 1
            name = f"{base}_{k}"
        self.used.update((name, "g_" + name))
        return name

    def variables(self) -> set[str]:
        """Every name made so far, with its gradient's name: the variables the code may assign."""
        return self.used - self.reserved


def label_comment(label: str) -> str:
    """A label as a comment may show it: ASCII with every other character escaped, so that no
    newline or other control character can end the comment; long ones cut."""
    text = ascii(label)
    return text if len(text) <= 60 else text[:57] + "..."


def sum_lines(name: str, terms: list[str], comment: str) -> list[str]:
    """`name = t0 + t1 + ...`, over several lines when long, added in the same order: name = name + ... .
    (One expression of thousands of additions nests too deeply for Python's compiler.) Lines
    are not indented; the numpy backend writes its sums with it too."""
    k = TERMS_PER_LINE
    lines = [f"{name} = {' + '.join(terms[:k])}  # {comment}"]
    for i in range(k, len(terms), k):
        lines.append(f"{name} = {' + '.join([name] + terms[i:i + k])}")
    return lines


def rule_of(node: Value) -> Callable[..., Any]:
    """The node's backward rule, which decides its code; a rule written by hand (an op written
    the lecture's way) is refused: compile cannot read a closure's formula."""
    rule = node._backward_rule
    if rule in FORWARD or rule in TERMS:
        return rule
    if type(rule) is LectureRule or rule is passes_nothing:
        raise TypeError(
            f"compile: the node of op {node.op!r} has a backward rule written by hand (a per-node _backward, "
            "the lecture's way), which compile cannot turn into code; build it from the engine's ops, "
            "or run it eagerly with backward()"
        )
    raise TypeError(f"compile: op {node.op!r} (rule {getattr(rule, '__qualname__', rule)!r}) has no forward code")
