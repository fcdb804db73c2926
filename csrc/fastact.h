/*
 * fastact.h -- the kernel ABI of fastact.  This directory knows nothing of Python.
 *
 * Every elementwise kernel has one signature (XNNPACK style):
 *
 *     void kernel(size_t n, const void *x, const void *g, void *out, const fa_params *params);
 *
 *   forward             out[i] = f(x[i])                 (g unused, may be NULL)
 *   grad                out[i] = f'(x[i])                (g unused, may be NULL)
 *   backward            out[i] = g[i] * f'(x[i])
 *   backward_from_y     out[i] = g[i] * f'(y[i]) with y passed as x   (NULL where unsupported)
 *
 * x, g and out point to n contiguous, aligned, native-endian elements of one dtype.  `out` may
 * equal `x` or `g` exactly (in place) but must not partially overlap them; that is why the
 * pointers are not `restrict`: vectorization is asserted per loop instead (FA_IVDEP), which is
 * sound because element i reads only x[i] and g[i] before writing out[i].
 *
 * NaN in x (or y) gives NaN out in every mode; the loop template enforces it once for all.
 */
#ifndef FASTACT_H
#define FASTACT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Scalar parameters, in the order the Python registry declares them; unused slots are 0. */
#define FA_MAX_PARAMS 4
typedef struct fa_params {
    double v[FA_MAX_PARAMS];
} fa_params;

typedef void (*fa_kernel)(size_t n, const void *x, const void *g, void *out,
                          const fa_params *params);

/*
 * The function list: X(name, has_derivative_from_y).  Adding a function means one line here,
 * its element formulas in fa_functions.inc and one registry entry in Python.
 */
#define FA_FUNCTION_LIST(X) \
    X(identity, 0)          \
    X(relu, 1)              \
    X(relu6, 0)             \
    X(leaky_relu, 0)        \
    X(hardtanh, 0)          \
    X(hard_sigmoid, 0)      \
    X(hardswish, 0)         \
    X(hardshrink, 0)        \
    X(softshrink, 0)        \
    X(threshold, 0)         \
    X(step, 0)              \
    X(sigmoid, 1)           \
    X(tanh, 1)              \
    X(log_sigmoid, 0)       \
    X(softsign, 0)          \
    X(tanhshrink, 0)        \
    X(elu, 1)               \
    X(selu, 0)              \
    X(celu, 0)              \
    X(softplus, 0)          \
    X(silu, 0)              \
    X(gelu, 0)              \
    X(mish, 0)              \
    X(exponential, 1)       \
    X(square, 0)            \
    X(signed_square, 0)     \
    X(sin, 0)               \
    X(cos, 0)

#define FA_ENUM_ENTRY(name, from_y) FA_FN_##name,
enum fa_function { FA_FUNCTION_LIST(FA_ENUM_ENTRY) FA_NUM_FUNCTIONS };
#undef FA_ENUM_ENTRY

enum fa_mode { FA_FORWARD, FA_GRAD, FA_BACKWARD, FA_BACKWARD_FROM_Y, FA_NUM_MODES };
enum fa_dtype { FA_F32, FA_F64, FA_NUM_DTYPES };
enum fa_isa { FA_ISA_BASELINE, FA_ISA_AVX2, FA_ISA_AVX512, FA_NUM_ISAS };

#define FA_TABLE_SIZE (FA_NUM_FUNCTIONS * FA_NUM_MODES * FA_NUM_DTYPES)
#define FA_TABLE_INDEX(fn, mode, dtype) (((fn) * FA_NUM_MODES + (mode)) * FA_NUM_DTYPES + (dtype))

/* Name of function `fn` ("sigmoid"), or NULL when out of range. */
const char *fa_function_name(int fn);
/* Name of ISA `isa` ("baseline", "avx2", "avx512"), or NULL when out of range. */
const char *fa_isa_name(int isa);
/* 1 if kernels for `isa` were compiled into this build, else 0. */
int fa_isa_compiled(int isa);
/* 1 if this CPU (and OS) can run `isa`, else 0. */
int fa_isa_supported(int isa);
/* The compiler flags `isa` was built with (a string for show_config). */
const char *fa_isa_flags(int isa);
/* The compiler that built the kernels. */
const char *fa_compiler(void);
/* The kernel table of `isa` (FA_TABLE_SIZE entries, NULL where a mode is unsupported), or NULL
 * when `isa` was not compiled. */
const fa_kernel *fa_kernel_table(int isa);

/* Run `kernel` over n elements split across up to `nthreads` threads (the caller included);
 * see fa_parallel.c.  Same results as one call of `kernel`, bit for bit. */
void fa_parallel_run(fa_kernel kernel, size_t n, const void *x, const void *g, void *out,
                     const fa_params *params, size_t itemsize, int nthreads);
/* Run body(ctx, begin, end) over [0, n) cut into ranges of `block` items, split across up to
 * `nthreads` threads (the caller included); the ranges do not depend on nthreads. */
typedef void (*fa_range_body)(void *ctx, size_t begin, size_t end);
void fa_parallel_for(fa_range_body body, void *ctx, size_t n, size_t block, int nthreads);
/* Pool threads started so far (for show_config and tests). */
int fa_parallel_workers(void);

#ifdef __cplusplus
}
#endif

#endif /* FASTACT_H */
