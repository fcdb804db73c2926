/*
 * kernel_check.c -- the C kernels on their own, built with -fsanitize=address,undefined
 * (tools/sanitize.sh): every function x mode x dtype x ISA this CPU runs, on every size from 0
 * to 67 and a few large ones, out of place and in place, at every misalignment of the start.
 * Checks: no sanitizer report; in-place == out-of-place bit for bit; identical results at every
 * offset (vector body vs scalar tail); fa_parallel_run with 2..5 threads == one call, bit for
 * bit (also run under ThreadSanitizer by tools/sanitize.sh); values and derivatives within the
 * registry's ULP bounds of a long double evaluation, backward == g * grad (check_accuracy).
 */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fa_api.h"

static int failures = 0;

#define CHECK(cond, ...)                                    \
    do {                                                    \
        if (!(cond)) {                                      \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                   \
            fprintf(stderr, "\n");                          \
            failures++;                                     \
        }                                                   \
    } while (0)

static double input_value(size_t i)
{
    static const double edges[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e-45, -1e-45, 3.0, -3.0,
                                   6.0, -6.0, 0.5, -0.5, 1.0, -1.0, 88.7, -88.7, -104.0, 1e30, -1e30,
                                   3.4e38, -3.4e38, 1e-310, -745.0, 710.0};
    const size_t ne = sizeof edges / sizeof edges[0];
    if (i % 3 == 0) return edges[(i / 3) % ne];
    return sin((double)i * 12.9898) * 12.0; /* deterministic spread over [-12, 12] */
}

static void fill(void *buf, int dtype, size_t n, size_t seed)
{
    for (size_t i = 0; i < n; i++) {
        const double v = input_value(i + seed);
        if (dtype == FA_F32) ((float *)buf)[i] = (float)v;
        else if (dtype == FA_F64) ((double *)buf)[i] = v;
        else ((uint16_t *)buf)[i] = (uint16_t)((i + seed) * 40503u); /* every 16-bit pattern kind */
    }
}

/* Several threads calling fa_parallel_run at once: each must get exact results and none may
 * hang (only one job is in flight; the others run on their own thread). */
typedef struct caller_arg {
    const fa_kernel *table;
    int id, bad;
} caller_arg;

static void *caller_main(void *p)
{
    caller_arg *a = p;
    const size_t n = 50000;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *y1 = malloc(n * sizeof *y1);
    fa_params params;
    memset(&params, 0, sizeof params);
    fill(x, FA_F32, n, (size_t)a->id);
    const fa_kernel k = a->table[FA_TABLE_INDEX(FA_FN_sigmoid, FA_FORWARD, FA_F32)];
    k(n, x, NULL, y1, &params);
    for (int rep = 0; rep < 200; rep++) {
        fa_parallel_run(k, n, x, NULL, y, &params, sizeof *x, 2 + rep % 3);
        if (memcmp(y, y1, n * sizeof *y) != 0) a->bad++;
    }
    free(x), free(y), free(y1);
    return NULL;
}

/* Many short jobs from several callers at once: jobs that overlap their predecessors' last
 * blocks.  A lost wake-up here once left a caller waiting forever (tools/sanitize.sh runs
 * this under `timeout`, so a regression fails instead of hanging). */
static void *stress_main(void *p)
{
    const fa_kernel *table = p;
    const size_t n = 2 * 4096 + 100; /* three blocks */
    float *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
    fa_params params;
    memset(&params, 0, sizeof params);
    const fa_kernel k = table[FA_TABLE_INDEX(FA_FN_relu, FA_FORWARD, FA_F32)];
    for (int rep = 0; rep < 2000; rep++) fa_parallel_run(k, n, x, NULL, y, &params, sizeof *x, 2 + rep % 3);
    free(x), free(y);
    return NULL;
}

static void check_concurrent_callers(void)
{
    for (int round = 0; round < 20; round++) {
        pthread_t t[6];
        for (int i = 0; i < 6; i++) pthread_create(&t[i], NULL, stress_main, (void *)fa_kernel_table(FA_ISA_BASELINE));
        for (int i = 0; i < 6; i++) pthread_join(t[i], NULL);
    }
    enum { NCALLERS = 4 };
    pthread_t t[NCALLERS];
    caller_arg args[NCALLERS];
    for (int i = 0; i < NCALLERS; i++) {
        args[i] = (caller_arg){.table = fa_kernel_table(FA_ISA_BASELINE), .id = i, .bad = 0};
        pthread_create(&t[i], NULL, caller_main, &args[i]);
    }
    for (int i = 0; i < NCALLERS; i++) {
        pthread_join(t[i], NULL);
        CHECK(args[i].bad == 0, "concurrent caller %d got %d wrong results", i, args[i].bad);
    }
}

/* ---- accuracy: every kernel against a long double evaluation of its formula -------------
 * Error in ULPs of the result's dtype at the reference (subnormal spacing included); the
 * bound is the registry's (src/fastact/_registry.py) + 0.5, so an "exact" function (bound 0)
 * must be correctly rounded.  Parameters as in main(): v[0] = 0.5, v[1] = 2.0.  Functions
 * without an entry here are skipped (and counted).  backward must equal g * grad exactly. */
typedef long double ld;
typedef struct ref_entry {
    const char *name;
    ld (*value)(ld x, const double *p);
    ld (*deriv)(ld x, const double *p);
    double bound[2][2]; /* [dtype][value, derivative] */
} ref_entry;

static ld r_identity(ld x, const double *p) { (void)p; return x; }
static ld d_one(ld x, const double *p) { (void)p, (void)x; return 1; }
static ld d_zero(ld x, const double *p) { (void)p, (void)x; return 0; }
static ld r_relu(ld x, const double *p) { (void)p; return x > 0 ? x : 0; }
static ld d_relu(ld x, const double *p) { (void)p; return x > 0; }
static ld r_relu6(ld x, const double *p) { (void)p; return x < 0 ? 0 : x > 6 ? 6 : x; }
static ld d_relu6(ld x, const double *p) { (void)p; return x > 0 && x < 6; }
static ld r_leaky(ld x, const double *p) { return x > 0 ? x : (ld)p[0] * x; }
static ld d_leaky(ld x, const double *p) { return x > 0 ? 1 : (ld)p[0]; }
static ld r_hardtanh(ld x, const double *p) { return x < p[0] ? p[0] : x > p[1] ? p[1] : x; }
static ld d_hardtanh(ld x, const double *p) { return x > p[0] && x < p[1]; }
static ld r_hsig(ld x, const double *p) { (void)p; return x <= -3 ? 0 : x >= 3 ? 1 : (x + 3) / 6; }
static ld d_hsig(ld x, const double *p) { (void)p; return x > -3 && x < 3 ? 1.0L / 6 : 0; }
static ld r_hswish(ld x, const double *p) { (void)p; return x <= -3 ? 0 : x >= 3 ? x : x * (x + 3) / 6; }
static ld d_hswish(ld x, const double *p) { (void)p; return x <= -3 ? 0 : x >= 3 ? 1 : (2 * x + 3) / 6; }
static ld r_hshrink(ld x, const double *p) { return fabsl(x) > p[0] ? x : 0; }
static ld d_shrink(ld x, const double *p) { return fabsl(x) > p[0]; }
static ld r_sshrink(ld x, const double *p) { return x > p[0] ? x - p[0] : x < -p[0] ? x + p[0] : 0; }
static ld r_threshold(ld x, const double *p) { return x > p[0] ? x : (ld)p[1]; }
static ld d_threshold(ld x, const double *p) { return x > p[0]; }
static ld r_step(ld x, const double *p) { return x > 0 ? 1 : x < 0 ? 0 : (ld)p[0]; }
static ld r_sigmoid(ld x, const double *p) { (void)p; return 1 / (1 + expl(-x)); }
static ld d_sigmoid(ld x, const double *p)
{
    (void)p;
    const ld e = expl(-fabsl(x)); /* s (1 - s) = e / (1 + e)^2, no overflow */
    return e / ((1 + e) * (1 + e));
}
static ld r_tanh(ld x, const double *p) { (void)p; return tanhl(x); }
static ld d_tanh(ld x, const double *p)
{
    (void)p;
    const ld e = expl(-2 * fabsl(x));
    return 4 * e / ((1 + e) * (1 + e));
}

static const ref_entry refs[] = {
    {"identity", r_identity, d_one, {{0, 0}, {0, 0}}},
    {"relu", r_relu, d_relu, {{0, 0}, {0, 0}}},
    {"relu6", r_relu6, d_relu6, {{0, 0}, {0, 0}}},
    {"leaky_relu", r_leaky, d_leaky, {{0, 0}, {1, 0}}},
    {"hardtanh", r_hardtanh, d_hardtanh, {{0, 0}, {0, 0}}},
    {"hard_sigmoid", r_hsig, d_hsig, {{0, 0}, {1, 0}}},
    {"hardswish", r_hswish, d_hswish, {{1, 0}, {1, 1}}},
    {"hardshrink", r_hshrink, d_shrink, {{0, 0}, {0, 0}}},
    {"softshrink", r_sshrink, d_shrink, {{0, 0}, {0, 0}}},
    {"threshold", r_threshold, d_threshold, {{0, 0}, {0, 0}}},
    {"step", r_step, d_zero, {{0, 0}, {0, 0}}},
    {"sigmoid", r_sigmoid, d_sigmoid, {{2, 4}, {2, 4}}},
    {"tanh", r_tanh, d_tanh, {{3, 4}, {3, 5}}},
};

/* |got - ref| in ULPs of dtype at ref; NaN/inf agreement 0, disagreement infinity. */
static double ulp_error(ld got, ld ref, int dtype)
{
    if (isnan(got) || isnan(ref)) return isnan(got) && isnan(ref) ? 0 : INFINITY;
    const ld rounded = dtype == FA_F32 ? (ld)(float)ref : (ld)(double)ref;
    if (isinf(got) || isinf(ref)) return got == rounded ? 0 : INFINITY;
    const int mant = dtype == FA_F32 ? 23 : 52;
    const ld min_normal = dtype == FA_F32 ? (ld)FLT_MIN : (ld)DBL_MIN;
    ld mag = fabsl(ref);
    if (mag < min_normal) mag = min_normal;
    int e;
    frexpl(mag, &e); /* mag = m 2^e, m in [0.5, 1) */
    return (double)(fabsl(got - ref) / ldexpl(1, e - 1 - mant));
}

static ld element(const void *buf, int dtype, size_t i)
{
    return dtype == FA_F32 ? (ld)((const float *)buf)[i] : (ld)((const double *)buf)[i];
}

/* Dense inputs: every edge value, a sweep over [-20, 20], and the kinks' neighbours. */
static size_t accuracy_inputs(void *buf, int dtype, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < 75 && n < cap; i++) {
        const double v = input_value(3 * i);
        if (dtype == FA_F32) ((float *)buf)[n++] = (float)v; else ((double *)buf)[n++] = v;
    }
    for (size_t i = 0; i <= 40000 && n < cap; i++) {
        const double v = -20.0 + 40.0 * (double)i / 40000.0;
        if (dtype == FA_F32) ((float *)buf)[n++] = (float)v; else ((double *)buf)[n++] = v;
    }
    static const double kinks[] = {-6, -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, 6, -88.7, -103.5, -745};
    for (size_t k = 0; k < sizeof kinks / sizeof kinks[0]; k++)
        for (int s = -1; s <= 1; s += 2)
            for (int step = 1; step < 4 && n < cap; step++) {
                if (dtype == FA_F32) {
                    float v = (float)kinks[k];
                    for (int t = 0; t < step; t++) v = nextafterf(v, s * INFINITY);
                    ((float *)buf)[n++] = v;
                } else {
                    double v = kinks[k];
                    for (int t = 0; t < step; t++) v = nextafter(v, s * INFINITY);
                    ((double *)buf)[n++] = v;
                }
            }
    return n;
}

static void check_accuracy(const fa_kernel *table, const char *isa)
{
    enum { CAP = 41000 };
    double *x = malloc(CAP * 8), *y = malloc(CAP * 8), *g = malloc(CAP * 8), *b = malloc(CAP * 8);
    fa_params params;
    memset(&params, 0, sizeof params);
    params.v[0] = 0.5, params.v[1] = 2.0;
    int skipped = 0;
    for (int fn = 0; fn < FA_NUM_FUNCTIONS; fn++) {
        const ref_entry *r = NULL;
        for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++)
            if (strcmp(refs[k].name, fa_function_name(fn)) == 0) r = &refs[k];
        if (!r) { skipped++; continue; }
        for (int dt = FA_F32; dt <= FA_F64; dt++) { /* native dtypes; 16-bit kernels wrap float32 */
            const size_t n = accuracy_inputs(x, dt, CAP);
            for (int mode = FA_FORWARD; mode <= FA_GRAD; mode++) {
                const fa_kernel k = table[FA_TABLE_INDEX(fn, mode, dt)];
                if (!k) continue;
                k(n, x, NULL, y, &params);
                double worst = 0;
                size_t at = 0;
                for (size_t i = 0; i < n; i++) {
                    const ld xi = element(x, dt, i);
                    const ld want = isnan(xi) ? xi : (mode == FA_FORWARD ? r->value : r->deriv)(xi, params.v);
                    const double err = ulp_error(element(y, dt, i), want, dt);
                    if (err > worst) worst = err, at = i;
                }
                const double bound = r->bound[dt][mode] + 0.5;
                CHECK(worst <= bound, "%s %s %s %s: %.2f ULP at x = %.17Lg (bound %.1f)", isa, r->name,
                      mode == FA_FORWARD ? "value" : "derivative", dt == FA_F32 ? "float32" : "float64",
                      worst, element(x, dt, at), bound);
            }
            /* backward == g * grad, bit for bit */
            const fa_kernel kb = table[FA_TABLE_INDEX(fn, FA_BACKWARD, dt)];
            const fa_kernel kg = table[FA_TABLE_INDEX(fn, FA_GRAD, dt)];
            if (kb && kg) {
                fill(g, dt, n, 5);
                kg(n, x, NULL, y, &params);
                kb(n, x, g, b, &params);
                size_t bad = 0;
                for (size_t i = 0; i < n; i++) {
                    if (dt == FA_F32) {
                        const float w = ((float *)g)[i] * ((float *)y)[i], got = ((float *)b)[i];
                        bad += !(w == got || (isnan(w) && isnan(got)));
                    } else {
                        const double w = g[i] * y[i], got = b[i];
                        bad += !(w == got || (isnan(w) && isnan(got)));
                    }
                }
                CHECK(bad == 0, "%s %s: backward != g * grad at %zu elements", isa, r->name, bad);
            }
        }
    }
    printf("kernel_check: accuracy on %s: %d functions checked against long double, %d without "
           "a C reference skipped\n", isa, FA_NUM_FUNCTIONS - skipped, skipped);
    free(x), free(y), free(g), free(b);
}

int main(void)
{
    check_concurrent_callers();
    for (int isa = 0; isa < FA_NUM_ISAS; isa++)
        if (fa_isa_compiled(isa) && fa_isa_supported(isa))
            check_accuracy(fa_kernel_table(isa), fa_isa_name(isa));
    const size_t sizes[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 67,
                            1000, 4099};
    const size_t max_n = 3 * 4096 + 1000; /* several pool blocks */
    fa_params params;
    memset(&params, 0, sizeof params);
    params.v[0] = 0.5; /* a valid value for every function's first parameter */
    params.v[1] = 2.0;
    unsigned char *x = malloc(max_n * 8 + 64), *g = malloc(max_n * 8 + 64);
    unsigned char *out = malloc(max_n * 8 + 64), *ref = malloc(max_n * 8 + 64);
    unsigned char *inplace = malloc(max_n * 8 + 64);
    long checked = 0;
    for (int isa = 0; isa < FA_NUM_ISAS; isa++) {
        if (!fa_isa_compiled(isa) || !fa_isa_supported(isa)) continue;
        const fa_kernel *table = fa_kernel_table(isa);
        for (int fn = 0; fn < FA_NUM_FUNCTIONS; fn++)
            for (int mode = 0; mode < FA_NUM_MODES; mode++)
                for (int dt = 0; dt < FA_NUM_DTYPES; dt++) {
                    const fa_kernel k = table[FA_TABLE_INDEX(fn, mode, dt)];
                    if (!k) continue;
                    const size_t es = FA_DTYPE_ITEMSIZE(dt);
                    const int with_g = mode == FA_BACKWARD || mode == FA_BACKWARD_FROM_Y;
                    /* reference: the largest size, aligned */
                    fill(x, dt, max_n, 0);
                    fill(g, dt, max_n, 7);
                    k(max_n, x, with_g ? g : NULL, ref, &params);
                    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
                        for (size_t off = 0; off < 8; off += 3) {
                            const size_t n = sizes[s];
                            void *xs = x + off * es, *gs = g + off * es;
                            /* exact-size heap blocks so ASan sees any overrun */
                            void *xo = malloc(n * es + 1), *oo = malloc(n * es + 1);
                            memcpy(xo, xs, n * es);
                            k(n, xo, with_g ? gs : NULL, oo, &params);
                            CHECK(memcmp(oo, ref + off * es, n * es) == 0,
                                  "%s mode %d dtype %d isa %s n %zu offset %zu differs from the "
                                  "same elements computed at another offset",
                                  fa_function_name(fn), mode, dt, fa_isa_name(isa), n, off);
                            memcpy(inplace, xs, n * es);
                            k(n, inplace, with_g ? gs : NULL, inplace, &params);
                            CHECK(memcmp(inplace, oo, n * es) == 0, "%s mode %d: in place differs",
                                  fa_function_name(fn), mode);
                            free(xo);
                            free(oo);
                            checked++;
                        }
                    /* the strided runner: every other element of x (and g) and of out, and
                     * reversed, give the same values as the contiguous call */
                    for (int variant = 0; variant < 2; variant++) {
                        const size_t m = 3 * 512 + 77; /* several gather blocks and a tail */
                        unsigned char *xs = malloc(2 * m * es), *gs = malloc(2 * m * es);
                        unsigned char *os = malloc(2 * m * es);
                        const intptr_t step = variant ? -(intptr_t)es : 2 * (intptr_t)es;
                        const size_t first = variant ? m - 1 : 0;
                        for (size_t i = 0; i < m; i++) {
                            memcpy(xs + (intptr_t)(first * es) + (intptr_t)i * step, x + i * es, es);
                            memcpy(gs + (intptr_t)(first * es) + (intptr_t)i * step, g + i * es, es);
                        }
                        fa_run_strided(k, (intptr_t)m, (char *)xs + first * es, step,
                                       with_g ? (char *)gs + first * es : NULL, step,
                                       (char *)os + first * es, step, &params, es, 1);
                        int same = 1;
                        for (size_t i = 0; i < m; i++)
                            same &= memcmp(os + (intptr_t)(first * es) + (intptr_t)i * step, ref + i * es, es) == 0;
                        CHECK(same, "%s mode %d dtype %d: strided (variant %d) differs",
                              fa_function_name(fn), mode, dt, variant);
                        free(xs), free(gs), free(os);
                    }
                    /* the thread pool: any thread count gives the same bytes */
                    const size_t big = max_n;
                    for (int nt = 2; nt <= 5; nt++) {
                        memset(out, 0, big * es);
                        fa_parallel_run(k, big, x, with_g ? g : NULL, out, &params, es, nt);
                        CHECK(memcmp(out, ref, big * es) == 0, "%s mode %d: %d threads differ",
                              fa_function_name(fn), mode, nt);
                    }
                }
    }
    free(x), free(g), free(out), free(ref), free(inplace);
    printf("kernel_check: %ld kernel runs, %d failures\n", checked, failures);
    return failures ? 1 : 0;
}
