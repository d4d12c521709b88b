"""Train an MLP on two moons with the eager engine and write the demo's pictures.

    python examples/train_moons.py [--epochs 100] [--out out]
"""

import argparse

from tinygrad_lite.cli.demo import run_demo

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--epochs", type=int, default=100)
parser.add_argument("--out", default="out")
args = parser.parse_args()
run_demo(epochs=args.epochs, out_dir=args.out)
