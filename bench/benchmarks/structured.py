"""asv benchmarks of the structured functions (the cases of `python -m fastact
bench-structured`): softmax and log_softmax at the shapes of issue 6 along the last axis and
axis 0, next to np.copyto of the same bytes and to PyTorch / JAX / OpenVINO where installed;
prelu and rrelu at n = 2^20 next to a copy.  1 thread (the targets are 1-thread figures).
Run: `asv run --python=same --quick` or `make asv`.
"""
import numpy as np

import fastact
from fastact import _bench_structured as bs

SHAPES = ["1000x1000", "64x32000", "10000x10"]


def _array(shape, dtype):
    dims = tuple(int(v) for v in shape.split("x"))
    return (np.random.default_rng(0).standard_normal(dims) * 4).astype(dtype)


class AxisFunctions:
    params = (["softmax", "log_softmax"], ["float32", "float64"], SHAPES, [-1, 0])
    param_names = ["function", "dtype", "shape", "axis"]

    def setup(self, name, dtype, shape, axis):
        self.before = fastact.get_num_threads()
        fastact.set_num_threads(1)
        self.f = fastact.get(name)
        self.x = _array(shape, dtype)
        self.o = np.empty_like(self.x)
        self.g = np.ones_like(self.x)
        self.y = self.f(self.x, axis=axis)
        self.peers, _ = bs.load_peers(1)
        self.calls = {p: bs._checked(p, make, name, self.x, axis)
                      for p, (_, make) in self.peers.items()}

    def teardown(self, *args):
        fastact.set_num_threads(self.before)

    def time_fastact(self, name, dtype, shape, axis):
        self.f(self.x, axis=axis, out=self.o)

    def time_backward_from_y(self, name, dtype, shape, axis):
        self.f.backward(self.g, y=self.y, axis=axis, out=self.o)

    def time_copy(self, name, dtype, shape, axis):
        np.copyto(self.o, self.x)

    def _peer(self, peer):
        call = self.calls.get(peer)
        if call is None:
            raise NotImplementedError(f"{peer} is not installed or has no matching op")
        call()

    def time_torch(self, *args):
        self._peer("torch")

    def time_jax(self, *args):
        self._peer("jax")

    def time_openvino(self, *args):
        self._peer("openvino")


class ChannelAndRandom:
    params = (["prelu NCHW", "prelu channels-last", "prelu backward+dweight", "rrelu eval",
               "rrelu training"], ["float32", "float64"])
    param_names = ["case", "dtype"]

    def setup(self, case, dtype):
        self.before = fastact.get_num_threads()
        fastact.set_num_threads(1)
        x = _array("16x64x32x32", dtype)
        if case == "prelu channels-last":
            x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        self.x, self.o = x, np.empty_like(x)
        w = np.linspace(0.05, 0.3, 64).astype(dtype)
        self.call = {
            "prelu NCHW": lambda: fastact.prelu(x, out=self.o, weight=w),
            "prelu channels-last": lambda: fastact.prelu(x, out=self.o, weight=w),
            "prelu backward+dweight": lambda: fastact.prelu.backward(
                x, x=x, out=self.o, weight=w, param_grads=True),
            "rrelu eval": lambda: fastact.rrelu(x, out=self.o),
            "rrelu training": lambda: fastact.rrelu(x, out=self.o, training=True, generator=1),
        }[case]

    def teardown(self, *args):
        fastact.set_num_threads(self.before)

    def time_fastact(self, case, dtype):
        self.call()

    def time_copy(self, case, dtype):
        np.copyto(self.o, self.x)
