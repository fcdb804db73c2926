"""Accuracy measurement: every function of the registry against its reference.

Piecewise-linear functions (``Spec.exact``) must equal their pure-NumPy reference bit for bit:
the tool counts the inputs where they do not.  Smooth functions are measured in ULPs against
the reference formula evaluated wider: float32 results against float64, float64 results
against np.longdouble (x87 80-bit on x86-64: 11 more bits).  Every input counts, subnormal
results included.

Inputs: ``--exhaustive`` runs all 2^32 float32 bit patterns and, for float64, 2^24 random bit
patterns plus the edge grid; the default is a deterministic sample (every 4099th float32 bit
pattern, 2^21 random float64 patterns, plus dense ranges around the places where formulas
change regime).  ``ci_inputs`` is the fixed subset the tests run on every ISA path.
"""
from __future__ import annotations

import collections
import datetime
import functools
import os
import platform
import sys
import time

import numpy as np

from . import reference as _ref
from ._registry import BY_NAME, SPECS

MODES = ("value", "derivative")
EXHAUSTIVE_F64_SAMPLES = 1 << 24
SAMPLE_F64 = 1 << 21
CHUNK = 1 << 16  # L2-sized: 3.5x faster than 1 << 22, whose temporaries were mmapped and page-faulted per chunk


def _wide_dtype(dtype):
    """Where errors of `dtype` results are computed: float64 holds float32 errors exactly
    enough; float64 results need np.longdouble."""
    return np.dtype(np.float64 if np.dtype(dtype).itemsize <= 4 else np.longdouble)


def ulp_of(ref: np.ndarray, dtype) -> np.ndarray:
    """The spacing of `dtype` at each |ref| (ref in a wider dtype), subnormal spacing included."""
    info = np.finfo(dtype)
    wide = _wide_dtype(dtype)
    ref = np.asarray(ref, dtype=wide)
    if wide == np.float64:  # the exponent straight from the bits: 5x faster than frexp
        e = ((ref.view(np.uint64) >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - 1023
        e = np.clip(e, info.minexp, info.maxexp - 1) - info.nmant + 1023
        return (e.astype(np.uint64) << np.uint64(52)).view(np.float64)
    mag = np.maximum(np.abs(ref), wide.type(info.smallest_normal))
    _, e = np.frexp(mag)  # mag = m 2^e with m in [0.5, 1)
    return np.ldexp(wide.type(1), e - 1 - info.nmant)


# float32 results: 1/spacing at |ref| straight from ref's float64 exponent bits E (biased, in
# place): the spacing is 2^(e - 23) with e = E - 1023 clamped to [-126, 127] (subnormal spacing
# below, the largest finite's above, inf and NaN included), so 1/spacing is the double with
# biased exponent 2046 + 23 - E, one unsigned subtraction.  Multiplying by a power of two is
# exact, as the division was: the errors are bit-identical to |g - ref| / ulp_of(...).
_F32 = np.finfo(np.float32)
_EXP_BITS = np.uint64(0x7FF << 52)
_E_LO = np.uint64((_F32.minexp + 1023) << 52)
_E_HI = np.uint64((_F32.maxexp - 1 + 1023) << 52)
_INV_ULP_BASE = np.uint64((2046 + _F32.nmant) << 52)


def _ulp_error_f32(got, ref):
    """|got - ref| * (1/spacing of float32 at ref): float32 got, float64 ref; 7 passes, two
    temporaries.  NaN or inf where got or ref is not finite (ulp_error judges those)."""
    inv = np.bitwise_and(ref.view(np.uint64), _EXP_BITS)
    np.clip(inv, _E_LO, _E_HI, out=inv)
    np.subtract(_INV_ULP_BASE, inv, out=inv)
    err = np.subtract(got, ref, dtype=np.float64)
    np.abs(err, out=err)
    return np.multiply(err, inv.view(np.float64), out=err)


def ulp_error(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|got - ref| in ULPs of got's dtype at ref.  NaN/inf agreement counts as 0, disagreement
    as inf.  For a ref beyond the dtype's range the spacing at the largest finite is used."""
    got = np.asarray(got)
    wide = _wide_dtype(got.dtype)
    ref = np.asarray(ref).astype(wide, copy=False)
    info = np.finfo(got.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        if got.dtype == np.float32 and got.ndim and got.shape == ref.shape:
            err = _ulp_error_f32(got, ref)
        else:
            big = wide.type(info.max)
            err = np.asarray(np.abs(got.astype(wide) - ref) / ulp_of(np.clip(ref, -big, big), got.dtype))
        if err.size and not np.isfinite(err.max()):  # max propagates NaN: one cheap pass
            special = ~np.isfinite(err)  # NaN and inf agreement, only where there is any to judge
            gs, rs = got[special].astype(wide), ref[special]
            both_nan = np.isnan(gs) & np.isnan(rs)
            same_inf = np.isinf(gs) & np.isinf(rs) & (np.sign(gs) == np.sign(rs))
            # a finite ref that rounds to inf in got's dtype: inf is the right answer
            rounds_to_inf = np.isinf(gs) & ~np.isinf(rs) & (rs.astype(got.dtype) == gs)
            err[special] = np.where(both_nan | same_inf | rounds_to_inf, 0, np.inf)
    return err.astype(np.float64, copy=False)


def same_bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise bit equality (any NaN equals any NaN; -0.0 differs from +0.0)."""
    itype = {4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
    same = np.asarray(a.view(itype) == b.view(itype))
    if not same.all():  # NaNs only where the bits differ
        same |= np.isnan(a) & np.isnan(b)
    return same


# values for parameters without a default (the tool needs some setting to measure)
EXAMPLE_PARAMS = {"threshold": 0.5, "value": -2.0}


def params_of(spec, params=None):
    """`params`, or the defaults plus EXAMPLE_PARAMS for the required parameters."""
    if params is not None:
        return dict(params)
    p = spec.defaults()
    for q in spec.params:
        p.setdefault(q.name, EXAMPLE_PARAMS.get(q.name, 1.0))
    return p


def wide_reference(name, mode, x, params):
    """The reference of `mode` at x (float32 or float64) in the wider dtype."""
    wide = np.float64 if x.dtype == np.float32 else np.longdouble
    return _ref.evaluate(name, mode, x.astype(wide), **params)


def fast(name, mode, x, params):
    from . import get

    fn = get(BY_NAME[name].name)
    return fn(x, **params) if mode == "value" else fn.grad(x, **params)


def edge_grid(dtype):
    """Dense ranges around the places where formulas change regime (both dtypes)."""
    dtype = np.dtype(dtype)
    tail = (-800, -700) if dtype == np.float64 else (-105, -85)
    return [np.linspace(lo, hi, 1 << 18, dtype=dtype)
            for lo, hi in ((-120, 120), (-1, 1), (-1e-3, 1e-3), tail)]


def _bit_patterns(start, stop, step):
    return np.arange(start, stop, step, dtype=np.uint64).astype(np.uint32).view(np.float32)


def _input_chunks(dtype, exhaustive=False, chunk=CHUNK):
    """Zero-argument callables making the input arrays of `sample_inputs`, in order: the
    float32 bit patterns are made by whoever calls them (a worker thread); the float64 random
    patterns are drawn here, in order, so that they do not depend on the number of workers."""
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        step = 1 if exhaustive else 4099
        for start in range(0, 1 << 32, chunk * step):
            yield functools.partial(_bit_patterns, start, min(start + chunk * step, 1 << 32), step)
    else:
        rng = np.random.default_rng(20261124)
        total = EXHAUSTIVE_F64_SAMPLES if exhaustive else SAMPLE_F64
        for start in range(0, total, chunk):
            n = min(chunk, total - start)
            x = rng.integers(0, 1 << 64, size=n, dtype=np.uint64, endpoint=False).view(np.float64)
            yield functools.partial(np.asarray, x)
    for x in edge_grid(dtype):
        yield functools.partial(np.asarray, x)


def sample_inputs(dtype, exhaustive=False, chunk=CHUNK):
    """Yield arrays of inputs (see the module docstring)."""
    for make in _input_chunks(dtype, exhaustive, chunk):
        yield make()


def input_count(dtype, exhaustive=False):
    grid = 4 << 18
    if np.dtype(dtype) == np.float32:
        return -(-(1 << 32) // (1 if exhaustive else 4099)) + grid  # ceil: arange's count
    return (EXHAUSTIVE_F64_SAMPLES if exhaustive else SAMPLE_F64) + grid


def ci_inputs(dtype):
    """The fixed subset CI checks on every ISA path: every 65521st float32 bit pattern (or
    2^16 random float64 patterns) plus the edge grid, thinned 8x: ~2e5 inputs, a fraction of a
    second per function."""
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        base = np.arange(0, 1 << 32, 65521, dtype=np.uint64).astype(np.uint32).view(np.float32)
    else:
        base = np.random.default_rng(7).integers(0, 1 << 64, size=1 << 16, dtype=np.uint64).view(np.float64)
    return np.concatenate([base] + [g[::8] for g in edge_grid(dtype)])


class Result:
    """The outcome for one function, dtype and mode: max ULP error (smooth functions) or the
    number of inputs that differ from the reference (exact functions), where, and how many
    inputs were checked.  `at` is the first input, in input order, where the max (or the first
    mismatch) occurs, whatever the chunking and the number of workers."""

    def __init__(self):
        self.worst, self.at, self.mismatches, self.count = -1.0, None, 0, 0

    @classmethod
    def of_chunk(cls, spec, got, x, mode, params):
        """The Result of one array of inputs."""
        r = cls()
        if spec.exact:
            want = _ref.evaluate(spec.name, mode, x, **params)
            same = same_bits(got, want)
            r.mismatches, r.worst = x.size - int(np.count_nonzero(same)), 0.0
            if r.mismatches:
                bad = ~same
                r.at = x[bad][0].item()
                r.worst = float(np.max(ulp_error(got[bad], want[bad])))
        elif x.size:
            err = ulp_error(got, wide_reference(spec.name, mode, x, params))
            i = int(np.argmax(err))  # the first occurrence of the max (no NaN in err)
            r.worst, r.at = float(err[i]), x[i].item()
        r.count = x.size
        return r

    def merge(self, later):
        """Fold in the Result of the inputs that come after this one's."""
        if self.mismatches or later.mismatches:  # exact functions: where the first one is
            if not self.mismatches:
                self.at = later.at
            self.worst = max(self.worst, later.worst)
        elif later.worst > self.worst:  # strictly: an equal max later does not move `at`
            self.worst, self.at = later.worst, later.at
        self.mismatches += later.mismatches
        self.count += later.count
        return self

    def add(self, spec, got, x, mode, params):
        return self.merge(Result.of_chunk(spec, got, x, mode, params))

    def ok(self, bound, dtype):
        return self.mismatches == 0 and self.worst <= bound + reference_slack(dtype)


def reference_slack(dtype):
    """What a measured error may exceed the registry's bound by: the reference's own error.
    float32 is measured against float64 (about 2^-50 relative: nothing at float32's scale), so
    not at all.  float64 is measured against np.longdouble, whose 64-bit significand leaves the
    formulas of fastact.reference up to 0.86 ulp of float64 off at the worst inputs found (gelu
    at x = -2.8 and -36, against mpmath): half an ulp is allowed there."""
    return 0.0 if np.dtype(dtype) == np.float32 else 0.5


def measure(name, mode, dtype, params=None, exhaustive=False):
    """(max ULP error, the x where it happens, inputs checked) for one function and mode."""
    r = measure_both(name, dtype, params, exhaustive, progress=None)[mode]
    return r.worst, r.at, r.count


def measure_inputs(name, x, params=None):
    """{mode: Result} on the given inputs (the kernels of the current ISA)."""
    spec = BY_NAME[name]
    return _measure_chunk(spec, params_of(spec, params), lambda: x)


def _measure_chunk(spec, params, make):
    x = make()
    with np.errstate(all="ignore"):
        return {mode: Result.of_chunk(spec, fast(spec.name, mode, x, params), x, mode, params)
                for mode in MODES}


def _map_in_order(fn, items, jobs):
    """fn(item) for each item, in order, on `jobs` threads (NumPy's ufuncs and fastact's kernels
    release the GIL), at most 2 jobs items in flight.  fastact's own pool is set to one thread
    meanwhile: the workers already occupy the cores (results do not depend on it).  So is the
    GIL's switch interval, to 0.1 ms: the references (gelu's) make many short NumPy calls, and
    a worker waiting up to the default 5 ms for the GIL after each left the cores idle (gelu:
    1.5x the wall time at 2 jobs, 2^32 inputs)."""
    if jobs <= 1:
        yield from map(fn, items)
        return
    from concurrent.futures import ThreadPoolExecutor

    from . import get_num_threads, set_num_threads

    threads, interval = get_num_threads(), sys.getswitchinterval()
    set_num_threads(1)
    sys.setswitchinterval(min(interval, 1e-4))
    pending = collections.deque()
    try:
        with ThreadPoolExecutor(jobs, thread_name_prefix="fastact-accuracy") as pool:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= 2 * jobs:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
    finally:
        for f in pending:
            f.cancel()
        set_num_threads(threads)
        sys.setswitchinterval(interval)


def measure_both(name, dtype, params=None, exhaustive=False, progress=None, jobs=1):
    """{mode: Result} over the inputs of `sample_inputs`, value and derivative in one pass,
    the chunks on `jobs` threads (the Results do not depend on it)."""
    spec = BY_NAME[name]
    params = params_of(spec, params)
    out = {m: Result() for m in MODES}
    total = input_count(dtype, exhaustive)
    done = 0
    chunks = _input_chunks(dtype, exhaustive)
    for part in _map_in_order(functools.partial(_measure_chunk, spec, params), chunks, jobs):
        for mode in MODES:
            out[mode].merge(part[mode])
        done += part[MODES[0]].count
        if progress:
            progress(done / total)
    return out


class Progress:
    """A one-line progress bar on stderr: label, bar, percent, elapsed seconds."""

    def __init__(self, label, file=None):
        self.label, self.file, self.t0, self.last = label, file or sys.stderr, time.perf_counter(), -1.0

    def __call__(self, frac):
        now = time.perf_counter()
        if frac < 1 and now - self.last < 0.2:
            return
        self.last = now
        bar = "#" * int(28 * frac)
        print(f"\r  {self.label:<26}[{bar:<28}] {100 * frac:5.1f}% {now - self.t0:6.1f}s",
              end="" if frac < 1 else "\n", file=self.file, flush=True)


def machine():
    """CPU model, the kernel set in use, date: the header of the generated tables."""
    from . import __version__, _core

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": f"{cpu} ({os.cpu_count()} logical CPUs)", "isa": _core.get_isa(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "versions": f"fastact {__version__}, numpy {np.__version__}, Python {platform.python_version()}"}


def table(names=None, dtypes=("float32", "float64"), exhaustive=False, file=None, progress=True,
          markdown=None, command=None, jobs=None, update=False):
    """Print the accuracy of each function, mode and dtype against the registry's bound; with
    `markdown`, also write it as a markdown document (with `update`, replacing the rows measured
    in an existing one: see write_markdown).  Returns True when every bound holds.
    `jobs`: worker threads (default: os.cpu_count()); the table does not depend on it."""
    names = names or [s.name for s in SPECS]
    jobs = jobs or os.cpu_count() or 1
    file = file or sys.stdout
    print(f"{'function':<14}{'dtype':<9}{'mode':<12}{'max ulp':>10}{'bound':>7}  {'at x':<24}"
          f"{'inputs':>12}{'secs':>7}", file=file)
    ok, rows = True, []
    for name in names:
        spec = BY_NAME[name]
        for dt in dtypes:
            t0 = time.perf_counter()
            bar = Progress(f"{spec.name} {dt}") if progress else None
            res = measure_both(spec.name, dt, exhaustive=exhaustive, progress=bar, jobs=jobs)
            secs = (time.perf_counter() - t0) / len(MODES)
            for k, mode in enumerate(MODES):
                r, bound = res[mode], spec.ulp[dt][k]
                good = r.ok(bound, dt)
                ok &= good
                shown = f"{r.mismatches} differ" if r.mismatches else f"{r.worst:.3f}"
                print(f"{spec.name:<14}{dt:<9}{mode:<12}{shown:>10}{bound:>7}  {r.at!r:<24}"
                      f"{r.count:>12}{secs:>7.1f}" + ("" if good else "  OVER"), file=file, flush=True)
                rows.append((spec, dt, mode, r, bound, good))
    if markdown:
        write_markdown(markdown, rows, exhaustive, command, update=update)
    return ok


TABLE_HEAD = "| function | dtype | mode | max error | bound | at x | inputs | ok |"


def write_markdown(path, rows, exhaustive, command, update=False):
    """Write the table as a markdown document.  With `update`, `path` must be a document this
    function wrote on the same inputs: its rows of the functions measured now are replaced (or
    added, in registry order), the others kept, and its header gains a line naming this run."""
    m = machine()
    f32 = "all 2^32 float32 inputs" if exhaustive else "every 4099th float32 bit pattern"
    f64 = (f"{EXHAUSTIVE_F64_SAMPLES if exhaustive else SAMPLE_F64:,} random float64 bit patterns")
    inputs = (f"- inputs: float32 rows: {f32}; float64 rows: {f64}; both plus 2^20 points on dense "
              "grids around the regime changes (|x| <= 120, |x| <= 1, |x| <= 1e-3, the exp underflow range).")
    lines = [
        "# Accuracy",
        "",
        "Generated by `" + (command or "python -m fastact accuracy") + "`; do not edit by hand.",
        "",
        f"- machine: {m['cpu']}",
        f"- kernels: {m['isa']} path; {m['versions']}",
        f"- date: {m['date']}",
        inputs,
        "",
        "Exact functions (piecewise-linear) must equal their pure-NumPy reference bit for bit "
        "(`differ` counts the inputs where they do not; in float32 the results of leaky_relu, "
        "hard_sigmoid and hardswish are the correctly rounded ones, which `make prove-rounding` "
        "(tools/check_rounding.py) checks over all 2^32 inputs). Smooth functions: max error in "
        "ULPs against the reference formula "
        "evaluated in float64 (float32 rows) or np.longdouble (float64 rows), subnormal results "
        "included; the bound is the registry's.",
        "",
        TABLE_HEAD,
        "|---|---|---|---|---|---|---|---|",
    ]
    table = {}
    for spec, dt, mode, r, bound, good in rows:
        err = (f"{r.mismatches} differ" if r.mismatches else
               ("bit-exact" if spec.exact else f"{r.worst:.3f} ulp"))
        table[spec.name, dt, mode] = (
            f"| {spec.name} | {dt} | {mode} | {err} | "
            f"{'exact' if spec.exact else bound} | {'' if r.at is None else repr(r.at)} | "
            f"{r.count:,} | {'yes' if good else '**no**'} |")
    if update:
        with open(path) as fh:
            old = fh.read().splitlines()
        if inputs not in old or TABLE_HEAD not in old:
            raise ValueError(f"{path} is not a table of this tool on the same inputs "
                             "(exhaustive or sample); write it whole instead of updating it")
        start = old.index(TABLE_HEAD)
        kept = {tuple(c.strip() for c in line.split("|")[1:4]): line
                for line in old[start + 2:] if line.startswith("| ")}
        names = sorted({name for name, _, _ in table}, key=[s.name for s in SPECS].index)
        lines = old[:old.index(inputs) + 1] + [
            f"- updated {m['date']}: {', '.join(names)} measured again by `{command}` "
            f"({m['isa']} path; {m['versions']})"] + old[old.index(inputs) + 1:start + 2]
        table = {**kept, **table}
    order = {s.name: i for i, s in enumerate(SPECS)}
    for key in sorted(table, key=lambda k: (order[k[0]], k[1], MODES.index(k[2]))):
        lines.append(table[key])
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
