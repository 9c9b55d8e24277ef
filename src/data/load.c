/* load.c - data_load and data_free: the checks every format shares, then
 * the table reader (split.c) or the text reader (text.c). */
#include "data_internal.h"

#include <stdlib.h>
#include <string.h>

const char *const data_format_names[DATA_FORMAT_COUNT + 1] = {"idx",  "csv",       "image_folder",
                                                             "text", "detection", NULL};
const char *const data_bad_names[DATA_BAD_COUNT + 1] = {"fail", "skip", NULL};
const char *const data_missing_names[DATA_MISSING_COUNT + 1] = {"error", "drop", "mean", NULL};
const char *const data_separator_names[DATA_SEP_COUNT + 1] = {
    "auto", ",", ";", "tab", "|", "\t", "comma", "semicolon", "pipe", "whitespace", NULL};
const char *const data_decimal_names[DATA_DECIMAL_COUNT + 1] = {".", ",", "point", "comma", NULL};
const char *const data_balance_names[DATA_BALANCE_COUNT + 1] = {"none", "classes", NULL};
const char *const data_target_norm_names[3] = {"none", "standard", NULL};

/* data.balance: classes.  Each train example's sampling weight is divided
 * by its class's count in the train split (PyTorch's WeightedRandomSampler
 * with 1 / count weights), so an epoch's draws with replacement (data_plan)
 * take every class about equally often; data.sources' weights, if any, are
 * kept within each class. */
static dlc_status load_balance(data_bundle *b, const data_config *cfg, dlc_error *err)
{
    const data_split *tr = &b->split[DATA_SPLIT_TRAIN];
    const dataset *ds = tr->ds;
    if (cfg->format == DATA_TEXT || cfg->format == DATA_DETECTION || b->n_heads != 1 ||
        b->heads[0].mode != DATA_TARGET_CLASS || b->n_targets != 1 || b->stack > 1 ||
        b->sampler.kind != DATA_SAMPLER_NONE)
        return dlc_fail(err, DLC_EINPUT, "data.balance: classes draws examples by class: it needs "
                        "one classifier output (one class label per example), csv, idx or "
                        "image_folder data, and no pairs or triplets sampler");
    const int K = b->heads[0].class_names.n > 0 ? b->heads[0].class_names.n : 1;
    int *count = calloc((size_t)K + 1, sizeof *count);
    float *w = malloc(sizeof(float) * (size_t)(ds->n ? ds->n : 1));
    if (!count || !w) {
        free(count);
        free(w);
        return DLC_NOMEM(err);
    }
    for (int i = 0; i < tr->n; i++) {
        int y = (int)ds->targets[tr->idx[i]];
        count[y >= 0 && y < K ? y : K]++;
    }
    for (int r = 0; r < ds->n; r++) {
        int y = (int)ds->targets[r];
        int c = count[y >= 0 && y < K ? y : K];
        w[r] = (b->weight ? b->weight[r] : 1.0f) / (float)(c ? c : 1);
    }
    free(b->weight);
    b->weight = w;
    free(count);
    return DLC_OK;
}
const char *const data_split_names[DATA_SPLIT_COUNT + 1] = {"train", "train_dev", "dev", "test", NULL};
const char *const data_domain_names[DATA_DOMAIN_COUNT + 1] = {"in", "out", NULL};

static dlc_status check_fraction(const char *name, double f, dlc_error *err)
{
    if (!(f >= 0.0 && f < 1.0))
        return dlc_fail(err, DLC_EINPUT, "data.%s: expected a fraction in [0, 1), got %g", name, f);
    return DLC_OK;
}

dlc_status data_load(data_bundle *b, const data_config *cfg, data_target mode, uint64_t seed,
                     dlc_error *err)
{
    data_target_spec one = {"", mode};
    return data_load_heads(b, cfg, &one, 1, seed, err);
}

dlc_status data_load_heads(data_bundle *b, const data_config *cfg, const data_target_spec *want,
                           int n_want, uint64_t seed, dlc_error *err)
{
    dlc_status st;
    memset(b, 0, sizeof *b);
    if (n_want < 1 || n_want > DATA_MAX_HEADS)
        return dlc_fail(err, DLC_EINPUT, "data: %d outputs ask for targets (1 to %d)", n_want,
                        DATA_MAX_HEADS);
    b->n_heads = n_want;
    for (int h = 0; h < n_want; h++) {
        dlc_strlcpy(b->heads[h].name, want[h].name, sizeof b->heads[h].name);
        b->heads[h].mode = want[h].mode;
    }
    if ((st = check_fraction("split.dev", cfg->split_dev, err)) ||
        (st = check_fraction("split.test", cfg->split_test, err)) ||
        (st = check_fraction("split.train_dev", cfg->split_train_dev, err)))
        return st;
    if (!data_source_given(&cfg->train) && cfg->n_sources == 0)
        return dlc_fail(err, DLC_EINPUT, "data.train: no training data given");
    if (data_source_given(&cfg->dev) && cfg->split_dev > 0)
        return dlc_fail(err, DLC_EINPUT,
                        "data: both a dev file and split.dev = %g are given; use one or the other",
                        cfg->split_dev);
    if (data_source_given(&cfg->test) && cfg->split_test > 0 && !cfg->test_replaces)
        return dlc_fail(err, DLC_EINPUT,
                        "data: both a test file and split.test = %g are given; use one or the other",
                        cfg->split_test);
    if (cfg->format == DATA_TEXT) {
        if (n_want != 1 || want[0].mode != DATA_TARGET_CLASS)
            return dlc_fail(err, DLC_EINPUT, "data.format text predicts tokens, tags or classes: "
                                             "it needs one output with loss softmax_cross_entropy");
        st = cfg->n_sources > 0 ? data_text_sources_load(b, cfg, seed, err)
                                : data_text_load(b, cfg, seed, err);
        b->heads[0].offset = 0;
        b->heads[0].count = b->n_targets;
    } else if (cfg->n_sources > 0) {
        st = data_sources_load(b, cfg, seed, err);
    } else {
        st = data_table_load(b, cfg, seed, err);
    }
    if (st == DLC_OK && cfg->balance == DATA_BALANCE_CLASSES)
        st = load_balance(b, cfg, err);
    if (st != DLC_OK)
        data_free(b);
    return st;
}

void data_free(data_bundle *b)
{
    if (!b)
        return;
    for (int k = 0; k < SRC_COUNT; k++)
        data_dataset_free(b->src[k]);
    for (int k = 0; k < DATA_SPLIT_COUNT; k++)
        free(b->split[k].idx);
    for (int h = 0; h < DATA_MAX_HEADS; h++) {
        dlc_strlist_clear(&b->heads[h].class_names);
        dlc_strlist_clear(&b->heads[h].columns);
    }
    dlc_strlist_clear(&b->vocab);
    data_sampler_free(b);
    dlc_strlist_clear(&b->source_names);
    free(b->weight);
    dlc_strlist_clear(&b->skipped_files);
    data_norm_free(&b->norm);
    memset(b, 0, sizeof *b);
}
