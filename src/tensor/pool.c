/* pool.c - the process's worker threads: `--threads N` makes N - 1 workers
 * that, with the calling thread, run a task's N parts (tensor_parallel).
 * Matrix products are split here (tensor_gemm) and OpenBLAS itself stays on
 * one thread, so the two never fight over the cores; the optimizer update,
 * batch gathering, gradient clearing and convolutions split their work the
 * same way.
 *
 * A training step is under a millisecond, so waking a sleeping thread (tens
 * of microseconds on a VM) would eat the gain: after a task a worker waits
 * by pausing the core, then by yielding it, for a few milliseconds before it
 * sleeps on a condition variable.  tensor_set_threads(1) sends the workers to sleep at once (a
 * layer running its own threads, e.g. the recurrent time loops); at exit
 * tensor_pool_stop joins them.
 *
 * The calling thread runs part 0; the workers claim the others, and the
 * calling thread runs any part no worker has taken by the time its own is
 * done (with two threads, each keeps to its own half of the samples from
 * layer to layer while both have a core).
 * On a busy machine a worker may not get a core for milliseconds; the
 * caller then runs its part itself instead of waiting, which kept a model
 * of 200 small layers at 2 threads from taking 20 times as long as at one
 * under load.  Each part is the same work whichever thread runs it, so the
 * results do not depend on who ran what. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "tensor.h"

/* A task is (generation << PART_BITS) | the parts claimed so far. */
enum { POOL_MAX = 64, PAUSE_ROUNDS = 200, SPIN_ROUNDS = 4000, PART_BITS = 8 };

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int started;                 /* workers created (threads - 1) */
    atomic_int active;           /* parts a task is split into (1: no workers) */
    _Atomic uint64_t task;       /* the current task's generation and claimed parts */
    atomic_int done;             /* parts of the current task finished */
    _Atomic(tensor_task_fn) fn;  /* the current task (set before its generation) */
    _Atomic(void *) ctx;
    atomic_int n;                /* its parts */
    atomic_int hold;             /* tensor_pool_hold */
    uint64_t born[POOL_MAX];     /* the generation when each worker was created */
    pthread_t threads[POOL_MAX];
    atomic_int quit;             /* set by tensor_pool_stop (with a generation bump) */
} P = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .active = 1};

/* set while a thread runs a part: a task that starts another runs it whole,
 * on that thread */
static _Thread_local int in_task;

/* One round of waiting: the first rounds only pause the core (a system call
 * costs microseconds on a VM, as long as the work between tasks), later ones
 * give it to whoever else wants it. */
static inline void relax(int round)
{
    if (round < PAUSE_ROUNDS)
        for (int i = 0; i < 16; i++)
            __builtin_ia32_pause();
    else
        sched_yield();
}

static uint64_t generation(void)
{
    return atomic_load_explicit(&P.task, memory_order_acquire) >> PART_BITS;
}

static void run_part(tensor_task_fn fn, void *ctx, int k, int n)
{
    in_task = 1;
    fn(ctx, k, n);
    in_task = 0;
    atomic_fetch_add_explicit(&P.done, 1, memory_order_release);
}

/* Claims and runs parts of generation gen until none is left.  A claim
 * succeeds only while gen is current with that part unclaimed, so the task
 * it read is still the one posted (the next is posted only after every
 * part of this one is done). */
static void run_parts(uint64_t gen)
{
    uint64_t t = atomic_load_explicit(&P.task, memory_order_acquire);
    for (;;) {
        int k = (int)(t & ((1u << PART_BITS) - 1)), n = atomic_load_explicit(&P.n, memory_order_relaxed);
        if (t >> PART_BITS != gen || k >= n)
            return;
        tensor_task_fn fn = atomic_load_explicit(&P.fn, memory_order_relaxed);
        void *ctx = atomic_load_explicit(&P.ctx, memory_order_relaxed);
        if (!atomic_compare_exchange_weak_explicit(&P.task, &t, t + 1, memory_order_acq_rel,
                                                   memory_order_acquire))
            continue;
        run_part(fn, ctx, k, n);
        t = atomic_load_explicit(&P.task, memory_order_acquire);
    }
}

static void *worker(void *arg)
{
    int part = (int)(intptr_t)arg;
    tensor_flush_denormals();
    pthread_mutex_lock(&P.lock);
    uint64_t seen = P.born[part]; /* tasks posted before it ran are its to answer */
    pthread_mutex_unlock(&P.lock);
    for (;;) {
        uint64_t g = seen;
        for (int k = 0; k < SPIN_ROUNDS && g == seen && atomic_load(&P.active) > part; k++) {
            relax(k);
            g = generation();
        }
        if (g == seen) {
            pthread_mutex_lock(&P.lock);
            while ((g = generation()) == seen)
                pthread_cond_wait(&P.wake, &P.lock);
            pthread_mutex_unlock(&P.lock);
        }
        seen = g;
        if (atomic_load(&P.quit))
            break;
        if (part < atomic_load_explicit(&P.n, memory_order_relaxed) && !atomic_load(&P.hold))
            run_parts(g);
    }
    return NULL;
}

void tensor_pool_start(int n)
{
    if (n > POOL_MAX)
        n = POOL_MAX;
    if (n < 1)
        n = 1;
    pthread_mutex_lock(&P.lock);
    while (P.started < n - 1) {
        static int at_exit;
        if (!at_exit)
            at_exit = atexit(tensor_pool_stop) == 0;
        P.born[P.started + 1] = generation();
        if (pthread_create(&P.threads[P.started + 1], NULL, worker, (void *)(intptr_t)(P.started + 1)) != 0)
            break; /* fewer workers: the tasks still run, in fewer parts */
        P.started++;
    }
    atomic_store(&P.active, n < P.started + 1 ? n : P.started + 1);
    pthread_mutex_unlock(&P.lock);
}

/* Posts a new generation (the caller is the only one that does), its
 * parts from `first` up open to claims, and wakes the sleeping workers. */
static uint64_t post(int first)
{
    uint64_t gen = generation() + 1;
    pthread_mutex_lock(&P.lock);
    atomic_store_explicit(&P.task, gen << PART_BITS | (uint64_t)first, memory_order_release);
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.lock);
    return gen;
}

void tensor_pool_stop(void)
{
    pthread_mutex_lock(&P.lock);
    int n = P.started;
    atomic_store(&P.quit, 1);
    atomic_store(&P.n, 0);
    pthread_mutex_unlock(&P.lock);
    post(0);
    for (int i = 1; i <= n; i++)
        pthread_join(P.threads[i], NULL);
    pthread_mutex_lock(&P.lock);
    P.started = 0;
    atomic_store(&P.quit, 0);
    atomic_store(&P.active, 1);
    pthread_mutex_unlock(&P.lock);
}

int tensor_pool_threads(void)
{
    return atomic_load(&P.active);
}

void tensor_pool_hold(int on)
{
    atomic_store(&P.hold, on);
}

void tensor_parallel(tensor_task_fn fn, void *ctx)
{
    int n = atomic_load(&P.active);
    if (n <= 1 || in_task) {
        fn(ctx, 0, 1);
        return;
    }
    atomic_store_explicit(&P.fn, fn, memory_order_relaxed);
    atomic_store_explicit(&P.ctx, ctx, memory_order_relaxed);
    atomic_store_explicit(&P.n, n, memory_order_relaxed);
    atomic_store_explicit(&P.done, 0, memory_order_relaxed);
    uint64_t gen = post(1);
    run_part(fn, ctx, 0, n);
    run_parts(gen);
    for (int k = 0; atomic_load_explicit(&P.done, memory_order_acquire) < n; k++)
        relax(k);
}
