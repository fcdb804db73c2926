/*
 * fa_structured.c -- names, tables and the threaded driver of the structured kernels
 * (fa_structured.h).  Compiled with the baseline flags, like fa_dispatch.c.
 */
#include "fa_structured.h"

extern const fa_struct_kernel fa_structured_table_baseline[FA_ST_TABLE_SIZE];
#ifdef FA_HAVE_AVX2
extern const fa_struct_kernel fa_structured_table_avx2[FA_ST_TABLE_SIZE];
#endif
#ifdef FA_HAVE_AVX512
extern const fa_struct_kernel fa_structured_table_avx512[FA_ST_TABLE_SIZE];
#endif

#define FA_ST_NAME_ENTRY(name) #name,
static const char *const structured_names[FA_NUM_STRUCTURED] = {FA_STRUCTURED_LIST(FA_ST_NAME_ENTRY)};
#undef FA_ST_NAME_ENTRY

const char *fa_structured_name(int fn)
{
    return (fn >= 0 && fn < FA_NUM_STRUCTURED) ? structured_names[fn] : NULL;
}

const fa_struct_kernel *fa_structured_table(int isa)
{
    switch (isa) {
    case FA_ISA_BASELINE:
        return fa_structured_table_baseline;
#ifdef FA_HAVE_AVX2
    case FA_ISA_AVX2:
        return fa_structured_table_avx2;
#endif
#ifdef FA_HAVE_AVX512
    case FA_ISA_AVX512:
        return fa_structured_table_avx512;
#endif
    default:
        return NULL;
    }
}

typedef struct struct_job {
    fa_struct_kernel kernel;
    const fa_struct_call *call;
    int by_rows;
    size_t col_block;
} struct_job;

static void struct_range(void *ctx, size_t begin, size_t end)
{
    const struct_job *j = (const struct_job *)ctx;
    const fa_struct_call *c = j->call;
    if (j->by_rows) {
        j->kernel(c, begin, end, 0, c->inner);
    } else {
        const size_t i1 = end * j->col_block;
        j->kernel(c, 0, c->outer, begin * j->col_block, i1 < c->inner ? i1 : c->inner);
    }
}

#define FA_ST_BLOCKS_PER_THREAD 4

void fa_struct_run(fa_struct_kernel kernel, const fa_struct_call *c, int nthreads,
                   size_t col_block)
{
    if (c->outer == 0 || c->inner == 0) return;
    if (col_block == 0) col_block = 1024;
    const size_t parts = (size_t)(nthreads > 1 ? nthreads : 1) * FA_ST_BLOCKS_PER_THREAD;
    const size_t ncols = (c->inner + col_block - 1) / col_block;
    if (nthreads <= 1 || c->dw[0] != NULL || (c->outer < (size_t)nthreads && ncols < 2)) {
        kernel(c, 0, c->outer, 0, c->inner);
        return;
    }
    struct_job j = {.kernel = kernel, .call = c, .col_block = col_block};
    if (c->outer >= (size_t)nthreads) {
        j.by_rows = 1;
        fa_parallel_for(struct_range, &j, c->outer, (c->outer + parts - 1) / parts, nthreads);
    } else {
        j.by_rows = 0;
        fa_parallel_for(struct_range, &j, ncols, (ncols + parts - 1) / parts, nthreads);
    }
}
