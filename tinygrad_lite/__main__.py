"""Command line: `python -m tinygrad_lite [demo|graph] ...` (the demo when no command is given)."""

from __future__ import annotations

import argparse
import sys

from . import viz
from .expr import ExpressionError, build, parse_values


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tinygrad_lite",
        description="tinygrad_lite: a scalar autodiff engine. Without a command, runs the demo.",
    )
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="train an MLP on two moons and write pictures (the default)")
    demo.add_argument("--epochs", type=int, default=100, help="training epochs (default 100)")
    demo.add_argument("--out", default="out", help="folder for the pictures (default out/)")
    demo.add_argument("--seed", type=int, default=0, help="seed for data and weights (default 0)")
    graph = commands.add_parser("graph", help="draw the graph of an expression, after backward",
                                description='example: python -m tinygrad_lite graph "tanh(a*b + c)" '
                                            "--values a=2,b=-3,c=1 -o graph.svg")
    graph.add_argument("expression", help="e.g. 'tanh(a*b + c)'; functions: exp log tanh sigmoid relu leaky_relu softplus")
    graph.add_argument("--values", default="", help="variable values, e.g. a=2,b=-3,c=1")
    graph.add_argument("-o", "--output", default="graph.svg", help="file to write: .svg, .png, .pdf or .dot")
    graph.add_argument("--color-by-grad", action="store_true", help="shade nodes by |grad| (log scale)")
    graph.add_argument("--rankdir", choices=["LR", "TB"], default="LR")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (2 for bad input, with a one-line message)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "graph":
        try:
            out = build(args.expression, parse_values(args.values))
            out.backward()
            path = viz.render(out, args.output, color_by="grad" if args.color_by_grad else None, rankdir=args.rankdir)
        except (ExpressionError, ArithmeticError, ValueError, TypeError, OSError, RuntimeError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"{args.expression} = {out.data:.6g}; wrote {path}")
        return 0
    from .demo import run_demo

    if args.command == "demo":
        run_demo(epochs=args.epochs, out_dir=args.out, seed=args.seed)
    else:
        run_demo()
    return 0


if __name__ == "__main__":
    sys.exit(main())
