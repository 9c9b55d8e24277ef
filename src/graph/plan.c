/* plan.c - the memory plan (plan.h): live ranges of node buffers over the
 * schedule of a pass, identity ops in place, and placement in one arena. */
#include "plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t align16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* What node c's backward reads: the op's own answer, or everything. */
static graph_saves saves_of(const graph *g, const graph_node *c)
{
    graph_saves s = {~(uint64_t)0, 1, 1, -1};
    const graph_op *op = &graph_ops[c->spec.op];
    if (op->saves) {
        memset(&s, 0, sizeof s);
        s.other = -1;
        op->saves(g, c, &s);
    }
    return s;
}

/* 1 when the graph's activation of n (applied after its op) takes its
 * derivative from the output y; gelu's comes from z (pre). */
static int act_reads_y(const graph_node *n)
{
    return n->spec.activation != ACT_LINEAR && !n->act_fused && !graph_act_needs_pre(n->spec.activation);
}

/* ---- live ranges ---- */

typedef struct {
    size_t floats, row_floats;
    int first, last, clear;
    int parent; /* union-find over buffers sharing a store */
} plan_buf;

static int buf_find(plan_buf *b, int i)
{
    while (b[i].parent != i) {
        b[i].parent = b[b[i].parent].parent;
        i = b[i].parent;
    }
    return i;
}

/* Joins buffer j into i's store: the store spans both ranges; it is cleared
 * when the buffer that starts it is. */
static void buf_join(plan_buf *b, int i, int j)
{
    i = buf_find(b, i);
    j = buf_find(b, j);
    if (i == j)
        return;
    if (b[j].first < b[i].first || (b[j].first == b[i].first && b[j].clear))
        b[i].clear = b[j].clear;
    b[i].first = b[j].first < b[i].first ? b[j].first : b[i].first;
    b[i].last = b[j].last > b[i].last ? b[j].last : b[i].last;
    b[i].floats = b[j].floats > b[i].floats ? b[j].floats : b[i].floats;
    b[i].row_floats = b[j].row_floats > b[i].row_floats ? b[j].row_floats : b[i].row_floats;
    b[j].parent = i;
}

#define BUF(i, k) ((size_t)(i) * PLAN_KINDS + (size_t)(k))

/* Live ranges of every buffer of g (one per node and kind; floats 0 for none
 * or fixed, recorded in store_of). */
static void live_ranges(const graph *g, const graph_plan *p, plan_buf *b, const int *consumers,
                        const char *is_output)
{
    const int n = g->n_nodes, rows = p->rows, bw = p->backward;
    for (int x = 0; x < n; x++) {
        const graph_node *nd = &g->nodes[x];
        const int F = plan_step_forward(x), B = plan_step_backward(n, x);
        const int fixed = x < g->n_inputs || is_output[x];
        const graph_saves sv = x < g->n_inputs ? (graph_saves){0, 0, 0, -1} : saves_of(g, nd);
        for (int k = 0; k < PLAN_KINDS; k++) {
            plan_buf *q = &b[BUF(x, k)];
            memset(q, 0, sizeof *q);
            q->parent = (int)BUF(x, k);
            q->first = q->last = F;
            p->store_of[BUF(x, k)] = PLAN_NONE;
        }
        /* out */
        if (fixed || nd->keep_out) {
            p->store_of[BUF(x, PLAN_OUT)] = PLAN_FIXED;
        } else {
            b[BUF(x, PLAN_OUT)].floats = (size_t)rows * nd->size;
            b[BUF(x, PLAN_OUT)].row_floats = nd->size;
            if (bw && nd->needs_grad && (sv.out || act_reads_y(nd)))
                b[BUF(x, PLAN_OUT)].last = B;
        }
        /* grad: from its last consumer's backward (the first to write it) */
        if (bw && (nd->needs_grad || is_output[x])) {
            if (fixed) {
                p->store_of[BUF(x, PLAN_GRAD)] = PLAN_FIXED;
            } else {
                plan_buf *q = &b[BUF(x, PLAN_GRAD)];
                q->floats = (size_t)rows * nd->size;
                q->row_floats = nd->size;
                q->first = consumers[x] >= 0 ? plan_step_backward(n, consumers[x]) : B;
                q->last = B;
                q->clear = !nd->grad_assigned;
            }
        }
        /* pre: gelu's (silu's, hardswish's) z, for its derivative */
        if (bw && nd->needs_grad && x >= g->n_inputs && !nd->act_fused &&
            graph_act_needs_pre(nd->spec.activation)) {
            b[BUF(x, PLAN_PRE)].floats = (size_t)rows * nd->size;
            b[BUF(x, PLAN_PRE)].last = B;
        }
        /* aux: written by every forward, read by backward when saved */
        size_t aux = nd->aux_per_sample * (size_t)rows + nd->aux_fixed;
        if (aux) {
            b[BUF(x, PLAN_AUX)].floats = aux;
            if (bw && nd->needs_grad && sv.aux)
                b[BUF(x, PLAN_AUX)].last = B;
        }
    }
    /* an output lives until the last forward or backward that reads it */
    for (int c = g->n_inputs; c < n; c++) {
        const graph_node *nd = &g->nodes[c];
        const graph_saves sv = saves_of(g, nd);
        const int reads = bw && nd->needs_grad;
        for (int k = 0; k < nd->n_in; k++) {
            plan_buf *q = &b[BUF(nd->in[k], PLAN_OUT)];
            int at = reads && (sv.inputs >> k & 1u) ? plan_step_backward(n, c) : plan_step_forward(c);
            q->last = at > q->last ? at : q->last;
        }
        /* forward reads the other node too (a recurrent layer after a small
         * embedding looks its tokens up there), with or without a backward */
        if (sv.other >= 0 && sv.other < n) {
            plan_buf *q = &b[BUF(sv.other, PLAN_OUT)];
            int at = reads ? plan_step_backward(n, c) : plan_step_forward(c);
            q->last = at > q->last ? at : q->last;
        }
    }
}

/* 1 when node c's gradient may be input x's (x is read by c alone, and
 * both gradients are planned) */
static int grad_joins(const graph_plan *p, const plan_buf *b, const int *n_consumers, int c, int x)
{
    return p->backward && n_consumers[x] == 1 && b[BUF(x, PLAN_GRAD)].floats &&
           b[BUF(c, PLAN_GRAD)].floats;
}

/* 1 when node c's input k has its buffer of this kind in a store of its
 * own among c's inputs (no other input is the same node, or in place on it) */
static int alone_among_inputs(const graph_node *nd, plan_buf *b, int k, int kind)
{
    int s = buf_find(b, (int)BUF(nd->in[k], kind));
    for (int q = 0; q < nd->n_in; q++)
        if (q != k && buf_find(b, (int)BUF(nd->in[q], kind)) == s)
            return 0;
    return 1;
}

/* An elementwise sum (graph_op.in_place_sum) on the memory of the first of
 * its first two inputs that nothing reads after it (its first pass adds
 * those two, then the others into it), and with the gradient of its first
 * input that only it reads; each such input's memory no other input's. */
static void in_place_sum(const graph *g, const graph_plan *p, plan_buf *b, const int *n_consumers,
                         int c)
{
    const graph_node *nd = &g->nodes[c];
    int out_done = 0, grad_done = 0;
    for (int k = 0; k < nd->n_in; k++) {
        int x = nd->in[k];
        if (p->store_of[BUF(x, PLAN_OUT)] == PLAN_FIXED)
            continue;
        int s = buf_find(b, (int)BUF(x, PLAN_OUT));
        if (!out_done && k < 2 && b[s].last <= plan_step_forward(c) &&
            alone_among_inputs(nd, b, k, PLAN_OUT)) {
            buf_join(b, s, (int)BUF(c, PLAN_OUT));
            out_done = 1;
        }
        if (!grad_done && grad_joins(p, b, n_consumers, c, x) && alone_among_inputs(nd, b, k, PLAN_GRAD)) {
            buf_join(b, (int)BUF(c, PLAN_GRAD), (int)BUF(x, PLAN_GRAD));
            grad_done = 1;
        }
    }
}

/* Identity ops in place: node c takes its input's memory where that is safe
 * (see plan.h).  Decided in forward order, so chains (add -> relu ->
 * flatten) share one store. */
static void in_place(const graph *g, const graph_plan *p, plan_buf *b, const int *n_consumers,
                     const char *is_output)
{
    for (int c = g->n_inputs; c < g->n_nodes; c++) {
        const graph_node *nd = &g->nodes[c];
        if (is_output[c] || nd->keep_out)
            continue;
        if (graph_ops[nd->spec.op].in_place_sum) {
            in_place_sum(g, p, b, n_consumers, c);
            continue;
        }
        if (nd->dx_over_dy && nd->n_in == 1 &&
            grad_joins(p, b, n_consumers, c, nd->in[0])) {
            buf_join(b, (int)BUF(c, PLAN_GRAD), (int)BUF(nd->in[0], PLAN_GRAD));
            continue;
        }
        if (!graph_ops[nd->spec.op].in_place || nd->n_in != 1)
            continue;
        int x = nd->in[0];
        if (p->store_of[BUF(x, PLAN_OUT)] == PLAN_FIXED)
            continue;
        int s = buf_find(b, (int)BUF(x, PLAN_OUT));
        /* the activation overwrites the values: only once nothing reads them
         * after (a ReLU its input's op applies, act_fused, writes nothing) */
        if (nd->spec.activation == ACT_LINEAR || nd->act_fused || b[s].last <= plan_step_forward(c))
            buf_join(b, s, (int)BUF(c, PLAN_OUT));
        if (grad_joins(p, b, n_consumers, c, x))
            buf_join(b, (int)BUF(c, PLAN_GRAD), (int)BUF(x, PLAN_GRAD));
    }
}

/* ---- placement ---- */

typedef struct {
    size_t off, len;
} plan_hole;

typedef struct {
    plan_hole *h;
    int n;
    size_t top;
} plan_free_list;

/* Returns [off, off + len) to the free list, merged with its neighbours. */
static void hole_put(plan_free_list *f, size_t off, size_t len)
{
    int lo = 0, hi = f->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (f->h[mid].off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0 && f->h[lo - 1].off + f->h[lo - 1].len == off) {
        f->h[lo - 1].len += len;
        if (lo < f->n && f->h[lo - 1].off + f->h[lo - 1].len == f->h[lo].off) {
            f->h[lo - 1].len += f->h[lo].len;
            memmove(f->h + lo, f->h + lo + 1, sizeof *f->h * (size_t)(f->n - lo - 1));
            f->n--;
        }
        return;
    }
    if (lo < f->n && off + len == f->h[lo].off) {
        f->h[lo].off = off;
        f->h[lo].len += len;
        return;
    }
    memmove(f->h + lo + 1, f->h + lo, sizeof *f->h * (size_t)(f->n - lo));
    f->h[lo] = (plan_hole){off, len};
    f->n++;
}

/* Takes len floats: the smallest hole that holds them, else the top of the
 * arena (growing the hole that ends there). */
static size_t hole_take(plan_free_list *f, size_t len)
{
    int best = -1;
    for (int i = 0; i < f->n; i++)
        if (f->h[i].len >= len && (best < 0 || f->h[i].len < f->h[best].len))
            best = i;
    if (best < 0) {
        if (f->n > 0 && f->h[f->n - 1].off + f->h[f->n - 1].len == f->top) {
            best = f->n - 1;
            f->top += len - f->h[best].len;
            f->h[best].len = len;
        } else {
            size_t off = f->top;
            f->top += len;
            return off;
        }
    }
    size_t off = f->h[best].off;
    f->h[best].off += len;
    f->h[best].len -= len;
    if (f->h[best].len == 0) {
        memmove(f->h + best, f->h + best + 1, sizeof *f->h * (size_t)(f->n - best - 1));
        f->n--;
    }
    return off;
}

/* A store's sort key: by first step (larger first within a step: they pack
 * better), or by last step. */
typedef struct {
    int step;
    size_t floats;
    int store;
} plan_key;

static int key_order(const void *a, const void *b)
{
    const plan_key *x = a, *y = b;
    if (x->step != y->step)
        return x->step < y->step ? -1 : 1;
    if (x->floats != y->floats)
        return x->floats > y->floats ? -1 : 1;
    return x->store - y->store;
}

/* Places the stores by a sweep over the steps: a store takes the smallest
 * free hole when its range starts and gives it back when its range ends
 * (linear in the stores for the usual few holes, so a model of 40,000 layers
 * plans as fast as it builds).  Sets offsets and p->floats. */
static dlc_status place(graph_plan *p, int layout, dlc_error *err)
{
    const int S = p->n_stores;
    if (layout == GRAPH_LAYOUT_SEPARATE) {
        size_t at = 0;
        for (int s = 0; s < S; s++) {
            p->stores[s].offset = at;
            at += align16(p->stores[s].floats);
        }
        p->floats = at;
        return DLC_OK;
    }
    plan_key *first = malloc(sizeof *first * (size_t)(S + 1)), *last = malloc(sizeof *last * (size_t)(S + 1));
    plan_free_list f = {malloc(sizeof *f.h * (size_t)(S + 1)), 0, 0};
    if (!first || !last || !f.h) {
        free(first);
        free(last);
        free(f.h);
        return DLC_NOMEM(err);
    }
    for (int s = 0; s < S; s++) {
        first[s] = (plan_key){p->stores[s].first, p->stores[s].floats, s};
        last[s] = (plan_key){p->stores[s].last, 0, s};
    }
    qsort(first, (size_t)S, sizeof *first, key_order);
    qsort(last, (size_t)S, sizeof *last, key_order);
    int e = 0;
    for (int i = 0; i < S; i++) {
        plan_store *st = &p->stores[first[i].store];
        /* ranges that ended before this one starts give their memory back */
        for (; e < S && last[e].step < st->first; e++)
            hole_put(&f, p->stores[last[e].store].offset, align16(p->stores[last[e].store].floats));
        st->offset = hole_take(&f, align16(st->floats));
    }
    p->floats = f.top;
    free(first);
    free(last);
    free(f.h);
    return DLC_OK;
}

/* p->peak and p->kept: live floats per step, by a sweep over range ends. */
static dlc_status measure(graph_plan *p, int steps, dlc_error *err)
{
    double *delta = calloc((size_t)steps + 2, sizeof *delta);
    if (!delta)
        return DLC_NOMEM(err);
    for (int s = 0; s < p->n_stores; s++) {
        delta[p->stores[s].first] += (double)p->stores[s].floats;
        delta[p->stores[s].last + 1] -= (double)p->stores[s].floats;
    }
    double live = 0, peak = 0;
    for (int t = 0; t < steps; t++) {
        live += delta[t];
        peak = live > peak ? live : peak;
        if (t == plan_step_loss(p->n_nodes))
            p->kept = (size_t)live;
    }
    p->peak = (size_t)peak;
    free(delta);
    return DLC_OK;
}

void plan_free(graph_plan *p)
{
    if (!p)
        return;
    free(p->stores);
    free(p->store_of);
    free(p->clear_at);
    free(p->clear_list);
    memset(p, 0, sizeof *p);
}

dlc_status plan_make(graph_plan *p, const graph *g, int rows, int backward, int layout,
                     dlc_error *err)
{
    const int n = g->n_nodes, steps = plan_step_backward(n, 0) + 2;
    dlc_status st = DLC_OK;
    memset(p, 0, sizeof *p);
    p->rows = rows;
    p->backward = backward;
    p->n_nodes = n;
    size_t nb = (size_t)n * PLAN_KINDS;
    plan_buf *b = malloc(sizeof *b * nb);
    int *consumers = malloc(sizeof *consumers * (size_t)n);   /* the last consumer, -1 none */
    int *n_consumers = calloc((size_t)n, sizeof *n_consumers); /* edges into other nodes */
    char *is_output = calloc((size_t)n, 1);
    int *root_store = malloc(sizeof *root_store * nb);
    p->store_of = malloc(sizeof *p->store_of * nb);
    p->stores = malloc(sizeof *p->stores * nb);
    p->clear_at = calloc((size_t)steps + 1, sizeof *p->clear_at);
    if (!b || !consumers || !n_consumers || !is_output || !root_store || !p->store_of || !p->stores ||
        !p->clear_at) {
        st = DLC_NOMEM(err);
        goto done;
    }
    for (int i = 0; i < n; i++)
        consumers[i] = -1;
    for (int c = 0; c < n; c++)
        for (int k = 0; k < g->nodes[c].n_in; k++) {
            consumers[g->nodes[c].in[k]] = c;
            n_consumers[g->nodes[c].in[k]]++;
        }
    for (int k = 0; k < g->n_outputs; k++)
        is_output[g->outputs[k]] = 1;

    live_ranges(g, p, b, consumers, is_output);
    if (layout == GRAPH_LAYOUT_PLANNED)
        in_place(g, p, b, n_consumers, is_output);

    /* one store per union-find root that holds memory */
    for (size_t i = 0; i < nb; i++)
        root_store[i] = -1;
    for (size_t i = 0; i < nb; i++) {
        if (p->store_of[i] != PLAN_NONE || b[i].floats == 0)
            continue;
        int r = buf_find(b, (int)i);
        if (root_store[r] < 0) {
            plan_store *s = &p->stores[p->n_stores];
            s->floats = b[r].floats;
            s->row_floats = b[r].row_floats;
            s->first = b[r].first;
            s->last = b[r].last;
            s->clear = b[r].clear;
            s->offset = 0;
            root_store[r] = p->n_stores++;
        }
        p->store_of[i] = root_store[r];
        p->separate += align16(b[i].floats); /* as before planning: each its own memory */
    }

    /* stores to clear, listed by the step that starts them */
    int n_clear = 0;
    for (int s = 0; s < p->n_stores; s++)
        if (p->stores[s].clear) {
            p->clear_at[p->stores[s].first + 1]++;
            n_clear++;
        }
    for (int t = 0; t < steps; t++)
        p->clear_at[t + 1] += p->clear_at[t];
    if (!(p->clear_list = malloc(sizeof *p->clear_list * (size_t)(n_clear + 1)))) {
        st = DLC_NOMEM(err);
        goto done;
    }
    for (int s = 0; s < p->n_stores; s++)
        if (p->stores[s].clear) /* clear_at[first] counts up to its final value again */
            p->clear_list[p->clear_at[p->stores[s].first]++] = s;
    for (int t = steps; t > 0; t--)
        p->clear_at[t] = p->clear_at[t - 1];
    p->clear_at[0] = 0;
    if ((st = place(p, layout, err)) != DLC_OK || (st = measure(p, steps, err)) != DLC_OK)
        goto done;
done:
    free(b);
    free(consumers);
    free(n_consumers);
    free(is_output);
    free(root_store);
    if (st != DLC_OK)
        plan_free(p);
    return st;
}

/* ---- running ---- */

void plan_apply(graph *g, const graph_plan *p)
{
    float *base = g->mem->arena;
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node *nd = &g->nodes[i];
        float **slot[PLAN_KINDS] = {&nd->out, &nd->grad, &nd->pre, &nd->aux};
        for (int k = 0; k < PLAN_KINDS; k++) {
            int s = p->store_of[BUF(i, k)];
            if (s == PLAN_FIXED)
                *slot[k] = g->mem->fixed[BUF(i, k)];
            else
                *slot[k] = s == PLAN_NONE || !base ? NULL : base + p->stores[s].offset;
        }
    }
    g->mem->active = p;
    g->rows = p->rows;
}

void plan_clear(graph *g, const graph_plan *p, int step, int N)
{
    for (int j = p->clear_at[step]; j < p->clear_at[step + 1]; j++) {
        const plan_store *s = &p->stores[p->clear_list[j]];
        memset(g->mem->arena + s->offset, 0, sizeof(float) * s->row_floats * (size_t)N);
    }
}

void plan_poison(graph *g, const graph_plan *p, int step)
{
    for (int j = 0; j < p->n_stores; j++) {
        const plan_store *s = &p->stores[j];
        if (s->last == step)
            tensor_fill(g->mem->arena + s->offset, NAN, s->floats);
    }
}
