/*
 * kernel_check.c -- the C kernels on their own, built with -fsanitize=address,undefined
 * (tools/sanitize.sh): every function x mode x dtype x ISA this CPU runs, on every size from 0
 * to 67 and a few large ones, out of place and in place, at every misalignment of the start.
 * Checks: no sanitizer report; in-place == out-of-place bit for bit; identical results at every
 * offset (vector body vs scalar tail); fa_parallel_run with 2..5 threads == one call, bit for
 * bit (also run under ThreadSanitizer by tools/sanitize.sh).
 */
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

int main(void)
{
    check_concurrent_callers();
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
