"""dask and dask.distributed: fastact functions on dask arrays stay lazy (through the ufuncs'
__array_ufunc__ dispatch) and run on worker processes, which receive the ufuncs pickled by
name."""
import pickle

import numpy as np
import pytest

import fastact
from fastact import _dask

from conftest import same_bits

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


def data():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((600, 40)) * 4).astype(np.float32)
    g = rng.standard_normal((600, 40)).astype(np.float32)
    return x, g, da.from_array(x, chunks=(150, 20)), da.from_array(g, chunks=(150, 20))


CASES = [  # (name, call on (x, g, params)); a plain, a parametric and a from-y function
    ("relu", lambda f, x, g: f(x)),
    ("relu.grad", lambda f, x, g: f.grad(x)),
    ("relu.backward", lambda f, x, g: f.backward(g, x=x)),
    ("leaky_relu", lambda f, x, g: f(x, negative_slope=0.2)),
    ("leaky_relu.backward", lambda f, x, g: f.backward(g, x=x, negative_slope=0.2)),
    ("sigmoid", lambda f, x, g: f(x)),
    ("sigmoid.backward_y", lambda f, x, g: f.backward(g, y=f(x))),
    ("hardtanh.grad", lambda f, x, g: f.grad(x, min_val=-2.0, max_val=0.5)),
]


def hooked(x, g):
    """The structured functions: softmax (forward, backward from y and from x) with the axis
    (1) split across chunks, and prelu with a per-channel weight (forward and backward)."""
    w = np.linspace(0.05, 0.5, 40).astype(np.float32)
    y = fastact.softmax(x, axis=1)
    return [y, fastact.softmax.backward(g, y=y, axis=1), fastact.log_softmax.backward(g, x=x, axis=1),
            fastact.prelu(x, weight=w), fastact.prelu.backward(g, x=x, weight=w)]


def test_structured_functions_stay_lazy():
    x, g, dx, dg = data()
    for got, want in zip(hooked(dx, dg), hooked(x, g)):
        assert isinstance(got, da.Array)
        assert same_bits(got.compute(scheduler="synchronous"), want)


def test_hooks_for_other_axis_functions():
    x, g, dx, dg = data()

    def center(a, axis):
        return a - a.mean(axis=axis, keepdims=True)

    r = _dask.along_axis(center, (dx,), axis=1)
    assert r.chunks[1] == (40,) and same_bits(r.compute(scheduler="synchronous"), center(x, 1))
    r = _dask.with_operands(np.multiply, dx, (np.arange(40, dtype=np.float32),))
    assert r.chunks == dx.chunks and same_bits(r.compute(scheduler="synchronous"), x * np.arange(40, dtype=np.float32))


def test_lazy_on_the_local_scheduler():
    x, g, dx, dg = data()
    for name, call in CASES:
        f = fastact.get(name.split(".")[0])
        r = call(f, dx, dg)
        assert isinstance(r, da.Array), name  # lazy, not computed
        assert r.chunks == dx.chunks
        assert same_bits(r.compute(scheduler="synchronous"), call(f, x, g)), name


def test_pickle_by_name():
    for f in (fastact.sigmoid, fastact.leaky_relu):
        assert pickle.loads(pickle.dumps(f)) is f
        for u in (f.ufunc, f.grad_ufunc, f.backward_ufunc):
            assert pickle.loads(pickle.dumps(u)) is u


def test_local_cluster_two_processes():
    x, g, dx, dg = data()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as cluster, \
            distributed.Client(cluster) as client:
        lazy = [call(fastact.get(name.split(".")[0]), dx, dg) for name, call in CASES]
        assert dx.numblocks[1] == 2  # softmax's axis and prelu's channels span two chunks
        lazy_hooked = hooked(dx, dg)
        results = client.compute(lazy + lazy_hooked, sync=True)
        workers = client.run(lambda: __import__("os").getpid())
    assert len(set(workers.values())) == 2  # two worker processes
    for (name, call), got in zip(CASES, results):
        assert same_bits(got, call(fastact.get(name.split(".")[0]), x, g)), name
    for got, want in zip(results[len(CASES):], hooked(x, g)):
        assert same_bits(got, want)
