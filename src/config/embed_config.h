/* embed_config.h - what a config's `embed:` section says (dlc embed, src/embed).
 *
 * A config with an `embed:` section learns word vectors from its text data
 * instead of training a model: it has no model, loss, train or report
 * section. */
#ifndef DLC_EMBED_CONFIG_H
#define DLC_EMBED_CONFIG_H

/* How the vectors are learned (the table of methods is in embed.c). */
typedef enum {
    EMBED_SKIPGRAM,  /* word2vec skip-gram, negative sampling */
    EMBED_CBOW,      /* word2vec CBOW (mean of the context), negative sampling */
    EMBED_GLOVE,     /* weighted least squares on co-occurrence counts */
    EMBED_WINDOW_LM, /* the notes' context-window model: softmax over the vocabulary */
    EMBED_METHOD_COUNT
} embed_method;
extern const char *const embed_method_names[EMBED_METHOD_COUNT + 1];

/* window_lm: which words predict the target */
typedef enum {
    EMBED_CTX_LAST,   /* the last n words */
    EMBED_CTX_BOTH,   /* n words on each side */
    EMBED_CTX_NEARBY, /* one word drawn from the n on each side */
    EMBED_CTX_COUNT
} embed_context;
extern const char *const embed_context_names[EMBED_CTX_COUNT + 1];

/* window_lm: how the context vectors become one */
typedef enum { EMBED_MEAN, EMBED_CONCAT, EMBED_COMBINE_COUNT } embed_combine;
extern const char *const embed_combine_names[EMBED_COMBINE_COUNT + 1];

typedef struct {
    int on;                /* the config has an embed: section */
    embed_method method;
    int dim;               /* vector size */
    int window;            /* n: words on each side (window_lm last: before) */
    int negatives;         /* K per pair (skipgram, cbow) */
    double sample;         /* subsampling threshold t (0: keep every word) */
    double power;          /* negatives drawn from count^power */
    int epochs;
    double lr;             /* starting learning rate */
    double min_lr;         /* word2vec methods and window_lm: lr falls linearly to this */
    double x_max;          /* glove: f(x) = min(1, (x / x_max)^alpha) */
    double alpha;
    embed_context context; /* window_lm */
    embed_combine combine; /* window_lm */
    int batch_size;        /* window_lm: examples per matrix product */
} embed_config;

#endif
