"""The speed baselines: the fastest idiomatic NumPy/SciPy spelling of each function.

``python -m fastact bench``, the asv suite and the README's speedups compare fastact against
these, not against the correctness twins of ``fastact.reference`` (which are written for
clarity and exact limits, not speed: relu's twin takes ~4.7 ns/element where
``np.maximum(x, 0, out=o)`` takes ~0.4).  Each spelling is what a careful NumPy programmer
writes: ufuncs with ``out=``, in place, at most one temporary.

One table, keyed by function name, covering the whole spec catalogue (functions that have not
landed yet included, so they are benchmarked as soon as they are registered; a test checks
that every registered function has an entry).  A function may have several candidates (for
sigmoid: ``scipy.special.expit`` and ``1/(1+np.exp(-x))``); the bench times every available
one and reports the fastest.  A candidate needing SciPy is skipped when SciPy is missing.

Each candidate states where its edge values differ from fastact's contract (its ``note``);
the tests check every candidate against the reference on finite inputs.

Signatures: ``forward(x, o, p)`` writes f(x) into ``o``; ``backward(g, x, o, p)`` writes
g * f'(x) into ``o``; ``p`` is the dict of the function's parameters.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Candidate", "BASELINES", "VARIANTS", "candidates", "available"]

_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_A = 0.044715
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@dataclass(frozen=True)
class Candidate:
    """One idiomatic spelling: `forward` and `backward` (see the module doc), the code they run
    (`spelling`, `backward_spelling`), the modules they need, and where their edge values
    differ from fastact's (`note`; empty when they agree everywhere)."""

    spelling: str
    forward: Callable
    backward_spelling: str
    backward: Callable
    note: str = ""
    needs: tuple = ()

    def usable(self) -> bool:
        import importlib

        try:
            for m in self.needs:
                importlib.import_module(m)
        except ImportError:
            return False
        return True


def _special():
    import scipy.special

    return scipy.special


# ------------------------------------------------------------------ building blocks

def _sigmoid_np(x, o):
    np.negative(x, out=o)
    np.exp(o, out=o)
    o += 1
    np.reciprocal(o, out=o)


def _where_pos_copy(o, x, value=None):
    """o[x > 0] = x (or value)."""
    np.copyto(o, x if value is None else value, where=x > 0)


def _negative_part(x, o, inner):
    """min(inner * x, 0) into o (inner > 0)."""
    if inner != 1.0:
        np.multiply(x, inner, out=o)
        np.minimum(o, 0, out=o)
    else:
        np.minimum(x, 0, out=o)
    return o


def _elu_like(x, o, alpha, scale=1.0, inner=1.0):
    """scale * alpha * expm1(inner * min(x, 0)), and scale * x where x > 0."""
    np.expm1(_negative_part(x, o, inner), out=o)
    o *= scale * alpha
    if scale == 1.0:
        np.copyto(o, x, where=x > 0)
    else:
        np.multiply(x, scale, out=o, where=x > 0)


def _elu_like_grad(g, x, o, alpha, scale=1.0, inner=1.0):
    """g * scale * alpha * inner * exp(inner * min(x, 0)), g * scale where x > 0."""
    np.exp(_negative_part(x, o, inner), out=o)
    o *= scale * alpha * inner
    np.copyto(o, scale, where=x > 0)
    o *= g


def _leaky(x, o, slope):
    np.multiply(x, slope, out=o)
    np.copyto(o, x, where=x > 0)


def _leaky_grad(g, x, o, slope):
    np.multiply(g, slope, out=o)
    np.copyto(o, g, where=x > 0)


def _scaled(x, o, omega):
    """omega * x into o (or x itself when omega is 1)."""
    if omega == 1.0:
        return x
    np.multiply(x, omega, out=o)
    return o


def _gelu_tanh_inner(x, o):
    """sqrt(2/pi) (x + 0.044715 x^3) into o."""
    np.multiply(x, x, out=o)
    o *= _GELU_A * _GELU_C
    o += _GELU_C
    o *= x


# ------------------------------------------------------------------ the table

def _c(spelling, forward, backward_spelling, backward, note="", needs=()):
    return Candidate(spelling, forward, backward_spelling, backward, note, needs)


def _gelu(x, o, p):
    if p.get("approximate", "none") == "tanh":
        _gelu_tanh_inner(x, o)
        np.tanh(o, out=o)
        o += 1
        o *= x
        o *= 0.5
    else:
        _special().ndtr(x, out=o)
        o *= x


def _gelu_grad(g, x, o, p):
    if p.get("approximate", "none") == "tanh":
        # 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2),  t = tanh(c (x + a x^3))
        t = np.empty_like(o)
        _gelu_tanh_inner(x, t)
        np.tanh(t, out=t)
        np.multiply(x, x, out=o)
        o *= 3 * _GELU_A
        o += 1
        o *= _GELU_C * 0.5
        o *= x
        t2 = t * t
        np.subtract(1, t2, out=t2)
        o *= t2
        t += 1
        t *= 0.5
        o += t
    else:
        np.square(x, out=o)
        o *= -0.5
        np.exp(o, out=o)
        o *= x
        o *= _INV_SQRT_2PI
        o += _special().ndtr(x)
    o *= g


def _silu(x, o, p):
    beta = p.get("beta", 1.0)
    if beta == 1.0:
        _special().expit(x, out=o)
    else:
        np.multiply(x, beta, out=o)
        _special().expit(o, out=o)
    o *= x


def _silu_grad(g, x, o, p):
    # s (1 + beta x (1 - s)),  s = sigmoid(beta x)
    beta = p.get("beta", 1.0)
    s = _special().expit(x * beta if beta != 1.0 else x)
    np.subtract(1, s, out=o)
    o *= x
    if beta != 1.0:
        o *= beta
    o += 1
    o *= s
    o *= g


def _silu_np(x, o, p):
    beta = p.get("beta", 1.0)
    np.multiply(x, -beta, out=o)
    np.exp(o, out=o)
    o += 1
    np.divide(x, o, out=o)


def _mish(x, o, p):
    np.logaddexp(x, 0, out=o)
    np.tanh(o, out=o)
    o *= x


def _mish_grad(g, x, o, p):
    # t + x (1 - t^2) sigmoid(x),  t = tanh(softplus(x))
    t = np.logaddexp(x, 0)
    np.tanh(t, out=t)
    _special().expit(x, out=o)
    o *= x
    o *= 1 - t * t
    o += t
    o *= g


def _mish_grad_np(g, x, o, p):
    t = np.logaddexp(x, 0)
    np.tanh(t, out=t)
    _sigmoid_np(x, o)
    o *= x
    o *= 1 - t * t
    o += t
    o *= g


def _softplus(x, o, p):
    beta, threshold = p.get("beta", 1.0), p.get("threshold", 20.0)
    if beta == 1.0:
        np.logaddexp(x, 0, out=o)
    else:
        np.multiply(x, beta, out=o)
        np.logaddexp(o, 0, out=o)
        o /= beta
    del threshold  # the linear branch only changes results by < 1 ULP of x above it


def _softplus_grad(g, x, o, p):
    beta = p.get("beta", 1.0)
    _special().expit(x * beta if beta != 1.0 else x, out=o)
    o *= g


def _softplus_grad_np(g, x, o, p):
    _sigmoid_np(x * p.get("beta", 1.0), o)
    o *= g


def _softmax_core(x, o, axis, sign=1.0):
    m = np.max(x if sign > 0 else -x, axis=axis, keepdims=True)
    if sign > 0:
        np.subtract(x, m, out=o)
    else:
        np.negative(x, out=o)
        o -= m
    np.exp(o, out=o)
    o /= np.sum(o, axis=axis, keepdims=True)


def _softmax_grad(g, x, o, axis, sign=1.0):
    y = np.empty_like(o)
    _softmax_core(x, y, axis, sign)
    np.multiply(g, y, out=o)
    s = np.sum(o, axis=axis, keepdims=True)
    np.subtract(g, s, out=o)
    o *= y
    if sign < 0:
        np.negative(o, out=o)


def _log_softmax(x, o, p):
    axis = p.get("axis", -1)
    np.subtract(x, np.max(x, axis=axis, keepdims=True), out=o)
    o -= np.log(np.sum(np.exp(o), axis=axis, keepdims=True))


def _log_softmax_grad(g, x, o, p):
    axis = p.get("axis", -1)
    y = np.empty_like(o)
    _softmax_core(x, y, axis)
    np.multiply(y, np.sum(g, axis=axis, keepdims=True), out=o)
    np.subtract(g, o, out=o)


def _glu_halves(x, axis):
    return np.split(x, 2, axis=axis)


def _glu(x, o, p):
    a, b = _glu_halves(x, p.get("axis", -1))
    _special().expit(b, out=o)
    o *= a


def _glu_grad(g, x, o, p):
    axis = p.get("axis", -1)
    a, b = _glu_halves(x, axis)
    oa, ob = _glu_halves(o, axis)
    s = _special().expit(b)
    np.multiply(s, g, out=oa)       # d/da = sigmoid(b) g
    np.subtract(1, s, out=ob)       # d/db = a s (1 - s) g
    ob *= s
    ob *= a
    ob *= g


BASELINES: dict = {
    "identity": (_c("np.copyto(o, x)", lambda x, o, p: np.copyto(o, x),
                    "np.copyto(o, g)", lambda g, x, o, p: np.copyto(o, g)),),
    "relu": (_c("np.maximum(x, 0, out=o)", lambda x, o, p: np.maximum(x, 0, out=o),
                "np.multiply(g, x > 0, out=o)", lambda g, x, o, p: np.multiply(g, x > 0, out=o)),),
    "relu6": (
        _c("np.clip(x, 0, 6, out=o)", lambda x, o, p: np.clip(x, 0, 6, out=o),
           "np.multiply(g, (x > 0) & (x < 6), out=o)",
           lambda g, x, o, p: np.multiply(g, (x > 0) & (x < 6), out=o)),
        _c("np.maximum(x, 0, out=o); np.minimum(o, 6, out=o)",
           lambda x, o, p: np.minimum(np.maximum(x, 0, out=o), 6, out=o),
           "np.multiply(g, (x > 0) & (x < 6), out=o)",
           lambda g, x, o, p: np.multiply(g, (x > 0) & (x < 6), out=o)),
    ),
    "leaky_relu": (_c(
        "np.multiply(x, s, out=o); np.copyto(o, x, where=x > 0)",
        lambda x, o, p: _leaky(x, o, p["negative_slope"]),
        "np.multiply(g, s, out=o); np.copyto(o, g, where=x > 0)",
        lambda g, x, o, p: _leaky_grad(g, x, o, p["negative_slope"]),
        "float32: s * x rounded from a float32 s (fastact rounds the exact product once)"),),
    "hardtanh": (_c(
        "np.clip(x, min_val, max_val, out=o)",
        lambda x, o, p: np.clip(x, p["min_val"], p["max_val"], out=o),
        "np.multiply(g, (x > min_val) & (x < max_val), out=o)",
        lambda g, x, o, p: np.multiply(g, (x > p["min_val"]) & (x < p["max_val"]), out=o)),),
    "hard_sigmoid": (_c(
        "np.add(x, 3, out=o); o /= 6; np.clip(o, 0, 1, out=o)",
        lambda x, o, p: np.clip(np.divide(np.add(x, 3, out=o), 6, out=o), 0, 1, out=o),
        "np.multiply(g, 1/6, out=o); o *= (x > -3) & (x < 3)",
        lambda g, x, o, p: np.multiply(np.multiply(g, 1 / 6, out=o), (x > -3) & (x < 3), out=o),
        "(x + 3) / 6 rounds twice: up to 1 ULP from the correctly rounded value"),),
    "hardswish": (_c(
        "np.add(x, 3, out=o); np.clip(o, 0, 6, out=o); o *= x; o /= 6",
        lambda x, o, p: np.divide(np.multiply(np.clip(np.add(x, 3, out=o), 0, 6, out=o), x,
                                              out=o), 6, out=o),
        "np.divide(x, 3, out=o); o += 0.5; copyto 0 where x <= -3, 1 where x >= 3; o *= g",
        lambda g, x, o, p: _hardswish_grad(g, x, o),
        "NaN at x = -inf (0 * -inf); rounds twice"),),
    "hardshrink": (_c(
        "np.multiply(x, np.abs(x) > lambd, out=o)",
        lambda x, o, p: np.multiply(x, np.abs(x) > p["lambd"], out=o),
        "np.multiply(g, np.abs(x) > lambd, out=o)",
        lambda g, x, o, p: np.multiply(g, np.abs(x) > p["lambd"], out=o),
        "-0.0 instead of 0.0 for negative x inside the band"),),
    "softshrink": (_c(
        "np.clip(x, -lambd, lambd, out=o); np.subtract(x, o, out=o)",
        lambda x, o, p: np.subtract(x, np.clip(x, -p["lambd"], p["lambd"], out=o), out=o),
        "np.multiply(g, np.abs(x) > lambd, out=o)",
        lambda g, x, o, p: np.multiply(g, np.abs(x) > p["lambd"], out=o),
        "NaN at x = +-inf (inf - inf)"),),
    "threshold": (_c(
        "np.copyto(o, x); np.copyto(o, value, where=x <= threshold)",
        lambda x, o, p: (np.copyto(o, x), np.copyto(o, p["value"], where=x <= p["threshold"])),
        "np.multiply(g, x > threshold, out=o)",
        lambda g, x, o, p: np.multiply(g, x > p["threshold"], out=o),
        "backward: NaN in x is not propagated (g * False)"),),
    "step": (_c(
        "np.heaviside(x, at_zero, out=o)", lambda x, o, p: np.heaviside(x, p["at_zero"], out=o),
        "np.multiply(g, 0, out=o)", lambda g, x, o, p: np.multiply(g, 0, out=o),
        "backward: NaN in x is not propagated (g * 0)"),),
    "sigmoid": (
        _c("scipy.special.expit(x, out=o)", lambda x, o, p: _special().expit(x, out=o),
           "expit(x, out=o); o *= 1 - o; o *= g",
           lambda g, x, o, p: _times_g(_one_minus_times(_special().expit(x, out=o)), g),
           "subnormal results flushed near x = -88.7 (float32)", needs=("scipy.special",)),
        _c("np.negative(x, out=o); np.exp(o, out=o); o += 1; np.reciprocal(o, out=o)",
           lambda x, o, p: _sigmoid_np(x, o),
           "1/(1+exp(-x)) into o; o *= 1 - o; o *= g",
           lambda g, x, o, p: (_sigmoid_np(x, o), _times_g(_one_minus_times(o), g)),
           "overflow warning in exp for x < -88.7 (float32); 1/(1+inf) = 0 there"),
    ),
    "tanh": (_c("np.tanh(x, out=o)", lambda x, o, p: np.tanh(x, out=o),
                "np.tanh(x, out=o); np.square(o, out=o); np.subtract(1, o, out=o); o *= g",
                lambda g, x, o, p: _times_g(_one_minus_square(np.tanh(x, out=o)), g)),),
    "log_sigmoid": (
        _c("np.negative(x, out=o); np.logaddexp(0, o, out=o); np.negative(o, out=o)",
           lambda x, o, p: np.negative(np.logaddexp(0, np.negative(x, out=o), out=o), out=o),
           "np.negative(x, out=o); expit(o, out=o); o *= g",
           lambda g, x, o, p: _times_g(_special().expit(np.negative(x, out=o), out=o), g),
           needs=("scipy.special",)),
        _c("scipy.special.log_expit(x, out=o)", lambda x, o, p: _special().log_expit(x, out=o),
           "np.negative(x, out=o); expit(o, out=o); o *= g",
           lambda g, x, o, p: _times_g(_special().expit(np.negative(x, out=o), out=o), g),
           needs=("scipy.special",)),
    ),
    "softsign": (_c(
        "np.abs(x, out=o); o += 1; np.divide(x, o, out=o)",
        lambda x, o, p: np.divide(x, np.add(np.abs(x, out=o), 1, out=o), out=o),
        "np.abs(x, out=o); o += 1; np.square(o, out=o); np.divide(g, o, out=o)",
        lambda g, x, o, p: np.divide(g, np.square(np.add(np.abs(x, out=o), 1, out=o), out=o),
                                     out=o),
        "NaN at x = +-inf (inf / inf)"),),
    "tanhshrink": (_c(
        "np.tanh(x, out=o); np.subtract(x, o, out=o)",
        lambda x, o, p: np.subtract(x, np.tanh(x, out=o), out=o),
        "np.tanh(x, out=o); np.square(o, out=o); o *= g",
        lambda g, x, o, p: _times_g(np.square(np.tanh(x, out=o), out=o), g),
        "cancellation near 0: x - tanh(x) loses all digits for |x| < 1e-4"),),
    "elu": (_c(
        "np.minimum(x, 0, out=o); np.expm1(o, out=o); o *= alpha; np.copyto(o, x, where=x > 0)",
        lambda x, o, p: _elu_like(x, o, p.get("alpha", 1.0)),
        "np.minimum(x, 0, out=o); np.exp(o, out=o); o *= alpha; copyto 1 where x > 0; o *= g",
        lambda g, x, o, p: _elu_like_grad(g, x, o, p.get("alpha", 1.0))),),
    "selu": (_c(
        "as elu, then o *= scale * alpha; np.multiply(x, scale, out=o, where=x > 0)",
        lambda x, o, p: _elu_like(x, o, SELU_ALPHA, SELU_SCALE),
        "as elu's, times scale",
        lambda g, x, o, p: _elu_like_grad(g, x, o, SELU_ALPHA, SELU_SCALE)),),
    "celu": (_c(
        "np.multiply(x, 1/alpha, out=o); np.minimum(o, 0, out=o); np.expm1(o, out=o);"
        " o *= alpha; np.copyto(o, x, where=x > 0)",
        lambda x, o, p: _elu_like(x, o, p.get("alpha", 1.0), inner=1.0 / p.get("alpha", 1.0)),
        "as elu's with x / alpha",
        lambda g, x, o, p: _elu_like_grad(g, x, o, p.get("alpha", 1.0),
                                          inner=1.0 / p.get("alpha", 1.0)),
        "x * (1/alpha) rounds twice where alpha is not a power of 2"),),
    "softplus": (
        _c("np.logaddexp(x, 0, out=o)  (beta != 1: scaled)", _softplus,
           "scipy.special.expit(x, out=o); o *= g", _softplus_grad,
           "no switch to x above threshold (differs by < 2e-9 there)",
           needs=("scipy.special",)),
        _c("np.logaddexp(x, 0, out=o)  (beta != 1: scaled)", _softplus,
           "1/(1+exp(-x)) into o; o *= g", _softplus_grad_np,
           "no switch to x above threshold (differs by < 2e-9 there)"),
    ),
    "silu": (
        _c("scipy.special.expit(x, out=o); o *= x", _silu,
           "s = expit(x); o = (1 + x (1 - s)) s g", _silu_grad,
           "NaN at x = -inf (0 * -inf)", needs=("scipy.special",)),
        _c("np.negative(x, out=o); np.exp(o, out=o); o += 1; np.divide(x, o, out=o)", _silu_np,
           "s = expit(x); o = (1 + x (1 - s)) s g", _silu_grad,
           "NaN at x = -inf (-inf / inf)", needs=("scipy.special",)),
    ),
    "gelu": (_c(
        "'none': scipy.special.ndtr(x, out=o); o *= x | 'tanh': the formula in place",
        _gelu, "Phi(x) + x phi(x), in place; 'tanh': its exact derivative", _gelu_grad,
        "NaN at x = -inf (0 * -inf)", needs=("scipy.special",)),),
    "mish": (
        _c("np.logaddexp(x, 0, out=o); np.tanh(o, out=o); o *= x", _mish,
           "t = tanh(logaddexp(x, 0)); o = t + x (1 - t^2) expit(x), times g", _mish_grad,
           "NaN at x = -inf (0 * -inf)", needs=("scipy.special",)),
        _c("np.logaddexp(x, 0, out=o); np.tanh(o, out=o); o *= x", _mish,
           "t = tanh(logaddexp(x, 0)); o = t + x (1 - t^2) / (1 + exp(-x)), times g",
           _mish_grad_np, "NaN at x = -inf (0 * -inf)"),
    ),
    "exponential": (_c("np.exp(x, out=o)", lambda x, o, p: np.exp(x, out=o),
                       "np.exp(x, out=o); o *= g",
                       lambda g, x, o, p: _times_g(np.exp(x, out=o), g)),),
    "square": (_c("np.square(x, out=o)", lambda x, o, p: np.square(x, out=o),
                  "np.multiply(x, 2, out=o); o *= g",
                  lambda g, x, o, p: _times_g(np.multiply(x, 2, out=o), g)),),
    "signed_square": (_c("np.abs(x, out=o); o *= x",
                         lambda x, o, p: np.multiply(np.abs(x, out=o), x, out=o),
                         "np.abs(x, out=o); o *= 2; o *= g",
                         lambda g, x, o, p: _times_g(np.multiply(np.abs(x, out=o), 2, out=o), g)),),
    "sin": (_c("np.sin(omega * x, out=o)  (omega = 1: np.sin(x, out=o))",
               lambda x, o, p: np.sin(_scaled(x, o, p.get("omega", 1.0)), out=o),
               "np.cos(omega * x, out=o); o *= omega * g",
               lambda g, x, o, p: _times_g(np.cos(_scaled(x, o, p.get("omega", 1.0)), out=o), g,
                                           p.get("omega", 1.0)),
               "omega * x rounds before the sine (omega != 1)"),),
    "cos": (_c("np.cos(omega * x, out=o)  (omega = 1: np.cos(x, out=o))",
               lambda x, o, p: np.cos(_scaled(x, o, p.get("omega", 1.0)), out=o),
               "np.sin(omega * x, out=o); o *= -omega * g",
               lambda g, x, o, p: _times_g(np.sin(_scaled(x, o, p.get("omega", 1.0)), out=o), g,
                                           -p.get("omega", 1.0)),
               "omega * x rounds before the cosine (omega != 1)"),),
    # -- functions with array parameters or an axis (bench rows on a 1-D x, scalar weight)
    "prelu": (_c("np.multiply(x, weight, out=o); np.copyto(o, x, where=x > 0)",
                 lambda x, o, p: _leaky(x, o, _prelu_weight(p)),
                 "np.multiply(g, weight, out=o); np.copyto(o, g, where=x > 0)",
                 lambda g, x, o, p: _leaky_grad(g, x, o, _prelu_weight(p))),),
    "rrelu": (_c("eval mode: leaky_relu with slope (lower + upper) / 2",
                 lambda x, o, p: _leaky(x, o, _rrelu_slope(p)),
                 "eval mode: as leaky_relu's",
                 lambda g, x, o, p: _leaky_grad(g, x, o, _rrelu_slope(p)),
                 "training mode (random slopes) has no NumPy one-liner: eval mode is timed"),),
    "mpelu": (_c("as elu with beta x: alpha expm1(beta min(x, 0)); x where x > 0",
                 lambda x, o, p: _elu_like(x, o, p.get("alpha", 1.0), inner=p.get("beta", 1.0)),
                 "alpha beta exp(beta min(x, 0)); 1 where x > 0; times g",
                 lambda g, x, o, p: _elu_like_grad(g, x, o, p.get("alpha", 1.0),
                                                   inner=p.get("beta", 1.0))),),
    "softmax": (_c("m = x.max(axis); np.subtract(x, m, out=o); np.exp(o, out=o);"
                   " o /= o.sum(axis)", lambda x, o, p: _softmax_core(x, o, p.get("axis", -1)),
                   "y = softmax(x); o = y (g - sum(g y))",
                   lambda g, x, o, p: _softmax_grad(g, x, o, p.get("axis", -1))),),
    "log_softmax": (_c("np.subtract(x, m, out=o); o -= np.log(np.exp(o).sum(axis))",
                       _log_softmax, "o = g - softmax(x) sum(g)", _log_softmax_grad,
                       "the largest element's tiny result loses relative accuracy (log of a"
                       " sum near 1)"),),
    "softmin": (_c("softmax(-x), in place", lambda x, o, p: _softmax_core(x, o, p.get("axis", -1),
                                                                          -1.0),
                   "-softmax's, with y = softmin(x)",
                   lambda g, x, o, p: _softmax_grad(g, x, o, p.get("axis", -1), -1.0)),),
    "glu": (_c("a, b = np.split(x, 2, axis); scipy.special.expit(b, out=o); o *= a",
               _glu, "sigmoid(b) g | a s (1 - s) g, into the halves of o", _glu_grad,
               needs=("scipy.special",)),),
}

# extra parameter settings benchmarked as their own rows (the defaults are always a row)
VARIANTS: dict = {"gelu": ({"approximate": "tanh"},)}


def _prelu_weight(p):
    w = p.get("weight", 0.25)
    return float(np.ravel(w)[0]) if np.ndim(w) else float(w)


def _rrelu_slope(p):
    return (p.get("lower", 1 / 8) + p.get("upper", 1 / 3)) / 2


def _times_g(o, g, scale=1.0):
    if scale != 1.0:
        o *= scale
    o *= g
    return o


def _one_minus_times(o):
    """o (1 - o), in place."""
    t = np.subtract(1, o)
    o *= t
    return o


def _one_minus_square(o):
    np.square(o, out=o)
    np.subtract(1, o, out=o)
    return o


def _hardswish_grad(g, x, o):
    np.divide(x, 3, out=o)
    o += 0.5
    np.copyto(o, 0.0, where=x <= -3)
    np.copyto(o, 1.0, where=x >= 3)
    o *= g


def candidates(name) -> tuple:
    """Every baseline candidate declared for function `name` (KeyError when none is)."""
    return BASELINES[name]


def available(name) -> tuple:
    """The candidates of `name` whose modules are installed."""
    return tuple(c for c in BASELINES[name] if c.usable())
