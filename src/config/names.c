/* names.c - the option names of the train:, report:, embed: and stylize: sections,
 * which the schema validates (config owns the tables it checks against). */
#include "config.h"
#include "embed_config.h"
#include "report_config.h"
#include "stylize_config.h"
#include "train_config.h"

#include <stddef.h>

const char *const config_init_norm_names[INIT_NORM_COUNT + 1] = {"source", "refit", NULL};
const char *const train_stop_metric_names[STOP_METRIC_COUNT + 1] = {"dev_loss", "dev_accuracy", NULL};
const char *const train_seq_loss_names[SEQ_LOSS_COUNT + 1] = {"mean", "sum", NULL};
const char *const stylize_init_names[STYLIZE_INIT_COUNT + 1] = {"content", "noise", NULL};
const char *const stylize_opt_names[STYLIZE_OPT_COUNT + 1] = {"adam", "lbfgs", NULL};

const char *const embed_method_names[EMBED_METHOD_COUNT + 1] = {"skipgram", "cbow", "glove",
                                                                 "window_lm", NULL};
const char *const embed_context_names[EMBED_CTX_COUNT + 1] = {"last", "both", "nearby", NULL};
const char *const embed_combine_names[EMBED_COMBINE_COUNT + 1] = {"mean", "concat", NULL};

const char *const report_measure_names[REPORT_MEASURE_COUNT + 1] = {
    "accuracy", "error",   "loss",  "f1",  "auc", "mse",        "mae",
    "latency_ms", "params", "size_mb", "map50", "map", "iou", "landmark_px", NULL};
const char *const report_optimize_names[REPORT_MEASURE_COUNT + 3] = {
    "accuracy", "error",   "loss",  "f1",  "auc", "mse",        "mae",      "latency_ms",
    "params",   "size_mb", "map50", "map", "iou", "landmark_px", "weighted", "auto", NULL};

int report_measure_higher_is_better(int m)
{
    return m == REPORT_M_ACCURACY || m == REPORT_M_F1 || m == REPORT_M_AUC ||
           m == REPORT_M_MAP50 || m == REPORT_M_MAP || m == REPORT_M_IOU ||
           m == REPORT_OPTIMIZE_WEIGHTED;
}

