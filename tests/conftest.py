"""Shared fixtures: every kernel test runs on each ISA path this machine can run."""
import json
import os
import pathlib

import numpy as np
import pytest

import fastact
from fastact import _core
from fastact._registry import SPECS

# tools/sanitize_ext.sh (make asan, make tsan, make sanitize-ci) sets FASTACT_SANITIZER to the
# sanitizer's name: the tests then thin their large samples and loop counts (under_sanitizer),
# still calling every function, method, dtype and ISA path they call otherwise
SANITIZER = os.environ.get("FASTACT_SANITIZER", "")


def under_sanitizer(normal, sanitized):
    """`sanitized` in a sanitizer build's run, else `normal`."""
    return sanitized if SANITIZER else normal


ISAS = _core.usable_isas()
SPEC_IDS = [s.name for s in SPECS]
DTYPES = [np.float32, np.float64]
SIZES = [0, 1, 7, 8, 9, 15, 16, 17, 1000, 100_003]


@pytest.fixture(params=ISAS)
def isa(request):
    """Select one ISA's kernels for the test, then restore the default."""
    before = _core.get_isa()
    _core.set_isa(request.param)
    yield request.param
    _core.set_isa(before)


@pytest.fixture(params=SPECS, ids=SPEC_IDS)
def spec(request):
    return request.param


@pytest.fixture(params=DTYPES, ids=["float32", "float64"])
def dtype(request):
    return np.dtype(request.param)


@pytest.fixture
def threads():
    """Restore the thread settings after a test changes them."""
    n, th = fastact.get_num_threads(), _core.get_thresholds()
    yield
    fastact.set_num_threads(n)
    _core.set_thresholds(*th)


GOLDEN = pathlib.Path(__file__).resolve().parent / "data" / "golden.json"


def shared_golden_path():
    """The independent oracle of the project's steering tools (../shared/data/golden.json,
    or FASTACT_SHARED_GOLDEN), or None: a user's clone does not have it."""
    root = pathlib.Path(__file__).resolve().parent.parent
    for cand in (os.environ.get("FASTACT_SHARED_GOLDEN"),
                 root.parent / "shared" / "data" / "golden.json",
                 root.parent.parent / "shared" / "data" / "golden.json"):
        if cand and pathlib.Path(cand).is_file():
            return pathlib.Path(cand)
    return None


def load_golden(path=GOLDEN):
    """The records of an oracle file (tests/data/golden.json, made by tools/gen_golden.py)."""
    return json.loads(pathlib.Path(path).read_text())["records"]


def params_for(spec, rng=None):
    """Parameters to test `spec` with: the defaults, plus values for the required ones."""
    p = spec.defaults()
    for q in spec.params:
        if q.name not in p:
            p[q.name] = {"threshold": 0.5, "value": -2.0}[q.name]
    return p


def same_bits(a, b):
    """Bitwise equality of float arrays (NaN == NaN of any payload; -0.0 != +0.0)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    nan = np.isnan(a) & np.isnan(b)
    return bool(np.all(nan | ((a == b) & (np.signbit(a) == np.signbit(b)))))


def ulp_distance(a, b):
    """Number of representable values between same-dtype float arrays (NaN == NaN: 0;
    NaN vs a number: inf; -0.0 and +0.0 are the same point)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    itype = {2: np.int16, 4: np.int32, 8: np.int64}[a.dtype.itemsize]
    imin = np.iinfo(itype).min

    def ordinal(v):  # monotonic map of floats onto integers
        i = v.view(itype).astype(np.int64)
        return np.where(i < 0, np.int64(imin) - i, i)

    with np.errstate(over="ignore"):
        d = (ordinal(a) - ordinal(b)).view(np.uint64)
        d = np.minimum(d, (~d) + np.uint64(1)).astype(np.float64)
    both_nan = np.isnan(a) & np.isnan(b)
    one_nan = np.isnan(a) ^ np.isnan(b)
    return np.where(both_nan, 0.0, np.where(one_nan, np.inf, d))


def edge_values(dtype):
    """The spec's edge values in `dtype`: NaN, +-inf, +-0, denormals, the largest finite
    values, and values around the kinks of every registered function."""
    info = np.finfo(dtype)
    vals = [np.nan, np.inf, -np.inf, 0.0, -0.0, info.smallest_subnormal, -info.smallest_subnormal,
            info.smallest_normal, -info.smallest_normal, info.max, -info.max,
            info.smallest_normal / 3, 1.0, -1.0, 0.5, -0.5, 3.0, -3.0, 6.0, -6.0, 20.0, -20.0,
            88.5, -88.5, 89.0, -89.0, 100.0, -100.0, 104.0, -104.0, 700.0, -710.0, -745.5, 1e10, -1e10]
    t = np.dtype(dtype).type
    arr = np.array(vals, dtype=dtype)
    finite = arr[np.isfinite(arr)]
    with np.errstate(over="ignore"):
        around = np.concatenate([np.nextafter(finite, t(np.inf)), np.nextafter(finite, t(-np.inf))])
    return np.concatenate([arr, around]).astype(dtype)
