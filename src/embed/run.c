/* run.c - dlc embed's run folder: the vectors in three formats, the
 * vocabulary with counts, metrics.csv, report.json and the resolved config. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../io/io.h"
#include "embed.h"

const char *const embed_run_files[EMBED_FORMAT_COUNT] = {"vectors.txt", "vectors.bin", "glove.txt"};

static void json_num(dlc_buf *b, const char *key, double x, int last)
{
    if (isfinite(x))
        dlc_buf_printf(b, "  \"%s\": %.10g%s\n", key, x, last ? "" : ",");
    else
        dlc_buf_printf(b, "  \"%s\": null%s\n", key, last ? "" : ",");
}

static dlc_status write_buf(const char *dir, const char *name, dlc_buf *b, dlc_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (b->failed)
        return DLC_NOMEM(err);
    return io_write_file(path, b->s ? b->s : "", b->len, err);
}

dlc_status embed_write_run(const embed_vectors *v, const embed_run_info *r, dlc_error *err)
{
    char path[4096];
    dlc_status st = dlc_mkdirs(r->dir, err);
    dlc_buf b = {0};
    if (st)
        return st;
    if (r->config_yaml) {
        snprintf(path, sizeof path, "%s/config.yaml", r->dir);
        if ((st = io_write_file(path, r->config_yaml, strlen(r->config_yaml), err)))
            return st;
    }
    for (int f = 0; f < EMBED_FORMAT_COUNT; f++) {
        snprintf(path, sizeof path, "%s/%s", r->dir, embed_run_files[f]);
        if ((st = embed_vectors_write(v, path, (embed_format)f, err)))
            return st;
    }
    for (int k = 0; k < v->V; k++)
        dlc_buf_printf(&b, "%s %ld\n", v->words.v[k], v->count ? v->count[k] : 0L);
    if ((st = write_buf(r->dir, "vocab.txt", &b, err)))
        goto done;
    dlc_buf_free(&b);
    dlc_buf_printf(&b, "epoch,lr,loss,dev_loss,seconds,%s_per_s\n", embed_rate_unit(r->cfg->method));
    for (int e = 0; e < r->n_epochs; e++) {
        const embed_epoch *ep = &r->epochs[e];
        dlc_buf_printf(&b, "%d,%.6g,", ep->epoch, ep->lr);
        if (isfinite(ep->loss)) /* empty: nothing trained or measured that epoch */
            dlc_buf_printf(&b, "%.6g", ep->loss);
        dlc_buf_printf(&b, ",");
        if (isfinite(ep->dev_loss))
            dlc_buf_printf(&b, "%.6g", ep->dev_loss);
        dlc_buf_printf(&b, ",%.3f,%.0f\n", ep->seconds, ep->rate);
    }
    if ((st = write_buf(r->dir, "metrics.csv", &b, err)))
        goto done;
    dlc_buf_free(&b);
    const embed_config *cfg = r->cfg;
    const embed_result *res = r->res;
    dlc_buf_printf(&b, "{\n  \"format\": \"dlc-embed-1\",\n  \"name\": ");
    json_write_string(&b, r->name);
    dlc_buf_printf(&b, ",\n  \"method\": \"%s\",\n", embed_method_names[cfg->method]);
    dlc_buf_printf(&b, "  \"dim\": %d,\n  \"vocabulary\": %d,\n  \"words\": %ld,\n  \"tokens\": %ld,\n",
                   v->D, v->V, r->words, r->tokens);
    dlc_buf_printf(&b, "  \"epochs\": %d,\n  \"threads\": %d,\n", cfg->epochs, r->threads);
    json_num(&b, "seconds", res->seconds, 0);
    char rate_key[32];
    snprintf(rate_key, sizeof rate_key, "%s_per_s", embed_rate_unit(cfg->method));
    json_num(&b, rate_key, res->rate, 0);
    json_num(&b, "loss", res->loss, 0);
    json_num(&b, "dev_loss", res->dev_loss, 0);
    json_num(&b, "dev_perplexity", isfinite(res->dev_loss) ? exp(res->dev_loss) : NAN, 0);
    double mean, nearest;
    int apart = !embed_unseparated(v, &mean, &nearest);
    json_num(&b, "mean_cosine", mean, 0);
    json_num(&b, "nearest_cosine", nearest, 0);
    dlc_buf_printf(&b, "  \"separated\": %s,\n", apart ? "true" : "false");
    if (cfg->method == EMBED_GLOVE)
        dlc_buf_printf(&b, "  \"pairs\": %ld,\n", res->pairs);
    else
        dlc_buf_printf(&b, "  \"pairs\": null,\n");
    dlc_buf_printf(&b, "  \"files\": {\"word2vec_text\": \"%s\", \"word2vec_binary\": \"%s\", "
                       "\"glove_text\": \"%s\", \"vocab\": \"vocab.txt\"}\n}\n",
                   embed_run_files[0], embed_run_files[1], embed_run_files[2]);
    st = write_buf(r->dir, "report.json", &b, err);
done:
    dlc_buf_free(&b);
    return st;
}
