/*
 * ulp_sweep.c -- exhaustive float32 accuracy of the kernels: every one of the 2^32 bit patterns
 * through a kernel of the chosen ISA, against a reference computed in double with libm (fine in
 * a checker, never in the kernels), reporting the max error in float32 ULPs per function and
 * mode and where it happens.  Much faster than the NumPy sweep of `python -m fastact accuracy
 * --exhaustive`; the double reference is ~2^-50 accurate, far below a float32 ULP.
 *
 *   cc -O2 -Icsrc tools/ulp_sweep.c csrc/fa_dispatch.c <kernel objects> -lm -o ulp_sweep
 *   ./ulp_sweep [isa] [function ...]        (see tools/ulp_sweep.sh, which builds and runs it)
 *
 * FA_SWEEP_STRIDE=k in the environment checks every k-th bit pattern only (a quick look while
 * iterating on a kernel; the bounds are claimed for k = 1, the default).
 *
 * Default parameters only (alpha = beta = omega = 1, softplus threshold 20, gelu 'none'; the
 * row "gelu_tanh" runs approximate='tanh').  Inputs whose reference is NaN must give NaN.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastact.h"

static double sigm(double v, double *e_out)
{
    const double e = exp(-fabs(v));
    if (e_out) *e_out = e;
    return (v > 0 ? 1.0 : e) / (1.0 + e);
}
static double softplus0(double v) { return fmax(v, 0) + log1p(exp(-fabs(v))); }
static const double SELU_A = 1.6732632423543772848170429916717, SELU_S = 1.0507009873554804934193349852946;
static const double GELU_C = 1.5957691216057307117597842397375; /* 2 sqrt(2/pi) */

/* reference value (mode 0) or derivative (mode 1) of function `name` at x, in double */
static double reference(const char *name, int mode, double x)
{
    double e;
    if (isnan(x)) return x; /* NaN in, NaN out (fmin/fmax below would drop it) */
    if (!strcmp(name, "sigmoid")) {
        const double s = sigm(x, &e);
        return mode ? e / ((1 + e) * (1 + e)) : s;
    }
    if (!strcmp(name, "tanh")) {
        e = exp(-2 * fabs(x));
        return mode ? 4 * e / ((1 + e) * (1 + e)) : tanh(x);
    }
    if (!strcmp(name, "log_sigmoid")) return mode ? sigm(-x, NULL) : fmin(x, 0) - log1p(exp(-fabs(x)));
    if (!strcmp(name, "softsign")) {
        if (mode) return 1 / ((1 + fabs(x)) * (1 + fabs(x)));
        return isinf(x) ? copysign(1, x) : x / (1 + fabs(x));
    }
    if (!strcmp(name, "tanhshrink")) {
        if (mode) return tanh(x) * tanh(x);
        if (fabs(x) < 1e-3) return x * x * x * (1.0 / 3 - x * x * (2.0 / 15 - x * x * 17.0 / 315));
        return x - tanh(x);
    }
    if (!strcmp(name, "elu") || !strcmp(name, "celu")) return x > 0 ? (mode ? 1 : x) : (mode ? exp(x) : expm1(x));
    if (!strcmp(name, "selu")) return SELU_S * (x > 0 ? (mode ? 1 : x) : SELU_A * (mode ? exp(x) : expm1(x)));
    if (!strcmp(name, "softplus")) return x > 20 ? (mode ? 1 : x) : (mode ? sigm(x, NULL) : softplus0(x));
    if (!strcmp(name, "silu")) {
        const double s = sigm(x, NULL);
        if (isinf(x)) return mode ? s : (s == 0 ? copysign(0, x) : x);
        return mode ? s * (1 + x * (1 - s)) : x * s;
    }
    if (!strcmp(name, "gelu")) {
        const double xc = fmin(fmax(x, -64), mode ? 64 : INFINITY);
        const double cdf = 0.5 * erfc(-xc / sqrt(2.0));
        return mode ? cdf + xc * exp(-0.5 * xc * xc) / sqrt(2 * 3.14159265358979323846) : xc * cdf;
    }
    if (!strcmp(name, "gelu_tanh")) {
        const double xc = fmin(fmax(x, -64), 64);
        const double v = GELU_C * (xc + 0.044715 * xc * xc * xc);
        const double s = sigm(v, &e);
        if (!mode) return x > 64 ? x : xc * s;
        return s + xc * GELU_C * (1 + 3 * 0.044715 * xc * xc) * e / ((1 + e) * (1 + e));
    }
    if (!strcmp(name, "mish")) {
        if (isinf(x)) return x > 0 ? (mode ? 1 : x) : -0.0;
        const double t = tanh(softplus0(x));
        return mode ? t + x * (1 - t * t) * sigm(x, NULL) : x * t;
    }
    if (!strcmp(name, "exponential")) return exp(x);
    if (!strcmp(name, "sin")) return mode ? cos(x) : sin(x);
    if (!strcmp(name, "cos")) return mode ? -sin(x) : cos(x);
    fprintf(stderr, "no reference for %s\n", name);
    exit(2);
}

/* |got - ref| in float32 ULPs at ref (subnormal spacing below 2^-126); 0 when both are NaN or
 * the same infinity or ref rounds to got's infinity; inf on a NaN mismatch */
static double ulp_error(float got, double ref)
{
    if (isnan(ref) || isnan(got)) return isnan(ref) && isnan(got) ? 0 : INFINITY;
    if (isinf(got) && (float)ref == got) return 0;
    const double mag = fmax(fabs(fmin(fmax(ref, -0x1.fffffep127), 0x1.fffffep127)), 0x1p-126);
    int e;
    frexp(mag, &e);
    return fabs((double)got - ref) / ldexp(1.0, e - 1 - 23);
}

int main(int argc, char **argv)
{
    const char *isa_name = argc > 1 ? argv[1] : "avx512";
    int isa = -1;
    for (int i = 0; i < FA_NUM_ISAS; i++)
        if (!strcmp(fa_isa_name(i), isa_name)) isa = i;
    if (isa < 0 || !fa_isa_compiled(isa) || !fa_isa_supported(isa)) {
        fprintf(stderr, "ISA %s not available\n", isa_name);
        return 2;
    }
    const fa_kernel *table = fa_kernel_table(isa);
    static const char *const all[] = {"sigmoid", "tanh", "log_sigmoid", "softsign", "tanhshrink", "elu",
                                      "selu", "celu", "softplus", "silu", "gelu", "gelu_tanh", "mish",
                                      "exponential", "sin", "cos"};
    const char *const *names = argc > 2 ? (const char *const *)argv + 2 : all;
    const int count = argc > 2 ? argc - 2 : (int)(sizeof all / sizeof all[0]);
    enum { CHUNK = 1 << 20 };
    const char *stride_env = getenv("FA_SWEEP_STRIDE");
    const uint64_t stride = stride_env && atoi(stride_env) > 0 ? (uint64_t)atoi(stride_env) : 1;
    float *x = malloc(CHUNK * sizeof *x), *y = malloc(CHUNK * sizeof *y);
    printf("%-14s %-10s %12s  %-16s  (%s 2^32 float32 inputs, %s kernels)\n", "function", "mode",
           "max ulp", "at x", stride == 1 ? "all" : "a stride through the", isa_name);
    fflush(stdout);
    for (int f = 0; f < count; f++) {
        const char *name = names[f];
        const char *kernel_name = !strcmp(name, "gelu_tanh") ? "gelu" : name;
        int fn = -1;
        for (int i = 0; i < FA_NUM_FUNCTIONS; i++)
            if (!strcmp(fa_function_name(i), kernel_name)) fn = i;
        if (fn < 0) {
            fprintf(stderr, "unknown function %s\n", name);
            return 2;
        }
        fa_params params;
        memset(&params, 0, sizeof params);
        if (!strcmp(name, "elu") || !strcmp(name, "celu") || !strcmp(name, "silu") || !strcmp(name, "sin") ||
            !strcmp(name, "cos"))
            params.v[0] = 1.0;
        if (!strcmp(name, "softplus")) params.v[0] = 1.0, params.v[1] = 20.0;
        if (!strcmp(name, "gelu_tanh")) params.v[0] = 1.0;
        for (int mode = 0; mode < 2; mode++) {
            const fa_kernel k = table[FA_TABLE_INDEX(fn, mode == 0 ? FA_FORWARD : FA_GRAD, FA_F32)];
            double worst = 0;
            float worst_x = 0;
            for (uint64_t start = 0; start < (1ull << 32); start += CHUNK * stride) {
                for (uint32_t i = 0; i < CHUNK; i++) {
                    const uint32_t b = (uint32_t)(start + i * stride);
                    memcpy(&x[i], &b, sizeof b);
                }
                k(CHUNK, x, NULL, y, &params);
                for (uint32_t i = 0; i < CHUNK; i++) {
                    const double err = ulp_error(y[i], reference(name, mode, (double)x[i]));
                    if (err > worst) worst = err, worst_x = x[i];
                }
            }
            printf("%-14s %-10s %12.3f  %-16.9g\n", name, mode ? "derivative" : "value", worst, worst_x);
            fflush(stdout);
        }
    }
    free(x);
    free(y);
    return 0;
}
