"""Arrays of more than 2^31 elements (8 GiB of float32): the far end, and the elements around
index 2^31, are computed correctly by forward, backward and an axis function (no 32-bit index
anywhere: kernels, thread-pool blocks, row offsets).  Marked slow (`make test-slow`); skipped
unless the machine has the memory free."""
import gc
import os

import numpy as np
import pytest

import fastact

N = 2 ** 31 + 4099  # past 2^31 by more than a pool block
NEEDED = N * 4 * 1.25


def mem_available():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(mem_available() < NEEDED,
                       reason=f"needs {NEEDED / 2 ** 30:.1f} GiB of free memory"),
]

PROBES = np.r_[0:64, 2 ** 31 - 64:2 ** 31 + 64, N - 4000:N]  # start, around 2^31, far end
assert np.unique(PROBES).size == PROBES.size


@pytest.fixture
def huge(threads):
    fastact.set_num_threads(max(2, os.cpu_count() or 2))
    x = np.empty(N, np.float32)
    x.fill(0.25)
    vals = np.linspace(-9, 9, PROBES.size, dtype=np.float32)
    x[PROBES] = vals
    yield x, vals
    del x
    gc.collect()


def test_forward_in_place_far_end(huge):
    x, vals = huge
    assert fastact.sigmoid(x, out=x) is x
    assert np.array_equal(x[PROBES], fastact.sigmoid(vals))
    assert x[N - 5000] == fastact.sigmoid(np.float32(0.25))


def test_backward_far_end(huge):
    x, vals = huge
    fastact.tanh.backward(x, x=x, out=x)  # g, x and out: one buffer
    assert np.array_equal(x[PROBES], fastact.tanh.backward(vals, x=vals))


def test_axis_function_far_rows(huge):
    """softmax over rows of 1000: row offsets beyond 2^31 elements."""
    x, _ = huge
    rows = x[: (N // 1000) * 1000].reshape(-1, 1000)
    tail = rows[-3:].copy()
    mid = rows[2 ** 31 // 1000 - 1: 2 ** 31 // 1000 + 2].copy()
    fastact.softmax.inplace(rows, axis=-1)
    assert np.array_equal(rows[-3:], fastact.softmax(tail, axis=-1))
    assert np.array_equal(rows[2 ** 31 // 1000 - 1: 2 ** 31 // 1000 + 2],
                          fastact.softmax(mid, axis=-1))
