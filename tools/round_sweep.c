/*
 * round_sweep.c -- exhaustive proof that float32 hard_sigmoid and hardswish (values and
 * derivatives) are correctly rounded: every one of the 2^32 bit patterns through the kernels of
 * every ISA this machine runs, each result compared bit for bit with the correctly rounded
 * value.  The C counterpart of tools/check_rounding.py (same claim, minutes instead of hours).
 *
 *   bash tools/round_sweep.sh [function ...]       (builds this against every ISA's kernels)
 *   FA_ROUND_SWEEP_LIST=1 in the environment prints every input that fails.
 *
 * The correctly rounded value of N/6 (N = x + 3, x (x + 3) or 2x + 3) comes from double where
 * that is far from a midpoint, else from binary128: for |x| >= 2^-40 (hardswish) or 2^-60
 * (the others) N is exact there (x + 3 spans at most 64
 * bits, x (x + 3) at most 88, of 113), and N/6 is either exactly representable (then the
 * division is exact and the conversion to float rounds a tie to even, as it must) or at least
 * ulp(x)^2 / 6 away from every float midpoint, far more than the 2^-113 relative error of the
 * division: the conversion rounds it correctly.  Below: hardswish is x/2 + x^2/6 with x^2/6
 * below 2^-56 ulp of x/2, so it rounds as x/2 with a tie broken upward (toward +inf); the
 * others round to 1/2.  Outside (-3, 3) the piecewise constants (0, 1, x; -0.0 kept where the
 * formula gives it).  Runs of 2^20 inputs start at multiples of 2^20 bit patterns, so blocks
 * of the loops' certified forms split where the bit patterns of powers of two do.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastact.h"

static float from_bits(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }
static uint32_t to_bits(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }

/* N/6 correctly rounded to float: from vd ~ N/6 (double, relative error below 2^-50) where it
 * is farther than 2^-45 vd from both midpoints around its rounding, from binary128 (N exact
 * there) otherwise */
enum { N_X_PLUS_3, N_2X_PLUS_3, N_X_TIMES_X_PLUS_3 };
static float round_sixth(float x, int form)
{
    const double xd = x, vd = (form == N_X_PLUS_3 ? xd + 3 : form == N_2X_PLUS_3 ? 2 * xd + 3 : xd * (xd + 3)) / 6;
    const float r = (float)vd;
    const double up = nextafterf(r, INFINITY), dn = nextafterf(r, -INFINITY);
    const double tol = 0x1p-45 * fabs(vd);
    if (fabs(vd - ((double)r + up) / 2) > tol && fabs(vd - ((double)r + dn) / 2) > tol) return r;
    const __float128 q = x;
    const __float128 n = form == N_X_PLUS_3 ? q + 3 : form == N_2X_PLUS_3 ? 2 * q + 3 : q * (q + 3);
    return (float)(n / 6);
}

/* x/2 rounded to nearest with a tie broken toward +inf (|x| < 2^-40: hardswish) */
static float half_tie_up(float x)
{
    const float h = x * 0.5f; /* exact unless x/2 is a subnormal tie */
    if ((double)h * 2 == (double)x) return h;
    const double k = fabs((double)x) * 0x1p149; /* x in units of 2^-149: an odd integer */
    const double m = x > 0 ? (k + 1) / 2 : (k - 1) / 2;
    return copysignf((float)(m * 0x1p-149), x);
}

static float expected(int fn, int deriv, float x)
{
    if (isnan(x)) return x;
    const int inside = x > -3 && x < 3;
    if (fn == FA_FN_hard_sigmoid) {
        if (deriv) return inside ? (float)(1.0 / 6.0) : 0.0f;
        if (!inside) return x <= -3 ? 0.0f : 1.0f;
        return fabsf(x) < 0x1p-60f ? 0.5f : round_sixth(x, N_X_PLUS_3);
    }
    /* hardswish */
    if (deriv) {
        if (!inside) return x <= -3 ? 0.0f : 1.0f;
        return fabsf(x) < 0x1p-60f ? 0.5f : round_sixth(x, N_2X_PLUS_3);
    }
    if (!inside) return x <= -3 ? 0.0f : x;
    return fabsf(x) < 0x1p-40f ? half_tie_up(x) : round_sixth(x, N_X_TIMES_X_PLUS_3);
}

int main(int argc, char **argv)
{
    static const char *const all[] = {"hard_sigmoid", "hardswish"};
    const char *const *names = argc > 1 ? (const char *const *)argv + 1 : all;
    const int count = argc > 1 ? argc - 1 : 2;
    enum { CHUNK = 1 << 20 };
    float *x = malloc(CHUNK * sizeof *x), *y = malloc(CHUNK * sizeof *y), *want = malloc(CHUNK * sizeof *want);
    int failed = 0;
    for (int f = 0; f < count; f++) {
        int fn = -1;
        for (int i = 0; i < FA_NUM_FUNCTIONS; i++)
            if (!strcmp(fa_function_name(i), names[f])) fn = i;
        if (fn != FA_FN_hard_sigmoid && fn != FA_FN_hardswish) {
            fprintf(stderr, "round_sweep: %s: only hard_sigmoid and hardswish\n", names[f]);
            return 2;
        }
        for (int deriv = 0; deriv < 2; deriv++) {
            uint64_t bad[FA_NUM_ISAS] = {0};
            float first_bad[FA_NUM_ISAS] = {0};
            for (uint64_t start = 0; start < (1ull << 32); start += CHUNK) {
                for (uint32_t i = 0; i < CHUNK; i++) {
                    x[i] = from_bits((uint32_t)(start + i));
                    want[i] = expected(fn, deriv, x[i]);
                }
                for (int isa = 0; isa < FA_NUM_ISAS; isa++) {
                    if (!fa_isa_compiled(isa) || !fa_isa_supported(isa)) continue;
                    const fa_kernel k = fa_kernel_table(isa)[FA_TABLE_INDEX(fn, deriv ? FA_GRAD : FA_FORWARD, FA_F32)];
                    fa_params p;
                    memset(&p, 0, sizeof p);
                    k(CHUNK, x, NULL, y, &p);
                    for (uint32_t i = 0; i < CHUNK; i++) {
                        const int same = isnan(want[i]) ? isnan(y[i]) : to_bits(y[i]) == to_bits(want[i]);
                        if (!same && bad[isa]++ == 0) first_bad[isa] = x[i];
                        if (!same && getenv("FA_ROUND_SWEEP_LIST"))
                            printf("  %s x = %.9g (0x%08x): got %.9g, want %.9g\n", fa_isa_name(isa), x[i],
                                   to_bits(x[i]), y[i], want[i]);
                    }
                }
            }
            for (int isa = 0; isa < FA_NUM_ISAS; isa++) {
                if (!fa_isa_compiled(isa) || !fa_isa_supported(isa)) continue;
                printf("%-13s %-10s %-8s 2^32 inputs: %llu not correctly rounded", names[f],
                       deriv ? "derivative" : "value", fa_isa_name(isa), (unsigned long long)bad[isa]);
                if (bad[isa]) printf(" (first at x = %.9g)", first_bad[isa]);
                printf("\n");
                failed |= bad[isa] != 0;
            }
            fflush(stdout);
        }
    }
    free(x);
    free(y);
    free(want);
    return failed;
}
