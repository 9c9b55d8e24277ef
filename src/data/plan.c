/* plan.c - the order of an epoch's batches (data_plan in data.h).
 *
 * Stateful language models read the train stream as B runs side by side:
 * with S = ceil(n / B) sequences per run, run i holds sequences i*S ..
 * i*S + S - 1 and batch j gathers sequence i*S + j of every run that long,
 * so row i of batch j continues row i of batch j - 1 and the recurrent state
 * can be carried over.  Only the last run may be short, so the rows of a batch
 * are always a prefix of the runs.
 *
 * Tag and classify examples are shuffled, then sorted by length within
 * windows of 32 batches and cut into batches, whose order is shuffled again:
 * a batch's sequences are alike in length, so the recurrent layers (which
 * stop at the longest sequence in the batch) do little work on padding.
 */
#include "data_internal.h"

#include <stdlib.h>

enum { PLAN_WINDOW = 32 };

static int plan_fixed(int n, int B, int *starts)
{
    int k = 0;
    for (int s = 0; s < n; s += B)
        starts[k++] = s;
    starts[k] = n;
    return k;
}

/* One past the last non-padding id of row r. */
static int plan_length(const dataset *ds, int r)
{
    const float *x = ds->f32 + (size_t)r * ds->dim;
    int len = 0;
    for (size_t t = 0; t < ds->dim; t++)
        if (x[t] > 0.5f)
            len = (int)t + 1;
    return len;
}

typedef struct {
    int len, pos;
} plan_item;

static int plan_item_cmp(const void *a, const void *b)
{
    const plan_item *x = a, *y = b;
    if (x->len != y->len)
        return x->len - y->len;
    return x->pos - y->pos;
}

int data_order_by_length(const data_split *s, int *order)
{
    int n = s->n;
    for (int i = 0; i < n; i++)
        order[i] = i;
    if (n < 2 || !s->ds->f32 || s->stack > 1)
        return 0;
    plan_item *it = malloc(sizeof *it * (size_t)n);
    if (!it)
        return 0;
    for (int i = 0; i < n; i++)
        it[i] = (plan_item){plan_length(s->ds, s->idx[i]), i};
    qsort(it, (size_t)n, sizeof *it, plan_item_cmp);
    for (int i = 0; i < n; i++)
        order[i] = it[i].pos;
    free(it);
    return 1;
}

/* Shuffle, sort by length within windows, shuffle the batches.  Falls back to
 * plain batches when memory is short. */
static int plan_bucketed(const data_split *s, int B, dlc_rng *rng, int *order, int *starts)
{
    int n = s->n, nb = plan_fixed(n, B, starts);
    size_t cn = n > 0 ? (size_t)n : 1, cb = nb > 0 ? (size_t)nb : 1;
    plan_item *it = malloc(sizeof *it * cn);
    int *perm = malloc(sizeof(int) * cb);
    int *tmp = malloc(sizeof(int) * cn);
    if (!it || !perm || !tmp)
        goto done;
    for (int i = 0; i < n; i++)
        it[i] = (plan_item){plan_length(s->ds, s->idx[order[i]]), order[i]};
    int w = B * PLAN_WINDOW;
    for (int a = 0; a < n; a += w)
        qsort(it + a, (size_t)(n - a < w ? n - a : w), sizeof *it, plan_item_cmp);
    for (int k = 0; k < nb; k++)
        perm[k] = k;
    /* the last (perhaps short) batch stays last: the others keep size B */
    if (nb > 1)
        dlc_rng_shuffle(rng, perm, nb - 1);
    int at = 0;
    for (int k = 0; k < nb; k++) {
        int b = perm[k], from = b * B, to = from + B < n ? from + B : n;
        starts[k] = at;
        for (int i = from; i < to; i++)
            tmp[at++] = it[i].pos;
    }
    starts[nb] = n;
    for (int i = 0; i < n; i++)
        order[i] = tmp[i];
done:
    free(it);
    free(perm);
    free(tmp);
    return nb;
}

static int plan_streams(int n, int B, int *order, int *starts)
{
    if (B > n)
        B = n;
    int S = (n + B - 1) / B, k = 0;
    for (int j = 0; j < S; j++) {
        starts[j] = k;
        for (int i = 0; i < B; i++)
            if ((long)i * S + j < n)
                order[k++] = i * S + j;
    }
    starts[S] = n;
    return S;
}

/* data.sources with weights: an epoch of n examples drawn with replacement,
 * each with probability proportional to its source's weight (so a source of
 * weight w and size m gives about n w m / sum(w m) examples per epoch).
 * Falls back to a plain shuffle when memory is short. */
static int plan_weighted(const data_bundle *b, const data_split *s, int B, dlc_rng *rng,
                         int *order, int *starts)
{
    int n = s->n;
    double *cum = malloc(sizeof(double) * (size_t)n);
    if (!cum) {
        for (int i = 0; i < n; i++)
            order[i] = i;
        dlc_rng_shuffle(rng, order, n);
        return plan_fixed(n, B, starts);
    }
    double total = 0;
    for (int i = 0; i < n; i++)
        cum[i] = total += b->weight[s->idx[i]];
    for (int k = 0; k < n; k++) {
        double u = dlc_rng_uniform(rng) * total;
        int lo = 0, hi = n - 1; /* the first with cum > u */
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            if (cum[mid] > u)
                hi = mid;
            else
                lo = mid + 1;
        }
        order[k] = lo;
    }
    free(cum);
    return plan_fixed(n, B, starts);
}

int data_plan(const data_bundle *b, const data_split *s, int B, dlc_rng *rng, int *order,
              int *starts)
{
    int n = s->n;
    if (n == 0) {
        starts[0] = 0;
        return 0;
    }
    if (b->text && b->stateful)
        return plan_streams(n, B, order, starts);
    if (b->sampler.kind == DATA_SAMPLER_TRIPLETS && rng)
        return data_plan_pk(b, s, rng, order, starts);
    if (b->weight && rng && s == &b->split[DATA_SPLIT_TRAIN])
        return plan_weighted(b, s, B, rng, order, starts);
    for (int i = 0; i < n; i++)
        order[i] = i;
    if (rng)
        dlc_rng_shuffle(rng, order, n);
    if (b->text && b->text_task != TEXT_LM && rng)
        return plan_bucketed(s, B, rng, order, starts);
    return plan_fixed(n, B, starts);
}
