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

import functools

import numpy as np

__all__ = ["evaluate", "formulas"]

# name -> {"value": f(x, **p), "derivative": f'(x, **p), "derivative_from_y": f'(y, **p)}
formulas: dict[str, dict[str, object]] = {}


def _formula(name, kind):
    def register(fn):
        formulas.setdefault(name, {})[kind] = fn
        return fn
    return register


def _exp(v):
    """np.exp(v), bit for bit.  NumPy's float64 exp is 2-10x slower on arrays whose results all
    underflow or overflow, as half of the chunks of the exhaustive float32 sweep are (contiguous
    bit patterns): those get their results directly, +0 below -746 (e^-746 is below half the
    smallest subnormal) and +inf above 710 (ln of the largest double is 709.78)."""
    v = np.asarray(v)
    if v.dtype == np.float64 and v.size:
        zero = v < -746.0
        if zero.all():
            return np.zeros_like(v)
        inf = v > 710.0
        if (zero | inf).all():
            return np.where(zero, 0.0, np.inf)
    return np.exp(v)


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
def _times_rounded_once(x, s):
    """x * s correctly rounded to x's dtype (float32): the double product p with its exact
    error e (Dekker, s split in halves), p rounded to odd (an inexact p gets an odd last bit,
    toward x * s), then to float32.  A plain double product can land on a float32 tie."""
    w = _wide(x)
    if x.dtype.itemsize >= 8:
        return (w * s).astype(x.dtype)
    split = s * 134217729.0
    hi = split - (split - s)
    p = w * s
    e = (w * hi - p) + w * (s - hi)
    bits = p.view(np.uint64)
    toward = np.where((e > 0) == (p > 0), np.uint64(1), np.uint64(2**64 - 1))
    odd = np.where((e != 0) & ~np.isnan(e) & (bits & np.uint64(1) == 0), bits + toward, bits)  # e NaN: x = -inf
    return odd.view(np.float64).astype(x.dtype)


@_formula("leaky_relu", "value")
def _leaky_relu(x, negative_slope):
    neg = _times_rounded_once(x, negative_slope)
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
    e = _exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x > 0, 1, e) / (1 + e)


@_formula("sigmoid", "derivative")
def _sigmoid_d(x):
    e = _exp(-np.abs(x))
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
    e = _exp(-2 * np.abs(x))  # 1/cosh^2 = 4e / (1 + e)^2, no overflow
    return 4 * e / ((1 + e) * (1 + e))


@_formula("tanh", "derivative_from_y")
def _tanh_dy(y):
    return (1 - y) * (1 + y)


# ================================================================ the smooth catalogue
# Written for any floating dtype: np.longdouble runs them as the float64 oracle, so each one is
# free of cancellation and intermediate overflow where the exact function is not.

def _c(x, value):
    """A constant in x's dtype, from its decimal string (full precision in np.longdouble)."""
    return x.dtype.type(value)


def _sigmoid_parts(v):
    """(sigmoid(v), e) with e = e^-|v|: no overflow for any v."""
    e = _exp(-np.abs(v))
    return np.where(v > 0, 1, e) / (1 + e), e


def _softplus0(v):
    """log(1 + e^v) without overflow: max(v, 0) + log1p(e^-|v|)."""
    return np.maximum(v, 0) + np.log1p(_exp(-np.abs(v)))


def _erfc_nonnegative(z):
    """erfc(z) for z >= 0 in z's dtype: the series e^-z^2 sum 2^n z^(2n+1) / (2n+1)!! (all
    terms positive) for erf below 2, the continued fraction of e^(z^2) erfc(z) from 2 on.  Each
    is evaluated only where it is used, with as many terms as z's dtype needs there
    (_erfc_terms)."""
    z = np.asarray(z)
    flat = z.reshape(-1)
    out = np.empty_like(flat)
    two_over_sqrt_pi = 2 / np.sqrt(_c(z, _PI))
    series_terms, fraction_terms = _erfc_terms(z.dtype)
    small = flat < 2
    if small.any():
        at = np.flatnonzero(small)
        s = flat[at]
        erf_small = two_over_sqrt_pi * _exp(-s * s) * _erf_series(s, series_terms)
        out[at] = 1 - erf_small
    if not small.all():
        at = np.flatnonzero(~small)  # NaN included
        big = flat[at]
        lows = np.array([lo for lo, _ in fraction_terms], dtype=z.dtype)
        band = np.searchsorted(lows, big, side="right") - 1  # NaN: the last band
        for k in np.flatnonzero(np.bincount(band, minlength=len(lows))):
            i = np.flatnonzero(band == k)
            v = big[i]
            f = np.zeros_like(v)
            for j in range(fraction_terms[k][1], 0, -1):
                f = (_c(z, j) / 2) / (v + f)
            out[at[i]] = _exp(-v * v) / (v + f) * (two_over_sqrt_pi / 2)
    return out.reshape(z.shape)


def _erf_series(z, n_terms):
    """sum_{n < n_terms} 2^n z^(2n+1) / (2n+1)!! for 0 <= z < 2 (or NaN), flat arrays.  An
    element leaves the loop once adding its term leaves its sum unchanged where every later
    term is below the one before (the ratio 2 z^2 / (2n+3) < 1: at n = 1 for z < 1, from n = 4
    for all): the later, smaller terms cannot change it either (round to nearest), so the sum
    is bit-identical to running all n_terms terms, at the cost of each element's own count."""
    term, total = z.copy(), z.copy()
    result, active = total, np.arange(z.size)
    for n in range(1, n_terms):
        term = term * 2 * z * z / (2 * n + 1)
        new = total + term
        if n == 1 or n % 4 == 0:
            moving = new != total  # NaN keeps moving
            if n == 1:
                moving |= ~(z < 1)
            if not moving.all():
                result[active[~moving]] = new[~moving]
                active, z, term, new = active[moving], z[moving], term[moving], new[moving]
        total = new
    result[active] = total
    return result


@functools.lru_cache(maxsize=None)
def _erfc_terms(dtype):
    """(series terms, ((z_low, continued-fraction terms), ...)) for erfc in `dtype`, derived from
    its epsilon so that truncation stays below eps/16 relative:

    - series, 0 <= z < 2: term n is term n-1 times 2 z^2 / (2n+1), largest at z = 2; the count
      is the first n with term_n(2) < eps/16 times the sum (float64: 31, np.longdouble with 64
      bits: 34), plus 1 + the 4 of _erf_series's check interval, so that every element leaves
      by the sum-unchanged test before the bound (36 and 39 terms);
    - continued fraction, z >= 2: K (k/2) / (z + ...) converges faster the larger z is, so a
      band [z_low, next z_low) takes the count that the fraction needs at z_low: the first n
      whose n-term fraction is within eps/16 of the 3000-term one (60-digit decimal
      arithmetic).  float64: 61 terms at z = 2, 22 at 4, 11 at 8, 4 from 64; np.longdouble:
      84, 30, 14, 5.  (The fixed count was 100 terms everywhere, and 90 for the series.)"""
    from decimal import Decimal, localcontext

    eps = float(np.finfo(dtype).eps)
    z, term, total, n = 2.0, 2.0, 2.0, 0
    while term >= eps / 16 * total:
        n += 1
        term *= 2 * z * z / (2 * n + 1)
        total += term
    series = n + 1 + 4

    with localcontext() as ctx:
        ctx.prec = 60

        def fraction(z, n):
            f = Decimal(0)
            for k in range(n, 0, -1):
                f = (Decimal(k) / 2) / (z + f)
            return 1 / (z + f)

        bands = []
        for low in (2, 3, 4, 6, 8, 12, 16, 32, 64, 128):
            d = Decimal(low)
            limit, tol, n = fraction(d, 3000), Decimal(eps) / 16, 1
            while abs(fraction(d, n) - limit) > tol * limit:
                n += 1
            bands.append((low, n))
    return series, tuple(bands)


_PI = "3.14159265358979323846264338327950288"


def _normal_cdf_pdf(x, pdf=True):
    """(Phi(x), phi(x)), Phi from erfc of |x|/sqrt(2) so the lower tail keeps its accuracy;
    phi is None without `pdf`."""
    pi = _c(x, _PI)
    a = np.abs(x)
    half_e = _erfc_nonnegative(a / np.sqrt(_c(x, 2))) / 2
    phi = _exp(-x * x / 2) / np.sqrt(2 * pi) if pdf else None
    return np.where(x > 0, 1 - half_e, half_e), phi


def _tanhshrink_series(x):
    """x - tanh x = sum_{n>=2} -2^(2n)(2^(2n)-1) B_2n x^(2n-1) / (2n)! for |x| <= 1/2, with as
    many terms as x's dtype needs (_tanhshrink_terms)."""
    total = np.zeros_like(x)
    for coeff in reversed(_TANHSHRINK_COEFFS[:_tanhshrink_terms(x.dtype)]):
        total = total * x * x + _c(x, coeff)
    return total * x * x * x


@functools.lru_cache(maxsize=None)
def _tanhshrink_terms(dtype):
    """The number of terms of (x - tanh x) / x^3 = sum c_n x^(2n) that `dtype` needs at
    |x| <= 1/2: the terms alternate in sign and shrink about 10x each (|c_n+1 / c_n| -> 4/pi^2,
    times x^2 = 1/4), so the truncation error is below the first omitted term |c_N| / 4^N;
    the count is the first N with that below eps/16 of the sum's smallest value there,
    (1/2 - tanh 1/2) * 8 = 0.3, checked on the exact coefficients.  float64: 17 terms,
    np.longdouble (64 bits): 21 (all 30 before)."""
    eps = float(np.finfo(dtype).eps)
    for n, c in enumerate(_TANHSHRINK_COEFFS):
        if abs(float(c)) / 4.0 ** n < eps / 16 * 0.3:
            return n
    return len(_TANHSHRINK_COEFFS)


def _tanhshrink_coefficients(n_terms=30):
    """Exact Taylor coefficients of (x - tanh x) / x^3 in x^2, from Bernoulli numbers, as
    decimal strings (40 digits) so np.longdouble gets them in full."""
    from fractions import Fraction
    from math import comb, factorial

    bern = [Fraction(1)]
    for m in range(1, 2 * n_terms + 4):
        bern.append(-sum(comb(m + 1, k) * bern[k] for k in range(m)) / Fraction(m + 1))
    out = []
    for n in range(2, n_terms + 2):  # tanh coefficient of x^(2n-1), negated
        c = -Fraction(2 ** (2 * n) * (2 ** (2 * n) - 1)) * bern[2 * n] / factorial(2 * n)
        num, den = c.numerator, c.denominator
        digits = (abs(num) * 10 ** 45) // den
        out.append(("-" if num < 0 else "") + f"{digits}e-45")
    return out


_TANHSHRINK_COEFFS = _tanhshrink_coefficients()


# Near a zero x0 of a derivative every formula cancels: in np.longdouble its relative error is
# about 2^-64 / |x - x0|, more than an ulp of float64 within 2^-11 of x0.  There the reference
# is the Taylor series f'(x0 + t) = t P(t) (|t| < 1/64, truncation below 1e-30), x0 to ~128
# bits as a 64-bit value plus the rest, the coefficients from mpmath:
_DERIVATIVE_ZEROS = {  # tools/fit_coefficients.py --reference
    "silu": ("-1.278464542761073795143836329124553685688", "3.44775901015735302482376990491e-20",
        ("0.217811705719800098779702924073", "0.146648796996946900179408110911", "0.0188748142237823134071633641835", "-0.0152226552231880316887818168126", "-0.00660658913835669643630117177595", "0.000126627410081121997271641728326", "0.000798521881839799776122149463528", "0.000185707243611864956527432749193", "-0.0000409053423742861168051542600913", "-0.0000297335422132639158387752991057", "-0.00000294263188884246399391722433365", "0.00000234602968246386604940640543178", "0.00000085996950282685755177184459299", "-0.0000000305124475005542107909912580484", "-0.0000000926664630926744019719975424485")),
    "gelu": ("-0.7517915246935644574526741434894461235672", "-5.23080329007791609729417066302e-21",
        ("0.431493992314046919786507169629", "0.388284982990551997858080427426", "-0.0181996763986710871005692889642", "-0.114008233297221708552437031864", "-0.0147715221482443377178381265143", "0.0194216798381890658890342836973", "0.00453922837912541557363431436266", "-0.00223953806807349715127894941293", "-0.000744826838674681624273135308809", "0.000186339746232335132804436765485", "0.0000861594786111657162779447097661", "-0.0000112143801884266413752090482977", "-0.0000077484613070037191252622952829", "0.0000004328450625739227546754887935", "0.000000570276497924210723722970108103")),
    "gelu_tanh": ("-0.7524614220710162584685766484771107798224", "-1.93777948118053107829955979078e-20",
        ("0.430400091024858509079927436608", "0.387518446135788926421377791404", "-0.015782853521848028341905902246", "-0.113944483080958987110642456879", "-0.0166193283430525626922760283316", "0.0196823094598331174870195497589", "0.0052610592549219118793796090827", "-0.00242273184587509729923967876748", "-0.000927442023020544896268381852235", "0.000263927640526810525677803132446", "0.000124252278026397819379387060326", "-0.0000349561716944361173297288697445", "-0.0000159508968716451047557480568607", "0.00000591861171089400504766797155789", "0.00000243355163442995444477653479998")),
    "mish": ("-1.192431214515495212116595602491742056372", "-2.09927379289973492282273627799e-20",
        ("0.266947914049534511316623054061", "0.204731264080105866347705705913", "0.0419078210436098730808551643914", "-0.0202718227166842461281011222477", "-0.0158211265617333809820724228173", "-0.00336068492702326866830164233648", "0.00109240554094458549305209894178", "0.000989818102128919669607638939686", "0.000254129363861910731868257235658", "-0.000041961496031696128791190215787", "-0.000055828915673606878908905364255", "-0.0000172992708103043995564514488204", "0.000000942736132737665123519414485065", "0.00000290881993649122218466431341118", "0.00000107167670270207399025476599688")),
}


def _near_zero(name, z, general):
    """`general` (f' at z), except the series t P(t) where |z - x0| < 1/64."""
    hi_s, lo_s, coeffs = _DERIVATIVE_ZEROS[name]
    wide = np.longdouble(hi_s)
    hi = _c(z, hi_s)
    lo = z.dtype.type((wide - np.longdouble(hi)) + np.longdouble(lo_s))
    t = (z - hi) - lo
    near = np.abs(t) < _c(z, "0.015625")
    out = np.array(np.broadcast_to(general, z.shape), dtype=z.dtype)
    if near.any():  # the series only where it is used (elementwise: the same values)
        tn = t[near]
        series = np.zeros_like(tn)
        for c in reversed(coeffs):
            series = series * tn + _c(z, c)
        out[near] = tn * series
    return out


@_formula("log_sigmoid", "value")
def _log_sigmoid(x):
    return np.minimum(x, 0) - np.log1p(_exp(-np.abs(x)))


@_formula("log_sigmoid", "derivative")
def _log_sigmoid_d(x):
    return _sigmoid_parts(-x)[0]


@_formula("softsign", "value")
def _softsign(x):
    return np.where(np.isinf(x), np.sign(x), x / (1 + np.abs(x)))


@_formula("softsign", "derivative")
def _softsign_d(x):
    return 1 / ((1 + np.abs(x)) * (1 + np.abs(x)))


@_formula("tanhshrink", "value")
def _tanhshrink(x):
    out = np.asarray(x - np.tanh(x))
    small = np.abs(x) < 0.5
    if small.any():  # the series only where it is used
        out[small] = _tanhshrink_series(x[small])
    return out


@_formula("tanhshrink", "derivative")
def _tanhshrink_d(x):
    return np.tanh(x) ** 2


@_formula("elu", "value")
def _elu(x, alpha):
    return np.where(x > 0, x, _c(x, alpha) * np.expm1(x))


@_formula("elu", "derivative")
def _elu_d(x, alpha):
    return np.where(x > 0, 1, _c(x, alpha) * _exp(x))


@_formula("elu", "derivative_from_y")
def _elu_dy(y, alpha):
    return np.where(y > 0, 1, y + _c(y, alpha))


_SELU_ALPHA = "1.6732632423543772848170429916717"
_SELU_SCALE = "1.0507009873554804934193349852946"


_SELU_SCALE_ALPHA = "1.7580993408473768599402175208123"  # their product, rounded once


@_formula("selu", "value")
def _selu(x):
    return np.where(x > 0, _c(x, _SELU_SCALE) * x, _c(x, _SELU_SCALE_ALPHA) * np.expm1(x))


@_formula("selu", "derivative")
def _selu_d(x):
    return np.where(x > 0, _c(x, _SELU_SCALE), _c(x, _SELU_SCALE_ALPHA) * _exp(x))


@_formula("celu", "value")
def _celu(x, alpha):
    a = _c(x, alpha)
    q = x / a
    # |q| < 2^-60: a expm1(q) = x (1 + q/2 + ...) is x to 2^-61; the product loses x when q
    # underflows (alpha = -1e308, x = -1e-20), as the kernels' did before (fuzz finding 6)
    return np.where((x > 0) | (np.abs(q) < 2.0 ** -60), x, a * np.expm1(q))


@_formula("celu", "derivative")
def _celu_d(x, alpha):
    return np.where(x > 0, 1, _exp(x / _c(x, alpha)))


@_formula("softplus", "value")
def _softplus(x, beta, threshold):
    b = _c(x, beta)
    bx = b * x
    return np.where(bx > threshold, x, np.where(bx > 0, x, 0) + np.log1p(_exp(-np.abs(bx))) / b)


@_formula("softplus", "derivative")
def _softplus_d(x, beta, threshold):
    bx = _c(x, beta) * x
    return np.where(bx > threshold, 1, _sigmoid_parts(bx)[0])


def _silu_up(x, beta):
    """Where beta x -> +inf as x -> +-inf, from beta itself (beta rounded to x's dtype may be 0
    or inf; beta = 0 is handled by the callers)."""
    return x > 0 if float(beta) > 0 else x < 0


@_formula("silu", "value")
def _silu(x, beta):
    s = _sigmoid_parts(_c(x, beta) * x)[0]
    # x = +-inf: x where beta x -> +inf or beta = 0 (x / 2), else 0 with x's sign
    up = _silu_up(x, beta) | (float(beta) == 0)
    limit = np.where(up, x, np.copysign(np.zeros_like(x), x))
    # x = +-0: x (sigmoid is bounded; beta x is inf * 0 when beta is beyond x's dtype)
    return np.where(np.isinf(x), limit, np.where(x == 0, x, x * s))


@_formula("silu", "derivative")
def _silu_d(x, beta):
    bx = _c(x, beta) * x
    s, _ = _sigmoid_parts(bx)
    # beta x beyond the dtype's range for a finite x: the limits 1 and -0 (inf * 0 in the formula)
    general = np.where(np.isinf(bx), np.where(bx > 0, _c(x, 1), _c(x, "-0.0")),
                       s * (1 + bx * (1 - s)))
    body = _near_zero("silu", np.where(np.isfinite(bx), bx, 0), general)
    # x = +-inf: the limit sigmoid(beta x): 1, 0, or 1/2 for beta = 0
    limit = _c(x, 0.5) if float(beta) == 0 else np.where(_silu_up(x, beta), _c(x, 1), _c(x, 0))
    return np.where(np.isinf(x), limit, body)


_GELU_A = "0.044715"


def _gelu_tanh_arg(x):
    """v = 2 sqrt(2/pi) (x + 0.044715 x^3), so that 0.5 (1 + tanh(v/2)) = sigmoid(v)."""
    c = 2 * np.sqrt(2 / _c(x, _PI))
    return c * (x + _c(x, _GELU_A) * x * x * x), c


@_formula("gelu", "value")
def _gelu(x, approximate):
    x = np.maximum(x, _c(x, -64))  # gelu(x <= -64) rounds to -0 in every dtype
    if approximate == "tanh":
        v, _ = _gelu_tanh_arg(np.minimum(x, 64))
        return np.where(x < 64, x * _sigmoid_parts(v)[0], x)
    return x * _normal_cdf_pdf(x, pdf=False)[0]


@_formula("gelu", "derivative")
def _gelu_d(x, approximate):
    x = np.maximum(x, _c(x, -64))
    if approximate == "tanh":
        xt = np.minimum(x, 64)
        v, c = _gelu_tanh_arg(xt)
        s, e = _sigmoid_parts(v)
        d = s + xt * c * (1 + 3 * _c(x, _GELU_A) * xt * xt) * e / ((1 + e) * (1 + e))
        return _near_zero("gelu_tanh", x, d)
    x = np.minimum(x, 64)  # 1 from there on
    cdf, pdf = _normal_cdf_pdf(x)
    return _near_zero("gelu", x, cdf + x * pdf)


@_formula("mish", "value")
def _mish(x):
    v = x * np.tanh(_softplus0(x))
    return np.where(x == -np.inf, _c(x, "-0.0"), v)


@_formula("mish", "derivative")
def _mish_d(x):
    t = np.tanh(_softplus0(x))
    d = t + x * (1 - t * t) * _sigmoid_parts(x)[0]
    d = _near_zero("mish", np.where(np.isfinite(x), x, 0), d)
    return np.where(np.isinf(x), np.where(x > 0, 1, _c(x, "-0.0")), d)


@_formula("exponential", "value")
@_formula("exponential", "derivative")
def _exponential(x):
    return _exp(x)


@_formula("exponential", "derivative_from_y")
def _exponential_dy(y):
    return y.copy()


@_formula("square", "value")
def _square(x):
    return x * x


@_formula("square", "derivative")
def _square_d(x):
    return 2 * x


@_formula("signed_square", "value")
def _signed_square(x):
    return x * np.abs(x)


@_formula("signed_square", "derivative")
def _signed_square_d(x):
    return 2 * np.abs(x)


def _omega_x(x, omega):
    """omega x as an unrounded pair hi + lo in x's dtype widened to at least float64, with
    omega exact (a double, as the kernels take it).  The kernels reduce the exact product
    (README: "of omega x as an exact double-double"); once |omega x| is large, rounding the
    product first moves the angle by up to half its ulp, i.e. by whole periods and more: for
    omega = 3.5e93 a plain product made the reference, not the kernel, wrong by 3e7 float32 ulp
    (fuzz finding 2).  Both factors are scaled to [0.5, 1) (a Veltkamp split cannot overflow),
    multiplied exactly (Dekker's TwoProduct) and scaled back."""
    w = _wide(x)
    om = w.dtype.type(omega)
    mo, eo = np.frexp(om)
    mx, ex = np.frexp(w)
    splitter = w.dtype.type(2.0 ** ((np.finfo(w.dtype).nmant + 2) // 2) + 1)

    def split(v):
        t = v * splitter
        h = t - (t - v)
        return h, v - h

    (oh, ol), (xh, xl) = split(mo), split(mx)
    p = mo * mx
    e = ((oh * xh - p) + oh * xl + ol * xh) + ol * xl
    hi = _omega_hi(w, om)
    lo = np.ldexp(e, eo + ex)
    return hi, np.where(np.isfinite(hi) & np.isfinite(lo), lo, 0)


def _omega_hi(w, om):
    """The rounded product omega x: it keeps inf, NaN and signed zeros exactly as the kernels'
    product.  A double-double has double's range: a product beyond it is infinite (sin, cos:
    NaN), as in the kernels (and in PyTorch's sin(omega * x)), also in np.longdouble."""
    hi = om * w
    with np.errstate(over="ignore"):
        return np.where(np.isinf(hi.astype(np.float64)), hi.astype(np.float64), hi).astype(w.dtype)


def _sin_exact(x, omega, part):
    """sin (part 0) or cos (part 1) of the exact omega x, in the wide dtype: angle-addition of
    hi and lo.  For omega = +-2^k (omega = 1 included) _omega_x's lo is always +0 (the
    mantissa product 1/2 mx is exact), so sin lo = +0 and cos lo = 1: the sums are cos hi and
    sin hi + (+0), that is sin hi with +-0 made +0, bit for bit, without the other two trig
    calls and the exact product (sin hi = 0 only at hi = +-0, where cos hi = 1)."""
    w = _wide(x)
    om = w.dtype.type(omega)
    if np.isfinite(om) and abs(np.frexp(om)[0]) == 0.5:
        hi = _omega_hi(w, om)
        if part == 1:
            return np.cos(hi)
        sh = np.sin(hi)
        return np.where(sh == 0, w.dtype.type(0), sh)
    hi, lo = _omega_x(x, omega)
    sh, ch, sl, cl = np.sin(hi), np.cos(hi), np.sin(lo), np.cos(lo)
    return sh * cl + ch * sl if part == 0 else ch * cl - sh * sl


@_formula("sin", "value")
def _sin(x, omega):
    return _sin_exact(x, omega, 0).astype(x.dtype)


@_formula("sin", "derivative")
def _sin_d(x, omega):
    return (_wide(x).dtype.type(omega) * _sin_exact(x, omega, 1)).astype(x.dtype)


@_formula("cos", "value")
def _cos(x, omega):
    return _sin_exact(x, omega, 1).astype(x.dtype)


@_formula("cos", "derivative")
def _cos_d(x, omega):
    return (-_wide(x).dtype.type(omega) * _sin_exact(x, omega, 0)).astype(x.dtype)


def evaluate(name, kind, x, **params):
    """Evaluate formula `kind` ("value", "derivative", "derivative_from_y") of `name` on the
    floating array `x` in its own dtype (float16 to longdouble), with the NaN rule applied:
    NaN in gives NaN out."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(f"evaluate needs a floating array, got {x.dtype}")
    with np.errstate(all="ignore"):
        r = np.asarray(formulas[name][kind](x, **params), dtype=x.dtype)
        nan = np.isnan(x)
        if nan.any() or r.shape != x.shape or not r.flags.writeable or np.may_share_memory(r, x):
            return np.where(nan, x, r)
        return r  # a new array already: the copy of np.where would change nothing


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
