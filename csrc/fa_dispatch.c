/*
 * fa_dispatch.c -- which ISAs this build holds and this CPU runs, and their kernel tables.
 * Compiled with the baseline flags only; the build defines FA_HAVE_<ISA> and FA_FLAGS_<ISA>
 * for each extra ISA it compiled fa_kernels.c for.
 */
#include "fastact.h"

extern const fa_kernel fa_kernel_table_baseline[FA_TABLE_SIZE];
#ifdef FA_HAVE_AVX2
extern const fa_kernel fa_kernel_table_avx2[FA_TABLE_SIZE];
#endif
#ifdef FA_HAVE_AVX512
extern const fa_kernel fa_kernel_table_avx512[FA_TABLE_SIZE];
#endif

#ifndef FA_FLAGS_BASELINE
#define FA_FLAGS_BASELINE ""
#endif
#ifndef FA_FLAGS_AVX2
#define FA_FLAGS_AVX2 ""
#endif
#ifndef FA_FLAGS_AVX512
#define FA_FLAGS_AVX512 ""
#endif

#define FA_NAME_ENTRY(name, from_y) #name,
static const char *const function_names[FA_NUM_FUNCTIONS] = {FA_FUNCTION_LIST(FA_NAME_ENTRY)};
#undef FA_NAME_ENTRY

static const char *const isa_names[FA_NUM_ISAS] = {"baseline", "avx2", "avx512"};
static const char *const isa_flags[FA_NUM_ISAS] = {FA_FLAGS_BASELINE, FA_FLAGS_AVX2, FA_FLAGS_AVX512};

const char *fa_function_name(int fn)
{
    return (fn >= 0 && fn < FA_NUM_FUNCTIONS) ? function_names[fn] : NULL;
}

const char *fa_isa_name(int isa) { return (isa >= 0 && isa < FA_NUM_ISAS) ? isa_names[isa] : NULL; }

const char *fa_isa_flags(int isa) { return (isa >= 0 && isa < FA_NUM_ISAS) ? isa_flags[isa] : NULL; }

const fa_kernel *fa_kernel_table(int isa)
{
    switch (isa) {
    case FA_ISA_BASELINE:
        return fa_kernel_table_baseline;
#ifdef FA_HAVE_AVX2
    case FA_ISA_AVX2:
        return fa_kernel_table_avx2;
#endif
#ifdef FA_HAVE_AVX512
    case FA_ISA_AVX512:
        return fa_kernel_table_avx512;
#endif
    default:
        return NULL;
    }
}

int fa_isa_compiled(int isa) { return fa_kernel_table(isa) != NULL; }

int fa_isa_supported(int isa)
{
    switch (isa) {
    case FA_ISA_BASELINE:
        return 1;
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    /* __builtin_cpu_supports also checks that the OS saves the wider registers (XCR0). */
    case FA_ISA_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("f16c");
    case FA_ISA_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("f16c");
#endif
    default:
        return 0;
    }
}

const char *fa_compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "unknown";
#endif
}
