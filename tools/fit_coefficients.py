"""Generate csrc/fa_coeffs.inc: every polynomial coefficient and constant the vector-math layer
(csrc/fa_math.inc) uses, derived here with mpmath (60 digits) so that nothing is copied.

    python tools/fit_coefficients.py > csrc/fa_coeffs.inc
    python tools/fit_coefficients.py --reference   # the block for fastact/reference.py

- exp, log, sin, cos: Taylor coefficients (the reduced ranges are small enough that Taylor
  truncation is far below half an ulp at the degrees chosen, see the comments printed).
- erfcx(z) = e^(z^2) erfc(z), z >= 0, in three pieces interpolated at Chebyshev nodes
  (near-minimax): in z on [0, 2] and [2, 6], and erfcx(z) / t for t = 4 / (4 + z) on
  [1/8, 2/5] (z from 6 to 28).
- (x - tanh x) / x^3 in x^2 on [0, 1] (tanhshrink; float64 c_0 and c_1 also as the rest of
  their rounding) and on [0, 0.3025] (tanh), the same way.
- Near the zeros of silu', gelu' (both forms) and mish': f'(x0 + t) = t P(t) on |t| <= R, P
  interpolated at Chebyshev nodes, x0 as a double-double: the float64 derivatives use it
  there, where their terms cancel.
- float64 gelu('none') below |x| = 1: x/2 + x^2 (1/sqrt(2 pi) + x^2 Q1(x^2)), Q1 interpolated at
  Chebyshev nodes (erfcx's first piece loses bits to rounding there, 1 - E/2 another one).
- float32 gelu in double (csrc/fa_functions_f32.inc): erfcx as one polynomial in
  t = (z - K) / (z + K), and gelu' = t P(t) next to its zero, to float32's accuracy only.
- 2/pi bits for the scalar Payne-Hanek reduction of huge arguments; pi/2 split into pieces of
  33 bits (products with |n| < 2^20 are exact) for the vector Cody-Waite reduction.
"""
import mpmath as mp

mp.mp.dps = 60


def c_double(v):
    return float(v).hex()


def c_float(v):
    f = float(mp.mpf(v))
    import struct
    f32 = struct.unpack("f", struct.pack("f", f))[0]
    return f32.hex() + "f"


def emit_list(name, values, fmt):
    body = ", ".join(fmt(v) for v in values)
    print(f"#define {name} {{{body}}}")


def chebyshev_fit(func, a, b, degree):
    """Interpolate func on [a, b] at degree+1 Chebyshev nodes; monomial coefficients in
    u = (2t - a - b) / (b - a), lowest first, and the max relative error on a dense grid."""
    n = degree + 1
    nodes = [mp.cos(mp.pi * (j + mp.mpf(1) / 2) / n) for j in range(n)]
    vals = [func((b - a) / 2 * u + (a + b) / 2) for u in nodes]
    cheb = [2 * mp.fsum(vals[j] * mp.cos(mp.pi * i * (j + mp.mpf(1) / 2) / n) for j in range(n)) / n
            for i in range(n)]
    cheb[0] /= 2
    # Chebyshev -> monomial: T_0 = 1, T_1 = u, T_{k+1} = 2u T_k - T_{k-1}
    mono = [mp.mpf(0)] * n
    tkm1, tk = [mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]
    for i, c in enumerate(cheb):
        t = tkm1 if i == 0 else tk
        if i >= 2:
            t = [mp.mpf(0)] + [2 * v for v in tk]
            for j, v in enumerate(tkm1):
                t[j] -= v
            tkm1, tk = tk, t
        for j, v in enumerate(t):
            mono[j] += c * v
    return mono


def to_t_basis(mono, a, b):
    """Monomials in u = alpha t + beta -> monomials in t (rounding the t-basis coefficients
    costs less here: the small values of erfcx/t sit near t = 0 where only c0 matters)."""
    alpha, beta = 2 / (b - a), -(a + b) / (b - a)
    poly = [mp.mpf(0)]
    for c in reversed(mono):
        new = [mp.mpf(0)] * (len(poly) + 1)
        for i, v in enumerate(poly):
            new[i] += v * beta
            new[i + 1] += v * alpha
        new[0] += c
        poly = new
    return poly[: len(mono)]


def max_rel_error(func, mono, a, b, rnd, samples=2000, basis_u=False):
    """Max relative error of the rounded coefficients (exact arithmetic) on [a, b]; monomials
    in t itself, or in u = affine(t) on [-1, 1] when basis_u."""
    worst = 0
    coeffs = [mp.mpf(rnd(c)) for c in mono]
    for k in range(samples + 1):
        t = a + (b - a) * mp.mpf(k) / samples
        v = (2 * t - a - b) / (b - a) if basis_u else t
        p = mp.mpf(0)
        for c in reversed(coeffs):
            p = p * v + c
        worst = max(worst, abs(p / func(t) - 1))
    return worst


GELU_TANH_A = mp.mpf("0.044715")


def silu_d(z):
    s = 1 / (1 + mp.exp(-z))
    return s * (1 + z * (1 - s))


def gelu_d(x):
    return mp.ncdf(x) + x * mp.npdf(x)


def gelu_tanh_d(x):
    c = 2 * mp.sqrt(2 / mp.pi)
    v = c * (x + GELU_TANH_A * x ** 3)
    s = 1 / (1 + mp.exp(-v))
    return s + x * s * (1 - s) * c * (1 + 3 * GELU_TANH_A * x * x)


def mish_d(x):
    t = mp.tanh(mp.log1p(mp.exp(x)))
    return t + x * (1 - t * t) / (1 + mp.exp(-x))


# (name, f', radius): the radius is where the general formulas' cancellation error has fallen
# below about 3 ulp (measured against mpmath)
DERIVATIVE_ZEROS = (("SILU", silu_d, mp.mpf("0.25")), ("GELU", gelu_d, mp.mpf("0.75")),
                    ("GELU_TANH", gelu_tanh_d, mp.mpf("0.25")), ("MISH", mish_d, mp.mpf("0.25")))


def derivative_zeros(target=mp.mpf(2) ** -60):
    """FA_DZERO_<NAME>_X0_HI/_LO (the zero as a double-double), _R and the coefficients of P,
    lowest first, at the smallest degree whose truncation error (exact coefficients) is within
    target; the comment gives the error with the coefficients rounded to double (the constant
    term's rounding alone is up to 2^-54)."""
    for name, f, radius in DERIVATIVE_ZEROS:
        x0 = mp.findroot(f, -1)
        slope = mp.diff(f, x0)

        def p(t, f=f, x0=x0, slope=slope):
            return f(x0 + t) / t if t else slope
        for deg in range(8, 40):
            mono = to_t_basis(chebyshev_fit(p, -radius, radius, deg), -radius, radius)
            if max_rel_error(p, mono, -radius, radius, lambda c: c, samples=200) < target:
                break
        err = max_rel_error(p, mono, -radius, radius, lambda c: float(c), samples=2000)
        hi = mp.mpf(float(x0))
        print(f"/* {name.lower()}' = t P(t), t = x - x0, |t| <= {mp.nstr(radius, 3)}: degree {deg}, "
              f"max relative error {mp.nstr(err, 3)} */")
        print(f"#define FA_DZERO_{name}_X0_HI {c_double(hi)}")
        print(f"#define FA_DZERO_{name}_X0_LO {c_double(x0 - hi)}")
        print(f"#define FA_DZERO_{name}_R {c_double(radius)}")
        emit_list(f"FA_DZERO_{name}", mono, c_double)


# float64 gelu('none') for |x| < GELU_SERIES_TOP: x/2 + x^2 Q(x^2), Q(y) = (Phi(sqrt y) - 1/2) /
# sqrt y = 1/sqrt(2 pi) + y Q1(y), with no cancellation and no erfcx
GELU_SERIES_TOP = mp.mpf(1)


def gelu_series(target=mp.mpf(2) ** -60):
    """FA_GELU_SERIES: Q1 in y = x^2 on [0, GELU_SERIES_TOP^2], lowest first, at the smallest
    degree whose truncation error (exact coefficients) is within target relative (Q1's part of
    Q is at most a sixth, so Q is within target / 6); Q1 from the Taylor series of Phi, which
    converges fast there."""
    c0 = 1 / mp.sqrt(2 * mp.pi)

    def q1(y):
        return c0 * mp.fsum((-1) ** n * y ** (n - 1) / (2 ** n * mp.factorial(n) * (2 * n + 1))
                            for n in range(1, 60))
    top = GELU_SERIES_TOP ** 2
    for deg in range(4, 30):
        mono = to_t_basis(chebyshev_fit(q1, mp.mpf(0), top, deg), mp.mpf(0), top)
        if max_rel_error(q1, mono, mp.mpf(0), top, lambda c: c, samples=400) < target:
            break
    err = max_rel_error(q1, mono, mp.mpf(0), top, lambda c: float(c), samples=2000)
    print(f"/* gelu = x/2 + x^2 (1/sqrt(2 pi) + y Q1(y)), y = x^2 <= {mp.nstr(top, 3)}: Q1 of degree {deg}, "
          f"max relative error {mp.nstr(err, 3)} */")
    print(f"#define FA_GELU_SERIES_TOP {c_double(GELU_SERIES_TOP)}")
    emit_list("FA_GELU_SERIES", mono, c_double)


def reference_series(degree=14, digits=30):
    """The pure-NumPy reference's version (fastact/reference.py, _DERIVATIVE_ZEROS): the zero
    x0 as a 64-bit-significand value plus the rest, and the Taylor coefficients of
    P(t) = f'(x0 + t) / t, as decimal strings (np.longdouble parses them in full)."""
    print("_DERIVATIVE_ZEROS = {  # tools/fit_coefficients.py --reference")
    for name, f, _ in DERIVATIVE_ZEROS:
        x0 = mp.findroot(f, -1)
        with mp.workprec(64):
            hi = +x0
        coeffs = [mp.diff(f, x0, k + 1) / mp.factorial(k + 1) for k in range(degree + 1)]
        body = ", ".join(f'"{mp.nstr(c, digits)}"' for c in coeffs)
        print(f'    "{name.lower()}": ("{mp.nstr(hi, 40)}", "{mp.nstr(x0 - hi, digits)}",\n'
              f"        ({body})),")
    print("}")


def main():
    print("/* fa_coeffs.inc -- generated by tools/fit_coefficients.py; do not edit. */")
    # ---- exp: 1/k! for k = 2.. (used as e^r - 1 = r + r^2 (1/2! + r/3! + ...))
    for name, deg, fmt in (("F32", 7, c_float), ("F64", 13, c_double)):
        emit_list(f"FA_EXP_INV_FACTORIALS_{name}", [1 / mp.factorial(k) for k in range(2, deg + 1)], fmt)
    exp_fast_f32()
    # ---- log: log(1+f) = 2 atanh(s), s = f/(2+f); 2 atanh(s) = 2s + s^3 R(s^2), R = sum 2/(2k+1) s^(2k-2)
    for name, nterms, fmt in (("F32", 5, c_float), ("F64", 11, c_double)):
        emit_list(f"FA_LOG_ATANH_{name}", [mp.mpf(2) / (2 * k + 1) for k in range(1, nterms + 1)], fmt)
    # ---- sin / cos on |r| <= pi/4 (double only): sin = r + r^3 S(r^2), cos = 1 - r^2/2 + r^4 C(r^2)
    emit_list("FA_SIN_TAYLOR", [(-1) ** k / mp.factorial(2 * k + 1) for k in range(1, 10)], c_double)
    emit_list("FA_COS_TAYLOR", [(-1) ** k / mp.factorial(2 * k) for k in range(2, 11)], c_double)
    # ---- erfcx in three pieces, coefficients interleaved per degree as {A_k, B_k, C_k} so the
    # kernel picks each with selects: A on z < 2 in u = z - 1; B on 2 <= z < 6 in u = (z - 4)/2;
    # C on z >= 6 as erfcx(z) = t Q(t), t = 4 / (4 + z) in [1/8, 2/5] (z <= 28), Q in
    # u = affine(t) on [-1, 1]
    def erfcx(z):
        return mp.exp(z * z) * mp.erfc(z)

    tmin, tmax = mp.mpf(1) / 8, mp.mpf(2) / 5
    print(f"#define FA_ERFCX_TMID {c_double((tmin + tmax) / 2)}")
    print(f"#define FA_ERFCX_THALF_INV {c_double(2 / (tmax - tmin))}")
    for name, deg, fmt in (("F32", 11, c_float), ("F64", 24, c_double)):
        pieces = [chebyshev_fit(lambda u: erfcx(u + 1), mp.mpf(-1), mp.mpf(1), deg),
                  chebyshev_fit(lambda u: erfcx(2 * u + 4), mp.mpf(-1), mp.mpf(1), deg),
                  chebyshev_fit(lambda t: erfcx(4 / t - 4) / t, tmin, tmax, deg)]
        print(f"/* erfcx in three pieces, degree {deg} */")
        emit_list(f"FA_ERFCX_{name}", [v for triple in zip(*pieces) for v in triple], fmt)
    # float64 gelu: what rounding c_0 and c_1 to double leaves out, as {A_0, B_0, C_0, A_1, B_1,
    # C_1} (c_0's rounding alone was 1.35 2^-53 of erfcx(6), the end of B)
    print("/* erfcx's c_0 and c_1 minus their double values, for the double-double last steps */")
    emit_list("FA_ERFCX_LO_F64", [piece[k] - mp.mpf(float(piece[k])) for k in (0, 1) for piece in pieces],
              c_double)
    # ---- pi/2 in four pieces: 33, 33, 33 and 53 significant bits
    pieces, rest = [], mp.pi / 2
    for bits in (33, 33, 33, 53):
        e = mp.floor(mp.log(abs(rest), 2))
        scale = mp.mpf(2) ** (bits - 1 - e)
        v = mp.nint(rest * scale) / scale
        pieces.append(v)
        rest -= v
    for i, v in enumerate(pieces):
        print(f"#define FA_PIO2_{i + 1} {c_double(v)}")
    print(f"#define FA_TWO_OVER_PI {c_double(2 / mp.pi)}")
    hi = mp.mpf(float(mp.pi / 2))
    print(f"#define FA_PIO2_HI {c_double(hi)}")
    print(f"#define FA_PIO2_LO {c_double(mp.pi / 2 - hi)}")
    # ---- double-double constants: (hi, lo) with hi + lo = the value to ~106 bits
    alpha = mp.mpf("1.6732632423543772848170429916717")
    scale = mp.mpf("1.0507009873554804934193349852946")
    consts = {"SELU_SCALE": scale, "SELU_ALPHA": alpha, "SELU_SCALE_ALPHA": scale * alpha,
              "GELU_TANH_C": 2 * mp.sqrt(2 / mp.pi), "GELU_TANH_A": mp.mpf("0.044715"),
              "GELU_TANH_3A": 3 * mp.mpf("0.044715"),
              "INV_SQRT2": 1 / mp.sqrt(2), "INV_SQRT_2PI": 1 / mp.sqrt(2 * mp.pi)}
    for name, v in consts.items():
        hi = mp.mpf(float(v))
        print(f"#define FA_{name}_HI {c_double(hi)}")
        print(f"#define FA_{name}_LO {c_double(v - hi)}")
    # ---- erf(z) = (2/sqrt(pi)) sum (-1)^n z^(2n+1) / (n! (2n+1)) on |z| < 1/2: z P(z^2)
    for name, nterms, fmt in (("F32", 7, c_float), ("F64", 13, c_double)):
        emit_list(f"FA_ERF_TAYLOR_{name}",
                  [2 / mp.sqrt(mp.pi) * (-1) ** n / (mp.factorial(n) * (2 * n + 1)) for n in range(nterms)], fmt)
    # ---- tanhshrink: (x - tanh x) / x^3 as a polynomial in y = x^2 on [0, 1]
    def shrink(y):
        x = mp.sqrt(y)
        return (x - mp.tanh(x)) / (x * y) if y else mp.mpf(1) / 3
    for name, deg, fmt in (("F32", 8, c_float), ("F64", 17, c_double)):
        mono = to_t_basis(chebyshev_fit(shrink, mp.mpf(0), mp.mpf(1), deg), mp.mpf(0), mp.mpf(1))
        err = max_rel_error(shrink, mono, mp.mpf(0), mp.mpf(1), lambda c: float.fromhex(fmt(c).rstrip("f")))
        print(f"/* (x - tanh x) / x^3 in x^2 on [0, 1], degree {deg}: max relative error {mp.nstr(err, 3)} */")
        emit_list(f"FA_TANHSHRINK_{name}", mono, fmt)
    # float64 tanhshrink's value: what rounding c_0 and c_1 to double leaves out (its last two
    # Horner steps are double-doubles)
    emit_list("FA_TANHSHRINK_LO_F64", [c - mp.mpf(float(c)) for c in mono[:2]], c_double)
    # ---- tanh below 0.55: the same function of y = x^2 on [0, 0.3025], fewer terms
    for name, deg, fmt in (("F32", 5, c_float), ("F64", 10, c_double)):
        top = mp.mpf("0.3025")
        mono = to_t_basis(chebyshev_fit(shrink, mp.mpf(0), top, deg), mp.mpf(0), top)
        err = max_rel_error(shrink, mono, mp.mpf(0), top, lambda c: float.fromhex(fmt(c).rstrip("f")))
        print(f"/* (x - tanh x) / x^3 in x^2 on [0, 0.3025], degree {deg}: max relative error {mp.nstr(err, 3)} */")
        emit_list(f"FA_TANH_SMALL_{name}", mono, fmt)
    # ---- derivatives with a zero: f'(x0 + t) = t P(t) on |t| <= R (float64 kernels)
    derivative_zeros()
    gelu_series()
    # ---- 2/pi as 64-bit words (first word: bits 2^-1 .. 2^-64), enough for any double exponent
    mp.mp.dps = 400
    v = 2 / mp.pi
    words = []
    for _ in range(20):
        v *= mp.mpf(2) ** 64
        w = int(mp.floor(v))
        words.append(w)
        v -= w
    print("#define FA_TWO_OVER_PI_WORDS {" + ", ".join(f"0x{w:016x}u" for w in words) + "}")
    mp.mp.dps = 60
    float32_lite()
    mp.mp.dps = 40
    gelu_erfc_f32()


def exp_fast_f32(degree=4):
    """float32 e^r - 1 = r + r^2 q(r) on |r| <= ln2/2 (plus the reduction's slack), q of degree 4
    interpolated at Chebyshev nodes (near-minimax): Taylor needs degree 5 for the same error."""
    a = -mp.log(2) / 2 * (1 + mp.mpf(2) ** -10)

    def q(r):  # (e^r - 1 - r) / r^2 by its series: no cancellation at r = 0
        return mp.fsum(r ** k / mp.factorial(k + 2) for k in range(40))
    mono = to_t_basis(chebyshev_fit(q, a, -a, degree), a, -a)
    err = max_rel_error(q, mono, a, -a, lambda c: float.fromhex(c_float(c).rstrip("f")))
    print(f"/* float32 (e^r - 1 - r) / r^2 on |r| <= ln2/2, degree {degree} near-minimax: max relative "
          f"error {mp.nstr(err, 3)} (of q; r^2 q is at most 6% of e^r - 1) */")
    emit_list("FA_EXP_FAST_Q_F32", mono, c_float)
    # silu' = t P(t) next to its zero x0 in float (x0 as a float pair), |t| <= 1/8
    x0, radius = mp.findroot(silu_d, -1), mp.mpf(1) / 8
    slope = mp.diff(silu_d, x0)

    def p(t):
        return silu_d(x0 + t) / t if t else slope
    for deg in range(2, 20):
        mono = to_t_basis(chebyshev_fit(p, -radius, radius, deg), -radius, radius)
        if max_rel_error(p, mono, -radius, radius, lambda c: c, samples=200) < mp.mpf(2) ** -30:
            break
    err = max_rel_error(p, mono, -radius, radius, lambda c: float.fromhex(c_float(c).rstrip("f")))
    hi = mp.mpf(float.fromhex(c_float(x0).rstrip("f")))
    print(f"/* float32 silu' = t P(t), t = x - x0, |t| <= {mp.nstr(radius, 3)}: degree {deg}, max "
          f"relative error {mp.nstr(err, 3)} */")
    print(f"#define FA_DZERO_SILU_F32_X0_HI {c_float(hi)}")
    print(f"#define FA_DZERO_SILU_F32_X0_LO {c_float(x0 - hi)}")
    print(f"#define FA_DZERO_SILU_F32_R {c_float(radius)}")
    emit_list("FA_DZERO_SILU_F32", mono, c_float)


# float32 gelu in double ("lite", csrc/fa_functions_f32.inc): erfcx on [0, ZMAX] as one
# polynomial in t = (z - K) / (z + K), no piece selects (ZMAX: gelu and gelu' round to 0 or
# their limit beyond |x| = ZMAX sqrt2 = 14.85)
ERFCX_LITE_K, ERFCX_LITE_ZMAX = mp.mpf(3), mp.mpf("10.5")


def float32_lite(target=mp.mpf(2) ** -29):
    """Fits for the float32 kernels computed in double: relative error `target` (float32's
    2^-24 with room for the evaluation), coefficients in double."""
    k, zmax = ERFCX_LITE_K, ERFCX_LITE_ZMAX
    tlo, thi = mp.mpf(-1), (zmax - k) / (zmax + k)

    def h(t):
        z = k * (1 + t) / (1 - t)
        return mp.exp(z * z) * mp.erfc(z)
    for deg in range(6, 30):
        mono = to_t_basis(chebyshev_fit(h, tlo, thi, deg), tlo, thi)
        err = max_rel_error(h, mono, tlo, thi, lambda c: float(c), samples=400)
        if err < target:
            break
    print(f"/* float32 gelu: erfcx(z) for 0 <= z <= {mp.nstr(zmax, 3)} in t = (z - {mp.nstr(k, 2)}) / "
          f"(z + {mp.nstr(k, 2)}), degree {deg}: max relative error {mp.nstr(err, 3)} */")
    print(f"#define FA_ERFCX_LITE_K {c_double(k)}")
    print(f"#define FA_ERFCX_LITE_ZMAX {c_double(zmax)}")
    emit_list("FA_ERFCX_LITE", mono, c_double)
    # gelu' = t P(t) next to its zero, where Phi + x phi cancels beyond erfcx's fit
    x0 = mp.findroot(gelu_d, -1)
    slope = mp.diff(gelu_d, x0)
    radius = mp.mpf(1) / 8

    def p(t):
        return gelu_d(x0 + t) / t if t else slope
    for deg in range(3, 30):
        mono = to_t_basis(chebyshev_fit(p, -radius, radius, deg), -radius, radius)
        err = max_rel_error(p, mono, -radius, radius, lambda c: float(c), samples=400)
        if err < target:
            break
    print(f"/* float32 gelu' = t P(t), t = x - x0 (FA_DZERO_GELU_X0_*), |t| <= {mp.nstr(radius, 3)}: "
          f"degree {deg}, max relative error {mp.nstr(err, 3)} */")
    print(f"#define FA_DZERO_GELU_LITE_R {c_double(radius)}")
    emit_list("FA_DZERO_GELU_LITE", mono, c_double)


# float32 gelu 'none' in float (csrc/fa_functions_f32.inc, gelu_phi_neg_f32): Phi(-a) = w G(t) e^(-a^2/2),
# w = 1/(a + K), t = (a - K) / (a + K), G = (a + K) erfcx(a/sqrt2) / 2 on 0 <= a <= GELU_F32_AMAX
GELU_F32_K, GELU_F32_AMAX = mp.mpf(4), mp.mpf("14.375")


def gelu_erfc_f32(degree=10):
    """G in t with float coefficients: c1 first, rounded, then the higher ones refitted by
    relatively weighted least squares with the lower ones fixed as rounded (rounding c1 alone
    cost 2^-25 in a plain fit), and so on up; c0 (from the exact fit) as a float pair."""
    k, tlo = GELU_F32_K, mp.mpf(-1)
    thi = (GELU_F32_AMAX - k) / (GELU_F32_AMAX + k)

    def g(t):
        a = k * (1 + t) / (1 - t)
        return (a + k) * mp.exp(a * a / 2) * mp.erfc(a / mp.sqrt(2)) / 2

    def f32(c):
        return mp.mpf(float.fromhex(c_float(c).rstrip("f")))
    npts = 4 * degree
    pts = [(tlo + thi) / 2 + (thi - tlo) / 2 * mp.cos(mp.pi * (j + mp.mpf(1) / 2) / npts) for j in range(npts)]
    gv = [g(t) for t in pts]
    fixed = {0: to_t_basis(chebyshev_fit(g, tlo, thi, degree), tlo, thi)[0]}
    for j in range(1, degree + 1):
        free = list(range(j, degree + 1))
        a, b = mp.matrix(npts, len(free)), mp.matrix(npts, 1)
        for r, t in enumerate(pts):
            for c, i in enumerate(free):
                a[r, c] = t ** i / gv[r]
            b[r] = (gv[r] - mp.fsum(fixed[i] * t ** i for i in fixed)) / gv[r]
        fixed[j] = f32(mp.lu_solve(a.T * a, a.T * b)[0])
    c0h = f32(fixed[0])
    c0l = f32(fixed[0] - c0h)
    worst = 0
    for s in range(3001):
        t = tlo + (thi - tlo) * s / 3000
        p = mp.fsum(fixed[i] * t ** i for i in range(1, degree + 1)) + c0h + c0l
        worst = max(worst, abs(p / g(t) - 1))
    print(f"/* float32 gelu 'none': G(t) = (a + K) erfcx(a/sqrt2) / 2 for 0 <= a <= {mp.nstr(GELU_F32_AMAX, 6)}, "
          "t = (a - K) / (a + K),")
    print(f" * degree {degree}, coefficients c1 .. c{degree} in float (least squares with the lower ones fixed "
          "as rounded),")
    print(f" * c0 as a float pair: max relative error 2^{float(mp.log(worst, 2)):.1f} */")
    print(f"#define FA_GELU_ERFC_F32_K {c_float(k)}")
    print(f"#define FA_GELU_ERFC_F32_C0_HI {c_float(c0h)}")
    print(f"#define FA_GELU_ERFC_F32_C0_LO {c_float(c0l)}")
    emit_list("FA_GELU_ERFC_F32", [fixed[i] for i in range(1, degree + 1)], c_float)


if __name__ == "__main__":
    import sys

    reference_series() if sys.argv[1:] == ["--reference"] else main()
