"""Fuzz fastact's public API: arbitrary bytes decoded into calls, checked by an oracle.

    python tools/fuzz.py -max_total_time=600 [corpus_dir]   # coverage-guided (atheris)
    python tools/fuzz.py --random 2000 [--seed 1]           # plain random bytes, no atheris
    python tools/fuzz.py crash-<sha>                        # replay one input (atheris)

`make fuzz SECONDS=N` runs the first form.  Every function and method in the registry is a
target, so functions added later are fuzzed without touching this file.  The bytes choose:

- the target: function, method (f, f.grad, f.backward from x and from y, f.inplace), calling
  spelling (out= keyword or positional), ISA, thread count and the thread/GIL thresholds;
- arrays: dtype (floats of every width and byte order, ints, bool, complex, object, strings,
  datetimes, longdouble), shape (0-d, empty, up to 3-d, sometimes several pool blocks long),
  layout (C, F, strided, negative strides, zero strides, unaligned offsets, swapped bytes,
  read-only, an ndarray subclass), values (raw bit patterns and the spec's edge values), and
  non-arrays (lists, ragged lists, scalars, huge ints, None, bytes);
- out: None, fresh arrays of any dtype/layout, the input itself, a partially overlapping view of
  the input's buffer (also through another dtype), another view of the input (reversed,
  transposed), a wrong shape, read-only, not an array;
- backward's g: the shape of x, broadcastable shapes, scalars, mismatched shapes;
- parameters: defaults, NaN, +-inf, huge, subnormal, ints, bools, strings, None, arrays,
  complex, Fraction, Decimal, numpy scalars, unknown keywords, missing required ones.

The oracle (`check`): a call either returns what the reference semantics give -- the same
function on a plain C-contiguous native copy, which is itself checked against
fastact.reference (bit for bit for exact functions, within the registry's ULP bound
otherwise), cast as the dtype rules say -- or raises TypeError, ValueError or AxisError
leaving every argument (out included) untouched.  A refusal where the contract accepts the call,
success where it refuses, any other exception, a write into an argument that is not out,
a changed reference count, a crash or a hang (libFuzzer's -timeout) is a finding.
"""
from __future__ import annotations

import copy
import decimal
import fractions
import gc
import os
import struct
import sys

import numpy as np

AXIS_ERRORS = (TypeError, ValueError)  # np.exceptions.AxisError is a ValueError subclass


class Finding(AssertionError):
    """The oracle's verdict on one input."""


# ------------------------------------------------------------------ decoding bytes

class Bytes:
    """Consumes fuzz bytes deterministically; past the end it reads zeros (never raises)."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def byte(self) -> int:
        if self.pos < len(self.data):
            self.pos += 1
            return self.data[self.pos - 1]
        return 0

    def below(self, n: int) -> int:
        """An int in [0, n)."""
        v = self.byte() if n <= 256 else self.byte() | self.byte() << 8
        return v % n

    def pick(self, seq):
        return seq[self.below(len(seq))]

    def chance(self, k: int) -> bool:
        """True with probability about 1/k."""
        return self.below(k) == 0

    def raw(self, n: int) -> bytes:
        b = self.data[self.pos:self.pos + n]
        self.pos += len(b)
        return b.ljust(n, b"\0")


def _edges(dtype):
    info = np.finfo(dtype)
    return [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, float(info.smallest_subnormal),
            -float(info.smallest_subnormal), float(info.smallest_normal), float(info.max),
            -float(info.max), 1.0, -1.0, 0.5, -0.5, 3.0, -3.0, 6.0, -6.0, 0.01, 20.0, -20.0,
            88.7, -88.7, -104.0, 710.0, -745.5, 1e-3, -1e-3, 2.0]


class Sub(np.ndarray):
    """An ndarray subclass (takes the generic path; results are plain ndarrays or out)."""


FLOAT_DTYPES = ["f4", "f8", "f2", ">f4", ">f8", "<f2"]
OTHER_DTYPES = ["i1", "i4", "i8", "u1", "u8", "?", ">i4", "c8", "c16", "g", "O", "U3", "S2",
                "M8[D]", "m8[s]"]


def decode_dtype(b: Bytes, floats_mostly=True):
    if floats_mostly and not b.chance(6):
        return np.dtype(b.pick(FLOAT_DTYPES))
    return np.dtype(b.pick(FLOAT_DTYPES + OTHER_DTYPES))


def decode_shape(b: Bytes):
    k = b.below(8)
    if k == 0:
        return ()
    if k == 7:  # long enough for several thread-pool blocks
        return (b.pick([4095, 4097, 8193, 12289 + b.below(300)]),)
    ndim = 1 + b.below(3)
    return tuple(b.pick([0, 1, 1, 2, 3, 4, 5, 7]) for _ in range(ndim))


def decode_values(b: Bytes, shape, dtype):
    """A C-contiguous native array of `shape`: raw bit patterns or edge values, tiled."""
    n = int(np.prod(shape, dtype=np.int64))
    native = dtype.newbyteorder("=") if dtype.byteorder not in "=|" else dtype
    kind = native.kind
    if kind == "O":
        pool = [1.5, None, "a", 2, [1.0], object()]
        flat = np.empty(n, object)
        for i in range(n):
            flat[i] = pool[(i + b.below(6)) % 6] if i < 8 else float(i) + 0.5  # fresh objects
        return flat.reshape(shape)
    if kind in "USMm":
        return np.zeros(shape, dtype)
    if kind == "b":
        return np.resize(np.frombuffer(b.raw(1 + b.below(16)), np.uint8) & 1, n).astype(bool).reshape(shape)
    mode = b.below(3)
    pattern_len = 1 + b.below(16)
    if mode == 0 or kind not in "fc":  # raw bit patterns
        raw = b.raw(pattern_len * native.itemsize)
        pattern = np.frombuffer(raw, native)
    else:  # edge values (mode 1) or small numbers around the kinks (mode 2)
        edges = _edges(np.float32 if native.itemsize <= 4 else np.float64)
        if mode == 1:
            pattern = np.array([edges[b.below(len(edges))] for _ in range(pattern_len)])
        else:
            pattern = np.array([(b.byte() - 128) / 16.0 for _ in range(pattern_len)])
        with np.errstate(all="ignore"):
            pattern = pattern.astype(native)
    return np.resize(pattern, n).reshape(shape).astype(dtype)


LAYOUTS = ["C", "C", "F", "step", "neg", "zero", "unaligned", "swapped", "readonly", "sub",
           "transposed"]


def with_layout(b: Bytes, values: np.ndarray, layout: str):
    """`values` (C-contiguous, native) re-laid out; same logical contents except 'zero', which
    repeats one slice along an axis (a zero-stride view)."""
    a = values
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "step" and a.ndim:
        ax, step = b.below(a.ndim), 2 + b.below(2)
        big_shape = list(a.shape)
        big_shape[ax] = max(a.shape[ax] * step, 1)
        big = np.zeros(big_shape, a.dtype)
        sl = [slice(None)] * a.ndim
        sl[ax] = slice(None, a.shape[ax] * step, step)
        big[tuple(sl)] = a
        return big[tuple(sl)]
    if layout == "neg" and a.ndim:
        flip = tuple(slice(None, None, -1) for _ in range(a.ndim))
        return a[flip].copy()[flip]
    if layout == "zero" and a.ndim and a.size:
        ax = b.below(a.ndim)
        strides = list(a.strides)
        strides[ax] = 0
        return np.lib.stride_tricks.as_strided(a.copy(), a.shape, strides,
                                               writeable=b.chance(2))
    if layout == "unaligned" and a.dtype.kind not in "OUSMm":
        off = 1 + b.below(a.dtype.itemsize - 1 if a.dtype.itemsize > 1 else 1)
        raw = np.zeros(a.nbytes + off, np.uint8)
        u = raw[off:off + a.nbytes].view(a.dtype).reshape(a.shape)
        u[...] = a
        return u
    if layout == "swapped" and a.dtype.kind in "fiuc" and a.dtype.itemsize > 1:
        return a.astype(a.dtype.newbyteorder("S"))
    if layout == "readonly":
        a = a.copy()
        a.flags.writeable = False
        return a
    if layout == "sub":
        return a.copy().view(Sub)
    if layout == "transposed" and a.ndim >= 2:
        return np.ascontiguousarray(a.T).T
    return a


def decode_array(b: Bytes, shape=None, dtype=None):
    """An argument that is usually an ndarray, sometimes another Python object."""
    k = b.below(24)
    if k == 0:
        return b.pick([[1.0, -2.0, float("nan")], [[1.0], [2.0, 3.0]], 0.5, -7, True, 10 ** 400,
                       None, b"ab", "1.0", [], [[]], complex(1, 2), np.float32(-0.0),
                       np.float16(65504), np.int8(-3), decimal.Decimal("0.1")])
    shape = decode_shape(b) if shape is None else shape
    dtype = decode_dtype(b) if dtype is None else dtype
    return with_layout(b, decode_values(b, shape, dtype), b.pick(LAYOUTS))


PARAM_VALUES = [
    lambda b: b.pick([0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.0, 3.0, 6.0, 1e-3, 0.25]),
    lambda b: b.pick([float("nan"), float("inf"), -float("inf"), 1e308, -1e308, 5e-324, 1e38,
                      3.5e38, -3.5e38]),
    lambda b: struct.unpack("<d", b.raw(8))[0],
    lambda b: b.pick([0, 1, -1, 3, 10 ** 20, -10 ** 20, 10 ** 400, -10 ** 400]),
    lambda b: b.pick([True, False, np.bool_(True)]),
    lambda b: b.pick([np.float32(0.5), np.float64(float("nan")), np.int64(2), np.float16(-1.5),
                      np.float64(float("inf")), np.longdouble(0.5), np.uint8(200)]),
    lambda b: b.pick(["0.5", None, [0.5], np.array(0.5), np.array([0.5, 1.0]), complex(0.5, 0),
                      np.complex128(1), fractions.Fraction(1, 3), decimal.Decimal("0.25"), b"1",
                      object()]),
]


def decode_params(b: Bytes, spec):
    given = {}
    for p in spec.params:
        k = b.below(10)
        if k < 3:
            continue  # default (or missing when required)
        given[p.name] = PARAM_VALUES[min(k - 3, len(PARAM_VALUES) - 1)](b)
    if b.chance(24):
        given[b.pick(["alpha", "negative_slop", "xx", "axis", "dtype"])] = 1.0  # ("x" is backward's)
    # a required parameter left out most of the time would make most calls refusals
    for p in spec.params:
        if p.name not in given and spec.defaults().get(p.name, None) is None and not b.chance(8):
            given[p.name] = PARAM_VALUES[0](b)
    return given


# ------------------------------------------------------------------ the calls

METHODS = ["call", "call", "call_pos", "grad", "backward_x", "backward_y", "inplace"]
# functions along an axis (softmax family: kind "axis"; glu: kind "halves"): no grad, axis=
AXIS_KINDS = ("axis", "halves")
AXIS_METHODS = ["call", "call", "backward_x", "backward_y", "inplace"]  # f(x, axis, out)
AXIS_VALUES = [-1, -1, 0, 1, 2, -2, -3, 3, None, (0, 1), (0, 0), (), (-1, 0), 1.5, "0",
               np.int64(1), True, [0]]
_NO_AXIS = object()
# functions with array-valued parameters (prelu, mpelu: kind "channel") and rrelu ("random")
PARAM_KINDS = ("channel", "random")
CHANNEL_METHODS = ["call", "call", "grad", "backward_x", "backward_grads", "inplace"]
RANDOM_METHODS = ["call", "train", "train", "grad", "backward_x", "backward_train", "inplace"]


def targets(fastact):
    """Every elementwise function, and the functions along an axis (registry order)."""
    from fastact import _registry

    structured = getattr(_registry, "STRUCTURED_SPECS", ())
    return list(_registry.SPECS) + [s for s in structured
                                    if s.kind in AXIS_KINDS + PARAM_KINDS]


class Case:
    """One decoded call: everything needed to run it and to judge it."""

    def __init__(self, b: Bytes, fastact):
        self.spec = b.pick(targets(fastact))
        self.f = fastact.get(self.spec.name)
        self.axis_kind = getattr(self.spec, "kind", None) in AXIS_KINDS
        self.param_kind = getattr(self.spec, "kind", None) in PARAM_KINDS
        if self.param_kind:
            self._decode_param_kind(b, fastact)
            return
        self.method = b.pick(AXIS_METHODS if self.axis_kind else METHODS)
        if self.method == "inplace" and not hasattr(self.f, "inplace"):
            self.method = "call"
        self.axis = b.pick(AXIS_VALUES) if self.axis_kind else _NO_AXIS
        self.isa = b.pick(fastact._core.usable_isas())
        self.threads = 1 + b.below(4)
        self.thresholds = (b.pick([0, 1, 64, 4096, 16384]), b.pick([0, 1, 64, 8192, 32768]))
        self.x = decode_array(b)
        self.g = None
        self.out = None
        self.params = decode_params(b, self.spec)
        if self.method.startswith("backward"):
            self.g = self._decode_g(b)
        self._decode_out(b)
        self.extra_positional = b.chance(40)

    def _decode_param_kind(self, b, fastact):
        """prelu/mpelu (per-channel parameters of right and wrong lengths, param_grads) and
        rrelu (lower/upper, training, generator, slopes=)."""
        from fastact._registry import REQUIRED

        random = self.spec.kind == "random"
        self.must_refuse = False  # an argument the contract refuses, with valid others
        self.method = b.pick(RANDOM_METHODS if random else CHANNEL_METHODS)
        self.axis, self.extra_positional = _NO_AXIS, False
        self.isa = b.pick(fastact._core.usable_isas())
        self.threads = 1 + b.below(4)
        self.thresholds = (b.pick([0, 1, 64, 4096, 16384]), b.pick([0, 1, 64, 8192, 32768]))
        self.x = decode_array(b) if b.chance(8) else decode_array(
            b, dtype=np.dtype(b.pick(FLOAT_DTYPES)))
        if self.method == "inplace" and isinstance(self.x, np.ndarray) \
                and not self.x.flags.writeable:
            self.must_refuse = self.x.dtype.kind == "f"
        xs = np.shape(self.x) if isinstance(self.x, np.ndarray) else ()
        channels = xs[1] if len(xs) >= 2 else 1
        # plain: every argument of a kind the contract accepts (a refusal is then a finding)
        self.plain = isinstance(self.x, np.ndarray) and self.x.dtype.kind == "f" \
            and self.x.dtype.itemsize <= 8
        self.params, self.generator, self.slopes = {}, None, None
        if random:
            for q in self.spec.params:
                if b.chance(2):
                    v = PARAM_VALUES[b.below(3)](b)
                    self.params[q.name] = v
                    self.plain &= type(v) is float and np.isfinite(v)
            lo, hi = self.params.get("lower", 1 / 8), self.params.get("upper", 1 / 3)
            if self.plain and not lo <= hi:
                self.plain, self.must_refuse = False, True
            if self.method in ("train", "backward_train"):
                k = b.below(6)
                self.generator = [lambda: b.below(2 ** 16), lambda: np.random.default_rng(b.byte()),
                                  lambda: np.random.SeedSequence(b.byte()), lambda: None,
                                  lambda: b.pick([-1, "seed", 1.5, True]),
                                  lambda: b.below(2 ** 16)][k]()
                self.must_refuse |= k == 4 and self.plain and self.method == "train"
                self.plain &= k < 4
            if self.method in ("train", "backward_train", "grad", "backward_x") and (
                    self.method != "train" or b.chance(2)):
                k = b.below(6)
                if k < 3 and xs is not None:
                    self.slopes = np.full(xs, np.nan, b.pick(["f4", "f8", "f2"]))
                elif k == 3:
                    self.slopes = np.zeros(xs + (2,))
                    self.must_refuse |= self.plain
                elif k == 4:
                    self.slopes = np.zeros(xs, np.int32) if len(xs) else [0.2]
                else:
                    self.slopes = decode_array(b, shape=xs)
                self.plain &= k < 3
                if self.method in ("grad", "backward_x"):  # eval: slopes are read, not drawn
                    self.plain = False
        else:
            for q in self.spec.params:
                k = b.below(9)
                if k == 0 and q.default is not REQUIRED:
                    continue  # the default
                if k <= 1:
                    v = PARAM_VALUES[b.below(3)](b)
                    self.plain &= type(v) is float and np.isfinite(v)
                elif k <= 4:
                    v = decode_values(b, (channels,), np.dtype(b.pick(["f8", "f4"])))
                    self.plain &= bool(np.isfinite(v).all())
                elif k == 5:
                    v = np.array([b.pick([0.25, -0.5, 2.0, 0.0])])
                elif k == 6:
                    v = np.full(b.pick([channels + 1, 3, 0, 2 * channels]), 0.25)
                    self.must_refuse |= v.size not in (1, channels)
                elif k == 7:
                    i = b.below(7)
                    v = [np.full((channels, 1), 0.25), [0.25] * channels,
                         np.full(channels, 0.25 + 1j), np.ones(channels, np.int64),
                         np.array([np.nan] * channels), "0.25", None][i]
                    self.plain = False
                    self.must_refuse |= i in (0, 2, 4, 5)
                else:
                    v = np.full(channels, 0.25)
                    v.flags.writeable = b.chance(2)
                if q.name == "beta" and self.plain and np.any(np.asarray(v) < 0):
                    self.plain = False  # the rule beta >= 0 (checked after the conversion
                    # to the compute dtype: -5e-324 is -0.0 in float32 and may pass)
                    self.must_refuse = bool(np.any(np.asarray(v) < -1e-30)) and bool(
                        np.size(self.x))  # (an empty x may skip the check)
                self.params[q.name] = v
            if any(q.default is REQUIRED and q.name not in self.params
                   for q in self.spec.params):
                self.plain = False
        self.g = None
        if self.method.startswith("backward"):
            self.g = self._decode_g(b)
            self.plain &= isinstance(self.g, np.ndarray) and self.g.shape == xs \
                and self.g.dtype.kind == "f" and self.g.dtype.itemsize <= 8
        self.out = None
        k = b.below(8)
        if self.method != "inplace" and k >= 4 and isinstance(self.x, np.ndarray):
            if k == 4:
                self.out = self.x
                self.plain &= self.x.flags.writeable
            elif k == 5:
                self.out = np.full(xs + (1,), 7.0)
                self.must_refuse |= self.plain
                self.plain = False
            else:
                self.out = with_layout(b, np.full(xs, 7.0, b.pick(["f4", "f8", "f2"])),
                                       b.pick(["C", "F", "step", "neg", "readonly"]))
                if self.out.shape != xs:  # (np.asfortranarray of a 0-d array is 1-d)
                    self.must_refuse |= self.plain
                self.plain &= self.out.flags.writeable and np.can_cast(
                    self.x.dtype, self.out.dtype, "same_kind") and self.out.shape == xs

    def _decode_g(self, b):
        k = b.below(8)
        xs = np.shape(self.x) if isinstance(self.x, np.ndarray) else None
        if xs is None or k == 0:
            return decode_array(b)
        if k == 1 and len(xs):  # broadcastable: some dims 1, maybe fewer dims
            shape = tuple(1 if b.chance(2) else d for d in xs)[b.below(len(xs) + 1):]
            return decode_array(b, shape=shape)
        if k == 2:
            return b.pick([1.0, np.float32(2.0), -0.0, 3])
        if k == 3:  # g is x itself
            return self.x
        return decode_array(b, shape=xs, dtype=b.pick([None, self.x.dtype]))

    def _decode_out(self, b):
        k = b.below(16)
        x = self.x
        shape = np.shape(x) if isinstance(x, np.ndarray) else None
        if k < 4 or shape is None:
            if k == 0 and shape is None:
                self.out = decode_array(b)
            return
        if k == 4:
            self.out = x  # in place
        elif k == 5 and self.g is not None and isinstance(self.g, np.ndarray):
            self.out = self.g
        elif k == 6 and x.dtype.kind not in "OUSMm":
            self._overlap(b)
        elif k == 7 and x.ndim:  # another view of x's memory: reversed, or transposed
            if x.ndim >= 2 and x.shape[0] == x.shape[1] and b.chance(2):
                self.out = x.swapaxes(0, 1)
            else:
                self.out = x[(slice(None, None, -1),) * x.ndim]
        elif k == 8:  # wrong shape
            self.out = np.zeros(shape + (1,) if b.chance(2) else (3, 3), x.dtype
                                if x.dtype.kind == "f" else np.float64)
        elif k == 9:
            self.out = b.pick([[0.0], 0.0, np.float64(0.0), "out", None])
        else:
            dt = decode_dtype(b, floats_mostly=not b.chance(3))
            self.out = with_layout(b, decode_values(b, shape, dt), b.pick(LAYOUTS))

    def _overlap(self, b):
        """x and out: two views of one buffer, shifted by a few elements (partial overlap),
        out possibly of another float dtype."""
        x = self.x
        n = x.size
        dt = x.dtype.newbyteorder("=") if x.dtype.kind in "fiu" else x.dtype
        shift = b.pick([1, 2, 3, -1, -5, 17])
        buf = np.zeros(n + abs(shift) + 8, dt)
        x0, o0 = (0, shift) if shift > 0 else (-shift, 0)
        buf[x0:x0 + n] = np.ravel(x)
        self.x = buf[x0:x0 + n].reshape(x.shape)
        if self.g is x:
            self.g = self.x
        odt = b.pick([dt, np.dtype("f4"), np.dtype("f8")])
        if odt.kind != "f" or buf.nbytes < (o0 + n) * odt.itemsize or dt.kind != "f":
            odt = dt
        raw = buf.view(np.uint8)
        start = o0 * dt.itemsize
        self.out = raw[start:start + n * odt.itemsize].view(odt).reshape(x.shape)

    # -------------------------------------------------------------- running it

    def call(self):
        if self.param_kind:
            return self._call_param_kind()
        f, p = self.f, dict(self.params)
        if self.axis is not _NO_AXIS:
            p["axis"] = self.axis
        extra = (None,) if self.extra_positional else ()
        if self.method == "call":
            if self.out is None:
                return f(self.x, *extra, **p)
            return f(self.x, *extra, out=self.out, **p)
        if self.method == "call_pos":
            return f(self.x, self.out, *extra, **p)
        if self.method == "grad":
            return f.grad(self.x, *extra, out=self.out, **p)
        if self.method == "inplace":
            return f.inplace(self.x, *extra, **p)
        key = "x" if self.method == "backward_x" else "y"
        return f.backward(self.g, *extra, out=self.out, **{key: self.x}, **p)

    def _call_param_kind(self, x=None, g=None, out=None, slopes=None, generator=None):
        """The call (or, given copies, the same call on them)."""
        f, p = self.f, dict(self.params)
        x = self.x if x is None else x
        g = self.g if g is None else g
        out = self.out if out is None and x is self.x else out
        slopes = self.slopes if slopes is None and x is self.x else slopes
        generator = self.generator if generator is None and x is self.x else generator
        if slopes is not None:
            p["slopes"] = slopes
        m = self.method
        if m in ("train", "backward_train"):
            p["training"] = True
        if m == "train":
            p["generator"] = generator
        if m in ("call", "train"):
            return f(x, out=out, **p)
        if m == "grad":
            return f.grad(x, out=out, **p)
        if m == "inplace":
            return f.inplace(x, **p)
        if m == "backward_grads":
            return f.backward(g, x=x, out=out, param_grads=True, **p)
        return f.backward(g, x=x, out=out, **p)

    def _offset(self):
        """out's start minus x's in bytes when they share memory (partial overlap), else None."""
        x, o = self.x, self.out
        if isinstance(x, np.ndarray) and isinstance(o, np.ndarray) and x.size and o.size \
                and np.shares_memory(x, o):
            return o.__array_interface__["data"][0] - x.__array_interface__["data"][0]
        return None

    def describe(self):
        def arr(a):
            if isinstance(a, np.ndarray):
                return (f"{type(a).__name__}(shape={a.shape}, dtype={a.dtype}, "
                        f"strides={a.strides}, flags=C{int(a.flags.c_contiguous)}"
                        f"F{int(a.flags.f_contiguous)}A{int(a.flags.aligned)}"
                        f"W{int(a.flags.writeable)})")
            return repr(a)[:80]
        return (f"{self.spec.name}.{self.method} axis={self.axis!r} isa={self.isa} threads={self.threads} "
                f"thresholds={self.thresholds} x={arr(self.x)} g={arr(self.g)} "
                f"out={arr(self.out)} out_is_x={self.out is self.x} "
                f"out_minus_x_bytes={self._offset()} params={self.params!r} "
                f"extra_positional={self.extra_positional}")


# ------------------------------------------------------------------ the oracle

def _snapshot(a):
    if isinstance(a, np.ndarray):
        try:
            return a.tobytes()
        except Exception:  # noqa: BLE001 -- object arrays pickle-free: compare identities
            return [id(v) for v in a.ravel()]
    return None


def expect_refusal(case):
    """The contract's verdict: None if the call is valid, else the exception type it must
    raise (a model of README's semantics, independent of fastact's code)."""
    from fastact import _dtypes

    spec = case.spec
    # f(x, None, out=o), f(x, o, None), grad(x, None, out=o), backward(g, None, x=x, ...),
    # inplace(x, None): too many or repeated arguments; f(x, None) and backward(g, None, y=y)
    # only spell out the default
    if case.extra_positional and not (case.method == "call" and case.out is None
                                      or case.method == "backward_y"):
        return TypeError
    try:
        spec.resolve(case.params, spec.name)
    except TypeError:
        return TypeError
    except ValueError:
        return ValueError
    except Exception as e:  # noqa: BLE001 -- the references' own argument check failed
        raise Finding(f"Spec.resolve raised {type(e).__name__}: {e}") from e

    def accepted(v):
        try:
            a = np.asarray(v)
        except Exception:  # noqa: BLE001
            return False
        return a.dtype.kind in "biu" or (a.dtype.kind == "f" and a.dtype.itemsize <= 8)

    x, out = case.x, case.out
    if case.method == "inplace":
        if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
            return TypeError
        out = x
    if case.method.startswith("backward"):
        if case.method == "backward_y" and not spec.from_y:
            return TypeError
        if x is None or case.g is None:
            return TypeError
    if not accepted(x):
        return TypeError
    shape = np.shape(np.asarray(x))
    if case.g is not None:
        if not accepted(case.g):
            return TypeError
        try:
            shape = np.broadcast_shapes(shape, np.shape(np.asarray(case.g)))
        except ValueError:
            return ValueError
    rdt = result_dtype(x, case.g)
    if out is not None:
        if not isinstance(out, np.ndarray):
            return TypeError
        if out.shape != shape or not out.flags.writeable:
            return ValueError
        if not np.can_cast(rdt, out.dtype, casting="same_kind"):
            return TypeError
    return None


def result_dtype(x, g=None):
    """The result dtype of a call on x (and backward's g): float16/32/64 kept, bool and
    integers float64, several inputs promoted together -- except that a Python int or float
    is weak, as in NumPy's ufuncs (NEP 50): backward(1.0, x=float16 array) is float16.  (A
    Python bool counts as a bool array: float64.)"""
    from fastact import _dtypes

    strong = [a for a in (x, g) if a is not None and type(a) not in (int, float)]
    if not strong:
        return np.dtype(np.float64)
    return np.result_type(*[_dtypes.result_dtype(np.asarray(a).dtype) for a in strong])


def canonical(case):
    """Plain C-contiguous native copies of the inputs in the compute dtype, and the dtypes."""
    from fastact import _dtypes

    x = np.asarray(case.x)
    rdt = result_dtype(case.x, case.g)
    if case.g is not None:
        g = np.asarray(case.g)
        shape = np.broadcast_shapes(x.shape, g.shape)
    else:
        g, shape = None, x.shape
    cdt = _dtypes.compute_dtype(rdt)
    xc = np.array(np.broadcast_to(x, shape), dtype=cdt, order="C")
    gc = None if g is None else np.array(np.broadcast_to(g, shape), dtype=cdt, order="C")
    return xc, gc, rdt, cdt


def check_reference(case, xc, gc, r, params):
    """r (fastact on plain inputs) against fastact.reference."""
    from fastact import _accuracy
    from fastact import reference as ref

    spec = case.spec
    kind = {"call": "value", "call_pos": "value", "inplace": "value", "grad": "derivative",
            "backward_x": "derivative", "backward_y": "derivative_from_y"}[case.method]
    if case.method.startswith("backward"):
        if case.method == "backward_x":
            unit = case.f.grad(xc, **params)
        else:
            unit = case.f.backward(np.ones_like(gc), y=xc, **params)
        with np.errstate(all="ignore"):
            if not _same_bits(r, gc * unit):
                raise Finding("backward differs from g * backward(1) (fused != unfused)")
        r = unit
    if spec.exact or kind == "derivative_from_y":
        want = ref.evaluate(spec.name, kind, xc, **params)
        if not _same_bits(r, want):
            bad = ~_bitwise_equal(r, want)
            raise Finding(f"{kind} differs from the reference at x={xc[bad][:4]}: "
                          f"got {r[bad][:4]}, want {want[bad][:4]}")
        return
    err = _accuracy.ulp_error(r, _accuracy.wide_reference(spec.name, kind, xc, params))
    bound = spec.ulp[xc.dtype.name][0 if kind == "value" else 1] + 0.5
    if err.size and err.max() > bound:
        i = int(np.argmax(err))
        raise Finding(f"{kind} off by {err.flat[i]} ULP (bound {bound}) at x={xc.flat[i]!r}")


def _bitwise_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    with np.errstate(invalid="ignore"):
        return (np.isnan(a) & np.isnan(b)) | ((a == b) & (np.signbit(a) == np.signbit(b)))


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.all(_bitwise_equal(a, b)))


def _first_difference(got, want, x):
    """': at flat index i (x=..., got ..., want ...)' for the first differing element."""
    try:
        g, w = np.ravel(got), np.ravel(want)
        bad = np.flatnonzero(~_bitwise_equal(g, w)) if g.dtype.kind == w.dtype.kind == "f" \
            else []
        if len(bad) == 0:
            return ""
        i = int(bad[0])
        xs = np.ravel(x)[i] if np.size(x) == g.size else "?"
        return (f": {len(bad)} elements, the first at flat index {i} (x={xs!r}, got {g[i]!r}, "
                f"want {w[i]!r})")
    except Exception:  # noqa: BLE001 -- a description only
        return ""


def _equal_values(a, b):
    """Elementwise equality for result arrays of any dtype (complex out included)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "O":
        a, b = a.astype(np.complex128), b.astype(np.complex128)
    if a.dtype.kind in "US":  # strings: same_kind allows float -> str
        return a.shape == b.shape and bool(np.all(a == b))
    if a.dtype.kind == "c":
        return _equal_values(a.real, b.real) and _equal_values(a.imag, b.imag)
    return a.shape == b.shape and bool(np.all(_bitwise_equal(a, b)))


def _refcounts(case):
    """Counts of the arguments; shared objects (None, interned strings, small ints, numpy's
    bool scalars: hundreds of references that other code moves) are left out."""
    objs = [case.x, case.g, case.out] + list(case.params.values())
    if any(isinstance(a, np.ndarray) and a.dtype.kind == "O" for a in objs[:3]):
        # writing into an object out drops its old elements, which may be these objects
        objs = [a for a in objs if isinstance(a, np.ndarray)]
    return [(id(o), sys.getrefcount(o)) for o in objs if sys.getrefcount(o) < 100]


def check(case, fastact):
    """Run `case` and judge it; raises Finding with a description on a violation."""
    from fastact import _core

    _core.set_isa(case.isa)
    fastact.set_num_threads(case.threads)
    _core.set_thresholds(*case.thresholds)
    args = [case.x, case.g, case.out]
    before = [_snapshot(a) for a in args]
    rc_before = _refcounts(case)
    if case.param_kind:
        verdict = (ValueError if isinstance(case.x, np.ndarray) and case.x.size and case.x.dtype.kind in "biuf" and case.x.dtype.itemsize <= 8 else MAY_REFUSE) if case.must_refuse else \
            None if case.plain else MAY_REFUSE  # (an empty x may skip checks; must_refuse
        # implies an ndarray x)
        args = args + [case.slopes] + [v for v in case.params.values()
                                       if isinstance(v, np.ndarray)]
        before = before + [_snapshot(a) for a in args[3:]]
        gen_copy = copy.deepcopy(case.generator) if isinstance(
            case.generator, np.random.Generator) else case.generator
        rc_before = _refcounts(case)  # (args now holds the parameter arrays too)
    else:
        verdict = expect_refusal_axis(case) if case.axis_kind else expect_refusal(case)
    refusal = None
    try:
        with np.errstate(all="ignore"):
            r = case.call()
    except AXIS_ERRORS as e:
        refusal = f"{type(e).__name__}: {e}"
    except BaseException as e:  # noqa: BLE001 -- any other exception is a finding
        raise Finding(f"unexpected {type(e).__name__}: {e}") from e
    if refusal is not None:  # (outside the except block, which holds the traceback's frames)
        after = [_snapshot(a) for a in args]
        for name, b0, b1 in zip(("x", "g", "out", "slopes", "a parameter", "a parameter"),
                                before, after):
            if b0 != b1:
                raise Finding(f"refused call ({refusal}) wrote into {name}")
        if verdict is None:
            raise Finding(f"valid call refused: {refusal}")
        _check_refcounts(case, rc_before)
        return "refused"
    if verdict is not None and verdict is not MAY_REFUSE:
        raise Finding(f"call accepted, but the contract refuses it with {verdict.__name__}")
    with np.errstate(all="ignore"):
        if case.param_kind:
            _check_result_param(case, r, before, gen_copy)
        else:
            (_check_result_axis if case.axis_kind else _check_result)(case, r, before)
    del r
    _check_refcounts(case, rc_before)
    return "ok"


def _check_refcounts(case, rc_before):
    rc = _refcounts(case)
    if rc != rc_before:
        gc.collect()
        rc = _refcounts(case)
    if rc != rc_before:
        raise Finding(f"reference counts changed: {rc_before} -> {rc} (x, g, out, params...)")


def _check_result(case, r, before):
    x = case.x
    xarr = np.frombuffer(before[0], np.asarray(x).dtype).reshape(np.shape(x)) \
        if isinstance(x, np.ndarray) and isinstance(before[0], bytes) else x
    garr = case.g
    if isinstance(garr, np.ndarray) and isinstance(before[1], bytes):
        garr = np.frombuffer(before[1], garr.dtype).reshape(garr.shape)
    # the inputs as they were before the call (out may have been one of them)
    saved = case.x, case.g
    case.x, case.g = xarr, garr
    try:
        xc, gc_, rdt, cdt = canonical(case)
    finally:
        case.x, case.g = saved
    # resolved values back to what a caller passes (a choice parameter's code -> its string)
    params = {q.name: (q.decode(v) if hasattr(q, "decode") else v)
              for q, v in zip(case.spec.params, case.spec.resolve(case.params, case.spec.name))}
    with np.errstate(all="ignore"):
        if case.method.startswith("backward"):
            plain = case.f.backward(gc_, **{case.method[-1]: xc}, **params)
        elif case.method == "grad":
            plain = case.f.grad(xc, **params)
        else:
            plain = case.f(xc, **params)
    plain = np.asarray(plain)
    check_reference(case, xc, gc_, plain, params)
    out = x if case.method == "inplace" else case.out
    if out is None:
        if plain.ndim == 0:
            if not isinstance(r, np.generic) or r.dtype != rdt:
                raise Finding(f"0-d input: expected a {rdt} scalar, got {type(r).__name__}")
        elif type(r) is not np.ndarray or r.shape != plain.shape or r.dtype != rdt:
            raise Finding(f"result {type(r).__name__} {getattr(r, 'shape', '')} "
                          f"{getattr(r, 'dtype', '')}, expected ndarray {plain.shape} {rdt}")
        with np.errstate(all="ignore"):
            want = plain.astype(rdt)
        if not _same_bits(np.asarray(r), want):
            raise Finding("result differs from the same call on a plain contiguous copy")
    else:
        if r is not out:
            raise Finding("out= given but the result is not out")
        if out.strides and 0 in out.strides and out.size > 1:
            return  # several elements share one location: any of them may win
        with np.errstate(all="ignore"):
            wants = [plain.astype(out.dtype), plain.astype(rdt).astype(out.dtype)]
        if not any(_equal_values(out, w) for w in wants):
            raise Finding("out differs from the same call on a plain contiguous copy"
                          + _first_difference(out, wants[0], xc))
    for name, a, b0 in (("x", case.x, before[0]), ("g", case.g, before[1])):
        if isinstance(a, np.ndarray) and out is not None and isinstance(out, np.ndarray) \
                and np.shares_memory(a, out):
            continue
        if isinstance(a, np.ndarray) and _snapshot(a) != b0:
            raise Finding(f"{name} was modified by a call that does not write into it")


# ------------------------------------------------------------------ functions along an axis

def _axis_reference(case, x, g):
    """The reference semantics of an axis function's call (raises what the reference raises)."""
    f, p = case.f, dict(case.params)
    if case.axis is not _NO_AXIS:
        p["axis"] = case.axis
    if case.method.startswith("backward"):
        if case.method == "backward_y" and not case.spec.from_y:
            raise TypeError("no backward from y")
        if case.method == "backward_x" and case.spec.kind == "axis":
            return f.reference_backward(g, f.reference(x, **p), **p)
        return f.reference_backward(g, x, **p)
    return f.reference(x, **p)


def expect_refusal_axis(case):
    """For axis functions the reference decides: what it refuses must be refused; what it
    accepts must be accepted when out (or inplace's x) is a usable ndarray."""
    if case.extra_positional:
        return MAY_REFUSE  # f(x, axis, out): a positional None is axis=None or a repeat
    if case.spec.kind == "halves" and not isinstance(case.axis, (int, np.integer)):
        return MAY_REFUSE  # glu's reference is laxer about axis
    if case.method == "inplace" and (not isinstance(case.x, np.ndarray)
                                     or case.x.dtype.kind != "f" or case.spec.kind != "axis"):
        return TypeError
    if case.method.startswith("backward") and case.g is None:
        return TypeError
    try:
        with np.errstate(all="ignore"):
            want = np.asarray(_axis_reference(case, case.x, case.g))
    except (TypeError, ValueError) as e:
        # the references do not broadcast g, refuse empty arrays and take axis=None for glu,
        # where fastact accepts: their refusals bind only on plain arrays of x's shape
        if not isinstance(case.x, np.ndarray) or case.g is not None and (
                not isinstance(case.g, np.ndarray) or case.g.shape != case.x.shape) \
                or case.x.size == 0 or case.spec.kind == "halves":
            return MAY_REFUSE
        return type(e)
    except Exception:  # noqa: BLE001 -- a bug in a reference (glu's axis=()): no verdict
        return MAY_REFUSE
    out = case.x if case.method == "inplace" else case.out
    if out is not None:
        if not isinstance(out, np.ndarray):
            return TypeError
        if out.shape != want.shape or not out.flags.writeable:
            return ValueError
        if not np.can_cast(want.dtype, out.dtype, casting="same_kind"):
            return TypeError
    # the references do not check g's dtype (longdouble, strings): no verdict on those
    return MAY_REFUSE if case.g is not None else None


MAY_REFUSE = "may refuse"


def _in_compute_dtype(case, xc, plain):
    """The call on inputs cast to the compute dtype (float16 computes in float32, and out of a
    wider dtype receives the float32 values)."""
    from fastact import _dtypes

    cdt = _dtypes.compute_dtype(_dtypes.result_dtype(xc.dtype))
    if case.method.startswith("backward"):
        gc = np.asarray(case.g)
        gc = gc.astype(np.result_type(cdt, _dtypes.compute_dtype(_dtypes.result_dtype(gc.dtype))))
        return np.asarray(case.f.backward(gc, **{case.method[-1]: xc.astype(cdt)}, **plain))
    return np.asarray(case.f(xc.astype(cdt), **plain))


def _check_result_axis(case, r, before):
    """Same values as the call on plain C-contiguous copies (bit for bit), and close to the
    reference (within the registry's ULP bound, measured at the scale of the result)."""
    x, g = case.x, case.g
    if isinstance(x, np.ndarray) and isinstance(before[0], bytes):
        x = np.frombuffer(before[0], x.dtype).reshape(x.shape)
    if isinstance(g, np.ndarray) and isinstance(before[1], bytes):
        g = np.frombuffer(before[1], g.dtype).reshape(g.shape)
    try:
        want = np.asarray(_axis_reference(case, x, g))
    except Exception:  # noqa: BLE001 -- accepted where the reference is stricter (see above)
        want = None
    out = case.x if case.method == "inplace" else case.out
    if out is not None and r is not out:
        raise Finding("out= given but the result is not out")
    got = np.asarray(r)
    if want is None:
        want = got
    if got.shape != want.shape:
        raise Finding(f"result shape {got.shape}, the reference gives {want.shape}")
    if out is None and case.g is None and got.dtype != want.dtype:
        raise Finding(f"result dtype {got.dtype}, the reference gives {want.dtype}")
    if out is not None and out.strides and 0 in out.strides and out.size > 1:
        return
    plain = dict(case.params)
    if case.axis is not _NO_AXIS:
        plain["axis"] = case.axis
    xc = np.array(x, order="C", dtype=np.asarray(x).dtype.newbyteorder("="))
    if case.method.startswith("backward"):
        gc = np.array(g, order="C", dtype=np.asarray(g).dtype.newbyteorder("="))
        ref_call = case.f.backward(gc, **{case.method[-1]: xc}, **plain)
    else:
        ref_call = case.f(xc, **plain)
    ref_call = np.asarray(ref_call)
    if out is None:
        if not _same_bits(got, ref_call):
            raise Finding("result differs from the same call on plain contiguous copies")
    elif got.dtype.kind == "f" and not any(_equal_values(got, w) for w in (
            ref_call.astype(got.dtype), ref_call.astype(want.dtype).astype(got.dtype),
            _in_compute_dtype(case, xc, plain).astype(got.dtype))):
        raise Finding("out differs from the same call on plain contiguous copies")
    if case.method.startswith("backward"):
        return  # (cancellation in g - sum(g y): compared bit for bit with plain copies above)
    if out is None and got.dtype == want.dtype and got.dtype.kind == "f" and got.size:
        gf = got.astype(np.float64)
        wf = want.astype(np.float64)
        fin = np.isfinite(wf)
        if np.isposinf(np.asarray(x, np.float64)).any():
            # a slice holding +inf: the kernels give NaN for the whole slice (as PyTorch), the
            # references -inf for its finite entries (reported; the spec is silent)
            fin &= ~np.isnan(gf)
        elif not np.array_equal(np.isnan(gf), np.isnan(wf)) or not np.array_equal(
                gf[~fin & ~np.isnan(wf)], wf[~fin & ~np.isnan(wf)]):
            raise Finding("NaN/inf pattern differs from the reference")
        eps = np.finfo(got.dtype if got.dtype.itemsize >= 4 else np.float32).eps
        k = max(case.spec.ulp.get(got.dtype.name, (8, 8))) + 8
        xf = np.asarray(x).astype(np.float64)
        xmax = np.max(np.abs(xf[np.isfinite(xf)]), initial=0.0)
        if case.spec.name == "log_softmax":  # x - m - log(sum): errors of |x|'s ulp
            mag = np.maximum(np.abs(wf[fin]), xmax)
        else:  # e^(x - m): an ulp of x - m moves the result by |x - m| ulps (both sides)
            mag = np.abs(wf[fin]) * max(1.0, 2 * xmax)
        tiny = np.finfo(got.dtype if got.dtype.itemsize >= 4 else np.float32).smallest_normal
        tol = k * eps * mag + k * tiny  # subnormal results
        if got.dtype == np.float16:
            tol = tol + np.abs(wf[fin]) * 2.0 ** -10
        if np.any(np.abs(gf[fin] - wf[fin]) > tol):
            i = int(np.argmax(np.abs(gf[fin] - wf[fin]) - tol))
            raise Finding(f"differs from the reference: {gf[fin][i]!r} vs {wf[fin][i]!r}")


# ------------------------------------------------------------------ per-channel parameters, rrelu

def _tolerance(want, dtype, k=16):
    """k ulps of |want| (float16: computed in float32, so k float32 ulps and its own rounding)
    plus k smallest normals of dtype (results in the subnormal range)."""
    info = np.finfo(dtype if np.dtype(dtype).itemsize >= 4 else np.float32)
    tol = k * info.eps * np.abs(want) + k * np.finfo(dtype).smallest_normal
    if np.dtype(dtype).itemsize < 4:
        tol = tol + np.abs(want) * 2.0 ** -10
    return tol


def _close(got, want, dtype, what, k=16, scale=None, extra_rel=0.0):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.ndim == 0 and want.shape == (1,):
        want = want.reshape(())  # (the references give a 0-d x with a (1,) parameter (1,))
    with np.errstate(over="ignore"):  # beyond dtype's range: the right answer is +-inf
        want = np.where(np.isinf(want.astype(dtype)), want.astype(dtype), want)
    if got.shape != want.shape:
        raise Finding(f"{what}: shape {got.shape}, the reference gives {want.shape}")
    fin = np.isfinite(want)
    if not np.array_equal(np.isnan(got), np.isnan(want)) or not np.array_equal(
            got[~fin & ~np.isnan(want)], want[~fin & ~np.isnan(want)]):
        raise Finding(f"{what}: NaN/inf pattern differs from the reference")
    tol = _tolerance(want[fin], dtype, k) if scale is None else \
        np.broadcast_to(scale, want.shape)[fin]
    tol = tol + extra_rel * np.abs(want[fin])
    if np.any(np.abs(got[fin] - want[fin]) > tol):
        i = int(np.argmax(np.abs(got[fin] - want[fin]) - tol))
        raise Finding(f"{what} differs from the reference: {got[fin][i]!r} vs {want[fin][i]!r}")


def _wide_plain(case, xc, gc, fresh, gen_copy, with_grads, dtype):
    """The call on float16 inputs widened to float32 (an out of a wider dtype receives the
    float32 computation, not its rounding to float16), cast to out's dtype."""
    saved = case.params
    case.params = {k: (np.array(v, order="C") if isinstance(v, np.ndarray) else v)
                   for k, v in saved.items()}
    try:
        r = case._call_param_kind(x=xc.astype(np.float32), g=None if gc is None else
                                  gc.astype(np.result_type(gc.dtype, np.float32)), out=None,
                                  slopes=None if fresh is None else fresh.copy(),
                                  generator=copy.deepcopy(gen_copy))
    finally:
        case.params = saved
    return np.asarray(r[0] if with_grads else r).astype(dtype)


def _check_result_param(case, r, before, gen_copy):
    """prelu, mpelu, rrelu: the same bits as the call on plain C-contiguous copies, and close
    to the reference (16 ulps; parameter gradients, which are sums, to 1e-3 / 1e-9 of the sum
    of the magnitudes of their terms)."""
    from fastact import _dtypes

    def was(a, b0):
        if isinstance(a, np.ndarray) and isinstance(b0, bytes):
            return np.frombuffer(b0, a.dtype).reshape(a.shape)
        return a

    x, g = was(case.x, before[0]), was(case.g, before[1])
    out = case.x if case.method == "inplace" else case.out
    grads = None
    if case.method == "backward_grads":
        if not (isinstance(r, tuple) and len(r) == 2 and isinstance(r[1], dict)):
            raise Finding(f"param_grads=True returned {type(r).__name__}, not (gx, grads)")
        r, grads = r
    if out is not None and r is not out:
        raise Finding("out= given but the result is not out")
    xc = np.array(x, order="C", dtype=np.asarray(x).dtype.newbyteorder("="))
    gc = None if g is None else np.array(g, order="C",
                                          dtype=np.asarray(g).dtype.newbyteorder("="))
    saved = case.params
    case.params = {k: (np.array(v, order="C") if isinstance(v, np.ndarray) else v)
                   for k, v in saved.items()}
    fresh = None
    if case.method in ("train", "backward_train") or case.slopes is not None:
        sl = case.slopes if isinstance(case.slopes, np.ndarray) else None
        fresh = None if sl is None else (np.array(sl, order="C") if case.method != "train"
                                         else np.full(sl.shape, np.nan, sl.dtype))
        if case.method == "train" and fresh is None:
            fresh = np.full(xc.shape, np.nan, _dtypes.compute_dtype(
                _dtypes.result_dtype(xc.dtype)))
    x0 = xc.copy()  # (inplace writes into xc)
    gen0 = copy.deepcopy(gen_copy)  # (a Generator's draw moves it on)
    try:
        plain = case._call_param_kind(x=xc, g=gc, out=None, slopes=fresh, generator=gen_copy)
    finally:
        case.params = saved
    xc = x0
    plain_grads = None
    if grads is not None:
        plain, plain_grads = plain
    plain = np.asarray(plain)
    got = np.asarray(r)
    rdt = plain.dtype
    replayable = case.method != "train" or case.generator is not None
    if out is None:
        if got.dtype != rdt or type(r) is not np.ndarray and got.ndim:
            raise Finding(f"result {type(r).__name__} {got.dtype}, plain copies give {rdt}")
        if replayable and not _same_bits(got, plain):
            raise Finding("result differs from the same call on plain contiguous copies"
                          + _first_difference(got, plain, xc))
    elif replayable and not (out.strides and 0 in out.strides and out.size > 1) and not any(
            _equal_values(out, w) for w in (plain.astype(out.dtype),
                                            plain.astype(rdt).astype(out.dtype))) and not (
            rdt.itemsize < 4 and _equal_values(out, _wide_plain(case, xc, gc, fresh, gen0,
                                                                 grads is not None, out.dtype))):
        raise Finding("out differs from the same call on plain contiguous copies"
                      + _first_difference(out, plain.astype(out.dtype), xc))
    if grads is not None:
        if set(grads) != set(plain_grads):
            raise Finding(f"param_grads keys {sorted(grads)} vs {sorted(plain_grads)}")
        for k in grads:
            # sums: their order follows the memory layout (README promises bit-identity for
            # any thread count, not layout), so another layout may differ in the last bits
            a, b = np.asarray(grads[k], np.float64), np.asarray(plain_grads[k], np.float64)
            if a.shape != b.shape or not (_same_bits(a, b) or np.allclose(
                    a, b, rtol=1e-9 if rdt == np.float64 else 1e-5, atol=0, equal_nan=True)):
                raise Finding(f"gradient of {k} differs from plain contiguous copies: "
                              f"{a.ravel()[:3]} vs {b.ravel()[:3]}")
    # the reference, on the plain inputs (slopes: those the plain call drew or was given)
    p = {k: v for k, v in case.params.items()}
    # the references compute in x's dtype: give them x in the result dtype (g may promote);
    # slopes= of a coarser dtype receives rounded slopes, so the tolerance is its
    if case.spec.kind == "channel" and rdt.itemsize <= 4:  # the kernels' float32 parameters
        with np.errstate(over="ignore"):
            p = {k: np.asarray(v, np.float32) for k, v in p.items()}
        if not all(np.isfinite(v).all() for v in p.values()):
            return  # a parameter beyond float32's range: inf in the kernels; inf * 0 and
            # inf - inf then depend on where an intermediate over- or underflows
    xc = xc.astype(np.promote_types(rdt, np.float64))  # (float32 products would overflow)
    gc = None if gc is None else gc.astype(xc.dtype)
    cdt, extra = rdt, 0.0
    if isinstance(fresh, np.ndarray) and fresh.dtype.itemsize < rdt.itemsize:
        extra = float(np.finfo(fresh.dtype).eps)  # slopes rounded to slopes='s dtype
    if case.spec.kind == "random":
        if case.method in ("train", "backward_train") and fresh is None:
            return  # fresh entropy and no slopes=: nothing to replay
        s = fresh if fresh is not None else None
        if s is not None:
            lo, hi = p.get("lower", 1 / 8), p.get("upper", 1 / 3)
            sf = np.asarray(s, np.float64)
            with np.errstate(over="ignore"):  # the bounds as the compute dtype holds them
                ct = _dtypes.compute_dtype(rdt).type
                lo, hi = float(ct(lo)), float(ct(hi))
            if s.dtype.itemsize < np.dtype(ct).itemsize:
                # slopes= of a narrower dtype receives the slopes rounded (to inf, to 0): the
                # bounds as it holds them, and no value check against rounded slopes
                with np.errstate(over="ignore"):
                    lo, hi = float(s.dtype.type(lo)), float(s.dtype.type(hi))
                if case.method == "train" and sf.size and (np.any(sf < min(lo, hi))
                                                           or np.any(sf > max(lo, hi))):
                    raise Finding(f"slopes outside [lower, upper] = [{lo}, {hi}]")
                return
            span = (abs(lo) + abs(hi)) * 2.0 ** -9 + 1e-300
            if case.method == "train" and sf.size and (
                    np.any(sf < lo - span) or np.any(sf > hi + span)):
                raise Finding(f"slopes outside [lower, upper] = [{lo}, {hi}]: "
                              f"{sf.min()!r} .. {sf.max()!r}")
            p["slopes"] = s
        if case.method in ("call", "train", "inplace"):
            want = case.f.reference(xc, **p)
        else:
            want = case.f.reference_grad(xc, **p)
            if case.method.startswith("backward"):
                want = np.asarray(gc, np.float64) * np.asarray(want, np.float64)
        _close(plain, want, cdt, case.method, k=16, extra_rel=extra)
        return
    if case.method in ("call", "inplace"):
        want = case.f.reference(xc, **p)
    elif case.method == "grad":
        want = case.f.reference_grad(xc, **p)
    else:
        want, wgrads = case.f.reference_backward(gc, xc, **p)
    _close(plain, want, cdt, case.method, k=16)
    if plain_grads is not None and np.isfinite(np.asarray(gc, np.float64)).all():
        # (a NaN or inf g where x > 0: the kernels let it reach the parameter gradients, as
        # prelu's reference does (NaN * 0); mpelu's reference masks it -- not judged here)
        xf = np.abs(np.asarray(xc, np.float64))
        xf = np.where(np.isfinite(xf), xf, 0)
        pm = max([1.0] + [float(np.max(np.abs(np.asarray(v, np.float64)), initial=0))
                          for v in p.values()])
        scale = float(np.sum(np.abs(np.asarray(gc, np.float64)))) * max(1.0, xf.max(
            initial=0)) * pm * np.exp(min(700.0, pm * xf.max(initial=0)))
        rel = 1e-9 if cdt == np.float64 else 1e-3
        for k in wgrads:
            _close(plain_grads[k], wgrads[k], cdt, f"gradient of {k}",
                   scale=rel * (np.abs(np.asarray(wgrads[k], np.float64)) + scale))


# ------------------------------------------------------------------ drivers

_stats = {"ok": 0, "refused": 0}
_kinds: dict = {}  # calls judged per kind of function (elementwise, axis, halves, channel...)


def one_input(data: bytes, fastact):
    b = Bytes(data)
    try:
        case = Case(b, fastact)
    except Exception as e:  # noqa: BLE001 -- a decoder bug, not a finding in fastact
        raise RuntimeError(f"decoder failed on this input: {e!r}") from e
    try:
        _stats[check(case, fastact)] += 1
        kind = getattr(case.spec, "kind", "elementwise")
        _kinds[kind] = _kinds.get(kind, 0) + 1
    except Finding as e:
        raise Finding(f"{e}\n  case: {case.describe()}") from e


def finding_key(text):
    """A finding's kind: its function and method, and its first line without the numbers."""
    import re

    first = re.sub(r"[-+0-9.e]+", "#", text.split("\n")[0])[:60]
    case = re.search(r"case: (\S+)", text)
    return (case.group(1) if case else "") + " " + first


def random_run(n, seed, fastact, size=96, keep_going=False):
    """n random inputs of `size` bytes (no coverage guidance); returns (ok, refused)."""
    rng = np.random.default_rng(seed)
    findings = {}
    for _ in range(n):
        data = rng.bytes(size)
        try:
            one_input(data, fastact)
        except Finding as e:
            if not keep_going:
                raise
            findings.setdefault(finding_key(str(e)), (str(e), data))
    for text, data in findings.values():
        print(f"FINDING: {text}\n  input: {data.hex()}")
    return _stats["ok"], _stats["refused"], len(findings)


def main(argv):
    if "--replay" in argv:  # one input given as hex (the FINDING lines' "input:")
        import fastact

        one_input(bytes.fromhex(argv[argv.index("--replay") + 1]), fastact)
        print("no finding")
        return 0
    if "--random" in argv:
        i = argv.index("--random")
        n = int(argv[i + 1])
        seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 0
        import fastact

        ok, refused, found = random_run(n, seed, fastact, keep_going="--keep-going" in argv)
        print(f"fuzz --random: {n} inputs, {ok} accepted and correct, {refused} refused "
              f"correctly, {found} distinct findings")
        return 1 if found else 0
    import atheris

    # coverage of fastact's Python code and of this decoder (the Cython module and the C
    # kernels are not instrumented: their branches show up through the decoder's)
    with atheris.instrument_imports(include=["fastact", "fuzz"]):
        import fastact
        from fastact import _dtypes, _registry, reference  # noqa: F401
        import fuzz as harness

    keep_going = os.environ.get("FASTACT_FUZZ_KEEP_GOING")
    seen = set()

    def test_one_input(data):
        if not keep_going:
            harness.one_input(data, fastact)
            return
        try:
            harness.one_input(data, fastact)
        except harness.Finding as e:
            # record each distinct finding once (its first line), with the input to replay
            # it (python tools/fuzz.py --replay HEX), and go on: a crash or a hang still
            # stops libFuzzer as usual
            key = finding_key(str(e))
            if key not in seen:
                seen.add(key)
                with open(keep_going, "a") as fh:
                    fh.write(f"FINDING: {e}\n  input: {data.hex()}\n")

    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main(sys.argv))
