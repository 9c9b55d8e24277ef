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
 * tensor_pool_stop joins them. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "tensor.h"

enum { POOL_MAX = 64, PAUSE_ROUNDS = 200, SPIN_ROUNDS = 4000 };

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int started;                /* workers created (threads - 1) */
    atomic_int active;          /* parts a task is split into (1: no workers) */
    atomic_uint gen;            /* bumped per task */
    atomic_int pending;         /* workers still running the current task */
    tensor_task_fn fn;
    void *ctx;
    int n;                      /* parts of the current task */
    unsigned born[POOL_MAX];    /* gen when each worker was created */
    pthread_t threads[POOL_MAX];
    int quit;                   /* set by tensor_pool_stop (under lock, with a gen bump) */
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

static void *worker(void *arg)
{
    int part = (int)(intptr_t)arg;
    tensor_flush_denormals();
    pthread_mutex_lock(&P.lock);
    unsigned seen = P.born[part]; /* tasks posted before it ran are its to answer */
    pthread_mutex_unlock(&P.lock);
    for (;;) {
        unsigned g = seen;
        for (int k = 0; k < SPIN_ROUNDS && g == seen && atomic_load(&P.active) > part; k++) {
            relax(k);
            g = atomic_load_explicit(&P.gen, memory_order_acquire);
        }
        if (g == seen) {
            pthread_mutex_lock(&P.lock);
            while ((g = atomic_load(&P.gen)) == seen)
                pthread_cond_wait(&P.wake, &P.lock);
            pthread_mutex_unlock(&P.lock);
        }
        seen = g;
        if (P.quit)
            break;
        in_task = 1;
        if (part < P.n)
            P.fn(P.ctx, part, P.n);
        in_task = 0;
        atomic_fetch_sub_explicit(&P.pending, 1, memory_order_release);
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
        P.born[P.started + 1] = atomic_load(&P.gen);
        if (pthread_create(&P.threads[P.started + 1], NULL, worker, (void *)(intptr_t)(P.started + 1)) != 0)
            break; /* fewer workers: the tasks still run, in fewer parts */
        P.started++;
    }
    atomic_store(&P.active, n < P.started + 1 ? n : P.started + 1);
    pthread_mutex_unlock(&P.lock);
}

void tensor_pool_stop(void)
{
    pthread_mutex_lock(&P.lock);
    int n = P.started;
    P.quit = 1;
    atomic_fetch_add(&P.gen, 1);
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.lock);
    for (int i = 1; i <= n; i++)
        pthread_join(P.threads[i], NULL);
    pthread_mutex_lock(&P.lock);
    P.started = 0;
    P.quit = 0;
    atomic_store(&P.active, 1);
    pthread_mutex_unlock(&P.lock);
}

int tensor_pool_threads(void)
{
    return atomic_load(&P.active);
}

void tensor_parallel(tensor_task_fn fn, void *ctx)
{
    int n = atomic_load(&P.active);
    if (n <= 1 || in_task) {
        fn(ctx, 0, 1);
        return;
    }
    P.fn = fn;
    P.ctx = ctx;
    P.n = n;
    /* every started worker answers each task (parts >= n do nothing), so
     * none can miss a generation */
    atomic_store(&P.pending, P.started);
    pthread_mutex_lock(&P.lock);
    atomic_fetch_add_explicit(&P.gen, 1, memory_order_release);
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.lock);
    in_task = 1;
    fn(ctx, 0, n);
    in_task = 0;
    for (int k = 0; atomic_load_explicit(&P.pending, memory_order_acquire) > 0; k++)
        relax(k);
}
