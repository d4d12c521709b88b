"""`python -m tinygrad_lite`: the command line (see cli/main.py)."""

import sys

from .cli.main import console_main, main

__all__ = ["main", "console_main"]

if __name__ == "__main__":
    sys.exit(main())
