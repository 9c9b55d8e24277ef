/* plan.h - the memory plan: where each node buffer lives, decided once when
 * the graph is built (plan.c), like a compiler's register allocation.
 *
 * A pass is a schedule of steps.  For a graph of n nodes:
 *     forward of node i     step i
 *     the loss              step n
 *     backward of node i    step 2n - i
 * A buffer is live from the step that first writes it to the last step that
 * reads it:
 *     out    from its node's forward to the last consumer's forward, or to
 *            the backward of a consumer (or its own) that reads it
 *            (graph_op.saves, and the activation's derivative from y);
 *     grad   from the backward of its last consumer (the first to add into
 *            it; zeroed just before, unless that consumer overwrites it) to
 *            its own node's backward;
 *     aux    from forward to its backward when saved, else its forward only;
 *     pre    (gelu's, silu's and hardswish's z) from forward to its backward.
 * Buffers whose live ranges do not overlap share memory: each sits at an
 * offset into one arena, fixed when the plan is made, so nothing is
 * allocated while running.  An identity op (graph_op.in_place) may take its
 * input's memory: its output when the input is dead after it (or when the
 * op keeps the values, as flatten does), its gradient when it is the input's
 * only consumer.
 *
 * The model input's out and grad and the output nodes' out and grad are not
 * planned: callers fill and read them between passes (PLAN_FIXED).
 * Two plans share the arena: one for a forward pass a backward may follow
 * (graph_forward, nmax rows), one for a forward pass alone
 * (graph_forward_eval, eval_max rows: no gradients, no saves).
 *
 * Private to src/graph (and the tests that check it). */
#ifndef DLC_PLAN_H
#define DLC_PLAN_H

#include "graph.h"

typedef enum { PLAN_OUT, PLAN_GRAD, PLAN_PRE, PLAN_AUX, PLAN_KINDS } plan_kind;

#define PLAN_NONE (-1)  /* the plan gives the buffer no memory (NULL) */
#define PLAN_FIXED (-2) /* kept whole between passes, outside the arena */

/* Memory shared by buffers that are never live at once (or by an identity
 * op and its input). */
typedef struct {
    size_t offset;     /* floats into the arena, a multiple of 16 */
    size_t floats;
    size_t row_floats; /* floats per batch row (a gradient's clearing covers N rows) */
    int first, last;   /* steps, inclusive */
    int clear;         /* 1: zeroed before its first step (a gradient added into) */
} plan_store;

typedef struct {
    int rows;          /* batch capacity */
    int backward;      /* 1: forward, loss and backward; 0: forward alone */
    int n_nodes;
    int n_stores;
    plan_store *stores;
    int *store_of;     /* (n_nodes, PLAN_KINDS): a store, PLAN_NONE or PLAN_FIXED */
    size_t floats;     /* the arena this plan needs */
    size_t separate;   /* floats if every buffer had its own memory (no plan) */
    size_t peak;       /* the most floats live at one step: no placement needs less */
    size_t kept;       /* floats live at the loss step: what forward keeps for backward */
    int *clear_at;     /* stores zeroed before step s: clear_list[clear_at[s] .. clear_at[s+1]) */
    int *clear_list;
} graph_plan;

/* How the arena is laid out. */
typedef enum {
    GRAPH_LAYOUT_PLANNED,  /* buffers share memory by their live ranges (the default) */
    GRAPH_LAYOUT_SEPARATE, /* every buffer its own memory, nothing in place (as before planning) */
} graph_layout;

/* The graph's memory beyond parameters: both plans, the arena they place
 * buffers in, and the buffers kept whole between passes. */
struct graph_mem {
    graph_plan train, eval;
    const graph_plan *active; /* the plan node pointers follow now */
    float *arena;             /* owned */
    size_t arena_floats;
    float **fixed;            /* (n_nodes, PLAN_KINDS) PLAN_FIXED buffers, owned */
    int layout;               /* graph_layout */
    int poison;               /* 1: NaN into every store when its live range ends */
    int measure;              /* 1: sizes only, nothing allocated */
    int eval_fit;             /* graph_build_options.eval_fit: refitted when freezing shrinks
                               * the training plan */
};

/* Makes p for g's current gradient flow (needs_grad, trainable flags).
 * Returns DLC_ENOMEM only. */
dlc_status plan_make(graph_plan *p, const graph *g, int rows, int backward, int layout,
                     dlc_error *err);
void plan_free(graph_plan *p);

/* Points every planned buffer of g's nodes at its place in g's arena (NULL
 * for the buffers p gives none); leaves PLAN_FIXED ones alone. */
void plan_apply(graph *g, const graph_plan *p);
/* Zeroes the stores whose range starts at step, N rows of each. */
void plan_clear(graph *g, const graph_plan *p, int step, int N);
/* Fills the stores whose range ends at step with NaN (the debug flag). */
void plan_poison(graph *g, const graph_plan *p, int step);

/* Steps of the schedule of a graph of n nodes. */
static inline int plan_step_forward(int i)
{
    return i;
}
static inline int plan_step_loss(int n)
{
    return n;
}
static inline int plan_step_backward(int n, int i)
{
    return 2 * n - i;
}

#endif
