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


def test_chunks_merge_in_input_order():
    """Results of chunks merged in order equal the Result of the whole array: the first max
    (ties included: -0.0 before +0.0, both 2 ulp off) and the first mismatch, whatever the
    chunking."""
    from fastact._registry import BY_NAME

    x = np.linspace(-3, 3, 1000, dtype=np.float32)
    x[[100, 400]] = [-0.0, 0.0]  # sigmoid(+-0) = 0.5 exactly: equal errors
    for name, bad in (("sigmoid", [100, 400]), ("relu", [250, 260, 700])):
        spec = BY_NAME[name]
        # correctly rounded (within 0.5 ulp), then 2 ulp up at `bad`
        got = _accuracy.wide_reference(name, "value", x, {}).astype(np.float32)
        for _ in range(2):
            got[bad] = np.nextafter(got[bad], np.float32(np.inf))
        whole = _accuracy.Result.of_chunk(spec, got, x, "value", {})
        for size in (1, 7, 333, 1000):
            merged = _accuracy.Result()
            for i in range(0, x.size, size):
                merged.merge(_accuracy.Result.of_chunk(spec, got[i:i + size], x[i:i + size],
                                                       "value", {}))
            assert repr((merged.worst, merged.at, merged.mismatches, merged.count)) == \
                repr((whole.worst, whole.at, whole.mismatches, whole.count))
        if spec.exact:
            assert whole.mismatches == 3 and whole.at == x[bad[0]]
        else:
            assert whole.worst == 2.0 and repr(whole.at) == "-0.0"


def test_threaded_sweep_is_deterministic():
    """Any number of worker threads gives the same table (the float32 sample: 1M inputs), and
    the progress callback climbs to 1."""
    seen = []
    one = _accuracy.measure_both("sigmoid", "float32", progress=seen.append)
    three = _accuracy.measure_both("sigmoid", "float32", jobs=3)
    for m in _accuracy.MODES:
        assert vars(one[m]) == vars(three[m])
        assert one[m].count == _accuracy.input_count("float32")
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 10


def test_cli_jobs_option(capsys):
    from fastact.__main__ import main

    assert main(["accuracy", "--no-progress", "--jobs", "2", "--dtype", "float32", "relu"]) == 0
    out = capsys.readouterr().out
    assert "relu" in out and "derivative" in out
    with pytest.raises(SystemExit):
        main(["accuracy", "--jobs", "0", "relu"])
    assert "--jobs must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("dtype", [np.float64, np.longdouble])
def test_erfc_reference_term_counts(dtype):
    """The erfc of the gelu references with the dtype's term counts: the series (z < 2) is
    bit-identical to running 90 terms (its early exit is exact), the continued fraction (z >= 2)
    within rounding (4 eps) of 100 terms everywhere (its count is derived for eps/16)."""
    from fastact import reference as ref

    rng = np.random.default_rng(9)
    z = np.concatenate([rng.uniform(0, 2, 4000), 2.0 ** rng.uniform(-40, 1, 1000),
                        rng.uniform(2, 9, 4000), 2.0 ** rng.uniform(1, 12, 1000),
                        [0.0, 1.0, 2.0, 4.0, np.inf, np.nan]]).astype(dtype)
    got = ref._erfc_nonnegative(z)
    small = z < 2
    s = z[small]
    total, term = s.copy(), s.copy()
    for n in range(1, 90):
        term = term * 2 * s * s / (2 * n + 1)
        total = total + term
    want = 1 - 2 / np.sqrt(ref._c(s, ref._PI)) * np.exp(-s * s) * total
    assert np.array_equal(got[small], want)
    b = np.maximum(z[~small], 2)
    f = np.zeros_like(b)
    for k in range(100, 0, -1):
        f = (ref._c(b, k) / 2) / (b + f)
    want = np.exp(-b * b) / (b + f) / np.sqrt(ref._c(b, ref._PI))
    eps = np.finfo(dtype).eps
    close = np.abs(got[~small] - want) <= 4 * eps * np.abs(want)
    assert (close | (np.isnan(want) & np.isnan(got[~small]))).all()
    assert np.isnan(got[-1]) and got[-2] == 0 and got[-6] == 1
    series, bands = ref._erfc_terms(np.dtype(dtype))
    assert series < 90 and bands[0][0] == 2 and all(n <= 100 for _, n in bands)
    assert [n for _, n in bands] == sorted((n for _, n in bands), reverse=True)


def test_threaded_sweep_restores_settings():
    """The sweep's workers set fastact's pool to one thread and a short GIL switch interval,
    and put both back afterwards, also when it stops early."""
    import sys

    import fastact

    before = (fastact.get_num_threads(), sys.getswitchinterval())
    sweep = _accuracy._map_in_order(lambda x: (fastact.get_num_threads(), sys.getswitchinterval()),
                                    range(10), 2)
    threads, interval = next(sweep)
    assert threads == 1 and interval <= 1e-4
    sweep.close()
    assert (fastact.get_num_threads(), sys.getswitchinterval()) == before
    assert list(_accuracy._map_in_order(lambda i: i * i, range(7), 3)) == [i * i for i in range(7)]
    assert (fastact.get_num_threads(), sys.getswitchinterval()) == before


def test_markdown_update_replaces_only_the_measured_rows(tmp_path):
    """--update: the rows of the functions measured now replace theirs, the others stay, the
    order is the registry's, the header names the run; a document on other inputs is refused."""
    doc = tmp_path / "accuracy.md"
    rows = {}
    for name, worst in (("sigmoid", 1.0), ("tanh", 1.5)):
        spec = _accuracy.BY_NAME[name]
        for mode in _accuracy.MODES:
            r = _accuracy.Result()
            r.worst, r.at, r.count = worst, 0.5, 10
            rows[name, mode] = (spec, "float32", mode, r, 2, True)
    _accuracy.write_markdown(doc, [rows["tanh", m] for m in _accuracy.MODES], False, "first")
    _accuracy.write_markdown(doc, [rows["sigmoid", m] for m in _accuracy.MODES], False, "second",
                             update=True)
    text = doc.read_text()
    table = [line for line in text.splitlines() if line.startswith("| sigmoid") or line.startswith("| tanh")]
    assert [line.split("|")[1].strip() for line in table] == ["sigmoid", "sigmoid", "tanh", "tanh"]
    assert "1.000 ulp" in table[0] and "1.500 ulp" in table[2]
    assert "Generated by `first`" in text and "sigmoid measured again by `second`" in text
    # again with new numbers: replaced, not duplicated
    rows["sigmoid", "value"][3].worst = 1.25
    _accuracy.write_markdown(doc, [rows["sigmoid", m] for m in _accuracy.MODES], False, "third",
                             update=True)
    table = [line for line in doc.read_text().splitlines() if line.startswith("| sigmoid")]
    assert len(table) == 2 and "1.250 ulp" in table[0]
    with pytest.raises(ValueError, match="same inputs"):  # sample table, exhaustive update
        _accuracy.write_markdown(doc, [rows["tanh", "value"]], True, "fourth", update=True)
