"""Make each backward rule of engine.py slightly wrong, run tests, and say which mutants they caught.

    python tests/mutate_rules.py tests/test_engine_op_table.py

Each rule in turn gets one extra step: its first input's gradient is multiplied by 1.001 when
that input's value is beyond +-2, so the rule is 0.1% wrong only far from zero. A suite that
tests ops only near zero lets such a mutant through. The file is restored after every run.
Not collected by pytest (its name does not start with test_).
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

ENGINE = pathlib.Path(__file__).resolve().parent.parent / "tinygrad_lite" / "engine.py"
MUTATION = ("\n        _z = out._a if out._a is not None else out._many[0]"
            "\n        if abs(_z.data) > 2.0:\n            _z.grad *= 1.001")


def main(tests: list[str]) -> int:
    original = ENGINE.read_text()
    rules = re.findall(r"\n    def (_\w+_backward)\(out: Value\) -> None:\n", original)
    caught = 0
    try:
        for rule in rules:
            start = original.index(f"    def {rule}(out: Value) -> None:\n")
            end = original.find("\n\n", start)
            ENGINE.write_text(original[:end] + MUTATION + original[end:])
            run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
                                 capture_output=True, text=True)
            last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-200:]
            caught += run.returncode != 0
            print(f"{rule:34s} {'caught' if run.returncode else 'MISSED'}: {last}", flush=True)
    finally:
        ENGINE.write_text(original)
    print(f"caught {caught} of {len(rules)}")
    return 0 if caught == len(rules) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["tests/test_engine_op_table.py"]))
