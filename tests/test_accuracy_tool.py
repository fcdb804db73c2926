"""The accuracy tool itself (fastact._accuracy): ULP arithmetic at the edges of the range and
special values, and the chunked, threaded sweep's determinism."""
import numpy as np
import pytest

from fastact import _accuracy

F32 = np.finfo(np.float32)


def test_ulp_error_float32_spacing():
    """float32 results: errors in the spacing of float32 at the float64 reference, subnormal
    spacing below the normal range, the largest finite's spacing beyond it."""
    tiny = float(F32.smallest_subnormal)
    got = np.array([1.0, 1.0, 2.0, 0.0, 0.0, F32.max, F32.max, -F32.max, 1.5], np.float32)
    ref = np.array([1.0 + 2**-23, 1.0 - 2**-24,  # the spacing at ref: 2^-23 above 1, 2^-24 below
                    2.0 - 2**-22,  # just below 2: the spacing of [1, 2)
                    tiny / 2, 1e-300,  # subnormal spacing, also for refs below float32's range
                    3.5e38, 1e300,  # beyond the range: the largest finite's spacing
                    -float(F32.max) * (1 + 2**-29), 1.5 + 2**-20])
    want = [1.0, 1.0, 2.0, 0.5, 1e-300 / tiny, (3.5e38 - float(F32.max)) / 2**104,
            (1e300 - float(F32.max)) / 2**104, float(F32.max) * 2**-29 / 2**104, 8.0]
    err = _accuracy.ulp_error(got, ref)
    assert err.dtype == np.float64 and err.shape == got.shape
    np.testing.assert_array_equal(err, want)
    # the same through the generic path (0-d arrays and scalars)
    for g, r, w in zip(got, ref, want):
        assert _accuracy.ulp_error(np.float32(g), np.float64(r)) == w


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ulp_error_special_values(dtype):
    """NaN/inf agreement is 0, disagreement inf; a finite ref that rounds to inf is met by inf."""
    info = np.finfo(dtype)
    wide = np.float64 if dtype == np.float32 else np.longdouble
    beyond = wide(info.max) * wide(1 + 2.0**-(info.nmant + 3))  # rounds to max, not inf
    over = wide(info.max) * 2  # rounds to inf
    got = np.array([np.nan, np.inf, -np.inf, np.inf, np.nan, 1.0, np.inf, np.inf, info.max, 0.0],
                   dtype)
    ref = np.array([np.nan, np.inf, -np.inf, -np.inf, 1.0, np.nan, over, beyond, np.inf, -0.0],
                   wide)
    err = _accuracy.ulp_error(got, ref)
    np.testing.assert_array_equal(err, [0, 0, 0, np.inf, np.inf, np.inf, 0, np.inf, np.inf, 0])


def test_ulp_error_float32_matches_spacing_formula():
    """Random finite pairs: the bit-level float32 path equals |g - ref| / ulp_of(ref)."""
    rng = np.random.default_rng(5)
    g = rng.integers(0, 1 << 32, 1 << 14, dtype=np.uint64).astype(np.uint32).view(np.float32)
    g = g[np.isfinite(g)]
    ref = g.astype(np.float64) * (1 + rng.standard_normal(g.size) * 2.0**-20)
    want = np.abs(g.astype(np.float64) - ref) / _accuracy.ulp_of(
        np.clip(ref, -F32.max, F32.max), np.float32)
    assert np.array_equal(_accuracy.ulp_error(g, ref), want)
