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
from fastact._registry import SPECS, STRUCTURED_SPECS

from conftest import SANITIZER, params_for, under_sanitizer

# make memcheck: 100000; under a sanitizer (make asan) 2000, which still shows a leak of 33
# bytes a call (TRACED_SLACK)
CALLS = int(os.environ.get("FASTACT_LEAK_CALLS", under_sanitizer("10000", "2000")))
# bytes that may appear without a leak: tracemalloc's own bookkeeping, freelists
TRACED_SLACK = 64 * 1024
RSS_SLACK = 4 * 1024 * 1024
UNDER_ASAN = SANITIZER == "asan"  # its quarantine holds freed memory: RSS is not checked
# make memcheck: one line per function and method (calls, traced and RSS growth) appended here
REPORT = os.environ.get("FASTACT_LEAK_REPORT")


def rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def sustained_growth(t, calls):
    """(traced bytes, RSS bytes) that `calls` calls of t add, as the smaller growth of two
    successive runs of calls/2 each: a leak grows in both, while a one-off allocation (a cache
    or container filled once, at some call count that differs between runs of the suite --
    softmax.inplace has one near call 10^4) grows only one of them."""
    grown = []
    for _ in range(2):
        gc.collect()
        rss0, traced0 = rss_bytes(), tracemalloc.get_traced_memory()[0]
        for _ in range(calls // 2):
            t()
        gc.collect()
        grown.append((tracemalloc.get_traced_memory()[0] - traced0, rss_bytes() - rss0))
    return min(g[0] for g in grown) * 2, min(g[1] for g in grown) * 2


def refused(call):
    """A thunk making a call that is refused (the exception path)."""
    def thunk():
        try:
            call()
        except (TypeError, ValueError):
            pass
    return thunk


def calls_of(spec):
    """([(method, what, thunk)], objects whose reference counts must not change)."""
    f = fastact.get(spec.name)
    p = params_for(spec)
    # objects of our own, not shared constants (a choice parameter's string is kept)
    pv = {k: v if isinstance(v, str) else float(v) + 0.0 for k, v in p.items()}
    # the ufunc operands: the parameters in declaration order, choices as their index
    uv = [float(v) + 0.0 for v in spec.resolve(p, spec.name)]
    x = np.linspace(-5, 5, 64, dtype=np.float32)
    g = np.linspace(1, 2, 64, dtype=np.float32)
    o = np.empty_like(x)
    buf = x.copy()
    h = x.astype(np.float16)
    xs = np.linspace(-5, 5, 128)[::2]
    where = x > 0
    npp = {k: v if isinstance(v, str) else np.float64(v) for k, v in pv.items()}
    bad = np.empty(3, np.float32)
    keep = [x, g, o, buf, h, xs, where, bad] + list(pv.values()) + list(npp.values()) + uv

    thunks = [
        ("__call__", "f(x)", lambda: f(x, **pv)),
        ("__call__", "f(x, out=o)", lambda: f(x, out=o, **pv)),
        ("__call__", "f(x, o)", lambda: f(x, o, **pv)),
        ("inplace", "f.inplace(x)", lambda: f.inplace(buf, **pv)),
        ("grad", "f.grad(x)", lambda: f.grad(x, **pv)),
        ("grad", "f.grad(x, out=o)", lambda: f.grad(x, out=o, **pv)),
        ("backward", "f.backward(g, x=x)", lambda: f.backward(g, x=x, **pv)),
        ("backward", "f.backward(g, x=x, out=o)", lambda: f.backward(g, x=x, out=o, **pv)),
        ("__call__", "f(float16)", lambda: f(h, **pv)),
        ("__call__", "f(strided, out=o)", lambda: f(xs, out=o, **pv)),
        ("__call__", "f(x, out=o, where=)", lambda: f(x, out=o, where=where, **pv)),
        ("__call__", "f(x, numpy-scalar params)", lambda: f(x, **npp)),
        ("__call__", "refused: wrong out shape", refused(lambda: f(x, out=bad, **pv))),
        ("__call__", "refused: unknown parameter", refused(lambda: f(x, bogus=1.0, **pv))),
        ("grad", "refused: complex x", refused(lambda: f.grad(x * 1j, **pv))),
        ("ufunc", "f.ufunc(x, *params, out=o)", lambda: f.ufunc(x, *uv, out=o)),
        ("grad_ufunc", "f.grad_ufunc(x, *params)", lambda: f.grad_ufunc(x, *uv)),
        ("backward_ufunc", "f.backward_ufunc(g, x, *params, out=o)",
         lambda: f.backward_ufunc(g, x, *uv, out=o)),
    ]
    if spec.from_y:
        thunks += [("backward", "f.backward(g, y=y)", lambda: f.backward(g, y=x, **pv)),
                   ("backward_from_y_ufunc", "f.backward_from_y_ufunc(g, y, *params)",
                    lambda: f.backward_from_y_ufunc(g, x, *uv))]
    return thunks, keep


def check_no_leaks(fname, thunks, keep, warm_up=200, calls=CALLS):
    """Every thunk, `calls` times: no sustained growth of traced memory or RSS, and the
    reference counts of `keep` unchanged."""
    with np.errstate(all="ignore"):
        for _, _, t in thunks:  # warm-up: caches, freelists, lazily created pool threads
            for _ in range(warm_up):
                t()
        gc.collect()
        # the objects alive now (the test session's) out of the collector's way: the
        # collections between the runs below then scan only what the calls made (a full
        # collection of the session took most of this test's time)
        gc.freeze()
        counts = [sys.getrefcount(k) for k in keep]
        tracemalloc.start()
        try:
            for method, name, t in thunks:
                grew, rss_grew = sustained_growth(t, calls)
                if REPORT:
                    with open(REPORT, "a") as f:
                        f.write(f"{fname}\t{name}\t{calls}\t{grew}\t{rss_grew}\t{method}\n")
                assert grew < TRACED_SLACK, f"{fname}: {name} leaked {grew} bytes in {calls} calls"
                assert rss_grew < RSS_SLACK or UNDER_ASAN, f"{fname}: {name}: RSS grew {rss_grew} bytes"
        finally:
            tracemalloc.stop()
            gc.unfreeze()
    assert [sys.getrefcount(k) for k in keep] == counts, "reference counts changed"


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_no_leaks_and_refcounts_unchanged(spec):
    check_no_leaks(spec.name, *calls_of(spec))


def test_leak_check_can_fail():
    """The measurement sees a leak of one small object per call (the tests here can fail)."""
    hoard = []
    tracemalloc.start()
    try:
        grew, _ = sustained_growth(lambda: hoard.append(np.float64(len(hoard))), max(CALLS, 10000))
        assert grew > TRACED_SLACK
    finally:
        tracemalloc.stop()


# ---------------------------------------------------------------- structured functions

def structured_calls(spec):
    """([(method, what, thunk)], objects whose reference counts must not change), for the
    functions along an axis, glu, the per-channel functions (param_grads included) and rrelu
    (training with a generator and slopes=)."""
    f = fastact.get(spec.name)
    x = np.linspace(-3, 3, 96, dtype=np.float32).reshape(4, 4, 6)
    g = np.linspace(1, 2, 96, dtype=np.float32).reshape(4, 4, 6)
    o = np.empty_like(x)
    buf = x.copy()
    xt = np.ascontiguousarray(x.transpose(2, 1, 0)).transpose(2, 1, 0)  # F order
    h = x.astype(np.float16)
    keep = [x, g, o, buf, xt, h]

    if spec.kind == "axis":
        y = f(x)
        keep.append(y)
        return [("__call__", "f(x)", lambda: f(x)),
                ("__call__", "f(x, axis=0, out=o)", lambda: f(x, axis=0, out=o)),
                ("__call__", "f(F-order x, axis=(0, 2))", lambda: f(xt, axis=(0, 2))),
                ("inplace", "f.inplace(x)", lambda: f.inplace(buf)),
                ("__call__", "f(float16)", lambda: f(h)),
                ("backward", "f.backward(g, y=y, out=o)", lambda: f.backward(g, y=y, out=o)),
                ("__call__", "refused: axis out of range", refused(lambda: f(x, axis=5)))], keep
    if spec.kind == "halves":
        oh = np.empty((4, 4, 3), np.float32)
        gh = np.ascontiguousarray(g[..., :3])  # g has glu's output shape
        keep += [oh, gh]
        return [("__call__", "f(x)", lambda: f(x)),
                ("__call__", "f(x, out=o)", lambda: f(x, out=oh)),
                ("__call__", "f(float16)", lambda: f(h)),
                ("backward", "f.backward(g, x=x, out=o)", lambda: f.backward(gh, x=x, out=o)),
                ("__call__", "refused: odd length", refused(lambda: f(x, axis=0, out=oh)))], keep
    if spec.kind == "channel":
        w = {p.name: np.linspace(0.1, 0.4, 4) for p in spec.params}
        wbad = {p.name: np.ones(3) for p in spec.params}
        keep += list(w.values()) + list(wbad.values())
        return [("__call__", "f(x)", lambda: f(x, **w)),
                ("__call__", "f(x, out=o)", lambda: f(x, out=o, **w)),
                ("__call__", "f(float16)", lambda: f(h, **w)),
                ("inplace", "f.inplace(x)", lambda: f.inplace(buf, **w)),
                ("grad", "f.grad(x)", lambda: f.grad(x, **w)),
                ("backward", "f.backward(g, x=x, out=o)",
                 lambda: f.backward(g, x=x, out=o, **w)),
                ("backward", "f.backward(param_grads=True)",
                 lambda: f.backward(g, x=x, param_grads=True, **w)),
                ("__call__", "f(F-order x)", lambda: f(xt, **w)),
                ("__call__", "refused: parameter of the wrong length",
                 refused(lambda: f(x, **wbad)))], keep
    assert spec.kind == "random", f"{spec.name}: no leak check for kind {spec.kind!r}"
    rng = np.random.default_rng(0)
    s = np.empty_like(x)
    keep += [rng, s]
    return [("__call__", "f(x)", lambda: f(x)),
            ("__call__", "f(x, out=o)", lambda: f(x, out=o)),
            ("__call__", "f(training, seed, slopes=)",
             lambda: f(x, training=True, generator=7, slopes=s)),
            ("__call__", "f(training, Generator)", lambda: f(x, training=True, generator=rng)),
            ("inplace", "f.inplace(training, Generator)",
             lambda: f.inplace(buf, training=True, generator=rng)),
            ("grad", "f.grad(x, slopes=)", lambda: f.grad(x, slopes=s)),
            ("backward", "f.backward(training, slopes=)",
             lambda: f.backward(g, x=x, slopes=s, training=True, out=o)),
            ("__call__", "f(float16)", lambda: f(h)),
            ("__call__", "refused: lower > upper",
             refused(lambda: f(x, lower=0.5, upper=0.1)))], keep


STRUCTURED = list(STRUCTURED_SPECS)


@pytest.mark.parametrize("spec", STRUCTURED, ids=[s.name for s in STRUCTURED])
def test_structured_no_leaks_and_refcounts_unchanged(spec):
    """(a fifth of the calls in `make test`, where these slower calls would add a minute: 2000
    still show a leak of 64 bytes a call; `make memcheck` makes all 10^5)"""
    calls = CALLS if CALLS >= 100000 else max(CALLS // 5, 2000)
    check_no_leaks(spec.name, *structured_calls(spec), warm_up=100, calls=calls)


def methods_of(f):
    """What the checks above must call on a function object: the call itself and every public
    method and ufunc, all but the pure-NumPy references."""
    return {"__call__"} | {a for a in dir(f) if not a.startswith(("_", "reference"))
                           and callable(getattr(f, a))}


def test_every_function_and_method_is_checked():
    """The functions come from the registry and every method of each gets a leak check: a new
    function kind or method fails here until calls_of / structured_calls call it."""
    assert sorted(s.name for s in SPECS + STRUCTURED_SPECS) == sorted(fastact.functions())
    for spec in SPECS + STRUCTURED_SPECS:
        thunks, _ = (calls_of if spec in SPECS else structured_calls)(spec)
        assert {m for m, _, _ in thunks} == methods_of(fastact.get(spec.name)), spec.name
