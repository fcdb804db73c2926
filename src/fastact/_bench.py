"""Speed of fastact against its pure-NumPy reference, in ns per element.

For every registered function and dtype at n elements (inputs: 4 * standard normal, fixed
seed, so both sides of every kink are hit) two tables:

  f(x)         fastact (new output array) vs fastact.reference; and np.copyto(o, x) of the
               same bytes, the memory roofline, with fastact's time relative to it
  derivatives  f.grad(x) vs reference_grad(x);  f.backward(g, x=x) vs g * reference_grad(x)

then the per-call cost at n=16 (float32, out= given) against np.tanh(x, out=o), NumPy's own
ufunc overhead (target: ratio <= 0.5), and a summary: which functions are >= 3x faster than
the reference at float32.  speed = reference time / fastact time.  Every time is the median of
--repeat measurements, each an inner loop of a few ms; the sides of a ratio are measured
interleaved in the same process, so machine noise hits both.  The exit code is 0 whatever
the speeds (it is a report).

--peers adds speed columns against PyTorch (CPU), ONNX Runtime (a one-node model where an
ONNX op matches the function), numexpr and scipy.special.expit, each where importable,
with the same thread count as fastact: peer time / fastact time, each peer measured in turn
with fastact alone; "-" where a peer is missing, has no matching op or disagrees with the
reference.  On a small shared machine a busy neighbour slows multi-threaded calls (a peer's
static split waits for its descheduled thread; fastact's pool lets the caller take the
blocks instead): the header shows the load; --threads 1 isolates the kernels.

--thread-scan instead times relu, sigmoid and tanh at 2^10..2^20 elements with one thread and
with all threads and prints the size from which threads win (how parallel_min in
fastact._core is chosen); then, at 2^6..2^16, releasing the GIL against keeping it: the
throughput of two Python threads calling at once and the cost for a lone caller (nogil_min).

The same cases drive the asv suite (bench/benchmarks) and pytest-benchmark (bench/).
"""
from __future__ import annotations

import importlib
import json
import math
import os
import platform
import statistics
import sys
import time
import timeit

import numpy as np

DTYPES = ("float32", "float64")
SIZES = (16, 100_000)  # the per-call regime and the throughput regime
SEED = 20240601
BUDGET_NS = 3_000_000  # inner-loop length of one measurement
SPEED_TARGET = 3.0  # vs the reference at n=1e5 float32
PER_CALL = ("tanh", "relu", "sigmoid")  # n=16 with out=, vs np.tanh(x, out=o)
PER_CALL_TARGET = 0.5
SCAN_FUNCTIONS = ("relu", "sigmoid", "tanh")
SCAN_SIZES = tuple(2 ** k for k in range(10, 21))
NOGIL_SIZES = tuple(2 ** k for k in range(6, 17))
NEVER = 2 ** 62  # a threshold no array reaches


# ------------------------------------------------------------------ the cases

def bench_params(spec):
    """Parameters to benchmark `spec` with: its defaults, and 0.5, 1.0, ... for required ones
    (increasing, so ordering rules such as min < max hold)."""
    from ._registry import REQUIRED

    required = [p.name for p in spec.params if p.default is REQUIRED]
    params = dict(spec.defaults(), **{n: 0.5 * (i + 1) for i, n in enumerate(required)})
    spec.resolve(params, spec.name)  # a rule the scheme breaks fails here, not in a timing
    return params


def inputs(n, dtype, seed=SEED):
    """(x, g): 4 * standard normal inputs and standard normal upstream gradients."""
    rng = np.random.default_rng(seed)
    return ((rng.standard_normal(n) * 4).astype(dtype),
            rng.standard_normal(n).astype(dtype))


def operations(name, x, g):
    """{kind: (fastact call, reference call)} of zero-argument callables for f(x), grad and
    backward of function `name` on (x, g), with `bench_params`."""
    import fastact

    f = fastact.get(name)
    p = bench_params(f.spec)
    return {
        "f": (lambda: f(x, **p), lambda: f.reference(x, **p)),
        "grad": (lambda: f.grad(x, **p), lambda: f.reference_grad(x, **p)),
        "backward": (lambda: f.backward(g, x=x, **p), lambda: g * f.reference_grad(x, **p)),
    }


# ------------------------------------------------------------------ peers

def _torch_call(torch, name, p, x, threads):
    F = torch.nn.functional
    ops = {
        "identity": lambda t: t.clone(),
        "hard_sigmoid": F.hardsigmoid,
        "step": lambda t: torch.heaviside(t, torch.tensor(p["at_zero"], dtype=t.dtype)),
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
    }
    op = ops.get(name) or (lambda t: getattr(F, name)(t, **p))  # same parameter names
    torch.set_num_threads(threads)
    t = torch.from_numpy(x)
    return lambda: op(t)


def _onnx_node(name, p):
    """(op, attributes, constant inputs) of the one ONNX node computing `name`, or None."""
    simple = {"identity": "Identity", "relu": "Relu", "hardswish": "HardSwish",
              "sigmoid": "Sigmoid", "tanh": "Tanh"}
    if name in simple:
        return simple[name], {}, []
    return {
        "relu6": lambda: ("Clip", {}, [0.0, 6.0]),
        "hardtanh": lambda: ("Clip", {}, [p["min_val"], p["max_val"]]),
        "leaky_relu": lambda: ("LeakyRelu", {"alpha": p["negative_slope"]}, []),
        "hard_sigmoid": lambda: ("HardSigmoid", {"alpha": 1 / 6, "beta": 0.5}, []),
        "hardshrink": lambda: ("Shrink", {"lambd": p["lambd"], "bias": 0.0}, []),
        "softshrink": lambda: ("Shrink", {"lambd": p["lambd"], "bias": p["lambd"]}, []),
    }.get(name, lambda: None)()


def _onnxruntime_call(ort, name, p, x, threads):
    node = _onnx_node(name, p)
    if node is None:
        return None
    from onnx import helper, numpy_helper

    op, attrs, consts = node
    elem = helper.np_dtype_to_tensor_dtype(x.dtype)
    inits = [numpy_helper.from_array(np.array(c, x.dtype), f"c{i}")
             for i, c in enumerate(consts)]
    graph = helper.make_graph(
        [helper.make_node(op, ["x"] + [c.name for c in inits], ["y"], **attrs)], name,
        [helper.make_tensor_value_info("x", elem, ["n"])],
        [helper.make_tensor_value_info("y", elem, ["n"])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = min(model.ir_version, 9)  # what this onnxruntime reads
    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    opts.log_severity_level = 3
    # its default spin-waiting workers starve fastact's threads (100x slower calls) when the
    # two are measured in turn; without spinning onnxruntime itself is as fast here
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    feed = {"x": x}
    return lambda: sess.run(None, feed)[0]


_NUMEXPR = {  # float literals would promote float32 to float64: parameters are variables
    "identity": "x",
    "relu": "where(x > 0, x, 0)",
    "relu6": "where(x > 0, where(x < 6, x, 6), 0)",
    "leaky_relu": "where(x > 0, x, x * negative_slope)",
    "hardtanh": "where(x < min_val, min_val, where(x > max_val, max_val, x))",
    "hard_sigmoid": "where(x <= -3, 0, where(x >= 3, 1, (x + 3) / 6))",
    "hardswish": "where(x <= -3, 0, where(x >= 3, x, x * (x + 3) / 6))",
    "hardshrink": "where(abs(x) > lambd, x, 0)",
    "softshrink": "where(x > lambd, x - lambd, where(x < -lambd, x + lambd, 0))",
    "threshold": "where(x > threshold, x, value)",
    "step": "where(x > 0, 1, where(x < 0, 0, at_zero))",
    "sigmoid": "1 / (1 + exp(-x))",
    "tanh": "tanh(x)",
}


def _numexpr_call(ne, name, p, x, threads):
    if name not in _NUMEXPR:
        return None
    ne.set_num_threads(threads)
    env = {"x": x, **{k: x.dtype.type(v) for k, v in p.items()}}
    return lambda: ne.evaluate(_NUMEXPR[name], local_dict=env)


def _scipy_call(scipy, name, p, x, threads):
    if name != "sigmoid":
        return None
    return lambda: scipy.special.expit(x)


PEERS = {  # name: (modules it needs, first one passed on; builder)
    "torch": (("torch",), _torch_call),
    "onnxruntime": (("onnxruntime", "onnx"), _onnxruntime_call),
    "numexpr": (("numexpr",), _numexpr_call),
    "scipy": (("scipy", "scipy.special"), _scipy_call),
}


def peer_module(peer):
    """The main module of `peer` (a key of PEERS); ImportError when any it needs is missing."""
    return [importlib.import_module(m) for m in PEERS[peer][0]][0]


def peer_call(peer, name, x, threads=None):
    """A zero-argument callable computing f(x) for function `name` with `peer` (a key of
    PEERS), checked against the reference; ImportError when the peer is not installed,
    None when it has no matching operation, another exception when it fails or disagrees."""
    import fastact

    module = peer_module(peer)
    f = fastact.get(name)
    p = bench_params(f.spec)
    call = PEERS[peer][1](module, f.name, p, x, threads or fastact.get_num_threads())
    if call is not None:
        got, want = np.asarray(call()), f.reference(x, **p)
        if got.dtype != want.dtype or not np.allclose(got, want, rtol=1e-3, atol=1e-5):
            raise ValueError(f"{peer} {name}: result differs from the reference")
    return call


# ------------------------------------------------------------------ timing

def measure(cases, repeat, budget_ns=BUDGET_NS):
    """Median ns per execution of each case, over `repeat` rounds that interleave the cases.

    A case is a zero-argument callable or a (statement, namespace, setup) triple run by
    timeit (no call overhead added: for per-call costs; setup runs before every measurement,
    so a case can select its own threads or thresholds).  Each measurement loops for about
    `budget_ns`."""
    timers = [timeit.Timer("call()", globals={"call": c}, timer=time.perf_counter_ns)
              if callable(c) else
              timeit.Timer(c[0], c[2], globals=c[1], timer=time.perf_counter_ns) for c in cases]
    loops = []
    for t in timers:
        k = 1
        while (elapsed := t.timeit(k)) < budget_ns / 4:
            k = max(2 * k, int(k * budget_ns / 2 / max(elapsed, 1)))
        loops.append(max(1, int(k * budget_ns / elapsed)))
    samples = [[] for _ in timers]
    for _ in range(repeat):
        for t, k, s in zip(timers, loops, samples):
            s.append(t.timeit(k) / k)
    return [statistics.median(s) for s in samples]


# ------------------------------------------------------------------ formatting

def _ns(v):
    return f"{v:.3g}"


def _ratio(v):
    return "-" if v is None else f"{v:.3g}x"


def _table(headers, rows, left=2):
    """Lines of aligned text: the first `left` columns flush left, the rest flush right."""
    cells = [headers] + rows
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    return ["  ".join(c.ljust(w) if i < left else c.rjust(w)
                      for i, (c, w) in enumerate(zip(r, widths))).rstrip() for r in cells]


def _load():
    try:
        return "/".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "?"


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# ------------------------------------------------------------------ the report

def _speed_rows(names, dtypes, n, repeat, peers):
    """One record per function x dtype: ns/element of every side.  fastact, the reference and
    the copy are measured interleaved; each peer in its own pair with fastact's f(x) (two
    foreign thread pools spinning at once on a small machine would slow everyone down)."""
    records = []
    for name in names:
        for dtype in dtypes:
            x, g = inputs(n, dtype)
            o = np.empty_like(x)
            sides = {"copy": lambda: np.copyto(o, x)}
            for kind, (fast, ref) in operations(name, x, g).items():
                sides[kind], sides["reference_" + kind] = fast, ref
            times = dict(zip(sides, measure(list(sides.values()), repeat)))
            record = {"function": name, "dtype": dtype, "n": n,
                      "ns_per_element": {k: t / n for k, t in times.items()}, "peers": {}}
            for peer in peers:
                try:
                    call = peer_call(peer, name, x)
                except Exception as exc:  # a failing peer is a "-", not a failed report
                    print(f"note: {peer} {name} {dtype}: {exc}", file=sys.stderr)
                    call = None
                if call is not None:
                    fast, other = measure([sides["f"], call], repeat)
                    record["peers"][peer] = {"ns_per_element": other / n,
                                             "fastact_ns_per_element": fast / n,
                                             "speed": other / fast}
            records.append(record)
    return records


def _print_tables(records, peers):
    fwd, der = [], []
    for r in records:
        t = r["ns_per_element"]
        times_and_speed = [[_ns(t[k]), _ns(t["reference_" + k]),
                            _ratio(t["reference_" + k] / t[k])] for k in ("f", "grad", "backward")]
        key = [r["function"], r["dtype"]]
        fwd.append(key + times_and_speed[0] + [_ns(t["copy"]), _ratio(t["f"] / t["copy"])]
                   + [_ratio(r["peers"].get(p, {}).get("speed")) for p in peers])
        der.append(key + times_and_speed[1] + times_and_speed[2])
    print("\nf(x), ns/element; copy = np.copyto(o, x) (one thread), the memory roofline"
          + ("; peers: peer time / fastact time" if peers else ""))
    print("\n".join(_table(["function", "dtype", "fastact", "reference", "speed", "copy",
                            "fastact/copy"] + list(peers), fwd)))
    print("\nderivatives, ns/element: f.grad(x) vs reference_grad(x);"
          " f.backward(g, x=x) vs g * reference_grad(x)")
    print("\n".join(_table(["function", "dtype", "grad", "reference", "speed",
                            "backward", "reference", "speed"], der)))


def _per_call(repeat):
    """ns per call at n=16 float32 with out= given, against np.tanh(x, out=o)."""
    import fastact

    x, _ = inputs(16, "float32")
    env = {"fastact": fastact, "np": np, "x": x, "o": np.empty_like(x)}
    stmts = ["np.tanh(x, out=o)"] + [f"fastact.{n}(x, out=o)" for n in PER_CALL]
    times = dict(zip(stmts, measure([(s, env, "pass") for s in stmts], repeat)))
    base = times[stmts[0]]
    print(f"\nper-call cost, n=16 float32, out= given "
          f"(target: <= {PER_CALL_TARGET} x numpy's own ufunc overhead)")
    rows = [[s, f"{t:.0f}", f"{t / base:.2f}",
             "" if s == stmts[0] else "ok" if t / base <= PER_CALL_TARGET else "MISSED"]
            for s, t in times.items()]
    print("\n".join(_table(["call", "ns/call", "vs np.tanh", ""], rows, left=1)))
    return [{"call": s, "ns_per_call": t, "vs_np_tanh": t / base} for s, t in times.items()]


def _summary(records, n):
    speeds = {r["function"]: r["ns_per_element"]["reference_f"] / r["ns_per_element"]["f"]
              for r in records if r["dtype"] == "float32"}
    if not speeds:
        print("\nsummary: float32 not measured")
        return {}
    slow = {k: v for k, v in speeds.items() if v < SPEED_TARGET}
    print(f"\nsummary: {len(speeds) - len(slow)} of {len(speeds)} functions are >= "
          f"{SPEED_TARGET:g}x faster than the reference at n={n} float32"
          + ("; below: " + ", ".join(f"{k} ({v:.2f}x)" for k, v in slow.items()) if slow else ""))
    return {"target": SPEED_TARGET, "meeting": len(speeds) - len(slow), "of": len(speeds),
            "below": slow}


# ------------------------------------------------------------------ thread thresholds

def _scan(stmt, dtype, repeat, sizes, setups):
    """{(function, n): [ns per `stmt` under each setup]} for SCAN_FUNCTIONS at `sizes`; the
    setups (statements selecting threads and thresholds) are interleaved per size."""
    import fastact
    from . import _core

    saved = fastact.get_num_threads(), _core.get_thresholds()
    results = {}
    try:
        for name in SCAN_FUNCTIONS:
            for n in sizes:
                x, _ = inputs(n, dtype)
                env = {"fastact": fastact, "_core": _core, "two_callers": _two_callers,
                       "f": fastact.get(name), "x": x, "outs": [np.empty_like(x) for _ in "ab"],
                       "m": max(4, 2 ** 22 // n)}
                results[name, n] = measure([(stmt, env, s) for s in setups], repeat)
    finally:
        fastact.set_num_threads(saved[0])
        _core.set_thresholds(*saved[1])
    return results


def _two_callers(f, x, outs, m):
    """f(x, out=o) m times in each of two Python threads at once."""
    import threading

    def work(o):
        for _ in range(m):
            f(x, out=o)

    threads = [threading.Thread(target=work, args=(o,)) for o in outs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _print_scan(title, sizes, cell):
    print(f"\n{title}")
    rows = [[f"2^{int(math.log2(n))}", f"{n}"] + [cell(f, n) for f in SCAN_FUNCTIONS]
            for n in sizes]
    print("\n".join(_table(["size", "n"] + list(SCAN_FUNCTIONS), rows)))


def _crossovers(results, sizes):
    """Per function, the smallest size from which the second setup beats the first at every
    larger size (None if it never does), and the largest of them (the threshold to pick)."""
    def first_win(f):
        first = None
        for n in reversed(sizes):
            if results[f, n][1] >= results[f, n][0]:
                break
            first = n
        return first

    found = {f: first_win(f) for f in SCAN_FUNCTIONS}
    print("crossover (wins from here on): "
          + ", ".join(f"{f} {c or f'none up to {sizes[-1]}'}" for f, c in found.items()))
    return found, max((c for c in found.values() if c), default=None)


def _thread_scan(dtype, repeat):
    import fastact

    nt = fastact.get_num_threads()
    if nt < 2:
        print("thread scan: only 1 thread (use --threads N); nothing to compare")
        return {}
    threads = "fastact.set_num_threads({}); _core.set_thresholds(nogil_min=0, parallel_min=0)"
    par = _scan("f(x, out=outs[0])", dtype, repeat, SCAN_SIZES,
                [threads.format(1), threads.format(nt)])
    _print_scan(f"parallel_min: speed of {nt} threads over 1, {dtype} f(x, out=o)"
                " (> 1: threads win)", SCAN_SIZES,
                lambda f, n: f"{par[f, n][0] / par[f, n][1]:.2f}")
    par_cross, par_min = _crossovers(par, SCAN_SIZES)

    # Releasing the GIL costs a single caller a few tens of ns; it pays off when two Python
    # threads call at once (they then compute in parallel).  One fastact thread throughout.
    gil = f"fastact.set_num_threads(1); _core.set_thresholds(nogil_min={{}}, parallel_min={NEVER})"
    setups = [gil.format(NEVER), gil.format(0)]
    two = _scan("two_callers(f, x, outs, m)", dtype, repeat, NOGIL_SIZES, setups)
    one = _scan("f(x, out=outs[0])", dtype, repeat, NOGIL_SIZES, setups)
    _print_scan(f"nogil_min: releasing the GIL vs keeping it, {dtype}: throughput of two Python"
                " threads calling at once (> 1: release wins) / extra ns per call for one caller",
                NOGIL_SIZES, lambda f, n: f"{two[f, n][0] / two[f, n][1]:.2f} / "
                                          f"{one[f, n][1] - one[f, n][0]:+.0f}ns")
    gil_cross, nogil_min = _crossovers(two, NOGIL_SIZES)
    if nogil_min and par_min:  # threads need the GIL released: above parallel_min it is moot
        nogil_min = min(nogil_min, par_min)
    print(f"\nrecommended (largest crossover; nogil_min at most parallel_min):"
          f" parallel_min = {par_min or 'keep'}, nogil_min = {nogil_min or 'keep'};"
          f" now {_current_thresholds()}.\nThresholds are in elements x cost (the registry's"
          " cost: 1 for relu, 4 for sigmoid and tanh), so the largest crossover (a cost-1"
          " function's) is the value to set.\nThe two-caller scan is noisy (thread wake-ups):"
          " compare a few runs.")

    def per_size(results):
        return {f"{f}/{n}": t for (f, n), t in results.items()}

    return {"threads": nt, "dtype": dtype,
            "times": "ns per statement: [1 thread, all threads] / [GIL kept, GIL released]",
            "parallel": per_size(par), "gil_two_callers": per_size(two),
            "gil_one_caller": per_size(one), "parallel_crossover": par_cross,
            "nogil_crossover": gil_cross,
            "recommended": {"parallel_min": par_min, "nogil_min": nogil_min}}


def _current_thresholds():
    from . import _core

    nogil_min, parallel_min = _core.get_thresholds()
    return f"parallel_min = {parallel_min}, nogil_min = {nogil_min}"


# ------------------------------------------------------------------ command line

def add_arguments(parser):
    parser.add_argument("--n", type=int, default=100_000,
                        help="elements per array (default 100000)")
    parser.add_argument("--repeat", type=int, default=7,
                        help="measurements per number; the median is shown (default 7)")
    parser.add_argument("--dtype", choices=DTYPES, action="append",
                        help="restrict to a dtype (repeatable; default both)")
    parser.add_argument("--functions", help="comma-separated names (default: all)")
    parser.add_argument("--isa", help="use this ISA's kernels (default: the best this CPU runs)")
    parser.add_argument("--threads", type=int, help="fastact threads (default: as configured)")
    parser.add_argument("--peers", action="store_true",
                        help="add PyTorch, ONNX Runtime, numexpr and SciPy, where installed")
    parser.add_argument("--thread-scan", action="store_true",
                        help="scan the thread and GIL-release thresholds instead of the table")
    parser.add_argument("--json", metavar="PATH", help="also write every measured number here")


def run(args):
    import fastact
    from . import _core
    from ._registry import SPECS

    try:
        if args.isa:
            _core.set_isa(args.isa)
        if args.threads is not None:
            fastact.set_num_threads(args.threads)
        names = ([fastact.get(s.strip()).name for s in args.functions.split(",") if s.strip()]
                 if args.functions else [s.name for s in SPECS])
        if args.n < 1 or args.repeat < 1:
            raise ValueError("--n and --repeat must be >= 1")
    except (ValueError, RuntimeError, TypeError) as exc:
        raise SystemExit(f"bench: {exc}") from None
    dtypes = tuple(args.dtype or DTYPES)
    meta = {"fastact": fastact.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "isa": _core.get_isa(),
            "threads": fastact.get_num_threads(), "cpu": _cpu_model(), "cores": os.cpu_count(),
            "load": _load(), "n": args.n, "repeat": args.repeat}
    print(f"fastact {meta['fastact']}, numpy {meta['numpy']}, python {meta['python']}")
    print(f"kernels: {meta['isa']}, threads: {meta['threads']} ({_current_thresholds()}),"
          f" cpu: {meta['cpu']} ({meta['cores']} logical, load {meta['load']})")
    report = {"meta": meta}
    if args.thread_scan:
        print(f"repeat: {args.repeat}, medians, same process")
        report["thread_scan"] = _thread_scan(dtypes[0], args.repeat)
    else:
        peers = []
        if args.peers:
            for peer in PEERS:
                try:
                    mod = peer_module(peer)
                    meta[peer] = getattr(mod, "__version__", "?")
                    peers.append(peer)
                except ImportError as exc:
                    print(f"note: {peer} unavailable ({exc}); its column shows -")
            print("peers: " + (", ".join(f"{p} {meta[p]}" for p in peers) or "none"))
        print(f"n: {args.n}, repeat: {args.repeat}, inputs: 4 * standard normal (seed {SEED})")
        print(f"speed = reference time / fastact time "
              f"(medians of {args.repeat} repeats, same process)")
        records = _speed_rows(names, dtypes, args.n, args.repeat, peers)
        _print_tables(records, list(PEERS) if args.peers else [])
        report["rows"] = records
        report["per_call"] = _per_call(args.repeat)
        report["summary"] = _summary(records, args.n)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
        print(f"\nwrote {args.json}")
    return 0
