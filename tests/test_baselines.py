"""The idiomatic NumPy/SciPy speed baselines (fastact._baselines) compute the same function.

Each candidate of every registered function (and its benchmarked parameter variants) must
agree with the reference on finite inputs in both dtypes, forward and backward; a candidate
whose module (SciPy) is missing is skipped by the bench and here."""
import numpy as np
import pytest

import fastact
from fastact import _baselines
from fastact._catalogue import params_for

CASES = [(n, i) for n in fastact.functions() if n in _baselines.BASELINES
         for i in range(len(_baselines.BASELINES[n]))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,index", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_baseline_agrees_with_reference(name, index, dtype):
    cand = _baselines.BASELINES[name][index]
    if not cand.usable():
        pytest.skip(f"{cand.needs} not installed")
    f = fastact.get(name)
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(4098) * 4).astype(dtype)  # even: glu halves it
    g = rng.standard_normal(4098 // 2 if name == "glu" else 4098).astype(dtype)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    for extra in ({},) + _baselines.VARIANTS.get(name, ()):
        p = dict(params_for(name, f.spec), **extra)
        want = f.reference(x, **p)
        o = np.full_like(want, np.nan)
        with np.errstate(all="ignore"):
            cand.forward(x, o, p)
        np.testing.assert_allclose(o, want, rtol=rtol, atol=rtol)
        o = np.full_like(x, np.nan)
        with np.errstate(all="ignore"):
            cand.backward(g, x, o, p)
        # elementwise: g f'(x) from the reference; along an axis: the vector-Jacobian
        # product, from fastact's backward (itself tested against its reference)
        want = (g * f.reference_grad(x, **p) if hasattr(f, "reference_grad")
                else f.backward(g, x=x, **p))
        np.testing.assert_allclose(o, want, rtol=rtol, atol=rtol)


def test_every_catalogue_name_is_known():
    """The baseline table and the variants name only functions of the spec catalogue."""
    from fastact._catalogue import CATALOGUE

    assert set(_baselines.BASELINES) == set(CATALOGUE)
    assert set(_baselines.VARIANTS) <= set(CATALOGUE)
