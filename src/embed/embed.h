/* embed.h - learning word vectors from a corpus (dlc embed): word2vec
 * skip-gram and CBOW with negative sampling, GloVe, and the notes'
 * context-window language model; the vectors' files and queries on them.
 *
 * embed_train reads nothing and writes nothing: it takes a data_corpus
 * (src/data, text.c) and returns the vectors.  Threads: the word2vec methods
 * and GloVe split the text (the co-occurrences) into one part per thread of
 * the tensor pool (tensor_set_threads), and every part updates the shared
 * vectors without locks (Hogwild, as word2vec and gensim do): with more than
 * one thread a run is not bit-reproducible.  With one thread the same seed
 * gives the same vectors.  The window model splits its matrix products
 * instead and is reproducible at any thread count.
 *
 * Letters: V vocabulary, D vector size, K negatives, n window.
 */
#ifndef DLC_EMBED_H
#define DLC_EMBED_H

#include <stdint.h>
#include <stdio.h>

#include "../base/error.h"
#include "../base/util.h"
#include "../data/data.h"
#include "../config/embed_config.h"

/* Word vectors: row k of w is the vector of words.v[k]. */
typedef struct {
    int V, D;
    dlc_strlist words;  /* (V) owned */
    long *count;        /* (V) owned, or NULL: occurrences in the corpus */
    float *w;           /* (V, D) owned (tensor_alloc) */
    long duplicates;    /* read from a file: rows of a word listed again, skipped */
} embed_vectors;

void embed_vectors_free(embed_vectors *v);

/* What a method's rate counts a second: "words" of the text read (skip-gram,
 * CBOW, window_lm), or "pairs" (glove: an epoch visits the distinct
 * co-occurring pairs, counted once from the text before the epochs, whose
 * number grows far slower than the text's: a rate in words made 9,600 words
 * of 10 distinct ones read at 6.8 billion words/s). */
const char *embed_rate_unit(embed_method m);

/* What one epoch did (for metrics.csv and the progress line). */
typedef struct {
    int epoch, epochs;
    double lr;           /* at the epoch's end */
    double loss;         /* per pair (word2vec: on a sample of 1 in 16 words), per
                          * co-occurrence (glove), per predicted word (window_lm) */
    double dev_loss;     /* window_lm with a dev part: per word; NaN otherwise */
    double seconds;      /* this epoch */
    double rate;         /* per second: corpus tokens read, or glove's pairs visited
                          * (embed_rate_unit) */
    int empty;           /* word2vec: subsampling left no line two words, nothing was trained */
} embed_epoch;

typedef struct {
    void *user;
    /* a share of the whole run done (0..1), the rate now; called often
     * from the calling thread (may be NULL) */
    void (*on_progress)(void *user, double done, double lr, double rate);
    void (*on_epoch)(void *user, const embed_epoch *e); /* may be NULL */
} embed_callbacks;

typedef struct {
    double seconds;      /* training only (not reading or counting) */
    double rate;         /* corpus tokens x epochs / seconds; glove: pairs x epochs /
                          * seconds (embed_rate_unit) */
    long pairs;          /* glove: distinct co-occurring pairs */
    double loss, dev_loss;
} embed_result;

/* Checks cfg against the corpus (EINPUT, naming the corpus file and the key:
 * a vocabulary smaller than K + 1 for negative sampling, a window model
 * with nothing to predict), then learns the vectors.  cb may be NULL. */
dlc_status embed_train(embed_vectors *out, const data_corpus *c, const embed_config *cfg,
                       const char *corpus_name, uint64_t seed, const embed_callbacks *cb,
                       embed_result *res, dlc_error *err);

/* ---- the methods (word2vec.c, glove.c, window_lm.c) ---- */

typedef struct {
    const data_corpus *c;
    const embed_config *cfg;
    uint64_t seed;
    const embed_callbacks *cb;
    float *w;            /* (V, D) the vectors, to fill */
    embed_result *res;
} embed_job;

dlc_status embed_word2vec(embed_job *job, dlc_error *err);
dlc_status embed_glove(embed_job *job, dlc_error *err);
dlc_status embed_window_lm(embed_job *job, dlc_error *err);

/* The kernels, for the gradient checks (tests/unit/test_embed.c): one
 * negative-sampling step (kernels.h ns_step) and one GloVe step (glove_step).
 * See kernels.h for what they compute. */
double embed_ns_step(const float *h, float *U, const int *t, int k, float lr, float *dh, int D);
double embed_glove_step(float *w, float *v, float *gw, float *gv, float *b, float *c, float *gb,
                        float *gc, float fx, float logx, float lr, int D);
/* word2vec's CBOW at position pos of sen (its window sen[lo..hi]): h (D)
 * becomes the mean of the context's rows of syn0 (V, D), the negative-
 * sampling step of t (K + 1 ids) runs on it, and each context row gets dh
 * (D).  Returns the loss, or -1 when the window holds no other word. */
double embed_cbow_step(float *syn0, float *syn1, const int *sen, int lo, int hi, int pos,
                       const int *t, int K, float lr, float *h, float *dh, int D);
/* word2vec's subsampling: the probability that a word seen count times
 * among words stays, (sqrt(f / (s T)) + 1) s T / f with s = sample, at most
 * 1 (1 when sample is 0). */
double embed_keep_prob(long count, long words, double sample);

/* Negatives for word2vec: Walker's alias table over V words, P(w) =
 * count^power / sum (Vose's construction; returns -1 when out of memory).
 * A draw takes one 64-bit random number: its high half picks a slot, its
 * low half the slot's word (below prob) or its alias. */
typedef struct {
    uint32_t prob;
    int alias;
} embed_alias;
int embed_alias_fill(embed_alias *a, const long *count, int V, double power);
static inline int embed_alias_draw(const embed_alias *a, uint64_t r, int V)
{
    const embed_alias *s = &a[(uint32_t)(((r >> 32) * (uint64_t)V) >> 32)];
    return (uint32_t)r < s->prob ? (int)(s - a) : s->alias;
}

/* The window model's loss over examples: contexts (B, m) word ids (-1: no
 * word; m = n for last, 2n for both, 1 for nearby), targets (B); E (V, D)
 * the input vectors, W (V, Din) and bias (V) the softmax, Din = D (mean) or
 * m D (concat).  Returns the summed cross-entropy; with gradients wanted
 * (dE, dW, db not NULL) adds dLoss/d. into them.  scratch: at least
 * B * (Din + V) floats. */
double embed_window_loss(const int *contexts, const int *targets, int B, int m,
                         embed_combine combine, const float *E, const float *W, const float *bias,
                         int V, int D, float *dE, float *dW, float *db, float *scratch);

/* ---- files (vectors.c) ---- */

/* word2vec's text format ("V D" then "word v1 .. vD" lines, numbers
 * printed to round-trip), its binary format ("V D\n" then "word " and D
 * little-endian float32 and "\n" per word) and GloVe's text format (the text
 * lines without the header).  Atomic: a crash leaves no half file. */
typedef enum { EMBED_W2V_TEXT, EMBED_W2V_BINARY, EMBED_GLOVE_TEXT, EMBED_FORMAT_COUNT } embed_format;
dlc_status embed_vectors_write(const embed_vectors *v, const char *path, embed_format f,
                               dlc_error *err);
/* Reads any of the three (data_vectors_read decides which). */
dlc_status embed_vectors_read(embed_vectors *v, const char *path, dlc_error *err);

/* ---- the run folder (run.c) ---- */

/* File names of the three formats in a run folder, by embed_format. */
extern const char *const embed_run_files[EMBED_FORMAT_COUNT];

typedef struct {
    const char *dir;            /* created when missing */
    const char *name;           /* the run's name */
    const char *config_yaml;    /* the resolved config (written as config.yaml), or NULL */
    const embed_config *cfg;
    const embed_result *res;
    const embed_epoch *epochs;  /* (n_epochs) */
    int n_epochs;
    long words, tokens;         /* the corpus: kept words, tokens read */
    int threads;
} embed_run_info;

/* Writes vectors.txt, vectors.bin, glove.txt, vocab.txt ("word count"
 * lines), metrics.csv, report.json and config.yaml into r->dir, each
 * atomically. */
dlc_status embed_write_run(const embed_vectors *v, const embed_run_info *r, dlc_error *err);

/* ---- queries ---- */

/* The k rows most similar (cosine) to q (D), leaving out rows in skip
 * (n_skip ids): ids and similarities, best first.  Returns how many (< k
 * when the vocabulary is small). */
int embed_nearest(const embed_vectors *v, const float *q, const int *skip, int n_skip, int k,
                  int *ids, float *sims);
/* Row of a word, -1 if absent. */
int embed_find(const embed_vectors *v, const char *word);
/* a is to b as c is to ?: the unit vectors' b - a + c (3CosAdd) into q (D). */
void embed_analogy_query(const embed_vectors *v, int a, int b, int c, float *q);

/* How far the vectors have separated: the mean cosine similarity over all
 * pairs of the first n rows (the most frequent words in a file written by
 * count, as dlc and gensim write them), rows of zero length left out; NaN
 * when fewer than two remain.  word2vec's vectors share one direction early
 * in training (all near 1: every neighbour scores about 0.999), and more
 * epochs or text spread them (the 100 most frequent of Brown, 5 epochs:
 * 0.30). */
enum { EMBED_SPREAD_WORDS = 100 };
double embed_mean_cosine(const embed_vectors *v, int n);

/* The median, over the first n rows (rows of zero length left out), of each
 * row's largest cosine similarity to another of them: how close a frequent
 * word's nearest neighbour is.  NaN when fewer than two remain. */
enum { EMBED_NEAREST_WORDS = 1000 };
double embed_nearest_cosine(const embed_vectors *v, int n);

/* 1 when the vectors have not separated yet: the median nearest-neighbour
 * similarity of the EMBED_NEAREST_WORDS most frequent words above
 * EMBED_NEAREST_CLOSE while the EMBED_SPREAD_WORDS most frequent have a mean
 * cosine above EMBED_SHARED to each other, so a neighbour's score near 1
 * says nothing of the word.  Measured (README, "Vectors not yet apart"):
 * untrained skip-gram, CBOW and GloVe on the fortunes and on Brown have a
 * median of 0.995-1.000 and a mean of 0.76-1.00; trained ones 0.864-0.984,
 * and mean 0.26-0.74; ten words in two topics that part at once 0.997 and
 * 0.46, hence the mean's bar.  *mean and *nearest: the two figures. */
#define EMBED_NEAREST_CLOSE 0.99
#define EMBED_SHARED 0.6
int embed_unseparated(const embed_vectors *v, double *mean, double *nearest);

#endif
