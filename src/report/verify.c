/* verify.c - verification figures of a model that compares examples (see
 * report.h): per split, pairs and one-shot episodes drawn from up to
 * REPORT_VERIFY_EXAMPLES of its single examples, their distances from the
 * model (src/infer/verify.c), and what they give.
 *
 * Letters: n sampled examples, D values per example, E per embedding, C the
 * classes among the sample.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "../infer/infer.h"
#include "report.h"

const int report_one_shot_ways[2] = {3, 5};

/* The sampled examples of one split, grouped by class. */
typedef struct {
    int n, C;
    float *x;        /* (n, D) normalized */
    float *e;        /* (n, E) embeddings, or NULL (pair models) */
    float *y;        /* (n) class ids */
    int *cls;        /* (C) the class ids present */
    int *start;      /* (C + 1) */
    int *member;     /* (n) sample rows grouped by class */
} sample;

static void sample_free(sample *s)
{
    free(s->x);
    free(s->e);
    free(s->y);
    free(s->cls);
    free(s->start);
    free(s->member);
    memset(s, 0, sizeof *s);
}

/* Insertion sort of rows by class y[row]: qsort has no context argument in
 * C11, and n is a few thousand. */
static void sort_by_class(int *rows, int n, const float *y)
{
    for (int i = 1; i < n; i++) {
        int r = rows[i], j = i;
        while (j > 0 && y[rows[j - 1]] > y[r]) {
            rows[j] = rows[j - 1];
            j--;
        }
        rows[j] = r;
    }
}

static dlc_status sample_draw(sample *sm, model *m, const infer_verifier *v, const data_split *s,
                              dlc_rng *rng, dlc_error *err)
{
    memset(sm, 0, sizeof *sm);
    int n = s->n < REPORT_VERIFY_EXAMPLES ? s->n : REPORT_VERIFY_EXAMPLES;
    int *order = malloc(sizeof(int) * (size_t)(s->n ? s->n : 1));
    sm->x = malloc(sizeof(float) * ((size_t)n * v->D + 1));
    sm->y = malloc(sizeof(float) * ((size_t)n * (size_t)s->ds->n_targets + 1));
    sm->member = malloc(sizeof(int) * ((size_t)n + 1));
    sm->cls = malloc(sizeof(int) * ((size_t)n + 1));
    sm->start = malloc(sizeof(int) * ((size_t)n + 2));
    if (!order || !sm->x || !sm->y || !sm->member || !sm->cls || !sm->start) {
        free(order);
        return DLC_NOMEM(err);
    }
    for (int i = 0; i < s->n; i++)
        order[i] = i;
    if (n < s->n)
        dlc_rng_shuffle(rng, order, s->n);
    data_norm view;
    infer_example_norm(m, &view);
    data_gather(s, order, 0, n, &view, sm->x, sm->y);
    free(order);
    /* one target per example (class ids): compact them */
    for (int i = 0; i < n; i++)
        sm->y[i] = sm->y[(size_t)i * (size_t)s->ds->n_targets];
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(sm->y[i]) && sm->y[i] >= 0)
            sm->member[k++] = i;
    sm->n = n;
    sort_by_class(sm->member, k, sm->y);
    for (int i = 0; i < k; i++)
        if (i == 0 || sm->y[sm->member[i]] != sm->y[sm->member[i - 1]]) {
            sm->cls[sm->C] = (int)sm->y[sm->member[i]];
            sm->start[sm->C++] = i;
        }
    sm->start[sm->C] = k;
    if (v->kind == INFER_VERIFY_EMBED) {
        if (!(sm->e = malloc(sizeof(float) * ((size_t)n * v->dim + 1))))
            return DLC_NOMEM(err);
        return infer_embed(m, v, sm->x, n, sm->e, err);
    }
    return DLC_OK;
}

static int class_size(const sample *sm, int c)
{
    return sm->start[c + 1] - sm->start[c];
}

static int member_of(const sample *sm, int c, dlc_rng *rng)
{
    return sm->member[sm->start[c] + (int)dlc_rng_below(rng, (uint64_t)class_size(sm, c))];
}

/* Pairs: even ones of one class (a class with 2 examples, drawn in
 * proportion to its examples), odd ones of two. */
static int draw_pairs(const sample *sm, int np, int *ia, int *ib, float *same, dlc_rng *rng)
{
    int known = sm->start[sm->C], pairable = 0;
    for (int c = 0; c < sm->C; c++)
        pairable += class_size(sm, c) >= 2;
    if (sm->C < 2 || pairable == 0)
        return 0;
    for (int k = 0; k < np; k++) {
        int want_same = k % 2 == 0, c, a, b;
        do {
            int i = (int)dlc_rng_below(rng, (uint64_t)known);
            for (c = 0; sm->start[c + 1] <= i; c++)
                ;
        } while (want_same && class_size(sm, c) < 2);
        a = member_of(sm, c, rng);
        if (want_same) {
            do
                b = member_of(sm, c, rng);
            while (b == a);
        } else {
            int o = (int)dlc_rng_below(rng, (uint64_t)(known - class_size(sm, c)));
            if (o >= sm->start[c])
                o += class_size(sm, c);
            b = sm->member[o];
        }
        ia[k] = a;
        ib[k] = b;
        same[k] = (float)want_same;
    }
    return np;
}

static void histogram(report_verify_split *r, const double *d, const float *same, int np)
{
    double hi = 0;
    for (int k = 0; k < np; k++)
        if (isfinite(d[k]) && d[k] > hi)
            hi = d[k];
    r->hist_lo = 0;
    r->hist_hi = hi > 0 ? hi : 1;
    for (int k = 0; k < np; k++) {
        if (!isfinite(d[k]))
            continue;
        int bin = (int)(d[k] / r->hist_hi * REPORT_HIST_BINS);
        bin = bin < 0 ? 0 : bin >= REPORT_HIST_BINS ? REPORT_HIST_BINS - 1 : bin;
        if (same[k] > 0.5f)
            r->hist_same[bin]++;
        else
            r->hist_diff[bin]++;
    }
}

/* One-shot N-way accuracy: see report.h. */
static dlc_status one_shot(double *acc, model *m, const infer_verifier *v, const sample *sm, int N,
                           dlc_rng *rng, dlc_error *err)
{
    *acc = NAN;
    int two = 0;
    for (int c = 0; c < sm->C; c++)
        two += class_size(sm, c) >= 2;
    if (sm->C < N || two == 0)
        return DLC_OK;
    const int E = REPORT_ONE_SHOT_EPISODES;
    int *ia = malloc(sizeof(int) * (size_t)E * N), *ib = malloc(sizeof(int) * (size_t)E * N);
    int *pick = malloc(sizeof(int) * (size_t)sm->C);
    double *d = malloc(sizeof(double) * (size_t)E * N);
    dlc_status st = DLC_OK;
    if (!ia || !ib || !pick || !d) {
        st = DLC_NOMEM(err);
        goto done;
    }
    for (int e = 0; e < E; e++) {
        /* N classes, the first (the query's) with 2 examples or more */
        do {
            for (int c = 0; c < sm->C; c++)
                pick[c] = c;
            dlc_rng_shuffle(rng, pick, sm->C);
        } while (class_size(sm, pick[0]) < 2);
        int ref0 = member_of(sm, pick[0], rng), query;
        do
            query = member_of(sm, pick[0], rng);
        while (query == ref0);
        for (int j = 0; j < N; j++) {
            ia[e * N + j] = query;
            ib[e * N + j] = j == 0 ? ref0 : member_of(sm, pick[j], rng);
        }
    }
    if ((st = infer_distances(m, v, sm->x, sm->e, ia, ib, E * N, d, err)) != DLC_OK)
        goto done;
    double right = 0;
    for (int e = 0; e < E; e++) {
        int best = 0;
        for (int j = 1; j < N; j++)
            if (!(d[e * N + j] > d[e * N + best]))
                best = j; /* a tie with the right class counts as wrong */
        right += best == 0 && isfinite(d[e * N]);
    }
    *acc = right / E;
done:
    free(ia);
    free(ib);
    free(pick);
    free(d);
    return st;
}

/* Every figure of split k but the accuracy at the report's threshold; the
 * pairs' distances stay in d / same for that. */
static dlc_status verify_split(report_verify_split *r, model *m, const infer_verifier *v,
                               const data_split *s, dlc_rng *rng, double *d, float *same,
                               dlc_error *err)
{
    sample sm = {0};
    int *ia = malloc(sizeof(int) * REPORT_VERIFY_PAIRS), *ib = malloc(sizeof(int) * REPORT_VERIFY_PAIRS);
    dlc_status st = ia && ib ? sample_draw(&sm, m, v, s, rng, err) : DLC_NOMEM(err);
    if (st != DLC_OK)
        goto done;
    r->examples = sm.n;
    r->classes = sm.C;
    r->pairs = draw_pairs(&sm, REPORT_VERIFY_PAIRS, ia, ib, same, rng);
    if (r->pairs == 0)
        goto done;
    if ((st = infer_distances(m, v, sm.x, sm.e, ia, ib, r->pairs, d, err)) != DLC_OK)
        goto done;
    float *score = malloc(sizeof(float) * (size_t)r->pairs);
    if (!score) {
        st = DLC_NOMEM(err);
        goto done;
    }
    for (int k = 0; k < r->pairs; k++)
        score[k] = (float)-d[k]; /* nearer: more likely the same */
    st = report_roc_auc(&r->auc, score, same, r->pairs, err);
    free(score);
    report_verify_point pt;
    if (st == DLC_OK && (st = report_verify_points(&pt, d, same, r->pairs, err)) == DLC_OK) {
        r->eer = pt.eer;
        r->eer_threshold = pt.eer_threshold;
        r->best_accuracy = pt.accuracy;
    }
    histogram(r, d, same, r->pairs);
    for (int w = 0; w < 2 && st == DLC_OK; w++)
        st = one_shot(&r->one_shot[w], m, v, &sm, report_one_shot_ways[w], rng, err);
    r->present = st == DLC_OK;
done:
    sample_free(&sm);
    free(ia);
    free(ib);
    return st;
}

int report_verify_shown_split(const report_verify *rv)
{
    if (rv->splits[DATA_SPLIT_TEST].present)
        return DATA_SPLIT_TEST;
    if (rv->splits[DATA_SPLIT_DEV].present)
        return DATA_SPLIT_DEV;
    for (int k = 0; k < DATA_SPLIT_COUNT; k++)
        if (rv->splits[k].present)
            return k;
    return -1;
}

dlc_status report_verify_evaluate(report_verify *rv, model *m, const data_bundle *data,
                                  uint64_t seed, dlc_error *err)
{
    memset(rv, 0, sizeof *rv);
    rv->threshold = NAN;
    rv->threshold_split = -1;
    infer_verifier v;
    dlc_error why = {0};
    if (infer_verifier_init(&v, m, &why) != DLC_OK) {
        dlc_strlcpy(rv->why, why.msg, sizeof rv->why);
        return DLC_OK;
    }
    if (data->text)
        return DLC_OK;
    rv->present = 1;
    rv->kind = v.kind;
    rv->distance = v.distance;
    rv->dim = v.dim;
    if (v.node >= 0)
        dlc_strlcpy(rv->embedding, m->g->nodes[v.node].spec.name, sizeof rv->embedding);
    double *d[DATA_SPLIT_COUNT] = {0};
    float *same[DATA_SPLIT_COUNT] = {0};
    dlc_status st = DLC_OK;
    for (int k = 0; k < DATA_SPLIT_COUNT && st == DLC_OK; k++) {
        report_verify_split *r = &rv->splits[k];
        r->auc = r->eer = r->eer_threshold = r->accuracy = r->best_accuracy = NAN;
        r->one_shot[0] = r->one_shot[1] = NAN;
        const data_split *s = data_examples(data, k);
        if (s->n == 0)
            continue;
        d[k] = malloc(sizeof(double) * REPORT_VERIFY_PAIRS);
        same[k] = malloc(sizeof(float) * REPORT_VERIFY_PAIRS);
        if (!d[k] || !same[k]) {
            st = DLC_NOMEM(err);
            break;
        }
        dlc_rng rng;
        dlc_rng_seed(&rng, seed, DLC_STREAM(DLC_STREAM_VERIFY, k));
        st = verify_split(r, m, &v, s, &rng, d[k], same[k], err);
    }
    /* the threshold: dev's best, else train's */
    const int from[2] = {DATA_SPLIT_DEV, DATA_SPLIT_TRAIN};
    for (int i = 0; i < 2 && st == DLC_OK && rv->threshold_split < 0; i++) {
        const report_verify_split *r = &rv->splits[from[i]];
        if (!r->present)
            continue;
        report_verify_point pt;
        st = report_verify_points(&pt, d[from[i]], same[from[i]], r->pairs, err);
        if (st == DLC_OK && !isnan(pt.threshold)) {
            rv->threshold = pt.threshold;
            rv->threshold_split = from[i];
        }
    }
    for (int k = 0; k < DATA_SPLIT_COUNT; k++) {
        report_verify_split *r = &rv->splits[k];
        if (r->present && !isnan(rv->threshold))
            r->accuracy = report_verify_accuracy(d[k], same[k], r->pairs, rv->threshold);
        free(d[k]);
        free(same[k]);
    }
    return st;
}
