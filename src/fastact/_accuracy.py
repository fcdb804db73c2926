"""Accuracy measurement: error in ULPs of fastact's kernels against a wider reference.

float32 results are compared with the reference formula evaluated in float64, float64 results
with the formula evaluated in np.longdouble (x87 80-bit on x86-64: 11 more bits).  Every input
counts, subnormal results included.  ``python -m fastact accuracy --exhaustive`` runs all 2^32
float32 inputs; the default is a deterministic sample (every 4099th bit pattern plus dense
ranges around the edges), which is what the tests use too.
"""
from __future__ import annotations

import time

import numpy as np

from . import reference as _ref
from ._registry import BY_NAME, SPECS

MODES = ("value", "derivative")


def _wide_dtype(dtype):
    """Where errors of `dtype` results are computed: float64 holds float32 errors exactly
    enough; float64 results need np.longdouble."""
    return np.dtype(np.float64 if np.dtype(dtype).itemsize <= 4 else np.longdouble)


def ulp_of(ref: np.ndarray, dtype) -> np.ndarray:
    """The spacing of `dtype` at each |ref| (ref in a wider dtype), subnormal spacing included."""
    info = np.finfo(dtype)
    wide = _wide_dtype(dtype)
    mag = np.maximum(np.abs(np.asarray(ref, dtype=wide)), wide.type(info.smallest_normal))
    _, e = np.frexp(mag)  # mag = m 2^e with m in [0.5, 1)
    return np.ldexp(wide.type(1), e - 1 - info.nmant)


def ulp_error(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|got - ref| in ULPs of got's dtype at ref.  NaN/inf agreement counts as 0, disagreement
    as inf.  For a ref beyond the dtype's range the spacing at the largest finite is used."""
    got = np.asarray(got)
    wide = _wide_dtype(got.dtype)
    ref = np.asarray(ref).astype(wide)
    info = np.finfo(got.dtype)
    g = got.astype(wide)
    big = wide.type(info.max)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(g - ref) / ulp_of(np.clip(ref, -big, big), got.dtype)
        both_nan = np.isnan(g) & np.isnan(ref)
        same_inf = np.isinf(g) & np.isinf(ref) & (np.sign(g) == np.sign(ref))
        # a finite ref that rounds to inf in got's dtype: inf is the right answer
        rounds_to_inf = np.isinf(g) & ~np.isinf(ref) & (ref.astype(got.dtype) == g)
    err = np.where(both_nan | same_inf | rounds_to_inf, 0, err)
    return np.where(np.isnan(err), np.inf, err).astype(np.float64)


def wide_reference(name, mode, x, params):
    """The reference of `mode` at x (float32 or float64) in the wider dtype."""
    wide = np.float64 if x.dtype == np.float32 else np.longdouble
    return _ref.evaluate(name, mode, x.astype(wide), **params)


def fast(name, mode, x, params):
    f = BY_NAME[name]
    from . import get

    fn = get(f.name)
    return fn(x, **params) if mode == "value" else fn.grad(x, **params)


def sample_inputs(dtype, exhaustive=False, chunk=1 << 24):
    """Yield arrays of inputs: every float32 (exhaustive) or a deterministic sample."""
    dtype = np.dtype(dtype)
    if dtype == np.float32 and exhaustive:
        for start in range(0, 1 << 32, chunk):
            yield np.arange(start, start + chunk, dtype=np.uint64).astype(np.uint32).view(np.float32)
        return
    if dtype == np.float32:
        yield np.arange(0, 1 << 32, 4099, dtype=np.uint64).astype(np.uint32).view(np.float32)
    else:
        rng = np.random.default_rng(20261124)
        bits = rng.integers(0, 1 << 64, size=1 << 21, dtype=np.uint64, endpoint=False)
        yield bits.view(np.float64)
    # dense around the places where the formulas change regime
    for lo, hi in ((-120, 120), (-1, 1), (-1e-3, 1e-3), (-800, -700) if dtype == np.float64 else (-105, -85)):
        yield np.linspace(lo, hi, 1 << 18, dtype=dtype)


def measure(name, mode, dtype, params=None, exhaustive=False):
    """(max ULP error, the x where it happens, inputs checked) for one function and mode."""
    params = dict(BY_NAME[name].defaults() if params is None else params)
    worst, worst_x, count = -1.0, None, 0
    for x in sample_inputs(dtype, exhaustive):
        with np.errstate(all="ignore"):
            got = fast(name, mode, x, params)
            ref = wide_reference(name, mode, x, params)
            err = ulp_error(got, ref)
        i = int(np.argmax(err))
        if err[i] > worst:
            worst, worst_x = float(err[i]), x[i].item()
        count += x.size
    return worst, worst_x, count


def table(names=None, dtypes=("float32", "float64"), exhaustive=False, file=None):
    """Print the max ULP error per function, mode and dtype, with the bound the registry states."""
    names = names or [s.name for s in SPECS]
    print(f"{'function':<14}{'dtype':<9}{'mode':<12}{'max ulp':>10}{'bound':>7}  {'at x':<24}"
          f"{'inputs':>12}{'secs':>7}", file=file)
    ok = True
    for name in names:
        spec = BY_NAME[name]
        for dt in dtypes:
            for k, mode in enumerate(MODES):
                t0 = time.perf_counter()
                worst, at, n = measure(spec.name, mode, dt, exhaustive=exhaustive)
                bound = spec.ulp[dt][k]
                flag = "" if worst <= bound + 0.5 else "  OVER"
                ok &= not flag
                print(f"{spec.name:<14}{dt:<9}{mode:<12}{worst:>10.3f}{bound:>7}  {at!r:<24}"
                      f"{n:>12}{time.perf_counter() - t0:>7.1f}{flag}", file=file, flush=True)
    return ok
