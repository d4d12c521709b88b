"""tinygrad_lite: a scalar automatic-differentiation engine for learning and small problems.

    from tinygrad_lite import Value
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    y = (a * b + a.exp() / (1 + b ** 2)).tanh()
    y.backward()
    a.grad, b.grad
"""

from .engine import Parameter, Value, topological_order
from .gradcheck import GradcheckError, gradcheck, numerical_grad

__version__ = "0.1.0"

__all__ = ["Value", "Parameter", "topological_order", "gradcheck", "numerical_grad", "GradcheckError"]
