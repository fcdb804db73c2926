"""Noise-robust cross-check of `python -m fastact bench-structured` on a loaded machine: the
same cases and peers, each side timed as the minimum of 5 rounds of 5 calls (interleaved), so
time stolen by other processes inflates no ratio; then the short rows (10000x10) of softmax,
log_softmax and softmin, forward and backward from y, and prelu, rrelu and leaky_relu (rrelu's
eval formula) at n = 2^20, against a copy, timed the same way.  One thread; run it pinned:

    taskset -c 1 .venv/bin/python tools/structured_min_ratios.py
"""
import time

import numpy as np

import fastact
from fastact import _bench_structured as bs


def fastest(call, calls=5):
    best = float("inf")
    for _ in range(calls):
        t = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    fastact.set_num_threads(1)
    peers, missing = bs.load_peers(1)
    print("peers:", ", ".join(peers) or "none", "".join(f"; {k} unavailable" for k in missing))
    rng = np.random.default_rng(0)
    for dt in (np.float32, np.float64):
        for shape, axis in bs.AXIS_CASES:
            x = (rng.standard_normal(shape) * 4).astype(dt)
            o = np.empty_like(x)
            for name in ("softmax", "log_softmax"):
                f = fastact.get(name)
                cases = {"fastact": lambda f=f: f(x, axis=axis, out=o), "copy": lambda: np.copyto(o, x)}
                if axis != -1:
                    cases["last"] = lambda f=f: f(x, axis=-1, out=o)
                for p, (_, make) in peers.items():
                    call = bs._checked(p, make, name, x, axis)
                    if call is not None:
                        cases[p] = call
                best = {k: float("inf") for k in cases}
                for _ in range(5):
                    for k, call in cases.items():
                        best[k] = min(best[k], fastest(call))
                ns = {k: v / x.size * 1e9 for k, v in best.items()}
                line = (f"{np.dtype(dt).name:8} {name:12} {'x'.join(map(str, shape)):10} {axis:2}: "
                        f"fastact {ns['fastact']:.3f} ns/el, /copy {ns['fastact'] / ns['copy']:.1f}")
                present = [p for p in peers if p in ns]
                if present:
                    p = min(present, key=ns.get)
                    line += f", /peer {ns['fastact'] / ns[p]:.2f} ({p} {ns[p]:.3f})"
                if "last" in ns:
                    line += f", /last {ns['fastact'] / ns['last']:.2f}"
                print(line)
    for dt in (np.float32, np.float64):  # short rows: every function and backward from y
        x = (rng.standard_normal((10000, 10)) * 4).astype(dt)
        g = rng.standard_normal(x.shape).astype(dt)
        o = np.empty_like(x)
        cases = {"copy": lambda: np.copyto(o, x)}
        for name in ("softmax", "log_softmax", "softmin"):
            f = fastact.get(name)
            cases[name] = lambda f=f: f(x, out=o)
            cases[name + " backward"] = lambda f=f, y=f(x): f.backward(g, y=y, out=o)
        best = {k: float("inf") for k in cases}
        for _ in range(5):
            for k, call in cases.items():
                best[k] = min(best[k], fastest(call))
        print(f"{np.dtype(dt).name:8} 10000x10 /copy: " + ", ".join(
            f"{k} {best[k] / best['copy']:.1f}" for k in cases if k != "copy"))
    for dt in (np.float32, np.float64):
        x = (rng.standard_normal(bs.N_ELEMENTWISE) * 4).astype(dt)
        o, s = np.empty_like(x), np.empty_like(x)
        cases = {
            "copy": lambda: np.copyto(o, x),
            "prelu 1-D": lambda: fastact.prelu(x, out=o, weight=0.25),
            "leaky_relu (slope 0.2292)": lambda: fastact.leaky_relu(
                x, out=o, negative_slope=(1 / 8 + 1 / 3) / 2),
            "rrelu eval": lambda: fastact.rrelu(x, out=o),
            "rrelu training": lambda: fastact.rrelu(x, out=o, training=True, generator=1),
            "rrelu training, slopes=": lambda: fastact.rrelu(x, out=o, training=True,
                                                             generator=1, slopes=s),
        }
        best = {k: float("inf") for k in cases}
        for _ in range(5):
            for k, call in cases.items():
                best[k] = min(best[k], fastest(call))
        for k in cases:
            if k != "copy":
                print(f"{np.dtype(dt).name:8} {k:26} n=2^20: fastact "
                      f"{best[k] / x.size * 1e9:.3f} ns/el, /copy {best[k] / best['copy']:.2f}")


if __name__ == "__main__":
    main()
