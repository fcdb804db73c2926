/*
 * fa_api.h -- what the Python layer and other extensions need beyond the kernel ABI: the
 * active kernel table, per-function metadata (parameters, defaults, rules, cost), the NumPy
 * ufunc inner loop, and the C API exported to other extensions through a capsule.  Still no
 * Python here: the ufunc loop has NumPy's PyUFuncGenericFunction signature spelled with
 * intptr_t (npy_intp), so this file needs neither Python.h nor NumPy's headers.
 */
#ifndef FA_API_H
#define FA_API_H

#include <stdint.h>

#include "fastact.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Declarative parameter rules (the registry's Rule kinds). */
enum fa_rule_kind { FA_RULE_LT, FA_RULE_LE, FA_RULE_GE0, FA_RULE_NE0 };
#define FA_MAX_RULES 4
typedef struct fa_rule {
    int kind, a, b; /* parameter slots; b unused by the one-parameter kinds */
} fa_rule;

/* What the registry declares about function fn (filled by the Python layer at import). */
typedef struct fa_function_info {
    int nparams;           /* number of scalar parameters */
    int defaults_complete; /* 1 when every parameter has a default */
    int cost;              /* work per element relative to a compare (see the registry) */
    int nrules;
    fa_params defaults;
    fa_rule rules[FA_MAX_RULES];
} fa_function_info;

extern fa_function_info fa_info[FA_NUM_FUNCTIONS];
/* The kernel table in use (set_isa changes it) and the threading settings. */
extern const fa_kernel *fa_active;
extern int fa_num_threads;
extern intptr_t fa_parallel_min; /* elements x cost from which a call is split across threads */

/* 1 when p satisfies the rules of function `info`, else 0 (NaN parameters are not checked). */
static inline int fa_rules_hold(const fa_function_info *info, const fa_params *p)
{
    for (int i = 0; i < info->nrules; i++) {
        const double a = p->v[info->rules[i].a];
        const double b = info->rules[i].b >= 0 ? p->v[info->rules[i].b] : 0.0;
        int ok;
        switch (info->rules[i].kind) {
        case FA_RULE_LT: ok = a < b; break;
        case FA_RULE_LE: ok = a <= b; break;
        case FA_RULE_GE0: ok = a >= 0; break;
        default: ok = a != 0; break;
        }
        if (!ok) return 0;
    }
    return 1;
}

/* 1 when no parameter is NaN and the rules hold. */
int fa_params_valid(const fa_function_info *info, const fa_params *p);

/* Run kernel k over n elements of itemsize `itemsize` with byte strides sx, sg, so (g may be
 * NULL): contiguous operands go to the kernel directly (split across threads when large),
 * others are gathered into / scattered from small contiguous blocks, so every kernel serves
 * strided data at nearly its contiguous speed. */
void fa_run_strided(fa_kernel k, intptr_t n, const char *x, intptr_t sx, const char *g,
                    intptr_t sg, char *out, intptr_t so, const fa_params *p, size_t itemsize,
                    int cost);

/* Prefetch (for reading, or for writing when `write`) the cache lines a run of n elements
 * at byte stride `stride` from p touches, up to a few KiB: the next inner run of a strided
 * iteration, issued before the current one computes.  A hint: no access, no effect on
 * values. */
void fa_prefetch_run(const char *p, intptr_t stride, intptr_t n, int write);

/* The data attached to one ufunc loop: which kernel it runs. */
typedef struct fa_loop {
    int fn, mode, dtype;
} fa_loop;
/* fa_loops[FA_TABLE_INDEX(fn, mode, dtype)] (filled by fa_api_init). */
extern fa_loop fa_loops[FA_TABLE_SIZE];
void fa_api_init(void);

/* The ufunc inner loop (PyUFuncGenericFunction).  Operands: (x, p0, ..., out) for forward and
 * grad, (g, x or y, p0, ..., out) for backward; the parameters are float64.  Where parameters
 * are NaN or break a rule, the result is NaN. */
void fa_ufunc_loop(char **args, const intptr_t *dimensions, const intptr_t *steps, void *data);

/* ---------------------------------------------------------------- the C API (capsule) */
#define FA_C_API_VERSION 1
#define FA_C_API_CAPSULE "fastact._core._C_API"

/* Return codes of fa_c_api.run. */
enum { FA_OK = 0, FA_ERR_NO_KERNEL = -1, FA_ERR_PARAMS = -2 };

typedef struct fa_c_api {
    int version;     /* FA_C_API_VERSION */
    int struct_size; /* sizeof(fa_c_api) */
    int num_functions, num_modes, num_dtypes, max_params;
    /* the function number of `name` (canonical names only), or -1 */
    int (*function_id)(const char *name);
    const char *(*function_name)(int fn);
    int (*nparams)(int fn);
    /* out = mode(fn)(x[, g]) over n contiguous elements on the calling thread; params: nparams
     * doubles in registry order, or NULL for the defaults.  Thread-safe, needs no GIL. */
    int (*run)(int fn, int mode, int dtype, size_t n, const void *x, const void *g, void *out,
               const double *params);
} fa_c_api;

extern const fa_c_api fa_c_api_table;

#ifdef __cplusplus
}
#endif

#endif /* FA_API_H */
