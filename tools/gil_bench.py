"""Does fastact release the GIL?  Two Python threads, each calling f(x, out=o) on its own array
of n elements, against one thread making the same calls one after the other.  fastact's own
thread pool is off (set_num_threads(1)), so any speedup comes from the Python threads running
at once.  np.exp(x, out=o), which releases the GIL, is measured the same way in the same
process: it is what this machine allows.

    python tools/gil_bench.py [--n 1000000] [--repeats 7] [--check 1.6]   (make bench-gil)

Speedup = time(one thread, 2k calls) / time(two threads, k calls each); medians of repeats.
Second measure, which does not need an idle core: how fast a pure-Python loop in another thread
runs while this thread calls fastact, next to a GIL-holding loop and to sleeping.
With --check R the exit status is 1 if fastact's median speedup is below R for any function.
"""
from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

import numpy as np

import fastact


def timed_pair(call_a, call_b, calls):
    """(seconds for one thread doing both call lists, seconds for two threads, one each)."""
    t0 = time.perf_counter()
    for _ in range(calls):
        call_a()
        call_b()
    serial = time.perf_counter() - t0

    start = threading.Barrier(3)

    def run(call):
        start.wait()
        for _ in range(calls):
            call()

    ts = [threading.Thread(target=run, args=(c,)) for c in (call_a, call_b)]
    for t in ts:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in ts:
        t.join()
    return serial, time.perf_counter() - t0


def speedup(make_call, n, dtype, repeats, calls):
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(n).astype(dtype) for _ in range(2)]
    os_ = [np.empty_like(x) for x in xs]
    a, b = make_call(xs[0], os_[0]), make_call(xs[1], os_[1])
    a(), b()  # warm-up
    ratios = []
    for _ in range(repeats):
        s, p = timed_pair(a, b, calls)
        ratios.append(s / p)
    return statistics.median(ratios), min(ratios), max(ratios)


def python_progress(call, seconds=1.0):
    """Iterations per ms of a pure-Python loop in a second thread while this thread repeats
    `call` for about `seconds`: a call holding the GIL leaves it a slice every switch interval,
    a call releasing it lets it run (on a free core) at its own speed."""
    count, stop = [0], threading.Event()

    def spin():
        while not stop.is_set():
            count[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    time.sleep(0.05)
    c0, t0 = count[0], time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        call()
    c1, t1 = count[0], time.perf_counter()
    stop.set()
    t.join()
    return (c1 - c0) / ((t1 - t0) * 1e3)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--calls", type=int, default=20, help="calls per thread per repeat")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--functions", nargs="*", default=["sigmoid", "tanh", "relu", "leaky_relu"])
    ap.add_argument("--check", type=float, default=None)
    args = ap.parse_args(argv)
    fastact.set_num_threads(1)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"GIL release: 2 Python threads vs 1, n = {args.n}, {args.dtype}, fastact threads = 1, "
          f"{cores} cores usable; speedup median [min, max] of {args.repeats} repeats")
    print(f"{'call':<34} {'speedup':>8}   range")
    rows = [("np.exp(x, out=o)  (the machine)", lambda x, o: lambda: np.exp(x, out=o))]
    for name in args.functions:
        f = fastact.get(name)
        rows.append((f"fastact.{name}(x, out=o)", lambda x, o, f=f: lambda: f(x, out=o)))
        rows.append((f"fastact.{name}.grad(x, out=o)",
                     lambda x, o, f=f: lambda: f.grad(x, out=o)))
    worst = None
    with np.errstate(all="ignore"):
        for label, make in rows:
            med, lo, hi = speedup(make, args.n, np.dtype(args.dtype), args.repeats, args.calls)
            print(f"{label:<34} {med:>7.2f}x   [{lo:.2f}, {hi:.2f}]")
            if label.startswith("fastact"):
                worst = med if worst is None else min(worst, med)
    x = np.random.default_rng(1).standard_normal(args.n).astype(args.dtype)
    o = np.empty_like(x)
    sigmoid = fastact.get("sigmoid")
    holding = [float(v) for v in x[:20000]]
    print("\nPython loop in another thread, iterations/ms while this thread calls:")
    with np.errstate(all="ignore"):
        for label, call in (("nothing (time.sleep)", lambda: time.sleep(0.01)),
                            ("a GIL-holding Python loop", lambda: sum(holding)),
                            (f"fastact.sigmoid(x, out=o), n={args.n}", lambda: sigmoid(x, out=o))):
            print(f"  {label:<40} {python_progress(call):10.0f}")
    if args.check is not None:
        ok = worst is not None and worst >= args.check
        print(f"lowest fastact speedup {worst:.2f}x: {'meets' if ok else 'BELOW'} {args.check}x")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
