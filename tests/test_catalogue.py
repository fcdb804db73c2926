"""Every claim of the properties catalogue, checked against the implementation.

Dense grids (step 1e-3 on [-10, 10], geometric tails out to 1e4, 1e300, and +-inf) in float64
and float32, at each function's catalogue parameters.  The tests iterate over the registry, so a
function that lands later is covered by its catalogue entry automatically.
"""
import math

import numpy as np
import pytest

import fastact
from fastact import _baselines, _catalogue
from fastact._catalogue import CATALOGUE, MONOTONIC, SATURATION, SMOOTHNESS

STEP = 1e-3
CORE = np.round(np.arange(-10_000, 10_001) * STEP, 12)       # [-10, 10], exact-ish decimals
TAIL = np.geomspace(10, 1e4, 2000)
GRID = np.unique(np.concatenate([-TAIL, CORE, TAIL, [-1e300, 1e300, -np.inf, np.inf]]))
FINITE = GRID[np.isfinite(GRID)]
NAMES = fastact.functions()  # the registry: elementwise and structured functions
ELEMENTWISE = [n for n in NAMES if n in CATALOGUE and CATALOGUE[n].elementwise]


def _setup(name, dtype=np.float64):
    f = fastact.get(name)
    p = _catalogue.params_for(name, f.spec)
    with np.errstate(all="ignore"):
        x = GRID.astype(dtype)
        return f, p, x, f(x, **p), f.grad(x, **p)


def test_every_registered_function_has_properties_and_a_baseline():
    """A function added to the registry must come with its catalogue entry and its idiomatic
    NumPy baseline (src/fastact/_catalogue.py, src/fastact/_baselines.py)."""
    assert [n for n in NAMES if n not in CATALOGUE] == []
    assert [n for n in NAMES if n not in _baselines.BASELINES] == []


def test_entries_are_well_formed():
    for p in CATALOGUE.values():
        assert p.monotonic in MONOTONIC, p.name
        assert p.smoothness in SMOOTHNESS, p.name
        assert p.left.kind in SATURATION and p.right.kind in SATURATION, p.name
        assert p.lower <= p.upper, p.name
        for side in (p.left, p.right):
            assert (side.from_x is not None) == (side.kind == "hard"), p.name
        assert (p.smoothness == "C∞") == (not p.kinks) or p.name == "glu", p.name
        assert p.when and not p.when.endswith("."), p.name


def test_catalogue_api():
    cat = fastact.catalogue()
    assert [r["name"] for r in cat] == [n for n in NAMES if n in CATALOGUE]
    text = repr(cat)
    assert text.splitlines()[0].startswith("name") and "sigmoid" in text
    info = fastact.sigmoid.info
    assert info == cat[[r["name"] for r in cat].index("sigmoid")]
    assert info.range == "(0, 1)" and info.bounded and info.monotonic == "increasing"
    assert "saturation_left" in repr(info)
    assert fastact.relu.info.range == "[0, inf)" and not fastact.relu.info.bounded
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pandas"):
            cat.to_pandas()
    else:
        df = cat.to_pandas()
        assert list(df.index) == [r["name"] for r in cat]
        assert df.loc["tanh", "zero_centred"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_range(name, dtype):
    """Values on the grid (+-inf included) stay within the bounds; an attained finite bound is
    reached; an unattained one is not reached on [-10, 10] (float64: no rounding onto it)."""
    prop = CATALOGUE[name]
    f, p, x, y, _ = _setup(name, dtype)
    tol = 8 * np.finfo(dtype).eps
    if not getattr(f.spec, "limits_at_inf", True):  # sin, cos: no limit at +-inf, NaN there (IEEE 754, PyTorch)
        assert np.isnan(y[np.isinf(x)]).all()
        x, y = x[np.isfinite(x)], y[np.isfinite(x)]
    assert not np.isnan(y).any()
    assert y.min() >= prop.lower - tol * max(1, abs(prop.lower)), (y.min(), prop.lower)
    assert y.max() <= prop.upper + tol * max(1, abs(prop.upper)), (y.max(), prop.upper)
    finite = y[np.isfinite(x)]
    core = y[np.abs(x) <= 10]
    for bound, attained, extreme, sign in ((prop.lower, prop.lower_attained, finite.min(), 1),
                                           (prop.upper, prop.upper_attained, finite.max(), -1)):
        if math.isinf(bound):
            assert bound == (np.min(y) if sign > 0 else np.max(y)), "infinite bound not reached"
        elif attained:
            assert abs(extreme - bound) <= 1e-5 * max(1, abs(bound)), (extreme, bound)
        elif dtype == np.float64:
            assert ((core > bound) if sign > 0 else (core < bound)).all()
    assert prop.bounded == (math.isfinite(prop.lower) and math.isfinite(prop.upper))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_monotonicity(name):
    """increasing: strictly on [-10, 10] (float64) and never decreasing on the whole grid;
    non-decreasing: never decreasing, flat somewhere; none: decreases somewhere."""
    prop = CATALOGUE[name]
    f, p, x, y, _ = _setup(name)
    with np.errstate(invalid="ignore"):
        dy = np.diff(y)
    dy = np.where(y[1:] == y[:-1], 0, dy)  # inf - inf on an overflowed tail: flat, not NaN
    core = np.diff(y[np.abs(x) <= 10])
    if prop.monotonic == "none":
        assert (dy < 0).any()
        return
    assert (dy >= 0).all(), x[1:][dy < 0][:5]
    if prop.monotonic == "increasing":
        assert (core > 0).all(), x[np.abs(x) <= 10][1:][core <= 0][:5]
    else:
        assert (core == 0).any()


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_zero_centred(name):
    """zero-centred <=> f(0) == 0 and the output reaches -1 or below (takes both signs)."""
    prop = CATALOGUE[name]
    f, p, x, y, _ = _setup(name)
    both_signs = f(0.0, **p) == 0 and np.nanmin(y) <= -1 + 1e-6 and np.nanmax(y) > 0  # sin: NaN at inf, -1 between grid points
    assert prop.zero_centred == both_signs


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_saturation(name, side):
    """hard: f' == 0 exactly beyond from_x (strictly: the kink's own value is PyTorch's) (+-inf included); soft: f' != 0 on the side's part of
    [-30, 30], f'(+-inf) == 0 and |f'(+-1e4)| < 1e-6; none: |f'| > 1e-3 somewhere near +-1e4.
    The limit level is f(+-inf)."""
    prop = CATALOGUE[name]
    sat = getattr(prop, side)
    f, p, x, y, d = _setup(name)
    sign = -1 if side == "left" else 1
    beyond = x * sign > 0
    with np.errstate(all="ignore"):
        at_inf = f(sign * np.inf, **p)
        d_inf = f.grad(sign * np.inf, **p)
        far = sign * np.linspace(1e4 - 10, 1e4 + 10, 2001)
        d_far = f.grad(far, **p)
    if sat.level is None:
        assert np.isnan(at_inf)
    else:
        assert at_inf == sat.level, (at_inf, sat.level)
    if sat.kind == "hard":
        past = sign * x > sign * sat.from_x
        assert math.isfinite(sat.from_x)
        assert (d[past] == 0).all(), x[past][d[past] != 0][:5]
        assert d_inf == 0
    elif sat.kind == "soft":
        near = beyond & (np.abs(x) <= 30)
        assert (d[near] != 0).all(), x[near][d[near] == 0][:5]
        assert d_inf == 0
        assert np.abs(d_far).max() < 1e-6
    else:
        assert np.abs(d_far).max() > 1e-3


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_smoothness_and_kinks(name):
    """discontinuous: f jumps at a kink; C0: f continuous everywhere, f' jumps at a kink;
    C1 and C∞: f and f' continuous everywhere.  Away from the listed kinks f is continuous
    (each step of the grid moves f by at most its local slope), so the list is complete; the
    registry's derivative kinks are among the listed ones."""
    prop = CATALOGUE[name]
    f, p, x, y, d = _setup(name)
    eps = 1e-9
    value_jumps, slope_jumps = [], []
    for k in prop.kinks:
        lo, hi = f(k - eps, **p), f(k + eps, **p)
        value_jumps.append(abs(hi - lo) > 1e-6)
        slope_jumps.append(abs(f.grad(k + eps, **p) - f.grad(k - eps, **p)) > 1e-3)
    order = SMOOTHNESS.index(prop.smoothness)
    if order == 0:
        assert any(value_jumps)
    else:
        assert not any(value_jumps)
        if order == 1:
            assert any(slope_jumps)
        else:
            assert not any(slope_jumps)
    # away from the kinks: no jumps in f (or, for C1 and better, in f') on the core grid
    core = (np.abs(x) <= 10)
    xc, yc, dc = x[core], y[core], d[core]
    clear = np.ones(len(xc) - 1, bool)
    for k in prop.kinks:
        clear &= ~((xc[:-1] <= k) & (xc[1:] >= k))
    slope = np.maximum(np.abs(dc[:-1]), np.abs(dc[1:]))
    dy = np.abs(np.diff(yc))
    assert (dy[clear] <= 1.01 * slope[clear] * np.diff(xc)[clear] + 1e-6).all()
    if order >= 2:
        assert (np.abs(np.diff(dc))[clear] <= 0.05 * np.maximum(1, slope[clear])).all()
    registry_kinks = set(f.spec.kinks(p)) if hasattr(f.spec, "kinks") else set()
    assert registry_kinks <= set(prop.kinks), registry_kinks - set(prop.kinks)


@pytest.mark.parametrize("name", [n for n in NAMES if n in CATALOGUE
                                  and not CATALOGUE[n].elementwise])
def test_axis_functions_range(name):
    """softmax & co.: the values of random rows stay within the stated bounds."""
    prop = CATALOGUE[name]
    f = fastact.get(name)
    x = np.random.default_rng(0).standard_normal((64, 32)) * 10
    y = f(x, **_catalogue.params_for(name, f.spec))
    assert y.min() >= prop.lower and y.max() <= prop.upper
