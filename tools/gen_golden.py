#!/usr/bin/env python3
"""Generate tests/data/golden.json: the exact oracle of fastact's element-wise catalogue.

For every function of the spec (../shared/spec/activations.md, element-wise tables) and a few
parameter settings each, the value f(x) and the derivative f'(x) at edge inputs, computed with
mpmath at DIGITS significant digits or more (until doubling them changes no rounded
result; piecewise-rational functions exactly, with fractions) and then correctly rounded (to
nearest, ties to even, subnormals and overflow included) to float32 and float64.  The formulas here are written independently of fastact's kernels and references:
they are the spec's mathematics, nothing else, so that the tests can judge both.

Conventions:
- every x is exactly representable in float32, so one record serves both dtypes;
- a user parameter means the exact value of the Python float the library receives
  (negative_slope=0.01 is the double nearest 0.01); the spec's fixed constants (selu's alpha and
  scale, gelu's sqrt(2/pi) and 0.044715) are taken at their stated decimal values;
- at a kink the derivative takes the spec's (PyTorch's) value;
- inputs are finite (infinities and NaN are tested against the references elsewhere);
- around every simple zero of f' in [-4, 4] (silu', gelu', mish', sin', cos'), where the
  derivative formulas cancel, the five float32 values nearest it.

Usage: python tools/gen_golden.py [-o tests/data/golden.json]   (needs mpmath; ~1 minute)
"""
from __future__ import annotations

import argparse
import json
import math
import pathlib
import struct
from fractions import Fraction

import mpmath as mp

DIGITS = 100
mp.mp.dps = DIGITS

# float formats: (significand bits incl. the implicit one, minimum normal exponent, max exponent)
FORMATS = {"f32": (24, -126, 127), "f64": (53, -1022, 1023)}


def exact(v) -> Fraction:
    """The exact rational value of an mpf, a Fraction, an int or a float."""
    if isinstance(v, Fraction):
        return v
    if isinstance(v, (int, float)):
        return Fraction(v)
    sign, man, exp, _ = mp.mpf(v)._mpf_
    man = -int(man) if sign else int(man)
    return Fraction(man * 2 ** exp) if exp >= 0 else Fraction(man, 2 ** -exp)


def round_to(v, fmt: str) -> float:
    """v correctly rounded (nearest, ties to even) to format `fmt`, as a Python float."""
    p, emin, emax = FORMATS[fmt]
    if not isinstance(v, Fraction):  # mpf: huge or tiny exponents settle before going exact
        v = mp.mpf(v)
        if abs(v) >= mp.ldexp(1, emax + 1):
            return math.copysign(math.inf, v)
        if abs(v) < mp.ldexp(1, emin - p):  # below half the smallest subnormal: a signed zero
            return math.copysign(0.0, v)
    q = exact(v)
    if q == 0:
        return 0.0
    sign, a = (-1 if q < 0 else 1), abs(q)
    e = a.numerator.bit_length() - a.denominator.bit_length()  # 2^e <= a < 2^(e+2)
    if a < Fraction(2) ** e:
        e -= 1
    elif a >= Fraction(2) ** (e + 1):
        e += 1
    quantum = Fraction(2) ** (max(e, emin) - p + 1)  # the spacing at a (subnormal: fixed)
    n, rem = divmod(a, quantum)
    n = int(n)
    if rem * 2 > quantum or (rem * 2 == quantum and n % 2 == 1):
        n += 1
    r = n * quantum
    if r >= Fraction(2) ** (emax + 1):
        return sign * math.inf
    return sign * float(r)  # r is representable in the format, hence in a double


def f32(v: float) -> float:
    """v rounded to float32 (v already a float32 value or a double)."""
    return struct.unpack("f", struct.pack("f", v))[0]


# ---------------------------------------------------------------- helpers in mpmath
def sigmoid(t):
    return 1 / (1 + mp.exp(-t))


def softplus(t):
    return mp.log1p(mp.exp(t)) if t < 0 else t + mp.log1p(mp.exp(-t))


def sech2(t):
    e = mp.exp(-2 * abs(t))
    return 4 * e / (1 + e) ** 2


def one_plus_tanh(t):
    """1 + tanh(t) = 2 sigmoid(2t), without cancellation for t << 0."""
    return 2 * sigmoid(2 * t)


# the spec's constants, at the working precision of the moment
def selu_alpha():
    return mp.mpf("1.6732632423543772848170429916717")


def selu_scale():
    return mp.mpf("1.0507009873554804934193349852946")


def gelu_k():
    return mp.sqrt(2 / mp.pi)


GELU_C = "0.044715"


def gelu_tanh_u(x):
    return gelu_k() * (x + mp.mpf(GELU_C) * x ** 3)


# ---------------------------------------------------------------- the catalogue
# name: (value(x, **p), derivative(x, **p)); x arrives as a Fraction (exact) for the
# piecewise-rational functions ("Q" below) and as an mpf for the others.
Q = {}   # exact rational functions (Fraction in, Fraction out)
M = {}   # transcendental functions (mpf in, mpf out)


F0, F1 = Fraction(0), Fraction(1)
Q["identity"] = (lambda x: x, lambda x: F1)
Q["relu"] = (lambda x: x if x > 0 else F0, lambda x: F1 if x > 0 else F0)
Q["relu6"] = (lambda x: min(max(x, F0), Fraction(6)), lambda x: F1 if 0 < x < 6 else F0)
Q["leaky_relu"] = (lambda x, negative_slope=0.01: x if x > 0 else exact(negative_slope) * x,
                   lambda x, negative_slope=0.01: F1 if x > 0 else exact(negative_slope))
Q["hardtanh"] = (lambda x, min_val=-1.0, max_val=1.0: min(max(x, exact(min_val)), exact(max_val)),
                 lambda x, min_val=-1.0, max_val=1.0: F1 if exact(min_val) < x < exact(max_val) else F0)
Q["hard_sigmoid"] = (lambda x: F0 if x <= -3 else (F1 if x >= 3 else x / 6 + Fraction(1, 2)),
                     lambda x: Fraction(1, 6) if -3 < x < 3 else F0)
Q["hardswish"] = (lambda x: F0 if x <= -3 else (x if x >= 3 else x * (x + 3) / 6),
                  lambda x: F0 if x <= -3 else (F1 if x >= 3 else (2 * x + 3) / 6))
Q["hardshrink"] = (lambda x, lambd=0.5: x if abs(x) > exact(lambd) else F0,
                   lambda x, lambd=0.5: F1 if abs(x) > exact(lambd) else F0)
Q["softshrink"] = (lambda x, lambd=0.5: x - exact(lambd) if x > exact(lambd)
                   else (x + exact(lambd) if x < -exact(lambd) else F0),
                   lambda x, lambd=0.5: F1 if abs(x) > exact(lambd) else F0)
Q["threshold"] = (lambda x, threshold, value: x if x > exact(threshold) else exact(value),
                  lambda x, threshold, value: F1 if x > exact(threshold) else F0)
Q["step"] = (lambda x, at_zero=1.0: F1 if x > 0 else (F0 if x < 0 else exact(at_zero)),
             lambda x, at_zero=1.0: F0)
Q["softsign"] = (lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2)
Q["square"] = (lambda x: x * x, lambda x: 2 * x)
Q["signed_square"] = (lambda x: x * abs(x), lambda x: 2 * abs(x))
Q["prelu"] = (lambda x, weight: x if x > 0 else exact(weight) * x,
              lambda x, weight: F1 if x > 0 else exact(weight))
Q["rrelu"] = (lambda x, lower=0.125, upper=1 / 3: x if x >= 0 else (exact(lower) + exact(upper)) / 2 * x,
              lambda x, lower=0.125, upper=1 / 3: F1 if x >= 0 else (exact(lower) + exact(upper)) / 2)

M["sigmoid"] = (sigmoid, lambda x: sigmoid(x) * sigmoid(-x))
M["log_sigmoid"] = (lambda x: -softplus(-x), lambda x: sigmoid(-x))
M["tanh"] = (mp.tanh, sech2)
M["tanhshrink"] = (lambda x: x - mp.tanh(x), lambda x: mp.tanh(x) ** 2)
M["elu"] = (lambda x, alpha=1.0: x if x > 0 else alpha * mp.expm1(x),
            lambda x, alpha=1.0: mp.mpf(1) if x > 0 else alpha * mp.exp(x))
M["selu"] = (lambda x: selu_scale() * (x if x > 0 else selu_alpha() * mp.expm1(x)),
             lambda x: selu_scale() * (1 if x > 0 else selu_alpha() * mp.exp(x)))
M["celu"] = (lambda x, alpha=1.0: x if x > 0 else alpha * mp.expm1(x / alpha),
             lambda x, alpha=1.0: mp.mpf(1) if x > 0 else mp.exp(x / alpha))
M["mpelu"] = (lambda x, alpha=1.0, beta=1.0: x if x > 0 else alpha * mp.expm1(beta * x),
              lambda x, alpha=1.0, beta=1.0: mp.mpf(1) if x > 0 else alpha * beta * mp.exp(beta * x))
M["softplus"] = (lambda x, beta=1.0, threshold=20.0:
                 x if beta * x > threshold else softplus(beta * x) / beta,
                 lambda x, beta=1.0, threshold=20.0:
                 mp.mpf(1) if beta * x > threshold else sigmoid(beta * x))
M["silu"] = (lambda x: x * sigmoid(x), lambda x: sigmoid(x) * (1 + x * sigmoid(-x)))
M["swish"] = (lambda x, beta=1.0: x * sigmoid(beta * x),
              lambda x, beta=1.0: sigmoid(beta * x) * (1 + beta * x * sigmoid(-beta * x)))


def _gelu(x, approximate="none"):
    if approximate == "tanh":
        return x * one_plus_tanh(gelu_tanh_u(x)) / 2
    return x * mp.erfc(-x / mp.sqrt(2)) / 2


def _gelu_d(x, approximate="none"):
    if approximate == "tanh":
        u = gelu_tanh_u(x)
        du = gelu_k() * (1 + 3 * mp.mpf(GELU_C) * x ** 2)
        return one_plus_tanh(u) / 2 + x * sech2(u) * du / 2
    return mp.erfc(-x / mp.sqrt(2)) / 2 + x * mp.exp(-x ** 2 / 2) / mp.sqrt(2 * mp.pi)


M["gelu"] = (_gelu, _gelu_d)
M["mish"] = (lambda x: x * mp.tanh(softplus(x)),
             lambda x: mp.tanh(softplus(x)) + x * sech2(softplus(x)) * sigmoid(x))
M["exponential"] = (mp.exp, mp.exp)
M["sin"] = (lambda x, omega=1.0: mp.sin(omega * x), lambda x, omega=1.0: omega * mp.cos(omega * x))
M["cos"] = (lambda x, omega=1.0: mp.cos(omega * x), lambda x, omega=1.0: -omega * mp.sin(omega * x))

# parameter settings per function (the defaults first, then the spec's edges)
SETTINGS = {
    "identity": [{}], "relu": [{}], "relu6": [{}],
    "leaky_relu": [{}, {"negative_slope": 0.2}, {"negative_slope": 0.0}, {"negative_slope": 1 / 3}],
    "hardtanh": [{}, {"min_val": -2.0, "max_val": 0.5}, {"min_val": 0.5, "max_val": 0.5}],
    "hard_sigmoid": [{}], "hardswish": [{}],
    "hardshrink": [{}, {"lambd": 0.0}], "softshrink": [{}, {"lambd": 2.0}],
    "threshold": [{"threshold": 1.0, "value": -2.0}],
    "step": [{}, {"at_zero": 0.5}],
    "softsign": [{}], "square": [{}], "signed_square": [{}],
    "prelu": [{"weight": 0.25}], "rrelu": [{}],
    "sigmoid": [{}], "log_sigmoid": [{}], "tanh": [{}], "tanhshrink": [{}],
    "elu": [{}, {"alpha": 0.5}], "selu": [{}], "celu": [{}, {"alpha": 2.0}],
    "mpelu": [{}, {"alpha": 0.5, "beta": 2.0}],
    "softplus": [{}, {"beta": 2.0, "threshold": 10.0}],
    "silu": [{}], "swish": [{}, {"beta": 1.702}],
    "gelu": [{}, {"approximate": "tanh"}], "mish": [{}], "exponential": [{}],
    "sin": [{}, {"omega": 30.0}], "cos": [{}, {"omega": 2.0}],
}

# the common edge grid (all float32 values): huge, exp/under/overflow thresholds of both
# dtypes, kinks, small and subnormal inputs; both signs
_MAGNITUDES = [3.4028234663852886e38, 1e30, 1e10, 1e4, 1000.0, 745.0, 709.5, 200.0, 104.0, 100.0,
               89.5, 88.5, 87.0, 80.0, 50.0, 40.0, 30.0, 25.0, 20.0, 17.5, 15.0, 12.0, 10.0, 9.0,
               7.5, 6.0, 5.5, 5.0, 4.0, 3.0, 2.5, 2.0, 1.5, 1.0, 0.75, 0.5, 0.3, 0.25, 0.1, 0.01,
               1e-4, 1e-8, 1e-30, 1.1754943508222875e-38, 2.0 ** -149]


def _neighbours(v):
    """The float32 values on either side of v (a float32 value)."""
    bits = struct.unpack("<i", struct.pack("<f", v))[0]
    out = []
    for b in (bits - 1, bits + 1):
        if -(2 ** 31) <= b < 2 ** 31:
            w = struct.unpack("<f", struct.pack("<i", b))[0]
            if math.isfinite(w):
                out.append(w)
    return out


def inputs(name, params):
    """The sorted float32 inputs for one function and setting: the grid, and every kink or
    parameter-dependent point with its float32 neighbours."""
    xs = {f32(s * m) for m in _MAGNITUDES for s in (1, -1)} | {0.0}
    special = [3.0, -3.0, 6.0, -6.0, 0.0]
    special += [float(v) for k, v in params.items() if isinstance(v, float)]
    special += [-float(v) for k, v in params.items() if k == "lambd"]
    if name == "softplus":
        special.append(params.get("threshold", 20.0) / params.get("beta", 1.0))
    for s in special:
        s = f32(s)
        xs.add(s)
        xs.update(_neighbours(s) if s != 0 else [2.0 ** -149, -(2.0 ** -149)])
    for r in _derivative_zeros(name, params):  # where derivative formulas cancel
        near = {f32(r)}
        for _ in range(2):
            near |= {w for v in near for w in _neighbours(v)}
        xs.update(near)
    return sorted(xs)


def _derivative_zeros(name, params, lo=-4, hi=4, step=mp.mpf(1) / 32):
    """The simple zeros of f' in [lo, hi] (sign changes on a grid, then refined)."""
    if name not in M:
        return []
    d = M[name][1]
    kw = {k: (v if isinstance(v, str) else mp.mpf(v)) for k, v in params.items()}
    with mp.workdps(30):
        grid = [lo + k * step for k in range(int((hi - lo) / step) + 1)]
        vals = [d(mp.mpf(x), **kw) for x in grid]
        roots = [mp.findroot(lambda t: d(t, **kw), (grid[k], grid[k + 1]), solver="anderson")
                 for k in range(len(grid) - 1) if vals[k] * vals[k + 1] < 0]
    return [float(r) for r in roots]


def evaluate(name, params, x):
    """(value, derivative) at x, exact or to DIGITS digits."""
    if name in Q:
        f, d = Q[name]
        xq = Fraction(x)
        return f(xq, **params), d(xq, **params)
    f, d = M[name]
    xm = mp.mpf(x)
    kw = {k: (v if isinstance(v, str) else mp.mpf(v)) for k, v in params.items()}
    return f(xm, **kw), d(xm, **kw)


def rounded(name, params, x):
    """[f64, f32, df64, df32] at x.  Ziv's strategy against cancellation (x - tanh x near 0,
    1 + tanh u for u << 0): evaluate again with twice the digits and accept only when both
    round alike."""
    dps, last = DIGITS, None
    while True:
        with mp.workdps(dps):
            v, dv = evaluate(name, params, x)
            out = [round_to(v, "f64"), round_to(v, "f32"), round_to(dv, "f64"), round_to(dv, "f32")]
        if name in Q or out == last:
            return out
        last, dps = out, 2 * dps
        if dps > 16 * DIGITS:
            raise RuntimeError(f"{name}{params} at x={x!r}: no agreement at {dps // 2} digits")


def record(name, params):
    rec = {"function": name, "params": params, "x": [], "f64": [], "f32": [], "df64": [], "df32": []}
    for x in inputs(name, params):
        rec["x"].append(repr(x))
        for key, val in zip(("f64", "f32", "df64", "df32"), rounded(name, params, x)):
            rec[key].append(repr(val))
    return rec


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = pathlib.Path(__file__).resolve().parent.parent
    ap.add_argument("-o", "--output", default=str(root / "tests" / "data" / "golden.json"))
    args = ap.parse_args(argv)
    records = [record(name, p) for name in SETTINGS for p in SETTINGS[name]]
    doc = {
        "about": "Values f(x) and derivatives f'(x) of fastact's element-wise catalogue at edge "
                 f"inputs, computed with mpmath at {DIGITS} digits (piecewise-rational functions "
                 "exactly) and correctly rounded to float64 (f64, df64) and float32 (f32, df32). "
                 "Every x is a float32 value. Parameters are the exact values of the given "
                 "Python floats. Made by tools/gen_golden.py; do not edit by hand.",
        "generator": "tools/gen_golden.py",
        "digits": DIGITS,
        "records": records,
    }
    out = pathlib.Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=0, separators=(",", ":")) + "\n")
    print(f"{out}: {len(records)} records, {sum(len(r['x']) for r in records)} points, "
          f"{out.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
