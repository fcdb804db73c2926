"""A multilayer perceptron trained with backpropagation on scikit-learn's bundled digits
(8x8 images, 10 classes; load_digits reads a file shipped with scikit-learn: nothing is
downloaded).

The same network is trained twice from the same initial weights and the same minibatches:

- with fastact: the forward pass writes the activation into a preallocated buffer
  (``f(z, out=h)``) and the backward pass is fused and in place
  (``f.backward(dh, y=h, out=dh)``, or ``x=z`` for functions without a derivative from y:
  dh * f'(z) in one pass, no temporary);
- in pure NumPy: the idiomatic spellings (``np.tanh(z, out=h)``; ``dh *= 1 - h**2``).

It prints both test accuracies, which agree closely (the activations differ by a few ULPs at
most), and the time each spent in activations (forward + backward).

    python examples/mlp_digits.py [--activation tanh|relu|sigmoid|gelu|silu] [--epochs 30]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import fastact

# pure NumPy: forward into h; backward dh *= f'(z), in place, using z and h = f(z)
NUMPY = {
    "tanh": (lambda z, h: np.tanh(z, out=h),
             lambda dh, z, h: np.multiply(dh, 1 - h * h, out=dh)),
    "relu": (lambda z, h: np.maximum(z, 0, out=h),
             lambda dh, z, h: np.multiply(dh, z > 0, out=dh)),
    "sigmoid": (lambda z, h: np.reciprocal(np.add(np.exp(-z), 1, out=h), out=h),
                lambda dh, z, h: np.multiply(dh, h * (1 - h), out=dh)),
}


def _numpy_extra():
    """gelu and silu need erf / expit: from SciPy when it is installed."""
    try:
        from scipy.special import expit, ndtr
    except ImportError:
        return {}
    return {
        "gelu": (lambda z, h: np.multiply(ndtr(z), z, out=h),
                 lambda dh, z, h: np.multiply(dh, ndtr(z) + z * np.exp(-0.5 * z * z)
                                              / np.sqrt(2 * np.pi), out=dh)),
        "silu": (lambda z, h: np.multiply(expit(z), z, out=h),
                 lambda dh, z, h: np.multiply(dh, expit(z) * (1 + z * (1 - expit(z))), out=dh)),
    }


def load(seed=0):
    """Standardised digits split 80/20: (x_train, y_train, x_test, y_test)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = data.data.astype(np.float64) / 16.0
    x = (x - x.mean(0)) / (x.std(0) + 1e-8)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], data.target[order]
    cut = int(0.8 * len(x))
    return x[:cut], y[:cut], x[cut:], y[cut:]


class MLP:
    """in -> hidden (activation) -> 10 (softmax), trained by minibatch SGD with momentum.

    `forward(z, h)` writes the activation of z into h; `backward(dh, z, h)` turns dh into
    dh * f'(z) in place.  Only these two differ between the fastact and NumPy runs; the time
    spent in them is accumulated in `activation_seconds`."""

    def __init__(self, sizes, forward, backward, seed=0, dtype=np.float32):
        rng = np.random.default_rng(seed)
        self.w = [(rng.standard_normal((a, b)) * np.sqrt(2.0 / a)).astype(dtype)
                  for a, b in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros(b, dtype) for b in sizes[1:]]
        self.v = [np.zeros_like(p) for p in self.w + self.b]
        self.forward, self.backward, self.dtype = forward, backward, dtype
        self.activation_seconds = 0.0

    def _hidden(self, x):
        z = x @ self.w[0] + self.b[0]
        h = np.empty_like(z)
        t = time.perf_counter()
        self.forward(z, h)
        self.activation_seconds += time.perf_counter() - t
        return z, h

    def predict(self, x):
        _, h = self._hidden(x.astype(self.dtype))
        return np.argmax(h @ self.w[1] + self.b[1], axis=1)

    def step(self, x, y, lr=0.05, momentum=0.9):
        x = x.astype(self.dtype)
        z, h = self._hidden(x)
        logits = h @ self.w[1] + self.b[1]
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(1, keepdims=True)
        p[np.arange(len(y)), y] -= 1          # d(cross-entropy)/d(logits)
        p /= len(y)
        grads_w = [None, h.T @ p]
        grads_b = [None, p.sum(0)]
        dh = p @ self.w[1].T
        t = time.perf_counter()
        self.backward(dh, z, h)               # dh *= f'(z), in place
        self.activation_seconds += time.perf_counter() - t
        grads_w[0], grads_b[0] = x.T @ dh, dh.sum(0)
        for i, g in enumerate(grads_w + grads_b):
            self.v[i] *= momentum
            self.v[i] -= lr * g
        for i, param in enumerate(self.w + self.b):
            param += self.v[i]


def train(net, data, epochs, batch=32, seed=1):
    x_train, y_train, x_test, y_test = data
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x_train))
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            net.step(x_train[idx], y_train[idx])
    return float(np.mean(net.predict(x_test) == y_test))


def run(activation="tanh", epochs=30, hidden=128, seed=0, threads=1):
    """Train both networks; returns {"fastact": (accuracy, seconds), "numpy": (...)}."""
    try:
        f = fastact.get(activation)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    numpy_fns = {**NUMPY, **_numpy_extra()}
    if f.name not in numpy_fns:
        raise SystemExit(f"no pure-NumPy twin for {activation!r} in this example; "
                         f"choose one of {sorted(numpy_fns)}")
    fastact.set_num_threads(threads)
    data = load(seed)
    sizes = (data[0].shape[1], hidden, 10)
    sides = {
        # fused, in place: from the kept output y = h where the function allows it
        "fastact": (lambda z, h: f(z, out=h),
                    (lambda dh, z, h: f.backward(dh, y=h, out=dh)) if f.from_y else
                    (lambda dh, z, h: f.backward(dh, x=z, out=dh))),
        "numpy": numpy_fns[f.name],
    }
    results = {}
    for name, (fwd, bwd) in sides.items():
        net = MLP(sizes, fwd, bwd, seed=seed)
        accuracy = train(net, data, epochs)
        results[name] = (accuracy, net.activation_seconds)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activation", default="tanh")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="fastact threads (default 1)")
    args = parser.parse_args(argv)
    results = run(args.activation, args.epochs, args.hidden, args.seed, args.threads)
    print(f"digits MLP, {args.activation}, hidden {args.hidden}, {args.epochs} epochs, float32")
    for name, (accuracy, seconds) in results.items():
        print(f"  {name:<8} test accuracy {accuracy:.4f}   time in activations {seconds * 1e3:8.1f} ms")
    fa, np_ = results["fastact"], results["numpy"]
    print(f"  accuracy difference {abs(fa[0] - np_[0]):.4f}; activation time ratio numpy/fastact "
          f"{np_[1] / fa[1]:.2f}x")
    return results


if __name__ == "__main__":
    main()
