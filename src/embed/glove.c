/* glove.c - GloVe (Pennington, Socher and Manning 2014): weighted least
 * squares on the co-occurrence counts,
 *
 *   J = sum over X_ij > 0 of f(X_ij) (w_i . v_j + b_i + c_j - log X_ij)^2 / 2,
 *   f(x) = min(1, (x / x_max)^alpha),
 *
 * where X_ij adds 1/d for every time word j stands d <= n words from word i
 * in the same line (both orders, so X is symmetric).  AdaGrad steps as the
 * reference glove.c (kernels.h glove_step); the vectors returned are the
 * notes' (w + v) / 2.
 *
 * Counting: one open-addressing table keyed by the pair, grown by doubling;
 * then a list of the pairs with log X and f(X) worked out once, shuffled
 * with the seed.  Training: the list cut into one part per pool thread, the
 * parts updating shared parameters without locks (Hogwild), as the
 * reference does.
 *
 * Letters: V vocabulary, D vector size, P distinct pairs, n window.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "embed.h"
#include "kernels.h"

typedef struct {
    uint64_t *key;  /* (cap) i << 32 | j, or EMPTY */
    float *val;     /* (cap) */
    size_t cap, n;
} pair_table;

#define EMPTY UINT64_MAX

static size_t slot_of(uint64_t k, size_t cap)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k & (cap - 1);
}

static int table_grow(pair_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : (size_t)1 << 16;
    uint64_t *key = malloc(sizeof *key * cap);
    float *val = malloc(sizeof *val * cap);
    if (!key || !val) {
        free(key);
        free(val);
        return -1;
    }
    memset(key, 0xff, sizeof *key * cap);
    for (size_t i = 0; i < t->cap; i++) {
        if (t->key[i] == EMPTY)
            continue;
        size_t s = slot_of(t->key[i], cap);
        while (key[s] != EMPTY)
            s = (s + 1) & (cap - 1);
        key[s] = t->key[i];
        val[s] = t->val[i];
    }
    free(t->key);
    free(t->val);
    t->key = key;
    t->val = val;
    t->cap = cap;
    return 0;
}

static int table_add(pair_table *t, int i, int j, float x)
{
    if ((t->n + 1) * 2 > t->cap && table_grow(t) != 0)
        return -1;
    uint64_t k = (uint64_t)(uint32_t)i << 32 | (uint32_t)j;
    size_t s = slot_of(k, t->cap);
    while (t->key[s] != EMPTY && t->key[s] != k)
        s = (s + 1) & (t->cap - 1);
    if (t->key[s] == EMPTY) {
        t->key[s] = k;
        t->val[s] = 0.0f;
        t->n++;
    }
    t->val[s] += x;
    return 0;
}

typedef struct {
    int i, j;
    float logx, fx;
} cooc;

typedef struct {
    const embed_job *job;
    int D;
    float *w, *v, *gw, *gv; /* (V, D) */
    float *b, *c, *gb, *gc; /* (V) */
    const cooc *list;
    size_t n;
    float lr;
    double cost[64]; /* per part (the pool has at most 64 threads) */
} glove;

DLC_HOT
static void glove_part(void *ctx, int i, int n)
{
    glove *g = ctx;
    size_t lo, hi;
    tensor_part_range(g->n, 1, i, n, &lo, &hi);
    const int D = g->D;
    double cost = 0.0;
    for (size_t k = lo; k < hi; k++) {
        const cooc *e = &g->list[k];
        size_t a = (size_t)e->i * D, b = (size_t)e->j * D;
        cost += glove_step(g->w + a, g->v + b, g->gw + a, g->gv + b, g->b + e->i, g->c + e->j,
                           g->gb + e->i, g->gc + e->j, e->fx, e->logx, g->lr, D);
    }
    g->cost[i] = cost;
}

/* X from the text: pairs within n words of each other in a line. */
static dlc_status count_pairs(pair_table *t, const data_corpus *c, int n, dlc_error *err)
{
    long line = 0;
    for (long pos = 0; pos < c->n; pos++) {
        if (c->ids[pos] < 0) {
            line = pos + 1;
            continue;
        }
        for (long q = pos - 1; q >= line && q >= pos - n; q--) {
            float x = 1.0f / (float)(pos - q);
            if (table_add(t, c->ids[pos], c->ids[q], x) || table_add(t, c->ids[q], c->ids[pos], x))
                return DLC_NOMEM(err);
        }
    }
    return DLC_OK;
}

dlc_status embed_glove(embed_job *job, dlc_error *err)
{
    const data_corpus *c = job->c;
    const embed_config *cfg = job->cfg;
    const int D = cfg->dim, V = c->V;
    pair_table t = {0};
    cooc *list = NULL;
    float *block = NULL;
    dlc_status st = count_pairs(&t, c, cfg->window, err);
    if (st)
        goto cleanup;
    if (t.n == 0) {
        st = dlc_fail(err, DLC_EINPUT, "no two words of the vocabulary stand within embed.window "
                                       "= %d of each other in a line: nothing to learn from",
                      cfg->window);
        goto cleanup;
    }
    list = malloc(sizeof *list * t.n);
    size_t VD = (size_t)V * D;
    block = tensor_alloc(4 * VD + 4 * (size_t)V);
    if (!list || !block) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    size_t n = 0;
    for (size_t s = 0; s < t.cap; s++) {
        if (t.key[s] == EMPTY)
            continue;
        double x = t.val[s];
        list[n++] = (cooc){(int)(t.key[s] >> 32), (int)(t.key[s] & 0xffffffffu), (float)log(x),
                           (float)(x < cfg->x_max ? pow(x / cfg->x_max, cfg->alpha) : 1.0)};
    }
    free(t.key);
    free(t.val);
    t.key = NULL;
    t.val = NULL;
    dlc_rng rng;
    dlc_rng_seed(&rng, job->seed, DLC_STREAM(DLC_STREAM_SHUFFLE, 0));
    for (size_t k = n; k > 1; k--) { /* Fisher-Yates over size_t */
        size_t r = (size_t)dlc_rng_below(&rng, k);
        cooc tmp = list[k - 1];
        list[k - 1] = list[r];
        list[r] = tmp;
    }
    glove g = {.job = job, .D = D, .list = list, .n = n, .lr = (float)cfg->lr};
    g.w = block;
    g.v = block + VD;
    g.gw = block + 2 * VD;
    g.gv = block + 3 * VD;
    g.b = block + 4 * VD;
    g.c = g.b + V;
    g.gb = g.c + V;
    g.gc = g.gb + V;
    dlc_rng_seed(&rng, job->seed, DLC_STREAM(DLC_STREAM_INIT, 0));
    for (size_t k = 0; k < 2 * VD; k++)
        block[k] = (float)((dlc_rng_uniform(&rng) - 0.5) / D);
    for (int k = 0; k < V; k++) {
        g.b[k] = (float)((dlc_rng_uniform(&rng) - 0.5) / D);
        g.c[k] = (float)((dlc_rng_uniform(&rng) - 0.5) / D);
    }
    tensor_fill(g.gw, 1.0f, 2 * VD);
    tensor_fill(g.gb, 1.0f, 2 * (size_t)V);
    job->res->pairs = (long)n;
    double train_s = 0.0;
    for (int e = 1; e <= cfg->epochs; e++) {
        double t0 = dlc_now();
        memset(g.cost, 0, sizeof g.cost);
        tensor_parallel(glove_part, &g);
        double s = dlc_now() - t0, cost = 0.0;
        train_s += s;
        for (size_t i = 0; i < DLC_ARRAY_LEN(g.cost); i++)
            cost += g.cost[i];
        if (!isfinite(cost) || !tensor_all_finite(g.w, 2 * VD)) {
            st = dlc_fail(err, DLC_ERUN, "epoch %d: the vectors became NaN or infinite (lower "
                                         "embed.lr)", e);
            goto cleanup;
        }
        embed_epoch ep = {e, cfg->epochs, cfg->lr, cost / (double)n, NAN, s,
                          s > 0 ? (double)n / s : 0.0, 0};
        job->res->loss = ep.loss;
        if (job->cb && job->cb->on_progress)
            job->cb->on_progress(job->cb->user, (double)e / cfg->epochs, cfg->lr, ep.rate);
        if (job->cb && job->cb->on_epoch)
            job->cb->on_epoch(job->cb->user, &ep);
    }
    for (size_t k = 0; k < VD; k++)
        job->w[k] = 0.5f * (g.w[k] + g.v[k]);
    job->res->seconds = train_s;
    job->res->rate = train_s > 0 ? (double)n * cfg->epochs / train_s : 0.0; /* pairs/s */
cleanup:
    free(t.key);
    free(t.val);
    free(list);
    tensor_free(block);
    return st;
}

double embed_glove_step(float *w, float *v, float *gw, float *gv, float *b, float *c, float *gb,
                        float *gc, float fx, float logx, float lr, int D)
{
    return glove_step(w, v, gw, gv, b, c, gb, gc, fx, logx, lr, D);
}
