/*
 * fa_parallel.c -- split one kernel call across threads without ever waiting for a thread that
 * has not started.
 *
 * The array is cut into blocks that the caller and up to nthreads - 1 pool workers claim from
 * a shared atomic counter.  The caller works too and only waits for blocks a worker has
 * already claimed, so on a loaded machine (a worker not scheduled yet) the call degrades to
 * one thread instead of stalling for a time slice, which is what a static OpenMP split does.
 * Every element is computed by the same kernel code whatever the split, so results are
 * bit-identical for any thread count.  Workers are created lazily, live for the process, spin
 * briefly after a job (back-to-back calls find them awake) and then sleep on a condition
 * variable.  A call made while another thread's job is running simply runs on its own thread.
 */
#include "fastact.h"

#if defined(_WIN32) || defined(__STDC_NO_ATOMICS__)

void fa_parallel_run(fa_kernel kernel, size_t n, const void *x, const void *g, void *out,
                     const fa_params *params, size_t itemsize, int nthreads)
{
    (void)itemsize, (void)nthreads;
    kernel(n, x, g, out, params);
}

void fa_parallel_for(fa_range_body body, void *ctx, size_t n, size_t block, int nthreads)
{
    (void)block, (void)nthreads;
    if (n) body(ctx, 0, n);
}

int fa_parallel_workers(void) { return 0; }

#else

#include <pthread.h>
#include <stdatomic.h>

#define FA_MAX_WORKERS 255
#define FA_BLOCK_ALIGN 64    /* elements: whole cache lines per block */
#define FA_MIN_BLOCK 4096    /* elements: below this a block is not worth a hand-off */
#define FA_BLOCKS_PER_THREAD 4
#define FA_SPIN_ROUNDS 20000 /* ~10-50 us of polling before a worker sleeps */

typedef struct job {
    fa_range_body body; /* runs items [begin, end) */
    void *ctx;
    size_t n, block, nblocks;
    atomic_size_t next; /* the next block to claim */
} job;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_posted = PTHREAD_COND_INITIALIZER;
static pthread_cond_t workers_idle = PTHREAD_COND_INITIALIZER;
static job *current;          /* the job workers may join, NULL once its blocks are claimed */
static int busy;              /* a job is in flight, from posting until its workers are out */
static atomic_ulong generation; /* bumped per job, read without the lock while spinning */
static int nworkers;          /* threads created so far */
static int wanted, joined;    /* workers the current job takes / has taken */
static atomic_int active;     /* workers inside run_blocks (changed under pool_lock) */
static int atfork_registered;

static void run_blocks(job *j)
{
    size_t b;
    while ((b = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed)) < j->nblocks) {
        const size_t start = b * j->block;
        const size_t m = j->n - start < j->block ? j->n - start : j->block;
        j->body(j->ctx, start, start + m);
    }
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void *worker_main(void *arg)
{
    unsigned long seen = (unsigned long)(size_t)arg; /* the generation it was created in - 1 */
    for (;;) {
        for (int spin = 0; spin < FA_SPIN_ROUNDS; spin++) {
            if (atomic_load_explicit(&generation, memory_order_relaxed) != seen) break;
            cpu_relax();
        }
        pthread_mutex_lock(&pool_lock);
        while (current == NULL || atomic_load_explicit(&generation, memory_order_relaxed) == seen)
            pthread_cond_wait(&job_posted, &pool_lock);
        seen = atomic_load_explicit(&generation, memory_order_relaxed);
        job *j = current;
        if (joined >= wanted) { /* this job asked for fewer threads */
            pthread_mutex_unlock(&pool_lock);
            continue;
        }
        joined++;
        atomic_fetch_add_explicit(&active, 1, memory_order_relaxed);
        pthread_mutex_unlock(&pool_lock);
        run_blocks(j);
        pthread_mutex_lock(&pool_lock);
        /* release: the caller's acquire load of 0 then sees this worker's output */
        if (atomic_fetch_sub_explicit(&active, 1, memory_order_release) == 1)
            pthread_cond_broadcast(&workers_idle);
        pthread_mutex_unlock(&pool_lock);
    }
    return NULL;
}

/* In a forked child only the forking thread exists: forget the pool, start afresh. */
static void reset_after_fork(void)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c1 = PTHREAD_COND_INITIALIZER, c2 = PTHREAD_COND_INITIALIZER;
    pool_lock = m;
    job_posted = c1;
    workers_idle = c2;
    current = NULL;
    nworkers = wanted = joined = busy = 0;
    atomic_store(&active, 0);
}

/* Called with pool_lock held; creates workers until there are `count` (or creation fails). */
static void ensure_workers(int count, unsigned long gen)
{
    if (!atfork_registered) {
        pthread_atfork(NULL, NULL, reset_after_fork);
        atfork_registered = 1;
    }
    while (nworkers < count && nworkers < FA_MAX_WORKERS) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        const int rc = pthread_create(&t, &attr, worker_main, (void *)(size_t)gen);
        pthread_attr_destroy(&attr);
        if (rc != 0) break;
        nworkers++;
    }
}

/* An elementwise kernel call, cut into ranges of elements. */
typedef struct elementwise_job {
    fa_kernel kernel;
    const char *x, *g;
    char *out;
    const fa_params *params;
    size_t itemsize;
} elementwise_job;

static void elementwise_range(void *ctx, size_t begin, size_t end)
{
    const elementwise_job *e = (const elementwise_job *)ctx;
    const size_t off = begin * e->itemsize;
    e->kernel(end - begin, e->x + off, e->g ? e->g + off : NULL, e->out + off, e->params);
}

void fa_parallel_run(fa_kernel kernel, size_t n, const void *x, const void *g, void *out,
                     const fa_params *params, size_t itemsize, int nthreads)
{
    size_t block = (n + (size_t)nthreads * FA_BLOCKS_PER_THREAD - 1) /
                   ((size_t)(nthreads > 1 ? nthreads : 1) * FA_BLOCKS_PER_THREAD);
    if (block < FA_MIN_BLOCK) block = FA_MIN_BLOCK;
    block = (block + FA_BLOCK_ALIGN - 1) / FA_BLOCK_ALIGN * FA_BLOCK_ALIGN;
    if (nthreads <= 1 || n <= block) {
        kernel(n, x, g, out, params);
        return;
    }
    elementwise_job e = {.kernel = kernel, .x = (const char *)x, .g = (const char *)g,
                         .out = (char *)out, .params = params, .itemsize = itemsize};
    fa_parallel_for(elementwise_range, &e, n, block, nthreads);
}

void fa_parallel_for(fa_range_body body, void *ctx, size_t n, size_t block, int nthreads)
{
    if (block == 0) block = 1;
    if (nthreads <= 1 || n <= block) {
        if (n) body(ctx, 0, n);
        return;
    }
    job j = {.body = body, .ctx = ctx, .n = n, .block = block, .nblocks = (n + block - 1) / block};
    atomic_init(&j.next, 0);

    pthread_mutex_lock(&pool_lock);
    if (busy) { /* another thread's job is in flight: do not queue behind it */
        pthread_mutex_unlock(&pool_lock);
        body(ctx, 0, n);
        return;
    }
    const unsigned long gen = atomic_load_explicit(&generation, memory_order_relaxed);
    ensure_workers(nthreads - 1, gen);
    busy = 1;
    current = &j;
    wanted = (int)(j.nblocks - 1 < (size_t)(nthreads - 1) ? j.nblocks - 1 : (size_t)(nthreads - 1));
    joined = 0;
    atomic_store_explicit(&generation, gen + 1, memory_order_relaxed);
    pthread_cond_broadcast(&job_posted);
    pthread_mutex_unlock(&pool_lock);

    run_blocks(&j);

    pthread_mutex_lock(&pool_lock);
    current = NULL; /* a worker waking from now on finds no job */
    pthread_mutex_unlock(&pool_lock);
    /* A worker has at most one block left: spin for it rather than sleep, since waking from a
     * condition variable can take longer than the block (tens of us on a VM). */
    for (int spin = 0; spin < FA_SPIN_ROUNDS; spin++) {
        if (atomic_load_explicit(&active, memory_order_acquire) == 0) break;
        cpu_relax();
    }
    pthread_mutex_lock(&pool_lock);
    while (atomic_load_explicit(&active, memory_order_acquire) > 0)
        pthread_cond_wait(&workers_idle, &pool_lock);
    busy = 0; /* only now may another job count `active` */
    pthread_mutex_unlock(&pool_lock);
}

int fa_parallel_workers(void)
{
    pthread_mutex_lock(&pool_lock);
    const int n = nworkers;
    pthread_mutex_unlock(&pool_lock);
    return n;
}

#endif
