/* dist.h - data-parallel training across processes, on MPI.
 *
 * `mpirun -np R dlc train CONFIG` (or `srun dlc train CONFIG`) starts R
 * copies of dlc, the ranks.  Each loads the same config and data, builds the
 * same model from the same seed, and takes a disjoint shard of every global
 * batch; their gradients are summed (MPI_Allreduce) so every rank applies the
 * same optimizer step.  Rank 0 alone writes the run folder and prints.
 *
 * A build without MPI (no libopenmpi-dev), or dlc started without a launcher,
 * has one rank: every call below is then a no-op (sums, broadcasts) or says
 * "everything" (shards), so the trainer has one code path.
 *
 * Gradients are summed in buckets of contiguous parameter gradients, each
 * started (MPI_Iallreduce) as soon as backward has finished every layer that
 * writes into it, so communication for the last layers overlaps backward
 * through the first ones (as PyTorch DDP's buckets do).
 *
 * The world is process-wide state by nature (MPI_Init once per process); it
 * is held in the dist_world the CLI creates and passes down.
 */
#ifndef DLC_DIST_H
#define DLC_DIST_H

#include <stddef.h>

#include "../base/error.h"
#include "../graph/graph.h"

typedef struct dist_world dist_world;

/* Joins the job when a launcher started this process (Open MPI's mpirun, or
 * srun/mpiexec through PMI/PMIx), else returns a one-rank world.  Ranks
 * other than 0 have their stdout and stderr sent to /dev/null: one message
 * per job.  Errors (EINPUT): launched by mpirun on a build without MPI, or
 * by srun with several tasks but no PMI (each would train alone).
 * Free with dist_finalize. */
dlc_status dist_init(dist_world **out, dlc_error *err);
/* Leaves the job (MPI_Finalize) and frees w; NULL does nothing. */
void dist_finalize(dist_world *w);

/* This process's rank and the number of ranks (0 and 1 for NULL). */
int dist_rank(const dist_world *w);
int dist_size(const dist_world *w);
/* The ranks on this machine (they share its cores). */
int dist_local_size(const dist_world *w);
/* "Open MPI 4.1.4" or the like when built with MPI, else NULL. */
const char *dist_library(void);
/* How many processes a launcher started this one among (mpirun, srun with or
 * without PMI; 1 when none), without joining them, and this one's rank among
 * them in *rank (0 when unknown): commands other than train refuse to run as
 * several, each of which would do all of the work and write the same files. */
long dist_launched(long *rank);

/* The shard of n items rank r of R takes: [lo, hi), as even as can be
 * (the first n % R ranks take one more). */
void dist_shard(const dist_world *w, long n, long *lo, long *hi);

/* Sums buf (n doubles) over every rank, in place; blocking. */
void dist_sum(dist_world *w, double *buf, int n);
/* Copies rank 0's bytes to every rank; blocking. */
void dist_bcast(dist_world *w, void *buf, size_t bytes);

/* Every rank passes its own status: the job then agrees on the first
 * failing rank's status and message (err), so a bad input seen by one rank
 * fails every rank with the same exit status; DLC_OK when all succeeded. */
dlc_status dist_agree(dist_world *w, dlc_status s, dlc_error *err);

/* Ends the whole job from one rank (an error the others cannot know of,
 * such as a failed write on rank 0): prints err on this rank's own stderr
 * (even on ranks whose output is silenced) and aborts every rank with the
 * exit status of err. */
void dist_abort(dist_world *w, const dlc_error *err) __attribute__((noreturn));

/* Seconds spent inside MPI calls since dist_init (0 with one rank). */
double dist_seconds(const dist_world *w);

/* ---- gradient buckets ---- */
typedef struct dist_grads dist_grads;

/* Plans the buckets of g's trainable parameter gradients, at most
 * bucket_bytes each.  Free with dist_grads_free. */
dlc_status dist_grads_create(dist_grads **out, dist_world *w, graph *g, size_t bucket_bytes,
                             dlc_error *err);
void dist_grads_free(dist_grads *d);
/* Number of buckets and floats summed per step. */
int dist_grads_buckets(const dist_grads *d);
size_t dist_grads_floats(const dist_grads *d);

/* Call before graph_backward: hooks g so that buckets start as backward
 * completes them.  Then dist_grads_finish, after graph_backward: starts
 * the remaining buckets and waits for every sum.  With one rank both do
 * nothing. */
void dist_grads_begin(dist_grads *d);
void dist_grads_finish(dist_grads *d);

/* For synchronized batch normalization: sets d's graph's sum_hook to sum
 * across the ranks (left NULL with one rank). */
void dist_hook_sums(dist_grads *d);

#endif
