"""pytest-benchmark: fastact for every registered function, with the speed *ratio* to the
idiomatic NumPy baseline measured in the same process stored in each result's extra_info.

    python -m pytest bench --benchmark-only -q          # the timings
    make bench-compare                                  # ratios vs a saved baseline

`make bench-compare` (tools/bench_compare.py) saves the first run as the baseline
(.benchmarks/baseline.json) and afterwards fails when any speedup falls more than 20% below
it; `make bench-baseline` saves a new one.  `pytest tests` does not collect this folder.
"""
import numpy as np
import pytest

import fastact
from fastact._bench import DTYPES, baseline_calls, cases, inputs, measure

pytest.importorskip("pytest_benchmark")

N = 100_000
CASES = cases()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("label,name,params", CASES, ids=[c[0] for c in CASES])
def test_speedup(benchmark, label, name, params, dtype):
    f = fastact.get(name)
    x, g = inputs(N, dtype)
    o = np.empty_like(x)
    base = baseline_calls(name, x, g, params)
    if not base["forward"]:
        pytest.skip(f"no usable NumPy baseline for {name}")
    mine = [lambda: f(x, out=o, **params), lambda: f.backward(g, x=x, out=o, **params)]
    with np.errstate(all="ignore"):
        t = measure(mine + [c for _, c in base["forward"]] + [c for _, c in base["backward"]],
                    repeat=5, budget_ns=1_000_000)
    k = len(base["forward"])
    benchmark.extra_info["speedup_forward"] = min(t[2:2 + k]) / t[0]
    benchmark.extra_info["speedup_backward"] = min(t[2 + k:]) / t[1]
    benchmark.group = f"{dtype} n={N}"
    benchmark.pedantic(mine[0], rounds=20, iterations=5)
