"""The command line, `python -m tinygrad_lite`: the demo, and drawings of typed expressions.

main.py parses the commands; demo.py trains the moons model and writes its pictures; expr.py
reads an arithmetic expression into a graph of Values (safely: nothing is executed).
"""
