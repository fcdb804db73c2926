"""The NumPy-style contract: array_likes, dtypes, shapes, layouts, out=, aliasing, errors.

Arithmetic is tested in test_kernels.py; here every result is compared with the same function
applied to a plain C-contiguous copy, so only the argument handling is under test."""
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastact
from fastact import _core
from fastact._registry import SPECS

from conftest import params_for, same_bits

FLOATS = [np.float16, np.float32, np.float64]
MODES = ["call", "grad", "backward_x", "backward_y"]


def apply(f, mode, x, g=None, out=None, **p):
    if mode == "call":
        return f(x, out=out, **p)
    if mode == "grad":
        return f.grad(x, out=out, **p)
    if mode == "backward_x":
        return f.backward(g, x=x, out=out, **p)
    return f.backward(g, y=x, out=out, **p)


def modes_of(spec):
    return MODES if spec.from_y else MODES[:3]


def plain(a):
    return np.array(a, order="C", copy=True)  # keeps 0-d (ascontiguousarray would not)


# ---------------------------------------------------------------- layouts (hypothesis)

@st.composite
def strided_arrays(draw, dtype):
    """Arrays of any shape (0-d and empty included) and any layout: C, F, strided, negative
    strides, unaligned, non-native byte order."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6))
    values = draw(hnp.arrays(np.float64, shape,
                             elements=st.floats(-50, 50, width=32)
                             | st.sampled_from([np.nan, np.inf, -np.inf, -0.0, 3.0, -3.0, 6.0, 1e-40])))
    a = values.astype(dtype)
    layout = draw(st.sampled_from(["C", "F", "step", "neg", "unaligned", "swapped"]))
    if layout == "F":
        a = np.asfortranarray(a)
    elif layout == "step" and a.ndim:
        big = np.zeros(a.shape[:-1] + (a.shape[-1] * 2,), dtype)
        big[..., ::2] = a
        a = big[..., ::2]
    elif layout == "neg" and a.ndim:
        a = a[..., ::-1].copy()[..., ::-1]
    elif layout == "unaligned":
        raw = np.zeros(a.nbytes + 1, np.uint8)
        u = raw[1:].view(dtype).reshape(a.shape)
        u[...] = a
        a = u
    elif layout == "swapped":
        a = a.astype(np.dtype(dtype).newbyteorder())
    return a


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_layout_gives_the_same_values(data):
    spec = data.draw(st.sampled_from(SPECS))
    dtype = data.draw(st.sampled_from(FLOATS))
    mode = data.draw(st.sampled_from(modes_of(spec)))
    f = fastact.get(spec.name)
    p = params_for(spec)
    x = data.draw(strided_arrays(dtype))
    g = data.draw(strided_arrays(dtype).filter(lambda a: a.shape == x.shape)) if "backward" in mode else None
    with np.errstate(all="ignore"):
        got = apply(f, mode, x, g, **p)
        want = apply(f, mode, plain(x).astype(np.dtype(dtype).newbyteorder("=")),
                     None if g is None else plain(g).astype(np.dtype(dtype).newbyteorder("=")), **p)
    got = np.asarray(got)
    assert got.shape == x.shape
    assert got.dtype == np.dtype(dtype).newbyteorder("=")
    assert same_bits(got, np.asarray(want))


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_out_of_any_layout(data):
    spec = data.draw(st.sampled_from(SPECS))
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    f = fastact.get(spec.name)
    p = params_for(spec)
    x = data.draw(strided_arrays(dtype))
    out = data.draw(strided_arrays(dtype).filter(lambda a: a.shape == x.shape))
    with np.errstate(all="ignore"):
        want = f(plain(x).astype(dtype), **p)
        r = f(x, out=out, **p)
    assert r is out
    assert same_bits(np.asarray(out).astype(dtype), np.asarray(want).reshape(x.shape))


# ---------------------------------------------------------------- dtypes

@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_dtype_rules(spec):
    f = fastact.get(spec.name)
    p = params_for(spec)
    x64 = np.array([-4.0, -1.5, -0.25, 0.0, 0.75, 2.0, 5.0])
    assert f(x64.astype(np.float32), **p).dtype == np.float32
    assert f(x64, **p).dtype == np.float64
    h = f(x64.astype(np.float16), **p)
    assert h.dtype == np.float16  # computed in float32, rounded once
    assert same_bits(h, f(x64.astype(np.float16).astype(np.float32), **p).astype(np.float16))
    for ints in (np.array([-3, 0, 2], np.int8), np.array([-3, 0, 2], np.int64),
                 np.array([7, 0], np.uint16), np.array([True, False])):
        r = f(ints, **p)
        assert r.dtype == np.float64
        assert same_bits(r, f(ints.astype(np.float64), **p))
    assert same_bits(f([-1.0, 2.0], **p), f(np.array([-1.0, 2.0]), **p))  # array_like
    s = f(0.5, **p)
    assert isinstance(s, np.float64) and np.ndim(s) == 0  # scalars in, scalar out (like ufuncs)
    assert isinstance(f(np.float32(0.5), **p), np.float32)
    assert isinstance(f(np.array(0.5, np.float32), **p), np.float32)
    assert f(np.empty((0, 3), np.float32), **p).shape == (0, 3)


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array(["a"]), np.array([object()]),
                                 np.array([1.0], np.longdouble), np.array(["2020"], "M8[D]"), "abc"])
def test_refused_dtypes(bad):
    with pytest.raises(TypeError, match="x"):
        fastact.sigmoid(bad)
    with pytest.raises(TypeError, match="g"):
        fastact.sigmoid.backward(bad, x=np.ones(1))


def test_backward_mixed_dtypes_and_broadcasting():
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    g64 = np.ones((3, 4))
    assert fastact.tanh.backward(g64, x=x).dtype == np.float64
    assert fastact.tanh.backward(np.float32(2.0), x=x).dtype == np.float32
    b = fastact.tanh.backward(np.arange(4, dtype=np.float32), x=x)
    assert same_bits(b, np.broadcast_to(np.arange(4, dtype=np.float32), x.shape) * fastact.tanh.grad(x))
    with pytest.raises(ValueError, match="broadcast"):
        fastact.tanh.backward(np.ones(5, np.float32), x=x)


# ---------------------------------------------------------------- out= and aliasing

@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_in_place_spellings(spec, dtype):
    f = fastact.get(spec.name)
    p = params_for(spec)
    x = np.linspace(-7, 7, 1001).astype(dtype)
    g = np.linspace(2, -2, 1001).astype(dtype)
    want, dwant = f(x, **p), f.backward(g, x=x, **p)
    a = x.copy()
    assert f(a, out=a, **p) is a and same_bits(a, want)
    a = x.copy()
    assert f.inplace(a, **p) is a and same_bits(a, want)
    gg = g.copy()
    assert f.backward(gg, x=x, out=gg, **p) is gg and same_bits(gg, dwant)
    xx = x.copy()
    assert f.backward(g, x=xx, out=xx, **p) is xx and same_bits(xx, dwant)
    a = x.copy()
    assert f.grad(a, out=a, **p) is a and same_bits(a, f.grad(x, **p))
    if spec.from_y:
        y = f(x, **p)
        gg = g.copy()
        assert same_bits(f.backward(gg, y=y, out=gg, **p), g * f.backward(np.ones_like(g), y=y, **p))


@pytest.mark.parametrize("shift", [1, 3, -2, 17])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_partial_overlap_is_like_no_overlap(shift, dtype):
    buf = np.linspace(-6, 6, 2000).astype(dtype)
    n = 1500
    x = buf[100:100 + n]
    out = buf[100 + shift:100 + shift + n]
    want = fastact.sigmoid(x.copy())
    fastact.sigmoid(x, out=out)
    assert same_bits(out, want)
    buf = np.linspace(-6, 6, 2000).astype(dtype)
    g, x = buf[:n], buf[shift + 200:shift + 200 + n]
    want = fastact.tanh.backward(g.copy(), x=x.copy())
    fastact.tanh.backward(g, x=x, out=buf[200:200 + n])
    assert same_bits(buf[200:200 + n], want)


def test_out_casting():
    x = np.linspace(-2, 2, 9, dtype=np.float64)
    o32 = np.empty(9, np.float32)
    assert fastact.sigmoid(x, out=o32) is o32  # same_kind: float64 -> float32 is allowed
    assert same_bits(o32, fastact.sigmoid(x).astype(np.float32))
    o64 = np.empty(9)
    fastact.sigmoid(x.astype(np.float32), out=o64)
    assert same_bits(o64, fastact.sigmoid(x.astype(np.float32)).astype(np.float64))
    ob = np.empty(9, ">f8")
    fastact.relu(x, out=ob)
    assert same_bits(ob.astype(np.float64), fastact.relu(x))


SENTINEL = 12345.0


@pytest.mark.parametrize("case", [
    ("out is a list", TypeError, "out", lambda o: fastact.relu(np.ones(4), out=[0.0] * 4)),
    ("out has the wrong shape", ValueError, "shape", lambda o: fastact.relu(np.ones(5), out=o)),
    ("out is read-only", ValueError, "read-only", None),
    ("out is int", TypeError, "cast", lambda o: fastact.relu(np.ones(4), out=np.zeros(4, np.int64))),
    ("complex x", TypeError, "x", lambda o: fastact.relu(np.ones(4) * 1j, out=o)),
    ("string x", TypeError, "x", lambda o: fastact.tanh(np.array(["1", "2", "3", "4"]), out=o)),
    ("unknown parameter", TypeError, "negative_slop", lambda o: fastact.leaky_relu(np.ones(4), out=o, negative_slop=0.1)),
    ("parameter of the wrong type", TypeError, "negative_slope", lambda o: fastact.leaky_relu(np.ones(4), out=o, negative_slope="0.1")),
    ("bool parameter", TypeError, "lambd", lambda o: fastact.hardshrink(np.ones(4), out=o, lambd=True)),
    ("NaN parameter", ValueError, "negative_slope", lambda o: fastact.leaky_relu(np.ones(4), out=o, negative_slope=float("nan"))),
    ("min_val > max_val", ValueError, "min_val", lambda o: fastact.hardtanh(np.ones(4), out=o, min_val=1.0, max_val=-1.0)),
    ("negative lambd", ValueError, "lambd", lambda o: fastact.softshrink(np.ones(4), out=o, lambd=-0.5)),
    ("negative lambd (hardshrink)", ValueError, "lambd", lambda o: fastact.hardshrink.grad(np.ones(4), out=o, lambd=-1)),
    ("missing required parameter", TypeError, "threshold", lambda o: fastact.threshold(np.ones(4), out=o, value=1.0)),
    ("backward without x or y", TypeError, "x= or y=", lambda o: fastact.tanh.backward(np.ones(4), out=o)),
    ("backward with both x and y", TypeError, "x= or y=", lambda o: fastact.tanh.backward(np.ones(4), x=np.ones(4), y=np.ones(4), out=o)),
    ("backward from y unsupported", TypeError, "y", lambda o: fastact.relu6.backward(np.ones(4), y=np.ones(4), out=o)),
    ("g of the wrong shape", ValueError, "g", lambda o: fastact.tanh.backward(np.ones(3), x=np.ones(4), out=o)),
    ("g is None", TypeError, "g", lambda o: fastact.tanh.backward(None, x=np.ones(4), out=o)),
    ("inplace on a list", TypeError, "x", lambda o: fastact.relu.inplace([1.0, 2.0])),
    ("inplace on ints", TypeError, "x", lambda o: fastact.relu.inplace(np.ones(4, np.int32))),
], ids=lambda c: c[0])
def test_refused_calls_raise_and_leave_out_untouched(case):
    _, exc, words, call = case
    o = np.full(4, SENTINEL)
    if call is None:
        o.flags.writeable = False
        call = lambda o: fastact.relu(np.ones(4), out=o)  # noqa: E731
    with pytest.raises(exc, match=words):
        call(o)
    assert (o == SENTINEL).all()


# ---------------------------------------------------------------- registry, lookup, config

def test_lookup_and_aliases():
    assert fastact.get("logistic") is fastact.sigmoid is fastact.get("expit")
    assert fastact.get("heaviside") is fastact.step
    assert fastact.get("linear") is fastact.identity and fastact.hard_silu is fastact.hardswish
    from fastact._registry import STRUCTURED_SPECS

    assert fastact.functions() == [s.name for s in SPECS + STRUCTURED_SPECS]
    with pytest.raises(ValueError, match="nope"):
        fastact.get("nope")
    assert pickle.loads(pickle.dumps(fastact.sigmoid)) is fastact.sigmoid
    assert fastact.leaky_relu.params == {"negative_slope": 0.01}
    assert fastact.threshold.params == {"threshold": None, "value": None}
    assert fastact.sigmoid.from_y and not fastact.relu6.from_y
    assert "negative_slope" in fastact.leaky_relu.__doc__


def test_reference_module_api():
    x = np.linspace(-3, 3, 7, dtype=np.float32)
    assert same_bits(fastact.reference.leaky_relu(x, negative_slope=0.2), fastact.leaky_relu(x, negative_slope=0.2))
    assert fastact.reference.sigmoid(x).dtype == np.float32
    assert fastact.reference.tanh_grad_from_y(x).dtype == np.float32
    assert same_bits(fastact.sigmoid.reference_grad(x), fastact.reference.expit_grad(x))
    with pytest.raises(AttributeError):
        fastact.reference.relu6_grad_from_y
    with pytest.raises(ValueError, match="min_val"):
        fastact.reference.hardtanh(x, min_val=2.0, max_val=1.0)


def test_show_config(capsys):
    fastact.show_config()
    text = capsys.readouterr().out
    assert fastact.__version__ in text and _core.get_isa() in text and "threads" in text
    for name in _core.isa_names():
        assert name in text


def test_threads_api(threads):
    fastact.set_num_threads(3)
    assert fastact.get_num_threads() == 3
    with pytest.raises(ValueError):
        fastact.set_num_threads(0)
    with pytest.raises(TypeError):
        fastact.set_num_threads(2.5)
    assert fastact.get_num_threads() == 3


def run_python(code, **env):
    e = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e)


def test_fastact_isa_env():
    for name in _core.usable_isas():
        r = run_python("import fastact; print(fastact._core.get_isa())", FASTACT_ISA=name)
        assert r.returncode == 0 and r.stdout.strip() == name, r.stderr
    r = run_python("import fastact", FASTACT_ISA="sse9")
    assert r.returncode != 0 and "sse9" in r.stderr and "baseline" in r.stderr
    missing = [n for n in _core.isa_names() if n not in _core.usable_isas()]
    for name in missing:  # an ISA this CPU (or build) lacks: a clear error, not a crash
        r = run_python("import fastact", FASTACT_ISA=name)
        assert r.returncode != 0 and name in r.stderr


def test_fastact_num_threads_env():
    r = run_python("import fastact; print(fastact.get_num_threads())", FASTACT_NUM_THREADS="3")
    assert r.stdout.strip() == "3", r.stderr
    r = run_python("import fastact", FASTACT_NUM_THREADS="many")
    assert r.returncode != 0 and "FASTACT_NUM_THREADS" in r.stderr


def test_cli_help_and_config():
    r = subprocess.run([sys.executable, "-m", "fastact", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "bench" in r.stdout and "accuracy" in r.stdout
    r = subprocess.run([sys.executable, "-m", "fastact", "config"], capture_output=True, text=True)
    assert r.returncode == 0 and "kernels in use" in r.stdout


def test_type_stubs_list_every_name():
    import pathlib

    stub = (pathlib.Path(fastact.__file__).parent / "__init__.pyi").read_text()
    for name, f in fastact._by_name.items():
        assert f"\n{name}: {type(f).__mro__[1].__name__}\n" in stub, name


def test_readme_table_is_the_registry():
    import pathlib

    from fastact._registry import markdown_table

    readme = pathlib.Path(__file__).resolve().parent.parent / "README.md"
    if not readme.is_file():
        pytest.skip("README.md not next to the tests (installed package)")
    assert markdown_table() in readme.read_text()


def test_call_spellings_agree():
    """The vectorcall fast path and __call__ give the same results and the same errors."""
    x = np.linspace(-4, 4, 33, dtype=np.float32)
    o1, o2 = np.empty_like(x), np.empty_like(x)
    fastact.leaky_relu(x, out=o1, negative_slope=0.2)
    fastact.leaky_relu.__call__(x, out=o2, negative_slope=np.float64(0.2))  # the general path
    assert same_bits(o1, o2)
    assert same_bits(fastact.leaky_relu(x, negative_slope=2), fastact.leaky_relu(x, negative_slope=2.0))
    assert same_bits(fastact.hardtanh(x, o1, min_val=-2.0, max_val=0.5), fastact.hardtanh.__call__(x, min_val=-2.0, max_val=0.5))
    assert same_bits(fastact.threshold(x, value=1.0, threshold=0.5), fastact.threshold.reference(x, threshold=0.5, value=1.0))
    with pytest.raises(TypeError):
        fastact.relu(x, o1, out=o2)
    with pytest.raises(TypeError):
        fastact.leaky_relu(x, o1, 0.2)
    with pytest.raises(TypeError):
        fastact.relu()
    with pytest.raises(TypeError, match="x"):
        fastact.relu(x=None)
