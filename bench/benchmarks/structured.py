"""asv benchmarks of the structured functions (the cases of `python -m fastact
bench-structured`): softmax and log_softmax at the shapes of issue 6 along the last axis and
axis 0, next to np.copyto of the same bytes; their speedup over PyTorch / JAX / OpenVINO where
installed, measured in one process (track_); prelu and rrelu at n = 2^20 next to a copy.
1 thread (the targets are 1-thread figures).  Run: `make asv`, or
`asv run --python=same --quick -b structured`.
"""
import importlib.util

import numpy as np

import fastact

from .activations import _min_ns, _warm_heap

try:
    from fastact import _bench_structured as bs
except ImportError:  # a commit from before the structured bench
    bs = None

NAMES = ["softmax", "log_softmax"]
DTYPES = ["float32", "float64"]
SHAPES = ["1000x1000", "64x32000", "10000x10"]
AXES = [-1, 0]
PEERS = [p for p in ("torch", "jax", "openvino") if importlib.util.find_spec(p) is not None]


def _array(shape, dtype):
    dims = tuple(int(v) for v in shape.split("x"))
    return (np.random.default_rng(0).standard_normal(dims) * 4).astype(dtype)


class _OneThread:
    def setup(self, *args):
        self.before = fastact.get_num_threads()
        fastact.set_num_threads(1)

    def teardown(self, *args):
        fastact.set_num_threads(self.before)


class AxisFunctions(_OneThread):
    """Seconds per call along an axis: forward (out=), backward from y, and a copy of the
    same bytes (the floor)."""

    params = (NAMES, DTYPES, SHAPES, AXES)
    param_names = ["function", "dtype", "shape", "axis"]

    def setup(self, name, dtype, shape, axis):
        super().setup()
        self.f = fastact.get(name)
        self.x = _array(shape, dtype)
        self.o = np.empty_like(self.x)
        self.g = np.ones_like(self.x)
        self.y = self.f(self.x, axis=axis)

    def time_fastact(self, name, dtype, shape, axis):
        self.f(self.x, axis=axis, out=self.o)

    def time_backward_from_y(self, name, dtype, shape, axis):
        self.f.backward(self.g, y=self.y, axis=axis, out=self.o)

    def time_copy(self, name, dtype, shape, axis):
        np.copyto(self.o, self.x)


class AxisPeerRatios:
    """Speedup of fastact's forward over each installed peer's (peer time / fastact time),
    measured interleaved in one process, 1 thread each (all rows in setup_cache); a row whose
    peer cannot run the case or disagrees with fastact is skipped."""

    params = (PEERS, NAMES, DTYPES, SHAPES, AXES)
    param_names = ["peer", "function", "dtype", "shape", "axis"]
    unit = "speedup"
    timeout = 1200

    def setup_cache(self):
        if bs is None:
            return {}
        _warm_heap()
        before = fastact.get_num_threads()
        fastact.set_num_threads(1)
        cache = {}
        try:
            peers, _ = bs.load_peers(1, PEERS)
            for name in NAMES:
                f = fastact.get(name)
                for dtype in DTYPES:
                    for shape in SHAPES:
                        x = _array(shape, dtype)
                        o = np.empty_like(x)
                        for axis in AXES:
                            for peer, (_, make) in peers.items():
                                call = bs._checked(peer, make, name, x, axis)
                                if call is None:
                                    continue
                                mine, theirs = _min_ns(
                                    [lambda: f(x, axis=axis, out=o), call])
                                cache[peer, name, dtype, shape, axis] = theirs / mine
        finally:
            fastact.set_num_threads(before)
        return cache

    def setup(self, cache, *key):
        if key not in cache:
            raise NotImplementedError(f"{key}: peer missing or no matching operation")

    def track_speedup(self, cache, *key):
        return cache[key]


if not PEERS:  # no peer installed: no such class
    del AxisPeerRatios


class ChannelAndRandom(_OneThread):
    """Seconds per call of prelu (NCHW, channels-last, backward with the weight's gradient)
    and rrelu (eval, training) on 16x64x32x32, and a copy of the same bytes."""

    params = (["prelu NCHW", "prelu channels-last", "prelu backward+dweight", "rrelu eval",
               "rrelu training"], DTYPES)
    param_names = ["case", "dtype"]

    def setup(self, case, dtype):
        super().setup()
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

    def time_fastact(self, case, dtype):
        self.call()

    def time_copy(self, case, dtype):
        np.copyto(self.o, self.x)
