"""Drawings made to teach: graphs with Graphviz, and the step-through page of a backward pass.

    dot = draw_dot(loss)                  # a graphviz.Digraph; shows inline in Jupyter
    render(loss, "graph.svg")             # or .png / .pdf / .dot: writes the file
    walkthrough(loss, "steps.html")       # one page, backward one node at a time

drawing.py draws (the only module that imports graphviz); steps.py records the backward pass
as steps; page.py writes them into the page.
"""

from __future__ import annotations

from .drawing import MAX_NODES, GraphDrawing, TooManyNodes, draw_dot, find_renderer, render, walkthrough

__all__ = ["draw_dot", "render", "walkthrough", "find_renderer", "GraphDrawing", "MAX_NODES", "TooManyNodes"]
