"""A tiny GPT written with scalar Values: tinygrad_lite's Value against a plain cycle-free Value.

    python benchmarks/gpt_values.py            # a few minutes; --steps 3 for a quick look

The most common program written with a scalar autograd engine today is a character-level GPT
in which every number is a Value: token and position embeddings, RMSNorm through `** -0.5`,
attention with the softmax written as exp / sum / division, an MLP with relu, the loss as
`-probs[target].log()`, and Adam written out. This is such a model (1 layer, width 16, 4
heads, context 16, 27 characters), written once over a Value class and run four ways:

- "plain": the design such scripts ship with, a class with __slots__ that stores each node's
  local derivatives as a tuple when the op runs and backpropagates over a topological sort;
- "tinygrad_lite": our Value, swapped in for it, nothing else changed;
- "tinygrad_lite, Value.dot": the same, with each sum of products (`sum(w * x for ...)`) written
  as `Value.dot(ws, xs)`, one node each: the same floats, bit for bit;
- "tinygrad_lite, Value.sum": each built-in `sum` written `Value.sum([...])`, one n-ary node over
  the same products. This is what fusing the built-in `sum` into one node as it runs would
  build at best (the products stay nodes: a product's `.grad` must stay readable), so it
  bounds what such a fusion could gain.

Each training step (forward, backward, Adam) is timed for each in turn, step after step, from
the same initial weights; the table shows medians of forward, backward and the whole step,
the nodes a step builds, and the losses of the runs (the first must agree to the last bit: the
same arithmetic in the same order). After the timed steps, one untimed step of each runs under
tracemalloc (its peak memory, graph and all), and all models sample names from the same
random draws: the text must be the same.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import sys
import time
import tracemalloc
from typing import Any

from tinygrad_lite import Value, topological_order

# ---------------------------------------------------------------------- the plain reference Value


class PlainValue:
    """A scalar autograd Value of the plain cycle-free design: local derivatives as a tuple."""

    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data: float, children: tuple[Any, ...] = (), local_grads: tuple[float, ...] = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other: Any) -> PlainValue:
        other = other if isinstance(other, PlainValue) else PlainValue(other)
        return PlainValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: Any) -> PlainValue:
        other = other if isinstance(other, PlainValue) else PlainValue(other)
        return PlainValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, n: float) -> PlainValue:
        return PlainValue(self.data ** n, (self,), (n * self.data ** (n - 1),))

    def log(self) -> PlainValue:
        return PlainValue(math.log(self.data), (self,), (1.0 / self.data,))

    def exp(self) -> PlainValue:
        e = math.exp(self.data)
        return PlainValue(e, (self,), (e,))

    def relu(self) -> PlainValue:
        return PlainValue(max(0.0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self) -> PlainValue:
        return self * -1

    def __radd__(self, other: Any) -> PlainValue:
        return self + other

    def __sub__(self, other: Any) -> PlainValue:
        return self + (-other)

    def __rsub__(self, other: Any) -> PlainValue:
        return other + (-self)

    def __rmul__(self, other: Any) -> PlainValue:
        return self * other

    def __truediv__(self, other: Any) -> PlainValue:  # a true division, so that values match ours bit for bit
        other = other if isinstance(other, PlainValue) else PlainValue(other)
        return PlainValue(self.data / other.data, (self, other), (1.0 / other.data, -self.data / other.data ** 2))

    def backward(self) -> None:
        order: list[PlainValue] = []
        seen: set[int] = set()
        stack: list[tuple[PlainValue, bool]] = [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in node._children)
        self.grad = 1.0
        for node in reversed(order):
            for child, local in zip(node._children, node._local_grads):
                child.grad += local * node.grad


# ---------------------------------------------------------------------- the model, over any Value class

NAMES = ("emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily elizabeth sofia "
         "avery ella scarlett grace chloe victoria riley aria lily aubrey zoey penelope lillian addison "
         "layla natalie camila hannah brooklyn zoe nora leah savannah audrey claire eleanor skylar ellie "
         "liam noah william james oliver benjamin elijah lucas mason logan alexander ethan jacob michael "
         "daniel henry jackson sebastian aiden matthew samuel david joseph carter owen wyatt john jack luke").split()
CHARS = sorted(set("".join(NAMES)))
BOS = len(CHARS)  # the token that starts and ends a name
VOCAB, WIDTH, HEADS, CONTEXT = len(CHARS) + 1, 16, 4, 16


def initial_weights(seed: int = 42) -> dict[str, list[list[float]]]:
    rng = random.Random(seed)

    def matrix(rows: int, cols: int, std: float = 0.08) -> list[list[float]]:
        return [[rng.gauss(0, std) for _ in range(cols)] for _ in range(rows)]

    return {"wte": matrix(VOCAB, WIDTH), "wpe": matrix(CONTEXT, WIDTH), "lm_head": matrix(VOCAB, WIDTH),
            "wq": matrix(WIDTH, WIDTH), "wk": matrix(WIDTH, WIDTH), "wv": matrix(WIDTH, WIDTH),
            "wo": matrix(WIDTH, WIDTH, 0.0), "fc1": matrix(4 * WIDTH, WIDTH), "fc2": matrix(WIDTH, 4 * WIDTH, 0.0)}


class GPT:
    """The model over the Value class `V`: as a user writes it, every op through Values."""

    def __init__(self, V: Any, seed: int = 42) -> None:
        self.V = V
        self.state = {name: [[V(x) for x in row] for row in m] for name, m in initial_weights(seed).items()}
        self.params = [p for m in self.state.values() for row in m for p in row]
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.steps = 0

    @staticmethod
    def dot(ws: list[Any], xs: list[Any]) -> Any:
        return sum(w * x for w, x in zip(ws, xs))

    @staticmethod
    def total(terms: list[Any]) -> Any:
        return sum(terms)

    def linear(self, x: list[Any], w: list[list[Any]]) -> list[Any]:
        return [self.dot(row, x) for row in w]

    def softmax(self, logits: list[Any]) -> list[Any]:
        top = max(v.data for v in logits)
        exps = [(v - top).exp() for v in logits]
        total = self.total(exps)
        return [e / total for e in exps]

    def rmsnorm(self, x: list[Any]) -> list[Any]:
        scale = (self.dot(x, x) / len(x) + 1e-5) ** -0.5
        return [xi * scale for xi in x]

    def position(self, token: int, pos: int, keys: list[Any], values: list[Any]) -> list[Any]:
        s = self.state
        x = [t + p for t, p in zip(s["wte"][token], s["wpe"][pos])]
        x = self.rmsnorm(x)
        q, k, v = self.linear(x, s["wq"]), self.linear(x, s["wk"]), self.linear(x, s["wv"])
        keys.append(k)
        values.append(v)
        size = WIDTH // HEADS
        attended: list[Any] = []
        for h in range(HEADS):
            lo = h * size
            scores = [self.dot(q[lo:lo + size], kt[lo:lo + size]) / size ** 0.5 for kt in keys]
            weights = self.softmax(scores)
            attended += [self.dot(weights, [vt[lo + j] for vt in values]) for j in range(size)]
        x = [a + b for a, b in zip(x, self.linear(attended, s["wo"]))]
        hidden = [h.relu() for h in self.linear(self.rmsnorm(x), s["fc1"])]
        x = [a + b for a, b in zip(x, self.linear(hidden, s["fc2"]))]
        return self.linear(x, s["lm_head"])

    def loss(self, name: str) -> Any:
        tokens = [BOS] + [CHARS.index(c) for c in name] + [BOS]
        n = min(CONTEXT, len(tokens) - 1)
        keys: list[Any] = []
        values: list[Any] = []
        losses = []
        for pos in range(n):
            probs = self.softmax(self.position(tokens[pos], pos, keys, values))
            losses.append(-probs[tokens[pos + 1]].log())
        return (1 / n) * sum(losses)

    def sample(self, seed: int, names: int = 5, temperature: float = 0.5) -> list[str]:
        """Names generated one character at a time from the model's probabilities (their .data),
        each drawn with the same random numbers whatever the Value class."""
        rng = random.Random(seed)
        out = []
        for _ in range(names):
            keys: list[Any] = []
            values: list[Any] = []
            token, text = BOS, ""
            for pos in range(CONTEXT):
                logits = self.position(token, pos, keys, values)
                probs = [p.data for p in self.softmax([v * (1 / temperature) for v in logits])]
                token = rng.choices(range(VOCAB), weights=probs)[0]
                if token == BOS:
                    break
                text += CHARS[token]
            out.append(text)
        return out

    def update(self, lr: float = 0.01, beta1: float = 0.85, beta2: float = 0.99, eps: float = 1e-8) -> None:
        self.steps += 1
        for i, p in enumerate(self.params):
            self.m[i] = beta1 * self.m[i] + (1 - beta1) * p.grad
            self.v[i] = beta2 * self.v[i] + (1 - beta2) * p.grad ** 2
            m_hat = self.m[i] / (1 - beta1 ** self.steps)
            v_hat = self.v[i] / (1 - beta2 ** self.steps)
            p.data -= lr * m_hat / (v_hat ** 0.5 + eps)
            p.grad = 0.0


class GPTWithDot(GPT):
    """The same model with each sum of products as one `Value.dot` node."""

    @staticmethod
    def dot(ws: list[Any], xs: list[Any]) -> Any:
        return Value.dot(ws, xs)


class GPTWithSum(GPT):
    """The same model with each built-in `sum` as one `Value.sum` node over the same terms."""

    @staticmethod
    def dot(ws: list[Any], xs: list[Any]) -> Any:
        return Value.sum([w * x for w, x in zip(ws, xs)])

    @staticmethod
    def total(terms: list[Any]) -> Any:
        return Value.sum(terms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12)
    args = parser.parse_args()
    models = {"plain": GPT(PlainValue), "tinygrad_lite": GPT(Value), "tinygrad_lite, Value.sum": GPTWithSum(Value),
              "tinygrad_lite, Value.dot": GPTWithDot(Value)}
    documents = random.Random(0).sample(NAMES, len(NAMES))
    times: dict[tuple[str, str], list[float]] = {}
    losses: dict[str, list[float]] = {name: [] for name in models}
    nodes: dict[str, int] = {}
    for step in range(args.steps):
        name = documents[step % len(documents)]
        for which in (list(models) if step % 2 else list(reversed(models))):
            model = models[which]
            gc.collect()
            start = time.perf_counter()
            loss = model.loss(name)
            middle = time.perf_counter()
            loss.backward()
            end = time.perf_counter()
            model.update()
            done = time.perf_counter()
            if which != "plain" and step == 0:
                nodes[which] = len(topological_order(loss))
            losses[which].append(loss.data)
            del loss
            for part, seconds in (("forward", middle - start), ("backward", end - middle), ("step", done - start)):
                times.setdefault((which, part), []).append(seconds)
    print(f"Python {sys.version.split()[0]}; tiny GPT, {len(models['plain'].params)} parameters, {args.steps} steps; "
          "nodes in the first step's graph: " + ", ".join(f"{n} ({which})" for which, n in nodes.items()))
    ours = [which for which in models if which != "plain"]
    print(f"{'':9} {'plain':>10} " + " ".join(f"{which:>26}" for which in ours))
    for part in ("forward", "backward", "step"):
        plain = statistics.median(times[("plain", part)])
        cells = []
        for which in ours:
            median = statistics.median(times[(which, part)])
            cells.append(f"{median * 1e3:9.1f} ms ({plain / median:5.2f}x)".rjust(26))
        print(f"{part:9} {plain * 1e3:7.1f} ms " + " ".join(cells))
    peaks = {which: peak_bytes_of_a_step(model, documents[0]) for which, model in models.items()}
    print(f"{'peak':9} {peaks['plain'] / 1e6:7.1f} MB " + " ".join(
        f"{peaks[which] / 1e6:9.1f} MB ({peaks['plain'] / peaks[which]:5.2f}x)".rjust(26) for which in ours)
        + "   (one untimed step under tracemalloc, graph and all)")
    for which in ours:
        first_same = losses["plain"][0] == losses[which][0]
        drift = max(abs(a - b) / abs(b) for a, b in zip(losses[which], losses["plain"]))
        print(f"{which}: first loss bit-identical to plain: {first_same}; losses over {args.steps} steps agree to "
              f"{drift:.1e} relative")
    print("(later losses may differ in the last bit: the rules round differently, e.g. d(a/b)/db as -(a/b)/b)")
    texts = {which: model.sample(seed=1) for which, model in models.items()}
    same = all(texts[which] == texts["plain"] for which in ours)
    print(f"sampled names, the same from all: {same}: {' '.join(texts['plain'])}")


def peak_bytes_of_a_step(model: GPT, name: str) -> int:
    """Peak memory of one training step (forward, backward, update), measured by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        model.loss(name).backward()
        model.update()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


if __name__ == "__main__":
    main()
