"""asv benchmarks: every registered function x dtype x size (1e3, 1e5, 1e6), forward (a new
array), in place (out=x) and backward (out= given); fastact next to the idiomatic NumPy
baseline and, as a second series, the correctness twin of fastact.reference; speed *ratios*
measured in one process (track_: fastact vs NumPy, fastact vs each installed peer), which
survive a noisy machine; peak memory out of place vs in place (peakmem_).

Every benchmark runs fastact with one thread.  The suite runs against old commits too (`make asv` benchmarks the last N commits of main in
their own environments): it uses only the public API and the registry, and loads the
baselines (src/fastact/_baselines.py) and peers (src/fastact/_peers.py) of *this* checkout by
path, so every commit is measured against the same baseline code.  A function or peer a
commit lacks is skipped (NotImplementedError).

    make asv            # last 10 commits of main (Ratios) + HEAD in the dev venv (all), publish
    asv run --python=same --quick -b Ratios     # the dev venv only, one class

Every parameter grid holds only rows that exist (glu, which halves its input, has no in-place
form and is left out of InPlace and Memory).  The holes left: a function a commit lacks, and a
PeerRatios row whose peer has no such operation or disagrees with fastact (NotImplementedError:
asv records it as skipped, n/a).
"""
import ctypes
import importlib.util
import pathlib
import sys
import time
import timeit

import numpy as np

import fastact
from fastact._registry import REQUIRED, SPECS

_SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "fastact"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"_asv_{name}", _SRC / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


_baselines = _load("_baselines")
_peers = _load("_peers")
_catalogue = _load("_catalogue")

try:  # functions along an axis and with array parameters (not in every commit)
    from fastact._registry import STRUCTURED_SPECS
except ImportError:
    STRUCTURED_SPECS = ()
ROWS = {s.name: s.kind for s in STRUCTURED_SPECS if s.kind in ("axis", "halves")}
ROW = 128  # their inputs: rows of 128 along the last axis

FUNCTIONS = [s.name for s in SPECS] + [s.name for s in STRUCTURED_SPECS]
INPLACE = [n for n in FUNCTIONS if ROWS.get(n) != "halves"]  # out=x possible
DTYPES = ["float32", "float64"]
SIZES = [1_000, 100_000, 1_000_000]
RATIO_N = 100_000
SEED = 20240601


def _function(name):
    fastact.set_num_threads(1)  # one thread: comparable over commits, robust on a busy machine
    try:
        return fastact.get(name)
    except ValueError:
        raise NotImplementedError(f"{name} is not in this commit") from None


def _params(spec):
    """The defaults, and 0.5, 1.0, ... for required parameters (as python -m fastact bench);
    structured functions: the catalogue's parameters (prelu's weight)."""
    if spec.name in {s.name for s in STRUCTURED_SPECS}:
        return _catalogue.params_for(spec.name, spec)
    required = [p.name for p in spec.params if p.default is REQUIRED]
    return dict(spec.defaults(), **{n: 0.5 * (i + 1) for i, n in enumerate(required)})


def _inputs(n, dtype, name=None):
    """(x, g): 4 * standard normal and standard normal; rows of ROW elements for functions
    along an axis (g half as wide for glu)."""
    rng = np.random.default_rng(SEED)
    if name in ROWS:
        n -= n % ROW
    x, g = (rng.standard_normal(n) * 4).astype(dtype), rng.standard_normal(n).astype(dtype)
    if name in ROWS:
        x, g = x.reshape(-1, ROW), g.reshape(-1, ROW)
        if ROWS[name] == "halves":
            g = g[:, :ROW // 2].copy()
    return x, g


def _out(f, x, p):
    """An output array of f(x)'s shape (glu halves its input)."""
    return np.empty_like(f(x, **p))


def _first(candidates):
    """The forward of the first usable baseline candidate (Time's NumPy series)."""
    for c in candidates:
        if c.usable():
            return c.forward
    raise NotImplementedError("no usable baseline")


def _min_ns_rounds(rows, repeat=21, budget_ns=500_000):
    """{key: ns per call of each callable of rows[key]}: the fastest of `repeat` samples of
    ~budget_ns each (after one untimed warm-up call).  The samples are taken in rounds, each
    round one sample of every callable of every row, so a row's samples spread over the whole
    measurement and a disturbance lasting part of it (another process's burst, a busy SMT
    sibling) cannot slow all of them; and both sides of a ratio are interleaved.  The minimum,
    not the median: on a shared machine a sample is only ever slowed down."""
    timers = {key: [timeit.Timer(c, timer=time.perf_counter_ns) for c in calls]
              for key, calls in rows.items()}
    loops = {}
    for key, ts in timers.items():
        loops[key] = []
        for t in ts:
            k, elapsed = 1, t.timeit(1)
            while elapsed < budget_ns / 4:
                k *= 4
                elapsed = t.timeit(k)
            loops[key].append(max(1, int(k * budget_ns / elapsed)))
    best = {key: [float("inf")] * len(ts) for key, ts in timers.items()}
    for _ in range(repeat):
        for key, ts in timers.items():
            for i, (t, k) in enumerate(zip(ts, loops[key])):
                t.timeit(1)
                best[key][i] = min(best[key][i], t.timeit(k) / k)
    return best


def _min_ns(calls, repeat=21, budget_ns=500_000):
    """ns per call of each callable (one row of _min_ns_rounds)."""
    return _min_ns_rounds({0: calls}, repeat, budget_ns)[0]


def _warm_heap():
    """glibc: every allocation below 64 MB from the heap, none given back.  By default an
    allocation of 128 kB or more is a fresh mmap, page-faulted in on each call, until freeing
    one raises that threshold; so NumPy's temporaries (a baseline's np.exp(x) at n=1e5) cost
    twice as much or not depending on what the process allocated before, and a ratio moved 2x
    between runs of the same code.  The warm heap is what a long training loop sees: the
    NumPy baselines at their fastest.  Nothing elsewhere (not glibc)."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(-3, 64 << 20)  # M_MMAP_THRESHOLD (fixed: no dynamic adjustment)
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


def _ratio_calls(f, cands, p, x, g):
    """fastact's forward, the baselines' forwards, fastact's backward, the baselines'
    backwards (out= given to each)."""
    o, ob = _out(f, x, p), np.empty_like(x)
    return ([lambda: f(x, out=o, **p)]
            + [lambda c=c: c.forward(x, o, p) for c in cands]
            + [lambda: f.backward(g, x=x, out=ob, **p)]
            + [lambda c=c: c.backward(g, x, ob, p) for c in cands])


class Time:
    """Seconds per call: fastact forward (a new array) and backward (out= given); the idiomatic
    NumPy baseline with out=; the correctness twin (fastact.reference)."""

    params = (FUNCTIONS, DTYPES, SIZES)
    param_names = ["function", "dtype", "n"]

    def setup(self, name, dtype, n):
        self.f = f = _function(name)
        self.p = _params(f.spec)
        self.x, self.g = _inputs(n, dtype, name)
        self.o, self.ob = _out(f, self.x, self.p), np.empty_like(self.x)
        self.numpy = _first(_baselines.BASELINES.get(name, ()))

    def time_forward(self, name, dtype, n):
        self.f(self.x, **self.p)

    def time_backward(self, name, dtype, n):
        self.f.backward(self.g, x=self.x, out=self.ob, **self.p)

    def time_numpy_baseline(self, name, dtype, n):
        self.numpy(self.x, self.o, self.p)

    def time_reference_twin(self, name, dtype, n):
        self.f.reference(self.x, **self.p)


class InPlace:
    """Seconds per call of f(x, out=x) (every function but glu, whose output is half as wide)."""

    params = (INPLACE, DTYPES, SIZES)
    param_names = ["function", "dtype", "n"]

    def setup(self, name, dtype, n):
        self.f = _function(name)
        self.p = _params(self.f.spec)
        self.work = _inputs(n, dtype, name)[0]

    def time_inplace(self, name, dtype, n):
        self.f(self.work, out=self.work, **self.p)


def _ratio_setup(cache, key):
    if key not in cache:
        raise NotImplementedError(f"{key}: not available in this commit or environment")


class Ratios:
    """Speedup of fastact over the idiomatic NumPy baseline (the fastest of its candidates'
    time / fastact time), forward and backward, measured interleaved in one process at
    n=1e5 (all rows in setup_cache, once per run, their samples in rounds over all rows)."""

    params = (FUNCTIONS, DTYPES)
    param_names = ["function", "dtype"]
    unit = "speedup"
    timeout = 600

    def setup_cache(self):
        _warm_heap()
        rows, k = {}, {}
        for name in FUNCTIONS:
            for dtype in DTYPES:
                try:
                    f = _function(name)
                except NotImplementedError:
                    continue
                cands = [c for c in _baselines.BASELINES.get(name, ()) if c.usable()]
                if not cands:
                    continue
                rows[name, dtype] = _ratio_calls(f, cands, _params(f.spec),
                                                 *_inputs(RATIO_N, dtype, name))
                k[name, dtype] = len(cands)
        with np.errstate(all="ignore"):
            t = _min_ns_rounds(rows)
        return {key: {"forward": min(t[key][1:n + 1]) / t[key][0],
                      "backward": min(t[key][n + 2:]) / t[key][n + 1]}
                for key, n in k.items()}

    def setup(self, cache, name, dtype):
        _ratio_setup(cache, (name, dtype))

    def track_vs_numpy_forward(self, cache, name, dtype):
        return cache[name, dtype]["forward"]

    def track_vs_numpy_backward(self, cache, name, dtype):
        return cache[name, dtype]["backward"]


def _installed(peer):
    import importlib.util as u

    return all(u.find_spec(m) is not None for m in _peers._MODULES[peer])


INSTALLED_PEERS = [p for p in _peers.PEERS if _installed(p)]
# the peers with a backward (fastact._peers: torch's autograd kernels, JAX's vjp); the others
# compute the forward only, so their backward rows would be empty by construction
_BACKWARD_PEERS = ("torch", "jax")
PEER_KINDS = [f"{p} {k}" for p in INSTALLED_PEERS
              for k in ("forward", "backward") if k == "forward" or p in _BACKWARD_PEERS]


class PeerRatios:
    """Speedup of fastact over each installed peer (peer time / fastact time, one process,
    n=1e5, one thread each), forward and backward.  Backward: from x where the peer has such
    a kernel (torch's aten.threshold_backward, JAX's vjp), else from y (torch's
    aten.sigmoid_backward and the like, against fastact's f.backward(g, y=y)).  A row is
    skipped where the peer has no such operation or disagrees with fastact."""

    params = (PEER_KINDS, FUNCTIONS, DTYPES)
    param_names = ["peer", "function", "dtype"]
    unit = "speedup"
    timeout = 1800

    def setup_cache(self):
        _warm_heap()
        cache = {}
        threads = fastact.get_num_threads()
        fastact.set_num_threads(1)
        try:
            for peer_kind in PEER_KINDS:
                peer, kind = peer_kind.split()
                try:
                    _peers.module(peer, 1)
                except ImportError:
                    continue
                for name in FUNCTIONS:
                    try:
                        f = _function(name)
                    except NotImplementedError:
                        continue
                    p = _params(f.spec)
                    for dtype in DTYPES:
                        x, g = _inputs(RATIO_N, dtype, name)
                        o, ob = _out(f, x, p), np.empty_like(x)
                        with np.errstate(all="ignore"):
                            y = f(x, **p)
                            sides = [(kind, lambda: f(x, out=o, **p), lambda: f(x, **p))]
                            if kind == "backward":
                                sides = [("backward",
                                          lambda: f.backward(g, x=x, out=ob, **p),
                                          lambda: f.backward(g, x=x, **p))]
                                if getattr(f.spec, "from_y", False):
                                    sides.append(("backward_y",
                                                  lambda: f.backward(g, y=y, out=ob, **p),
                                                  lambda: f.backward(g, y=y, **p)))
                            for peer_side, mine, want in sides:
                                try:
                                    call = _peers.call(peer, name, peer_side, x, g, y, p, 1)
                                    if call is None or not _peers.agrees(call(), want()):
                                        continue
                                except Exception:  # a peer failing is a skipped row
                                    continue
                                a, b = _min_ns([mine, call])
                                cache[peer_kind, name, dtype] = b / a
                                break
        finally:
            fastact.set_num_threads(threads)
        return cache

    def setup(self, cache, peer_kind, name, dtype):
        _ratio_setup(cache, (peer_kind, name, dtype))

    def track_speedup(self, cache, peer_kind, name, dtype):
        return cache[peer_kind, name, dtype]


if not INSTALLED_PEERS:  # environments without peers (asv's per-commit ones): no such class
    del PeerRatios


class Memory:
    """Peak memory of f(x) (a new 32 MB array) against f(x, out=x) (none) for float64
    n = 2^22: the difference is the output array in-place calls save (every function but
    glu, which has no in-place form)."""

    params = (INPLACE,)
    param_names = ["function"]

    def setup(self, name):
        self.f = _function(name)
        self.p = _params(self.f.spec)
        self.x = _inputs(2 ** 22, "float64", name)[0]

    def peakmem_out_of_place(self, name):
        self.f(self.x, **self.p)

    def peakmem_inplace(self, name):
        self.f(self.x, out=self.x, **self.p)
