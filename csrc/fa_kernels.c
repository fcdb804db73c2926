/*
 * fa_kernels.c -- every kernel, for every dtype (float32, float64, float16, bfloat16), for one ISA.
 *
 * The build compiles this file once per ISA with different flags and -DFA_ISA=<name>
 * (baseline: the compiler's default x86-64 / aarch64 target; avx2: -mavx2 -mfma -mf16c;
 * avx512: -mavx512f -mavx512dq -mavx512vl -mfma -mf16c), always with -ffp-contract=off so that
 * scalar tails and vector bodies round identically (results do not depend on how an array is
 * split across threads).  The exported symbol is the table fa_kernel_table_<FA_ISA>.
 */
#include "fastact.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#if defined(__F16C__)
#include <immintrin.h>
#endif

#ifndef FA_ISA
#error "compile with -DFA_ISA=baseline|avx2|avx512"
#endif

#define FA_CAT_(a, b) a##_##b
#define FA_CAT(a, b) FA_CAT_(a, b)

/* Assert "no loop-carried dependence" so the loops vectorize without restrict (see fastact.h). */
#if defined(__clang__)
#define FA_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define FA_IVDEP _Pragma("GCC ivdep")
#else
#define FA_IVDEP
#endif

/* The element formulas and the math layer are forced inline: they must melt into the loops to
 * vectorize, and GCC's size heuristics otherwise leave calls to the larger ones (exp, erfc). */
#if defined(__GNUC__) || defined(__clang__)
#define FA_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define FA_ALWAYS_INLINE static inline
#endif

#include "fa_half.inc"
#include "fa_coeffs.inc" /* polynomial coefficients and constants: tools/fit_coefficients.py */

/* float64 is instantiated first: the float32 instances of some smooth functions round the
 * float64 result once (see fa_functions.inc). */

/* ------------------------------------------------------------------ float64 */
#define T double
#define U uint64_t
#define FA_N(name) FA_CAT(name, f64)
#define FA_DTYPE FA_F64
#define FA_IS_F64 1
#define FA_FABS(v) __builtin_fabs(v)
#define FA_COPYSIGN(a, b) __builtin_copysign(a, b)
#ifdef __FMA__
#define FA_FMA(a, b, c) __builtin_fma(a, b, c)
#else
#define FA_FMA(a, b, c) ((a) * (b) + (c))
#endif
#define FA_MANT_BITS 52
#define FA_EXP_BIAS 1023
#define FA_EXP_K 600                /* 2^(n+K) stays normal down to n = -1077 */
#define FA_EXP_UNSCALE 0x1p-600
#define FA_EXP_MAGIC 0x1.8p52
#define FA_EXP_MIN_ARG -746.0       /* e^-746 < 2^-1075: rounds to 0 */
#define FA_EXP_MAX_ARG 710.0        /* e^710 > DBL_MAX: overflows to inf */
#define FA_EXPM1_MIN_ARG -40.0      /* e^-40 - 1 rounds to -1 */
#define FA_LOG2E 0x1.71547652b82fep+0
#define FA_LN2_HI 0x1.62e42fee00000p-1 /* 32 significant bits: n * LN2_HI is exact */
#define FA_LN2_LO 0x1.a39ef35793c76p-33
#define FA_EXP_INV_FACTORIALS FA_EXP_INV_FACTORIALS_F64
#define FA_SPLITTER 0x1.0000002p+27 /* 2^27 + 1: Veltkamp split */
#define FA_SMALLEST_NORMAL 0x1p-1022
#define FA_TWO_POW_MANT 0x1p52
#define FA_SQRT_HALF_BITS 0x3fe6a09e667f3bcdull
#define FA_MANT_MASK 0x000fffffffffffffull
#define FA_INF __builtin_inf()
#define FA_NAN __builtin_nan("")
#define FA_LOG_ATANH FA_LOG_ATANH_F64
#define FA_ERFCX FA_ERFCX_F64
#define FA_ERF_TAYLOR FA_ERF_TAYLOR_F64
#define FA_ERFC_MAX_ARG 28.0        /* erfc(28) < 2^-1130: every use underflows beyond */
#define FA_TANHSHRINK FA_TANHSHRINK_F64
#define FA_TANH_SMALL FA_TANH_SMALL_F64
#include "fa_math.inc"
#include "fa_functions.inc"
#include "fa_loops.inc"
#include "fa_structured.inc"
#undef T
#undef U
#undef FA_N
#undef FA_DTYPE
#undef FA_IS_F64
#undef FA_FABS
#undef FA_COPYSIGN
#undef FA_FMA
#undef FA_MANT_BITS
#undef FA_EXP_BIAS
#undef FA_EXP_K
#undef FA_EXP_UNSCALE
#undef FA_EXP_MAGIC
#undef FA_EXP_MIN_ARG
#undef FA_EXP_MAX_ARG
#undef FA_EXPM1_MIN_ARG
#undef FA_LOG2E
#undef FA_LN2_HI
#undef FA_LN2_LO
#undef FA_EXP_INV_FACTORIALS
#undef FA_SPLITTER
#undef FA_SMALLEST_NORMAL
#undef FA_TWO_POW_MANT
#undef FA_SQRT_HALF_BITS
#undef FA_MANT_MASK
#undef FA_INF
#undef FA_NAN
#undef FA_LOG_ATANH
#undef FA_ERFCX
#undef FA_ERF_TAYLOR
#undef FA_ERFC_MAX_ARG
#undef FA_TANHSHRINK
#undef FA_TANH_SMALL

/* ------------------------------------------------------------------ float32 */
#define T float
#define U uint32_t
#define FA_N(name) FA_CAT(name, f32)
#define FA_DTYPE FA_F32
#define FA_IS_F64 0
#define FA_FABS(v) __builtin_fabsf(v)
#define FA_COPYSIGN(a, b) __builtin_copysignf(a, b)
#ifdef __FMA__
#define FA_FMA(a, b, c) __builtin_fmaf(a, b, c)
#else
#define FA_FMA(a, b, c) ((a) * (b) + (c))
#endif
#define FA_MANT_BITS 23
#define FA_EXP_BIAS 127
#define FA_EXP_K 64                 /* pre-scale so 2^(n+K) stays normal down to n = -151 */
#define FA_EXP_UNSCALE 0x1p-64f
#define FA_EXP_MAGIC 0x1.8p23f
#define FA_EXP_MIN_ARG -104.0f      /* e^-104 < 2^-150: rounds to 0 */
#define FA_EXP_MAX_ARG 89.0f        /* e^89 > FLT_MAX: overflows to inf */
#define FA_EXPM1_MIN_ARG -20.0f     /* e^-20 - 1 rounds to -1 */
#define FA_LOG2E 0x1.715476p+0f
#define FA_LN2_HI 0x1.62e400p-1f    /* 16 significant bits: n * LN2_HI is exact */
#define FA_LN2_LO 0x1.7f7d1cp-20f
#define FA_EXP_INV_FACTORIALS FA_EXP_INV_FACTORIALS_F32
#define FA_SPLITTER 4097.0f         /* 2^12 + 1: Veltkamp split */
#define FA_SMALLEST_NORMAL 0x1p-126f
#define FA_TWO_POW_MANT 0x1p23f
#define FA_SQRT_HALF_BITS 0x3f3504f3u
#define FA_MANT_MASK 0x007fffffu
#define FA_INF __builtin_inff()
#define FA_NAN __builtin_nanf("")
#define FA_LOG_ATANH FA_LOG_ATANH_F32
#define FA_ERFCX FA_ERFCX_F32
#define FA_ERF_TAYLOR FA_ERF_TAYLOR_F32
#define FA_ERFC_MAX_ARG 11.0f       /* erfc(11) < 2^-150 */
#define FA_TANHSHRINK FA_TANHSHRINK_F32
#define FA_TANH_SMALL FA_TANH_SMALL_F32
#include "fa_math.inc"
#include "fa_functions.inc"
#include "fa_loops.inc"
#include "fa_structured.inc"

/* ------------------------------------------------------------------ float16 and bfloat16 */
/* Their loops are fa_loops.inc's FA_HALF_LOOP, instantiated with the float32 formulas above. */

/* ------------------------------------------------------------------ the table */
#define FA_FROM_Y_ENTRY_0(name, sfx) NULL
#define FA_FROM_Y_ENTRY_1(name, sfx) FA_CAT(name##_backward_from_y, sfx)
#define FA_TABLE_DTYPE(name, from_y, dt, sfx)                                                  \
    [FA_TABLE_INDEX(FA_FN_##name, FA_FORWARD, dt)] = FA_CAT(name##_forward, sfx),              \
    [FA_TABLE_INDEX(FA_FN_##name, FA_GRAD, dt)] = FA_CAT(name##_grad, sfx),                    \
    [FA_TABLE_INDEX(FA_FN_##name, FA_BACKWARD, dt)] = FA_CAT(name##_backward, sfx),            \
    [FA_TABLE_INDEX(FA_FN_##name, FA_BACKWARD_FROM_Y, dt)] = FA_FROM_Y_ENTRY_##from_y(name, sfx),
#define FA_TABLE_ROW(name, from_y)                                                            \
    FA_TABLE_DTYPE(name, from_y, FA_F32, f32)                                                  \
    FA_TABLE_DTYPE(name, from_y, FA_F64, f64)                                                  \
    FA_TABLE_DTYPE(name, from_y, FA_F16, f16)                                                  \
    FA_TABLE_DTYPE(name, from_y, FA_BF16, bf16)

const fa_kernel FA_CAT(fa_kernel_table, FA_ISA)[FA_TABLE_SIZE] = {FA_FUNCTION_LIST(FA_TABLE_ROW)};

/* ------------------------------------------------------------------ structured kernels */
#include "fa_structured_table.inc"
