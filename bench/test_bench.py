"""pytest-benchmark: fastact next to its NumPy reference for every registered function.

    python -m pytest bench --benchmark-only -q

Groups pair the two sides: f(x) at n=1e5 (float32, float64; new output array) and the
per-call regime, n=16 float32 with out= given (the reference has no out=).  `pytest tests`
does not collect this folder (testpaths = ["tests"]).
"""
import numpy as np
import pytest

import fastact
from fastact._bench import DTYPES, SIZES, bench_params, inputs, operations
from fastact._registry import SPECS

pytest.importorskip("pytest_benchmark")

FUNCTIONS = [s.name for s in SPECS]
SIDES = ["fastact", "reference"]


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_forward(benchmark, name, dtype, side):
    x, g = inputs(SIZES[-1], dtype)
    benchmark.group = f"{name} {dtype} n={x.size}"
    benchmark(operations(name, x, g)["f"][SIDES.index(side)])


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_call_out(benchmark, name, side):
    x, _ = inputs(SIZES[0], "float32")
    f, o = fastact.get(name), np.empty_like(x)
    params = bench_params(f.spec)
    benchmark.group = f"{name} float32 n={x.size} out="
    if side == "fastact":
        benchmark(f, x, out=o, **params)
    else:
        benchmark(f.reference, x, **params)
