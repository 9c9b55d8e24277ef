/* report_json.c - report.json of a finished run: final figures per split.
 * Schema (version 1):
 *   {"format": "dlc-report-1", "name": str, "loss": str,
 *    "epochs_run": int, "best_epoch": int (0: no dev split), "stopped_early": bool,
 *    "seconds": num, "params": {"trainable": int, "frozen": int},
 *    "splits": {"train"|"train_dev"|"dev"|"test":
 *               {"examples": int, "loss": num, "accuracy": num|null, "error": num|null
 *                [, "perplexity": num, "bits_per_char"|"bits_per_word": num]}}}
 * (the last two for language models, whose loss is per token).
 * Train figures are measured in evaluation mode after training. */
#include <math.h>

#include "../io/io.h"
#include "train.h"

static void json_num(dlc_buf *b, double v)
{
    if (isfinite(v))
        dlc_buf_printf(b, "%.9g", v);
    else
        dlc_buf_printf(b, "null");
}

dlc_status train_write_report(const char *path, const dlc_config *cfg, const train_result *r,
                              dlc_error *err)
{
    dlc_buf b = {0};
    dlc_buf_printf(&b, "{\n  \"format\": \"dlc-report-1\",\n  \"name\": ");
    json_write_string(&b, cfg->name);
    dlc_buf_printf(&b, ",\n  \"loss\": \"%s\",\n", loss_names[cfg->loss]);
    dlc_buf_printf(&b, "  \"epochs_run\": %d,\n  \"best_epoch\": %d,\n  \"stopped_early\": %s,\n",
                   r->epochs_run, r->best_epoch, r->stopped_early ? "true" : "false");
    dlc_buf_printf(&b, "  \"seconds\": %.3f,\n", r->seconds);
    dlc_buf_printf(&b, "  \"params\": {\"trainable\": %zu, \"frozen\": %zu},\n",
                   r->params_trainable, r->params_frozen);
    dlc_buf_printf(&b, "  \"splits\": {");
    for (int i = 0; i < r->n_splits; i++) {
        const train_split_result *s = &r->splits[i];
        dlc_buf_printf(&b, "%s\n    \"%s\": {\"examples\": %d, \"loss\": ", i ? "," : "", s->name, s->n);
        json_num(&b, s->loss);
        dlc_buf_printf(&b, ", \"accuracy\": ");
        json_num(&b, s->accuracy);
        dlc_buf_printf(&b, ", \"error\": ");
        json_num(&b, isfinite(s->accuracy) ? 1.0 - s->accuracy : NAN);
        if (cfg->data.format == DATA_TEXT && cfg->data.text.task == TEXT_LM) {
            /* language models: per-token loss in nats as perplexity and bits */
            dlc_buf_printf(&b, ", \"perplexity\": ");
            json_num(&b, exp(s->loss));
            dlc_buf_printf(&b, cfg->data.text.unit == TEXT_CHARS ? ", \"bits_per_char\": "
                                                                  : ", \"bits_per_word\": ");
            json_num(&b, s->loss / M_LN2);
        }
        dlc_buf_printf(&b, "}");
    }
    dlc_buf_printf(&b, "\n  }\n}\n");
    if (b.failed) {
        dlc_buf_free(&b);
        return DLC_NOMEM(err);
    }
    dlc_status s = io_write_file(path, b.s, b.len, err);
    dlc_buf_free(&b);
    return s;
}
