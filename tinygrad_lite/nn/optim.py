"""Optimisers: SGD (with momentum) and Adam, following PyTorch's update formulas exactly.

Both update `p.data` in place from `p.grad` in `step()`, and clear gradients in
`zero_grad()`. With `check_finite=True` (the default) a step refuses to write a NaN or an
infinity into a parameter and raises FloatingPointError naming it, instead of silently
corrupting the model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..engine import Value

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Base class: holds the parameters and does the bookkeeping common to all optimisers."""

    def __init__(self, params: Iterable[Value], lr: float, weight_decay: float, check_finite: bool) -> None:
        if isinstance(params, Value):
            raise TypeError("params must be a list of Values (e.g. model.parameters()), got a single Value")
        if callable(getattr(params, "parameters", None)):
            raise TypeError(
                f"the optimiser got the {type(params).__name__} itself; pass its parameters: "
                f"{type(self).__name__}(model.parameters(), ...)"
            )
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimiser got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"params[{i}] is a {type(p).__name__}, not a Value")
        _check_hyper("lr", lr, low=0.0, low_inclusive=False)
        _check_hyper("weight_decay", weight_decay, low=0.0)
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.check_finite = check_finite
        self.steps = 0

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its current gradient.

        All-or-nothing: the new values (and the optimiser's own state) are computed first and
        written only if every one is finite, so a refused step leaves the model, the momentum
        or moment buffers and the step count exactly as they were.
        """
        step = self.steps + 1
        try:
            new_values, new_state = self._propose(step)
            total = sum(new_values)
        except TypeError:
            self._check_types()  # names the parameter whose grad or data is no number
            raise
        if type(total) is not float:  # a grad or data of another type (a Value, say) made a value no float
            self._check_types()
        # A non-finite gradient makes a non-finite new value (lr > 0), and a sum is finite only
        # if every term is: one sum checks the common case; the loops below say which (gradients
        # first), or find nothing when only the sum overflowed.
        if self.check_finite and not math.isfinite(total):
            self._check_gradients()
            self._check_values(new_values, step)
        for p, value in zip(self.params, new_values):
            p.data = value
        self._accept(new_state)
        self.steps = step

    def _propose(self, step: int) -> tuple[list[float], Any]:
        """The parameters' new values for step number `step`, and the state to keep if they are written."""
        raise NotImplementedError

    def _accept(self, state: Any) -> None:
        """Keep the state that `_propose` computed, once its step is written."""
        raise NotImplementedError

    def _check_types(self) -> None:
        """Raise a TypeError naming the first parameter whose .grad or .data is not a number."""
        for i, p in enumerate(self.params):
            for what, x in (("grad", p.grad), ("data", p.data)):
                if type(x) is not float and not (isinstance(x, (int, float)) and not isinstance(x, bool)):
                    hint = " (did backward() reach it?)" if x is None else ""
                    raise TypeError(f"{type(self).__name__}.step: parameter {i} ({p.label or 'unlabelled'}) has "
                                    f"{what} {x!r}, not a number{hint}; the step was refused: nothing changed")

    def _check_gradients(self) -> None:
        for i, p in enumerate(self.params):
            if not math.isfinite(p.grad):
                raise FloatingPointError(
                    f"parameter {i} ({p.label or 'unlabelled'}) has a non-finite gradient {p.grad!r} before step "
                    f"{self.steps + 1}; check the loss for overflow or lower the learning rate"
                )

    def _check_values(self, values: list[float], step: int) -> None:
        for i, (p, value) in enumerate(zip(self.params, values)):
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"parameter {i} ({p.label or 'unlabelled'}) would become {value!r} at step {step}; "
                    f"the learning rate {self.lr} is probably too high (the step was refused: nothing changed)"
                )


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and weight decay (PyTorch's form):

        d = grad + weight_decay * p
        buf = d on the first step, then momentum * buf + d
        p -= lr * buf            (p -= lr * d without momentum)
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        check_finite: bool = True,
    ) -> None:
        super().__init__(params, lr, weight_decay, check_finite)
        _check_hyper("momentum", momentum, low=0.0, high=1.0)
        self.momentum = float(momentum)
        self._buffers: list[float | None] = [None] * len(self.params)

    def _propose(self, step: int) -> tuple[list[float], list[float | None]]:
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        if not momentum and not decay:  # plain SGD, the common case: one pass, no state
            return [p.data - lr * p.grad for p in self.params], self._buffers
        values, buffers = [], list(self._buffers)
        for i, p in enumerate(self.params):
            d = p.grad
            if decay:
                d = d + decay * p.data
            if momentum:
                buf = buffers[i]
                d = d if buf is None else momentum * buf + d
                buffers[i] = d
            values.append(p.data - lr * d)
        return values, buffers

    def _accept(self, state: list[float | None]) -> None:
        self._buffers = state

    @property
    def momentum_buffers(self) -> list[float | None]:
        """Each parameter's momentum buffer (None before its first step with momentum): what
        PyTorch's SGD keeps as its state "momentum_buffer"."""
        return list(self._buffers)


class Adam(Optimizer):
    """Adam (PyTorch's form, weight decay added to the gradient as in torch.optim.Adam):

        g = grad + weight_decay * p
        m = b1 m + (1 - b1) g  (as torch.lerp),  v = b2 v + (1 - b2) g**2
        p -= (lr / (1 - b1**t)) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        check_finite: bool = True,
    ) -> None:
        super().__init__(params, lr, weight_decay, check_finite)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        _check_hyper("betas[0]", betas[0], low=0.0, high=1.0)
        _check_hyper("betas[1]", betas[1], low=0.0, high=1.0)
        _check_hyper("eps", eps, low=0.0)
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = float(eps)
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    def _propose(self, step: int) -> tuple[list[float], tuple[list[float], list[float]]]:
        beta1, beta2 = self.betas
        step_size = self.lr / (1.0 - beta1**step)
        root_correction2 = math.sqrt(1.0 - beta2**step)
        m, v = list(self._m), list(self._v)
        values = []
        for i, p in enumerate(self.params):
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            m[i] = _lerp(m[i], g, 1.0 - beta1)
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            values.append(p.data - step_size * m[i] / (math.sqrt(v[i]) / root_correction2 + self.eps))
        return values, (m, v)

    def _accept(self, state: tuple[list[float], list[float]]) -> None:
        self._m, self._v = state


def _lerp(start: float, end: float, weight: float) -> float:
    """start + weight * (end - start), evaluated the way torch.lerp does (for identical results)."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def _check_hyper(
    name: str, value: object, low: float, high: float = math.inf, low_inclusive: bool = True
) -> None:
    """Raise ValueError unless low <= value < high (low < value if not low_inclusive)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    above = value >= low if low_inclusive else value > low
    if not (above and value < high):
        bound = "[" if low_inclusive else "("
        raise ValueError(f"{name} must be in {bound}{low}, {high}), got {value!r}")
