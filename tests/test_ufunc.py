"""The NumPy ufuncs (f.ufunc, f.grad_ufunc, f.backward_ufunc, f.backward_from_y_ufunc), the
layouts they serve without copies, float16 and bfloat16, and __array_ufunc__ dispatch."""
import pickle

import numpy as np
import pytest

import fastact
from fastact import _core
from fastact._registry import SPECS

from conftest import params_for, same_bits

SPEC_IDS = [s.name for s in SPECS]


def ufuncs_of(f):
    return [u for u in (f.ufunc, f.grad_ufunc, f.backward_ufunc, f.backward_from_y_ufunc)
            if u is not None]


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_ufuncs_are_numpy_ufuncs_and_agree_with_the_methods(spec):
    f = fastact.get(spec.name)
    p = params_for(spec)
    pv = list(spec.resolve(p, spec.name))  # the ufunc operands: choices as their index
    assert (f.backward_from_y_ufunc is not None) == spec.from_y
    for u in ufuncs_of(f):
        assert isinstance(u, np.ufunc) and u.nout == 1
        assert pickle.loads(pickle.dumps(u)) is u  # pickled by name: fastact.<name>.<attr>
        assert u.__name__.startswith(spec.name + ".")
    x = np.linspace(-7, 7, 301)
    g = np.linspace(3, -3, 301)
    for dt in (np.float16, np.float32, np.float64):
        xd, gd = x.astype(dt), g.astype(dt)
        with np.errstate(all="ignore"):
            assert same_bits(f.ufunc(xd, *pv), f(xd, **p))
            assert same_bits(f.grad_ufunc(xd, *pv), f.grad(xd, **p))
            assert same_bits(f.backward_ufunc(gd, xd, *pv), f.backward(gd, x=xd, **p))
            if spec.from_y:
                assert same_bits(f.backward_from_y_ufunc(gd, xd, *pv), f.backward(gd, y=xd, **p))


def test_parameters_broadcast_and_bad_parameters_give_nan():
    x = np.linspace(-2, 2, 5, dtype=np.float32)
    slopes = np.array([[0.0], [0.1], [0.5]])
    r = fastact.leaky_relu.ufunc(x, slopes)
    assert r.shape == (3, 5) and r.dtype == np.float32
    for i, s in enumerate(slopes[:, 0]):
        assert same_bits(r[i], fastact.leaky_relu(x, negative_slope=float(s)))
    # a per-element parameter that changes along the loop
    lam = np.array([0.5, -1.0, 0.5, 0.5, np.nan])
    r = fastact.softshrink.ufunc(x, lam)
    assert np.isnan(r[[1, 4]]).all()  # lambd < 0 breaks a rule, NaN is no value
    assert same_bits(r[[0, 2, 3]], fastact.softshrink(x, lambd=0.5)[[0, 2, 3]])
    lo = np.array([-1.0, 2.0])[:, None]
    r = fastact.hardtanh.ufunc(x, lo, 1.0)
    assert np.isnan(r[1]).all() and same_bits(r[0], fastact.hardtanh(x))


def test_ufunc_keywords_through_the_methods():
    x = np.linspace(-3, 3, 8, dtype=np.float32)
    o = np.full(8, 7.0, np.float32)
    mask = x > 0
    fastact.sigmoid(x, out=o, where=mask)
    assert same_bits(o[mask], fastact.sigmoid(x)[mask]) and (o[~mask] == 7.0).all()
    assert fastact.sigmoid(x, dtype=np.float64).dtype == np.float64
    assert same_bits(fastact.sigmoid(x, dtype=np.float64), fastact.sigmoid(x.astype(np.float64)))
    with pytest.raises(TypeError):
        fastact.sigmoid(x, out=np.empty(8, np.float16), casting="safe")
    f = fastact.tanh.grad(np.ones((3, 4)), order="F")
    assert f.flags.f_contiguous
    o = np.zeros((3, 4))
    b = fastact.tanh.backward(np.ones(4), x=np.ones((3, 4)), out=o, where=np.array([True, False, True, True]))
    assert b is o and (o[:, 1] == 0).all() and (o[:, 0] == fastact.tanh.grad(1.0)).all()


def test_bare_ufunc_follows_numpy_promotion():
    """The bare ufuncs pick NumPy's smallest safe loop (int8 -> float16); the methods compute
    bool and integers in float64 (the documented fastact rule)."""
    i8 = np.array([-3, 0, 2], np.int8)
    assert fastact.sigmoid.ufunc(i8).dtype == np.float16
    assert fastact.sigmoid(i8).dtype == np.float64
    assert fastact.sigmoid(True).dtype == np.float64
    assert fastact.sigmoid.backward(np.ones(3, np.float32), x=i8).dtype == np.float64


def views(dtype):
    """Non-contiguous views with their contiguous copies: row slice, every other element,
    transposed, negative stride, broadcast (stride 0)."""
    base = np.random.default_rng(0).standard_normal((40, 64)).astype(dtype) * 4
    return {"row slice": base[:, :37], "every other": base[:, ::2], "transposed": base.T[:50],
            "negative": base[::-1, ::-3], "broadcast": np.broadcast_to(base[3], (5, 64)),
            "column": base[:, 5]}


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_strided_views_equal_contiguous(isa, dtype):
    for name, v in views(dtype).items():
        c = np.ascontiguousarray(v)
        assert same_bits(fastact.sigmoid(v), fastact.sigmoid(c)), name
        assert same_bits(fastact.hardtanh.grad(v, min_val=-2.0, max_val=1.5),
                         fastact.hardtanh.grad(c, min_val=-2.0, max_val=1.5)), name
        g = np.ascontiguousarray(v)[..., ::-1]
        assert same_bits(fastact.tanh.backward(g, x=v), fastact.tanh.backward(g.copy(), x=c)), name
        o = np.zeros((v.shape[1], v.shape[0]) if v.ndim == 2 else v.shape, dtype)
        ov = o.T if v.ndim == 2 else o
        fastact.relu(v, out=ov)
        assert same_bits(ov, fastact.relu(c)), name


def f16_reference(f, x16, **p):
    return f(x16.astype(np.float32), **p).astype(np.float16)


def test_float16_is_the_float32_result_rounded_once(isa):
    bits = np.arange(1 << 16, dtype=np.uint16)  # every float16, NaNs and subnormals included
    x16 = bits.view(np.float16)
    with np.errstate(all="ignore"):
        for spec in SPECS:
            f = fastact.get(spec.name)
            p = params_for(spec)
            assert same_bits(f(x16, **p), f16_reference(f, x16, **p)), spec.name
            assert same_bits(f.grad(x16, **p), f.grad(x16.astype(np.float32), **p).astype(np.float16))
            g16 = x16[::-1].copy()
            want = f.backward(g16.astype(np.float32), x=x16.astype(np.float32), **p).astype(np.float16)
            assert same_bits(f.backward(g16, x=x16, **p), want), spec.name


def test_float16_tails_are_the_float32_result_rounded_once(isa):
    """Lengths that are not a multiple of the 16-bit loops' 16-element chunks: the last chunk
    runs padded with zeros and only its own elements are written (edge values in the tail)."""
    edge = np.array([np.nan, -np.inf, np.inf, -0.0, 0.0, 6e-8, -6e-8, 65504, -65504, 3, -3, 0.5,
                     -0.5, 1e-3, 20, -20, 6.1e-5], np.float16)
    with np.errstate(all="ignore"):
        for spec in SPECS:
            f = fastact.get(spec.name)
            p = params_for(spec)
            for n in (1, 7, 15, 17, 31, 33):
                x16 = np.resize(edge, n)[::-1].copy()
                g16 = np.resize(edge[::-1], n).copy()
                out = np.full(n + 1, 7.0, np.float16)  # one element past the end stays untouched
                f(x16, out=out[:n], **p)
                assert same_bits(out[:n], f16_reference(f, x16, **p)), (spec.name, n)
                assert out[n] == 7.0, (spec.name, n)
                want = f.backward(g16.astype(np.float32), x=x16.astype(np.float32), **p)
                assert same_bits(f.backward(g16, x=x16, **p), want.astype(np.float16)), (spec.name, n)


def test_float16_narrowing_of_every_float32_class(isa):
    """The kernels' own float32 -> float16 rounding against NumPy's: hardtanh(inf) is max_val
    converted to float32 and stored as float16, so max_val walks the float32 classes (random,
    subnormal ties, the overflow edge)."""
    rng = np.random.default_rng(1)
    bits = np.concatenate([rng.integers(0, 1 << 32, 200_000, dtype=np.uint64).astype(np.uint32),
                           np.arange(0x33000000, 0x33000000 + 5000, dtype=np.uint32),
                           np.arange(0x387fe000, 0x38801000, dtype=np.uint32),
                           np.arange(0x477fe000, 0x47800100, dtype=np.uint32)])
    v32 = bits.view(np.float32)
    v32 = v32[np.isfinite(v32)]
    v32 = np.concatenate([v32, -v32])
    with np.errstate(over="ignore"):  # overflow to inf raises the flag, as NumPy's cast does
        got = fastact.hardtanh.ufunc(np.float16(np.inf), -np.inf, v32.astype(np.float64))
        assert same_bits(got, v32.astype(np.float16))


def test_bfloat16_when_ml_dtypes_is_installed(isa):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    bf = np.dtype(ml_dtypes.bfloat16)
    bits = np.arange(1 << 16, dtype=np.uint16)
    x = bits.view(bf)
    x32 = x.astype(np.float32)
    with np.errstate(all="ignore"):
        for spec in SPECS:
            f = fastact.get(spec.name)
            p = params_for(spec)
            r = f(x, **p)
            assert r.dtype == bf, spec.name
            assert same_bits(r.astype(np.float32), f(x32, **p).astype(bf).astype(np.float32)), spec.name
            b = f.backward(x[::-1], x=x, **p)
            want = f.backward(x32[::-1].copy(), x=x32, **p).astype(bf).astype(np.float32)
            assert same_bits(b.astype(np.float32), want), spec.name
    assert fastact.leaky_relu.ufunc(x[:10], 0.2).dtype == bf


def test_array_ufunc_overrides_get_their_type_back():
    class Wrapped:
        def __init__(self, a):
            self.a = np.asarray(a)

        @property
        def dtype(self):
            return self.a.dtype

        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            inputs = [i.a if isinstance(i, Wrapped) else i for i in inputs]
            return Wrapped(getattr(ufunc, method)(*inputs, **kwargs))

    w = Wrapped(np.linspace(-2, 2, 5, dtype=np.float32))
    for r, want in ((fastact.sigmoid(w), fastact.sigmoid(w.a)),
                    (fastact.leaky_relu.grad(w, negative_slope=0.3), fastact.leaky_relu.grad(w.a, negative_slope=0.3)),
                    (fastact.tanh.backward(w, y=w), fastact.tanh.backward(w.a, y=w.a))):
        assert isinstance(r, Wrapped) and same_bits(r.a, want)


def test_c_api_capsule():
    import ctypes

    cap = _core._C_API
    assert type(cap).__name__ == "PyCapsule"
    ctypes.pythonapi.PyCapsule_GetPointer.restype = ctypes.c_void_p
    ctypes.pythonapi.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    assert ctypes.pythonapi.PyCapsule_GetPointer(cap, b"fastact._core._C_API")
