"""The strided path (no copy of the array): views of every layout, in place and into out of
another layout, give the bytes of the contiguous call, for every function, mode and dtype.

Rows of 70 elements: the kernels see two whole vectors of 32 and the last 32 again (the
overlapping tail), or, in place, a padded block; rows of 20: only padded blocks.  The values
include NaN, infinities and large magnitudes, so functions with slow paths take them in some
blocks and not in others."""
import numpy as np
import pytest

import fastact
from fastact import _core
from fastact._registry import SPECS

from conftest import params_for, same_bits

SPECIAL = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-40, 95.0, -95.0, 800.0, -800.0]


def base(rows, cols, dtype, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((rows, cols)) * 6
    a.flat[rng.integers(0, a.size, 12)] = rng.choice(SPECIAL, 12)
    return a.astype(dtype)


def views(dtype, cols):
    """Non-contiguous views of `cols` columns (rows of `cols` elements)."""
    wide = base(9, 2 * cols + 3, dtype)
    tall = base(2 * cols + 3, 9, dtype, seed=1)
    return {"row slice": wide[:, :cols], "every other": wide[:, 1:2 * cols + 1:2],
            "reversed": wide[:, cols - 1::-1], "transposed": tall.T[:, :cols],
            "both negative": wide[::-1, 2 * cols:cols:-1]}


def methods(spec):
    f = fastact.get(spec.name)
    p = params_for(spec)
    out = [("call", lambda x, **k: f(x, **p, **k)),
           ("grad", lambda x, **k: f.grad(x, **p, **k))]
    out.append(("backward", lambda x, g, **k: f.backward(g, x=x, **p, **k)))
    if spec.from_y:
        out.append(("backward_from_y", lambda y, g, **k: f.backward(g, y=y, **p, **k)))
    return out


@pytest.mark.parametrize("cols", [20, 70])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_views_in_place_and_into_out(spec, dtype, cols):
    with np.errstate(all="ignore"):
        for vname, v in views(dtype, cols).items():
            c = np.ascontiguousarray(v)
            g = base(*v.shape, dtype, seed=2)[:, ::-1]  # a strided g too
            for mname, m in methods(spec):
                args = (v, g) if "backward" in mname else (v,)
                cargs = (c, np.ascontiguousarray(g)) if "backward" in mname else (c,)
                want = m(*cargs)
                what = f"{spec.name} {mname} {vname}"
                assert same_bits(m(*args), want), what
                # into an out of another layout (F order)
                o = np.zeros(v.shape, dtype, order="F")
                assert m(*args, out=o) is o
                assert same_bits(o, want), what + " into F-order out"
                # in place: out is x itself (the tail cannot overlap what the body wrote)
                inplace = views(dtype, cols)[vname]
                m(*((inplace, g) if "backward" in mname else (inplace,)), out=inplace)
                assert same_bits(inplace, want), what + " in place"


def test_out_partly_overlapping_a_view_takes_the_ufunc():
    """out sharing some bytes of x at another position: the answer of no overlap."""
    buf = base(8, 200, np.float32)
    x = buf[:, 10:150]
    want = fastact.sigmoid(np.ascontiguousarray(x))
    fastact.sigmoid(x, out=buf[:, 13:153])
    assert same_bits(buf[:, 13:153], want)


def test_strided_results_keep_the_input_order():
    """out=None: NumPy's memory order of the input (K), as the ufunc gives."""
    x = base(40, 30, np.float32).T
    r = fastact.tanh(x[:, ::2])
    assert r.shape == (30, 20) and r.flags.f_contiguous
    assert same_bits(r, fastact.tanh(np.ascontiguousarray(x[:, ::2])))


@pytest.mark.parametrize("shift", [-5, 7])
def test_partial_overlap_with_threads(threads, shift):
    """NumPy hands the loop an out a few elements behind x uncopied (in-order processing is
    safe); a run split across threads would clobber inputs of an earlier block."""
    fastact.set_num_threads(3)
    _core.set_thresholds(parallel_min=1024)
    for _ in range(10):  # the pool's threads must get blocks out of order to show it
        buf = np.linspace(-6, 6, 120_000).astype(np.float32)
        x = buf[100:100_100]
        want = fastact.gelu.grad(x.copy())
        fastact.gelu.grad(x, out=buf[100 + shift:100_100 + shift])
        assert same_bits(buf[100 + shift:100_100 + shift], want)
