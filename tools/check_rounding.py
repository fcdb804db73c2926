#!/usr/bin/env python3
"""Prove that fastact's float32 leaky_relu, hard_sigmoid and hardswish (values and
derivatives) are correctly rounded, over all 2^32 float32 inputs, on every ISA path.

A result r is the correctly rounded value of v = f(x) exactly when v lies between the two
midpoints that separate r from its float32 neighbours (on a midpoint: r has an even last bit).
The midpoints m are doubles, and each test sign(v - m) is done exactly: K (v - m) is written as
a sum of doubles that are each exact (x*x and 3x of a float32 x, 6m, the two halves of a
TwoProduct), and the sign of that sum is the sign of the top component of its Shewchuk
expansion (TwoSum, exact).  No rounding decides anything, so the check is a proof for the
inputs it runs on.  It also checks that the kernels equal the pure-NumPy references bit for
bit, and that every ISA path gives the same bits.

Usage: python tools/check_rounding.py [--slope S ...] [--isa NAME ...] [--step K]
(--step K checks every K-th bit pattern only; the default 1 is the proof, ~10 min a function.)
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import fastact
from fastact import _core
from fastact import reference as ref


def two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def two_prod_f32(x, s: float):
    """x * s exactly as p + e (x float32 values in float64, s a double): Dekker's product with
    s split in halves of at most 26 bits (x needs no split: it has 24)."""
    c = 134217729.0 * s  # 2^27 + 1
    sh = c - (c - s)
    sl = s - sh
    p = x * s
    return p, ((x * sh - p) + x * sl)


def sign_of_sum(terms):
    """The exact sign of the sum of equally shaped float64 arrays (Shewchuk's expansion)."""
    comps = []
    for t in terms:
        q = t
        new = []
        for c in comps:
            q, h = two_sum(q, c)
            new.append(h)
        new.append(q)
        comps = new
    sign = np.zeros(terms[0].shape, dtype=np.int8)
    for c in reversed(comps):  # most significant first
        sign = np.where(sign == 0, np.sign(c).astype(np.int8), sign)
    return sign


# function: (value, derivative), each (v(x) approximately in double, the exact terms): the
# terms are exact doubles whose sum is K (v(x) - m) with K > 0, on the region where the
# formula is not a plain constant or x (that region is checked bit for bit against the
# reference)
def _leaky(slope):
    def exact(x, m):
        p, e = two_prod_f32(x, slope)
        return [p, e, -m]
    return (lambda x: x * slope, exact), None


def _full(x, v):
    return np.full_like(x, v)


TERMS = {
    "hard_sigmoid": ((lambda x: (x + 3) / 6, lambda x, m: [x, _full(x, 3.0), -6 * m]),
                     (lambda x: _full(x, 1 / 6), lambda x, m: [_full(x, 1.0), -6 * m])),
    "hardswish": ((lambda x: x * (x + 3) / 6, lambda x, m: [x * x, 3 * x, -6 * m]),
                  (lambda x: (2 * x + 3) / 6, lambda x, m: [2 * x, _full(x, 3.0), -6 * m])),
}


def exact_signs(x, m, terms):
    """sign(v(x) - m), exactly.  A double approximation of v (relative error below 2^-50)
    decides wherever it is farther than 2^-40 |m| from m; the exact expansion decides the rest
    (a few inputs in a million), which keeps the proof fast."""
    approx, exact_terms = terms
    with np.errstate(all="ignore"):
        d = approx(x) - m
    sign = np.sign(d).astype(np.int8)
    near = ~(np.abs(d) > 2.0 ** -40 * np.abs(m)) | (m == 0)
    if near.any():
        sign[near] = sign_of_sum(exact_terms(x[near], m[near]))
    return sign


def correctly_rounded(r, x, terms):
    """Boolean array: r (float32) is the correctly rounded value of the function at x."""
    big = np.float64(np.finfo(np.float32).max) + 2.0 ** 103  # the rounding boundary to inf
    rd = r.astype(np.float64)
    fin = np.isfinite(r)
    with np.errstate(over="ignore", invalid="ignore"):
        down = np.nextafter(r, np.float32(-np.inf)).astype(np.float64)
        up = np.nextafter(r, np.float32(np.inf)).astype(np.float64)
    lo = np.where(np.isinf(down), rd - 2.0 ** 103, (rd + down) / 2)
    hi = np.where(np.isinf(up), rd + 2.0 ** 103, (rd + up) / 2)
    lo = np.where(fin, lo, np.where(r > 0, big, -np.inf))
    hi = np.where(fin, hi, np.where(r > 0, np.inf, -big))
    lo = np.where(np.isinf(lo), 0.0, lo)  # r = -inf: no lower condition (handled by sign below)
    hi = np.where(np.isinf(hi), 0.0, hi)
    x = x.astype(np.float64)
    s_lo, s_hi = exact_signs(x, lo, terms), exact_signs(x, hi, terms)
    even = (r.view(np.uint32) & 1) == 0
    ok_lo = (s_lo > 0) | ((s_lo == 0) & even) | (r == -np.inf)
    ok_hi = (s_hi < 0) | ((s_hi == 0) & even) | (r == np.inf)
    ok_lo |= (r == np.inf) & (s_lo >= 0)
    ok_hi |= (r == -np.inf) & (s_hi <= 0)
    return ok_lo & ok_hi & ~np.isnan(r)


def check(name, params, isas, step, chunk=1 << 22, progress=True):
    value_terms, deriv_terms = TERMS[name] if name in TERMS else _leaky(params["negative_slope"])
    lo, hi = (-3.0, 3.0) if name != "leaky_relu" else (-np.inf, 0.0)
    f = fastact.get(name)
    bad = {"value": 0, "derivative": 0, "reference": 0, "isa": 0}
    examples = []
    checked = 0
    t0 = time.perf_counter()
    total = 1 << 32
    for start in range(0, total, chunk * step):
        bits = np.arange(start, min(start + chunk * step, total), step, dtype=np.uint64).astype(np.uint32)
        x = bits.view(np.float32)
        x = x[(x > lo) & (x < hi)]  # elsewhere the result is 0, 1, x or slope x exactly: the
        if x.size == 0:              # bit-exact comparison with the reference covers it
            continue
        checked += x.size
        outs = {}
        for isa in isas:
            _core.set_isa(isa)
            outs[isa] = (f(x, **params), f.grad(x, **params))
        y, d = outs[isas[0]]
        for isa in isas[1:]:
            bad["isa"] += int(np.sum(outs[isa][0].view(np.uint32) != y.view(np.uint32)))
            bad["isa"] += int(np.sum(outs[isa][1].view(np.uint32) != d.view(np.uint32)))
        ry = ref.evaluate(name, "value", x, **params)
        rd = ref.evaluate(name, "derivative", x, **params)
        bad["reference"] += int(np.sum(ry.view(np.uint32) != y.view(np.uint32)))
        bad["reference"] += int(np.sum(rd.view(np.uint32) != d.view(np.uint32)))
        ok = correctly_rounded(y, x, value_terms)
        bad["value"] += int(np.sum(~ok))
        examples += [("value", float(v), float(w)) for v, w in zip(x[~ok][:3], y[~ok][:3])]
        if deriv_terms is not None:
            okd = correctly_rounded(d, x, deriv_terms)
            bad["derivative"] += int(np.sum(~okd))
            examples += [("derivative", float(v), float(w)) for v, w in zip(x[~okd][:3], d[~okd][:3])]
        if progress:
            frac = min(1.0, (start + chunk * step) / total) if start + chunk * step < total else 1.0
            bar = "#" * int(30 * frac)
            print(f"\r{name:<13}[{bar:<30}] {100 * frac:5.1f}% {time.perf_counter() - t0:6.0f}s",
                  end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    return checked, bad, examples[:10]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slope", type=float, action="append",
                    help="leaky_relu negative_slope to prove (repeatable; default 0.01 and 0.2)")
    ap.add_argument("--isa", action="append", help="ISA paths (default: every one this machine runs)")
    ap.add_argument("--step", type=int, default=1, help="check every STEP-th bit pattern")
    ap.add_argument("functions", nargs="*", default=["leaky_relu", "hard_sigmoid", "hardswish"])
    args = ap.parse_args(argv)
    isas = args.isa or list(_core.usable_isas())
    before = _core.get_isa()
    ok = True
    try:
        for name in args.functions:
            settings = ([{"negative_slope": s} for s in (args.slope or [0.01, 0.2])]
                        if name == "leaky_relu" else [{}])
            for p in settings:
                n, bad, ex = check(name, p, isas, args.step)
                good = not any(bad.values())
                ok &= good
                print(f"{name} {p or ''} float32: {n} inputs on {', '.join(isas)}: "
                      f"not correctly rounded: value {bad['value']}, derivative {bad['derivative']}; "
                      f"differ from the reference: {bad['reference']}; between ISAs: {bad['isa']}"
                      + ("" if good else f"  FAIL e.g. {ex}"), flush=True)
    finally:
        _core.set_isa(before)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
