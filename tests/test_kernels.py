"""Kernels against their pure-NumPy references, on every ISA path this machine runs.

Piecewise-linear functions must be bit-identical to the reference; smooth ones must be within
their stated ULP bound of the reference evaluated in a wider dtype (float64 for float32,
np.longdouble for float64).  backward must equal g * grad exactly, on every size (tails!).
"""
import numpy as np
import pytest

import fastact
from fastact import _accuracy
from fastact import reference as ref
from fastact._registry import SPECS

from conftest import SIZES, edge_values, params_for, same_bits, under_sanitizer

SMOOTH = [s for s in SPECS if not s.exact]


def inputs(dtype, n, seed=0):
    """n values: mostly normal * 4 (both sides of every kink), with edge values mixed in."""
    rng = np.random.default_rng(seed + n)
    x = (rng.standard_normal(n) * 4).astype(dtype)
    edges = edge_values(dtype)
    k = min(n, edges.size)
    if k:
        x[rng.choice(n, k, replace=False)] = edges[:k]
    return x


def check_against_reference(spec, mode, got, x, params):
    kind = {"value": "value", "grad": "derivative", "from_y": "derivative_from_y"}[mode]
    if spec.exact or mode == "from_y":
        want = ref.evaluate(spec.name, kind, x, **params)
        assert same_bits(got, want), (spec.name, mode, x[~np.isclose(got, want, equal_nan=True)][:5])
        return
    err = _accuracy.ulp_error(got, _accuracy.wide_reference(spec.name, kind, x, params))
    bound = spec.ulp[x.dtype.name][0 if mode == "value" else 1]
    bound += _accuracy.reference_slack(x.dtype)
    assert err.max(initial=0) <= bound, (spec.name, mode, x.dtype, float(err.max()), x[np.argmax(err)])


@pytest.mark.parametrize("n", SIZES)
def test_value_grad_backward(isa, spec, dtype, n):
    x = inputs(dtype, n)
    p = params_for(spec)
    f = fastact.get(spec.name)
    with np.errstate(all="ignore"):
        y = f(x, **p)
        d = f.grad(x, **p)
        g = inputs(dtype, n, seed=1)
        b = f.backward(g, x=x, **p)
    assert y.dtype == dtype and y.shape == x.shape
    check_against_reference(spec, "value", y, x, p)
    check_against_reference(spec, "grad", d, x, p)
    with np.errstate(all="ignore"):
        assert same_bits(b, g * d)  # fused == unfused, bit for bit
        if spec.from_y:
            dy = f.backward(np.ones_like(g), y=y, **p)
            check_against_reference(spec, "from_y", dy, y, p)
            assert same_bits(f.backward(g, y=y, **p), g * dy)


def test_nan_in_nan_out(isa, spec, dtype):
    x = np.array([np.nan, -np.nan], dtype=dtype)
    p = params_for(spec)
    f = fastact.get(spec.name)
    assert np.isnan(f(x, **p)).all()
    assert np.isnan(f.grad(x, **p)).all()
    assert np.isnan(f.backward(np.ones_like(x), x=x, **p)).all()
    if spec.from_y:
        assert np.isnan(f.backward(np.ones_like(x), y=x, **p)).all()


def test_infinities_give_limits(isa, spec, dtype):
    """+-inf give the mathematical limit: never NaN from inf - inf or 0 * inf."""
    x = np.array([np.inf, -np.inf], dtype=dtype)
    p = params_for(spec)
    f = fastact.get(spec.name)
    y, d = f(x, **p), f.grad(x, **p)
    if not spec.limits_at_inf:  # sin, cos: no limit, NaN as in IEEE 754 and PyTorch
        assert np.isnan(y).all() and np.isnan(d).all(), (y, d)
        return
    assert not np.isnan(y).any() and not np.isnan(d).any(), (y, d)
    assert same_bits(y, ref.evaluate(spec.name, "value", x, **p))
    assert same_bits(d, ref.evaluate(spec.name, "derivative", x, **p))


# under a sanitizer every THINth input of the accuracy sample (the same chunks and edge grids)
THIN = under_sanitizer(1, 16)


@pytest.mark.parametrize("spec", SMOOTH, ids=[s.name for s in SMOOTH])
def test_smooth_accuracy_sample(isa, spec, dtype):
    """The deterministic accuracy sample of `python -m fastact accuracy`, within the bounds."""
    if THIN == 1:
        res = _accuracy.measure_both(spec.name, dtype)
    else:
        res = _accuracy.measure_inputs(spec.name, np.concatenate(
            [x[::THIN] for x in _accuracy.sample_inputs(dtype)]))
    for k, mode in enumerate(_accuracy.MODES):
        r = res[mode]
        assert r.worst <= spec.ulp[dtype.name][k] + _accuracy.reference_slack(dtype), (
            spec.name, mode, dtype, r.worst, r.at)
        assert r.count > 2_000_000 // THIN


def test_selu_does_not_overflow_below_the_largest_finite(isa, dtype):
    """scale * x rounds to the largest finite just below max / scale: the float scale alone
    overflowed there (float32 x = 3.2386221e38 gave inf: the exhaustive sweep's finding)."""
    big = np.finfo(dtype).max
    x = np.array([3.2386221488365256e38 if dtype == np.float32 else big / 1.0507009873554805,
                  big / 1.1, big, np.inf, 1.0, 0.5], dtype)
    got = fastact.selu(x)
    want = ref.evaluate("selu", "value", x.astype(np.float64 if dtype == np.float32 else np.longdouble))
    assert np.isfinite(got[0]) and got[3] == np.inf and got[2] == np.inf
    assert np.max(_accuracy.ulp_error(got, want)) <= 2


# float64 inputs where the former gelu('none'), tanhshrink and mish kernels were 2 to 4 ulp from
# the correctly rounded value (given here, from mpmath at 80 digits): a rounded erfcx and 1 - E/2
# at small x > 0, erfcx's rounded c0 at the end of its pieces, tanhshrink's Horner without FMA,
# mish's rounded e^x and n / (n + 2) at tiny x
CORRECTLY_ROUNDED_F64 = {
    "gelu": [
        (0.0008840768474066232, "0x1.cfd67c9827d90p-12"),
        (0.00046609293400930044, "0x1.e8ea65fe5b09ap-13"),
        (0.0019061980460131568, "0x1.f47558ad8f1fep-11"),
        (0.00023610233958683052, "0x1.ef3c5b68f3526p-14"),
        (3.5456881087851265e-06, "0x1.dbe542aa64033p-20"),
        (-8.476416507521957, "-0x1.c5e9943227a42p-54"),
        (-2.7975943077933607, "-0x1.d7f7f9389d617p-8"),
        (-35.8428304164973, "-0x1.ef3149c9a4877p-929"),
    ],
    "tanhshrink": [
        (0.7734747828475297, "0x1.fe127c3941fe7p-4"),
        (-0.5918906856181678, "-0x1.f0bc3fed63a54p-5"),
    ],
    "mish": [
        (7.730044528102591e-10, "0x1.fdf4d8a4d310cp-32"),
        (2.923554437014645e-12, "0x1.edbe944a88db2p-40"),
        (1.893744290082084e-10, "0x1.f3b9fdbf4b08ap-34"),
        (-7.572067833256142, "-0x1.fea0fedb196aep-9"),
        (0.0001892355280394653, "0x1.dc465d60f4a6fp-14"),
        (18.812728385889212, "0x1.2d00ef7adeccfp+4"),
        (-0.6052917682333688, "-0x1.fc41a143268adp-3"),
    ],
}


@pytest.mark.parametrize("name", sorted(CORRECTLY_ROUNDED_F64))
def test_float64_former_worst_inputs(isa, name):
    """Within 1 ulp of the correctly rounded value (the kernels are within about 1.1 ulp of the
    exact one there on every ISA path, the former ones 2.4-4 ulp)."""
    x = np.array([v for v, _ in CORRECTLY_ROUNDED_F64[name]])
    want = np.array([float.fromhex(h) for _, h in CORRECTLY_ROUNDED_F64[name]])
    got = fastact.get(name)(x)
    ulps = np.abs(got.view(np.int64) - want.view(np.int64))
    assert ulps.max() <= 1, (name, x[np.argmax(ulps)], int(ulps.max()))


def test_hardswish_near_a_tie(isa):
    """float32 x = 1.0323827e-7: x/2 + x^2/6 lies 2e-8 ulp below a tie, which a float
    evaluation with a 24-bit tail rounded up (the exhaustive sweep's finding)."""
    x = np.array([1.0323827126512697e-07], np.float32)
    assert same_bits(fastact.hardswish(x), ref.hardswish(x))


def test_hardswish_certified_blocks(isa):
    """float32: blocks whose |x| are all >= 2^-16 (and not NaN) take x (x + 3) / 6 in double
    without a correction, the others the corrected formula.  The blocks either side of the
    threshold's bit pattern, a tiny x or a NaN among large ones, and inputs where x (x + 3) / 6
    is a float tie exactly (0.078186035) or within 2^-24 ulp of one (0.74999994, -0.124999985,
    2.3184291e-05: a float EFT misrounded them), in blocks of the fast form."""
    t = 0x37800000  # bits of 2^-16
    runs = [np.arange(t + k, t + k + 256, dtype=np.uint32) for k in (-512, -256, 0, 256, 0x10000)]
    runs += [r | np.uint32(0x80000000) for r in runs]
    for bits in runs:
        x = bits.view(np.float32)
        assert same_bits(fastact.hardswish(x), ref.hardswish(x)), x[0]
    special = [0.018218994, 0.078186035, 0.1005249, 0.23986816, -9.089472e-05, 0.74999994,
               -0.74999994, -0.124999985, 2.31842914e-05, -2.31842914e-05, -2.60651595e-05,
               5.82132052e-05, -5.82132052e-05, 2.9999998, -2.9999998, 3.0, -3.0]
    for v in special + [1.0323827126512697e-07, np.nan, 2.0 ** -16, -(2.0 ** -17)]:
        x = np.full(512, 0.75, np.float32)
        x[300] = v
        x[:len(special)] = special
        assert same_bits(fastact.hardswish(x), ref.hardswish(x)), v


def test_hardswish_float64_markstein_blocks(isa):
    """float64: blocks whose |x| are all >= 2^-500 (not NaN) divide by 6 without a division
    (Markstein, correctly rounded for a normal numerator), the others divide: runs of bit
    patterns either side of the threshold, a tiny x, a -0.0 or a NaN among ordinary ones, the
    kinks and their neighbours, and random x, all bit-identical to the reference."""
    t = 0x20B0000000000000  # bits of 2^-500
    runs = [np.arange(t + k, t + k + 256, dtype=np.uint64) for k in (-512, -256, 0, 256)]
    runs += [r | np.uint64(1 << 63) for r in runs]
    for bits in runs:
        x = bits.view(np.float64)
        assert same_bits(fastact.hardswish(x), ref.hardswish(x)), x[0]
    rng = np.random.default_rng(11)
    base = np.concatenate([rng.standard_normal(3000) * 4, rng.uniform(-3, 3, 3000),
                           np.nextafter(3.0, [0, 9]), np.nextafter(-3.0, [0, -9]), [3.0, -3.0]])
    for v in [np.nan, -0.0, 0.0, 2.0 ** -600, -(2.0 ** -1070), np.inf, -np.inf, 1e300]:
        x = base.copy()
        x[300] = v
        assert same_bits(fastact.hardswish(x), ref.hardswish(x)), v


def test_hard_sigmoid_ties_and_caps(isa):
    """x = 3 * 2^-24: x/6 + 1/2 = 1/2 + 2^-25 is a tie (to even: 1/2); 1 from 3 on (min(mid, 1),
    also at +inf), 0 from -3 down."""
    x = np.array([3 * 2.0 ** -24, -3 * 2.0 ** -24, 3 * 2.0 ** -23, 3.0, 3.0000002, 2.9999998,
                  -3.0, -3.0000002, -2.9999998, 1e30, np.inf, -np.inf, np.nan, -0.0], np.float32)
    assert same_bits(fastact.hard_sigmoid(x), ref.hard_sigmoid(x))
    assert fastact.hard_sigmoid(x)[0] == 0.5


def test_tanhshrink_float32_worst_inputs(isa):
    """The float kernel's worst inputs over all 2^32 (tools/ulp_sweep.sh): next to x = 1, where
    the result crosses 1/4 and s = 1 - tanh x is as large as it, and the derivative near 0.88."""
    x = np.array([-1.00635982, 1.00635982, 0.99999994, 1.0, -0.87747556, 0.765895307, 9.99, 10.01],
                 np.float32)
    bounds = next(s for s in SPECS if s.name == "tanhshrink").ulp["float32"]
    for got, kind, bound in ((fastact.tanhshrink(x), "value", bounds[0]),
                             (fastact.tanhshrink.grad(x), "derivative", bounds[1])):
        err = _accuracy.ulp_error(got, _accuracy.wide_reference("tanhshrink", kind, x, {}))
        assert np.max(err) <= bound, (kind, float(np.max(err)), x[np.argmax(err)])


def test_leaky_relu_zero_slope_at_minus_inf(isa, dtype):
    x = np.array([-np.inf, -1.0, 2.0], dtype=dtype)
    assert same_bits(fastact.leaky_relu(x, negative_slope=0.0), np.array([0.0, -0.0, 2.0], dtype))


def test_signed_zeros(isa, dtype):
    z = np.array([-0.0, 0.0], dtype=dtype)
    assert same_bits(fastact.identity(z), z)
    assert same_bits(fastact.tanh(z), z)  # odd function: the sign is kept
    assert same_bits(fastact.relu(z), np.array([0.0, 0.0], dtype))  # as PyTorch
    assert same_bits(fastact.sigmoid(z), np.array([0.5, 0.5], dtype))
    assert same_bits(fastact.leaky_relu(z), np.array([-0.0, 0.0], dtype))


def test_subnormal_results(isa, dtype):
    """Results deep in the subnormal range are rounded, not flushed (peers flush here)."""
    info = np.finfo(dtype)
    lo = -103.0 if dtype == np.float32 else -744.0
    hi = -88.0 if dtype == np.float32 else -709.0
    x = np.linspace(lo, hi, 4001, dtype=dtype)
    y = fastact.sigmoid(x)
    want = _accuracy.wide_reference("sigmoid", "value", x, {})
    assert (y[:-100] < info.smallest_normal).any() and (y > 0).all()
    assert _accuracy.ulp_error(y, want).max() <= 2.5
    d = fastact.tanh.grad(x / 2)
    assert _accuracy.ulp_error(d, _accuracy.wide_reference("tanh", "derivative", x / 2, {})).max() <= 4.5


def test_kink_derivatives(isa, dtype):
    """At a kink the derivative is PyTorch's backward value (spec)."""
    cases = {
        "relu": ([0.0], [0.0]),
        "relu6": ([0.0, 6.0], [0.0, 0.0]),
        "leaky_relu": ([0.0], [0.01]),
        "hardtanh": ([-1.0, 1.0], [0.0, 0.0]),
        "hard_sigmoid": ([-3.0, 3.0], [0.0, 0.0]),
        "hardswish": ([-3.0, 3.0], [0.0, 1.0]),  # PyTorch 2.13's values at the kinks
        "hardshrink": ([-0.5, 0.5], [0.0, 0.0]),
        "softshrink": ([-0.5, 0.5], [0.0, 0.0]),
        "step": ([0.0], [0.0]),
    }
    for name, (xs, ds) in cases.items():
        got = fastact.get(name).grad(np.array(xs, dtype))
        assert same_bits(got, np.array(ds, dtype)), name
    assert same_bits(fastact.threshold.grad(np.array([1.0], dtype), threshold=1.0, value=3.0),
                     np.array([0.0], dtype))
    assert same_bits(fastact.step(np.array([0.0, -0.0], dtype), at_zero=0.5), np.array([0.5, 0.5], dtype))


def test_hardtanh_equal_bounds(isa, dtype):
    """min_val == max_val clamps to that constant with derivative 0 (spec, as PyTorch)."""
    x = np.array([-np.inf, -2.0, -0.0, 0.0, 0.25, 0.5, 0.75, 3.0, np.inf, np.nan], dtype=dtype)
    y = fastact.hardtanh(x, min_val=0.5, max_val=0.5)
    want = np.where(np.isnan(x), np.nan, 0.5).astype(dtype)
    assert same_bits(y, want) and same_bits(y, fastact.hardtanh.reference(x, min_val=0.5, max_val=0.5))
    d = fastact.hardtanh.grad(x, min_val=0.5, max_val=0.5)
    assert same_bits(d, np.where(np.isnan(x), np.nan, 0.0).astype(dtype))


def test_finite_differences(spec):
    """grad agrees with central differences of the forward, away from kinks (float64)."""
    p = params_for(spec)
    rng = np.random.default_rng(5)
    x = rng.uniform(-8, 8, 2000)
    kinks = np.array(spec.kinks(p) or [np.inf])
    x = x[np.min(np.abs(x[:, None] - kinks[None, :]), axis=1) > 1e-3]
    f = fastact.get(spec.name)
    h = 1e-6
    fd = (f(x + h, **p) - f(x - h, **p)) / (2 * h)
    np.testing.assert_allclose(f.grad(x, **p), fd, rtol=1e-6, atol=1e-7)


def test_threads_bit_identical(threads, spec, dtype):
    x = inputs(dtype, 300_007)
    g = inputs(dtype, 300_007, seed=3)
    p = params_for(spec)
    f = fastact.get(spec.name)
    fastact.set_num_threads(1)
    one = [f(x, **p), f.grad(x, **p), f.backward(g, x=x, **p)]
    for n in (2, 3, 7):
        fastact.set_num_threads(n)
        fastact._core.set_thresholds(nogil_min=0, parallel_min=0)
        many = [f(x, **p), f.grad(x, **p), f.backward(g, x=x, **p)]
        assert all(same_bits(a, b) for a, b in zip(one, many)), n


def test_results_do_not_depend_on_offset(isa, spec, dtype):
    """Every element is computed the same whether it lands in a vector body or a scalar tail."""
    x = inputs(dtype, 1031)
    p = params_for(spec)
    f = fastact.get(spec.name)
    whole = f(x, **p)
    for start in (1, 3, 5, 13):
        assert same_bits(f(x[start:], **p), whole[start:])


def test_results_do_not_depend_on_neighbours(isa, spec, dtype):
    """An element's result is a function of its x alone: the loops' fast forms run per block
    (a block with an x outside a form's range takes the general formula), and both must give
    the same bits for the elements of a mixed block as for those of a clean one."""
    rng = np.random.default_rng(7)
    n = 4096
    clean = (rng.standard_normal(n) * 30).astype(dtype)  # both sides of +-87, +-88 and so on
    clean[::7] = rng.uniform(-90, 90, clean[::7].size).astype(dtype)
    mixed = clean.copy()
    spots = np.arange(5, n, 300)  # one in most blocks of 256
    mixed[spots] = np.resize(np.array([np.nan, np.inf, -np.inf, 1e30, -1e30, 200, -200], dtype), spots.size)
    keep = np.ones(n, bool)
    keep[spots] = False
    p = params_for(spec)
    f = fastact.get(spec.name)
    g = np.ones(n, dtype)
    for call in (lambda v: f(v, **p), lambda v: f.grad(v, **p), lambda v: f.backward(g, x=v, **p)):
        assert same_bits(call(mixed)[keep], call(clean)[keep])


def test_concurrent_python_threads(threads):
    """Several Python threads calling at once (GIL released, pool shared) get exact results."""
    import threading

    fastact.set_num_threads(2)
    fastact._core.set_thresholds(nogil_min=0, parallel_min=0)
    xs = [inputs(np.float32, 200_003, seed=s) for s in range(4)]
    want = [fastact.sigmoid.reference(x) for x in xs]
    exact = [fastact.relu(x) for x in xs]
    errors = []

    def work(i):
        for _ in range(20):
            got = fastact.sigmoid(xs[i])
            err = _accuracy.ulp_error(got, want[i]).max()
            if err > 6 or not same_bits(fastact.relu(xs[i]), exact[i]):
                errors.append((i, err))

    ts = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in ts), "a caller is stuck: deadlock in the thread pool"
    assert not errors


def test_pool_survives_fork(threads):
    """A forked child (multiprocessing's default on Linux) can still run parallel calls."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork on this platform")
    fastact.set_num_threads(2)
    fastact._core.set_thresholds(nogil_min=0, parallel_min=0)
    x = inputs(np.float64, 100_000)
    want = fastact.tanh(x)  # starts the pool in the parent
    with mp.get_context("fork").Pool(1) as pool:
        got = pool.apply(_tanh_in_child, (x,))
    assert same_bits(got, want)


def _tanh_in_child(x):
    fastact.set_num_threads(2)
    fastact._core.set_thresholds(nogil_min=0, parallel_min=0)
    return fastact.tanh(x)


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_accuracy_ci_subset(isa, spec, dtype):
    """The fixed subset of `python -m fastact accuracy` (every 65521st float32 bit pattern or
    2^16 random float64 patterns, plus the edge grids): exact functions bit for bit equal to
    their reference, smooth ones within the registry's bounds, on every ISA path."""
    x = _accuracy.ci_inputs(dtype)
    res = _accuracy.measure_inputs(spec.name, x)
    for k, mode in enumerate(_accuracy.MODES):
        r = res[mode]
        assert r.count == x.size
        assert r.ok(spec.ulp[dtype.name][k], dtype), (spec.name, mode, dtype, r.worst, r.mismatches, r.at)


_FORM_EDGES = {
    # float32 float forms: their switches (87, 88, v = -80, the clamps 9.65 / 11.4) and far tails
    # (gelu 'none': its clamps and the 2^64-scaled exp below -9)
    "float32": [-3e38, -1e30, -200, -131, -103, -95, -88, -87, -80.5, -80, -20, -14.4, -14.375,
                -14.36, -13.15, -11.4, -9.65, -9.0001, -9, -8.9999, -1e-30, -1e-45, 1e-45, 1e-30,
                9.65, 9.9999, 10, 10.001, 11.4, 20, 80, 87, 88, 1e30, 3e38],
    # float64 certified forms (silu |x| <= 700, gelu 'tanh' |x| <= 20) and the formulas past them:
    # both sides of each range, the subnormal tails, the zero-tP switches of the derivatives
    "float64": [-1.7e308, -1e300, -800, -746, -709, np.nextafter(-700, -1e3), -700, -699.5, -603,
                np.nextafter(-20, -1e3), -20, -19.5, -1.5285, -1.2785, -1.0285, -1.0025, -0.7525,
                -0.5025, -1e-300, -5e-324, 5e-324, 1e-300, 19.5, 20, np.nextafter(20, 1e3), 603,
                699.5, 700, np.nextafter(700, 1e3), 709, 1e300, 1.7e308],
}


@pytest.mark.parametrize("name, params", [("silu", {"beta": 1.0}), ("gelu", {"approximate": "tanh"}),
                                          ("gelu", {"approximate": "none"})])
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_float_forms_edges_in_whole_blocks(isa, name, params, dt):
    """The fast forms (float32 float forms: silu, gelu 'tanh' and 'none'; float64 certified
    forms: silu, gelu 'tanh') on blocks
    they cover whole: signed zeros keep their sign, the far tails (subnormal results, -0, x
    itself for huge x) and the values next to the forms' switches stay within the bounds."""
    f, spec = fastact.get(name), next(s for s in SPECS if s.name == name)
    for z in (-0.0, 0.0):
        got = f(np.full(512, z, dt), **params)
        assert np.all(np.signbit(got) == np.signbit(z)) and np.all(got == 0)
    x = np.resize(np.array(_FORM_EDGES[dt], dt), 512)
    for call, kind in ((lambda v: f(v, **params), "value"), (lambda v: f.grad(v, **params), "derivative")):
        got = call(x)
        err = _accuracy.ulp_error(got, _accuracy.wide_reference(name, kind, x, params))
        bound = spec.ulp[dt][kind == "derivative"] + _accuracy.reference_slack(np.dtype(dt))
        assert err.max() <= bound, (name, kind, x[err.argmax()])
        # the same bits as each element alone, in a block of its own kind (-0.5: inside every
        # form's range), whichever form its block took
        for i in range(len(_FORM_EDGES[dt])):
            alone = call(np.where(np.arange(256) == 3, x[i], np.array(-0.5, dt)).astype(dt))[3]
            assert same_bits(np.array([got[i]]), np.array([alone])), (name, kind, x[i])


@pytest.mark.parametrize("name, params, lo, hi", [
    ("sigmoid", {}, -87, 87), ("tanh", {}, -43, 43), ("log_sigmoid", {}, -87, 87),
    ("softplus", {"beta": 1.0, "threshold": 20.0}, -87, 87), ("exponential", {}, -87, 88),
    ("celu", {"alpha": 1.0}, -87, 3e38)])
def test_exp_family_forms_edges_in_whole_blocks(isa, name, params, lo, hi):
    """The float32 exp-family certified forms (sigmoid, tanh, exponential and the derivatives
    of log_sigmoid, softplus and celu) on blocks they cover whole, so that every lane takes
    the form: the ends of their ranges, the switches inside (tanh's reduction at |x| = 0.173,
    softplus' threshold, the results' binades), tiny and signed-zero x, within the bounds."""
    f, spec = fastact.get(name), next(s for s in SPECS if s.name == name)
    edges = np.array([87, 86.99999, 80, 43, 42.99999, 20, 20.000002, 17.33, 9.01, 1, 0.5493,
                      0.17328679, 0.1732868, 1e-3, 1e-30, 1e-45, 0.0], np.float32)
    edges = np.concatenate([edges, -edges, [88, 87.99999, 3e38, 1e30]]).astype(np.float32)
    x = np.resize(edges[(edges >= lo) & (edges <= hi)], 512)
    for call, kind in ((lambda v: f(v, **params), "value"), (lambda v: f.grad(v, **params), "derivative")):
        got = call(x)
        err = _accuracy.ulp_error(got, _accuracy.wide_reference(name, kind, x, params))
        assert err.max() <= spec.ulp["float32"][kind == "derivative"], (name, kind, x[err.argmax()])
    if name == "tanh":
        for z in (-0.0, 0.0):
            got = f(np.full(512, z, np.float32))
            assert np.all(np.signbit(got) == np.signbit(z)) and np.all(got == 0)
