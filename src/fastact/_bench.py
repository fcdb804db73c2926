"""Speed of fastact against the NumPy a good programmer writes, and against the peers.

For every registered function (and parameter variant, such as gelu's approximate='tanh') and
dtype at each n (inputs: 4 * standard normal, fixed seed, so both sides of every kink are hit),
one row per kind:

  forward      f(x, out=o)                  vs the fastest idiomatic NumPy/SciPy spelling
  backward     f.backward(g, x=x, out=o)    vs the fastest idiomatic g * f'(x)
  backward_y   f.backward(g, y=y, out=o)    (functions with a derivative from y; --peers only)

The baselines are declared in fastact/_baselines.py (np.maximum(x, 0, out=o), np.tanh,
np.logaddexp(x, 0), the faster of scipy.special.expit and 1/(1+np.exp(-x)), ...), each with a
note where its edge values differ.  speed = baseline time / fastact time.  copy is np.copyto
of the same bytes (one thread; for backward, 1.5x the elements: it reads two arrays), the
memory roofline, with fastact's time relative to it.  The correctness twins of
fastact.reference are not the baseline (asv tracks them as a second series).

--peers adds PyTorch (aten kernels with out=, and the autograd backward kernels such as
aten.threshold_backward / sigmoid_backward), ONNX Runtime (one-node models with I/O binding),
OpenVINO, JAX (jit, vjp for backward) and numexpr, each where importable (skipped when not),
with fastact's thread count; each measured in an interleaved pair with fastact (peer time /
fastact time).  A peer that disagrees with the reference, or computes float64 in float32,
is left out ("-").  Each row then gets its bound: the looser of 0.8x the fastest of baseline
and peers, and 1.1x the copy; "ok" when fastact is within it.  --markdown PATH writes that
table (docs/performance.md) with the machine and the command, and, per function with rows over
their bound, what limits it (_bench.LIMITS) and the max error of the peer that sets the bound
(on the accuracy tool's fixed CI inputs, tails included) next to fastact's.

Every time is the median of --repeat measurements, each an inner loop of a few ms after three
untimed warm-up calls, the sides of a ratio interleaved in the same process so that machine
noise hits both.  Progress goes to
stderr.  --plot FILE draws the speedups as a bar chart (needs matplotlib).  Then the per-call
cost at n=16 (float32, out= given) against np.tanh(x, out=o), NumPy's own ufunc overhead,
and the layouts table: sigmoid on views of a 1000x500 float32 array (row slice, every other
element, transposed, negative stride) and in float16, 1 thread, against the contiguous array,
float32, and np.copyto of the same views.

--thread-scan instead times relu, sigmoid and tanh at 2^10..2^20 elements with one thread and
with all threads and prints the size from which threads win (how parallel_min in
fastact._core is chosen); then, at 2^6..2^16, releasing the GIL against keeping it: the
throughput of two Python threads calling at once and the cost for a lone caller (nogil_min).

The same cases drive the asv suite (bench/benchmarks) and pytest-benchmark (bench/).
"""
from __future__ import annotations

import json
import math
import os
import platform
import statistics
import sys
import time
import timeit

import numpy as np

from . import _peers

DTYPES = ("float32", "float64")
SIZES = (16, 100_000)  # the per-call regime and the throughput regime
SEED = 20240601
BUDGET_NS = 3_000_000  # inner-loop length of one measurement
PER_CALL = ("tanh", "relu", "sigmoid")  # n=16 with out=, vs np.tanh(x, out=o)
PER_CALL_TARGET = 0.5
SCAN_FUNCTIONS = ("relu", "sigmoid", "tanh")
SCAN_SIZES = tuple(2 ** k for k in range(10, 21))
NOGIL_SIZES = tuple(2 ** k for k in range(6, 17))
NEVER = 2 ** 62  # a threshold no array reaches
PEER_FACTOR, COPY_FACTOR = 0.8, 1.1  # the bound: <= 0.8x the fastest peer, or 1.1x a copy
KINDS = ("forward", "backward", "backward_y")
PEERS = _peers.PEERS

# What limits each function's time where a row of docs/performance.md is over its bound: the
# "Rows over their bound" table shows these next to the measured ratios (a str for both dtypes,
# or one per dtype).  A row whose bound is the copy's and that has no entry gets MEMORY_NOTE.
# tests/test_bench_tools.py checks that every bench label has an entry, so a new function
# brings its note.
MEMORY_NOTE = ("memory-bound (the bound is 1.1x the copy of the same bytes): one read and one "
               "write an element, as the copy; what is left over is the noise of a shared VM "
               "(the copy's own time moves by 10-20% between runs)")
_EXACT_PEER = ("a compare and a select an element; the peers compute the same bits, so the "
               "margin left is instruction count and the noise")
_TAIL = ("the peers' float kernels are faster because they do not hold 2 ulp in the tails "
         "(see the error column)")
_DD = ("float64 is evaluated with double-double steps (error-free products and sums) where the "
       "result must stay within 2 ulp near cancellations and subnormal results; the peers round "
       "freely in plain double")
LIMITS = {
    "identity": MEMORY_NOTE,
    "relu": MEMORY_NOTE,
    "relu6": MEMORY_NOTE,
    "leaky_relu": {
        "float32": "correctly rounded x slope for a float64 slope: split-fma (two float "
                   "operations) for slopes proven safe on every significand, the double "
                   "round-to-odd product for the others; " + MEMORY_NOTE,
        "float64": _EXACT_PEER},
    "hardtanh": _EXACT_PEER,
    "threshold": MEMORY_NOTE,
    "step": MEMORY_NOTE,
    "hardshrink": MEMORY_NOTE,
    "softshrink": MEMORY_NOTE,
    "square": MEMORY_NOTE,
    "signed_square": MEMORY_NOTE,
    "softsign": "one division an element (x / (1 + |x|)); at n = 1e6 the rows are near the "
                "memory bound",
    "hard_sigmoid": {
        "float32": "correctly rounded x/6 + 1/2 (proven over all 2^32 inputs) by error-free "
                   "transformations (TwoProduct, Fast2Sum: about 10 operations an element), "
                   "where torch and ONNX Runtime round twice (the error column)",
        "float64": _EXACT_PEER},
    "hardswish": {
        "float32": "correctly rounded x (x + 3) / 6, evaluated in double and rounded once "
                   "(a float version with error-free transformations misrounded near ties: "
                   "tools/round_sweep.c); torch rounds three times and overflows x (x + 3) "
                   "for huge x",
        "float64": "x (x + 3) / 6 correctly rounded (Markstein's division-free quotient on "
                   "blocks of normal x), where the peers round two or three times (the error "
                   "column)"},
    "sigmoid": {
        "float32": "a certified form on |x| <= 87 (below, subnormal results rounded, not "
                   "flushed): e^-|x| (10 FMA-class operations: reduction, degree-6 "
                   "polynomial, scale), a division (about 4.5 FMA slots on Zen 4) and the "
                   "corrections of 1 + E's and E's roundings that keep 2 ulp (3 more); the "
                   "time is the FMA pipe's; ONNX Runtime's rational form needs 11 and no "
                   "correction; " + _TAIL,
        "float64": "e^-|x| (degree-13 polynomial) and a corrected division; " + _TAIL},
    "tanh": {
        "float32": "one certified form for every finite x: e^-2|x| - 1 as an exact "
                   "fma(2^n, p, 2^n - 1) plus its error (no cancellation near 0) and -t / "
                   "(2 + t) corrected by its remainder: 15 FMA-class operations and a division "
                   "(the FMA pipe's time), where ONNX Runtime's rational form takes 11; "
                   + _TAIL,
        "float64": "as float32, with float64's longer polynomials; " + _TAIL},
    "log_sigmoid": {
        "float32": "derivative: sigmoid(-x), the certified form of sigmoid's (see sigmoid); "
                   "torch's backward holds about 2 ulp on these inputs too (the error "
                   "column), so the margin is the exp's, the division's and the corrections' "
                   "instruction count",
        "float64": "value: e^-|x| and log1p with a correction term; derivative as float32; "
                   + _DD},
    "tanhshrink": {
        "float32": "x - tanh x cancels: below |x| = 1 a degree-8 polynomial in x^2 times "
                   "x^3, above (|x| - 1) + 2e/(1 + e); NumPy's x - np.tanh(x) is fast and "
                   "loses every digit near 0",
        "float64": "as float32 with the polynomial's last two steps as double-doubles; "
                   + _DD + "; both branches are evaluated for every element (the derivative, "
                   "tanh^2, takes a certified form: e^-2|x| with its rounding error and a "
                   "corrected quotient, or tanh's own polynomial below 0.55)"},
    "elu": {"float32": "e^x - 1 by expm1 (no cancellation near 0)",
            "float64": "derivative: e^x with subnormal results kept; " + _DD},
    "selu": {"float32": "as elu (scale alpha times the same expm1)",
             "float64": "as elu; " + _DD},
    "celu": "e^(x/alpha) with x/alpha as a double-double (exact quotient), so alpha = 3 keeps "
            "2 ulp; torch divides and rounds first",
    "softplus": "e^-|beta x| with beta x as a double-double and log1p with a correction "
                "term, subnormal results kept (the derivative for beta = 1: the certified "
                "form of sigmoid's); OpenVINO's forward is wrong in the tail, torch's kernels "
                "hold about 2 ulp on these inputs (the error column) and are faster by the "
                "corrections' instruction count",
    "silu": {
        "float32": "x sigmoid(x) in float with a corrected division (the float form); the "
                   "derivative's zero at x = -1.28 needs a zero polynomial there",
        "float64": "beta = 1 (the certified form, |x| <= 700): e^-|x| to a quarter ulp with "
                   "its rounding error carried and a quotient corrected by its exact "
                   "remainder, a division and ~8 operations beyond torch's plain "
                   "x / (1 + e^-x); the derivative adds the zero polynomial at x = -1.28 and "
                   "a second corrected division; other beta: beta x as a double-double, "
                   + _DD},
    "gelu": {
        "float32": "value: the float form, Phi(-|x|) = w G(t) e^(-x^2/2) with w = 1/(|x| + 4), "
                   "every factor carrying its rounding error (about 105 vector instructions "
                   "per 16 lanes against the ~35 the bound allows); derivative: still in "
                   "double (erfcx by a degree-12 polynomial and a division)",
        "float64": "below |x| = 1 x/2 + x^2 Q(x^2), above e^(-x^2/2) erfcx with the last steps "
                   "as double-doubles; " + _DD},
    "gelu(tanh)": {
        "float32": "value: the float form (v = C x (1 + A x^2) as a double-float, a corrected "
                   "division); derivative in double: its zero at x = -0.75 cancels",
        "float64": "the certified form (|x| <= 20): v = C x (1 + A x^2) as a double-double "
                   "from error-free products (~15 operations; e^-v moves by |v| times v's "
                   "error), e^-|v| with its rounding error and a corrected quotient; the "
                   "derivative also needs x v' as a double-double, the zero polynomial at "
                   "x = -0.75 and a second corrected division; " + _DD},
    "mish": {"float32": "x n / (n + 2), n = e^x (e^x + 2), in double and rounded once "
                        "(float32 loses 2.5 ulp and more near the derivative's zero)",
             "float64": _DD},
    "exponential": {
        "float32": "blocks whose results are all normal take a certified 12-operation form "
                   "(10 of them FMA-class), the others the subnormal-exact exp; ONNX "
                   "Runtime's exp is as accurate on these inputs (the error column), so the "
                   "margin is instruction count",
        "float64": "e^x by a degree-13 polynomial after a two-constant reduction, subnormal "
                   "results kept; NumPy's exp is as accurate on these inputs (the error "
                   "column), so the margin is instruction count"},
    "sin": {"float32": "omega x reduced in double (an exact double-double argument, so huge "
                       "|omega x| stays right) and Taylor to float32's degree; a double vector "
                       "holds half the lanes, where NumPy's float32 sin is float SIMD code",
            "float64": "omega x as an exact double-double, reduced by pi/2 in three parts on "
                       "the vector path (|omega x| <= 2^20; a scalar path beyond), so a large "
                       "argument keeps 2 ulp"},
    "cos": {"float32": "as sin (the same reduction, the other polynomial)",
            "float64": "as sin (the same reduction, the other polynomial)"},
    "softmax": "max, exp and sum (float32 sums in double), scale: three passes over the row "
               "for a result within 3 ulp on rows up to 1e5 long; backward from y: sum(g y) "
               "in double, then one pass",
    "log_softmax": "as softmax, plus log1p of the non-maximal sum (the dominant element keeps "
                   "its relative accuracy)",
    "softmin": "as softmax, of -x (the same kernels with the sign folded in)",
    "glu": "a sigmoid of the second half times the first: sigmoid's cost on half the elements",
    "prelu": MEMORY_NOTE,
    "mpelu": "e^(beta x) per element with alpha and beta per channel; backward reduces the "
             "parameter gradients in double",
    "rrelu": "training: a counter-based hash per element (two multiply-xorshift rounds) "
             "makes the slope and it is written out too (three arrays where the copy moves "
             "two); eval float32: the correctly rounded product with the float64 mean slope "
             "11/48, whose products lie within 2^-31 ulp of a float midpoint for one input in "
             "eleven, so split-fma cannot round them and the double product runs",
}


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


# Hook for modules that add rows of their own (functions along an axis, array parameters):
# register_cases(provider, inputs_for) -- see there.
EXTRA_CASES: list = []
EXTRA_INPUTS: dict = {}


def register_cases(provider, inputs_for=None):
    """Add benchmark rows: `provider()` returns [(label, name, params)]; `inputs_for` maps a
    function name to callable(n, dtype) -> (x, g) where 1-D 4*normal inputs do not fit
    (2-D rows for softmax, say).  The rows then appear in the bench, the markdown table, the
    plot and asv like every other."""
    EXTRA_CASES.append(provider)
    EXTRA_INPUTS.update(inputs_for or {})


ROW = 128  # functions along an axis: rows of this many elements


def case_inputs(name, n, dtype):
    """(x, g) for function `name`: 1-D for elementwise functions; rows of ROW elements for
    functions along an axis (g half as wide for glu)."""
    if name in EXTRA_INPUTS:
        return EXTRA_INPUTS[name](n, dtype)
    from ._registry import STRUCTURED_BY_NAME

    spec = STRUCTURED_BY_NAME.get(name)
    if spec is None or spec.kind not in ("axis", "halves"):
        return inputs(n, dtype)
    x, g = inputs(max(n // ROW, 1) * ROW, dtype)
    x = x.reshape(-1, ROW)
    g = g.reshape(-1, ROW)[:, :ROW // 2].copy() if spec.kind == "halves" else g.reshape(-1, ROW)
    return x, g


def want_backward(f, g, x, p):
    """g f'(x) from the reference (elementwise), or fastact's vector-Jacobian product (along
    an axis; itself tested against its reference)."""
    if hasattr(f, "reference_grad"):
        return g * f.reference_grad(x, **p)
    return f.backward(g, x=x, **p)


def cases(names=None):
    """[(label, name, params)]: every registered function (or those in `names`) at
    `bench_params`, then its parameter variants (fastact._baselines.VARIANTS; gelu with
    approximate='tanh' is "gelu(tanh)"), the structured functions at the catalogue's
    parameters, then the rows of register_cases providers (which replace the rows of the
    names they cover)."""
    from ._baselines import VARIANTS
    from ._catalogue import params_for
    from ._registry import SPECS, STRUCTURED_SPECS

    out, seen = [], set()
    for provider in EXTRA_CASES:
        for c in provider():
            seen.add(c[1])
    for spec in SPECS:
        if (names is not None and spec.name not in names) or spec.name in seen:
            continue
        base = bench_params(spec)
        out.append((spec.name, spec.name, base))
        for extra in VARIANTS.get(spec.name, ()):
            label = f"{spec.name}({','.join(str(v) for v in extra.values())})"
            out.append((label, spec.name, dict(base, **extra)))
    for spec in STRUCTURED_SPECS:
        if (names is None or spec.name in names) and spec.name not in seen:
            out.append((spec.name, spec.name, params_for(spec.name, spec)))
    for provider in EXTRA_CASES:
        out += [c for c in provider() if names is None or c[1] in names]
    return out


def operations(name, x, g, params=None):
    """{kind: (fastact call, reference call)} of zero-argument callables for f(x), grad and
    backward of function `name` on (x, g): fastact next to its correctness twin in
    fastact.reference (the asv suite tracks these as a second series)."""
    import fastact

    f = fastact.get(name)
    p = bench_params(f.spec) if params is None else params
    return {
        "f": (lambda: f(x, **p), lambda: f.reference(x, **p)),
        "grad": (lambda: f.grad(x, **p), lambda: f.reference_grad(x, **p)),
        "backward": (lambda: f.backward(g, x=x, **p), lambda: g * f.reference_grad(x, **p)),
    }


def fastact_calls(name, x, g, params):
    """({kind: zero-argument callable}, y) of fastact with out= given: f(x, out=o),
    f.backward(g, x=x, out=o) and, with a derivative from y, f.backward(g, y=y, out=o)."""
    import fastact

    f = fastact.get(name)
    p = params
    y = f(x, **p)
    o, ob = np.empty_like(y), np.empty_like(x)
    calls = {"forward": lambda: f(x, out=o, **p),
             "backward": lambda: f.backward(g, x=x, out=ob, **p)}
    if f.spec.from_y:
        calls["backward_y"] = lambda: f.backward(g, y=y, out=ob, **p)
    return calls, y


def baseline_calls(name, x, g, params):
    """{kind: [(spelling, zero-argument callable)]}: the idiomatic NumPy/SciPy baselines of
    fastact._baselines that are available here, each writing into a preallocated output."""
    import fastact
    from . import _baselines

    o = np.empty_like(fastact.get(name)(x, **params))  # the output's shape (glu halves x)
    ob = np.empty_like(x)
    out = {"forward": [], "backward": []}
    for c in _baselines.available(name):
        out["forward"].append((c.spelling, lambda c=c: c.forward(x, o, params)))
        out["backward"].append((c.backward_spelling, lambda c=c: c.backward(g, x, ob, params)))
    return out


# ------------------------------------------------------------------ peers

def peer_call(peer, name, x, threads=None, kind="forward", g=None, params=None):
    """A zero-argument callable computing `kind` of function `name` with `peer`, checked
    against fastact's reference; ImportError when the peer is not installed, None when it has
    no matching operation, ValueError when it disagrees (or computes float64 in float32)."""
    import fastact

    f = fastact.get(name)
    p = bench_params(f.spec) if params is None else params
    if g is None:
        g = inputs(x.size, x.dtype)[1].reshape(x.shape)
    y = f(x, **p)
    call = _peers.call(peer, name, kind, x, g, y, p, threads or fastact.get_num_threads())
    if call is not None:
        with np.errstate(all="ignore"):
            want = f.reference(x, **p) if kind == "forward" else want_backward(f, g, x, p)
        if not _peers.agrees(call(), want):
            raise ValueError("differs from the reference"
                             + (" (float64 computed in float32?)" if x.dtype == np.float64
                                else ""))
    return call


def peer_errors(records, peers, threads=1):
    """For each row over its bound whose bound is a peer's (0.8x that peer), the peer's and
    fastact's max error in ULPs on the accuracy tool's fixed CI subset (`_accuracy.ci_inputs`:
    every 65521st float32 bit pattern, or 2^16 random float64 ones, plus the edge grids around
    the regime changes, tails included) against the same wide reference, stored in the row's
    entry as "peer_error": {"peer", "ulp", "at", "fastact_ulp"}.  Forward rows are the value,
    backward rows g * f'(x) with g = 1.  Memoised per (peer, function, params, dtype, kind)."""
    from . import _accuracy
    from ._registry import SPECS

    elementwise = {spec.name for spec in SPECS}
    done = {}
    for r in records:
        for kind, e in r["kinds"].items():
            peer = e.get("fastest")
            if (e["vs_bound"] <= 1 or kind == "backward_y" or peer not in (*peers, "numpy")
                    or not e["bound"].endswith(" " + peer) or r["name"] not in elementwise):
                continue
            side = e["numpy_spelling"] if peer == "numpy" else peer
            key = (side, r["name"], tuple(sorted(r["params"].items())), r["dtype"], kind)
            if key not in done:
                done[key] = _peer_error(peer, side, r["name"], r["params"], r["dtype"], kind,
                                        threads, _accuracy)
            if done[key] is not None:
                e["peer_error"] = done[key]


def _peer_error(peer, side, name, params, dtype, kind, threads, _accuracy):
    """The max error of `peer` (numpy: the baseline spelled `side`) at the CI inputs."""
    import fastact
    from ._baselines import available

    f = fastact.get(name)
    x = _accuracy.ci_inputs(dtype)
    g = np.ones_like(x)
    mode = "value" if kind == "forward" else "derivative"
    with np.errstate(all="ignore"):
        ref = _accuracy.wide_reference(f.spec.name, mode, x, params)
        if peer == "numpy":
            c = next((c for c in available(name) if side in (c.spelling, c.backward_spelling)),
                     None)
            if c is None:
                return None
            got = np.empty_like(x)
            if kind == "forward":
                c.forward(x, got, params)
            else:
                c.backward(g, x, got, params)
        else:
            try:
                call = _peers.call(peer, name, kind, x, g, f(x, **params), params, threads)
            except ImportError:
                return None
            if call is None:
                return None
            got = np.asarray(call(), dtype=x.dtype)
        mine = f(x, **params) if kind == "forward" else f.grad(x, **params)
        err, own = _accuracy.ulp_error(got, ref), _accuracy.ulp_error(mine, ref)
    worst = int(np.argmax(np.where(np.isnan(err), np.inf, err)))
    return {"peer": peer, "ulp": float(err[worst]), "at": float(x[worst]),
            "fastact_ulp": float(np.nanmax(own))}


# ------------------------------------------------------------------ timing

def measure(cases, repeat, budget_ns=None, timer=time.perf_counter_ns, spreads=False):
    """Median ns per execution of each case, over `repeat` rounds that interleave the cases.

    A case is a zero-argument callable or a (statement, namespace, setup) triple run by
    timeit (no call overhead added: for per-call costs; setup runs before every measurement,
    so a case can select its own threads or thresholds).  Each measurement loops for about
    `budget_ns` (default BUDGET_NS, which --budget-ms sets), after three untimed warm-up
    calls.  `timer`: wall time by default; time.process_time_ns for 1-thread figures on a
    shared machine (steal time not counted).  With `spreads`, also each case's spread: half
    its interquartile range over its median (the repeats' noise, 0.05 for +-5%)."""
    budget_ns = budget_ns or BUDGET_NS
    timers = [timeit.Timer("call()", globals={"call": c}, timer=timer)
              if callable(c) else
              timeit.Timer(c[0], c[2], globals=c[1], timer=timer) for c in cases]
    loops = []
    for t in timers:
        k = 1
        while (elapsed := t.timeit(k)) < budget_ns / 4:
            k = max(2 * k, int(k * budget_ns / 2 / max(elapsed, 1)))
        loops.append(max(1, int(k * budget_ns / elapsed)))
    samples = [[] for _ in timers]
    for _ in range(repeat):
        for t, k, s in zip(timers, loops, samples):
            # three untimed calls first: the case's data back in cache after the other cases
            # ran (the first call of a strided view after the others cost 5x a warm one, the
            # second 1.3x; with a dozen calls per sample they were a third of it)
            t.timeit(3)
            s.append(t.timeit(k) / k)
    medians = [statistics.median(s) for s in samples]
    if not spreads:
        return medians
    quartiles = [statistics.quantiles(s, n=4) if len(s) > 1 else [m, m, m]
                 for s, m in zip(samples, medians)]
    return medians, [(q[2] - q[0]) / 2 / m if m else 0.0 for q, m in zip(quartiles, medians)]


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

class Progress:
    """`[i/total] what (elapsed)` on stderr: one updating line on a terminal, else lines."""

    def __init__(self, total, stream=None):
        self.total, self.i, self.t0 = total, 0, time.perf_counter()
        self.stream = stream or sys.stderr
        self.tty = getattr(self.stream, "isatty", lambda: False)()

    def step(self, what):
        self.i += 1
        line = f"[{self.i}/{self.total}] {what} ({time.perf_counter() - self.t0:.0f}s)"
        if self.tty:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def done(self):
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(f"measured {self.i} rows in {time.perf_counter() - self.t0:.0f}s\n")
        self.stream.flush()


def _measure_case(label, name, params, dtype, n, repeat, peers, threads):
    """One record: ns/element of fastact, the baselines, the copy and each peer, per kind."""
    x, g = case_inputs(name, n, dtype)
    o, big = np.empty_like(x), np.empty(int(x.size * 1.5), x.dtype)
    big_out = np.empty_like(big)
    with np.errstate(all="ignore"):
        fa, y = fastact_calls(name, x, g, params)
        base = baseline_calls(name, x, g, params)
        sides = {"copy": lambda: np.copyto(o, x), "copy_backward": lambda: np.copyto(big_out, big)}
        sides.update({"fastact_" + k: c for k, c in fa.items() if k != "backward_y" or peers})
        for kind, cands in base.items():
            for i, (_, c) in enumerate(cands):
                sides[f"numpy{i}_{kind}"] = c
        medians, spread = measure(list(sides.values()), repeat, spreads=True)
        times = dict(zip(sides, (t / x.size for t in medians)))
        spread = dict(zip(sides, spread))
    rec = {"function": label, "name": name, "params": {k: v for k, v in params.items()},
           "dtype": dtype, "n": int(x.size), "copy": times["copy"],
           "copy_backward": times["copy_backward"], "copy_spread": spread["copy"],
           "copy_backward_spread": spread["copy_backward"], "kinds": {}}
    for kind in fa:
        if kind == "backward_y" and not peers:
            continue
        entry = {"fastact": times["fastact_" + kind], "spread": spread["fastact_" + kind],
                 "numpy": None, "numpy_spelling": None, "peers": {}}
        for i, (spelling, _) in enumerate(base.get(kind, [])):
            t = times[f"numpy{i}_{kind}"]
            if entry["numpy"] is None or t < entry["numpy"]:
                entry["numpy"], entry["numpy_spelling"] = t, spelling
        for peer in peers:
            try:
                with np.errstate(all="ignore"):
                    call = peer_call(peer, name, x, threads, kind, g, params)
            except ImportError:
                continue
            except Exception as exc:  # a failing peer is a "-", not a failed report
                entry["peers"][peer] = {"skipped": str(exc)[:120]}
                continue
            if call is not None:
                with np.errstate(all="ignore"):
                    fast, other = measure([fa[kind], call], repeat)
                # the peer's time on the row's scale: its ratio to fastact in its own pair
                entry["peers"][peer] = {"ns_per_element": entry["fastact"] * other / fast,
                                        "speed": other / fast}
        _bound(entry, rec["copy_backward" if kind != "forward" else "copy"])
        rec["kinds"][kind] = entry
    return rec


def _bound(entry, copy):
    """The row's bound: the looser of 0.8x the fastest other side and 1.1x the copy."""
    others = [("numpy", entry["numpy"])] if entry["numpy"] is not None else []
    others += [(p, v["ns_per_element"]) for p, v in entry["peers"].items()
               if "ns_per_element" in v]
    best = min(others, key=lambda kv: kv[1]) if others else (None, None)
    entry["fastest"], entry["fastest_ns"] = best
    limits = [(COPY_FACTOR * copy, f"{COPY_FACTOR:g}x copy")]
    if best[1] is not None:
        limits.append((PEER_FACTOR * best[1], f"{PEER_FACTOR:g}x {best[0]}"))
    entry["bound_ns"], entry["bound"] = max(limits)
    entry["vs_bound"] = entry["fastact"] / entry["bound_ns"]


def _speed_rows(case_list, dtypes, sizes, repeat, peers, threads):
    progress = Progress(len(case_list) * len(dtypes) * len(sizes))
    records = []
    for n in sizes:
        for label, name, params in case_list:
            for dtype in dtypes:
                progress.step(f"{label} {dtype} n={n}")
                records.append(_measure_case(label, name, params, dtype, n, repeat, peers,
                                             threads))
    progress.done()
    return records


def _speed(a, b):
    return None if a is None or b is None else a / b


def _print_tables(records, peers):
    for kind in KINDS:
        rows = []
        for r in records:
            e = r["kinds"].get(kind)
            if e is None:
                continue
            copy = r["copy" if kind == "forward" else "copy_backward"]
            row = [r["function"], r["dtype"], str(r["n"]), _ns(e["fastact"]),
                   "-" if e["numpy"] is None else _ns(e["numpy"]),
                   _ratio(_speed(e["numpy"], e["fastact"]))]
            row += [_ratio(e["peers"].get(p, {}).get("speed")) for p in peers]
            row += [_ns(copy), _ratio(e["fastact"] / copy)]
            if peers:
                row += [e["bound"], f"{e['vs_bound']:.2f}", "ok" if e["vs_bound"] <= 1 else "OVER"]
            rows.append(row)
        if not rows:
            continue
        title = {"forward": "f(x, out=o)", "backward": "f.backward(g, x=x, out=o)",
                 "backward_y": "f.backward(g, y=y, out=o)"}[kind]
        print(f"\n{kind}: {title}, ns/element; numpy = the fastest idiomatic NumPy/SciPy "
              f"spelling; speed = other time / fastact time")
        headers = (["function", "dtype", "n", "fastact", "numpy", "speed"] + list(peers)
                   + ["copy", "fastact/copy"]
                   + (["bound", "fastact/bound", ""] if peers else []))
        print("\n".join(_table(headers, rows, left=2)))


def _summary(records):
    speeds = [(r["function"], r["dtype"], e["numpy"] / e["fastact"])
              for r in records for k, e in r["kinds"].items() if k == "forward" and e["numpy"]]
    if not speeds:
        return {}
    geo = math.exp(statistics.fmean(math.log(s) for _, _, s in speeds))
    slow = [f"{f} {d} ({s:.2f}x)" for f, d, s in speeds if s < 1]
    print(f"\nsummary: forward speed vs idiomatic NumPy, geometric mean {geo:.2f}x over "
          f"{len(speeds)} rows" + ("; slower than NumPy: " + ", ".join(slow) if slow else ""))
    over = [f"{r['function']} {r['dtype']} n={r['n']} {k} ({e['vs_bound']:.2f})"
            for r in records for k, e in r["kinds"].items() if e["peers"] and e["vs_bound"] > 1]
    if any(e["peers"] for r in records for e in r["kinds"].values()):
        print(f"rows over their bound: {len(over)}" + (": " + ", ".join(over) if over else ""))
    return {"geomean_speed_vs_numpy": geo, "slower_than_numpy": slow, "over_bound": over}


def _notes(records):
    seen = {}
    for r in records:
        for e in r["kinds"].values():
            for p, v in e["peers"].items():
                if "skipped" in v:
                    seen.setdefault((p, v["skipped"]), []).append(f"{r['function']} {r['dtype']}")
    for (p, why), where in seen.items():
        print(f"note: {p} left out ({why}): {', '.join(sorted(set(where)))}", file=sys.stderr)


def markdown(records, meta, command):
    """The performance table of docs/performance.md: every row's fastact time, the fastest
    other side, the copy, the bound and the ratio to it."""
    lines = ["# Performance", "",
             f"Generated by `{command}` (one run; regenerate with the same command).", "",
             f"Machine: {meta['cpu']}, {meta['cores']} logical cores, load {meta['load']} at "
             f"the start; kernels: {meta['isa']}; fastact threads: {meta['threads']}; "
             f"numpy {meta['numpy']}, python {meta['python']}"
             + "".join(f", {p} {meta[p]}" for p in PEERS if p in meta) + ".", "",
             "Times are ns per element, medians of repeats, every ratio measured in one process "
             "(a peer in an interleaved pair with fastact). The **bound** of a row is the looser "
             f"of {PEER_FACTOR:g}x the fastest other side (idiomatic NumPy/SciPy from "
             "`fastact/_baselines.py`, PyTorch, ONNX Runtime, OpenVINO, JAX, numexpr) and "
             f"{COPY_FACTOR:g}x `np.copyto` of the same bytes (backward: 1.5x the elements, as it"
             " reads two arrays). **fastact / bound** <= 1 meets it. A peer that disagrees with "
             "the reference or computes float64 in float32 is left out.", ""]
    for kind in KINDS:
        rows = [(r, r["kinds"][kind]) for r in records if kind in r["kinds"]]
        if not rows:
            continue
        title = {"forward": "Forward: `f(x, out=o)`",
                 "backward": "Backward from x: `f.backward(g, x=x, out=o)`",
                 "backward_y": "Backward from y: `f.backward(g, y=y, out=o)`"}[kind]
        lines += [f"## {title}", "",
                  "| function | dtype | n | fastact | numpy | fastest other | copy | "
                  "fastact / fastest | fastact / copy | bound | fastact / bound |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r, e in rows:
            copy = r["copy" if kind == "forward" else "copy_backward"]
            fastest = "-" if e["fastest"] is None else f"{e['fastest']} {_ns(e['fastest_ns'])}"
            lines.append("| " + " | ".join([
                r["function"], r["dtype"], f"{r['n']:.0e}".replace("+0", ""), _ns(e["fastact"]),
                "-" if e["numpy"] is None else _ns(e["numpy"]), fastest, _ns(copy),
                "-" if e["fastest_ns"] is None else f"{e['fastact'] / e['fastest_ns']:.2f}",
                f"{e['fastact'] / copy:.2f}", e["bound"],
                f"**{e['vs_bound']:.2f}**" if e["vs_bound"] > 1 else f"{e['vs_bound']:.2f}"])
                + " |")
        lines.append("")
    over = [(r, k, e) for r in records for k, e in r["kinds"].items() if e["vs_bound"] > 1]
    total = sum(len(r["kinds"]) for r in records)
    lines += ["## Rows over their bound", ""]
    if not over:
        return "\n".join(lines + ["None.", ""])
    lines += [f"{len(over)} of {total} rows, {sum(e['vs_bound'] <= 1.1 for _, _, e in over)} "
              "of them within 1.1x of the bound.  Per function: each row over (dtype, kind, n: "
              "fastact / bound, and the bound), what the bound's peer gets wrong where fastact "
              "does not (its max error in ULPs on the accuracy tool's fixed subset of inputs, "
              "tails included, against the same reference; fastact's in brackets), and what "
              "limits fastact's time.  The noise is half the interquartile range of the "
              "repeats of the row's fastact time.", "",
              "| function | rows over | the bound's peer: max error (fastact's) | what limits it |",
              "|---|---|---|---|"]
    by_function = {}
    for r, k, e in over:
        by_function.setdefault(r["function"], []).append((r, k, e))
    for label, rows in by_function.items():
        cells, errors = [], []
        for r, k, e in rows:
            cells.append(f"{r['dtype']} {k} {r['n']:.0e}".replace("+0", "")
                         + f": **{e['vs_bound']:.2f}** ({e['bound']}; noise "
                         f"{100 * e.get('spread', 0):.0f}%)")
            pe = e.get("peer_error")
            if pe is not None:
                text = (f"{r['dtype']} {k}: {pe['peer']} {_ulps(pe['ulp'])} at x = {pe['at']:.4g} "
                        f"({_ulps(pe['fastact_ulp'])})")
                if text not in errors:
                    errors.append(text)
        lines.append("| " + " | ".join([label, "<br>".join(cells), "<br>".join(errors) or "-",
                                          limit_note(label, rows)]) + " |")
    return "\n".join(lines) + "\n"


def _ulps(v):
    return "inf ulp (a wrong inf or NaN)" if not math.isfinite(v) else f"{v:.3g} ulp"


def limit_note(label, rows):
    """What limits the rows over their bound of function `label`: its LIMITS entry (per dtype
    where it has one), or, for rows whose bound is the copy, the memory note."""
    note = LIMITS.get(label, {})
    if isinstance(note, str):
        note = {"float32": note, "float64": note}
    parts = []
    for dtype in dict.fromkeys(r["dtype"] for r, _, _ in rows):
        mine = [(r, k, e) for r, k, e in rows if r["dtype"] == dtype]
        text = note.get(dtype)
        if text is None and all(e["bound"].endswith("copy") for _, _, e in mine):
            text = MEMORY_NOTE
        if text is None:
            text = "(no note in fastact._bench.LIMITS)"
        parts.append(f"{dtype}: {text}")
    return "<br>".join(parts)


def plot(records, path):
    """A bar chart of the forward and backward speedups over idiomatic NumPy (and the peers,
    where measured), log scale, one panel per dtype."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("bench --plot needs matplotlib, which is not installed: "
                         "pip install matplotlib (the table above is complete without it)")
    n0 = records[0]["n"]
    dtypes = sorted({r["dtype"] for r in records})
    labels = list(dict.fromkeys(r["function"] for r in records))
    fig, axes = plt.subplots(1, len(dtypes), figsize=(6 * len(dtypes), 0.32 * len(labels) + 1.6),
                             sharey=True, squeeze=False)
    series = [("forward", "numpy", "vs NumPy, forward"), ("backward", "numpy", "vs NumPy, backward")]
    series += [("forward", p, f"vs {p}, forward") for p in PEERS
               if any(p in e["peers"] and "speed" in e["peers"][p]
                      for r in records for e in r["kinds"].values())]
    height = 0.8 / len(series)
    for ax, dtype in zip(axes[0], dtypes):
        rows = {r["function"]: r for r in records if r["dtype"] == dtype and r["n"] == n0}
        for j, (kind, other, name) in enumerate(series):
            vals = []
            for lab in labels:
                e = rows.get(lab, {}).get("kinds", {}).get(kind)
                if e is None:
                    vals.append(np.nan)
                elif other == "numpy":
                    vals.append(_speed(e["numpy"], e["fastact"]) or np.nan)
                else:
                    vals.append(e["peers"].get(other, {}).get("speed", np.nan))
            ypos = np.arange(len(labels)) + (j - (len(series) - 1) / 2) * height
            ax.barh(ypos, vals, height=height, label=name)
        ax.axvline(1.0, color="k", lw=0.8)
        ax.set_xscale("log")
        ax.set_title(f"{dtype}, n = {n0:,}: speedup of fastact (x, > 1 is faster)")
        ax.set_yticks(np.arange(len(labels)), labels)
        ax.invert_yaxis()
        ax.grid(axis="x", which="both", alpha=0.3)
    axes[0][-1].legend(loc="best", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


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




def layout_cases(dtype="float32", rows=1000, cols=500):
    """issue 7's layouts: {name: view}; every view has rows x cols elements."""
    rng = np.random.default_rng(SEED)
    a = (rng.standard_normal((rows, cols)) * 4).astype(dtype)
    wide = (rng.standard_normal((rows, 2 * cols)) * 4).astype(dtype)
    return {f"contiguous {rows}x{cols}": a,
            f"row slice X[:, :{cols}] of {rows}x{2 * cols}": wide[:, :cols],
            "every other element X[:, ::2]": wide[:, ::2],
            f"transposed X.T[:{cols}] of {2 * cols}x{rows}": np.ascontiguousarray(wide.T).T[:, :cols],
            "negative stride X[:, ::-1]": a[:, ::-1]}


LAYOUT_FUNCTION = "sigmoid"
LAYOUT_TARGETS = (0.8, 1.2)  # views >= 0.8 x contiguous speed; float16 <= 1.2 x float32 cost


def _layouts(repeat, name=LAYOUT_FUNCTION):
    """ns/element of `name` on views (1 thread, out= in the layout NumPy allocates, that is
    np.empty_like(x)) against the contiguous array, float16 against float32 of the same
    layout, and np.copyto of the same views for scale.  Targets: LAYOUT_TARGETS.  Process CPU
    time, interleaved, medians: run it pinned (taskset -c 1) for a 1-thread figure."""
    import fastact

    f = fastact.get(name)
    views = layout_cases()
    halves = layout_cases("float16")
    before = fastact.get_num_threads()
    fastact.set_num_threads(1)
    try:
        calls, keys = [], []
        for k, v in views.items():
            for dt, x in (("float32", v), ("float16", halves[k])):
                o = np.empty_like(x)
                calls.append(lambda f=f, x=x, o=o: f(x, out=o))
                keys.append((k, dt, "fastact"))
            o32 = np.empty_like(v)
            calls.append(lambda v=v, o=o32: np.copyto(o, v))
            keys.append((k, "float32", "copy"))
        with np.errstate(all="ignore"):
            t = dict(zip(keys, measure(calls, repeat, timer=time.process_time_ns)))
    finally:
        fastact.set_num_threads(before)
    n = next(iter(views.values())).size
    first = next(iter(views))
    lo, hi = LAYOUT_TARGETS
    print(f"\nlayouts: {name}, 1 thread, out=np.empty_like(x); ns/element (target: views >= "
          f"{lo} x contiguous speed, float16 <= {hi} x float32 cost)")
    rows, records = [], []
    for k in views:
        f32, f16 = t[k, "float32", "fastact"] / n, t[k, "float16", "fastact"] / n
        copy = t[k, "float32", "copy"] / n
        speed = t[first, "float32", "fastact"] / t[k, "float32", "fastact"]
        cost16 = f16 / f32
        ok = (k == first or speed >= lo) and cost16 <= hi
        rows.append([k, f"{f32:.3f}", "" if k == first else f"{speed:.2f}", f"{f16:.3f}",
                     f"{cost16:.2f}", f"{copy:.3f}",
                     f"{t[first, 'float32', 'copy'] / t[k, 'float32', 'copy']:.2f}",
                     "ok" if ok else "MISSED"])
        records.append({"layout": k, "float32_ns": f32, "vs_contiguous": speed,
                        "float16_ns": f16, "float16_cost_vs_float32": cost16, "copy_ns": copy})
    print("\n".join(_table(["layout", "float32", "vs contiguous", "float16", "f16 / f32 cost",
                             "np.copyto", "copy vs contiguous", ""], rows, left=1)))
    return records


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

def _sizes(text):
    try:
        sizes = [int(float(v)) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"--n: expected comma-separated sizes, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise ValueError("--n must be >= 1")
    return sizes


def add_arguments(parser):
    parser.add_argument("--n", default="100000",
                        help="elements per array; comma-separated for several sizes, e.g. "
                             "1e5,1e6 (default 100000)")
    parser.add_argument("--repeat", type=int, default=7,
                        help="measurements per number; the median is shown (default 7)")
    parser.add_argument("--budget-ms", type=float, default=BUDGET_NS / 1e6,
                        help="length of one measurement's inner loop (default 3 ms; on a busy "
                             "machine 1 ms with more --repeat keeps more samples clear of "
                             "preemption)")
    parser.add_argument("--dtype", choices=DTYPES, action="append",
                        help="restrict to a dtype (repeatable; default both)")
    parser.add_argument("--functions", help="comma-separated names (default: all)")
    parser.add_argument("--isa", help="use this ISA's kernels (default: the best this CPU runs)")
    parser.add_argument("--threads", type=int, help="fastact threads (default: as configured)")
    parser.add_argument("--peers", action="store_true",
                        help="add PyTorch, ONNX Runtime, OpenVINO, JAX and numexpr where "
                             "installed, the backward peers, and each row's bound")
    parser.add_argument("--thread-scan", action="store_true",
                        help="scan the thread and GIL-release thresholds instead of the table")
    parser.add_argument("--json", metavar="PATH", help="also write every measured number here")
    parser.add_argument("--markdown", metavar="PATH",
                        help="also write the table with bounds as markdown "
                             "(docs/performance.md), naming the machine and the command")
    parser.add_argument("--plot", metavar="FILE",
                        help="also draw the speedups as a bar chart (PNG/SVG; needs matplotlib)")


def run(args):
    import fastact
    from . import _core

    try:
        if args.isa:
            _core.set_isa(args.isa)
        if args.threads is not None:
            fastact.set_num_threads(args.threads)
        names = ({fastact.get(s.strip()).name for s in args.functions.split(",") if s.strip()}
                 if args.functions else None)
        sizes = _sizes(args.n)
        if args.repeat < 1:
            raise ValueError("--repeat must be >= 1")
        if not args.budget_ms > 0:
            raise ValueError("--budget-ms must be > 0")
        global BUDGET_NS
        BUDGET_NS = int(args.budget_ms * 1e6)
        if args.plot:
            try:
                import matplotlib  # noqa: F401
            except ImportError:
                raise ValueError("--plot needs matplotlib, which is not installed "
                                 "(pip install matplotlib)") from None
    except (ValueError, RuntimeError, TypeError) as exc:
        raise SystemExit(f"bench: {exc}") from None
    dtypes = tuple(args.dtype or DTYPES)
    threads = fastact.get_num_threads()
    meta = {"fastact": fastact.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "isa": _core.get_isa(),
            "threads": threads, "cpu": _cpu_model(), "cores": os.cpu_count(),
            "load": _load(), "n": sizes, "repeat": args.repeat}
    print(f"fastact {meta['fastact']}, numpy {meta['numpy']}, python {meta['python']}")
    print(f"kernels: {meta['isa']}, threads: {threads} ({_current_thresholds()}),"
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
                    meta[peer] = _peers.version(peer)
                    peers.append(peer)
                except ImportError as exc:
                    print(f"note: {peer} unavailable ({exc}); its column shows -",
                          file=sys.stderr)
            print("peers: " + (", ".join(f"{p} {meta[p]}" for p in peers) or "none"))
        print(f"n: {', '.join(map(str, sizes))}, repeat: {args.repeat}, "
              f"inputs: 4 * standard normal (seed {SEED})")
        records = _speed_rows(cases(names), dtypes, sizes, args.repeat, peers, threads)
        _notes(records)
        _print_tables(records, list(PEERS) if args.peers else [])
        report["rows"] = records
        report["per_call"] = _per_call(args.repeat)
        report["layouts"] = _layouts(args.repeat)
        report["summary"] = _summary(records)
        if args.markdown:
            command = "python -m fastact " + " ".join(sys.argv[1:]) \
                if os.path.basename(sys.argv[0]) in ("__main__.py", "fastact") else \
                "python -m fastact bench"
            if threads == 1 and "taskset" not in command:
                try:
                    cpus = sorted(os.sched_getaffinity(0))
                except AttributeError:
                    cpus = []
                if len(cpus) == 1:
                    command = f"taskset -c {cpus[0]} {command}"
            if peers:
                print("peer errors of the rows over a peer's bound...", file=sys.stderr)
                peer_errors(records, peers, threads)
            with open(args.markdown, "w") as f:
                f.write(markdown(records, meta, command))
            print(f"\nwrote {args.markdown}")
        if args.plot:
            plot(records, args.plot)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
        print(f"\nwrote {args.json}")
    return 0
