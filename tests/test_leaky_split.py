"""float32 leaky_relu's two forward forms must give the same bits: split-fma (two float
operations, for slopes whose every significand it rounds correctly: the slopes compiled in as
known, float slopes, and slopes the kernel checks on first use with a large array) and the
double round-to-odd product (every other slope, small arrays, the baseline ISA).  The reference
twin is the round-to-odd product too, independent of both."""
import pathlib
import re

import numpy as np
import pytest

import fastact
from conftest import same_bits, under_sanitizer
from fastact import reference

CHECK_MIN = 32768  # FA_LEAKY_CHECK_MIN: arrays this long get an unknown slope checked


def known_safe_slopes():
    """FA_LEAKY_KNOWN_SAFE, read from the kernel source, so the list and this test cannot drift."""
    src = pathlib.Path(__file__).resolve().parents[1] / "csrc" / "fa_functions.inc"
    body = re.search(r"#define FA_LEAKY_KNOWN_SAFE \{(.*)\}", src.read_text()).group(1)
    return [float(eval(term, {"__builtins__": {}})) for term in body.split(",")]


def every_significand(slope):
    """-m 2^-23 2^(1 - e) for all 2^23 significands m, |x slope| in [1, 4): where split-fma's
    rounding is decided (other normal x differ by a power of two)."""
    _, e = np.frexp(abs(slope))
    m = np.arange(1 << 23, 1 << 24, dtype=np.float64)
    return (-m * 2.0 ** (-23 + 1 - int(e))).astype(np.float32)


def test_known_slopes_are_safe_on_every_significand(isa):
    if isa == "baseline":
        pytest.skip("no FMA: the baseline kernels always take the double product")
    slopes = known_safe_slopes()
    assert 0.01 in slopes  # the default slope must take the fast form
    for slope in slopes[: under_sanitizer(len(slopes), 1)]:
        x = every_significand(slope)
        assert same_bits(fastact.leaky_relu(x, negative_slope=slope),
                         reference.leaky_relu(x, negative_slope=slope)), slope


# 0.7 and 11/48 (rrelu's default eval slope) have many near-ties (x slope within 2^-48 of a
# float midpoint) and must be found unsafe; 0.0123 and 0.37 are checked on first use;
# 0.25 and 0 are floats; the rest are outside the checked range or signed oddly
SLOPES = [0.7, (1 / 8 + 1 / 3) / 2, 0.0123, 0.37, 0.25, 0.0, -0.0, -0.5, 3.0, 1e-50, 1e30, 7e-46,
          0.01, 0.2]


def inputs(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 1 << 32, size=n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    x[: n // 2] = (rng.standard_normal(n // 2) * 4).astype(np.float32)
    # blocks that must leave the split form: subnormal and tiny x, -inf, NaN, signed zeros,
    # a float32 tie of the double product (x = -10250 2^-149, slope 0.01)
    x[300:310] = (-np.arange(10250, 10260) * 2.0**-149).astype(np.float32)
    x[600:608] = np.array([-0.0, 0.0, -np.inf, np.inf, np.nan, -np.nan, -1e-30, -1e-38], np.float32)
    return x


@pytest.mark.parametrize("slope", SLOPES)
def test_split_and_double_forms_agree(isa, slope):
    for n in (1000, under_sanitizer(2 * CHECK_MIN + 77, CHECK_MIN + 77)):
        x = inputs(n, seed=n)
        want = reference.leaky_relu(x, negative_slope=slope)
        assert same_bits(fastact.leaky_relu(x, negative_slope=slope), want)
        y = x.copy()  # in place: a block is tested before anything is written
        assert fastact.leaky_relu(y, negative_slope=slope, out=y) is y and same_bits(y, want)
        # rrelu in eval mode with lower == upper is leaky_relu with that slope (x >= 0 kept)
        assert same_bits(fastact.rrelu(x, lower=slope, upper=slope), np.where(x >= 0, x, want))


@pytest.mark.parametrize("slope", [-0.5, 0.01, 1e300, -1e300, 0.0, -0.0, 5e-324, 0.7])
def test_float64_plain_form_matches_the_reference(slope):
    """float64 with a finite nonzero slope drops the guards (x > 0 ? x : slope x): signed
    zeros, infinities, NaNs, subnormals and overflowing products keep the reference's bits, in
    whole blocks and in the tail, in place too; slope 0 (0 * -inf) keeps the guarded form."""
    edges = np.array([-0.0, 0.0, -np.inf, np.inf, np.nan, -np.nan, -1e-308, -5e-324, -1.5, 2.5,
                      -1e308], np.float64)
    x = np.concatenate([np.tile(edges, 40), np.random.default_rng(1).standard_normal(301) * 4])
    want = reference.leaky_relu(x, negative_slope=slope)
    assert same_bits(fastact.leaky_relu(x, negative_slope=slope), want)
    y = x.copy()
    assert same_bits(fastact.leaky_relu(y, negative_slope=slope, out=y), want)
