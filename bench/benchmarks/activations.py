"""asv benchmarks: every registered function x dtype x size, fastact next to its NumPy
reference, for f(x), f.grad(x) and f.backward(g, x=x); and the peers (PyTorch, ONNX Runtime,
numexpr, SciPy) for f(x) where installed.

The cases (parameters, inputs, peer calls) come from fastact._bench, the module behind
`python -m fastact bench`, so the dashboard and the table measure the same thing.
Run: `asv run --python=same --quick` (the dev venv) or `make asv`.
"""
from fastact._bench import DTYPES, PEERS, SIZES, inputs, operations, peer_call
from fastact._registry import SPECS

FUNCTIONS = [s.name for s in SPECS]


class _Operation:
    """time_fastact and time_reference of one operation (`kind`, a key of operations())."""

    kind = None
    params = (FUNCTIONS, list(DTYPES), list(SIZES))
    param_names = ["function", "dtype", "n"]

    def setup(self, name, dtype, n):
        x, g = inputs(n, dtype)
        self.fastact, self.reference = operations(name, x, g)[self.kind]

    def time_fastact(self, name, dtype, n):
        self.fastact()

    def time_reference(self, name, dtype, n):
        self.reference()


class Forward(_Operation):
    """f(x), a new output array."""

    kind = "f"


class Grad(_Operation):
    """f.grad(x)."""

    kind = "grad"


class Backward(_Operation):
    """f.backward(g, x=x); the reference is g * reference_grad(x)."""

    kind = "backward"


class Peers:
    """f(x) by a peer at n=1e5 with fastact's thread count; skipped (n/a) where the peer is not
    installed or has no matching operation."""

    params = (list(PEERS), FUNCTIONS, list(DTYPES))
    param_names = ["peer", "function", "dtype"]

    def setup(self, peer, name, dtype):
        x, _ = inputs(SIZES[-1], dtype)
        try:
            self.call = peer_call(peer, name, x)
        except Exception as exc:  # missing, unsupported dtype, or disagrees with the reference
            raise NotImplementedError(f"{peer} {name} {dtype}: {exc}") from None
        if self.call is None:
            raise NotImplementedError(f"{peer} has no {name}")

    def time_forward(self, peer, name, dtype):
        self.call()
