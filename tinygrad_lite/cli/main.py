"""Command line: `python -m tinygrad_lite [demo|graph|walkthrough] ...` (the demo when no command is given).

Installed as the console script `tinygrad-lite` too. Every bad input ends in one line on
stderr, `error: ...`, and exit code 2: never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, NoReturn

from .. import __version__
from .expr import FUNCTIONS, ExpressionError, build, parse_values, quoted

# The options of the expression commands that take a value: the word after one is that value,
# even when it starts with "-".
_VALUE_OPTIONS = {"--values", "-o", "--output", "--rankdir"}
_EXPRESSION_COMMANDS = {"graph", "walkthrough"}


_DEMO_OPTIONS = {"--epochs", "--out", "--seed"}


class _Once(argparse.Action):
    """An option that may be given once: a second --values would silently replace the first."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        if getattr(namespace, self.dest, None) is not None:
            parser.error(f"{option_string} given twice; give every variable in one {option_string}, e.g. a=2,b=-3")
        setattr(namespace, self.dest, values)


class _OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr (not the usage block), exit code 2."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def _positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog=prog,
        description="tinygrad_lite: a scalar autodiff engine. Without a command, runs the demo "
                    "(its options work without the word demo too: --epochs 5).",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_OneLineParser)
    demo = commands.add_parser("demo", help="train an MLP on two moons and write pictures (the default)",
                               allow_abbrev=False)
    demo.add_argument("--epochs", type=_positive_int, default=100, help="training epochs, at least 1 (default 100)")
    demo.add_argument("--out", default="out", help="folder for the pictures (default out/)")
    demo.add_argument("--seed", type=int, default=0, help="seed for data and weights (default 0)")
    graph = commands.add_parser("graph", help="draw the graph of an expression, after backward", allow_abbrev=False,
                                description=f'example: {prog} graph "tanh(a*b + c)" --values a=2,b=-3,c=1 -o graph.svg')
    _expression_arguments(graph)
    graph.add_argument("-o", "--output", default="graph.svg",
                       help="file to write (default graph.svg): .svg, .png, .dot, or .pdf with Graphviz installed; "
                            "its folder must exist")
    graph.add_argument("--color-by-grad", action="store_true", help="shade nodes by |grad| (log scale)")
    walk = commands.add_parser("walkthrough", allow_abbrev=False,
                               help="write a page that steps through backprop on an expression",
                               description=f'example: {prog} walkthrough "tanh(a*b + c)" --values a=2,b=-3,c=1 '
                                           "-o backprop.html; open the page in a browser")
    _expression_arguments(walk)
    walk.add_argument("-o", "--output", default="backprop.html",
                      help="the .html page to write (default backprop.html); its folder must exist")
    return parser


def _expression_arguments(command: argparse.ArgumentParser) -> None:
    functions = " ".join(FUNCTIONS)
    command.add_argument("expression", help=f"e.g. 'tanh(a*b + c)' or '-a*b'; functions: {functions}")
    command.add_argument("--values", action=_Once, default=None, help="variable values, e.g. a=2,b=-3,c=1 (once)")
    command.add_argument("--rankdir", choices=["LR", "TB"], default="LR", help="left to right (LR) or top to bottom")


def _expression_last(argv: list[str]) -> list[str]:
    """argv with an expression that starts with "-" (as "-a*b") moved behind "--", so that the
    parser reads it as the expression and not as an unknown option."""
    if not argv or argv[0] not in _EXPRESSION_COMMANDS or "--" in argv:
        return argv
    rest = argv[1:]
    for i, word in enumerate(rest):
        if i > 0 and rest[i - 1] in _VALUE_OPTIONS:
            continue
        if word.startswith("-") and word.split("=")[0] not in _VALUE_OPTIONS | {"-h", "--help", "--color-by-grad"}:
            return [argv[0]] + rest[:i] + rest[i + 1:] + ["--", word]
    return argv


def main(argv: list[str] | None = None, prog: str = "python -m tinygrad_lite") -> int:
    """Entry point; returns the exit code (2 for bad input, with a one-line message)."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words and words[0].split("=")[0] in _DEMO_OPTIONS:  # the demo's options without the word demo
        words = ["demo"] + words
    args = _parser(prog).parse_args(_expression_last(words))
    try:
        if args.command == "graph":
            return _graph(args)
        if args.command == "walkthrough":
            return _walkthrough(args)
        return _demo(args.epochs, args.out, args.seed) if args.command == "demo" else _demo(100, "out", 0)
    except (ExpressionError, ArithmeticError, ValueError, TypeError, OSError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def console_main() -> int:
    """The `tinygrad-lite` console script: `main` under that name."""
    return main(prog="tinygrad-lite")


def _too_many(error: Any) -> str:
    """The drawing's limit, said in the terms of the command line (its hint names Python options)."""
    return (f"the expression's graph has {error.boxes} nodes, more than a drawing shows legibly ({error.max_nodes}); "
            "draw a smaller part of it")


def _check_output(path: str) -> None:
    if os.path.isdir(path):
        raise IsADirectoryError(f"-o {path!r} is a folder; name the file to write, e.g. {os.path.join(path, 'graph.svg')}")


def _graph(args: argparse.Namespace) -> int:
    from .. import viz  # graphviz is imported only by the commands that draw

    _check_output(args.output)
    out = build(args.expression, parse_values(args.values or ""))
    out.backward()
    try:
        path = viz.render(out, args.output, color_by="grad" if args.color_by_grad else None, rankdir=args.rankdir)
    except viz.TooManyNodes as error:
        raise ValueError(_too_many(error)) from None
    print(f"{quoted(args.expression)} = {out.data:.6g}; wrote {path}")
    return 0


def _walkthrough(args: argparse.Namespace) -> int:
    from .. import viz

    _check_output(args.output)
    out = build(args.expression, parse_values(args.values or ""))
    try:
        path = viz.walkthrough(out, args.output, rankdir=args.rankdir)
    except viz.TooManyNodes as error:
        raise ValueError(_too_many(error)) from None
    print(f"{quoted(args.expression)} = {out.data:.6g}; wrote {path} (open it in a browser)")
    return 0


def _demo(epochs: int, out_dir: str, seed: int) -> int:
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise NotADirectoryError(f"--out {out_dir!r} is a file, not a folder; name a folder for the pictures")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as error:
        raise OSError(f"--out {out_dir!r}: cannot create the folder ({error.strerror})") from None
    if not os.access(out_dir, os.W_OK):
        raise PermissionError(f"--out {out_dir!r}: cannot write in this folder")
    from .demo import run_demo

    run_demo(epochs=epochs, out_dir=out_dir, seed=seed)
    return 0

