"""Pure-NumPy references of the structured functions (softmax family, glu, prelu, mpelu, rrelu).

Each is the spec formula in NumPy, numerically sound, in the dtype of its input (float16 to
np.longdouble: the accuracy tests evaluate them in a wider dtype as the oracle).  Exposed as
``fastact.reference.<name>`` (with the fastact dtype rules) and as ``fastact.<name>.reference``.
"""
from __future__ import annotations

import numpy as np

from . import reference as _ref

# ---------------------------------------------------------------- axis helpers


def normalize_axes(axis, ndim, caller="softmax"):
    """`axis` (an int, a tuple of ints or None) as a sorted tuple of non-negative axes;
    numpy.exceptions.AxisError when out of range, TypeError for other types."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, tuple) else (axis,)
    out = []
    for a in items:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{caller}(): axis must be an int, a tuple of ints or None, "
                            f"not {type(a).__name__}")
        a = int(a)
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(a, ndim)
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{caller}(): repeated axis in {axis!r}")
    return tuple(sorted(out))


def _first_max_mask(x, axes):
    """True at the first maximal element (C order over `axes`) of each slice."""
    moved = np.moveaxis(x, axes, range(-len(axes), 0))
    flat = moved.reshape(moved.shape[: moved.ndim - len(axes)] + (-1,))
    mask = np.zeros(flat.shape, bool)
    if flat.shape[-1]:
        idx = np.nanargmax(np.where(np.isnan(flat), -np.inf, flat), axis=-1) if flat.size else None
        if idx is not None:
            np.put_along_axis(mask, idx[..., None], True, axis=-1)
    return np.moveaxis(mask.reshape(moved.shape), range(-len(axes), 0), axes)


def _shifted(x, axes):
    with np.errstate(invalid="ignore"):
        m = np.max(x, axis=axes, keepdims=True) if x.size else np.zeros_like(x)
        return x - m


# ---------------------------------------------------------------- softmax family


def softmax(x, axis=-1):
    x = np.asarray(x)
    axes = normalize_axes(axis, x.ndim)
    with np.errstate(all="ignore"):
        e = np.exp(_shifted(x, axes))
        return (e / np.sum(e, axis=axes, keepdims=True)).astype(x.dtype)


def log_softmax(x, axis=-1):
    """(x - m) - log1p(sum of the terms other than the first maximal one): the dominant
    element's tiny result keeps its relative accuracy.  The first maximal term enters the sum as
    e - 1 (0 when m is finite), so a slice holding +inf (e = NaN there) is NaN throughout, as
    in PyTorch."""
    x = np.asarray(x)
    axes = normalize_axes(axis, x.ndim)
    with np.errstate(all="ignore"):
        w = _shifted(x, axes)
        e = np.exp(w)
        rest = np.sum(np.where(_first_max_mask(x, axes), e - 1, e), axis=axes, keepdims=True)
        return (w - np.log1p(rest)).astype(x.dtype)


def softmin(x, axis=-1):
    return softmax(-np.asarray(x), axis)


def softmax_backward(g, y, axis=-1, sign=1.0):
    y = np.asarray(y)
    axes = normalize_axes(axis, y.ndim)
    with np.errstate(all="ignore"):
        return (sign * y * (g - np.sum(g * y, axis=axes, keepdims=True))).astype(y.dtype)


def log_softmax_backward(g, y, axis=-1):
    y = np.asarray(y)
    axes = normalize_axes(axis, y.ndim)
    with np.errstate(all="ignore"):
        return (g - np.exp(y) * np.sum(g, axis=axes, keepdims=True)).astype(y.dtype)


def softmin_backward(g, y, axis=-1):
    return softmax_backward(g, y, axis, sign=-1.0)


# ---------------------------------------------------------------- glu

def _sigmoid(v, kind="value"):
    return _ref.evaluate("sigmoid", kind, v)


def glu_axis(axis, ndim, caller="glu"):
    """glu's axis: one int (negative allowed) of an array of at least one dimension; TypeError
    for None or a tuple, ValueError for a 0-d array, AxisError when out of range."""
    if ndim == 0:
        raise ValueError(f"{caller}: x must have at least one dimension")
    if axis is None or isinstance(axis, tuple):
        raise TypeError(f"{caller}: axis must be an int")
    return normalize_axes(axis, ndim, caller)[0]


def glu(x, axis=-1):
    x = np.asarray(x)
    a, b = np.split(x, 2, axis=glu_axis(axis, x.ndim))
    with np.errstate(all="ignore"):
        return (a * _sigmoid(b)).astype(x.dtype)


def glu_backward(g, x, axis=-1):
    x = np.asarray(x)
    ax = glu_axis(axis, x.ndim, "glu.backward")
    a, b = np.split(x, 2, axis=ax)
    with np.errstate(all="ignore"):
        return np.concatenate([g * _sigmoid(b), g * (a * _sigmoid(b, "derivative"))],
                              axis=ax).astype(x.dtype)


# ---------------------------------------------------------------- per-channel parameters

def channel_shape(x):
    """The shape a per-channel parameter broadcasts to against x (channels on axis 1)."""
    return (1, -1) + (1,) * (x.ndim - 2) if x.ndim >= 2 else (-1,)


def _per_channel(p, x):
    p = np.asarray(p, dtype=x.dtype)
    return p.reshape(channel_shape(x)) if p.ndim else p


def _reduce_to(grad, p, x):
    """Sum `grad` (x's shape) over every axis but the channel, shaped like parameter p."""
    p = np.asarray(p)
    axes = tuple(i for i in range(x.ndim) if not (x.ndim >= 2 and i == 1))
    s = np.sum(grad, axis=axes)
    return s.reshape(p.shape) if p.size == s.size else np.sum(s).reshape(p.shape)


def _mul_limit(a, b):
    """a * b with 0 * inf = 0 (NaN factors stay NaN)."""
    with np.errstate(invalid="ignore"):
        p = a * b
    return np.where(np.isnan(p) & ~np.isnan(a) & ~np.isnan(b), 0, p)


def prelu(x, weight):
    x = np.asarray(x)
    w = _per_channel(weight, x)
    return np.where(x > 0, x, _mul_limit(w, x)).astype(x.dtype)


def prelu_grad(x, weight):
    x = np.asarray(x)
    w = _per_channel(weight, x)
    return np.where(np.isnan(x), x, np.where(x > 0, 1, w)).astype(x.dtype)


def prelu_backward(g, x, weight):
    """(g * prelu'(x), {"weight": d/dweight}), the weight gradient shaped like weight."""
    x = np.asarray(x)
    gx = _mul_limit(g, prelu_grad(x, weight)).astype(x.dtype)
    # an element with x > 0 adds exactly 0 whatever its g (NaN and inf too), as in PyTorch
    gw = _reduce_to(np.where(x > 0, 0, _mul_limit(g, x)).astype(np.float64), weight, x)
    return gx, {"weight": gw}


def _two_prod_err(a, b):
    """a * b - fl(a * b) exactly, in their dtype (Dekker's product with Veltkamp's split), 0
    where an intermediate overflows or is NaN."""
    dt = np.result_type(a, b)
    split = dt.type(2 ** ((np.finfo(dt).nmant + 2) // 2) + 1)
    with np.errstate(all="ignore"):
        p = a * b
        ca, cb = split * a, split * b
        ah, bh = ca - (ca - a), cb - (cb - b)
        al, bl = a - ah, b - bh
        err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return np.where(np.isfinite(err), err, 0).astype(dt)


def _mpelu_parts(x, alpha, beta):
    """a, b per channel, e^(b x) - 1 and e^(b x) on x <= 0 (0 and 1 elsewhere) with the
    rounding error of the product b x folded in: rounded alone, b x moves e^(b x) by
    |b x| / 2 ulps (485 float64 ulps at b x = -700)."""
    a, b = _per_channel(alpha, x), _per_channel(beta, x)
    with np.errstate(all="ignore"):
        xn = np.where(x > 0, 0, x).astype(x.dtype)
        w = b * xn
        err = np.where(np.isfinite(w), _two_prod_err(b, xn), 0)
        w = np.where(np.isnan(w), 0, w)
        e = np.exp(w)
        return a, b, np.expm1(w) + e * err, e + e * err


def mpelu(x, alpha=1.0, beta=1.0):
    x = np.asarray(x)
    a, _, em1, _ = _mpelu_parts(x, alpha, beta)
    return np.where(np.isnan(x) | (x > 0), x, _mul_limit(a, em1)).astype(x.dtype)


def mpelu_grad(x, alpha=1.0, beta=1.0):
    x = np.asarray(x)
    a, b, _, e = _mpelu_parts(x, alpha, beta)
    return np.where(np.isnan(x), x, np.where(x > 0, 1, _mul_limit(a * b, e))).astype(x.dtype)


def mpelu_backward(g, x, alpha=1.0, beta=1.0):
    """(g * mpelu'(x), {"alpha": ..., "beta": ...}); an element with x > 0 adds exactly 0 to
    the parameter gradients whatever its g (NaN and inf too, as PyTorch's prelu)."""
    x = np.asarray(x)
    a, b, em1, e = _mpelu_parts(x, alpha, beta)
    gx = _mul_limit(g, mpelu_grad(x, alpha, beta)).astype(x.dtype)
    neg = ~(x > 0)
    nan = np.isnan(x)  # NaN in x reaches the parameter gradients, as in PyTorch's prelu
    da = np.where(nan, x, np.where(neg, _mul_limit(g, em1), 0))
    db = np.where(nan, x, np.where(neg, _mul_limit(g, _mul_limit(a, _mul_limit(x, e))), 0))
    return gx, {"alpha": _reduce_to(da.astype(np.float64), alpha, x),
                "beta": _reduce_to(db.astype(np.float64), beta, x)}


# ---------------------------------------------------------------- rrelu

def _mix32(h):
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x21F0AAAD)
    h = h ^ (h >> np.uint32(15))
    h = h * np.uint32(0x735A2D97)
    return h ^ (h >> np.uint32(15))


def rrelu_slopes(shape, key, lower, upper, dtype):
    """The slopes rrelu draws in training for stream key `key` (a uint64): U(lower, upper) from
    a keyed hash of each element's C-order index (the same stream as the C kernel)."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.uint64)
    key = np.uint64(key)
    lo = (i & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    hi = (i >> np.uint64(32)).astype(np.uint32)
    with np.errstate(over="ignore"):
        h = _mix32(_mix32(lo ^ np.uint32(int(key) & 0xFFFFFFFF))
                   ^ np.uint32(int(key) >> 32) ^ (hi * np.uint32(0x9E3779B9)))
    if dtype.itemsize == 4:
        u = (h >> np.uint32(8)).astype(np.float32) * np.float32(2.0 ** -24)
    else:
        u = h.astype(np.float64) * 2.0 ** -32
    t = dtype.type
    return (t(lower) + (t(upper) - t(lower)) * u.astype(dtype)).astype(dtype).reshape(shape)


def rrelu(x, lower=1.0 / 8, upper=1.0 / 3, slopes=None):
    """Eval mode (slope (lower + upper) / 2, rounded once like leaky_relu), or the training
    forward with the given per-element slopes."""
    x = np.asarray(x)
    with np.errstate(invalid="ignore"):
        if slopes is None:  # leaky_relu's product, correctly rounded in float32
            neg = _ref._times_rounded_once(x, 0.5 * (lower + upper)).astype(x.dtype)
        else:
            neg = (np.asarray(slopes, x.dtype) * x).astype(x.dtype)
    neg = np.where(np.isnan(neg) & ~np.isnan(x), 0, neg)  # 0 * -inf: the limit 0
    return np.where(x >= 0, x, neg).astype(x.dtype)


def rrelu_grad(x, lower=1.0 / 8, upper=1.0 / 3, slopes=None):
    x = np.asarray(x)
    a = x.dtype.type(0.5 * (lower + upper)) if slopes is None else np.asarray(slopes, x.dtype)
    return np.where(np.isnan(x), x, np.where(x >= 0, 1, a)).astype(x.dtype)
