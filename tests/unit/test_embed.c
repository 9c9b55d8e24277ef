/* test_embed.c - learning word vectors (src/embed): each objective's
 * gradient against central differences, the corpus reader, training on a
 * tiny corpus with two topics, and the vectors' files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/rng.h"
#include "../../src/config/config.h"
#include "../../src/embed/embed.h"
#include "testutil.h"

static void fill_random(float *x, int n, double scale, dlc_rng *r)
{
    for (int i = 0; i < n; i++)
        x[i] = (float)(scale * (2.0 * dlc_rng_uniform(r) - 1.0));
}

/* -log sigmoid(x) */
static double softplus_neg(double x)
{
    return x > 0 ? log1p(exp(-x)) : -x + log1p(exp(x));
}

/* The negative-sampling loss written out in double, apart from the kernel. */
static double ns_loss(const float *h, const float *U, const int *t, int k, int D)
{
    double L = 0.0;
    for (int d = 0; d <= k; d++) {
        double f = 0.0;
        for (int i = 0; i < D; i++)
            f += (double)h[i] * U[(size_t)t[d] * D + i];
        L += softplus_neg(d == 0 ? f : -f);
    }
    return L;
}

/* The kernel's step with rate 1 moves every output row by -dL/du and
 * returns -dL/dh: both against central differences of the loss. */
static void test_ns_gradient(void **state)
{
    (void)state;
    enum { V = 7, D = 5, K = 3 };
    dlc_rng r;
    dlc_rng_seed(&r, 3, 0);
    float h[D], U[V * D], U1[V * D], dh[D];
    fill_random(h, D, 1.0, &r);
    fill_random(U, V * D, 1.0, &r);
    const int t[K + 1] = {2, 4, 0, 6};
    memcpy(U1, U, sizeof U);
    double L = embed_ns_step(h, U1, t, K, 1.0f, dh, D);
    tu_close(L, ns_loss(h, U, t, K, D), 1e-5);
    const double eps = 1e-3;
    for (int i = 0; i < D; i++) {
        float save = h[i];
        h[i] = (float)(save + eps);
        double lp = ns_loss(h, U, t, K, D);
        h[i] = (float)(save - eps);
        double lm = ns_loss(h, U, t, K, D);
        h[i] = save;
        tu_close(-dh[i], (lp - lm) / (2 * eps), 2e-3);
    }
    for (int i = 0; i < V * D; i++) {
        float save = U[i];
        U[i] = (float)(save + eps);
        double lp = ns_loss(h, U, t, K, D);
        U[i] = (float)(save - eps);
        double lm = ns_loss(h, U, t, K, D);
        U[i] = save;
        tu_close(U[i] - U1[i], (lp - lm) / (2 * eps), 2e-3); /* rows 1, 3, 5: not touched */
    }
    /* a negative that is the target itself is skipped, as word2vec does */
    const int t2[2] = {2, 2};
    memcpy(U1, U, sizeof U);
    tu_close(embed_ns_step(h, U1, t2, 1, 1.0f, dh, D), ns_loss(h, U, t2, 0, D), 1e-5);
}

static double glove_cost(const float *w, const float *v, float b, float c, float fx, float logx,
                         int D)
{
    double d = b + c - logx;
    for (int i = 0; i < D; i++)
        d += (double)w[i] * v[i];
    return 0.5 * fx * d * d;
}

/* With rate 1 and accumulators at 1, GloVe's step moves each parameter by
 * -dJ/dp; then each accumulator holds 1 + (dJ/dp)^2. */
static void test_glove_gradient(void **state)
{
    (void)state;
    enum { D = 6 };
    dlc_rng r;
    dlc_rng_seed(&r, 5, 0);
    float w[D], v[D], w1[D], v1[D], gw[D], gv[D];
    fill_random(w, D, 0.5, &r);
    fill_random(v, D, 0.5, &r);
    float b = 0.1f, c = -0.2f, fx = 0.7f, logx = 0.9f;
    memcpy(w1, w, sizeof w);
    memcpy(v1, v, sizeof v);
    float b1 = b, c1 = c, gb = 1, gc = 1;
    for (int i = 0; i < D; i++)
        gw[i] = gv[i] = 1.0f;
    double J = embed_glove_step(w1, v1, gw, gv, &b1, &c1, &gb, &gc, fx, logx, 1.0f, D);
    tu_close(J, glove_cost(w, v, b, c, fx, logx, D), 1e-6);
    const double eps = 1e-3;
    for (int i = 0; i < 2 * D; i++) {
        float *p = i < D ? &w[i % D] : &v[i % D];
        float save = *p;
        *p = (float)(save + eps);
        double jp = glove_cost(w, v, b, c, fx, logx, D);
        *p = (float)(save - eps);
        double jm = glove_cost(w, v, b, c, fx, logx, D);
        *p = save;
        double num = (jp - jm) / (2 * eps);
        tu_close(save - (i < D ? w1[i % D] : v1[i % D]), num, 1e-4);
        tu_close(i < D ? gw[i % D] : gv[i % D], 1.0 + num * num, 1e-4);
    }
    double num_b = (glove_cost(w, v, b + 1e-3f, c, fx, logx, D) -
                    glove_cost(w, v, b - 1e-3f, c, fx, logx, D)) / 2e-3;
    tu_close(b - b1, num_b, 1e-4);
    tu_close(c - c1, num_b, 1e-4); /* J is symmetric in b and c */
}

/* The window model's loss over a batch: every gradient (input vectors,
 * softmax weights and bias) against central differences, for the mean and
 * the concatenation, with missing context words. */
static void window_case(embed_combine combine)
{
    enum { V = 6, D = 4, B = 3, M = 2 };
    const int Din = combine == EMBED_CONCAT ? M * D : D;
    dlc_rng r;
    dlc_rng_seed(&r, 9, (uint64_t)combine);
    float E[V * D], W[V * M * D], bias[V], dE[V * D], dW[V * M * D], db[V];
    float scratch[B * (M * D + V) * 2];
    fill_random(E, V * D, 0.5, &r);
    fill_random(W, V * Din, 0.5, &r);
    fill_random(bias, V, 0.5, &r);
    const int ctx[B * M] = {1, 2, -1, 3, 4, 4};
    const int tg[B] = {0, 5, 2};
    memset(dE, 0, sizeof dE);
    memset(dW, 0, sizeof dW);
    memset(db, 0, sizeof db);
    double L = embed_window_loss(ctx, tg, B, M, combine, E, W, bias, V, D, dE, dW, db, scratch);
    assert_true(L > 0);
    struct {
        float *p, *g;
        int n;
    } params[3] = {{E, dE, V * D}, {W, dW, V * Din}, {bias, db, V}};
    const double eps = 1e-3;
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < params[k].n; i++) {
            float save = params[k].p[i];
            params[k].p[i] = (float)(save + eps);
            double lp = embed_window_loss(ctx, tg, B, M, combine, E, W, bias, V, D, NULL, NULL,
                                          NULL, scratch);
            params[k].p[i] = (float)(save - eps);
            double lm = embed_window_loss(ctx, tg, B, M, combine, E, W, bias, V, D, NULL, NULL,
                                          NULL, scratch);
            params[k].p[i] = save;
            tu_close(params[k].g[i], (lp - lm) / (2 * eps), 2e-3);
        }
    /* rows 0 and 5 of E are in no context: no gradient */
    for (int i = 0; i < D; i++) {
        tu_close(dE[i], 0.0, 0.0);
        tu_close(dE[5 * D + i], 0.0, 0.0);
    }
}

static void test_window_gradient(void **state)
{
    (void)state;
    window_case(EMBED_MEAN);
    window_case(EMBED_CONCAT);
}

/* CBOW: the context's mean (not its sum) predicts the centre word, and
 * every context row, repeated ones included, receives the whole step:
 * against the negative-sampling step run by hand on the mean. */
static void test_cbow_step(void **state)
{
    (void)state;
    enum { V = 6, D = 4, K = 2 };
    dlc_rng r;
    dlc_rng_seed(&r, 5, 0);
    float syn0[V * D], syn1[V * D], want0[V * D], want1[V * D], h[D], dh[D], mean[D], wdh[D];
    fill_random(syn0, V * D, 1.0, &r);
    fill_random(syn1, V * D, 1.0, &r);
    memcpy(want0, syn0, sizeof syn0);
    memcpy(want1, syn1, sizeof syn1);
    const int sen[5] = {1, 3, 0, 3, 5}; /* centre 0 at 2; window 1..4: 3, 3, 5 */
    const int t[K + 1] = {0, 2, 4};
    for (int i = 0; i < D; i++)
        mean[i] = (syn0[3 * D + i] * 2.0f + syn0[5 * D + i]) / 3.0f;
    double wl = embed_ns_step(mean, want1, t, K, 0.5f, wdh, D);
    for (int i = 0; i < D; i++) {
        want0[3 * D + i] += 2.0f * wdh[i];
        want0[5 * D + i] += wdh[i];
    }
    tu_close(embed_cbow_step(syn0, syn1, sen, 1, 4, 2, t, K, 0.5f, h, dh, D), wl, 1e-6);
    for (int i = 0; i < D; i++)
        tu_close(h[i], mean[i], 1e-6);
    for (int i = 0; i < V * D; i++) {
        tu_close(syn0[i], want0[i], 1e-6);
        tu_close(syn1[i], want1[i], 1e-6);
    }
    /* a window of the centre word alone: nothing happens */
    memcpy(want0, syn0, sizeof syn0);
    memcpy(want1, syn1, sizeof syn1);
    assert_true(embed_cbow_step(syn0, syn1, sen, 2, 2, 2, t, K, 0.5f, h, dh, D) < 0);
    assert_memory_equal(syn0, want0, sizeof syn0);
    assert_memory_equal(syn1, want1, sizeof syn1);
}

/* Subsampling keeps a word seen f times among T with probability
 * (sqrt(f / (s T)) + 1) s T / f (word2vec.c's formula), at most 1. */
static void test_keep_prob(void **state)
{
    (void)state;
    /* s T = 1e-3 x 1e6 = 1000: f = 4000 -> (2 + 1) / 4 = 0.75; f = 16000 -> 5 / 16 */
    tu_close(embed_keep_prob(4000, 1000000, 1e-3), 0.75, 1e-12);
    tu_close(embed_keep_prob(16000, 1000000, 1e-3), 5.0 / 16.0, 1e-12);
    tu_close(embed_keep_prob(1000, 1000000, 1e-3), 1.0, 0); /* (1 + 1) x 1 capped */
    tu_close(embed_keep_prob(16000, 1000000, 0.0), 1.0, 0); /* sample 0: all kept */
}

/* Negatives are drawn in proportion to count^0.75. */
static void test_negative_sampler(void **state)
{
    (void)state;
    enum { V = 5, N = 2000000 };
    const long count[V] = {1000, 300, 50, 7, 1};
    embed_alias a[V];
    assert_int_equal(embed_alias_fill(a, count, V, 0.75), 0);
    long hits[V] = {0};
    dlc_rng r;
    dlc_rng_seed(&r, 4, 0);
    for (int i = 0; i < N; i++) {
        int w = embed_alias_draw(a, dlc_rng_u64(&r), V);
        assert_true(w >= 0 && w < V);
        hits[w]++;
    }
    double total = 0.0;
    for (int w = 0; w < V; w++)
        total += pow((double)count[w], 0.75);
    for (int w = 0; w < V; w++) {
        double want = pow((double)count[w], 0.75) / total;
        tu_close((double)hits[w] / N, want, 4.0 * sqrt(want / N) + 1e-5);
    }
    /* power 0: every word alike */
    assert_int_equal(embed_alias_fill(a, count, V, 0.0), 0);
    memset(hits, 0, sizeof hits);
    for (int i = 0; i < N; i++)
        hits[embed_alias_draw(a, dlc_rng_u64(&r), V)]++;
    for (int w = 0; w < V; w++)
        tu_close((double)hits[w] / N, 0.2, 0.002);
}

/* ---- the corpus ---- */

static data_config text_config(const char *file)
{
    data_config d;
    memset(&d, 0, sizeof d);
    d.format = DATA_TEXT;
    dlc_strlcpy(d.train.file, file, sizeof d.train.file);
    d.text.unit = TEXT_WORDS;
    d.text.min_count = 1;
    d.text.seq_len = 64;
    return d;
}

static void test_corpus(void **state)
{
    (void)state;
    tu_write(tu_tmp("c.txt"), "the cat sat\n\nthe dog sat on the mat\nrare\n", (size_t)-1);
    data_config d = text_config(tu_tmp("c.txt"));
    d.text.min_count = 2;
    data_corpus c;
    dlc_error err = {0};
    assert_int_equal(data_text_corpus(&c, &d, &err), DLC_OK);
    assert_int_equal(c.V, 2); /* the (3), sat (2) */
    assert_string_equal(c.vocab.v[0], "the");
    assert_string_equal(c.vocab.v[1], "sat");
    assert_int_equal(c.count[0], 3);
    assert_int_equal(c.words, 5);
    /* the sat | the sat the: rarer words dropped, -1 at line ends, never twice */
    const int want[] = {0, 1, -1, 0, 1, 0, -1};
    assert_int_equal(c.n, 7);
    for (int i = 0; i < 7; i++)
        assert_int_equal(c.ids[i], want[i]);
    data_corpus_free(&c);

    d.text.min_count = 1;
    d.text.max_vocab = 3; /* counts words only, not <pad> and the other specials */
    d.split_dev = 0.5;    /* the last 7 tokens: sat on the mat <eos> rare <eos> */
    assert_int_equal(data_text_corpus(&c, &d, &err), DLC_OK);
    /* counted in the train part (the cat sat <eos> <eos> the dog): the, then
     * the first two of the words seen once in byte order */
    assert_int_equal(c.V, 3);
    assert_string_equal(c.vocab.v[1], "cat");
    assert_string_equal(c.vocab.v[2], "dog");
    assert_int_equal(c.n_dev, 2);
    assert_int_equal(c.dev_ids[0], 0);
    assert_int_equal(c.dev_ids[1], -1);
    data_corpus_free(&c);

    tu_write(tu_tmp("empty.txt"), "", 0);
    d = text_config(tu_tmp("empty.txt"));
    assert_int_equal(data_text_corpus(&c, &d, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "empty.txt: empty file"));
    tu_write(tu_tmp("blank.txt"), "  \n\n \n", (size_t)-1);
    d = text_config(tu_tmp("blank.txt"));
    assert_int_equal(data_text_corpus(&c, &d, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "blank.txt: no text"));
    d = text_config(tu_tmp("c.txt"));
    d.text.unit = TEXT_CHARS;
    assert_int_equal(data_text_corpus(&c, &d, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "tokens: words"));
    d = text_config(tu_tmp("c.txt"));
    d.text.min_count = 10;
    assert_int_equal(data_text_corpus(&c, &d, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "min_count = 10"));
}

/* ---- training on a tiny corpus ---- */

/* Two topics that never share a line: a word's nearest neighbour must be of
 * its own topic. */
static const char *topic_corpus(void)
{
    static char path[1024];
    if (path[0])
        return path;
    snprintf(path, sizeof path, "%s", tu_tmp("topics.txt"));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    dlc_rng r;
    dlc_rng_seed(&r, 1, 0);
    const char *topic[2][5] = {{"red", "green", "blue", "yellow", "pink"},
                               {"one", "two", "three", "four", "five"}};
    for (int line = 0; line < (tu_quick() ? 300 : 1500); line++) {
        int t = line % 2;
        for (int w = 0; w < 8; w++)
            fprintf(f, "%s%s", w ? " " : "", topic[t][dlc_rng_below(&r, 5)]);
        fprintf(f, "\n");
    }
    fclose(f);
    return path;
}

static embed_config small_config(embed_method m)
{
    embed_config e;
    memset(&e, 0, sizeof e);
    e.on = 1;
    e.method = m;
    e.dim = 10;
    e.window = 3;
    e.negatives = 3;
    e.sample = 0;
    e.power = 0.75;
    e.epochs = 3;
    e.lr = m == EMBED_GLOVE ? 0.05 : m == EMBED_WINDOW_LM ? 0.05 : 0.025;
    e.min_lr = 0.0001;
    e.x_max = 10;
    e.alpha = 0.75;
    e.context = EMBED_CTX_BOTH;
    e.combine = EMBED_MEAN;
    e.batch_size = 32;
    return e;
}

static int same_topic(const char *a, const char *b)
{
    const char *colours = " red green blue yellow pink ";
    char ka[32], kb[32];
    snprintf(ka, sizeof ka, " %s ", a);
    snprintf(kb, sizeof kb, " %s ", b);
    return (strstr(colours, ka) != NULL) == (strstr(colours, kb) != NULL);
}

static void train_and_check(embed_method m, embed_context ctx, embed_combine combine)
{
    data_config d = text_config(topic_corpus());
    data_corpus c;
    dlc_error err = {0};
    assert_int_equal(data_text_corpus(&c, &d, &err), DLC_OK);
    embed_config e = small_config(m);
    e.context = ctx;
    e.combine = combine;
    embed_vectors v, v2;
    embed_result res;
    if (embed_train(&v, &c, &e, "topics.txt", 7, NULL, &res, &err) != DLC_OK) {
        print_error("%s: %s\n", embed_method_names[m], err.msg);
        fail();
    }
    assert_int_equal(v.V, 10);
    assert_true(isfinite(res.loss));
    for (int w = 0; w < v.V; w++) {
        int id;
        float sim;
        assert_int_equal(embed_nearest(&v, v.w + (size_t)w * v.D, &w, 1, 1, &id, &sim), 1);
        if (!same_topic(v.words.v[w], v.words.v[id])) {
            print_error("%s: nearest to %s is %s\n", embed_method_names[m], v.words.v[w],
                        v.words.v[id]);
            fail();
        }
    }
    /* one thread: the same seed gives the same vectors */
    assert_int_equal(embed_train(&v2, &c, &e, "topics.txt", 7, NULL, &res, &err), DLC_OK);
    assert_memory_equal(v.w, v2.w, sizeof(float) * (size_t)v.V * v.D);
    embed_vectors_free(&v);
    embed_vectors_free(&v2);
    data_corpus_free(&c);
}

static void test_train_topics(void **state)
{
    (void)state;
    tensor_set_threads(1);
    train_and_check(EMBED_SKIPGRAM, EMBED_CTX_BOTH, EMBED_MEAN);
    train_and_check(EMBED_CBOW, EMBED_CTX_BOTH, EMBED_MEAN);
    train_and_check(EMBED_GLOVE, EMBED_CTX_BOTH, EMBED_MEAN);
    train_and_check(EMBED_WINDOW_LM, EMBED_CTX_BOTH, EMBED_MEAN);
    train_and_check(EMBED_WINDOW_LM, EMBED_CTX_LAST, EMBED_CONCAT);
    train_and_check(EMBED_WINDOW_LM, EMBED_CTX_NEARBY, EMBED_MEAN);
}

/* Hogwild threads: not reproducible, but as good. */
static void test_train_threads(void **state)
{
    (void)state;
    data_config d = text_config(topic_corpus());
    data_corpus c;
    dlc_error err = {0};
    assert_int_equal(data_text_corpus(&c, &d, &err), DLC_OK);
    tensor_set_threads(2);
    for (int m = EMBED_SKIPGRAM; m <= EMBED_GLOVE; m++) {
        embed_config e = small_config((embed_method)m);
        embed_vectors v;
        embed_result res;
        assert_int_equal(embed_train(&v, &c, &e, "topics.txt", 7, NULL, &res, &err), DLC_OK);
        int red = embed_find(&v, "red"), id;
        float sim;
        assert_int_equal(embed_nearest(&v, v.w + (size_t)red * v.D, &red, 1, 1, &id, &sim), 1);
        assert_true(same_topic("red", v.words.v[id]));
        embed_vectors_free(&v);
    }
    tensor_set_threads(1);
    data_corpus_free(&c);
}

static void test_bad_input(void **state)
{
    (void)state;
    tu_write(tu_tmp("tiny.txt"), "a b c a b c\n", (size_t)-1);
    data_config d = text_config(tu_tmp("tiny.txt"));
    data_corpus c;
    dlc_error err = {0};
    assert_int_equal(data_text_corpus(&c, &d, &err), DLC_OK);
    embed_config e = small_config(EMBED_SKIPGRAM);
    e.negatives = 5;
    embed_vectors v;
    embed_result res;
    assert_int_equal(embed_train(&v, &c, &e, "tiny.txt", 1, NULL, &res, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "tiny.txt: the vocabulary has 3 words, too few to draw "
                                    "embed.negatives = 5"));
    e.negatives = 2; /* 3 words: the target and two others */
    assert_int_equal(embed_train(&v, &c, &e, "tiny.txt", 1, NULL, &res, &err), DLC_OK);
    embed_vectors_free(&v);
    e.window = 0;
    assert_int_equal(embed_train(&v, &c, &e, "tiny.txt", 1, NULL, &res, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "embed.window"));
    data_corpus_free(&c);

    /* one word per line: nothing within a window */
    tu_write(tu_tmp("lonely.txt"), "a\nb\na\nc\n", (size_t)-1);
    d = text_config(tu_tmp("lonely.txt"));
    assert_int_equal(data_text_corpus(&c, &d, &err), DLC_OK);
    e = small_config(EMBED_GLOVE);
    assert_int_equal(embed_train(&v, &c, &e, "lonely.txt", 1, NULL, &res, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "lonely.txt: no two words"));
    e = small_config(EMBED_WINDOW_LM);
    assert_int_equal(embed_train(&v, &c, &e, "lonely.txt", 1, NULL, &res, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "nothing to predict"));
    data_corpus_free(&c);
}

/* ---- files ---- */

static void test_vector_files(void **state)
{
    (void)state;
    embed_vectors v = {0};
    /* the last word holds control bytes, as a corpus's words may (fortune
     * files underline with backspaces): the text files stay text */
    const char *words[] = {"the", "caf\xc3\xa9", "x", "_\b_\bn\x1b"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(dlc_strlist_push(&v.words, words[i], NULL), DLC_OK);
    v.V = 4;
    v.D = 4;
    v.w = tensor_alloc(16);
    dlc_rng r;
    dlc_rng_seed(&r, 2, 0);
    fill_random(v.w, 16, 3.0, &r);
    v.w[5] = 1e-30f;
    const char *names[EMBED_FORMAT_COUNT] = {"v.txt", "v.bin", "g.txt"};
    dlc_error err = {0};
    for (int f = 0; f < EMBED_FORMAT_COUNT; f++) {
        assert_int_equal(embed_vectors_write(&v, tu_tmp(names[f]), (embed_format)f, &err), DLC_OK);
        embed_vectors back;
        if (embed_vectors_read(&back, tu_tmp(names[f]), &err) != DLC_OK) {
            print_error("%s: %s\n", names[f], err.msg);
            fail();
        }
        assert_int_equal(back.V, 4);
        assert_int_equal(back.D, 4);
        for (int i = 0; i < 4; i++)
            assert_string_equal(back.words.v[i], words[i]);
        assert_memory_equal(back.w, v.w, sizeof(float) * 16); /* exact, text too */
        embed_vectors_free(&back);
    }
    /* the embedding layer's reader takes all three */
    dlc_strlist vocab = {0};
    const char *vw[] = {"<pad>", "x", "the"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(dlc_strlist_push(&vocab, vw[i], NULL), DLC_OK);
    for (int f = 0; f < EMBED_FORMAT_COUNT; f++) {
        float E[12] = {0};
        int found = 0;
        assert_int_equal(data_text_vectors(tu_tmp(names[f]), &vocab, E, 4, &found, NULL, &err), DLC_OK);
        assert_int_equal(found, 2);
        assert_memory_equal(E + 4, v.w + 8, sizeof(float) * 4);
        assert_memory_equal(E + 8, v.w, sizeof(float) * 4);
    }
    dlc_strlist_clear(&vocab);

    /* malformed files name the file and the line (binary: the record) */
    struct {
        const char *text;
        size_t len;
        const char *want;
    } bad[] = {
        {"a 1 2 3 4\nb 1 2 3\n", (size_t)-1, "bad.txt:2: word 'b' has 3 numbers, expected 4"},
        {"a 1 2 3 4\nb 1 two 3 4\n", (size_t)-1, "bad.txt:2: expected numbers after the word 'b', got \"two\""},
        {"a 1 2 nan 4\n", (size_t)-1, "bad.txt:1: expected numbers"},
        {"2 4\na 1 2 3 4\n", (size_t)-1, "bad.txt:1: the header says 2 words, the file has 1"},
        {"2 4\na 1 2 3 4\nb 1 2 3 4 5\n", (size_t)-1, "bad.txt:3: word 'b' has 5 numbers"},
        {"2 4\na 1 2 3\nb 1 2 3 4\n", (size_t)-1, "bad.txt:2: word 'a' has 3 numbers, expected 4"},
        {"0 4\n", (size_t)-1, "bad.txt:1: the header \"0 4\" needs a positive count"},
        {"", 0, "bad.txt: no vectors"},
        {"2 4\na \x01\x02\x03\x04\x05\x06\x07\x08\x01\x02\x03\x04\x05\x06\x07\x08\n", 23,
         "bad.txt: record 2 (byte 23): no word"},
        {"1 4\na \x01\x02\x03\x04\x05\x06", 12, "bad.txt: record 1 (byte 4): the file ends inside the vector of 'a' (6 of 16 bytes)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tu_write(tu_tmp("bad.txt"), bad[i].text, bad[i].len);
        embed_vectors back;
        if (embed_vectors_read(&back, tu_tmp("bad.txt"), &err) != DLC_EINPUT ||
            !strstr(err.msg, bad[i].want)) {
            print_error("case %zu: got \"%s\", wanted \"%s\"\n", i, err.msg, bad[i].want);
            fail();
        }
    }
    /* a word listed again: its first vector counts, the repeat is counted
     * (a query found the repeat as the word's neighbour; pretrained: took the last) */
    tu_write(tu_tmp("dup.txt"), "red 1 0 0\nblue 0 1 0\nred 0 0 1\n", (size_t)-1);
    embed_vectors d;
    assert_int_equal(embed_vectors_read(&d, tu_tmp("dup.txt"), &err), DLC_OK);
    assert_int_equal(d.V, 2);
    assert_int_equal(d.duplicates, 1);
    assert_true(d.w[0] == 1.0f && d.w[2] == 0.0f);
    embed_vectors_free(&d);
    dlc_strlist dv = {0};
    assert_int_equal(dlc_strlist_push(&dv, "<pad>", NULL), DLC_OK);
    assert_int_equal(dlc_strlist_push(&dv, "red", NULL), DLC_OK);
    float E2[6] = {0};
    int found2 = 0;
    assert_int_equal(data_text_vectors(tu_tmp("dup.txt"), &dv, E2, 3, &found2, NULL, &err), DLC_OK);
    assert_int_equal(found2, 1);
    assert_true(E2[3] == 1.0f && E2[5] == 0.0f);
    dlc_strlist_clear(&dv);
    embed_vectors_free(&v);
}

/* Neighbours and analogies on vectors made by hand. */
static void test_queries(void **state)
{
    (void)state;
    embed_vectors v = {0};
    const char *words[] = {"man", "woman", "king", "queen", "apple"};
    const float w[5][3] = {{1, 0, 0}, {1, 1, 0}, {1, 0, 1}, {1, 1, 1}, {-1, 0, 0}};
    for (int i = 0; i < 5; i++)
        assert_int_equal(dlc_strlist_push(&v.words, words[i], NULL), DLC_OK);
    v.V = 5;
    v.D = 3;
    v.w = tensor_alloc(15);
    memcpy(v.w, w, sizeof w);
    int ids[5], skip[3] = {0, 1, 2};
    float sims[5], q[3];
    embed_analogy_query(&v, 0, 1, 2, q);
    assert_int_equal(embed_nearest(&v, q, skip, 3, 5, ids, sims), 2);
    assert_string_equal(v.words.v[ids[0]], "queen");
    assert_string_equal(v.words.v[ids[1]], "apple");
    assert_true(sims[0] > sims[1]);
    assert_int_equal(embed_nearest(&v, v.w, skip, 1, 2, ids, sims), 2); /* nearest to man */
    assert_string_equal(v.words.v[ids[0]], "woman"); /* cos 0.707, king ties: the first wins */
    tu_close(sims[0], sqrt(0.5), 1e-6);
    assert_int_equal(embed_find(&v, "queen"), 3);
    assert_int_equal(embed_find(&v, "prince"), -1);
    /* the spread: cosines of man, woman, king: 1/sqrt(2), 1/sqrt(2), 1/2 */
    tu_close(embed_mean_cosine(&v, 3), (2.0 * sqrt(0.5) + 0.5) / 3.0, 1e-6);
    v.w[3] = v.w[4] = 0.0f; /* woman has no direction: left out, as it has no cosine */
    tu_close(embed_mean_cosine(&v, 3), sqrt(0.5), 1e-6);
    assert_true(isnan(embed_mean_cosine(&v, 2)));
    tu_close(embed_mean_cosine(&v, 100), (sqrt(0.5) + 1 / sqrt(3.0) - 1 + sqrt(2 / 3.0) - sqrt(0.5) -
                                          1 / sqrt(3.0)) / 6.0, 1e-6);
    embed_vectors_free(&v);
}

/* Vectors of V words in D dimensions: a shared direction (axis 0) of weight
 * a, a second direction (axis 1) on which the words lie along a line, from -b
 * to b (spread evenly, the frequent ones as the rest), and noise of size e,
 * seeded. */
static void shaped_vectors(embed_vectors *v, int V, int D, double a, double b, double e)
{
    memset(v, 0, sizeof *v);
    v->V = V;
    v->D = D;
    v->w = tensor_alloc((size_t)V * D);
    dlc_rng rng;
    dlc_rng_seed(&rng, 7, 0);
    for (int r = 0; r < V; r++)
        for (int i = 0; i < D; i++)
            v->w[(size_t)r * D + i] = (float)((i == 0 ? a : 0.0) + (i == 1 ? b * (2.0 * fmod(r * 0.6180339887, 1.0) - 1.0) : 0.0) +
                                              e * (2.0 * dlc_rng_uniform(&rng) - 1.0));
}

/* The warning's criterion: every nearest neighbour near 1 while the frequent
 * words share a direction says nothing; near 1 in tight clusters that are far
 * apart says something; so does one direction of random noise (trained). */
static void test_unseparated(void **state)
{
    (void)state;
    embed_vectors v;
    double mean, nearest;
    /* untrained skip-gram: one direction, little else (the fortunes after an epoch: 0.97, 0.9998) */
    shaped_vectors(&v, 1000, 50, 1.0, 0.0, 0.005);
    assert_true(embed_unseparated(&v, &mean, &nearest));
    assert_true(mean > 0.99 && nearest > 0.999);
    embed_vectors_free(&v);
    /* untrained CBOW: the shared direction, and a second one along which the
     * words lie: a mean below 0.9 (the former bar), neighbours still at 0.998 */
    shaped_vectors(&v, 1000, 50, 1.0, 1.0, 0.01);
    assert_true(embed_unseparated(&v, &mean, &nearest));
    assert_true(mean > 0.7 && mean < 0.9);
    assert_true(nearest > 0.995);
    embed_vectors_free(&v);
    /* trained: directions of their own (random in 50 dimensions: nearest about 0.5) */
    shaped_vectors(&v, 1000, 50, 0.3, 0.0, 1.0);
    assert_false(embed_unseparated(&v, &mean, &nearest));
    assert_true(nearest < 0.9);
    embed_vectors_free(&v);
    /* two tight topics, opposite: neighbours near 1, and they mean something */
    shaped_vectors(&v, 10, 16, 0.0, 0.0, 0.01);
    for (int r = 0; r < 10; r++)
        v.w[(size_t)r * 16 + 2] = r % 2 ? 1.0f : -1.0f;
    assert_false(embed_unseparated(&v, &mean, &nearest));
    assert_true(nearest > 0.99 && mean < 0.1);
    /* the median of the nearest similarities, by hand: rows 0 and 1 alone */
    tu_close(embed_nearest_cosine(&v, 2), -1.0, 2e-3);
    assert_true(isnan(embed_nearest_cosine(&v, 1)));
    embed_vectors_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ns_gradient),    cmocka_unit_test(test_glove_gradient),
        cmocka_unit_test(test_unseparated),
        cmocka_unit_test(test_window_gradient), cmocka_unit_test(test_negative_sampler),
        cmocka_unit_test(test_cbow_step),      cmocka_unit_test(test_keep_prob),
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_train_topics),   cmocka_unit_test(test_train_threads),
        cmocka_unit_test(test_bad_input),      cmocka_unit_test(test_vector_files),
        cmocka_unit_test(test_queries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
