/* analyze.c - `dlc analyze RUN [--tags FILE]`: a person's tags on the error
 * sample turned into a ranked plan, the dev error corrected for mislabeled
 * examples, and the most confused class pairs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/io.h"
#include "../report/tags.h"
#include "cli.h"

static const cli_opt opts[] = {
    {"--tags", 1, "FILE", "the tagged error sample (default: RUN/errors/errors.csv)"},
    {"--json", 0, NULL, "print one JSON object"},
    {NULL, 0, NULL, NULL},
};

static double json_num(const json_value *v)
{
    return v && v->type == JSON_NUMBER ? v->number : NAN;
}

/* 1 when report.json's error sample is of this kind ("largest_errors":
 * a regression run's dev examples, with no error rate) */
static int is_kind(const json_value *rep, const char *want)
{
    const json_value *kind = json_get(json_get(rep, "error_analysis"), "kind");
    return kind && kind->type == JSON_STRING && strcmp(kind->string, want) == 0;
}

static void print_table(const report_tally *t, const char *tags_path, const json_value *rep)
{
    char e[128];
    const json_value *ea = json_get(rep, "error_analysis");
    double dev_errors = json_num(json_get(ea, "dev_errors"));
    int detections = is_kind(rep, "detections"), regression = is_kind(rep, "largest_errors");
    printf("error analysis: %d sampled", t->rows);
    if (!isnan(dev_errors))
        printf(" of %.0f %s", dev_errors,
               detections   ? "missed objects and false positives of the dev images"
               : regression ? "dev examples, those with the largest errors"
                            : "misclassified dev examples");
    if (!isnan(t->dev_error))
        printf("; dev error %.2f%%", 100 * t->dev_error);
    if (t->rows == 0) { /* nothing to tag: none sampled, or none to sample */
        if (dev_errors > 0)
            printf("\nnothing to tag: %s lists no examples (a run with report.error_analysis.samples: "
                   "0 samples none)\n", tags_path);
        else
            printf("\nno %s to tag: the dev split has none\n",
                   detections   ? "missed objects or false positives"
                   : regression ? "examples"
                                : "misclassified examples");
        return;
    }
    printf("\n\n%-24s %7s %12s %10s\n", "tag", "count", "% of errors", "ceiling");
    int any = 0;
    for (int k = 0; k < t->n_tags; k++) {
        const report_tag *g = &t->tags[k];
        if (g->count == 0)
            continue;
        any = 1;
        printf("%s %7d %11.1f%% ", dlc_cell(e, sizeof e, g->name, 24, 0), g->count,
               100 * g->share);
        if (isnan(g->ceiling))
            printf("%10s\n", "-");
        else
            printf("%9.2f%%\n", 100 * g->ceiling);
    }
    if (t->untagged > 0)
        printf("%-24s %7d %11.1f%%\n", "(untagged)", t->untagged,
               t->rows ? 100.0 * t->untagged / t->rows : 0);
    if (!any) {
        printf("\nno tags yet: mark the tag columns of %s (x in a column such as mislabeled or "
               "blurry, or words in the tags column), then run this again\n", tags_path);
        return;
    }
    if (regression) {
        /* no error rate to share out: the counts are the plan */
        printf("(no ceilings: a regression run has no dev error rate to share among the tags; "
               "its dev mse is in report.json)\n");
        return;
    }
    printf("ceiling: how far dev error would fall if that category were fixed entirely "
           "(dev error x share of the errors)\n");
    if (t->mislabeled > 0 && !isnan(t->dev_error))
        printf("\nmislabeled: %.1f%% of the sampled errors -> corrected dev error %.2f%%\n"
               "  dev error %.2f%% = %.2f%% due to mislabels + %.2f%% due to other causes\n",
               100 * t->mislabeled_share, 100 * t->corrected_error, 100 * t->dev_error,
               100 * t->error_from_mislabels, 100 * t->corrected_error);
}

static void print_pairs(const json_value *rep)
{
    char e[128], e2[128];
    const json_value *pairs = json_get(rep, "confused_pairs");
    if (!pairs || pairs->type != JSON_ARRAY || pairs->n == 0)
        return;
    printf("\nmost confused class pairs (true -> predicted):\n");
    for (int i = 0; i < pairs->n && i < 10; i++) {
        const json_value *t = json_get(pairs->items[i], "true"), *p = json_get(pairs->items[i], "predicted");
        double c = json_num(json_get(pairs->items[i], "count"));
        if (t && p && t->type == JSON_STRING && p->type == JSON_STRING)
            printf("  %-20s -> %-20s %6.0f\n", dlc_escape(e, sizeof e, t->string, DLC_ESC_ALL),
                   dlc_escape(e2, sizeof e2, p->string, DLC_ESC_ALL), c);
    }
}

static void print_json(const report_tally *t, const json_value *rep)
{
    dlc_buf b = {0};
    dlc_buf_printf(&b, "{\"sampled\": %d, \"untagged\": %d, \"dev_error\": ", t->rows, t->untagged);
    json_write_number(&b, t->dev_error);
    dlc_buf_printf(&b, ", \"tags\": [");
    for (int k = 0, first = 1; k < t->n_tags; k++) {
        const report_tag *g = &t->tags[k];
        dlc_buf_printf(&b, "%s{\"tag\": ", first ? "" : ", ");
        json_write_string(&b, g->name);
        dlc_buf_printf(&b, ", \"count\": %d, \"share\": ", g->count);
        json_write_number(&b, g->share);
        dlc_buf_printf(&b, ", \"ceiling\": ");
        json_write_number(&b, g->ceiling);
        dlc_buf_printf(&b, "}");
        first = 0;
    }
    dlc_buf_printf(&b, "], \"mislabeled\": %d, \"mislabeled_share\": ", t->mislabeled);
    json_write_number(&b, t->mislabeled_share);
    dlc_buf_printf(&b, ", \"corrected_dev_error\": ");
    json_write_number(&b, t->corrected_error);
    dlc_strlist warnings = {0};
    if (is_kind(rep, "largest_errors"))
        dlc_strlist_push(&warnings, "a regression run has no dev error rate: the ceilings and the "
                         "corrected dev error do not apply (null)", NULL);
    else if (!isfinite(t->dev_error))
        dlc_strlist_push(&warnings, "the run's dev error is unknown (null in report.json): the "
                         "ceilings and the corrected dev error are null", NULL);
    dlc_buf_printf(&b, ", ");
    json_write_warnings(&b, &warnings);
    dlc_strlist_clear(&warnings);
    dlc_buf_printf(&b, "}\n");
    if (!b.failed)
        fputs(b.s, stdout);
    dlc_buf_free(&b);
}

static int run(const cli_args *a)
{
    const cli_command *c = &cli_analyze_cmd;
    if (a->n_pos != 1)
        return cli_usage_error(c, "expected one RUN folder, got %d arguments", a->n_pos);
    const char *dir = a->pos[0], *tags = cli_get(c, a, "--tags");
    char rep_path[4200], tags_path[4200];
    snprintf(rep_path, sizeof rep_path, "%s/report.json", dir);
    if (tags)
        snprintf(tags_path, sizeof tags_path, "%s", tags);
    else
        snprintf(tags_path, sizeof tags_path, "%s/errors/errors.csv", dir);
    dlc_error err = {0};
    char *text = NULL, model_path[4200];
    size_t len;
    json_value *rep = NULL;
    report_tally t = {0};
    int rc = 0;
    if (cli_model_file("analyze", dir, model_path, sizeof model_path, &err) != DLC_OK)
        return cli_fail(&err); /* dlc embed's vectors, a config file */
    if (dlc_read_file(rep_path, &text, &len, &err) != DLC_OK) {
        fprintf(stderr, "dlc: error: %s: no report.json; is it a run folder that dlc train finished?\n",
                dir);
        return 2;
    }
    if (json_parse(&rep, text, len, &err) != DLC_OK || rep->type != JSON_OBJECT) {
        fprintf(stderr, "dlc: error: %s: %s\n", rep_path, rep ? "not a JSON object" : err.msg);
        rc = 2;
        goto done;
    }
    free(text);
    text = NULL;
    const json_value *ea = json_get(rep, "error_analysis");
    if (!tags && (!ea || ea->type == JSON_NULL)) {
        const json_value *task = json_get(rep, "task");
        const char *kind = task && task->type == JSON_STRING ? task->string : "";
        if (strcmp(kind, "multilabel") == 0)
            fprintf(stderr, "dlc: error: %s: a multi-label run has no error sample: each example has "
                            "several labels, each right or wrong on its own; report.json has each "
                            "task's figures (metrics.dev.tasks: precision, recall, F1, AUC) and "
                            "report.html a table of them\n", dir);
        else if (strcmp(kind, "embedding") == 0)
            fprintf(stderr, "dlc: error: %s: a metric-learning run has no error sample: its "
                            "errors are pairs of examples, same or different at the threshold, "
                            "not misclassified examples; report.json's verification section has "
                            "each split's pair figures (AUC, EER, accuracy), and dlc verify %s A B "
                            "shows the distance of a pair you choose\n", dir, dir);
        else if (!json_get(json_get(rep, "splits"), "dev"))
            fprintf(stderr, "dlc: error: %s: the run has no dev split, so no error sample; give one "
                            "(data.split.dev or data.dev) and train again\n", dir);
        else
            fprintf(stderr, "dlc: error: %s: no error sample (report.error_analysis.samples is 0, or "
                            "the model predicts a whole sequence per example)\n", dir);
        rc = 2;
        goto done;
    }
    if (dlc_read_file(tags_path, &text, &len, &err) != DLC_OK) {
        fprintf(stderr, "dlc: error: %s\n", err.msg);
        rc = 2;
        goto done;
    }
    if (report_tags_parse(&t, tags_path, text, len, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    const json_value *splits = json_get(rep, "splits");
    report_tally_finish(&t, json_num(json_get(json_get(splits, "dev"), "error")));
    if (cli_get(c, a, "--json")) {
        print_json(&t, rep);
    } else {
        print_table(&t, tags_path, rep);
        print_pairs(rep);
    }
done:
    report_tally_free(&t);
    json_free(rep);
    free(text);
    return rc;
}

const cli_command cli_analyze_cmd = {
    "analyze", "RUN [--tags FILE] [--json]",
    "Tally the tags a person put on a run's error sample into a plan: per category the share "
    "of errors and the ceiling on improvement, the dev error corrected for mislabeled examples, "
    "and the most confused class pairs.",
    opts, run,
};
