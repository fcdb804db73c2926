"""Speed of the structured functions (python -m fastact bench-structured), in ns per element.

softmax and log_softmax at the shapes of issue 6, float32 and float64:

  1000x1000 and 64x32000 (last axis)   target: <= 0.8x the fastest of PyTorch, JAX, OpenVINO
  10000x10 (short rows)                target: <= 3x np.copyto of the same bytes
  1000x1000 along axis 0               target: <= 1.25x the same array along its last axis

and prelu (1-D, NCHW and channels-last) and rrelu (eval, training, training keeping the
slopes) at n = 2^20 ~ 1e6 (target: <= 1.5x a copy).  Each number is the median of --repeat
measurements of a few ms, the sides of a ratio interleaved in the same process (so machine
noise hits both); 1 thread unless --threads says otherwise, peers likewise (PyTorch:
torch.set_num_threads, JAX: XLA's single-threaded Eigen flag set before its import, OpenVINO:
INFERENCE_NUM_THREADS).  A missing peer shows "-".  The exit code is 0 whatever the speeds.
"""
from __future__ import annotations

import os
import platform

import numpy as np

from . import _bench

AXIS_CASES = (((1000, 1000), -1), ((64, 32000), -1), ((10000, 10), -1), ((1000, 1000), 0))
PEER_TARGET = 0.8
COPY_TARGET_SHORT = 3.0
AXIS0_TARGET = 1.25
ELEMENTWISE_TARGET = 1.5
N_ELEMENTWISE = 16 * 64 * 32 * 32  # ~1e6: also an NCHW batch of 16 x 64 x 32 x 32
PEERS = ("torch", "jax", "openvino")


# ------------------------------------------------------------------ peers

def _torch(threads):
    import torch

    torch.set_num_threads(threads)

    def make(name, x, axis):
        t = torch.from_numpy(x)
        f = {"softmax": torch.softmax, "log_softmax": torch.log_softmax}[name]
        return lambda: f(t, axis)
    return torch.__version__, make


def _jax(threads):
    if threads == 1 and "jax" not in __import__("sys").modules:
        os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                           "intra_op_parallelism_threads=1")
    import jax

    jax.config.update("jax_enable_x64", True)

    def make(name, x, axis):
        f = jax.jit({"softmax": jax.nn.softmax, "log_softmax": jax.nn.log_softmax}[name],
                    static_argnames="axis")
        xj = jax.device_put(x)
        f(xj, axis=axis).block_until_ready()
        return lambda: f(xj, axis=axis).block_until_ready()
    return jax.__version__, make


def _openvino(threads):
    import openvino as ov
    try:
        import openvino.opset13 as ops
    except ImportError:  # before 2025
        from openvino.runtime import opset13 as ops

    core = ov.Core()

    def make(name, x, axis):
        p = ops.parameter(list(x.shape), ov.Type.f32 if x.dtype == np.float32 else ov.Type.f64)
        node = (ops.softmax if name == "softmax" else ops.log_softmax)(p, axis)
        compiled = core.compile_model(ov.Model([node], [p]), "CPU",
                                      {"INFERENCE_NUM_THREADS": threads,
                                       "INFERENCE_PRECISION_HINT": "f32"})
        req = compiled.create_infer_request()
        req.infer({0: x})
        return lambda: req.infer({0: x}, share_inputs=True)[0]
    return ov.__version__ if hasattr(ov, "__version__") else "?", make


_PEER_LOADERS = {"torch": _torch, "jax": _jax, "openvino": _openvino}


def load_peers(threads, wanted=PEERS):
    """{peer: (version, make(name, x, axis) -> zero-argument call)} for the importable peers,
    and {peer: reason} for the others."""
    peers, missing = {}, {}
    for name in wanted:
        try:
            peers[name] = _PEER_LOADERS[name](threads)
        except Exception as exc:  # ImportError, or a peer that fails to start
            missing[name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:100]
    return peers, missing


def _checked(peer, make, fname, x, axis):
    """The peer's call, or None when it cannot run this case or disagrees with fastact."""
    import fastact

    try:
        call = make(fname, x, axis)
        got = np.asarray(call())
    except Exception:
        return None
    want = fastact.get(fname)(x, axis=axis)
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-3, atol=1e-5):
        return None
    return call


# ------------------------------------------------------------------ tables

def axis_rows(dtypes, repeat, peers):
    """One record per (dtype, function, shape, axis) with ns/element of fastact, copy and each
    peer."""
    import fastact

    records = []
    rng = np.random.default_rng(_bench.SEED)
    for dtype in dtypes:
        for shape, axis in AXIS_CASES:
            x = (rng.standard_normal(shape) * 4).astype(dtype)
            o = np.empty_like(x)
            n = x.size
            for fname in ("softmax", "log_softmax"):
                f = fastact.get(fname)
                cases = {"fastact": lambda f=f: f(x, axis=axis, out=o),
                         "copy": lambda: np.copyto(o, x)}
                if axis != -1:  # the same array along its last axis, for the axis-0 target
                    cases["last axis"] = lambda f=f: f(x, axis=-1, out=o)
                for peer, (_, make) in peers.items():
                    call = _checked(peer, make, fname, x, axis)
                    if call is not None:
                        cases[peer] = call
                times = dict(zip(cases, _bench.measure(list(cases.values()), repeat)))
                records.append({"dtype": dtype, "function": fname, "shape": list(shape),
                                "axis": axis, "ns_per_element": {k: v / n for k, v in times.items()}})
    return records


def _verdicts(r):
    t = r["ns_per_element"]
    fa = t["fastact"]
    out = {"vs copy": fa / t["copy"]}
    peer_times = [t[p] for p in PEERS if p in t]
    if peer_times:
        out["vs fastest peer"] = fa / min(peer_times)
    if "last axis" in t:
        out["vs last axis"] = fa / t["last axis"]
    shape = tuple(r["shape"])
    if r["axis"] != -1:
        out["target"] = "axis0 <= 1.25x last", out["vs last axis"] <= AXIS0_TARGET
    elif shape == (10000, 10):
        out["target"] = "<= 3x copy", out["vs copy"] <= COPY_TARGET_SHORT
    elif "vs fastest peer" in out:
        out["target"] = "<= 0.8x peers", out["vs fastest peer"] <= PEER_TARGET
    else:
        out["target"] = "<= 0.8x peers", None
    return out


def print_axis(records):
    headers = ["dtype", "function", "shape", "axis", "fastact", "copy"] + list(PEERS) + [
        "/copy", "/peer", "/last", "target", "met"]
    rows = []
    for r in records:
        t, v = r["ns_per_element"], _verdicts(r)
        label, ok = v["target"]
        rows.append([r["dtype"], r["function"], "x".join(map(str, r["shape"])), str(r["axis"]),
                     _bench._ns(t["fastact"]), _bench._ns(t["copy"])]
                    + [_bench._ns(t[p]) if p in t else "-" for p in PEERS]
                    + [_bench._ratio(v.get("vs copy")), _bench._ratio(v.get("vs fastest peer")),
                       _bench._ratio(v.get("vs last axis")), label,
                       "-" if ok is None else ("yes" if ok else "NO")])
    print("\n".join(_bench._table(headers, rows, left=4)))


def elementwise_rows(dtypes, repeat):
    """prelu and rrelu at N_ELEMENTWISE elements against np.copyto of the same bytes."""
    import fastact

    records = []
    rng = np.random.default_rng(_bench.SEED)
    for dtype in dtypes:
        flat = (rng.standard_normal(N_ELEMENTWISE) * 4).astype(dtype)
        nchw = flat.reshape(16, 64, 32, 32)
        nhwc = np.ascontiguousarray(nchw.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        w = np.linspace(0.05, 0.3, 64).astype(dtype)
        o = np.empty_like(flat)
        o4 = o.reshape(nchw.shape)
        o_last = np.empty_like(nhwc)
        s = np.empty_like(flat)
        g = rng.standard_normal(N_ELEMENTWISE).astype(dtype)
        cases = {
            "copy": lambda: np.copyto(o, flat),
            "prelu 1-D": lambda: fastact.prelu(flat, out=o, weight=0.25),
            "prelu NCHW": lambda: fastact.prelu(nchw, out=o4, weight=w),
            "prelu channels-last": lambda: fastact.prelu(nhwc, out=o_last, weight=w),
            "prelu backward + dweight NCHW": lambda: fastact.prelu.backward(
                g.reshape(nchw.shape), x=nchw, out=o4, weight=w, param_grads=True),
            "rrelu eval": lambda: fastact.rrelu(flat, out=o),
            "rrelu training": lambda: fastact.rrelu(flat, out=o, training=True, generator=1),
            "rrelu training, slopes=": lambda: fastact.rrelu(flat, out=o, training=True,
                                                             generator=1, slopes=s),
        }
        times = dict(zip(cases, _bench.measure(list(cases.values()), repeat)))
        for k, v in times.items():
            if k != "copy":
                records.append({"dtype": dtype, "case": k, "ns_per_element": v / N_ELEMENTWISE,
                                "copy_ns_per_element": times["copy"] / N_ELEMENTWISE})
    return records


def print_elementwise(records):
    headers = ["dtype", "case", "fastact", "copy", "/copy", "target", "met"]
    rows = []
    for r in records:
        ratio = r["ns_per_element"] / r["copy_ns_per_element"]
        targeted = r["case"] in ("prelu 1-D", "prelu NCHW", "rrelu eval", "rrelu training")
        rows.append([r["dtype"], r["case"], _bench._ns(r["ns_per_element"]),
                     _bench._ns(r["copy_ns_per_element"]), _bench._ratio(ratio),
                     "<= 1.5x copy" if targeted else "",
                     ("yes" if ratio <= ELEMENTWISE_TARGET else "NO") if targeted else ""])
    print("\n".join(_bench._table(headers, rows, left=2)))


# ------------------------------------------------------------------ command line

def add_arguments(parser):
    parser.add_argument("--repeat", type=int, default=7,
                        help="measurements per number; the median is shown (default 7)")
    parser.add_argument("--dtype", choices=_bench.DTYPES, action="append",
                        help="restrict to a dtype (repeatable; default both)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for fastact and the peers (default 1)")
    parser.add_argument("--isa", help="use this ISA's kernels (default: the best this CPU runs)")
    parser.add_argument("--no-peers", action="store_true", help="skip PyTorch, JAX, OpenVINO")
    parser.add_argument("--json", metavar="PATH", help="also write every measured number here")


def run(args):
    import json

    import fastact
    from . import _core

    if args.isa:
        _core.set_isa(args.isa)
    if args.threads < 1 or args.repeat < 1:
        raise SystemExit("bench-structured: --threads and --repeat must be >= 1")
    before = fastact.get_num_threads()
    fastact.set_num_threads(args.threads)
    try:
        dtypes = tuple(args.dtype or _bench.DTYPES)
        peers, missing = ({}, {}) if args.no_peers else load_peers(args.threads)
        meta = {"fastact": fastact.__version__, "numpy": np.__version__,
                "python": platform.python_version(), "isa": _core.get_isa(),
                "threads": args.threads, "cpu": _bench._cpu_model(), "load": _bench._load(),
                "repeat": args.repeat, "peers": {k: v[0] for k, v in peers.items()},
                "missing": missing}
        print(f"fastact {meta['fastact']}, numpy {meta['numpy']}, python {meta['python']}; "
              f"kernels: {meta['isa']}, threads: {meta['threads']}, cpu: {meta['cpu']} "
              f"(load {meta['load']})")
        print("peers: " + (", ".join(f"{k} {v}" for k, v in meta["peers"].items()) or "none")
              + "".join(f"; {k} unavailable ({v})" for k, v in missing.items()))
        print(f"ns per element, medians of {args.repeat} interleaved repeats; /copy = fastact / "
              f"np.copyto of the same bytes; /peer = fastact / the fastest peer; /last = axis 0 "
              f"/ the same array along its last axis\n")
        axis = axis_rows(dtypes, args.repeat, peers)
        print_axis(axis)
        print()
        elem = elementwise_rows(dtypes, args.repeat)
        print_elementwise(elem)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"meta": meta, "axis": axis, "elementwise": elem}, f, indent=1)
            print(f"\nwrote {args.json}")
    finally:
        fastact.set_num_threads(before)
    return 0
