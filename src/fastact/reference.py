"""Pure-NumPy reference implementations of every fastact function (the "slow twins").

Each function here is the spec formula written in NumPy, in the clearest form that is still
numerically sound (no overflow in intermediate steps, the right limits at +-inf).  They are the
baseline the tests compare the C kernels against and the speed baseline of ``python -m fastact
bench`` and the asv suite.

Public functions take the same arguments and follow the same dtype rules as the fastact
functions (``fastact.reference.sigmoid(x)``, ``fastact.reference.sigmoid_grad(x)``,
``fastact.reference.sigmoid_grad_from_y(y)``).  ``evaluate`` runs a formula in any floating
dtype, ``np.longdouble`` included, which the accuracy tests use as a higher-precision oracle.

The piecewise-linear functions with a non-representable constant (leaky_relu, hard_sigmoid,
hardswish) are evaluated here in double and rounded once: that is their definition in float32
(correctly rounded; ``tools/check_rounding.py`` proves kernels and references equal and correct
over all 2^32 float32 inputs), however the C kernels get there.
"""
from __future__ import annotations

import numpy as np

__all__ = ["evaluate", "formulas"]

# name -> {"value": f(x, **p), "derivative": f'(x, **p), "derivative_from_y": f'(y, **p)}
formulas: dict[str, dict[str, object]] = {}


def _formula(name, kind):
    def register(fn):
        formulas.setdefault(name, {})[kind] = fn
        return fn
    return register


def _wide(x):
    """x in a dtype at least as wide as float64 (for once-rounded float32 results)."""
    return x.astype(np.promote_types(x.dtype, np.float64))


def _zero(x):
    return np.zeros_like(x)


def _one(x):
    return np.ones_like(x)


# ---------------------------------------------------------------- identity
@_formula("identity", "value")
def _identity(x):
    return x.copy()


@_formula("identity", "derivative")
def _identity_d(x):
    return _one(x)


# ---------------------------------------------------------------- relu
@_formula("relu", "value")
def _relu(x):
    return np.where(x > 0, x, 0).astype(x.dtype)


@_formula("relu", "derivative")
@_formula("relu", "derivative_from_y")
def _relu_d(x):
    return np.where(x > 0, 1, 0).astype(x.dtype)


# ---------------------------------------------------------------- relu6
@_formula("relu6", "value")
def _relu6(x):
    return np.where(x > 0, np.where(x < 6, x, 6), 0).astype(x.dtype)


@_formula("relu6", "derivative")
def _relu6_d(x):
    return ((x > 0) & (x < 6)).astype(x.dtype)


# ---------------------------------------------------------------- leaky_relu
@_formula("leaky_relu", "value")
def _leaky_relu(x, negative_slope):
    neg = (_wide(x) * negative_slope).astype(x.dtype)
    neg = np.where(np.isnan(neg), 0, neg)  # 0 * -inf: the limit, 0
    return np.where(x > 0, x, neg).astype(x.dtype)


@_formula("leaky_relu", "derivative")
def _leaky_relu_d(x, negative_slope):
    return np.where(x > 0, 1, x.dtype.type(negative_slope)).astype(x.dtype)


# ---------------------------------------------------------------- hardtanh
@_formula("hardtanh", "value")
def _hardtanh(x, min_val, max_val):
    lo, hi = x.dtype.type(min_val), x.dtype.type(max_val)
    return np.where(x < lo, lo, np.where(x > hi, hi, x)).astype(x.dtype)


@_formula("hardtanh", "derivative")
def _hardtanh_d(x, min_val, max_val):
    lo, hi = x.dtype.type(min_val), x.dtype.type(max_val)
    return ((x > lo) & (x < hi)).astype(x.dtype)


# ---------------------------------------------------------------- hard_sigmoid
@_formula("hard_sigmoid", "value")
def _hard_sigmoid(x):
    mid = ((_wide(x) + 3) / 6).astype(x.dtype)  # x/6 + 1/2 without cancellation near -3
    return np.where(x <= -3, 0, np.where(x >= 3, 1, mid)).astype(x.dtype)


@_formula("hard_sigmoid", "derivative")
def _hard_sigmoid_d(x):
    return np.where((x > -3) & (x < 3), x.dtype.type(1.0 / 6.0), 0).astype(x.dtype)


# ---------------------------------------------------------------- hardswish
@_formula("hardswish", "value")
def _hardswish(x):
    w = _wide(x)
    mid = (w * (w + 3) / 6).astype(x.dtype)
    # tiny x: x/2 may be a subnormal tie that the wide x + 3 (= 3) cannot break; the true
    # value x/2 + x^2/6 is above it, so a tie rounded down goes up one subnormal step
    info = np.finfo(x.dtype)
    up = (np.abs(x) < 2 * info.smallest_normal) & (x - 2 * mid > 0)
    mid = np.where(up, mid + info.smallest_subnormal, mid)
    return np.where(x <= -3, 0, np.where(x >= 3, x, mid)).astype(x.dtype)


@_formula("hardswish", "derivative")
def _hardswish_d(x):
    mid = ((2 * _wide(x) + 3) / 6).astype(x.dtype)
    return np.where(x <= -3, 0, np.where(x >= 3, 1, mid)).astype(x.dtype)


# ---------------------------------------------------------------- hardshrink
@_formula("hardshrink", "value")
def _hardshrink(x, lambd):
    return np.where(np.abs(x) > x.dtype.type(lambd), x, 0).astype(x.dtype)


@_formula("hardshrink", "derivative")
@_formula("softshrink", "derivative")
def _shrink_d(x, lambd):
    return (np.abs(x) > x.dtype.type(lambd)).astype(x.dtype)


# ---------------------------------------------------------------- softshrink
@_formula("softshrink", "value")
def _softshrink(x, lambd):
    lam = x.dtype.type(lambd)
    return np.where(x > lam, x - lam, np.where(x < -lam, x + lam, 0)).astype(x.dtype)


# ---------------------------------------------------------------- threshold
@_formula("threshold", "value")
def _threshold(x, threshold, value):
    return np.where(x > x.dtype.type(threshold), x, x.dtype.type(value)).astype(x.dtype)


@_formula("threshold", "derivative")
def _threshold_d(x, threshold, value):
    return (x > x.dtype.type(threshold)).astype(x.dtype)


# ---------------------------------------------------------------- step
@_formula("step", "value")
def _step(x, at_zero):
    return np.where(x > 0, 1, np.where(x < 0, 0, x.dtype.type(at_zero))).astype(x.dtype)


@_formula("step", "derivative")
def _step_d(x, at_zero):
    return _zero(x)


# ---------------------------------------------------------------- sigmoid
@_formula("sigmoid", "value")
def _sigmoid(x):
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x > 0, 1, e) / (1 + e)


@_formula("sigmoid", "derivative")
def _sigmoid_d(x):
    e = np.exp(-np.abs(x))
    return e / ((1 + e) * (1 + e))


@_formula("sigmoid", "derivative_from_y")
def _sigmoid_dy(y):
    return y * (1 - y)


# ---------------------------------------------------------------- tanh
@_formula("tanh", "value")
def _tanh(x):
    return np.tanh(x)


@_formula("tanh", "derivative")
def _tanh_d(x):
    e = np.exp(-2 * np.abs(x))  # 1/cosh^2 = 4e / (1 + e)^2, no overflow
    return 4 * e / ((1 + e) * (1 + e))


@_formula("tanh", "derivative_from_y")
def _tanh_dy(y):
    return (1 - y) * (1 + y)


def evaluate(name, kind, x, **params):
    """Evaluate formula `kind` ("value", "derivative", "derivative_from_y") of `name` on the
    floating array `x` in its own dtype (float16 to longdouble), with the NaN rule applied:
    NaN in gives NaN out."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(f"evaluate needs a floating array, got {x.dtype}")
    with np.errstate(all="ignore"):
        r = np.asarray(formulas[name][kind](x, **params), dtype=x.dtype)
        return np.where(np.isnan(x), x, r)


_SUFFIXES = (("_grad_from_y", "reference_grad_from_y"), ("_grad", "reference_grad"), ("", "reference"))


def __getattr__(attr):
    """fastact.reference.<name>(x, **params), <name>_grad(x, **params) and
    <name>_grad_from_y(y, **params), for every registered name and alias, with the same
    argument and dtype rules as the fast functions."""
    from ._registry import BY_NAME

    for suffix, method in _SUFFIXES:
        base = attr[: len(attr) - len(suffix)] if suffix else attr
        if attr.endswith(suffix) and base in BY_NAME:
            spec = BY_NAME[base]
            if suffix == "_grad_from_y" and not spec.from_y:
                break
            return getattr(spec, method)
    structured = _structured_reference(attr)
    if structured is not None:
        return structured
    raise AttributeError(f"module 'fastact.reference' has no attribute {attr!r}")


_STRUCTURED_SUFFIXES = (("_backward", "reference_backward"), ("_grad", "reference_grad"),
                        ("", "reference"))


def _structured_reference(attr):
    """fastact.reference.softmax(x, axis=...), prelu_backward(g, x, weight=...), ...: the
    references of the structured functions (fastact._reference_structured, with the dtype
    rules), or None."""
    from ._registry import STRUCTURED_BY_NAME

    for suffix, method in _STRUCTURED_SUFFIXES:
        base = attr[: len(attr) - len(suffix)] if suffix else attr
        if attr.endswith(suffix) and base in STRUCTURED_BY_NAME:
            from . import get

            return getattr(get(base), method, None)
    return None


def __dir__():
    from ._registry import BY_NAME

    from ._registry import STRUCTURED_BY_NAME

    names = [n + s for n, spec in BY_NAME.items() for s, _ in _SUFFIXES
             if s != "_grad_from_y" or spec.from_y]
    names += [n + s for n in STRUCTURED_BY_NAME for s, _ in _STRUCTURED_SUFFIXES
              if _structured_reference(n + s) is not None]
    return sorted(set(globals()) | set(names))
