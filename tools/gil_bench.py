"""Does fastact release the GIL?  Two Python threads, each calling f(x, out=o) on its own array
of n elements, against one thread making the same calls one after the other.  fastact's own
thread pool is off (set_num_threads(1), checked), so any speedup comes from the Python threads
running at once; the outputs are preallocated (out=) and written once before timing, so no call
page-faults.  Two controls that release the GIL run in the same process, interleaved with the
fastact rows repeat by repeat (every row sees the same load): np.copyto(o, x), the same bytes
and no arithmetic (what the memory system gives two streams), and np.exp(x, out=o),
arithmetic-bound (what two cores give).

    python tools/gil_bench.py [--n 1000000 100000] [--repeats 7] [--window 0.05] [--check 1.6]
                              [--no-pin]                                  (make bench-gil)

Speedup = time(one thread, 2k calls) / time(two threads, k calls each); medians of repeats; k
makes about --window seconds of calls.  "cpu 2/1": the CPU time a call takes on each of two
threads running at once over the CPU time it takes alone (time.thread_time): above 1 the two
cores slow each other down (shared memory bandwidth or cache, a lower clock), which caps the
speedup at 2 / that; a speedup below that cap is time the threads were not running (another
job had the core).
The two threads are pinned to two different cores (the one-thread run to the first of them)
unless --no-pin.  The load average before and after is printed: on a shared machine another
job takes a core away and the speedups fall with it.
Second measure, which does not need an idle core: how fast a pure-Python loop in another thread
runs while this thread calls fastact, next to a GIL-holding loop and to sleeping.
With --check R the exit status is 1 if fastact's median speedup is below R for any row at the
first n.
"""
from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

import numpy as np

import fastact


def pin(core):
    """Pin the calling thread to `core` (None: leave it)."""
    if core is not None:
        os.sched_setaffinity(threading.get_native_id(), {core})


def timed_pair(call_a, call_b, calls, cores):
    """(wall seconds of one thread doing both call lists, wall seconds of two threads, one list
    each, CPU seconds the one thread used, CPU seconds the two threads used)."""
    result = {}

    def serial():
        pin(cores[0])
        c0, t0 = time.thread_time(), time.perf_counter()
        for _ in range(calls):
            call_a()
            call_b()
        result["serial"] = (time.perf_counter() - t0, time.thread_time() - c0)

    t = threading.Thread(target=serial)  # a thread of its own, so pinning it pins nothing else
    t.start()
    t.join()

    start = threading.Barrier(3)
    cpu = []

    def run(call, core):
        pin(core)
        start.wait()
        c0 = time.thread_time()
        for _ in range(calls):
            call()
        cpu.append(time.thread_time() - c0)

    ts = [threading.Thread(target=run, args=(c, k)) for c, k in zip((call_a, call_b), cores)]
    for t in ts:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    return result["serial"][0], wall, result["serial"][1], sum(cpu)


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


def rows_for(functions):
    """(label, make(x, o) -> call, is_control) for the controls and every fastact row."""
    rows = [("np.copyto(o, x)  (memory)", lambda x, o: lambda: np.copyto(o, x), True),
            ("np.exp(x, out=o)  (arithmetic)", lambda x, o: lambda: np.exp(x, out=o), True)]
    for name in functions:
        f = fastact.get(name)
        rows.append((f"fastact.{name}(x, out=o)", lambda x, o, f=f: lambda: f(x, out=o), False))
        rows.append((f"fastact.{name}.grad(x, out=o)",
                     lambda x, o, f=f: lambda: f.grad(x, out=o), False))
    return rows


def measure(rows, n, dtype, repeats, window, cores):
    """{label: (one-thread ns per element, [speedups], calls per thread)}, the rows interleaved
    in each repeat; each row makes as many calls per thread as take about `window` seconds (a
    few scheduler time slices at least)."""
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(n).astype(dtype) for _ in range(2)]
    outs = [np.empty_like(x) for x in xs]
    pairs = []
    for label, make, _ in rows:
        a, b = make(xs[0], outs[0]), make(xs[1], outs[1])
        a(), b()  # warm-up: code, caches and the outputs' pages
        one = []
        for _ in range(5):  # the fastest of 5 calls: a preempted call would shorten the window
            t0 = time.perf_counter()
            a()
            one.append(time.perf_counter() - t0)
        calls = max(3, round(window / min(one)))
        pairs.append((label, a, b, calls))
    ratios = {p[0]: [] for p in pairs}
    serial = {p[0]: [] for p in pairs}
    inflation = {p[0]: [] for p in pairs}
    for _ in range(repeats):
        for label, a, b, calls in pairs:
            s, p, cpu_s, cpu_p = timed_pair(a, b, calls, cores)
            ratios[label].append(s / p)
            serial[label].append(s / (2 * calls * n) * 1e9)
            inflation[label].append(cpu_p / cpu_s)
    return {p[0]: (statistics.median(serial[p[0]]), ratios[p[0]], p[3],
                   statistics.median(inflation[p[0]])) for p in pairs}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1_000_000, 100_000],
                    help="array sizes (the first is the one --check applies to)")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--window", type=float, default=0.05,
                    help="seconds of calls per thread per repeat (the call count is set from a "
                    "timed call)")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--functions", nargs="*", default=["sigmoid", "tanh", "relu", "leaky_relu",
                                                       "gelu"])
    ap.add_argument("--no-pin", action="store_true", help="leave the threads to the scheduler")
    ap.add_argument("--check", type=float, default=None)
    args = ap.parse_args(argv)
    fastact.set_num_threads(1)
    assert fastact.get_num_threads() == 1
    usable = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    cores = (usable[0], usable[1]) if len(usable) >= 2 and not args.no_pin else (None, None)
    dtype = np.dtype(args.dtype)
    rows = rows_for(args.functions)
    load0 = os.getloadavg()
    print(f"GIL release: 2 Python threads vs 1, {args.dtype}, fastact threads = 1, "
          f"{len(usable) or os.cpu_count()} cores usable, threads pinned to cores "
          f"{cores if cores[0] is not None else 'no'}; speedup median [min, max] of "
          f"{args.repeats} repeats, rows interleaved; load average "
          + " ".join(f"{v:.2f}" for v in load0))
    worst = None
    with np.errstate(all="ignore"):
        for i, n in enumerate(args.n):
            res = measure(rows, n, dtype, args.repeats, args.window, cores)
            print(f"\nn = {n}: one thread's ns/element and GB/s (x read + out written), calls "
                  f"per thread per repeat, CPU time per call of two threads over one's, speedup "
                  f"of two threads")
            print(f"{'call':<34} {'ns/elem':>8} {'GB/s':>6} {'calls':>6} {'cpu 2/1':>8} "
                  f"{'speedup':>8}   range")
            for label, _, control in rows:
                ns, r, calls, infl = res[label]
                med = statistics.median(r)
                gbs = 2 * dtype.itemsize / ns
                print(f"{label:<34} {ns:>8.3f} {gbs:>6.1f} {calls:>6} {infl:>7.2f}x {med:>7.2f}x"
                      f"   [{min(r):.2f}, {max(r):.2f}]")
                if i == 0 and not control:
                    worst = med if worst is None else min(worst, med)
    print("\nload average after: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    x = np.random.default_rng(1).standard_normal(args.n[0]).astype(dtype)
    o = np.empty_like(x)
    sigmoid = fastact.get("sigmoid")
    holding = [float(v) for v in x[:20000]]
    print("\nPython loop in another thread, iterations/ms while this thread calls:")
    with np.errstate(all="ignore"):
        for label, call in (("nothing (time.sleep)", lambda: time.sleep(0.01)),
                            ("a GIL-holding Python loop", lambda: sum(holding)),
                            (f"fastact.sigmoid(x, out=o), n={args.n[0]}",
                             lambda: sigmoid(x, out=o))):
            print(f"  {label:<40} {python_progress(call):10.0f}")
    if args.check is not None:
        ok = worst is not None and worst >= args.check
        print(f"lowest fastact speedup at n = {args.n[0]}: {worst:.2f}x: "
              f"{'meets' if ok else 'BELOW'} {args.check}x")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
