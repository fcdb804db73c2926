"""The structured functions: softmax, log_softmax, softmin and glu along any axis; prelu, mpelu
and rrelu with parameter gradients.  Kernels against the pure-NumPy references on every ISA,
layouts, threads, dtypes, out= and errors, parameter gradients against central differences,
and (when installed) agreement with PyTorch autograd and scipy.special."""
import numpy as np
import pytest

import fastact
from fastact import _accuracy
from fastact import _reference_structured as sref
from fastact._registry import STRUCTURED_BY_NAME, STRUCTURED_SPECS

from conftest import same_bits

AXIS_FNS = ["softmax", "log_softmax", "softmin"]
CHANNEL_FNS = ["prelu", "mpelu"]
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, 700.0, -700.0, 88.0, -100.0]


def wide(x):
    return x.astype(np.float64 if x.dtype == np.float32 else np.longdouble)


def ulps(got, want):
    return _accuracy.ulp_error(got, want)


def vjp_by_differences(f, x, g, h=1e-6):
    """sum(g * df) / dx_i for each element of x, by central differences (float64)."""
    fd = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        fd[idx] = np.sum(g * (f(x + e) - f(x - e))) / (2 * h)
    return fd


def rows(dtype, shape, seed=0, scale=5.0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale).astype(dtype)


def params_of(name, nchan, dtype=np.float64, seed=1):
    rng = np.random.default_rng(seed)
    if name == "prelu":
        return {"weight": rng.uniform(-0.5, 0.5, nchan).astype(dtype)}
    if name == "mpelu":
        return {"alpha": rng.uniform(0.5, 2, nchan).astype(dtype),
                "beta": rng.uniform(0.25, 3, nchan).astype(dtype)}
    return {}


# ================================================================ softmax family

@pytest.mark.parametrize("name", AXIS_FNS)
@pytest.mark.parametrize("n", [1, 2, 7, 15, 16, 17, 33, 1000, 4099])
def test_axis_values_against_wide_reference(isa, name, dtype, n):
    f = fastact.get(name)
    bound = STRUCTURED_BY_NAME[name].ulp[dtype.name][0]
    x = rows(dtype, (5, n), seed=n)
    for axis, arr in ((-1, x), (0, np.ascontiguousarray(x.T))):
        got = f(arr, axis=axis)
        want = getattr(sref, name)(wide(arr), axis=axis)
        assert got.dtype == dtype and got.shape == arr.shape
        err = ulps(got, want)
        assert err.max() <= bound, (name, axis, float(err.max()))


@pytest.mark.parametrize("name", AXIS_FNS)
def test_long_rows_accuracy(name, dtype):
    """3 ULP on rows 10^5 long, the sums' error does not grow with the length."""
    f = fastact.get(name)
    x = rows(dtype, (2, 100_000), seed=7, scale=3.0)
    x[1, 123] = 40.0  # a dominant element
    err = ulps(f(x), getattr(sref, name)(wide(x)))
    assert err.max() <= STRUCTURED_BY_NAME[name].ulp[dtype.name][0], float(err.max())
    err = ulps(f(np.asfortranarray(x), axis=1), getattr(sref, name)(wide(x)))
    assert err.max() <= STRUCTURED_BY_NAME[name].ulp[dtype.name][0], float(err.max())


@pytest.mark.parametrize("name", AXIS_FNS)
def test_axis_values_offset_rows(isa, name, dtype):
    """Rows far from 0 on both sides of the kernel's switch of shift (float32: |max| = 208,
    float64: 1492) and spread wide enough to flush terms to 0: within the bound, same bits as
    the columns, and shift-invariant where the shift is exact (log_softmax: x - max)."""
    f = fastact.get(name)
    bound = STRUCTURED_BY_NAME[name].ulp[dtype.name][0]
    offsets = [-1e4, -1500.0, -300.0, -208.0, -207.5, -60.0, 0.0, 60.0, 207.5, 208.0, 300.0,
               1491.5, 1500.0, 1e4]
    for scale in (3.0, 40.0):
        x = rows(dtype, (len(offsets), 37), seed=11, scale=scale) + np.array(offsets, dtype)[:, None]
        got = f(x)
        err = ulps(got, getattr(sref, name)(wide(x)))
        assert err.max() <= bound, (scale, float(err.max()), offsets[int(err.max(1).argmax())])
        assert same_bits(got, f(np.asfortranarray(x), axis=1))
        assert same_bits(got.T, f(np.ascontiguousarray(x.T), axis=0))


@pytest.mark.parametrize("name", AXIS_FNS)
def test_short_rows_every_length(isa, name, dtype):
    """Every length of the short-row tiles (float32: 1..31, float64: 1..15, and the first
    lengths past them), 37 rows (whole tiles and a padded last one) with offset rows, -inf,
    +inf and NaN: forward and backward within their bounds, the same bits as the column
    layout (axis 0) and as the rows alone, in place too."""
    f = fastact.get(name)
    bound = STRUCTURED_BY_NAME[name].ulp[dtype.name][0]
    ref, ref_bwd = getattr(sref, name), getattr(sref, name + "_backward")
    for n in range(1, 35):
        x = rows(dtype, (37, n), seed=n)
        x[1] += 300.0
        x[2] -= 1e4
        x[3] *= 40.0
        x[4] += np.array(207.75, dtype)  # float32's switch of shift
        x[5, 0] = -np.inf
        x[6, n // 2] = np.nan
        x[7, n - 1] = np.inf
        x[8, : (n + 1) // 2] = -np.inf if name != "softmin" else np.inf
        with np.errstate(all="ignore"):
            y = f(x)
            err = ulps(y, ref(wide(x)))
        assert err.max() <= bound, (n, float(err.max()), int(err.max(1).argmax()))
        assert same_bits(y, f(np.ascontiguousarray(x.T), axis=0).T), n
        assert same_bits(y[30:], f(x[30:])), n
        xx = x.copy()
        assert f(xx, out=xx) is xx and same_bits(xx, y), n
        g = rows(dtype, (37, n), seed=100 + n, scale=1.0)
        ok = ~np.isnan(y).any(axis=1)
        gx = f.backward(g, y=y)
        want = ref_bwd(wide(g), wide(y))
        e = np.abs(gx - want)[ok] / (np.abs(g).max() * np.finfo(dtype).eps)
        assert e.max() < 16, (n, float(e.max()))
        assert np.isnan(gx[~ok]).all(), n
        assert same_bits(gx, f.backward(np.ascontiguousarray(g.T), y=np.ascontiguousarray(y.T), axis=0).T), n
        gg = g.copy()
        assert f.backward(gg, y=y, out=gg) is gg and same_bits(gg, gx), n


@pytest.mark.parametrize("name", AXIS_FNS)
def test_backward_from_y_rows_columns_tiles(isa, name, dtype):
    """Backward from y: rows, columns (axis 0) and in place give the same bits at lengths
    around the float32 products' flushes (every 16 terms of a lane: 256 elements) and the
    short-row tiles' ends; within the backward bound, and float32 softmax and softmin within 1
    ulp of the wide reference wherever g - sum(g y) does not cancel (>= 2^-8 max |g|)."""
    f = fastact.get(name)
    ref_bwd = getattr(sref, name + "_backward")
    for n in (17, 31, 33, 255, 256, 257, 272, 511, 513, 1000):
        x = rows(dtype, (19, n), seed=n, scale=3.0)
        y = f(x)
        g = rows(dtype, (19, n), seed=200 + n, scale=1.0)
        gx = f.backward(g, y=y)
        assert same_bits(gx, f.backward(np.ascontiguousarray(g.T), y=np.ascontiguousarray(y.T), axis=0).T), n
        assert same_bits(gx[7:9], f.backward(g[7:9], y=y[7:9])), n
        gg = g.copy()
        assert f.backward(gg, y=y, out=gg) is gg and same_bits(gg, gx), n
        want = ref_bwd(wide(g), wide(y))
        err = np.abs(gx - want) / (np.abs(g).max() * np.finfo(dtype).eps)
        assert err.max() < 16, (n, float(err.max()))
        if dtype == np.float32 and name != "log_softmax":  # float32's TwoSum form
            big = np.abs(want) >= np.abs(wide(y)) * np.abs(wide(g)).max() * 2.0 ** -8
            err = ulps(gx, want)[big]
            assert err.max() <= 1, (n, float(err.max()))


def test_log_softmax_dominant_element(dtype):
    """log_softmax of the dominant element is -log1p(tiny): full relative accuracy."""
    for tail in (-10.0, -30.0, -60.0, -100.0):
        x = np.array([0.0, tail, tail - 3, tail - 7], dtype)
        got = fastact.log_softmax(x)
        want = sref.log_softmax(wide(x))
        assert got[0] < 0 or want[0] == 0
        assert ulps(got, want).max() <= 3, (tail, got[0], want[0])


@pytest.mark.parametrize("name", AXIS_FNS)
def test_axis_edge_values(isa, name, dtype):
    f = fastact.get(name)
    assert same_bits(fastact.softmax(np.array([1000, 1000], dtype)), np.array([0.5, 0.5], dtype))
    assert same_bits(fastact.softmax(np.array([-1000, -1000], dtype)), np.array([0.5, 0.5], dtype))
    # NaN anywhere in a row: the whole row is NaN; other rows unaffected
    x = rows(dtype, (3, 9))
    x[1, 4] = np.nan
    y = f(x)
    assert np.isnan(y[1]).all() and not np.isnan(y[[0, 2]]).any()
    # +inf in a row (-inf for softmin): NaN row, as PyTorch; all -inf: NaN row
    big = np.inf if name != "softmin" else -np.inf
    for n in (3, 40):  # a short row and one through the vector body
        xb = np.linspace(1.0, 2.0, n).astype(dtype)
        xb[n // 2] = big
        assert np.isnan(f(xb)).all()
        assert np.isnan(f.reference(xb)).all()  # the reference agrees (log_softmax was -inf)
        assert np.isnan(f(np.ascontiguousarray(np.stack([xb, xb], 1)), axis=0)).all()
    assert np.isnan(f(np.full(4, -big, dtype))).all()
    assert np.isnan(f.reference(np.full(4, -big, dtype))).all()
    # -inf among finite values (+inf for softmin) contributes 0 (log: -inf)
    y = f(np.array([-big, 0.0, 0.0], dtype))
    assert y[0] == (-np.inf if name == "log_softmax" else 0)
    assert same_bits(y[1:], f(np.array([0.0, 0.0], dtype)))
    # rows of length 1
    assert same_bits(f(np.array([[3.0], [-2.0]], dtype)),
                     np.array([[0.0], [0.0]] if name == "log_softmax" else [[1.0], [1.0]], dtype))
    # empty arrays and empty axes
    assert f(np.empty((0, 5), dtype)).shape == (0, 5)
    assert f(np.empty((4, 0), dtype)).shape == (4, 0)
    assert f(np.empty((4, 0), dtype), axis=0).shape == (4, 0)


@pytest.mark.parametrize("name", AXIS_FNS)
@pytest.mark.parametrize("shape", [(4, 6, 37), (3, 4, 150)], ids=str)
def test_axis_any_layout_same_bits(name, dtype, shape):
    """Rows (contiguous axis) and columns (strided axis) give the same bits, for every axis of
    C, F, channels-last, transposed, strided and non-native arrays (150: the columns' sweeps
    of four rows per lane, and a remainder)."""
    f = fastact.get(name)
    x = rows(dtype, shape, seed=3)
    x[0, 0, 5] = np.inf
    x[1, 2, 3] = -np.inf
    for axis in range(3):
        want = f(np.ascontiguousarray(np.moveaxis(x, axis, -1)), axis=-1)
        want = np.moveaxis(want, -1, axis)
        for arr in (x, np.asfortranarray(x), np.ascontiguousarray(x.transpose(0, 2, 1)).transpose(0, 2, 1),
                    np.repeat(x, 2, axis=2)[:, :, ::2], x.astype(x.dtype.newbyteorder()),
                    x[::-1].copy()[::-1]):
            with np.errstate(all="ignore"):
                got = f(arr, axis=axis)
            assert same_bits(got, want), (axis, arr.flags)


@pytest.mark.parametrize("name", AXIS_FNS)
def test_axis_tuple_and_none(name, dtype):
    f = fastact.get(name)
    x = rows(dtype, (3, 4, 5), seed=4)
    for axis in [(0, 1), (1, 2), (0, 2), (0, 1, 2), None, (2, 0), ()]:
        got = f(x, axis=axis)
        want = getattr(sref, name)(wide(x), axis=axis)
        assert ulps(got, want).max() <= 3, axis
        assert same_bits(got, f(np.asfortranarray(x), axis=axis)), axis
    assert same_bits(f(x, axis=None), f(x.reshape(-1)).reshape(x.shape))
    assert same_bits(f(x, axis=(1, 2)), f(x.reshape(3, 20)).reshape(x.shape))
    assert same_bits(f(np.float64(2.0), axis=None), np.float64(0.0 if name == "log_softmax" else 1.0))


def test_axis_errors_leave_out_untouched():
    x = np.ones((3, 4))
    o = np.full((3, 4), 7.0)
    for axis in (2, -3, (0, 5)):
        with pytest.raises(np.exceptions.AxisError):
            fastact.softmax(x, axis=axis, out=o)
    for axis in (1.0, "0", [0], True):
        with pytest.raises(TypeError, match="axis"):
            fastact.log_softmax(x, axis=axis, out=o)
    with pytest.raises(ValueError, match="repeated"):
        fastact.softmin(x, axis=(1, 1), out=o)
    with pytest.raises(ValueError, match="shape"):
        fastact.softmax(x, out=np.empty((4, 3)))
    with pytest.raises(TypeError, match="cast"):
        fastact.softmax(x, out=np.empty((3, 4), np.int32))
    with pytest.raises(TypeError, match="x"):
        fastact.softmax(np.ones(3, complex))
    with pytest.raises(TypeError, match="x= or y="):
        fastact.softmax.backward(x, out=o)
    with pytest.raises(np.exceptions.AxisError):
        fastact.softmax(np.float64(1.0))  # axis=-1 of a 0-d array
    assert (o == 7.0).all()


@pytest.mark.parametrize("name", AXIS_FNS)
def test_axis_backward(isa, name, dtype):
    f = fastact.get(name)
    x = rows(dtype, (6, 50), seed=5)
    g = rows(dtype, (6, 50), seed=6, scale=1.0)
    for axis in (-1, 0):
        y = f(x, axis=axis)
        got = f.backward(g, y=y, axis=axis)
        want = getattr(sref, name + "_backward")(wide(g), wide(y), axis=axis)
        err = np.abs(got - want) / (np.abs(g).max() * np.finfo(dtype).eps)
        assert err.max() < 16, float(err.max())
        assert same_bits(f.backward(g, x=x, axis=axis), got)
        assert same_bits(f.backward(g, y=np.asfortranarray(y), axis=axis), got)
        gg = g.copy()
        assert f.backward(gg, y=y, out=gg, axis=axis) is gg and same_bits(gg, got)
        yy = y.copy()
        assert f.backward(g, y=yy, out=yy, axis=axis) is yy and same_bits(yy, got)
    # broadcasting g
    y = f(x)
    assert same_bits(f.backward(g[0], y=y), f.backward(np.broadcast_to(g[0], y.shape).copy(), y=y))


@pytest.mark.parametrize("name", AXIS_FNS)
def test_axis_finite_differences(name):
    """backward is the vector-Jacobian product of the forward (central differences, float64)."""
    f = fastact.get(name)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 7))
    g = rng.standard_normal((3, 7))
    np.testing.assert_allclose(f.backward(g, x=x), vjp_by_differences(f, x, g), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", AXIS_FNS)
def test_axis_inplace_and_dtypes(name):
    f = fastact.get(name)
    x = rows(np.float32, (4, 9))
    want = f(x)
    a = x.copy()
    assert f.inplace(a) is a and same_bits(a, want)
    a = x.copy()
    assert f(a, out=a) is a and same_bits(a, want)
    a = np.asfortranarray(x)
    assert f(a, axis=0, out=a) is a and same_bits(a, f(x, axis=0))
    h = f(x.astype(np.float16))
    assert h.dtype == np.float16 and same_bits(h, f(x.astype(np.float16).astype(np.float32)).astype(np.float16))
    assert f(np.array([1, 2, 3])).dtype == np.float64
    assert same_bits(f([1.0, 2.0]), f(np.array([1.0, 2.0])))
    o64 = np.empty((4, 9))
    assert f(x, out=o64) is o64 and same_bits(o64, want.astype(np.float64))
    with pytest.raises(TypeError):
        f.inplace(np.ones(3, np.int64))


def test_axis_threads_bit_identical(threads, dtype):
    """Rows split across threads, and column blocks of a strided axis, give the same bits."""
    shapes = [((300, 257), -1), ((257, 300), 0), ((3, 200, 130), 1), ((64, 2000), -1)]
    for shape, axis in shapes:
        x = rows(dtype, shape, seed=9)
        g = rows(dtype, shape, seed=10)
        for name in AXIS_FNS:
            f = fastact.get(name)
            fastact.set_num_threads(1)
            one = [f(x, axis=axis), f.backward(g, x=x, axis=axis)]
            for n in (2, 3):
                fastact.set_num_threads(n)
                fastact._core.set_thresholds(nogil_min=0, parallel_min=0)
                many = [f(x, axis=axis), f.backward(g, x=x, axis=axis)]
                assert all(same_bits(a, b) for a, b in zip(one, many)), (name, shape, n)


def test_scipy_agreement(dtype):
    special = pytest.importorskip("scipy.special")
    x = rows(dtype, (3, 4, 5), seed=11)
    for axis in [None, (0, 1), (1, 2), (0, 2), -1, 0]:
        tol = dict(rtol=2e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(fastact.softmax(x, axis=axis), special.softmax(x, axis=axis), **tol)
        np.testing.assert_allclose(fastact.log_softmax(x, axis=axis), special.log_softmax(x, axis=axis), **tol)


# ================================================================ glu

@pytest.mark.parametrize("shape,axis", [((6, 40), -1), ((6, 40), 0), ((3, 8, 5), 1), ((2,), 0),
                                        ((4, 0), -1), ((0, 6), 1)])
def test_glu_values_and_backward(isa, dtype, shape, axis):
    x = rows(dtype, shape, seed=12, scale=4)
    y = fastact.glu(x, axis=axis)
    want = sref.glu(wide(x), axis=axis)
    assert y.shape == want.shape and y.dtype == dtype
    assert ulps(y, want).max(initial=0) <= STRUCTURED_BY_NAME["glu"].ulp[dtype.name][0]
    g = rows(dtype, y.shape, seed=13, scale=1)
    gx = fastact.glu.backward(g, x=x, axis=axis)
    gw = sref.glu_backward(wide(g), wide(x), axis=axis)
    assert gx.shape == x.shape
    assert ulps(gx, gw).max(initial=0) <= STRUCTURED_BY_NAME["glu"].ulp[dtype.name][1]
    for arr in (np.asfortranarray(x), x.astype(x.dtype.newbyteorder()), np.repeat(x, 2, axis=-1)[..., ::2]):
        assert same_bits(fastact.glu(arr, axis=axis), y)
        assert same_bits(fastact.glu.backward(g, x=arr, axis=axis), gx)
    xx = x.copy()
    assert fastact.glu.backward(g, x=xx, axis=axis, out=xx) is xx and same_bits(xx, gx)


def test_glu_edges_and_errors():
    x = np.array([[np.nan, 1.0, 2.0, np.nan], [np.inf, -np.inf, 0.0, 5.0],
                  [np.inf, 1.0, -np.inf, 0.0]])
    y = fastact.glu(x)
    assert np.isnan(y[0]).all()
    assert y[1, 0] == np.inf and y[1, 1] == -np.inf  # inf * sigmoid(0); -inf * sigmoid(5)
    assert np.isnan(y[2, 0]) and y[2, 1] == 0.5  # inf * sigmoid(-inf): NaN, as in PyTorch
    with pytest.raises(ValueError, match="odd"):
        fastact.glu(np.ones((3, 5)))
    with pytest.raises(ValueError, match="odd"):
        fastact.glu(np.ones((3, 4)), axis=0)
    with pytest.raises(np.exceptions.AxisError):
        fastact.glu(np.ones((3, 4)), axis=2)
    for bad in (None, (), (1,)):  # the kernel path and the reference refuse alike
        for call in (lambda a: fastact.glu(np.ones((3, 4)), axis=a),
                     lambda a: fastact.glu.reference(np.ones((3, 4)), axis=a),
                     lambda a: fastact.glu.backward(np.ones((3, 2)), x=np.ones((3, 4)), axis=a),
                     lambda a: fastact.glu.reference_backward(np.ones((3, 2)), np.ones((3, 4)), axis=a)):
            with pytest.raises(TypeError, match="axis must be an int"):
                call(bad)
    for call in (fastact.glu, fastact.glu.reference):
        with pytest.raises(ValueError, match="at least one dimension"):
            call(np.float64(1.0))
    with pytest.raises(ValueError, match="g"):
        fastact.glu.backward(np.ones((3, 4)), x=np.ones((3, 4)))
    o = np.full((3, 2), 7.0)
    with pytest.raises(ValueError):
        fastact.glu(np.ones((3, 5)), out=o)
    assert (o == 7.0).all()
    assert fastact.glu(np.ones((3, 4)), out=o) is o


def test_glu_finite_differences():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((3, 8))
    g = rng.standard_normal((3, 4))
    np.testing.assert_allclose(fastact.glu.backward(g, x=x), vjp_by_differences(fastact.glu, x, g),
                               rtol=1e-6, atol=1e-8)


# ================================================================ prelu, mpelu

CHANNEL_SHAPES = [(1000,), (7, 5), (3, 4, 5, 6), (2, 3, 17), (4, 1, 9)]


@pytest.mark.parametrize("name", CHANNEL_FNS)
@pytest.mark.parametrize("shape", CHANNEL_SHAPES, ids=str)
def test_channel_values_and_gradients(isa, name, dtype, shape):
    f = fastact.get(name)
    x = rows(dtype, shape, seed=15, scale=3)
    x.reshape(-1)[:len(SPECIAL)] = np.array(SPECIAL)[: x.size]
    nchan = shape[1] if len(shape) >= 2 else 1
    p = params_of(name, nchan, dtype)
    spec = STRUCTURED_BY_NAME[name]
    with np.errstate(all="ignore"):
        y, d = f(x, **p), f.grad(x, **p)
        g = rows(dtype, shape, seed=16, scale=1)
        gx, grads = f.backward(g, x=x, param_grads=True, **p)
        wy, wd = f.reference(x, **p), f.reference_grad(x, **p)
        wgx, wgrads = sref.__dict__[name + "_backward"](wide(g), wide(x), **p)
    if name == "prelu":
        assert same_bits(y, wy) and same_bits(d, wd)
    else:
        assert ulps(y, getattr(sref, name)(wide(x), **p)).max() <= spec.ulp[dtype.name][0]
        assert ulps(d, getattr(sref, name + "_grad")(wide(x), **p)).max() <= spec.ulp[dtype.name][1]
    with np.errstate(all="ignore"):
        assert same_bits(gx, f.backward(g, x=x, **p))
        assert same_bits(gx, np.where(np.isnan(g * d) & ~np.isnan(g) & ~np.isnan(d), 0, g * d).astype(dtype))
    assert set(grads) == set(spec.learnable)
    for k in grads:
        assert grads[k].shape == np.shape(p[k]) and grads[k].dtype == dtype
        np.testing.assert_allclose(grads[k], wgrads[k], rtol=1e-5 if dtype == np.float32 else 1e-12,
                                   atol=1e-4 if dtype == np.float32 else 1e-10)


@pytest.mark.parametrize("name", CHANNEL_FNS)
def test_channel_layouts_same_bits(name, dtype):
    """NCHW, channels-last (NHWC memory), F order and strided views give the same bits."""
    f = fastact.get(name)
    x = rows(dtype, (2, 5, 3, 4), seed=17)
    p = params_of(name, 5, dtype)
    g = rows(dtype, x.shape, seed=18)
    want = [f(x, **p), f.grad(x, **p)] + list(f.backward(g, x=x, param_grads=True, **p))
    last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    for arr in (last, np.asfortranarray(x), np.repeat(x, 2, axis=3)[..., ::2],
                x.astype(x.dtype.newbyteorder())):
        got = [f(arr, **p), f.grad(arr, **p)] + list(f.backward(g, x=arr, param_grads=True, **p))
        for a, b in zip(got[:3], want[:3]):
            assert same_bits(a, b)
        for k in got[3]:
            np.testing.assert_allclose(got[3][k], want[3][k], rtol=1e-12 if dtype == np.float64 else 1e-6)


@pytest.mark.parametrize("name", CHANNEL_FNS)
def test_channel_param_grads_fused_in_place(isa, name, dtype):
    """The parameter gradients are reduced in the same pass that writes g * f'(x): in place into
    g or into x, on a vector body with a tail and on channels-last, they do not change."""
    f = fastact.get(name)
    x = rows(dtype, (3, 4, 5, 41), seed=40)
    x.reshape(-1)[::7] = -np.abs(x.reshape(-1)[::7])
    p = params_of(name, 4, dtype)
    g = rows(dtype, x.shape, seed=41)
    want_gx, want = f.backward(g, x=x, param_grads=True, **p)
    _, ref = sref.__dict__[name + "_backward"](wide(g), wide(x), **p)
    for k in want:
        np.testing.assert_allclose(want[k], ref[k], rtol=1e-5 if dtype == np.float32 else 1e-12)
    last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    for arr in (x, last):
        gg, xx = g.copy(), arr.copy(order="K")
        for target, xin in ((gg, arr), (xx, xx)):
            gx, grads = f.backward(gg if target is gg else g, x=xin, out=target, param_grads=True, **p)
            assert gx is target and same_bits(gx, want_gx)
            for k in want:
                np.testing.assert_allclose(grads[k], want[k], rtol=1e-12 if dtype == np.float64 else 1e-6)


def test_mpelu_negative_beta_refused_with_zero_channels():
    """Fuzz finding: with zero channels (x of shape (2, 0)) the per-channel beta was empty and
    a negative beta passed the check."""
    for beta in (-1.0, np.array([-1.0])):
        with pytest.raises(ValueError, match="beta"):
            fastact.mpelu(np.empty((2, 0)), beta=beta)


def test_mpelu_large_beta_x_accuracy():
    """Fuzz finding: at |beta x| in the hundreds the float64 reference rounded beta x before
    the exp (off by up to |beta x| / 2 ulps, 485 at 700); the kernel keeps the product's
    rounding error.  Both now agree within a few ulps with the exact e^(beta x) (these
    values: mpmath at 200 bits, alpha = 1.7, beta = 97.3)."""
    x = -np.linspace(1.0, 7.0, 301)
    p = {"alpha": 1.7, "beta": 97.3}
    got, ref = fastact.mpelu.grad(x, **p), fastact.mpelu.reference_grad(x, **p)
    assert ulps(got, ref).max() <= 4
    exact = np.array([2.0872571118840895e-146, 2.6338445384866157e-294])  # x = -3.5, -7
    assert ulps(fastact.mpelu.grad(np.array([-3.5, -7.0]), **p), exact).max() <= 3
    assert ulps(fastact.mpelu.reference_grad(np.array([-3.5, -7.0]), **p), exact).max() <= 3


@pytest.mark.parametrize("name", CHANNEL_FNS)
def test_channel_param_grads_ignore_g_where_x_positive(name, dtype):
    """Fuzz finding: a NaN g where x > 0 reached the parameter gradients (NaN * 0).  As in
    PyTorch's prelu, an element with x > 0 adds exactly 0; a NaN x still adds NaN."""
    f = fastact.get(name)
    x = rows(dtype, (4, 3, 9), seed=27)
    p = params_of(name, 3, dtype)
    g = rows(dtype, x.shape, seed=28)
    pos = x > 0
    g[pos & (np.arange(x.size).reshape(x.shape) % 2 == 0)] = np.nan
    g[pos & (np.arange(x.size).reshape(x.shape) % 2 == 1)] = np.inf
    _, grads = f.backward(g, x=x, param_grads=True, **p)
    g0 = np.where(pos, 0, g)
    _, want = f.backward(g0, x=x, param_grads=True, **p)
    _, ref = sref.__dict__[name + "_backward"](g, x, **p)
    for k in grads:
        assert np.isfinite(grads[k]).all() and same_bits(grads[k], want[k])
        np.testing.assert_allclose(grads[k], ref[k], rtol=1e-5 if dtype == np.float32 else 1e-12)
    x2 = x.copy()
    x2[0, 0, 0] = np.nan
    _, grads = f.backward(g0, x=x2, param_grads=True, **p)
    assert all(np.isnan(v[0]) for v in grads.values())


@pytest.mark.parametrize("name", CHANNEL_FNS)
def test_channel_parameter_shapes_and_errors(name):
    f = fastact.get(name)
    pname = STRUCTURED_BY_NAME[name].learnable[0]
    x = rows(np.float64, (4, 3, 2), seed=19)
    full = params_of(name, 3)
    one = {k: v[:1] for k, v in full.items()}
    scalar = {k: float(v[0]) for k, v in full.items()}
    a, b = f(x, **one), f(x, **scalar)
    assert same_bits(a, b)
    assert same_bits(f(x, **{k: np.repeat(v, 3) for k, v in one.items()}), a)
    _, grads = f.backward(np.ones_like(x), x=x, param_grads=True, **scalar)
    assert all(np.ndim(v) == 0 for v in grads.values())
    _, grads1 = f.backward(np.ones_like(x), x=x, param_grads=True, **one)
    assert all(v.shape == (1,) for v in grads1.values())
    np.testing.assert_allclose(grads1[pname][0], grads[pname])
    bad = dict(full, **{pname: np.ones(4)})
    o = np.full(x.shape, 7.0)
    with pytest.raises(ValueError, match=pname):
        f(x, out=o, **bad)
    with pytest.raises(ValueError, match=pname):
        f(x, out=o, **dict(full, **{pname: np.ones((3, 1))}))
    with pytest.raises(ValueError, match=pname):
        f(x, out=o, **dict(full, **{pname: np.array([0.1, np.nan, 0.2])}))
    with pytest.raises(TypeError, match=pname):
        f(x, out=o, **dict(full, **{pname: "0.1"}))
    with pytest.raises(TypeError, match="unexpected"):
        f(x, out=o, slope=0.1, **full)
    if name == "mpelu":
        with pytest.raises(ValueError, match="beta"):
            f(x, out=o, alpha=1.0, beta=-1.0)
    else:
        with pytest.raises(TypeError, match="weight"):
            f(x, out=o)
    with pytest.raises(TypeError, match="x="):
        f.backward(np.ones_like(x), **full)
    assert (o == 7.0).all()
    # a 1-D x is one channel: only a scalar or length-1 parameter
    with pytest.raises(ValueError, match=pname):
        f(np.ones(3), **full)
    assert f(np.ones(3), **one).shape == (3,)


@pytest.mark.parametrize("name", CHANNEL_FNS)
def test_channel_parameter_finite_differences(name):
    f = fastact.get(name)
    rng = np.random.default_rng(20)
    x = rng.uniform(-4, 4, (6, 3, 5))
    x[np.abs(x) < 1e-3] = 0.5
    g = rng.standard_normal(x.shape)
    p = params_of(name, 3)
    h = 1e-6
    _, grads = f.backward(g, x=x, param_grads=True, **p)
    for k, v in p.items():
        fd = np.empty_like(v)
        for c in range(v.size):
            e = np.zeros_like(v)
            e[c] = h
            fd[c] = np.sum(g * (f(x, **dict(p, **{k: v + e})) - f(x, **dict(p, **{k: v - e})))) / (2 * h)
        np.testing.assert_allclose(grads[k], fd, rtol=1e-6, atol=1e-7)
    fd = (f(x + h, **p) - f(x - h, **p)) / (2 * h)
    np.testing.assert_allclose(f.grad(x, **p), fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", CHANNEL_FNS)
def test_channel_in_place_and_threads(threads, name, dtype):
    f = fastact.get(name)
    x = rows(dtype, (40, 8, 301), seed=21)
    p = params_of(name, 8, dtype)
    g = rows(dtype, x.shape, seed=22)
    fastact.set_num_threads(1)
    want = [f(x, **p), f.grad(x, **p), f.backward(g, x=x, **p)]
    fastact.set_num_threads(3)
    fastact._core.set_thresholds(nogil_min=0, parallel_min=0)
    assert all(same_bits(a, b) for a, b in
               zip(want, [f(x, **p), f.grad(x, **p), f.backward(g, x=x, **p)]))
    a = x.copy()
    assert f.inplace(a, **p) is a and same_bits(a, want[0])
    gg = g.copy()
    assert f.backward(gg, x=x, out=gg, **p) is gg and same_bits(gg, want[2])


# ================================================================ rrelu

def test_rrelu_eval_is_leaky_relu(isa, dtype):
    x = rows(dtype, 1001, seed=23)
    x[:len(SPECIAL)] = SPECIAL
    # float32: products that land on a float tie when rounded through double (subnormal x
    # with slope 0.01, where a plain double product rounds twice)
    x[20:30] = (-np.arange(10250, 10260) * 2.0**-149).astype(dtype) if dtype == np.float32 else -1.0
    for lo, up in ((1 / 8, 1 / 3), (0.0, 0.0), (0.2, 0.2), (0.005, 0.015), (-0.5, -0.25)):
        slope = 0.5 * (lo + up)
        with np.errstate(all="ignore"):
            want = np.where(x >= 0, x, fastact.leaky_relu(x, negative_slope=slope))
        assert same_bits(fastact.rrelu(x, lower=lo, upper=up), want)
        assert same_bits(fastact.rrelu.reference(x, lower=lo, upper=up), want)
        d = fastact.rrelu.grad(x, lower=lo, upper=up)
        assert same_bits(d, np.where(np.isnan(x), x, np.where(x >= 0, 1, dtype.type(slope))).astype(dtype))


def test_rrelu_training(isa, dtype, threads):
    x = rows(dtype, (30, 1001), seed=24)
    x[0, :len(SPECIAL)] = SPECIAL
    s = np.empty_like(x)
    y = fastact.rrelu(x, training=True, generator=42, slopes=s)
    assert ((s >= 1 / 8 - 1e-7) & (s <= 1 / 3 + 1e-7)).all()
    assert abs(s.mean() - (1 / 8 + 1 / 3) / 2) < 2e-3 and abs(s.std() - (1 / 3 - 1 / 8) / 12 ** 0.5) < 2e-3
    assert same_bits(y, fastact.rrelu.reference(x, slopes=s))
    assert same_bits(s, sref.rrelu_slopes(x.shape, fastact._core._stream_key(42), 1 / 8, 1 / 3, dtype))
    # the same seed: the same slopes, whatever the threads and the layout
    fastact.set_num_threads(3)
    fastact._core.set_thresholds(nogil_min=0, parallel_min=0)
    s2 = np.empty_like(x)
    assert same_bits(fastact.rrelu(x, training=True, generator=42, slopes=s2), y) and same_bits(s2, s)
    sf = np.empty_like(x, order="F")
    assert same_bits(fastact.rrelu(np.asfortranarray(x), training=True, generator=42, slopes=sf), y)
    assert same_bits(sf, s)
    assert not same_bits(fastact.rrelu(x, training=True, generator=43), y)
    # a Generator: one draw makes the key
    y1 = fastact.rrelu(x, training=True, generator=np.random.default_rng(5))
    assert same_bits(fastact.rrelu(x, training=True, generator=np.random.default_rng(5)), y1)
    # backward with the slopes
    g = rows(dtype, x.shape, seed=25)
    with np.errstate(all="ignore"):
        want = np.where(np.isnan(x), x, g * np.where(x >= 0, 1, s))
        want = np.where(np.isnan(want) & ~np.isnan(x) & ~np.isnan(g), 0, want).astype(dtype)
    assert same_bits(fastact.rrelu.backward(g, x=x, slopes=s, training=True), want)
    assert same_bits(fastact.rrelu.grad(x, slopes=s), fastact.rrelu.reference_grad(x, slopes=s))
    gg = g.copy()
    assert fastact.rrelu.backward(gg, x=x, slopes=s, out=gg) is gg and same_bits(gg, want)


def test_rrelu_slopes_are_uniform(isa, dtype):
    """The drawn slopes are U(lower, upper): inside [lower, upper] exactly, and a
    Kolmogorov-Smirnov test on 10^5 draws (fixed seeds) does not reject uniformity; neighbouring
    elements are uncorrelated.  lower = 0 runs the kernel's guarded loop (0 * -inf: 0), which
    must agree with the reference."""
    stats = pytest.importorskip("scipy.stats")
    x = -np.ones(100_000, dtype)
    for lower, upper, seed in ((1 / 8, 1 / 3, 3), (0.0, 1.0, 4), (0.25, 0.2500001, 5)):
        s = np.empty_like(x)
        fastact.rrelu(x, training=True, lower=lower, upper=upper, generator=seed, slopes=s)
        assert s.min() >= dtype.type(lower) and s.max() <= dtype.type(upper), (lower, upper)
        if upper - lower > 1e-3:
            assert stats.kstest(s, stats.uniform(lower, upper - lower).cdf).pvalue > 1e-3, (lower, upper)
            assert abs(np.corrcoef(s[0::2], s[1::2])[0, 1]) < 0.02
    x = rows(dtype, (7, 301), seed=26)
    x[0, :len(SPECIAL)] = SPECIAL
    s = np.empty_like(x)
    with np.errstate(all="ignore"):
        y = fastact.rrelu(x, training=True, lower=0.0, upper=0.5, generator=8, slopes=s)
    assert same_bits(s, sref.rrelu_slopes(x.shape, fastact._core._stream_key(8), 0.0, 0.5, dtype))
    assert same_bits(y, fastact.rrelu.reference(x, slopes=s))


def test_rrelu_narrower_slopes_are_the_ones_used(dtype):
    """Fuzz finding: slopes= of a narrower dtype received rounded slopes while y used the
    unrounded ones, so backward(slopes=) and the reference disagreed with the forward."""
    x = rows(dtype, (7, 33), seed=26)
    narrow = np.float16 if dtype == np.float32 else np.float32
    s = np.empty(x.shape, narrow)
    y = fastact.rrelu(x, training=True, generator=9, slopes=s)
    assert same_bits(y, fastact.rrelu.reference(x, slopes=s.astype(dtype)))
    assert same_bits(fastact.rrelu.backward(x, x=x, slopes=s, training=True), y)
    # in place into x as well
    xx = x.copy()
    assert fastact.rrelu.inplace(xx, training=True, generator=9, slopes=np.empty_like(s)) is xx
    assert same_bits(xx, y)
    wide_s = np.empty(x.shape, np.longdouble)  # a wider slopes= holds them exactly
    y2 = fastact.rrelu(x, training=True, generator=9, slopes=wide_s)
    assert same_bits(y2, fastact.rrelu.reference(x, slopes=wide_s.astype(dtype)))


def test_rrelu_errors():
    x = np.ones(4)
    o = np.full(4, 7.0)
    with pytest.raises(ValueError, match="lower"):
        fastact.rrelu(x, out=o, lower=0.5, upper=0.1)
    with pytest.raises(ValueError, match="slopes"):
        fastact.rrelu.backward(x, x=x, training=True, out=o)
    with pytest.raises(ValueError, match="training"):
        fastact.rrelu(x, out=o, slopes=np.empty(4))
    with pytest.raises(ValueError, match="shape"):
        fastact.rrelu(x, out=o, training=True, slopes=np.empty(5))
    with pytest.raises(TypeError, match="generator"):
        fastact.rrelu(x, out=o, training=True, generator="seed")
    with pytest.raises(TypeError, match="unexpected"):
        fastact.rrelu(x, out=o, negative_slope=0.1)
    assert (o == 7.0).all()


# ================================================================ catalogue, references

def test_catalogue_and_reference_module():
    for spec in STRUCTURED_SPECS:
        f = fastact.get(spec.name)
        assert f.name == spec.name and spec.name in fastact.functions()
        assert spec.formula.split()[0] in f.__doc__ or spec.name in f.__doc__
        assert repr(f) == f"<fastact function {spec.name}>"
        import pickle
        assert pickle.loads(pickle.dumps(f)) is f
    x = rows(np.float32, (3, 4))
    assert same_bits(fastact.reference.softmax(x, axis=0), fastact.softmax.reference(x, axis=0))
    gx, grads = fastact.reference.prelu_backward(np.ones_like(x), x, weight=0.25)
    assert gx.dtype == np.float32 and np.ndim(grads["weight"]) == 0
    assert fastact.prelu.params == {"weight": None}
    assert fastact.mpelu.params == {"alpha": 1.0, "beta": 1.0}
    assert fastact.softmax.from_y and not fastact.glu.from_y


def test_readme_structured_table():
    import pathlib

    from fastact._registry import structured_markdown_table

    readme = pathlib.Path(__file__).resolve().parent.parent / "README.md"
    if not readme.is_file():
        pytest.skip("README.md not next to the tests (installed package)")
    assert structured_markdown_table() in readme.read_text()


# ================================================================ PyTorch autograd (optional)

def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("name", AXIS_FNS + ["glu"])
def test_torch_axis_functions(name, dtype):
    torch = _torch()
    x = rows(dtype, (4, 6, 10), seed=26)
    x[0, 0, :3] = [np.inf, 1.0, 2.0]
    x[1, 1, :2] = [-np.inf, 0.0]
    x[2, 2, 1] = np.nan
    x[3, 3, :] = 1000.0
    g = rows(dtype, (4, 6, 10) if name != "glu" else (4, 6, 5), seed=27)
    tf = {"softmax": torch.softmax, "log_softmax": torch.log_softmax,
          "softmin": lambda t, dim: torch.nn.functional.softmin(t, dim=dim),
          "glu": lambda t, dim: torch.nn.functional.glu(t, dim=dim)}[name]
    f = fastact.get(name)
    for axis in (-1, 1):
        gg = g if name != "glu" or axis == -1 else rows(dtype, (4, 3, 10), seed=27)
        t = torch.tensor(x, requires_grad=True)
        ty = tf(t, axis)
        ty.backward(torch.tensor(gg))
        y = f(x, axis=axis)
        gx = f.backward(gg, x=x, axis=axis)
        tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(y, ty.detach().numpy(), equal_nan=True, **tol)
        np.testing.assert_allclose(f.reference(x, axis=axis), ty.detach().numpy(), equal_nan=True, **tol)
        if name == "glu" and dtype == np.float32:
            tol["atol"] = 1e-5  # PyTorch's float32 s (1 - s) cancels for large b
        finite = np.isfinite(x).all(axis=axis, keepdims=True) if name != "glu" else True
        np.testing.assert_allclose(np.where(finite, gx, 0), np.where(finite, t.grad.numpy(), 0),
                                   equal_nan=True, **tol)


def test_torch_prelu(dtype):
    torch = _torch()
    x = rows(dtype, (4, 3, 5, 2), seed=28)
    x.reshape(-1)[:6] = [0.0, -0.0, np.inf, -np.inf, 1e-40, -1e-40]
    g = rows(dtype, x.shape, seed=29)
    for w in (np.array([0.1, -0.2, 0.3], dtype), np.array([0.25], dtype)):
        t = torch.tensor(x, requires_grad=True)
        tw = torch.tensor(w, requires_grad=True)
        ty = torch.nn.functional.prelu(t, tw)
        ty.backward(torch.tensor(g))
        y = fastact.prelu(x, weight=w)
        gx, grads = fastact.prelu.backward(g, x=x, weight=w, param_grads=True)
        np.testing.assert_array_equal(y, ty.detach().numpy())
        np.testing.assert_allclose(gx, t.grad.numpy(), rtol=1e-6)
        ok = np.isfinite(x).all()
        tgw = tw.grad.numpy()
        if not ok:  # torch: -inf * g in the weight sum; fastact as well (no 0 * inf here)
            np.testing.assert_array_equal(np.isinf(grads["weight"]), np.isinf(tgw))
        else:
            np.testing.assert_allclose(grads["weight"], tgw, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_torch_rrelu_eval_and_training_backward(dtype):
    torch = _torch()
    x = rows(dtype, 1000, seed=30)
    t = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.rrelu(t, 0.1, 0.3, training=False)
    # fastact rounds x * (lower + upper) / 2 once, like its leaky_relu; PyTorch rounds the slope
    # to the dtype first: at most 1 ulp apart
    np.testing.assert_allclose(fastact.rrelu(x, lower=0.1, upper=0.3), ty.detach().numpy(),
                               rtol=np.finfo(dtype).eps, atol=0)
    # training: torch's slopes come from its own generator; compare given the same slopes
    ty = torch.nn.functional.rrelu(t, 0.1, 0.3, training=True)
    g = np.ones_like(x)
    ty.backward(torch.tensor(g))
    slopes = np.where(x >= 0, 1, t.grad.numpy())
    np.testing.assert_allclose(fastact.rrelu.reference(x, slopes=slopes), ty.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(fastact.rrelu.backward(g, x=x, slopes=slopes, training=True), t.grad.numpy())
