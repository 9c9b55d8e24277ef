/* dist.c - the ranks of a data-parallel job (MPI), or one rank without it.
 * Built with DLC_MPI when the Makefile finds Open MPI (see dist.h). */
#include "dist.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/util.h"

#ifdef DLC_MPI
#include <mpi.h>
#endif

struct dist_world {
    int rank, size;
    int local;          /* ranks on this machine */
    int mpi;            /* MPI_Init was called */
    int log_fd;         /* this rank's own stderr, kept when its output is silenced */
    double seconds;     /* inside MPI calls */
};

/* A launcher's word on the job: Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE;
 * PMIx (srun --mpi=pmix, prterun) PMIX_RANK; PMI-1/2 launchers (srun
 * --mpi=pmi2, MPICH's hydra) PMI_RANK and PMI_SIZE.  *size is 0 when unknown. */
static int launched(long *size)
{
    const char *keys[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    *size = 0;
    for (size_t i = 0; i < DLC_ARRAY_LEN(keys); i++) {
        const char *v = getenv(keys[i]);
        if (v && *v) {
            *size = strtol(v, NULL, 10);
            return 1;
        }
    }
    if (getenv("PMIX_RANK") == NULL && getenv("PMI_RANK") == NULL)
        return 0;
    /* PMIx names no size in the environment: under srun, the step's tasks */
    const char *tasks = getenv("SLURM_STEP_NUM_TASKS");
    if (tasks && *tasks)
        *size = strtol(tasks, NULL, 10);
    return 1;
}

long dist_launched(long *rank)
{
    long size;
    const char *tasks = getenv("SLURM_STEP_NUM_TASKS");
    if (!launched(&size))
        size = tasks && *tasks ? strtol(tasks, NULL, 10) : 1;
    *rank = 0;
    const char *keys[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"};
    for (size_t i = 0; i < DLC_ARRAY_LEN(keys) && *rank == 0; i++) {
        const char *v = getenv(keys[i]);
        if (v && *v)
            *rank = strtol(v, NULL, 10);
    }
    return size > 1 ? size : 1;
}

const char *dist_library(void)
{
#if defined(DLC_MPI) && defined(OMPI_MAJOR_VERSION)
#define DLC_STR2(x) #x
#define DLC_STR(x) DLC_STR2(x)
    return "Open MPI " DLC_STR(OMPI_MAJOR_VERSION) "." DLC_STR(OMPI_MINOR_VERSION) "." DLC_STR(
        OMPI_RELEASE_VERSION);
#elif defined(DLC_MPI)
    return "MPI";
#else
    return NULL;
#endif
}

#ifdef DLC_MPI
/* Ranks but 0 print nothing: their messages would repeat rank 0's. */
static void silence(dist_world *w)
{
    w->log_fd = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY);
    if (null < 0)
        return;
    fflush(stdout);
    fflush(stderr);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    close(null);
}
#endif

dlc_status dist_init(dist_world **out, dlc_error *err)
{
    *out = NULL;
    dist_world *w = calloc(1, sizeof *w);
    if (!w)
        return DLC_NOMEM(err);
    w->size = w->local = 1;
    w->log_fd = -1;
    long size;
    int by_launcher = launched(&size);
    const char *step_tasks = getenv("SLURM_STEP_NUM_TASKS");
    if (!by_launcher && step_tasks && strtol(step_tasks, NULL, 10) > 1) {
        free(w);
        return dlc_fail(err, DLC_EINPUT,
                        "srun started %s tasks without MPI process management, so each would "
                        "train alone: use srun --mpi=pmix (or pmi2), or mpirun",
                        step_tasks);
    }
#ifdef DLC_MPI
    if (by_launcher) {
        int provided;
        /* only the main thread calls MPI; the worker pool computes */
        if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
            free(w);
            return dlc_fail(err, DLC_ERUN, "MPI_Init_thread failed");
        }
        w->mpi = 1;
        MPI_Comm_rank(MPI_COMM_WORLD, &w->rank);
        MPI_Comm_size(MPI_COMM_WORLD, &w->size);
        MPI_Comm node;
        w->local = 1;
        if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) ==
            MPI_SUCCESS) {
            MPI_Comm_size(node, &w->local);
            MPI_Comm_free(&node);
        }
        if (w->rank > 0)
            silence(w);
    }
#else
    if (by_launcher && size > 1) {
        free(w);
        return dlc_fail(err, DLC_EINPUT,
                        "started as one of %ld MPI processes, but this dlc was built without "
                        "MPI, so each would train alone: install libopenmpi-dev (Debian) and "
                        "rebuild (make clean && make)",
                        size);
    }
#endif
    *out = w;
    return DLC_OK;
}

void dist_finalize(dist_world *w)
{
    if (!w)
        return;
#ifdef DLC_MPI
    if (w->mpi) {
        /* no rank leaves first: mpirun ends the job when one exits with a
         * failure, and rank 0 may still be printing why (or writing the
         * reports); the others wait without spinning on the cores it uses */
        MPI_Request req;
        MPI_Ibarrier(MPI_COMM_WORLD, &req);
        for (int done = 0;;) {
            MPI_Test(&req, &done, MPI_STATUS_IGNORE);
            if (done)
                break;
            usleep(2000);
        }
        MPI_Finalize();
    }
#endif
    if (w->log_fd >= 0)
        close(w->log_fd);
    free(w);
}

int dist_rank(const dist_world *w)
{
    return w ? w->rank : 0;
}

int dist_size(const dist_world *w)
{
    return w ? w->size : 1;
}

int dist_local_size(const dist_world *w)
{
    return w ? w->local : 1;
}

double dist_seconds(const dist_world *w)
{
    return w ? w->seconds : 0.0;
}

void dist_shard(const dist_world *w, long n, long *lo, long *hi)
{
    long R = dist_size(w), r = dist_rank(w);
    long q = n / R, extra = n % R;
    *lo = r * q + (r < extra ? r : extra);
    *hi = *lo + q + (r < extra);
}

void dist_sum(dist_world *w, double *buf, int n)
{
#ifdef DLC_MPI
    if (dist_size(w) > 1) {
        double t0 = dlc_now();
        MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        w->seconds += dlc_now() - t0;
    }
#else
    (void)w, (void)buf, (void)n;
#endif
}

void dist_bcast(dist_world *w, void *buf, size_t bytes)
{
#ifdef DLC_MPI
    if (dist_size(w) > 1) {
        double t0 = dlc_now();
        for (size_t at = 0; at < bytes; at += (size_t)INT_MAX / 2) {
            size_t n = bytes - at < (size_t)INT_MAX / 2 ? bytes - at : (size_t)INT_MAX / 2;
            MPI_Bcast((char *)buf + at, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD);
        }
        w->seconds += dlc_now() - t0;
    }
#else
    (void)w, (void)buf, (void)bytes;
#endif
}

dlc_status dist_agree(dist_world *w, dlc_status s, dlc_error *err)
{
#ifdef DLC_MPI
    if (dist_size(w) > 1) {
        int mine = s != DLC_OK ? w->rank : w->size, first;
        MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        if (first == w->size)
            return DLC_OK;
        struct {
            int status;
            char msg[sizeof err->msg];
        } m = {0};
        if (w->rank == first) {
            m.status = (int)err->status;
            memcpy(m.msg, err->msg, sizeof m.msg);
        }
        MPI_Bcast(&m, (int)sizeof m, MPI_BYTE, first, MPI_COMM_WORLD);
        err->status = (dlc_status)m.status;
        if (first == 0)
            memcpy(err->msg, m.msg, sizeof err->msg);
        else
            snprintf(err->msg, sizeof err->msg, "rank %d: %.1000s", first, m.msg);
        return err->status;
    }
#else
    (void)w;
#endif
    return s;
}

void dist_abort(dist_world *w, const dlc_error *err)
{
    int fd = w && w->log_fd >= 0 ? w->log_fd : STDERR_FILENO;
    dprintf(fd, "dlc: error: rank %d: %s (ending the job)\n", dist_rank(w), err->msg);
#ifdef DLC_MPI
    if (dist_size(w) > 1)
        MPI_Abort(MPI_COMM_WORLD, dlc_exit_code(err->status));
#endif
    exit(dlc_exit_code(err->status));
}

/* ---- gradient buckets ---- */

typedef struct {
    size_t lo, n;      /* floats of the gradient block */
    int ready_at;      /* complete once backward has passed node ready_at */
} bucket;

struct dist_grads {
    dist_world *w;
    graph *g;
    int n_buckets;
    bucket *b;
    int next;          /* the next bucket to start */
    size_t floats;
#ifdef DLC_MPI
    MPI_Request *req;
#endif
};

/* A trainable parameter's gradient is complete when backward has passed the
 * first node that writes it: its owner, or the first layer sharing it. */
static int *param_done_at(const graph *g)
{
    int *at = malloc(sizeof(int) * (size_t)(g->n_params ? g->n_params : 1));
    if (!at)
        return NULL;
    for (int k = 0; k < g->n_params; k++)
        at[k] = INT_MAX;
    for (int i = 0; i < g->n_nodes; i++)
        for (int q = 0; q < g->nodes[i].n_params; q++) {
            int k = g->nodes[i].params[q];
            if (i < at[k])
                at[k] = i;
        }
    return at;
}

/* Buckets from the end of the gradient block back (the order backward
 * completes it): runs of trainable parameters, the only ones the block
 * holds (frozen parameters and buffers have no gradient, and nothing of
 * theirs is summed), at most cap floats each unless one parameter is
 * larger; the last layers' bucket first. */
static int plan(dist_grads *d, size_t cap)
{
    graph *g = d->g;
    int *done = param_done_at(g);
    d->b = malloc(sizeof(bucket) * (size_t)(g->n_params ? g->n_params : 1));
    if (!done || !d->b) {
        free(done);
        return -1;
    }
    bucket *cur = NULL;
    for (int k = g->n_params - 1; k >= 0; k--) {
        const graph_param *p = &g->params[k];
        if (!p->trainable)
            continue;
        size_t lo = (size_t)(p->grad - g->grad_block), hi = lo + p->n;
        if (cur && cur->lo - lo + cur->n > cap && cur->n > 0)
            cur = NULL;
        if (!cur) {
            cur = &d->b[d->n_buckets++];
            *cur = (bucket){lo, hi - lo, done[k]};
        } else {
            cur->n += cur->lo - lo;
            cur->lo = lo;
            if (done[k] < cur->ready_at)
                cur->ready_at = done[k];
        }
    }
    for (int i = 0; i < d->n_buckets; i++)
        d->floats += d->b[i].n;
    free(done);
    return 0;
}

dlc_status dist_grads_create(dist_grads **out, dist_world *w, graph *g, size_t bucket_bytes,
                             dlc_error *err)
{
    *out = NULL;
    dist_grads *d = calloc(1, sizeof *d);
    if (!d)
        return DLC_NOMEM(err);
    d->w = w;
    d->g = g;
    size_t cap = bucket_bytes / sizeof(float);
    if (cap > (size_t)INT_MAX / 2)
        cap = (size_t)INT_MAX / 2;
    if (cap < 1)
        cap = 1;
    if (plan(d, cap) != 0) {
        dist_grads_free(d);
        return DLC_NOMEM(err);
    }
    for (int i = 0; i < d->n_buckets; i++)
        if (d->b[i].n > (size_t)INT_MAX / 2) {
            size_t n = d->b[i].n;
            dist_grads_free(d);
            return dlc_fail(err, DLC_EINPUT,
                            "a parameter of %zu values is too large to sum across processes "
                            "in one call",
                            n);
        }
#ifdef DLC_MPI
    if (!(d->req = malloc(sizeof(MPI_Request) * (size_t)(d->n_buckets ? d->n_buckets : 1)))) {
        dist_grads_free(d);
        return DLC_NOMEM(err);
    }
#endif
    *out = d;
    return DLC_OK;
}

void dist_grads_free(dist_grads *d)
{
    if (!d)
        return;
    if (d->g && d->g->hook_user == d) {
        d->g->backward_hook = NULL;
        d->g->sum_hook = NULL;
        d->g->hook_user = NULL;
    }
    free(d->b);
#ifdef DLC_MPI
    free(d->req);
#endif
    free(d);
}

int dist_grads_buckets(const dist_grads *d)
{
    return d ? d->n_buckets : 0;
}

size_t dist_grads_floats(const dist_grads *d)
{
    return d ? d->floats : 0;
}

#ifdef DLC_MPI
static void start_bucket(dist_grads *d)
{
    const bucket *b = &d->b[d->next];
    MPI_Iallreduce(MPI_IN_PLACE, d->g->grad_block + b->lo, (int)b->n, MPI_FLOAT, MPI_SUM,
                   MPI_COMM_WORLD, &d->req[d->next]);
    d->next++;
}

/* After node i's backward: start every bucket now complete, in the planned
 * order (every rank calls MPI in the same order), and let MPI progress the
 * ones under way. */
static void on_backward(void *user, int node)
{
    dist_grads *d = user;
    double t0 = dlc_now();
    while (d->next < d->n_buckets && d->b[d->next].ready_at >= node)
        start_bucket(d);
    if (d->next > 0) {
        int flag;
        MPI_Testall(d->next, d->req, &flag, MPI_STATUSES_IGNORE);
    }
    d->w->seconds += dlc_now() - t0;
}

static void on_sum(void *user, double *buf, int n)
{
    dist_grads *d = user;
    dist_sum(d->w, buf, n);
}
#endif

void dist_grads_begin(dist_grads *d)
{
#ifdef DLC_MPI
    if (!d || dist_size(d->w) < 2)
        return;
    d->next = 0;
    d->g->backward_hook = on_backward;
    d->g->hook_user = d;
#else
    (void)d;
#endif
}

void dist_grads_finish(dist_grads *d)
{
#ifdef DLC_MPI
    if (!d || dist_size(d->w) < 2)
        return;
    double t0 = dlc_now();
    while (d->next < d->n_buckets)
        start_bucket(d);
    MPI_Waitall(d->n_buckets, d->req, MPI_STATUSES_IGNORE);
    d->g->backward_hook = NULL;
    d->w->seconds += dlc_now() - t0;
#else
    (void)d;
#endif
}

void dist_hook_sums(dist_grads *d)
{
#ifdef DLC_MPI
    if (!d || dist_size(d->w) < 2)
        return;
    d->g->sum_hook = on_sum;
    d->g->hook_user = d;
#else
    (void)d;
#endif
}
