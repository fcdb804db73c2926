/*
 * fa_api.c -- the ufunc inner loop, the strided runner and the C API behind the capsule.
 * Compiled once with the baseline flags: everything here moves data around and calls the
 * kernels of the active table, which carry the ISA-specific code.
 */
#include "fa_api.h"

#include <string.h>

fa_function_info fa_info[FA_NUM_FUNCTIONS];
const fa_kernel *fa_active;
int fa_num_threads = 1;
intptr_t fa_parallel_min = 32768;
fa_loop fa_loops[FA_TABLE_SIZE];

static void fa_copies_init(void);

void fa_api_init(void)
{
    fa_copies_init();
    for (int fn = 0; fn < FA_NUM_FUNCTIONS; fn++)
        for (int mode = 0; mode < FA_NUM_MODES; mode++)
            for (int dt = 0; dt < FA_NUM_DTYPES; dt++)
                fa_loops[FA_TABLE_INDEX(fn, mode, dt)] = (fa_loop){fn, mode, dt};
}

int fa_params_valid(const fa_function_info *info, const fa_params *p)
{
    for (int i = 0; i < info->nparams; i++)
        if (p->v[i] != p->v[i]) return 0;
    return fa_rules_hold(info, p);
}

/* ---------------------------------------------------------------- strided data */

/* Blocks of FA_BLOCK_BYTES (3 of them, 12 KiB, stay in L1 next to the data); the kernels get
 * whole multiples of FA_PAD elements (a multiple of every vector length).  Contiguous runs of
 * FA_DIRECT_MIN elements or more may be split across threads. */
#define FA_BLOCK_BYTES 4096
#define FA_PAD 32
#define FA_DIRECT_MIN 4096

/* Copy m elements of `bits`-bit width between a strided and a contiguous array.  Every other
 * element and reversed order get typed loops the compiler vectorizes (permutes); other strides
 * copy element by element.  Instantiated once per instruction set below (the function
 * attribute `target`): the loops only move bits, so every instance gives the same bytes. */
#define FA_DEFINE_COPIES(bits, isa, attr)                                                      \
    attr static void fa_gather##bits##_##isa(void *dst, const char *src, intptr_t stride,      \
                                             intptr_t m)                                       \
    {                                                                                          \
        typedef uint##bits##_t u;                                                              \
        u *d = (u *)dst;                                                                       \
        const u *s = (const u *)(const void *)src;                                             \
        if (stride == (intptr_t)sizeof(u))                                                     \
            memcpy(d, s, (size_t)m * sizeof(u));                                               \
        else if (stride == 2 * (intptr_t)sizeof(u))                                            \
            for (intptr_t i = 0; i < m; i++) d[i] = s[2 * i];                                  \
        else if (stride == -(intptr_t)sizeof(u))                                               \
            for (intptr_t i = 0; i < m; i++) d[i] = s[-i];                                     \
        else                                                                                   \
            for (intptr_t i = 0; i < m; i++) memcpy(&d[i], src + i * stride, sizeof d[i]);     \
    }                                                                                          \
    attr static void fa_scatter##bits##_##isa(char *dst, intptr_t stride, const void *src,     \
                                              intptr_t m)                                      \
    {                                                                                          \
        typedef uint##bits##_t u;                                                              \
        const u *s = (const u *)src;                                                           \
        u *d = (u *)(void *)dst;                                                               \
        if (stride == (intptr_t)sizeof(u))                                                     \
            memcpy(d, s, (size_t)m * sizeof(u));                                               \
        else if (stride == 2 * (intptr_t)sizeof(u))                                            \
            for (intptr_t i = 0; i < m; i++) d[2 * i] = s[i];                                  \
        else if (stride == -(intptr_t)sizeof(u))                                               \
            for (intptr_t i = 0; i < m; i++) d[-i] = s[i];                                     \
        else                                                                                   \
            for (intptr_t i = 0; i < m; i++) memcpy(dst + i * stride, &s[i], sizeof s[i]);     \
    }
#define FA_DEFINE_ISA_COPIES(isa, attr)                                                        \
    FA_DEFINE_COPIES(16, isa, attr)                                                            \
    FA_DEFINE_COPIES(32, isa, attr)                                                            \
    FA_DEFINE_COPIES(64, isa, attr)                                                            \
    static void fa_gather_##isa(void *dst, const char *src, intptr_t stride, intptr_t m,        \
                                size_t itemsize)                                               \
    {                                                                                          \
        if (itemsize == 8) fa_gather64_##isa(dst, src, stride, m);                             \
        else if (itemsize == 4) fa_gather32_##isa(dst, src, stride, m);                        \
        else fa_gather16_##isa(dst, src, stride, m);                                           \
    }                                                                                          \
    static void fa_scatter_##isa(char *dst, intptr_t stride, const void *src, intptr_t m,      \
                                 size_t itemsize)                                              \
    {                                                                                          \
        if (itemsize == 8) fa_scatter64_##isa(dst, stride, src, m);                            \
        else if (itemsize == 4) fa_scatter32_##isa(dst, stride, src, m);                       \
        else fa_scatter16_##isa(dst, stride, src, m);                                          \
    }

typedef void (*fa_gather_fn)(void *dst, const char *src, intptr_t stride, intptr_t m,
                             size_t itemsize);
typedef void (*fa_scatter_fn)(char *dst, intptr_t stride, const void *src, intptr_t m,
                              size_t itemsize);

FA_DEFINE_ISA_COPIES(baseline, )
/* x86-64 with GCC or clang: AVX2 and AVX-512 instances, chosen at init by what the CPU runs
 * (fa_isa_supported), whatever kernel set is forced: they move the same bits. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FA_COPIES_X86 1
FA_DEFINE_ISA_COPIES(avx2, __attribute__((target("avx2"))))
FA_DEFINE_ISA_COPIES(avx512, __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq"))))
#endif
#undef FA_DEFINE_COPIES
#undef FA_DEFINE_ISA_COPIES

/* written once by fa_api_init (at import, before any thread of ours runs), then read only */
static fa_gather_fn fa_gather = fa_gather_baseline;
static fa_scatter_fn fa_scatter = fa_scatter_baseline;

static void fa_copies_init(void)
{
#ifdef FA_COPIES_X86
    if (fa_isa_supported(FA_ISA_AVX512)) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512bw")) {
            fa_gather = fa_gather_avx512, fa_scatter = fa_scatter_avx512;
            return;
        }
    }
    if (fa_isa_supported(FA_ISA_AVX2)) fa_gather = fa_gather_avx2, fa_scatter = fa_scatter_avx2;
#endif
}

/* Whether [a, a + bytes) and [b, b + bytes) have no byte in common (as integers: they may be
 * different objects). */
static int fa_disjoint(const char *a, const char *b, intptr_t bytes)
{
    const uintptr_t ua = (uintptr_t)a, ub = (uintptr_t)b;
    return ua + (uintptr_t)bytes <= ub || ub + (uintptr_t)bytes <= ua;
}

/* Whether contiguous runs `in` and `out` of `bytes` may be cut across threads: the same run
 * (in place, element by element) or disjoint ones.  NumPy passes the loop an out that
 * partially overlaps an input without copying when in-order processing is safe (out behind
 * the input); threads would run a later block first and clobber inputs of an earlier one. */
static int fa_split_safe(const char *in, const char *out, intptr_t bytes)
{
    return in == NULL || in == out || fa_disjoint(in, out, bytes);
}

/* A run shorter than FA_PAD: through blocks padded with zeros (a valid input) to FA_PAD. */
static void fa_run_padded(fa_kernel k, intptr_t m, const char *x, intptr_t sx, const char *g,
                          intptr_t sg, char *out, intptr_t so, const fa_params *p, size_t es)
{
    _Alignas(64) unsigned char xb[FA_PAD * 8], gb[FA_PAD * 8], ob[FA_PAD * 8];
    fa_gather(xb, x, sx, m, es);
    memset(xb + m * (intptr_t)es, 0, (size_t)(FA_PAD - m) * es);
    if (g != NULL) {
        fa_gather(gb, g, sg, m, es);
        memset(gb + m * (intptr_t)es, 0, (size_t)(FA_PAD - m) * es);
    }
    k(FA_PAD, xb, g != NULL ? gb : NULL, ob, p);
    fa_scatter(out, so, ob, m, es);
}

void fa_run_strided(fa_kernel k, intptr_t n, const char *x, intptr_t sx, const char *g,
                    intptr_t sg, char *out, intptr_t so, const fa_params *p, size_t itemsize,
                    int cost)
{
    const intptr_t es = (intptr_t)itemsize;
    /* operands the kernel reads or writes where they are (contiguous); the others go through
     * L1 blocks (gathered before, scattered after) */
    const int dx = sx == es, dg = g == NULL || sg == es, dout = so == es;
    if (dx && dg && dout && n >= FA_DIRECT_MIN && fa_num_threads > 1 &&
        n * cost >= fa_parallel_min && fa_split_safe(x, out, n * es) &&
        fa_split_safe(g, out, n * es)) {
        fa_parallel_run(k, (size_t)n, x, g, out, p, itemsize, fa_num_threads);
        return;
    }
    /* inputs read backwards (a reversed view) into a forward out: the kernel reads each block
     * of them forwards from its low end into a buffer, which is written to out in reverse.
     * The memory streams stay ascending and the one reversal happens in L1 (gathering the
     * inputs backwards instead left the kernel waiting on them). */
    const int rev = sx == -es && (g == NULL || sg == -es) && dout;
    _Alignas(64) unsigned char xb[FA_BLOCK_BYTES], gb[FA_BLOCK_BYTES], ob[FA_BLOCK_BYTES];
    const intptr_t block = dx && dg && dout ? n : FA_BLOCK_BYTES / es;
    for (intptr_t i = 0; i < n; i += block) {
        const intptr_t m = n - i < block ? n - i : block;
        const char *xi = x + i * sx, *gi = g != NULL ? g + i * sg : NULL;
        char *oi = out + i * so;
        if (m < FA_PAD) {
            fa_run_padded(k, m, xi, sx, gi, sg, oi, so, p, itemsize);
            break;
        }
        const char *kx = xi, *kg = gi;
        char *ko = dout && !rev ? oi : (char *)ob;
        if (rev) {
            kx = xi + (m - 1) * sx;
            if (gi != NULL) kg = gi + (m - 1) * sg;
        } else {
            if (!dx) fa_gather(xb, xi, sx, m, itemsize), kx = (const char *)xb;
            if (!dg) fa_gather(gb, gi, sg, m, itemsize), kg = (const char *)gb;
        }
        /* whole vectors only: the kernels' scalar tails cost ~20x per element for exp-based
         * functions.  The last partial vector is the last FA_PAD elements again, overlapping
         * the body (the same values are written twice), unless out shares bytes with an input
         * (in place, or NumPy's forward-safe overlap) and the body may have overwritten them:
         * then a padded block. */
        const intptr_t body = m / FA_PAD * FA_PAD;
        k((size_t)body, kx, kg, ko, p);
        if (body < m) {
            const intptr_t t = m - FA_PAD;
            if (fa_disjoint(ko, kx, m * es) && (kg == NULL || fa_disjoint(ko, kg, m * es)))
                k(FA_PAD, kx + t * es, kg != NULL ? kg + t * es : NULL, ko + t * es, p);
            else
                fa_run_padded(k, m - body, kx + body * es, es, kg != NULL ? kg + body * es : NULL,
                              es, ko + body * es, es, p, itemsize);
        }
        if (rev) fa_scatter(oi + (m - 1) * so, -so, ob, m, itemsize);
        else if (!dout) fa_scatter(oi, so, ob, m, itemsize);
    }
}

/* Prefetch the first elements of a sparse run (|stride| over a cache line: every element on
 * a line of its own, which the hardware prefetchers do not follow across runs): the next
 * inner run of an iteration, while the current one computes.  Dense runs are left to the
 * hardware: prefetching them as well made row slices slower, not faster (sigmoid on
 * X[:, :500] of 1000x1000 float32: 0.80x the contiguous speed with it, 0.86x without;
 * sparse X[:, ::20]: 5% faster with it). */
#define FA_PREFETCH_ELEMENTS 128

void fa_prefetch_run(const char *p, intptr_t stride, intptr_t n, int write)
{
#if defined(__GNUC__) || defined(__clang__)
    if (stride >= -64 && stride <= 64) return;
    /* addresses as integers: a hint may point a little past the run, which pointer arithmetic
     * must not (a prefetch never faults) */
    const uintptr_t base = (uintptr_t)p;
    const intptr_t m = n < FA_PREFETCH_ELEMENTS ? n : FA_PREFETCH_ELEMENTS;
    for (intptr_t i = 0; i < m; i++) {
        const void *q = (const void *)(base + (uintptr_t)(i * stride));
        if (write) __builtin_prefetch(q, 1, 3);
        else __builtin_prefetch(q, 0, 3);
    }
#else
    (void)p, (void)stride, (void)n, (void)write;
#endif
}

/* ---------------------------------------------------------------- the ufunc loop */

static void fa_fill_nan(char *out, intptr_t stride, intptr_t n, int dtype)
{
    static const uint64_t nan_bits[FA_NUM_DTYPES] = {
        [FA_F32] = 0x7fc00000u, [FA_F64] = 0x7ff8000000000000u, [FA_F16] = 0x7e00u,
        [FA_BF16] = 0x7fc0u};
    const size_t es = FA_DTYPE_ITEMSIZE(dtype);
    for (intptr_t i = 0; i < n; i++) {
        /* little- or big-endian: the value sits in the low-order bytes of the uint64 */
        if (es == 8) memcpy(out + i * stride, &nan_bits[dtype], 8);
        else if (es == 4) {
            const uint32_t v = (uint32_t)nan_bits[dtype];
            memcpy(out + i * stride, &v, 4);
        } else {
            const uint16_t v = (uint16_t)nan_bits[dtype];
            memcpy(out + i * stride, &v, 2);
        }
    }
}

void fa_ufunc_loop(char **args, const intptr_t *dimensions, const intptr_t *steps, void *data)
{
    const fa_loop *loop = (const fa_loop *)data;
    const fa_function_info *info = &fa_info[loop->fn];
    const fa_kernel k = fa_active[FA_TABLE_INDEX(loop->fn, loop->mode, loop->dtype)];
    const int narr = loop->mode == FA_BACKWARD || loop->mode == FA_BACKWARD_FROM_Y ? 2 : 1;
    const int np = info->nparams;
    const size_t es = FA_DTYPE_ITEMSIZE(loop->dtype);
    const intptr_t n = dimensions[0];
    const char *x = args[narr - 1], *g = narr == 2 ? args[0] : NULL;
    const intptr_t sx = steps[narr - 1], sg = narr == 2 ? steps[0] : 0;
    char *out = args[narr + np];
    const intptr_t so = steps[narr + np];
    fa_params p;
    int scalar_params = 1;
    memset(&p, 0, sizeof p);
    for (int j = 0; j < np; j++) {
        memcpy(&p.v[j], args[narr + j], sizeof(double));
        scalar_params &= steps[narr + j] == 0;
    }
    if (scalar_params) { /* the usual case: one kernel call for the whole run */
        if (fa_params_valid(info, &p))
            fa_run_strided(k, n, x, sx, g, sg, out, so, &p, es, info->cost);
        else
            fa_fill_nan(out, so, n, loop->dtype);
        return;
    }
    /* parameters that vary along the loop: runs of equal parameters share one kernel call */
    intptr_t start = 0;
    while (start < n) {
        for (int j = 0; j < np; j++) memcpy(&p.v[j], args[narr + j] + start * steps[narr + j], sizeof(double));
        intptr_t end = start + 1;
        for (; end < n; end++) {
            int same = 1;
            for (int j = 0; j < np; j++) {
                double v;
                memcpy(&v, args[narr + j] + end * steps[narr + j], sizeof v);
                same &= v == p.v[j] || (v != v && p.v[j] != p.v[j]);
            }
            if (!same) break;
        }
        char *o = out + start * so;
        if (fa_params_valid(info, &p))
            fa_run_strided(k, end - start, x + start * sx, sx, g ? g + start * sg : NULL, sg, o,
                           so, &p, es, info->cost);
        else
            fa_fill_nan(o, so, end - start, loop->dtype);
        start = end;
    }
}

/* ---------------------------------------------------------------- the C API */

static int capi_function_id(const char *name)
{
    for (int fn = 0; fn < FA_NUM_FUNCTIONS; fn++)
        if (name != NULL && strcmp(name, fa_function_name(fn)) == 0) return fn;
    return -1;
}

static int capi_nparams(int fn) { return fn >= 0 && fn < FA_NUM_FUNCTIONS ? fa_info[fn].nparams : -1; }

static int capi_run(int fn, int mode, int dtype, size_t n, const void *x, const void *g,
                    void *out, const double *params)
{
    if (fn < 0 || fn >= FA_NUM_FUNCTIONS || mode < 0 || mode >= FA_NUM_MODES || dtype < 0 ||
        dtype >= FA_NUM_DTYPES || fa_active == NULL)
        return FA_ERR_NO_KERNEL;
    const fa_kernel k = fa_active[FA_TABLE_INDEX(fn, mode, dtype)];
    if (k == NULL) return FA_ERR_NO_KERNEL;
    const fa_function_info *info = &fa_info[fn];
    fa_params p;
    if (params == NULL) {
        if (!info->defaults_complete) return FA_ERR_PARAMS;
        p = info->defaults;
    } else {
        memset(&p, 0, sizeof p);
        memcpy(p.v, params, (size_t)info->nparams * sizeof(double));
    }
    if (!fa_params_valid(info, &p)) return FA_ERR_PARAMS;
    k(n, x, g, out, &p);
    return FA_OK;
}

const fa_c_api fa_c_api_table = {
    .version = FA_C_API_VERSION,
    .struct_size = (int)sizeof(fa_c_api),
    .num_functions = FA_NUM_FUNCTIONS,
    .num_modes = FA_NUM_MODES,
    .num_dtypes = FA_NUM_DTYPES,
    .max_params = FA_MAX_PARAMS,
    .function_id = capi_function_id,
    .function_name = fa_function_name,
    .nparams = capi_nparams,
    .run = capi_run,
};
