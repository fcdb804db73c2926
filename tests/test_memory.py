"""Memory: 10^5 calls (`make memcheck`; 10^4 in `make test`) of every method of every function
leak nothing (tracemalloc and RSS), and
leave the reference counts of the inputs, outputs and parameters unchanged.  Besides the
methods on the fast path, the generic path (float16, strided, a numpy-scalar parameter) and
refused calls (the exception path) are counted too.  FASTACT_LEAK_CALLS changes the count."""
import gc
import os
import sys
import tracemalloc

import numpy as np
import pytest

import fastact
from fastact._registry import SPECS

from conftest import params_for

CALLS = int(os.environ.get("FASTACT_LEAK_CALLS", "10000"))  # make memcheck: 100000
# bytes that may appear without a leak: tracemalloc's own bookkeeping, freelists
TRACED_SLACK = 64 * 1024
RSS_SLACK = 4 * 1024 * 1024
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")  # its quarantine holds freed memory


def rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def calls_of(spec):
    """(name, thunk, objects whose reference counts must not change)."""
    f = fastact.get(spec.name)
    p = params_for(spec)
    # objects of our own, not shared constants (a choice parameter's string is kept)
    pv = {k: v if isinstance(v, str) else float(v) + 0.0 for k, v in p.items()}
    x = np.linspace(-5, 5, 64, dtype=np.float32)
    g = np.linspace(1, 2, 64, dtype=np.float32)
    o = np.empty_like(x)
    buf = x.copy()
    h = x.astype(np.float16)
    xs = np.linspace(-5, 5, 128)[::2]
    npp = {k: v if isinstance(v, str) else np.float64(v) for k, v in pv.items()}
    bad = np.empty(3, np.float32)
    keep = [x, g, o, buf, h, xs, bad] + list(pv.values()) + list(npp.values())

    def refused(call):
        def thunk():
            try:
                call()
            except (TypeError, ValueError):
                pass
        return thunk

    thunks = [
        ("f(x)", lambda: f(x, **pv)),
        ("f(x, out=o)", lambda: f(x, out=o, **pv)),
        ("f(x, o)", lambda: f(x, o, **pv)),
        ("f.inplace(x)", lambda: f.inplace(buf, **pv)),
        ("f.grad(x)", lambda: f.grad(x, **pv)),
        ("f.grad(x, out=o)", lambda: f.grad(x, out=o, **pv)),
        ("f.backward(g, x=x)", lambda: f.backward(g, x=x, **pv)),
        ("f.backward(g, x=x, out=o)", lambda: f.backward(g, x=x, out=o, **pv)),
        ("f(float16)", lambda: f(h, **pv)),
        ("f(strided, out=o)", lambda: f(xs, out=o, **pv)),
        ("f(x, numpy-scalar params)", lambda: f(x, **npp)),
        ("refused: wrong out shape", refused(lambda: f(x, out=bad, **pv))),
        ("refused: unknown parameter", refused(lambda: f(x, bogus=1.0, **pv))),
        ("refused: complex x", refused(lambda: f.grad(x * 1j, **pv))),
    ]
    if spec.from_y:
        thunks.append(("f.backward(g, y=y)", lambda: f.backward(g, y=x, **pv)))
    return thunks, keep


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_no_leaks_and_refcounts_unchanged(spec):
    thunks, keep = calls_of(spec)
    with np.errstate(all="ignore"):
        for _, t in thunks:  # warm-up: caches, freelists, lazily created pool threads
            for _ in range(200):
                t()
        gc.collect()
        counts = [sys.getrefcount(k) for k in keep]
        tracemalloc.start()
        try:
            for name, t in thunks:
                gc.collect()
                rss0 = rss_bytes()
                traced0 = tracemalloc.get_traced_memory()[0]
                for _ in range(CALLS):
                    t()
                gc.collect()
                grew = tracemalloc.get_traced_memory()[0] - traced0
                rss_grew = rss_bytes() - rss0
                assert grew < TRACED_SLACK, f"{spec.name}: {name} leaked {grew} bytes in {CALLS} calls"
                assert rss_grew < RSS_SLACK or UNDER_ASAN, f"{spec.name}: {name}: RSS grew {rss_grew} bytes"
        finally:
            tracemalloc.stop()
    assert [sys.getrefcount(k) for k in keep] == counts, "reference counts changed"


def test_leak_check_can_fail():
    """The measurement sees a leak of one small object per call (the test above can fail)."""
    hoard = []
    tracemalloc.start()
    try:
        t0 = tracemalloc.get_traced_memory()[0]
        for i in range(CALLS):
            hoard.append(np.float64(i))
        assert tracemalloc.get_traced_memory()[0] - t0 > TRACED_SLACK
    finally:
        tracemalloc.stop()
