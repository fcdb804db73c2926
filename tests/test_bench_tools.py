"""The benchmark tools report honestly: the bound arithmetic, the markdown table, the
bench-compare verdict, the progress line, and a tiny real run of `python -m fastact bench`.
(No speed targets here: those live in the benchmarks.)"""
import importlib.util
import pathlib
import sys

import pytest

from fastact import _bench
from fastact.__main__ import main

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _entry(fastact, numpy, peers=None):
    return {"fastact": fastact, "numpy": numpy, "numpy_spelling": "np.x", "peers": peers or {}}


def test_bound_is_the_looser_of_peer_and_copy():
    e = _entry(1.0, 2.0, {"torch": {"ns_per_element": 0.5, "speed": 0.5}})
    _bench._bound(e, copy=0.1)
    assert (e["fastest"], e["fastest_ns"]) == ("torch", 0.5)
    assert e["bound_ns"] == pytest.approx(0.4) and e["bound"] == "0.8x torch"
    assert e["vs_bound"] == pytest.approx(2.5)
    e = _entry(0.3, 0.3)
    _bench._bound(e, copy=0.5)  # memory-bound row: 1.1x copy is looser than 0.8x numpy
    assert e["bound"] == "1.1x copy" and e["vs_bound"] == pytest.approx(0.3 / 0.55)


def test_markdown_names_command_machine_and_rows_over():
    rec = {"function": "relu", "dtype": "float32", "n": 100000, "copy": 0.1,
           "copy_backward": 0.15, "kinds": {"forward": _entry(0.5, 0.4)}}
    _bench._bound(rec["kinds"]["forward"], rec["copy"])
    meta = {"cpu": "TestCPU", "cores": 2, "load": "0", "isa": "avx2", "threads": 1,
            "numpy": "2", "python": "3"}
    text = _bench.markdown([rec], meta, "python -m fastact bench --peers")
    assert "`python -m fastact bench --peers`" in text and "TestCPU" in text
    assert "| relu | float32 | 1e5 | 0.5 | 0.4 | numpy 0.4 | 0.1 |" in text
    over = text.split("## Rows over their bound")[1]
    assert "1 of 1 rows" in over
    # the row, its ratio and bound, and relu's note from LIMITS
    assert "| relu | float32 forward 1e5: **1.56** (0.8x numpy; noise 0%) | - | float32: " \
        + _bench.LIMITS["relu"] + " |" in over


def test_every_bench_label_says_what_limits_it():
    """LIMITS covers every row of the bench (functions, variants, the structured functions),
    for both dtypes, so a row over its bound is never left unexplained."""
    labels = {c[0] for c in _bench.cases()}
    assert sorted(labels - set(_bench.LIMITS)) == []
    assert sorted(set(_bench.LIMITS) - labels) == []  # no note for a function that is gone
    for label, note in _bench.LIMITS.items():
        notes = [note] if isinstance(note, str) else [note["float32"], note["float64"]]
        assert all(isinstance(n, str) and len(n) > 20 for n in notes), label


def test_peer_errors_measure_the_bound_setter_and_fastact():
    """A row over a bound set by the NumPy baseline gets that baseline's max error and
    fastact's on the accuracy tool's CI inputs: np.tanh in float32 is within a few ulp, and
    fastact within its registry bound."""
    import numpy as np

    e = _entry(1.0, 0.5)
    e["numpy_spelling"] = "np.tanh(x, out=o)"
    rec = {"function": "tanh", "name": "tanh", "params": {}, "dtype": "float32", "n": 100000,
           "copy": 0.1, "copy_backward": 0.15, "kinds": {"forward": e}}
    _bench._bound(e, rec["copy"])
    assert e["bound"] == "0.8x numpy" and e["vs_bound"] > 1
    _bench.peer_errors([rec], peers=[])
    pe = e["peer_error"]
    assert pe["peer"] == "numpy" and np.isfinite(pe["ulp"]) and pe["ulp"] < 10
    assert 0 < pe["fastact_ulp"] <= 2
    assert pe["at"] == pe["at"]  # an input, not NaN
    text = _bench.markdown([rec], {"cpu": "c", "cores": 1, "load": "0", "isa": "x",
                                   "threads": 1, "numpy": "2", "python": "3"}, "cmd")
    assert f"float32 forward: numpy {pe['ulp']:.3g} ulp at x = " in text


def _compare_module():
    spec = importlib.util.spec_from_file_location("bench_compare",
                                                  ROOT / "tools" / "bench_compare.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bench_compare_flags_a_fall_of_more_than_20_percent():
    compare = _compare_module().compare
    base = {"a forward": 4.0, "b forward": 2.0, "c backward": 1.0}
    lines, bad = compare(base, {"a forward": 3.3, "b forward": 1.5, "c backward": 1.0}, 0.2)
    assert bad == ["b forward"]
    assert any("REGRESSED" in ln and "b forward" in ln for ln in lines)
    assert compare(base, dict(base), 0.2)[1] == []


def test_progress_goes_to_stderr(capsys):
    p = _bench.Progress(2, stream=sys.stderr)
    p.step("relu float32 n=10")
    p.done()
    err = capsys.readouterr().err
    assert "[1/2] relu float32 n=10" in err and "measured 1 rows" in err


def test_bench_runs_small(capsys, threads):
    assert main(["bench", "--functions", "relu,sigmoid", "--dtype", "float32", "--n", "2000",
                 "--repeat", "1"]) == 0
    cap = capsys.readouterr()
    assert "[2/2] sigmoid float32 n=2000" in cap.err
    for needle in ("forward: f(x, out=o)", "backward: f.backward(g, x=x, out=o)", "relu",
                   "per-call cost"):
        assert needle in cap.out


def test_plot_without_matplotlib_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(SystemExit, match="needs matplotlib"):
        main(["bench", "--functions", "relu", "--n", "100", "--repeat", "1",
              "--plot", "x.png"])


def test_cases_cover_the_registry_and_variants():
    from fastact._registry import SPECS

    labels = [c[0] for c in _bench.cases()]
    assert [s.name for s in SPECS if s.name not in labels] == []
    calls = []
    _bench.register_cases(lambda: [("relu(extra)", "relu", {})])
    try:
        assert "relu(extra)" in [c[0] for c in _bench.cases()]
    finally:
        _bench.EXTRA_CASES.pop()
    del calls


def _asv_suite():
    path = ROOT / "bench" / "benchmarks" / "activations.py"
    spec = importlib.util.spec_from_file_location("asv_activations", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_asv_suite_covers_the_registry_and_runs(threads):
    """Every registered function is in the asv suite, and each time_ / peakmem_ benchmark
    runs (tiny sizes); the in-place grids hold every function but glu, whose output is half
    as wide."""
    import fastact

    suite = _asv_suite()
    assert suite.FUNCTIONS == fastact.functions()
    assert suite.INPLACE == [n for n in suite.FUNCTIONS if n != "glu"]
    assert suite.Memory.params == (suite.INPLACE,)
    t, i, m = suite.Time(), suite.InPlace(), suite.Memory()
    for name in suite.FUNCTIONS:
        t.setup(name, "float32", 256)
        for method in ("time_forward", "time_backward", "time_numpy_baseline",
                       "time_reference_twin"):
            getattr(t, method)(name, "float32", 256)
    for name in suite.INPLACE:
        i.setup(name, "float32", 256)
        i.time_inplace(name, "float32", 256)
    with pytest.raises(ValueError):  # glu refuses out=x: why it is not in INPLACE
        fastact.glu(i.work.reshape(2, -1), out=i.work.reshape(2, -1))
    m.setup("relu")
    m.peakmem_inplace("relu")
    m.peakmem_out_of_place("relu")
