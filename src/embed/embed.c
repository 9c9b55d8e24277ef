/* embed.c - the table of methods and embed_train, which checks a config
 * against its corpus and runs the method's row. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"

typedef struct {
    embed_method method;
    int negatives;   /* draws negatives: needs K + 1 words */
    dlc_status (*train)(embed_job *job, dlc_error *err);
    const char *unit; /* what its rate counts (embed_rate_unit) */
} embed_method_row;

static const embed_method_row methods[] = {
    {EMBED_SKIPGRAM, 1, embed_word2vec, "words"},
    {EMBED_CBOW, 1, embed_word2vec, "words"},
    {EMBED_GLOVE, 0, embed_glove, "pairs"},
    {EMBED_WINDOW_LM, 0, embed_window_lm, "words"},
};
_Static_assert(DLC_ARRAY_LEN(methods) == EMBED_METHOD_COUNT, "one row per method");

const char *embed_rate_unit(embed_method m)
{
    return m >= 0 && m < EMBED_METHOD_COUNT ? methods[m].unit : "words";
}

dlc_status embed_train(embed_vectors *out, const data_corpus *c, const embed_config *cfg,
                       const char *corpus_name, uint64_t seed, const embed_callbacks *cb,
                       embed_result *res, dlc_error *err)
{
    memset(out, 0, sizeof *out);
    memset(res, 0, sizeof *res);
    res->loss = res->dev_loss = NAN;
    if (cfg->method < 0 || cfg->method >= EMBED_METHOD_COUNT)
        return dlc_fail(err, DLC_EINPUT, "embed.method: unknown method");
    const embed_method_row *row = &methods[cfg->method];
    if (row->negatives && c->V < cfg->negatives + 1)
        return dlc_fail(err, DLC_EINPUT,
                        "%s: the vocabulary has %d word%s, too few to draw embed.negatives = %d "
                        "negatives besides the target (lower negatives or min_count, raise "
                        "max_vocab, or use more text)",
                        corpus_name, c->V, c->V == 1 ? "" : "s", cfg->negatives);
    if (cfg->window < 1)
        return dlc_fail(err, DLC_EINPUT, "embed.window: must be at least 1, got %d", cfg->window);
    out->V = c->V;
    out->D = cfg->dim;
    out->w = tensor_alloc((size_t)c->V * (size_t)cfg->dim);
    out->count = malloc(sizeof(long) * (size_t)c->V);
    dlc_status st = DLC_OK;
    if (!out->w || !out->count) {
        st = DLC_NOMEM(err);
        goto done;
    }
    memcpy(out->count, c->count, sizeof(long) * (size_t)c->V);
    if ((st = dlc_strlist_copy(&out->words, &c->vocab, err)))
        goto done;
    embed_job job = {c, cfg, seed, cb, out->w, res};
    st = row->train(&job, err);
    if (st)
        dlc_error_prefix(err, "%s", corpus_name);
done:
    if (st)
        embed_vectors_free(out);
    return st;
}
