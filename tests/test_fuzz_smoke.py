"""The fuzz harness (tools/fuzz.py) on a few thousand random inputs without coverage guidance:
keeps the decoder and the oracle working in CI; `make fuzz SECONDS=N` is the real run."""
import pathlib
import sys

import numpy as np
import pytest

import fastact
from fastact import _accuracy
from conftest import same_bits

TOOLS = pathlib.Path(__file__).resolve().parent.parent / "tools"


@pytest.fixture(scope="module")
def fuzz():
    if not (TOOLS / "fuzz.py").is_file():
        pytest.skip("tools/fuzz.py not next to the tests (installed package)")
    sys.path.insert(0, str(TOOLS))
    try:
        import fuzz as harness
    finally:
        sys.path.remove(str(TOOLS))
    return harness


def test_random_inputs_meet_the_oracle(fuzz, threads):
    before = fastact._core.get_isa()
    try:
        ok, refused, found = fuzz.random_run(3000, seed=20261124, fastact=fastact)
    finally:
        fastact._core.set_isa(before)
    assert found == 0
    assert ok > 500 and refused > 500  # both verdicts are exercised
    # every kind of function is driven: elementwise, along an axis, glu, per-channel
    # parameters (prelu, mpelu) and rrelu
    kinds = fuzz._kinds
    assert {"axis", "halves", "channel", "random"} <= set(kinds), kinds
    assert all(v >= 5 for v in kinds.values()), kinds


def test_oracle_catches_a_write_on_refusal(fuzz, monkeypatch):
    """A refused call that wrote into out is reported (the oracle can fail)."""
    data = bytes(range(7, 200))
    case = fuzz.Case(fuzz.Bytes(data), fastact)
    case.out = np.zeros(3)
    case.x = np.ones(3) * 1j  # refused: complex

    def call():
        case.out[0] = 1.0
        raise TypeError("refused")

    monkeypatch.setattr(case, "call", call)
    with pytest.raises(fuzz.Finding, match="wrote into out"):
        fuzz.check(case, fastact)


def test_int_parameter_beyond_float_range_is_a_value_error():
    """Fuzz finding 1: 10**400 as a parameter raised OverflowError (from float() in the
    registry and from the C conversion on the fast path)."""
    o = np.full(3, 7.0)
    for call in (lambda: fastact.leaky_relu(np.ones(3), out=o, negative_slope=10 ** 400),
                 lambda: fastact.hardtanh.grad(np.ones(3), out=o, max_val=-(10 ** 309)),
                 lambda: fastact.threshold.backward(np.ones(3), x=np.ones(3), out=o,
                                                    threshold=0.0, value=10 ** 400),
                 lambda: fastact.leaky_relu.reference(np.ones(3), negative_slope=10 ** 400)):
        with pytest.raises(ValueError, match="too large for a float"):
            call()
    assert (o == 7.0).all()
    # ints a double holds exactly, or rounds, are accepted on every path
    assert fastact.leaky_relu(np.array([-1.0]), negative_slope=2 ** 60)[0] == -(2.0 ** 60)
    assert fastact.leaky_relu(np.array([-1.0]), negative_slope=2 ** 53 + 1)[0] == -(2.0 ** 53)


def test_cos_of_a_huge_omega_x_reduces_the_exact_product(threads):
    """Fuzz finding 2 (the smoke test's former xfail): cos.inplace, omega = 3.4961e93, on a
    float16 strided ndarray-subclass view with 3 threads was "off by 3e7 ulp".  The kernel was
    right; the references rounded omega x before the reduction, which at |omega x| ~ 6e92
    moves the angle by whole periods (and float32 references rounded omega itself to inf).
    Values: mpmath at 2000 bits of cos(omega x) with the exact product."""
    omega = 3.4961190673495634e+93
    x16 = np.array([0.1795654296875, 0.300048828125, 3.0], np.float16)
    want = np.array([-0.9997432092, -0.27976723, 0.09550378317])
    for dt in (np.float16, np.float32, np.float64):
        got = fastact.cos(x16.astype(dt), omega=omega)
        ref = fastact.cos.reference(x16.astype(dt), omega=omega)
        tol = {np.float16: 1e-3, np.float32: 1e-7, np.float64: 1e-9}[dt]
        np.testing.assert_allclose(got.astype(np.float64), want, rtol=tol, atol=tol)
        np.testing.assert_allclose(ref.astype(np.float64), want, rtol=tol, atol=tol)
    assert fastact.cos(np.array([0.17956543]), omega=omega)[0] == pytest.approx(
        -0.6056479563366552, rel=1e-15)
    # the fuzzer's call: in place on a float16 strided subclass view, 3 threads, any split
    from fastact import _accuracy
    fastact.set_num_threads(3)
    fastact._core.set_thresholds(0, 0)
    base = np.resize(x16, 2 * 7 * 7 * 7).reshape(7, 7, 14)
    view = base.view(np.ndarray).copy().view(type("Sub", (np.ndarray,), {}))[:, :, ::2]
    plain = fastact.cos(np.ascontiguousarray(view).view(np.ndarray), omega=omega)
    assert fastact.cos.inplace(view, omega=omega) is view
    assert np.array_equal(view.view(np.ndarray), plain)
    x32 = np.ascontiguousarray(view, np.float32).view(np.ndarray)
    err = _accuracy.ulp_error(fastact.cos(x32, omega=omega),
                              _accuracy.wide_reference("cos", "value", x32, {"omega": omega}))
    assert err.max() <= 2.5


@pytest.mark.parametrize("name", ["gelu", "sigmoid", "relu"])
@pytest.mark.parametrize("nthreads", [2, 3])
def test_out_behind_x_in_one_buffer_with_threads(name, nthreads, threads):
    """Fuzz finding 5: gelu.grad(x, out=o) with o 5 elements before x in one buffer, 3 threads:
    NumPy passes such an overlap uncopied (in-order processing is safe), the loop cut it across
    threads and a later block overwrote inputs of an earlier one (wrong values at the seams).
    Repeated: without the fix a third of these tests failed on a 2-core machine."""
    f = fastact.get(name)
    n, shift = 1 << 15, 5
    rng = np.random.default_rng(5)
    fastact.set_num_threads(nthreads)
    fastact._core.set_thresholds(0, 0)
    for method in (f, f.grad):
        for _ in range(20):
            buf = np.zeros(n + shift)
            buf[shift:] = rng.standard_normal(n) * 4
            x = buf[shift:]
            want = method(x.copy())
            out = buf[:n]
            with np.errstate(all="ignore"):  # gelu's ufunc loop raises spurious FP flags
                assert method(x, out=out) is out
            assert np.array_equal(out, want)


def test_celu_with_a_huge_alpha_keeps_x():
    """Fuzz finding 6: celu(x, alpha=-1e308) for x = -5.2e-52 gave 0 (x / alpha underflowed
    and alpha times it lost x); alpha expm1(x / alpha) is x to 2^-61 there."""
    x = np.array([-5.1770408808424054e-52, -1e-20, -1e-300, -1e-10])
    for alpha in (-1e308, 1e308):
        assert np.array_equal(fastact.celu(x, alpha=alpha), x)
        assert np.array_equal(fastact.celu(x.astype(np.float32), alpha=alpha),
                              x.astype(np.float32))
        assert np.array_equal(fastact.celu.reference(x, alpha=alpha), x)
    assert np.signbit(fastact.celu(np.array([-0.0]), alpha=-1e308)[0])


def test_backward_with_a_python_scalar_g_keeps_x_dtype():
    """Python ints and floats are weak (NEP 50), as in NumPy's ufuncs: the fuzz oracle assumed
    float64 here and reported the (correct) float16/float32 results; pinned down here."""
    for dt in (np.float16, np.float32):
        x = np.linspace(-2, 2, 7).astype(dt)
        for g in (1.0, 3, -0.0):
            assert fastact.sigmoid.backward(g, x=x).dtype == dt
        assert fastact.sigmoid.backward(True, x=x).dtype == np.float64  # bool: an integer
        assert fastact.sigmoid.backward(np.float64(1.0), x=x).dtype == np.float64


def test_periodic_with_omega_or_x_near_the_double_range_on_every_isa():
    """Fuzz finding 7: on the baseline path (no FMA) Dekker's split of omega or x >= 2^996
    overflowed and the low part of omega x was dropped: cos(omega x) with omega = 1e308 was off
    by 4e7 ulp.  The references form the exact product (checked against mpmath above)."""
    from fastact import _accuracy
    before = fastact._core.get_isa()
    cases = [(1e308, np.array([1.1217233241889926e-302, 4.5e-305, -3.25e-300, 1e-310])),
             (-1e308, np.array([2.0e-303, -7.0e-302])),
             (5.62298851882525e-81, np.array([1.7976931348623157e+308, -1.5e300])),
             (6.322012276152016e-291, np.array([-1.7976931348623157e+308]))]
    try:
        for isa in fastact._core.usable_isas():
            fastact._core.set_isa(isa)
            for omega, x in cases:
                for name, kind, call in (("cos", "value", fastact.cos),
                                         ("sin", "value", fastact.sin),
                                         ("cos", "derivative", fastact.cos.grad),
                                         ("sin", "derivative", fastact.sin.grad)):
                    for dt in (np.float64, np.float32):
                        with np.errstate(over="ignore"):
                            xx = x.astype(dt)
                        if not np.isfinite(xx).all():
                            continue
                        with np.errstate(all="ignore"):
                            got = call(xx, omega=omega)
                            want = _accuracy.wide_reference(name, kind, xx, {"omega": omega})
                        err = _accuracy.ulp_error(got, want).max()
                        assert err <= 4.5, (isa, name, kind, dt, omega, err)
    finally:
        fastact._core.set_isa(before)


def test_silu_at_extreme_beta_and_x_on_every_isa():
    """Fuzz findings 8 and 9: silu with beta x beyond the double range, or beta = +-0 at
    x = +-inf, gave NaN (inf * 0 in s (1 + beta x (1 - s))); float32 silu.grad with
    beta = 1e308 gave 9860 at x = 1 (e^-700 times beta x); float32 silu(-0.0, beta=1e308) gave
    NaN (beta rounds to inf in float).  The limits, then the wide reference on a grid."""
    from fastact import _accuracy
    spec = fastact.silu.spec
    exact = [  # (beta, x, value, derivative), both dtypes
        (1e308, 1e308, 1e308, 1.0), (1e308, -1e308, -0.0, -0.0), (-1e308, 1e308, 0.0, -0.0),
        (1e308, 3e34, 3e34, 1.0), (1e308, 1.0, 1.0, 1.0), (1e308, -1.0, -0.0, -0.0),
        (0.0, 1e308, 5e307, 0.5), (-0.0, -1e308, -5e307, 0.5), (1e308, -0.0, -0.0, 0.5),
        (0.0, np.inf, np.inf, 0.5), (-0.0, -np.inf, -np.inf, 0.5), (1e-300, -np.inf, -0.0, 0.0),
        (-5e-324, np.inf, 0.0, 0.0), (-1e308, -np.inf, -np.inf, 1.0)]
    xs = np.array([1e308, -1e308, 6.1e291, -6.1e291, 3e34, -3e34, 4.6e14, -4.6e14, 1.0, -1.0,
                   1e-300, 0.0, -0.0, 5e-324, np.inf, -np.inf])
    before = fastact._core.get_isa()
    try:
        for isa in fastact._core.usable_isas():
            fastact._core.set_isa(isa)
            for dt in (np.float64, np.float32):
                for beta, x, value, derivative in exact:
                    with np.errstate(over="ignore"):
                        xx = np.array([x], dtype=dt)
                    if np.isinf(xx[0]) and np.isfinite(x):  # x beyond float: another case
                        continue
                    got = (fastact.silu(xx, beta=beta)[0], fastact.silu.grad(xx, beta=beta)[0])
                    want = (dt(value), dt(derivative))
                    assert same_bits(np.array(got), np.array(want)), (isa, dt, beta, x, got)
                with np.errstate(over="ignore"):
                    x = np.unique(xs.astype(dt))
                for beta in (0.0, -0.0, 1e308, -1e308, 3.5e38, -3.5e38, 1.0, 5e-324, 1e-300):
                    for kind, call in (("value", fastact.silu), ("derivative", fastact.silu.grad)):
                        with np.errstate(all="ignore"):
                            got = call(x, beta=beta)
                            want = _accuracy.wide_reference("silu", kind, x, {"beta": beta})
                        err = _accuracy.ulp_error(got, want)
                        bound = (spec.ulp[np.dtype(dt).name][kind == "derivative"]
                                 + _accuracy.reference_slack(dt))
                        assert err.max() <= bound, (isa, dt, kind, beta, x[err.argmax()])
    finally:
        fastact._core.set_isa(before)
