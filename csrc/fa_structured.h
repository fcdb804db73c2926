/*
 * fa_structured.h -- the kernel ABI of the functions that are not elementwise: along an axis
 * (softmax, log_softmax, softmin, glu) or with array-valued parameters and extra outputs
 * (prelu, mpelu, rrelu).  Like fastact.h, this knows nothing of Python.
 *
 * Every structured kernel sees its array as a C-contiguous 3-D view (outer, len, inner):
 * element (o, k, i) is at (o * len + k) * inner + i.  For the axis functions k runs
 * along the axis; for the channel functions (prelu, mpelu) k is the channel.  Any C, F or
 * channels-last array whose axis (or channel axis) is one axis of its memory order has such a
 * view without a copy: inner = 1 when the axis is the fastest in memory.
 *
 * One signature for all:
 *
 *     void kernel(const fa_struct_call *c, size_t o0, size_t o1, size_t i0, size_t i1);
 *
 * computes the rows o0 <= o < o1 and the columns i0 <= i < i1 of the view.  Every element is
 * computed by the same operations whatever the rectangle, so a call split into rectangles
 * across threads (fa_struct_run) gives the same bits as one call.  out may equal x or g
 * exactly (in place), never partially.
 */
#ifndef FA_STRUCTURED_H
#define FA_STRUCTURED_H

#include <stddef.h>
#include <stdint.h>

#include "fastact.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fa_struct_call {
    size_t outer, len, inner; /* the view; glu: len is the full length 2h along the axis */
    const void *x;            /* x, or y for the backward passes from y */
    const void *g;            /* the upstream gradient (backward modes), else NULL */
    void *out;                /* the result: x's view (glu forward: (outer, len/2, inner)) */
    const void *w[2];         /* per-channel parameters, `len` elements of the dtype (prelu:
                                 weight; mpelu: alpha, beta); rrelu backward: the slopes, one
                                 per element of x, or NULL for the eval slope v[0] */
    void *aux;                /* rrelu forward in training: receives the slopes, or NULL */
    double *dw[2];            /* backward: per-channel gradients of w[0], w[1] (`len` doubles,
                                 accumulated into), or NULL when not wanted */
    double v[2];              /* scalar parameters: softmin sign (-1); rrelu lower, upper */
    uint64_t seed;            /* rrelu forward in training: the random stream's key */
    int training;             /* rrelu: draw slopes (forward) */
} fa_struct_call;

typedef void (*fa_struct_kernel)(const fa_struct_call *c, size_t o0, size_t o1, size_t i0,
                                 size_t i1);

/* The structured functions: X(name). */
#define FA_STRUCTURED_LIST(X) \
    X(softmax)                \
    X(log_softmax)            \
    X(softmin)                \
    X(glu)                    \
    X(prelu)                  \
    X(mpelu)                  \
    X(rrelu)

#define FA_ST_ENUM_ENTRY(name) FA_ST_##name,
enum fa_structured_function { FA_STRUCTURED_LIST(FA_ST_ENUM_ENTRY) FA_NUM_STRUCTURED };
#undef FA_ST_ENUM_ENTRY

/* Modes are fastact.h's: FA_FORWARD, FA_GRAD (d/dx, channel functions), FA_BACKWARD (from x:
 * glu and the channel functions) and FA_BACKWARD_FROM_Y (the softmax family). */
#define FA_ST_TABLE_SIZE (FA_NUM_STRUCTURED * FA_NUM_MODES * FA_NUM_DTYPES)

/* Name of structured function `fn`, or NULL when out of range. */
const char *fa_structured_name(int fn);
/* The structured kernel table of `isa` (FA_ST_TABLE_SIZE entries, indexed by FA_TABLE_INDEX,
 * NULL where a mode does not exist), or NULL when `isa` was not compiled. */
const fa_struct_kernel *fa_structured_table(int isa);

/* Run `kernel` over the whole view on up to `nthreads` threads: by blocks of rows when there
 * are enough rows, else by blocks of `col_block` columns.  Calls that reduce into c->dw run on
 * one thread.  Bit-identical to kernel(c, 0, outer, 0, inner). */
void fa_struct_run(fa_struct_kernel kernel, const fa_struct_call *c, int nthreads,
                   size_t col_block);

#ifdef __cplusplus
}
#endif

#endif /* FA_STRUCTURED_H */
