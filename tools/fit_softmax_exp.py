"""Print the polynomial coefficients of the softmax family's exp (csrc/fa_structured.inc,
FA_SMX_EXP_Q_F32/_F64), fitted here with mpmath so that nothing is copied.

    python tools/fit_softmax_exp.py

e^r = 1 + r + r^2 q(r) on the reduced range |r| <= ln2/2 plus 2^-16 (float64: the folded
rounding error of x - max; float32: n from x log2(e) rounded, |x| < 320): q interpolated at Chebyshev nodes (near-minimax), degree 4 for float32
(e^r of degree 6) and 9 for float64 (degree 11).  Printed with the max relative error of
1 + r + r^2 q(r) with the rounded coefficients, in exact arithmetic.
"""
import os
import sys

import mpmath as mp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fit_coefficients import c_double, c_float, chebyshev_fit, to_t_basis  # noqa: E402

mp.mp.dps = 60
A = mp.log(2) / 2 + mp.mpf(2) ** -16


def q(r):
    return mp.fsum(r**k / mp.factorial(k + 2) for k in range(60))  # no cancellation near 0


def main():
    for name, degree, fmt in (("F32", 4, c_float), ("F64", 9, c_double)):
        mono = to_t_basis(chebyshev_fit(q, -A, A, degree), -A, A)
        coeffs = [mp.mpf(float.fromhex(fmt(c)[:-1] if fmt is c_float else fmt(c))) for c in mono]
        worst = 0
        for k in range(4001):
            r = -A + 2 * A * mp.mpf(k) / 4000
            p = mp.mpf(0)
            for c in reversed(coeffs):
                p = p * r + c
            worst = max(worst, abs((1 + r + r * r * p) / mp.exp(r) - 1))
        print(f"/* degree {degree + 2}: max relative error {float(worst):.2e} "
              f"(2^{float(mp.log(worst, 2)):.1f}) */")
        print(f"#define FA_SMX_EXP_Q_{name} {{{', '.join(fmt(c) for c in mono)}}}")


if __name__ == "__main__":
    main()
