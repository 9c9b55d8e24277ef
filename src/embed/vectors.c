/* vectors.c - word vectors' files and the queries on them (nearest
 * neighbours, analogies).  Reading is data_vectors_read's (src/data). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../io/io.h"
#include "embed.h"

void embed_vectors_free(embed_vectors *v)
{
    if (!v)
        return;
    dlc_strlist_clear(&v->words);
    free(v->count);
    tensor_free(v->w);
    memset(v, 0, sizeof *v);
}

dlc_status embed_vectors_write(const embed_vectors *v, const char *path, embed_format f,
                               dlc_error *err)
{
    io_atomic a;
    dlc_status st = io_atomic_begin(&a, path, err);
    if (st)
        return st;
    if (f != EMBED_GLOVE_TEXT)
        fprintf(a.f, "%d %d\n", v->V, v->D);
    for (int k = 0; k < v->V; k++) {
        const float *row = v->w + (size_t)k * v->D;
        fputs(v->words.v[k], a.f);
        if (f == EMBED_W2V_BINARY) {
            fputc(' ', a.f);
            fwrite(row, sizeof(float), (size_t)v->D, a.f); /* little-endian hosts */
        } else {
            for (int i = 0; i < v->D; i++)
                fprintf(a.f, " %.9g", row[i]);
        }
        fputc('\n', a.f);
    }
    if (ferror(a.f)) {
        io_atomic_abort(&a);
        return dlc_fail(err, DLC_EIO, "%s: write failed", path);
    }
    return io_atomic_commit(&a, err);
}

typedef struct {
    embed_vectors *v;
    size_t cap; /* rows */
} read_ctx;

static dlc_status add_row(void *user, const char *word, const float *row, int dim, dlc_error *err)
{
    read_ctx *r = user;
    embed_vectors *v = r->v;
    if ((size_t)v->V == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        float *w = tensor_alloc(cap * (size_t)dim);
        if (!w)
            return DLC_NOMEM(err);
        if (v->w)
            memcpy(w, v->w, sizeof(float) * (size_t)v->V * (size_t)dim);
        tensor_free(v->w);
        v->w = w;
        r->cap = cap;
    }
    dlc_status st = dlc_strlist_push(&v->words, word, err);
    if (st)
        return st;
    memcpy(v->w + (size_t)v->V * dim, row, sizeof(float) * (size_t)dim);
    v->D = dim;
    v->V++;
    return DLC_OK;
}

dlc_status embed_vectors_read(embed_vectors *v, const char *path, dlc_error *err)
{
    memset(v, 0, sizeof *v);
    read_ctx r = {v, 0};
    dlc_status st = data_vectors_read(path, 0, add_row, &r, NULL, &v->duplicates, err);
    /* one number a word: every cosine similarity is +-1 (vocab.txt's "word count" reads so) */
    if (st == DLC_OK && v->D == 1)
        st = dlc_fail(err, DLC_EINPUT, "%s: one number per word, not vectors (a vocabulary file, "
                                       "\"word count\"? dlc embed writes the vectors to "
                                       "vectors.txt, vectors.bin and glove.txt)", path);
    if (st)
        embed_vectors_free(v);
    return st;
}

int embed_find(const embed_vectors *v, const char *word)
{
    return dlc_strlist_find(&v->words, word);
}

static double norm_of(const float *x, int D)
{
    return sqrt(tensor_sumsq(x, (size_t)D));
}

int embed_nearest(const embed_vectors *v, const float *q, const int *skip, int n_skip, int k,
                  int *ids, float *sims)
{
    const int D = v->D;
    double qn = norm_of(q, D);
    int got = 0;
    for (int r = 0; r < v->V; r++) {
        int skipped = 0;
        for (int s = 0; s < n_skip; s++)
            skipped |= skip[s] == r;
        if (skipped)
            continue;
        const float *x = v->w + (size_t)r * D;
        double dot = 0.0, xn = norm_of(x, D);
        for (int i = 0; i < D; i++)
            dot += (double)x[i] * q[i];
        float sim = xn > 0 && qn > 0 ? (float)(dot / (xn * qn)) : 0.0f;
        /* insertion into the k best so far */
        int at = got < k ? got : k;
        while (at > 0 && sims[at - 1] < sim)
            at--;
        if (at >= k)
            continue;
        int last = got < k ? got : k - 1;
        for (int j = last; j > at; j--) {
            ids[j] = ids[j - 1];
            sims[j] = sims[j - 1];
        }
        ids[at] = r;
        sims[at] = sim;
        if (got < k)
            got++;
    }
    return got;
}

void embed_analogy_query(const embed_vectors *v, int a, int b, int c, float *q)
{
    const int D = v->D;
    const float *x[3] = {v->w + (size_t)a * D, v->w + (size_t)b * D, v->w + (size_t)c * D};
    const float sign[3] = {-1.0f, 1.0f, 1.0f};
    memset(q, 0, sizeof(float) * (size_t)D);
    for (int t = 0; t < 3; t++) {
        double n = norm_of(x[t], D);
        if (n > 0)
            tensor_axpy(q, sign[t] / (float)n, x[t], (size_t)D);
    }
}

/* The sum s of the n unit vectors gives every pair at once:
 * |s|^2 = n + sum over ordered pairs i != j of cos(i, j). */
double embed_mean_cosine(const embed_vectors *v, int n)
{
    const int D = v->D;
    double *s = calloc((size_t)D, sizeof *s);
    if (!s)
        return NAN;
    long m = 0;
    for (int r = 0; r < v->V && r < n; r++) {
        const float *x = v->w + (size_t)r * D;
        double len = norm_of(x, D);
        if (!(len > 0))
            continue;
        for (int i = 0; i < D; i++)
            s[i] += x[i] / len;
        m++;
    }
    double ss = 0.0;
    for (int i = 0; i < D; i++)
        ss += s[i] * s[i];
    free(s);
    return m < 2 ? NAN : (ss - (double)m) / ((double)m * (double)(m - 1));
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

double embed_nearest_cosine(const embed_vectors *v, int n)
{
    const int D = v->D;
    int N = v->V < n ? v->V : n, m = 0;
    float *u = tensor_alloc((size_t)N * D), *S = tensor_alloc((size_t)N * N);
    double med = NAN;
    if (!u || !S)
        goto done;
    for (int r = 0; r < N; r++) { /* u (m, D): the unit rows */
        const float *x = v->w + (size_t)r * D;
        double len = norm_of(x, D);
        if (!(len > 0))
            continue;
        for (int i = 0; i < D; i++)
            u[(size_t)m * D + i] = (float)(x[i] / len);
        m++;
    }
    if (m < 2)
        goto done;
    tensor_gemm(0, 1, m, m, D, 1.0f, u, u, 0.0f, S); /* S (m, m) = u u^T */
    for (int r = 0; r < m; r++) { /* u's first m floats: each row's nearest */
        float best = -2.0f;
        for (int c = 0; c < m; c++)
            if (c != r && S[(size_t)r * m + c] > best)
                best = S[(size_t)r * m + c];
        u[r] = best;
    }
    qsort(u, (size_t)m, sizeof *u, cmp_float);
    med = m % 2 ? u[m / 2] : 0.5 * ((double)u[m / 2 - 1] + u[m / 2]);
done:
    tensor_free(u);
    tensor_free(S);
    return med;
}

int embed_unseparated(const embed_vectors *v, double *mean, double *nearest)
{
    *mean = embed_mean_cosine(v, EMBED_SPREAD_WORDS);
    *nearest = embed_nearest_cosine(v, EMBED_NEAREST_WORDS);
    return *nearest > EMBED_NEAREST_CLOSE && *mean > EMBED_SHARED;
}
