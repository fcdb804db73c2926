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

void fa_api_init(void)
{
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

/* Elements per block: 3 blocks of 8-byte elements (12 KiB) stay in L1 next to the data.
 * Blocks are padded to FA_PAD elements (a multiple of every vector length); contiguous runs of
 * FA_DIRECT_MIN elements or more go to the kernel directly, where its tail is amortized. */
#define FA_BLOCK 512
#define FA_PAD 32
#define FA_DIRECT_MIN 4096

/* Copy m elements of `bits`-bit width between a strided and a contiguous array.  Every other
 * element and reversed order get typed loops the compiler vectorizes (shuffles); other
 * strides copy element by element. */
#define FA_DEFINE_COPIES(bits)                                                                 \
    static void fa_gather##bits(void *dst, const char *src, intptr_t stride, intptr_t m)       \
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
    static void fa_scatter##bits(char *dst, intptr_t stride, const void *src, intptr_t m)      \
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
FA_DEFINE_COPIES(16)
FA_DEFINE_COPIES(32)
FA_DEFINE_COPIES(64)
#undef FA_DEFINE_COPIES

static void fa_gather(void *dst, const char *src, intptr_t stride, intptr_t m, size_t itemsize)
{
    if (itemsize == 8) fa_gather64(dst, src, stride, m);
    else if (itemsize == 4) fa_gather32(dst, src, stride, m);
    else fa_gather16(dst, src, stride, m);
}

static void fa_scatter(char *dst, intptr_t stride, const void *src, intptr_t m, size_t itemsize)
{
    if (itemsize == 8) fa_scatter64(dst, stride, src, m);
    else if (itemsize == 4) fa_scatter32(dst, stride, src, m);
    else fa_scatter16(dst, stride, src, m);
}

/* Whether contiguous runs `in` and `out` of `bytes` may be cut across threads: the same run
 * (in place, element by element) or disjoint ones.  NumPy passes the loop an out that
 * partially overlaps an input without copying when in-order processing is safe (out behind
 * the input: every element is read before an earlier element's result overwrites it); threads
 * would run a later block first and clobber inputs of an earlier one (fuzz finding 5:
 * gelu.grad with out 5 elements before x, 3 threads, wrong at the block seams). */
static int fa_split_safe(const char *in, const char *out, intptr_t bytes)
{
    return in == NULL || in == out || in + bytes <= out || out + bytes <= in;
}

void fa_run_strided(fa_kernel k, intptr_t n, const char *x, intptr_t sx, const char *g,
                    intptr_t sg, char *out, intptr_t so, const fa_params *p, size_t itemsize,
                    int cost)
{
    const intptr_t es = (intptr_t)itemsize;
    if (sx == es && (g == NULL || sg == es) && so == es && n >= FA_DIRECT_MIN) {
        if (fa_num_threads > 1 && n * cost >= fa_parallel_min &&
            fa_split_safe(x, out, n * es) && fa_split_safe(g, out, n * es))
            fa_parallel_run(k, (size_t)n, x, g, out, p, itemsize, fa_num_threads);
        else
            k((size_t)n, x, g, out, p);
        return;
    }
    /* Short or strided runs (a row of a 2-d slice, every other element, reversed): copy
     * through aligned blocks whose length is a whole number of vectors, so the kernel runs
     * its vector body only; its scalar tail costs ~20x per element for exp-based functions. */
    _Alignas(64) uint64_t xb[FA_BLOCK], gb[FA_BLOCK], ob[FA_BLOCK];
    for (intptr_t i = 0; i < n; i += FA_BLOCK) {
        const intptr_t m = n - i < FA_BLOCK ? n - i : FA_BLOCK;
        const intptr_t padded = (m + FA_PAD - 1) / FA_PAD * FA_PAD; /* <= FA_BLOCK */
        const char *xi = x + i * sx;
        fa_gather(xb, xi, sx, m, itemsize);
        memset((char *)xb + m * es, 0, (size_t)((padded - m) * es)); /* 0: a valid input */
        if (g != NULL) {
            fa_gather(gb, g + i * sg, sg, m, itemsize);
            memset((char *)gb + m * es, 0, (size_t)((padded - m) * es));
        }
        k((size_t)padded, xb, g != NULL ? gb : NULL, ob, p);
        fa_scatter(out + i * so, so, ob, m, itemsize);
    }
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
