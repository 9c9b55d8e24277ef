/* eval.c - `dlc eval RUN`: score a trained run on one of its splits. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../io/io.h"
#include "../infer/infer.h"
#include "../report/report.h"
#include "../train/train.h"
#include "cli.h"
#include "report_print.h"

static const cli_opt opts[] = {
    {"--split", 1, "NAME", "test (default), dev, train or train_dev"},
    {"--json", 0, NULL, "print one JSON object"},
    {"--embedding", 1, "LAYER", "verification figures of this layer's output (default: the run's)"},
    {"--set", 1, "KEY=VALUE",
     "override a data.* or report.* key of the run's config, e.g. data.test.file=new.csv (repeatable)"},
    {"--unknown-labels", 1, "fail|skip",
     "a label the model was not trained on: an error naming file and line (default), or skipped and counted"},
    {NULL, 0, NULL, NULL},
};

static void json_key(dlc_buf *b, const char *key, double v)
{
    dlc_buf_printf(b, ", \"%s\": ", key);
    json_write_number(b, v);
}

/* ", f1_macro: .., auc: .., mse: .., mae: .., r2: .." of split r of head rh; every
 * number through json_write_number: null, never nan.  A detection output
 * adds "detection": {images, objects, map50, map, missed, false_positives,
 * class_accuracy, mean_iou, landmark_px, per_class: [{class, objects, ap50,
 * ap}]} */
static void print_measures(dlc_buf *b, const report_head *rh, const report_split *r)
{
    const double extra[5] = {r->cls ? r->macro.f1 : NAN, r->auc, r->mse, r->mae, r->r2};
    const char *names_x[5] = {"f1_macro", "auc", "mse", "mae", "r2"};
    for (int i = 0; i < 5; i++)
        json_key(b, names_x[i], extra[i]);
    const report_detect *d = r->det;
    if (!d)
        return;
    dlc_buf_printf(b, ", \"detection\": {\"images\": %ld, \"objects\": %ld", d->images, d->objects);
    json_key(b, "map50", d->map50);
    json_key(b, "map", d->map);
    dlc_buf_printf(b, ", \"missed\": %ld, \"false_positives\": %ld", d->missed, d->false_pos);
    json_key(b, "class_accuracy", d->class_accuracy);
    json_key(b, "mean_iou", d->mean_iou);
    json_key(b, "landmark_px", d->landmark_px);
    dlc_buf_printf(b, ", \"per_class\": [");
    for (int k = 0; d->loss != LOSS_LANDMARKS && k < rh->K; k++) {
        dlc_buf_printf(b, "%s{\"class\": ", k ? ", " : "");
        json_write_string(b, rh->names.v[k]);
        dlc_buf_printf(b, ", \"objects\": %ld", d->n_gt[k]);
        json_key(b, "ap50", d->ap50[k]);
        json_key(b, "ap", d->ap[k]);
        dlc_buf_printf(b, "}");
    }
    dlc_buf_printf(b, "]}");
}

/* Labels are read through the model's class list, never re-derived from
 * the data read now: data that lost a class, or gained one, must not shift
 * the ids the model's outputs mean.  (A language model's classes are its
 * vocabulary, already given.  With several outputs each reads its own label
 * group, named by the train data.  A pair model's classes, different and
 * same, come from whether two labels agree: the data's own labels are read.) */
static dlc_status eval_known_classes(dlc_config *cfg, const model *m, int skip, dlc_error *err)
{
    cfg->data.skip_unknown_labels = skip;
    /* an embedding is measured on classes it never saw (new identities):
     * their labels become new classes after the model's, not errors */
    cfg->data.new_classes = !skip && m->n_heads == 1 && m->stack == 1 &&
                            loss_get(m->heads[0].loss)->embedding;
    /* detection: the ids are the label files' own, named by the names file */
    if (cfg->data.format == DATA_DETECTION)
        return DLC_OK;
    /* CSV rows are read by the model's feature names, whatever the order of
     * the columns in the files read now; its one-hot features keep the
     * categories it was trained with (not those of the files read now) */
    if (cfg->data.format == DATA_CSV && m->features.n > 0) {
        dlc_strlist_clear(&cfg->data.features);
        dlc_strlist_clear(&cfg->data.exclude);
        dlc_strlist_clear(&cfg->data.categorical);
        dlc_status st = dlc_strlist_copy(&cfg->data.features, &m->features, err);
        if (st != DLC_OK)
            return st;
    }
    if (m->n_heads != 1 || m->heads[0].classes.n == 0 || m->stack > 1 ||
        (cfg->data.format == DATA_TEXT && cfg->data.text.task == TEXT_LM))
        return DLC_OK;
    /* data.subset: the model's classes are the subset's, renumbered in its
     * order; data.classes still names the file's own labels (IDX ids 0-9) */
    if (cfg->data.subset_classes.n > 0) {
        dlc_strlist_clear(&cfg->data.subset_classes);
        return dlc_strlist_copy(&cfg->data.subset_classes, &m->heads[0].classes, err);
    }
    return dlc_strlist_copy(&cfg->data.classes, &m->heads[0].classes, err);
}

/* A data file the run's config names that is gone (the project moved, the
 * file was renamed): EINPUT naming its key and how to give its new place. */
static dlc_status eval_data_there(const dlc_config *cfg, const char *run, dlc_error *err)
{
    const data_source *src[3] = {&cfg->data.train, &cfg->data.dev, &cfg->data.test};
    const char *split[3] = {"train", "dev", "test"};
    for (int i = 0; i < 3; i++) {
        const char *path[4] = {src[i]->file, src[i]->images, src[i]->labels, src[i]->dir};
        const char *key[4] = {"file", "images", "labels", "dir"};
        for (int k = 0; k < 4; k++)
            if (path[k][0] && access(path[k], F_OK) != 0)
                return dlc_fail(err, DLC_EINPUT,
                                "%s: its data.%s.%s, %s, is not there (moved or renamed?); give "
                                "its place now with --set data.%s.%s=PATH",
                                run, split[i], key[k], path[k], split[i], key[k]);
    }
    return DLC_OK;
}

/* ", verification: {...}" of the split (null when the model does not compare
 * examples or the split has no two classes) */
static void print_verify_json(dlc_buf *b, const report_verify *v, int which)
{
    const report_verify_split *r = &v->splits[which];
    dlc_buf_printf(b, ", \"verification\": ");
    if (!v->present || !r->present) {
        dlc_buf_printf(b, "null");
        return;
    }
    const double vals[7] = {r->auc, r->eer, v->threshold, r->accuracy, r->one_shot[0],
                            r->one_shot[1], (double)r->pairs};
    const char *keys[7] = {"auc", "eer", "threshold", "accuracy", "one_shot_3way", "one_shot_5way",
                           "pairs"};
    dlc_buf_printf(b, "{\"distance\": \"%s\"", v->distance);
    for (int i = 0; i < 7; i++) {
        dlc_buf_printf(b, ", \"%s\": ", keys[i]);
        json_write_number(b, vals[i]);
    }
    dlc_buf_printf(b, "}");
}

/* data.missing drop draws the splits from the rows it keeps: eval with mean
 * (or drop on a run that filled with the mean) keeps other rows, and
 * examples the run trained on would move into dev and test.  was: the run's
 * value when it carved a split from the train file, else -1. */
static dlc_status eval_same_rows(const dlc_config *cfg, int was, const char *run_dir,
                                 dlc_error *err)
{
    const int now = cfg->data.missing;
    if (was < 0 || now == was ||
        !(was == DATA_MISSING_DROP || (now == DATA_MISSING_DROP && was == DATA_MISSING_MEAN)))
        return DLC_OK;
    return dlc_fail(err, DLC_EINPUT,
                    "--set data.missing=%s: %s's train, dev and test splits were drawn from the "
                    "rows data.missing: %s kept; other rows would move examples it trained on "
                    "into dev and test: keep data.missing: %s", data_missing_names[now],
                    run_dir, data_missing_names[was], data_missing_names[was]);
}

static int run(const cli_args *a)
{
    const cli_command *c = &cli_eval_cmd;
    if (a->n_pos != 1)
        return cli_usage_error(c, "expected one RUN folder or model file, got %d arguments", a->n_pos);
    const char *split = cli_get(c, a, "--split");
    if (!split)
        split = "test";
    int which = -1;
    for (int i = 0; data_split_names[i]; i++)
        if (strcmp(split, data_split_names[i]) == 0)
            which = i;
    if (which < 0)
        return cli_usage_error(c, "--split must be train, train_dev, dev or test, got '%s'", split);
    const char *unknown = cli_get(c, a, "--unknown-labels");
    if (unknown && strcmp(unknown, "fail") != 0 && strcmp(unknown, "skip") != 0)
        return cli_usage_error(c, "--unknown-labels must be fail or skip, got '%s'", unknown);
    /* the model is the run's: only where the data is and how it is reported
     * may change (another test file: --set data.test.file=...) */
    for (int i = 0; i < a->n_sets; i++)
        if (strncmp(a->sets[i], "data.", 5) != 0 && strncmp(a->sets[i], "report.", 7) != 0)
            return cli_usage_error(c, "--set %s: eval takes data.* and report.* keys (the model "
                                      "and its training are the run's)", a->sets[i]);
    cli_set_threads(cli_get(c, a, "--threads"), 0);

    dlc_error err = {0};
    char path[4200];
    model m;
    int rc = 0, have_cfg = 0, have_rep = 0;
    report rep;
    data_bundle data = {0};
    dlc_config cfg;
    if (cli_model_file("eval", a->pos[0], path, sizeof path, &err) != DLC_OK ||
        model_load(&m, path, 256, &err) != DLC_OK)
        return cli_fail(&err);
    const char *emb = cli_get(c, a, "--embedding");
    if (emb && infer_set_embedding(&m, emb, &err) != DLC_OK) {
        model_free(&m);
        return cli_fail(&err);
    }
    /* another test file for a run that carved its test split from train:
     * carved as trained (train and dev stay the same, its rows out of all),
     * and the file scored as test; the config takes one or the other, so it
     * is loaded without the carving, which is then put back */
    const char *sets[CLI_MAX_SETS + 1];
    int n_sets = a->n_sets, test_given = 0;
    double carved = 0;
    for (int i = 0; i < a->n_sets; i++) {
        sets[i] = a->sets[i];
        test_given |= strncmp(a->sets[i], "data.test.", 10) == 0;
    }
    dlc_config base;
    int was_missing = -1; /* the run's data.missing, when it carved a split */
    if (config_load_run(&base, path, m.config_yaml, strlen(m.config_yaml), NULL, 0,
                        &(dlc_error){0}) == DLC_OK) {
        carved = test_given ? base.data.split_test : 0;
        if (base.data.split_dev > 0 || base.data.split_test > 0 || base.data.split_train_dev > 0)
            was_missing = base.data.missing;
        config_free(&base);
    }
    if (test_given && carved > 0)
        sets[n_sets++] = "data.split.test=0";
    /* the embedded config says where the data is and how it was split */
    if (config_load_run(&cfg, path, m.config_yaml, strlen(m.config_yaml), sets, n_sets,
                           &err) != DLC_OK ||
        (have_cfg = 1, cfg.data.split_test = carved > 0 ? carved : cfg.data.split_test,
         cfg.data.test_replaces = carved > 0, cfg.data.text.vocab = m.vocab.n ? &m.vocab : NULL,
         eval_known_classes(&cfg, &m, unknown && strcmp(unknown, "skip") == 0, &err)) != DLC_OK ||
        eval_same_rows(&cfg, was_missing, a->pos[0], &err) != DLC_OK ||
        eval_data_there(&cfg, a->pos[0], &err) != DLC_OK ||
        cli_load_data(&data, &cfg, cli_quiet(c, a), &err) != DLC_OK) {
        rc = cli_fail(&err);
        /* dlc train records data paths absolute: a relative one is dlc
         * import's placeholder, which no edit of config.yaml reaches */
        const char *tr = cfg.data.train.dir[0] ? cfg.data.train.dir : cfg.data.train.file;
        if (have_cfg && tr[0] && tr[0] != '/')
            fprintf(stderr, "dlc: note: %s's data section is a placeholder (dlc import writes one: "
                            "an imported model comes with no data); score it on yours with --set "
                            "data.train.file=FILE --set data.label=COLUMN --split train (an image "
                            "folder: --set data.train.dir=DIR), or run dlc predict on inputs\n",
                    a->pos[0]);
        goto done;
    }
    if (data.unknown_labels)
        fprintf(stderr, "dlc: warning: skipped %d examples whose label the model was not trained on "
                "(--unknown-labels skip)\n", data.unknown_labels);
    /* a dev or test folder of other sizes or colours is converted to the
     * model's input, said as dlc train and predict say it */
    for (int k = 1; k < 3 && !cli_quiet(c, a); k++) {
        const dataset *ds = data.src[k];
        /* a dev or test file's categories the model lacks: all of their one-hot features 0 */
        if (ds && ds->unseen_values)
            cli_note_unseen(ds->path, ds->unseen_values, ds->unseen_line, ds->unseen_example);
        if (ds && (ds->resized || ds->recoloured) && m.data_shape.ndim == 3) {
            const char *colour = m.data_shape.d[0] == 1 ? "gray" : "RGB";
            char esc[600];
            fprintf(stderr, "dlc: note: %s: %d of %d images resized to the model's %d x %d, %d "
                            "converted to %s (the model was trained on %d x %d %s images)\n",
                    dlc_escape(esc, sizeof esc, ds->path, DLC_ESC_ALL), ds->resized, ds->n,
                    m.data_shape.d[2], m.data_shape.d[1], ds->recoloured, colour,
                    m.data_shape.d[2], m.data_shape.d[1], colour);
        }
    }
    const data_split *s = &data.split[which];
    if (s->n == 0) {
        /* the splits it has, as --split takes them */
        char have[96] = "";
        for (int k = 0; k < DATA_SPLIT_COUNT; k++)
            if (data.split[k].n > 0) {
                size_t len = strlen(have);
                snprintf(have + len, sizeof have - len, "%s--split %s", len ? ", " : "",
                         data_split_names[k]);
            }
        const data_format f = cfg.data.format;
        fprintf(stderr, "dlc: error: %s has no %s split (%s%s; or score data of your own as the "
                        "test split: --set %s)\n",
                a->pos[0], split, have[0] ? "it has: " : "its data has no examples", have,
                f == DATA_IDX ? "data.test.images=FILE --set data.test.labels=FILE"
                : f == DATA_IMAGE_FOLDER || f == DATA_DETECTION ? "data.test.dir=DIR"
                                                                 : "data.test.file=FILE");
        rc = 2;
        goto done;
    }
    if (data.dim != tensor_shape_size(&m.input) || (size_t)data.n_targets != m.n_targets) {
        fprintf(stderr, "dlc: error: %s: the data no longer matches the model: %zu values and %d "
                        "targets per example, where the model takes %zu and %zu%s\n",
                a->pos[0], data.dim, data.n_targets, tensor_shape_size(&m.input), m.n_targets,
                cfg.data.format == DATA_DETECTION
                    ? " (a detection model's object slots are as trained: keep "
                      "data.detection.max_objects and landmarks)"
                    : "");
        rc = 2;
        goto done;
    }
    if (report_evaluate(&rep, &m, &data, &cfg, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    have_rep = 1;
    /* dlc train's warning of batchnorm statistics still near their start: repeated for whoever
     * only evaluates the run (the file records its steps) */
    char bn_note[1024] = "";
    if (m.steps >= 0)
        model_running_stats_note(&m, &cfg, m.steps, bn_note, sizeof bn_note);
    if (bn_note[0] && dlc_strlist_push(&rep.model_warnings, bn_note, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    report_measure_cost(&rep, &m, &data, &cfg, path);
    report_conclude(&rep, &cfg);
    const report_split *r = report_get_split(&rep, which);
    double loss = rep.n_heads > 1 ? rep.total_loss[which] : r->loss, acc = r->accuracy;
    if (cli_get(c, a, "--json")) {
        /* every number through json_write_number: null, never nan; the
         * warnings say why a figure is null */
        dlc_buf b = {0};
        dlc_strlist warnings = {0};
        dlc_buf_printf(&b, "{\"split\": \"%s\", \"examples\": %d, \"loss\": ", split, s->n);
        json_write_number(&b, loss);
        dlc_buf_printf(&b, ", \"accuracy\": ");
        json_write_number(&b, acc);
        dlc_buf_printf(&b, ", \"error\": ");
        json_write_number(&b, 1.0 - acc);
        print_measures(&b, report_main(&rep), r);
        dlc_buf_printf(&b, ", \"heads\": [");
        for (int h = 0; h < rep.n_heads; h++) {
            const report_split *hs = report_head_split(&rep.heads[h], which);
            dlc_buf_printf(&b, "%s{\"name\": ", h ? ", " : "");
            json_write_string(&b, rep.heads[h].name);
            dlc_buf_printf(&b, ", \"loss\": ");
            json_write_number(&b, hs->loss);
            dlc_buf_printf(&b, ", \"accuracy\": ");
            json_write_number(&b, hs->accuracy);
            print_measures(&b, &rep.heads[h], hs);
            dlc_buf_printf(&b, "}");
        }
        dlc_buf_printf(&b, "]");
        print_verify_json(&b, &rep.verify, which);
        dlc_buf_printf(&b, ", \"metric\": {\"name\": ");
        json_write_string(&b, rep.metric.name);
        dlc_buf_printf(&b, ", \"split\": \"%s\", \"value\": ", data_split_names[rep.metric.split]);
        json_write_number(&b, rep.metric.value);
        dlc_buf_printf(&b, ", \"higher_is_better\": %s, \"constraints_met\": %s}, \"largest_gap\": ",
                       rep.metric.higher_is_better ? "true" : "false",
                       rep.metric.constraints_met ? "true" : "false");
        if (rep.diag.largest >= 0)
            dlc_buf_printf(&b, "\"%s\"", report_gap_names[rep.diag.largest]);
        else
            dlc_buf_printf(&b, "null");
        /* null largest_gap with a positive gap: it is within its sampling noise */
        dlc_buf_printf(&b, ", \"gap_within_noise\": ");
        if (rep.diag.within_noise >= 0)
            dlc_buf_printf(&b, "\"%s\"", report_gap_names[rep.diag.within_noise]);
        else
            dlc_buf_printf(&b, "null");
        dlc_buf_printf(&b, ", ");
        dlc_status ws = report_warnings(&rep, &warnings, &err);
        json_write_warnings(&b, &warnings);
        dlc_buf_printf(&b, "}\n");
        if (ws != DLC_OK || b.failed)
            rc = cli_fail(ws != DLC_OK ? &err : &(dlc_error){DLC_ENOMEM, "out of memory"});
        else
            fputs(b.s, stdout);
        dlc_strlist_clear(&warnings);
        dlc_buf_free(&b);
    } else {
        printf("%s: %d examples  loss %.4f", split, s->n, loss);
        /* a yolo split's accuracy is its mAP@0.5 (README): called so */
        const report_verify_split *vs = &rep.verify.splits[r->kind];
        if (!isnan(acc) && m.n_heads > 0 && m.heads[0].loss == LOSS_YOLO)
            printf("  mAP@0.5 %.4f  error (1 - mAP@0.5) %.2f%%", acc, 100.0 * (1.0 - acc));
        else if (report_error_is_verification(&rep)) {
            /* a triplet loss's in-batch share is no accuracy: the pairs' figures */
            if (vs->present)
                printf("  verification AUC %.4f  accuracy %.2f%% at the dev threshold", vs->auc,
                       100.0 * vs->accuracy);
        } else if (!isnan(acc))
            printf("  accuracy %.2f%%  error %.2f%%", 100.0 * acc, 100.0 * (1.0 - acc));
        printf("\n");
        /* which epoch's weights: Keras keeps the last unless told to restore the best */
        if (m.weights_epoch > 0)
            printf("weights: epoch %d of %d, %s\n", m.weights_epoch, m.epochs_trained,
                   m.weights_best ? "the best dev epoch (train.keep_best, by "
                                    "train.early_stopping.metric)"
                                  : "the last");
        printf("\n");
        cli_print_report(&rep, r->kind, NULL);
    }
done:
    if (have_rep)
        report_free(&rep);
    data_free(&data);
    if (have_cfg)
        config_free(&cfg);
    model_free(&m);
    return rc;
}

const cli_command cli_eval_cmd = {
    "eval", "RUN [--split test|dev|train|train_dev] [--set data.test.file=FILE ...]",
    "Score a trained run (its folder or model file) on one of its data splits.",
    opts, run,
};
