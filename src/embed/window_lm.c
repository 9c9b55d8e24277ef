/* window_lm.c - the notes' first way to learn embeddings: predict a word
 * from its context with a softmax over the whole vocabulary,
 *
 *   h = mean or concatenation of E[context],  p = softmax(W h + b),
 *   loss = -log p[target]  (summed over the examples),
 *
 * where the context is the last n words (Bengio et al.'s language model),
 * the n words on each side, or one word drawn from those 2n (skip-gram with
 * a full softmax), all inside the target's line.  A missing word (near a
 * line's start or end) is left out of the mean and is zeros in the
 * concatenation; a position with no context word at all is not an example.
 *
 * Training: examples in a shuffled order, batch_size at a time; the batch's
 * summed gradient makes one SGD step whose rate falls linearly from lr to
 * min_lr, as the word2vec methods' does.  The three matrix products run
 * through tensor_gemm (split over the pool's threads), so a run is
 * reproducible at any thread count.
 *
 * Letters: B examples, m context slots, V vocabulary, D vector size,
 * Din = D (mean) or m D (concat).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "embed.h"

static int slots(embed_context ctx, int n)
{
    return ctx == EMBED_CTX_LAST ? n : ctx == EMBED_CTX_BOTH ? 2 * n : 1;
}

/* h (B, Din) from the contexts (B, m) */
static void gather(float *restrict H, const int *ctx, int B, int m, embed_combine combine,
                   const float *restrict E, int D)
{
    int Din = combine == EMBED_CONCAT ? m * D : D;
    memset(H, 0, sizeof(float) * (size_t)B * (size_t)Din);
    for (int b = 0; b < B; b++) {
        float *h = H + (size_t)b * Din;
        int cnt = 0;
        for (int k = 0; k < m; k++) {
            int w = ctx[(size_t)b * m + k];
            if (w < 0)
                continue;
            tensor_axpy(combine == EMBED_CONCAT ? h + (size_t)k * D : h, 1.0f, E + (size_t)w * D,
                        (size_t)D);
            cnt++;
        }
        if (combine == EMBED_MEAN && cnt > 1)
            tensor_scale(h, 1.0f / (float)cnt, (size_t)D);
    }
}

/* E[context] += scale dH, split back as gather combined it */
static void scatter(float *restrict E, const int *ctx, int B, int m, embed_combine combine,
                    const float *restrict dH, float scale, int D)
{
    int Din = combine == EMBED_CONCAT ? m * D : D;
    for (int b = 0; b < B; b++) {
        const int *c = ctx + (size_t)b * m;
        int cnt = 0;
        for (int k = 0; k < m; k++)
            cnt += c[k] >= 0;
        for (int k = 0; k < m; k++) {
            if (c[k] < 0)
                continue;
            const float *g = dH + (size_t)b * Din + (combine == EMBED_CONCAT ? (size_t)k * D : 0);
            float s = combine == EMBED_MEAN ? scale / (float)cnt : scale;
            tensor_axpy(E + (size_t)c[k] * D, s, g, (size_t)D);
        }
    }
}

/* Z (B, V) = H W^T + bias; returns the summed cross-entropy and, when
 * grad, leaves softmax(Z) - onehot(target) in Z */
static double forward(float *restrict Z, const float *H, const int *targets, int B, int Din,
                      const float *W, const float *bias, int V, int grad)
{
    tensor_gemm(0, 1, B, V, Din, 1.0f, H, W, 0.0f, Z);
    tensor_add_rows(Z, bias, B, V);
    double loss = 0.0;
    for (int b = 0; b < B; b++) {
        float *z = Z + (size_t)b * V;
        float mx = z[0];
        for (int v = 1; v < V; v++)
            mx = z[v] > mx ? z[v] : mx;
        double sum = tensor_exp_sum(z, mx, (size_t)V);
        loss += log(sum) + mx - z[targets[b]];
        if (grad) {
            float inv = (float)(1.0 / sum);
            for (int v = 0; v < V; v++)
                z[v] = tensor_expf(z[v] - mx) * inv;
            z[targets[b]] -= 1.0f;
        }
    }
    return loss;
}

double embed_window_loss(const int *contexts, const int *targets, int B, int m,
                         embed_combine combine, const float *E, const float *W, const float *bias,
                         int V, int D, float *dE, float *dW, float *db, float *scratch)
{
    int Din = combine == EMBED_CONCAT ? m * D : D;
    float *H = scratch, *Z = scratch + (size_t)B * Din;
    int grad = dE && dW && db;
    gather(H, contexts, B, m, combine, E, D);
    double loss = forward(Z, H, targets, B, Din, W, bias, V, grad);
    if (!grad)
        return loss;
    tensor_sum_rows(db, Z, B, V);
    tensor_gemm(1, 0, V, Din, B, 1.0f, Z, H, 1.0f, dW);
    tensor_gemm(0, 0, B, Din, V, 1.0f, Z, W, 0.0f, H); /* H is dH from here */
    scatter(dE, contexts, B, m, combine, H, 1.0f, D);
    return loss;
}

/* The context of the word at pos (inside line [a, b)) into c (m): -1 for
 * no word.  Returns how many words it holds. */
static int context_of(int *c, const int *ids, long pos, long a, long b, embed_context ctx, int n,
                      dlc_rng *rng)
{
    int got = 0;
    if (ctx == EMBED_CTX_NEARBY) {
        long lo = pos - n < a ? a : pos - n, hi = pos + n >= b ? b - 1 : pos + n;
        long avail = hi - lo; /* the positions in [lo, hi] but pos */
        c[0] = -1;
        if (avail > 0) {
            long q = lo + (long)dlc_rng_below(rng, (uint64_t)avail);
            c[0] = ids[q >= pos ? q + 1 : q];
            got = 1;
        }
        return got;
    }
    for (int k = 0; k < n; k++) { /* the last n words, nearest last */
        long q = pos - n + k;
        c[k] = q >= a ? ids[q] : -1;
        got += c[k] >= 0;
    }
    if (ctx == EMBED_CTX_BOTH)
        for (int k = 0; k < n; k++) {
            long q = pos + 1 + k;
            c[n + k] = q < b ? ids[q] : -1;
            got += c[n + k] >= 0;
        }
    return got;
}

/* Positions of ids[0, n) that are words, and the line each lies in. */
typedef struct {
    long *pos, *a, *b;
    long n;
} positions;

static int list_positions(positions *p, const int *ids, long n)
{
    p->pos = malloc(sizeof(long) * (size_t)(n + 1));
    p->a = malloc(sizeof(long) * (size_t)(n + 1));
    p->b = malloc(sizeof(long) * (size_t)(n + 1));
    if (!p->pos || !p->a || !p->b)
        return -1;
    p->n = 0;
    for (long s = 0; s < n;) {
        long e = s;
        while (e < n && ids[e] >= 0)
            e++;
        for (long q = s; q < e; q++)
            if (e - s > 1) { /* a one-word line has no context */
                p->pos[p->n] = q;
                p->a[p->n] = s;
                p->b[p->n] = e;
                p->n++;
            }
        s = e + 1;
    }
    return 0;
}

static void positions_free(positions *p)
{
    free(p->pos);
    free(p->a);
    free(p->b);
}

dlc_status embed_window_lm(embed_job *job, dlc_error *err)
{
    const data_corpus *c = job->c;
    const embed_config *cfg = job->cfg;
    const int D = cfg->dim, V = c->V, n = cfg->window, B = cfg->batch_size;
    const int m = slots(cfg->context, n);
    const embed_combine combine = cfg->context == EMBED_CTX_NEARBY ? EMBED_MEAN : cfg->combine;
    const int Din = combine == EMBED_CONCAT ? m * D : D;
    positions tr = {0}, dv = {0};
    dlc_status st = DLC_OK;
    float *W = tensor_alloc((size_t)V * Din), *bias = tensor_alloc((size_t)V);
    float *H = tensor_alloc((size_t)B * Din), *dH = tensor_alloc((size_t)B * Din);
    float *Z = tensor_alloc((size_t)B * V);
    int *ctx = malloc(sizeof(int) * (size_t)B * m), *tg = malloc(sizeof(int) * (size_t)B);
    long *order = NULL;
    if (!W || !bias || !H || !dH || !Z || !ctx || !tg || list_positions(&tr, c->ids, c->n) ||
        list_positions(&dv, c->dev_ids, c->n_dev) ||
        !(order = malloc(sizeof(long) * (size_t)(tr.n + 1)))) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    if (tr.n == 0) {
        st = dlc_fail(err, DLC_EINPUT, "no line has two words of the vocabulary: the window "
                                       "model has nothing to predict");
        goto cleanup;
    }
    dlc_rng rng;
    dlc_rng_seed(&rng, job->seed, DLC_STREAM(DLC_STREAM_INIT, 0));
    for (size_t k = 0; k < (size_t)V * D; k++)
        job->w[k] = (float)((dlc_rng_uniform(&rng) - 0.5) / D);
    /* the softmax starts at zero, as word2vec's output vectors do */
    for (long k = 0; k < tr.n; k++)
        order[k] = k;
    long total = tr.n * (long)cfg->epochs, done = 0;
    double train_s = 0.0, t_start = dlc_now();
    for (int e = 1; e <= cfg->epochs; e++) {
        double t0 = dlc_now(), loss = 0.0;
        long used = 0;
        dlc_rng_seed(&rng, job->seed, DLC_STREAM(DLC_STREAM_SHUFFLE, e));
        for (long k = tr.n; k > 1; k--) {
            long r = (long)dlc_rng_below(&rng, (uint64_t)k), t = order[k - 1];
            order[k - 1] = order[r];
            order[r] = t;
        }
        float lr = (float)cfg->lr;
        for (long s = 0; s < tr.n; s += B) {
            int nb = 0;
            for (long k = s; k < tr.n && k < s + B; k++) {
                long i = order[k];
                if (context_of(ctx + (size_t)nb * m, c->ids, tr.pos[i], tr.a[i], tr.b[i],
                               cfg->context, n, &rng) == 0)
                    continue;
                tg[nb++] = c->ids[tr.pos[i]];
            }
            double p = (double)done / (double)total;
            lr = (float)(cfg->lr - (cfg->lr - cfg->min_lr) * p);
            gather(H, ctx, nb, m, combine, job->w, D);
            loss += forward(Z, H, tg, nb, Din, W, bias, V, 1);
            tensor_gemm(0, 0, nb, Din, V, 1.0f, Z, W, 0.0f, dH);
            tensor_gemm(1, 0, V, Din, nb, -lr, Z, H, 1.0f, W);
            for (int b = 0; b < nb; b++)
                tensor_axpy(bias, -lr, Z + (size_t)b * V, (size_t)V);
            scatter(job->w, ctx, nb, m, combine, dH, -lr, D);
            done += (s + B < tr.n ? s + B : tr.n) - s;
            used += nb;
            if (job->cb && job->cb->on_progress) {
                double el = dlc_now() - t_start;
                job->cb->on_progress(job->cb->user, (double)done / (double)total, lr,
                                     el > 0 ? (double)done / el : 0.0);
            }
        }
        double sec = dlc_now() - t0;
        train_s += sec;
        if (!isfinite(loss) || !tensor_all_finite(job->w, (size_t)V * D)) {
            st = dlc_fail(err, DLC_ERUN, "epoch %d: the loss became NaN or infinite (lower "
                                         "embed.lr)", e);
            goto cleanup;
        }
        /* dev: the same rule with draws of its own, the same every epoch */
        double dev = 0.0;
        long dev_n = 0;
        dlc_rng_seed(&rng, job->seed, DLC_STREAM(DLC_STREAM_SAMPLE, 0));
        for (long s = 0; s < dv.n; s += B) {
            int nb = 0;
            for (long i = s; i < dv.n && i < s + B; i++)
                if (context_of(ctx + (size_t)nb * m, c->dev_ids, dv.pos[i], dv.a[i], dv.b[i],
                               cfg->context, n, &rng) > 0)
                    tg[nb++] = c->dev_ids[dv.pos[i]];
            gather(H, ctx, nb, m, combine, job->w, D);
            dev += forward(Z, H, tg, nb, Din, W, bias, V, 0);
            dev_n += nb;
        }
        embed_epoch ep = {e, cfg->epochs, lr, used ? loss / (double)used : NAN,
                          dev_n ? dev / (double)dev_n : NAN, sec,
                          sec > 0 ? (double)c->words / sec : 0.0, 0};
        job->res->loss = ep.loss;
        job->res->dev_loss = ep.dev_loss;
        if (job->cb && job->cb->on_epoch)
            job->cb->on_epoch(job->cb->user, &ep);
    }
    job->res->seconds = train_s;
    job->res->rate = train_s > 0 ? (double)c->words * cfg->epochs / train_s : 0.0;
cleanup:
    positions_free(&tr);
    positions_free(&dv);
    free(order);
    free(ctx);
    free(tg);
    tensor_free(W);
    tensor_free(bias);
    tensor_free(H);
    tensor_free(dH);
    tensor_free(Z);
    return st;
}
