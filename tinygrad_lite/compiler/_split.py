"""Split a long straight-line function into parts, so that Python can compile it in pieces.

CPython compiles a function in one go, and its memory while doing so grows with the function:
about 230 MB for the 72,000 lines of a compiled training step, gigabytes for a model ten times
larger. `compile` therefore cuts long code into part functions of a bounded number of lines,
each compiled on its own. The parts run one after the other on a shared list, `_live`: a part
loads from it the variables that earlier code assigned and it reads, and stores into it the
variables it assigns that later code reads. Everything else stays a local variable, as fast as
in one function.

The lines handled are the ones `compile` generates: `target = expression`, `target +=
expression`, `target -= expression`, `a, b, = inputs` and `return expression`, each possibly
followed by a `  # comment`, comment lines, and guards `if g_v:` / `else:` over indented
lines of those kinds (a part never ends inside one).
"""

from __future__ import annotations

import operator
import re

_ASSIGNMENT = re.compile(r"([\w, ]+?)\s*(=|\+=|-=) (.*)$")
_NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*")


def _variables_in(expression: str, variables: set[str]) -> list[str]:
    """The variables an expression reads, in order of appearance (so the output is deterministic)."""
    return list(dict.fromkeys(name for name in _NAME.findall(expression) if name in variables))


def _reads_and_writes(line: str, variables: set[str]) -> tuple[list[str], list[str]]:
    """The variables a line reads (before it writes) and the ones it assigns."""
    code = line.split("  #", 1)[0].strip()
    if code.startswith("return "):
        return _variables_in(code[len("return "):], variables), []
    if code.startswith("if ") and code.endswith(":"):  # a guard: `if g_v:`
        return _variables_in(code[len("if "):-1], variables), []
    match = _ASSIGNMENT.match(code)
    if match is None or code.startswith("#"):
        return [], []
    targets = [t.strip() for t in match.group(1).split(",") if t.strip()]
    reads = _variables_in(match.group(3), variables)
    if match.group(2) != "=":  # `g += term` reads g
        reads = targets + reads
    return reads, targets


def _free_and_assigned(lines: list[str], variables: set[str]) -> tuple[list[str], list[str]]:
    """Variables the lines read before assigning them, and those they assign, in order of appearance."""
    free: dict[str, None] = {}
    assigned: dict[str, None] = {}
    for line in lines:
        reads, targets = _reads_and_writes(line, variables)
        for name in reads:
            if name not in assigned:
                free[name] = None
        assigned.update(dict.fromkeys(targets))
    return list(free), list(assigned)


def _wrapped(names: list[str], indent: str = "     ") -> str:
    """`(a, b, ...)` over several lines of eight names: a parenthesised tuple may span lines."""
    rows = [", ".join(names[i:i + 8]) for i in range(0, len(names), 8)]
    return "(" + f",\n{indent}".join(rows) + ",)"


def _cut(body: list[str], max_lines: int) -> list[list[str]]:
    """The body in parts of about `max_lines` lines, each cut where a statement starts: never
    inside an `if` block (its indented lines and its `else:`)."""
    parts: list[list[str]] = [[]]
    for line in body:
        starts_statement = not line.startswith("        ") and not line.startswith("    else:")
        if starts_statement and len(parts[-1]) >= max_lines:
            parts.append([])
        parts[-1].append(line)
    return [part for part in parts if part]


# What the parts need in their namespace besides what the code itself calls.
NAMESPACE = {"_itemgetter": operator.itemgetter}


def split_function(name: str, arguments: str, prologue: list[str], body: list[str], epilogue: list[str],
                   variables: set[str], max_lines: int) -> list[str]:
    """The sources of `def name(arguments)` cut into parts of at most `max_lines` body lines.

    `prologue` (unpacking the arguments) and `epilogue` (the return) stay in the function
    `name`, which runs the parts in order. `variables` are the names the code assigns. Each
    source is a complete definition, to be compiled and executed in one namespace that also
    holds NAMESPACE.

    Moving variables through `_live` costs time, so it is done in bulk: a section stores the
    variables it is first to assign in one slice assignment (they get consecutive slots), and
    a part loads what it needs with one `operator.itemgetter` call.
    """
    parts = _cut(body, max_lines)
    sections = [prologue] + parts + [epilogue]  # in the order they run
    frees, assigns = zip(*(_free_and_assigned(section, variables) for section in sections))
    read_later: list[set[str]] = [set() for _ in sections]  # read by a section after this one
    for i in range(len(sections) - 2, -1, -1):
        read_later[i] = read_later[i + 1] | set(frees[i + 1])
    slot: dict[str, int] = {}
    stores: list[list[str]] = []
    for i in range(len(sections)):
        kept = [v for v in assigns[i] if v in read_later[i]]
        new = [v for v in kept if v not in slot]
        first = len(slot)
        slot.update((v, first + j) for j, v in enumerate(new))
        lines = [f"    _live[{slot[v]}] = {v}" for v in kept if slot[v] < first]  # assigned again here
        if new:
            lines.append(f"    _live[{first}:{len(slot)}] = {_wrapped(new, ' ' * 8)}")
        stores.append(lines)

    def loads(i: int) -> tuple[list[str], list[str]]:
        """(module-level definitions, lines at the top of the function) loading section i's inputs."""
        free = frees[i]
        if len(free) <= 1:
            return [], [f"    {v} = _live[{slot[v]}]" for v in free]
        getter = f"_take{i}"
        indices = ", ".join(str(slot[v]) for v in free)
        return [f"{getter} = _itemgetter({indices})"], [f"    {_wrapped(free)} = {getter}(_live)"]

    sources = []
    for k, part in enumerate(parts, start=1):
        definitions, top = loads(k)
        lines = definitions + [f"def _part{k}(_live):"] + top + part + stores[k]
        if all(line.lstrip().startswith("#") for line in top + part + stores[k]):
            lines.append("    pass")
        sources.append("\n".join(lines) + "\n")
    definitions, top = loads(len(sections) - 1)
    entry = definitions + [f"def {name}({arguments}):"] + prologue + [f"    _live = [None] * {len(slot)}"]
    entry += stores[0] + [f"    _part{k}(_live)" for k in range(1, len(parts) + 1)] + top + epilogue
    sources.append("\n".join(entry) + "\n")
    return sources
