/* word2vec.c - skip-gram and CBOW with negative sampling (Mikolov et al.
 * 2013), done as the reference word2vec.c and gensim do it:
 *
 * - input vectors start uniform in [-0.5/D, 0.5/D), output vectors at 0;
 * - frequent words are subsampled: a word of count f among T kept words
 *   stays with probability (sqrt(f / (t T)) + 1) (t T) / f, t = sample;
 * - each position draws b in [0, n) and uses the window n - b on each side
 *   (nearer words count more often), inside its line;
 * - skip-gram: every context word's input vector predicts the centre word
 *   against K negatives; CBOW: the mean of the context's input vectors
 *   predicts it, and each context vector receives the whole step (as both
 *   references do);
 * - negatives are drawn in proportion to count^power (0.75); word2vec
 *   fills a table of 10^8 slots with word ids for that, gensim searches a
 *   cumulative table: here Walker's alias table (one slot per word: a
 *   probability and an alias, Vose's construction) gives a draw with one
 *   random slot, which for a vocabulary of 30,000 words stays in the cache
 *   where a random slot of word2vec's 400 MB table is a trip to memory;
 * - the rate falls linearly from lr to min_lr over all epochs' words.
 *
 * Threads: the text is cut at line ends into one part per pool thread; all
 * parts update the same vectors without locks (Hogwild).  Each keeps its
 * own draws, sentence buffer and step vectors, allocated once.
 *
 * Letters: V vocabulary, D vector size, K negatives, n window.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "embed.h"
#include "kernels.h"

enum {
    PROGRESS_WORDS = 10000,        /* words between updates of the shared count */
    LOSS_EVERY = 16                /* the loss is summed at one position in this many */
};

typedef struct {
    uint64_t rng;
    int *sen;          /* (longest line) the line being trained, after subsampling */
    float *h, *dh;     /* (D) CBOW's mean; the step for the input side */
    int *targets;      /* (K + 1) */
    double loss;
    long pairs;        /* loss terms summed */
    long lines;        /* lines trained: two words or more after subsampling */
    char pad[64];
} w2v_part;

typedef struct {
    const embed_job *job;
    int D, K, n, cbow, V;
    float *syn0, *syn1;        /* (V, D) input and output vectors */
    embed_alias *alias;          /* (V) the negatives' distribution */
    uint32_t *keep;            /* (V) keep a word when a 32-bit draw is below; UINT32_MAX: always */
    long *bounds;              /* (parts + 1) positions in the text where parts start */
    int parts;
    long total;                /* corpus tokens x epochs: the rate's clock */
    atomic_long done;          /* tokens trained so far, all parts */
    double t0;
    int epoch;
    w2v_part *part;
} w2v;

static float rate(const w2v *m, long done)
{
    const embed_config *cfg = m->job->cfg;
    double p = (double)done / (double)(m->total + 1);
    double lr = cfg->lr - (cfg->lr - cfg->min_lr) * (p < 1 ? p : 1);
    return (float)(lr > cfg->min_lr ? lr : cfg->min_lr);
}

/* The rows of the output vectors a step will read, asked for ahead of it:
 * they are scattered over the table, and each would otherwise wait for
 * memory in turn. */
static inline void prefetch_rows(const float *U, const int *t, int k, int D)
{
    for (int d = 0; d <= k; d++)
        for (int i = 0; i < D; i += 16)
            __builtin_prefetch(U + (size_t)t[d] * D + i, 1);
}

/* CBOW at one position: the mean h (D) of the input vectors of sen[lo..hi]
 * but pos predicts t[0] against t[1..K] (ns_step), and every context row
 * gets the whole step dh (D).  Returns the loss (when want_loss), or -1
 * when the window holds no other word. */
static inline double cbow_step(float *restrict syn0, float *restrict syn1, const int *sen, int lo,
                               int hi, int pos, const int *t, int K, float lr, float *restrict h,
                               float *restrict dh, int D, int want_loss)
{
    int cw = 0;
    for (int i = 0; i < D; i++)
        h[i] = 0.0f;
    for (int c = lo; c <= hi; c++)
        if (c != pos) {
            vec_axpy(h, 1.0f, syn0 + (size_t)sen[c] * D, D);
            cw++;
        }
    if (cw == 0)
        return -1.0;
    for (int i = 0; i < D; i++)
        h[i] *= 1.0f / (float)cw;
    prefetch_rows(syn1, t, K, D);
    double l = ns_step(h, syn1, t, K, lr, dh, D, want_loss);
    for (int c = lo; c <= hi; c++)
        if (c != pos)
            vec_axpy(syn0 + (size_t)sen[c] * D, 1.0f, dh, D);
    return l;
}

/* One line (after subsampling): every position's window. */
DLC_HOT
static void train_line(w2v *m, w2v_part *p, const int *sen, int len, float lr, int first)
{
    const int D = m->D, K = m->K, n = m->n;
    float *restrict syn0 = m->syn0;
    for (int pos = 0; pos < len; pos++) {
        int b = (int)(embed_rand(&p->rng) % (uint64_t)n);
        int lo = pos - n + b, hi = pos + n - b;
        lo = lo < 0 ? 0 : lo;
        hi = hi >= len ? len - 1 : hi;
        int want_loss = (first + pos) % LOSS_EVERY == 0;
        p->targets[0] = sen[pos];
        if (m->cbow) {
            if (lo == hi) /* no other word in the window */
                continue;
            for (int d = 1; d <= K; d++)
                p->targets[d] = embed_alias_draw(m->alias, embed_rand(&p->rng), m->V);
            double l = cbow_step(syn0, m->syn1, sen, lo, hi, pos, p->targets, K, lr, p->h, p->dh,
                                 D, want_loss);
            if (want_loss) {
                p->loss += l;
                p->pairs++;
            }
            continue;
        }
        for (int c = lo; c <= hi; c++) {
            if (c == pos)
                continue;
            float *restrict l1 = syn0 + (size_t)sen[c] * D;
            for (int d = 1; d <= K; d++)
                p->targets[d] = embed_alias_draw(m->alias, embed_rand(&p->rng), m->V);
            prefetch_rows(m->syn1, p->targets, K, D);
            double l = ns_step(l1, m->syn1, p->targets, K, lr, p->dh, D, want_loss);
            if (want_loss) {
                p->loss += l;
                p->pairs++;
            }
            vec_axpy(l1, 1.0f, p->dh, D);
        }
    }
}

/* Part i of an epoch: its lines, subsampled, one after the other. */
static void train_part(void *ctx, int i, int n_parts)
{
    w2v *m = ctx;
    w2v_part *p = &m->part[i];
    const data_corpus *c = m->job->c;
    const embed_callbacks *cb = m->job->cb;
    long a = m->bounds[i], b = m->bounds[i + 1], local = 0;
    long seen = 0;
    float lr = rate(m, atomic_load(&m->done));
    for (long pos = a; pos < b;) {
        int len = 0;
        long start = pos;
        for (; pos < b && c->ids[pos] >= 0; pos++) {
            int w = c->ids[pos];
            if (m->keep[w] == UINT32_MAX || (uint32_t)embed_rand(&p->rng) < m->keep[w])
                p->sen[len++] = w;
        }
        long words = pos - start + 1; /* and the line end: the clock's total counts it, as
                                       * word2vec.c counts its </s> */
        pos++;
        if (len > 1) {
            train_line(m, p, p->sen, len, lr, (int)(seen % LOSS_EVERY));
            p->lines++;
        }
        seen += len;
        local += words;
        if (local >= PROGRESS_WORDS) {
            long done = atomic_fetch_add(&m->done, local) + local;
            local = 0;
            lr = rate(m, done);
            if (i == 0 && cb && cb->on_progress) {
                double s = dlc_now() - m->t0;
                cb->on_progress(cb->user, (double)done / (double)m->total, lr,
                                s > 0 ? (double)done / s : 0.0);
            }
        }
    }
    atomic_fetch_add(&m->done, local);
    (void)n_parts;
}

/* Vose's alias table for P(w) = count^power / sum: slots whose share is
 * below 1/V are topped up from one above, which becomes their alias. */
int embed_alias_fill(embed_alias *a, const long *count, int V, double power)
{
    double *q = malloc(sizeof(double) * (size_t)V), total = 0.0;
    int *small = malloc(sizeof(int) * (size_t)V), *large = malloc(sizeof(int) * (size_t)V);
    if (!q || !small || !large) {
        free(q);
        free(small);
        free(large);
        return -1;
    }
    for (int w = 0; w < V; w++)
        total += pow((double)count[w], power);
    int ns = 0, nl = 0;
    for (int w = 0; w < V; w++) {
        q[w] = pow((double)count[w], power) * V / total;
        if (q[w] < 1.0)
            small[ns++] = w;
        else
            large[nl++] = w;
    }
    while (ns > 0 && nl > 0) {
        int s = small[--ns], l = large[nl - 1];
        a[s].prob = (uint32_t)(q[s] * 4294967296.0);
        a[s].alias = l;
        q[l] -= 1.0 - q[s];
        if (q[l] < 1.0) {
            nl--;
            small[ns++] = l;
        }
    }
    while (nl > 0) { /* what rounding leaves: full slots */
        int l = large[--nl];
        a[l].prob = UINT32_MAX;
        a[l].alias = l;
    }
    while (ns > 0) {
        int s = small[--ns];
        a[s].prob = UINT32_MAX;
        a[s].alias = s;
    }
    free(q);
    free(small);
    free(large);
    return 0;
}

/* Parts start after line ends, near equal shares of the text. */
static void cut_parts(long *bounds, int parts, const data_corpus *c)
{
    bounds[0] = 0;
    for (int i = 1; i < parts; i++) {
        long pos = c->n * i / parts;
        if (pos < bounds[i - 1])
            pos = bounds[i - 1];
        while (pos < c->n && pos > 0 && c->ids[pos - 1] >= 0)
            pos++;
        bounds[i] = pos;
    }
    bounds[parts] = c->n;
}

static long longest_line(const data_corpus *c)
{
    long best = 1, run = 0;
    for (long i = 0; i < c->n; i++) {
        run = c->ids[i] >= 0 ? run + 1 : 0;
        if (run > best)
            best = run;
    }
    return best;
}

dlc_status embed_word2vec(embed_job *job, dlc_error *err)
{
    const data_corpus *c = job->c;
    const embed_config *cfg = job->cfg;
    const int D = cfg->dim, V = c->V;
    w2v m;
    memset(&m, 0, sizeof m);
    m.job = job;
    m.D = D;
    m.K = cfg->negatives;
    m.V = V;
    m.n = cfg->window;
    m.cbow = cfg->method == EMBED_CBOW;
    m.parts = tensor_pool_threads();
    dlc_status st = DLC_OK;
    long maxlen = longest_line(c), lines = 0;
    if (maxlen < 2)
        return dlc_fail(err, DLC_EINPUT, "no line holds two words of the vocabulary: nothing to "
                                         "learn from (skip-gram and CBOW learn from the words "
                                         "around each word in its line)");
    m.syn0 = job->w;
    m.syn1 = tensor_alloc((size_t)V * D);
    m.alias = malloc(sizeof *m.alias * (size_t)V);
    m.keep = malloc(sizeof(uint32_t) * (size_t)V);
    m.bounds = malloc(sizeof(long) * (size_t)(m.parts + 1));
    m.part = calloc((size_t)m.parts, sizeof *m.part);
    if (!m.syn1 || !m.alias || !m.keep || !m.bounds || !m.part) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (int i = 0; i < m.parts; i++) {
        w2v_part *p = &m.part[i];
        p->sen = malloc(sizeof(int) * (size_t)maxlen);
        p->h = tensor_alloc((size_t)D);
        p->dh = tensor_alloc((size_t)D);
        p->targets = malloc(sizeof(int) * (size_t)(m.K + 1));
        if (!p->sen || !p->h || !p->dh || !p->targets) {
            st = DLC_NOMEM(err);
            goto cleanup;
        }
    }

    dlc_rng rng;
    dlc_rng_seed(&rng, job->seed, DLC_STREAM(DLC_STREAM_INIT, 0));
    for (size_t k = 0; k < (size_t)V * D; k++)
        m.syn0[k] = (float)((dlc_rng_uniform(&rng) - 0.5) / D);
    if (embed_alias_fill(m.alias, c->count, V, cfg->power)) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (int w = 0; w < V; w++) {
        double keep = embed_keep_prob(c->count[w], c->words, cfg->sample);
        m.keep[w] = keep >= 1.0 ? UINT32_MAX : (uint32_t)(keep * 4294967296.0);
    }
    cut_parts(m.bounds, m.parts, c);
    m.total = c->n * (long)cfg->epochs;
    atomic_store(&m.done, 0);
    m.t0 = dlc_now();
    double train_s = 0.0;
    for (int e = 1; e <= cfg->epochs; e++) {
        double t = dlc_now();
        long before = atomic_load(&m.done);
        for (int i = 0; i < m.parts; i++) {
            w2v_part *p = &m.part[i];
            p->rng = dlc_rng_u64(&rng) | 1;
            p->loss = 0.0;
            p->pairs = 0;
            p->lines = 0;
        }
        m.epoch = e;
        tensor_parallel(train_part, &m);
        double s = dlc_now() - t;
        train_s += s;
        double loss = 0.0;
        long pairs = 0, trained = 0;
        for (int i = 0; i < m.parts; i++) {
            loss += m.part[i].loss;
            pairs += m.part[i].pairs;
            trained += m.part[i].lines;
        }
        lines += trained;
        if (!tensor_all_finite(m.syn0, (size_t)V * D)) {
            st = dlc_fail(err, DLC_ERUN, "epoch %d: the vectors became NaN or infinite (lower "
                                         "embed.lr)", e);
            goto cleanup;
        }
        embed_epoch ep = {e, cfg->epochs, rate(&m, atomic_load(&m.done)),
                          pairs ? loss / (double)pairs : NAN, NAN, s,
                          s > 0 ? (double)(atomic_load(&m.done) - before) / s : 0.0,
                          trained == 0};
        if (pairs)
            job->res->loss = ep.loss;
        if (job->cb && job->cb->on_epoch)
            job->cb->on_epoch(job->cb->user, &ep);
    }
    if (lines == 0) {
        /* a text so small that subsampling drops all but single words of a line */
        st = dlc_fail(err, DLC_EINPUT,
                      "subsampling (embed.sample = %g) kept no two words of a line together in "
                      "any of the %d epochs: nothing was learned from the %ld words (set "
                      "embed.sample: 0 for a text this small)",
                      cfg->sample, cfg->epochs, c->words);
        goto cleanup;
    }
    job->res->seconds = train_s;
    job->res->rate = train_s > 0 ? (double)m.total / train_s : 0.0;

cleanup:
    if (m.part)
        for (int i = 0; i < m.parts; i++) {
            free(m.part[i].sen);
            tensor_free(m.part[i].h);
            tensor_free(m.part[i].dh);
            free(m.part[i].targets);
        }
    free(m.part);
    free(m.bounds);
    free(m.keep);
    free(m.alias);
    tensor_free(m.syn1);
    return st;
}

double embed_keep_prob(long count, long words, double sample)
{
    if (!(sample > 0) || count <= 0)
        return 1.0;
    double f = (double)count, thresh = sample * (double)words;
    double keep = (sqrt(f / thresh) + 1.0) * thresh / f;
    return keep < 1.0 ? keep : 1.0;
}

double embed_cbow_step(float *syn0, float *syn1, const int *sen, int lo, int hi, int pos,
                       const int *t, int K, float lr, float *h, float *dh, int D)
{
    return cbow_step(syn0, syn1, sen, lo, hi, pos, t, K, lr, h, dh, D, 1);
}

double embed_ns_step(const float *h, float *U, const int *t, int k, float lr, float *dh, int D)
{
    return ns_step(h, U, t, k, lr, dh, D, 1);
}
