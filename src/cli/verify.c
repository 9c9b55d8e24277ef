/* verify.c - `dlc verify RUN A B`: are two examples of one class (one
 * identity)?  And `dlc verify RUN --embed INPUT...`: the embeddings of
 * examples, for a gallery.
 *
 * A and B are image files for an image model; for a model of CSV rows they
 * are CSV files whose rows are compared pairwise (row i of A with row i of
 * B).  The distance is the model's (src/infer/verify.c: squared euclidean
 * between embeddings, or a pair model's 1 - p(same)); the threshold is the
 * one chosen on dev when the run was trained (model metadata
 * verify_threshold), or --threshold.  Output: "A B: distance D, threshold
 * T: same" per pair, or one JSON object per pair with --json.
 *
 * --embed writes "input,e0,...,e{E-1}" rows (CSV with a header) to --out or
 * stdout: image files, folders of them, or CSV files (rows "FILE:N", N the
 * data row from 1).  The name is not `embed`: `dlc embed` is the word
 * embeddings' command.  Exit 2 for an input or model that cannot be
 * compared, with nothing written. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../infer/infer.h"
#include "../io/io.h"
#include "cli.h"

enum { VERIFY_BATCH = 64 };

static const cli_opt opts[] = {
    {"--json", 0, NULL, "print one JSON object per compared pair"},
    {"--threshold", 1, "T", "call a pair the same below distance T (default: the run's, chosen on dev)"},
    {"--embed", 0, NULL, "write the embeddings of the inputs (images, folders, CSV files) instead"},
    {"--out", 1, "FILE", "--embed: the CSV file to write (default: standard output)"},
    {"--embedding", 1, "LAYER", "compare (or write) this layer's output instead of the run's embedding"},
    {NULL, 0, NULL, NULL},
};

/* The examples named by inputs[0..n): x (count, D) normalized and a name
 * for each ("FILE" or "FILE:N" for CSV rows). */
typedef struct {
    float *x;
    int count;
    dlc_strlist names;
} examples;

static void examples_free(examples *e)
{
    free(e->x);
    dlc_strlist_clear(&e->names);
}

static dlc_status append_rows(examples *e, const float *rows, int n, size_t D, dlc_error *err)
{
    float *x = realloc(e->x, sizeof(float) * ((size_t)(e->count + n) * D + 1));
    if (!x)
        return DLC_NOMEM(err);
    e->x = x;
    memcpy(e->x + (size_t)e->count * D, rows, sizeof(float) * (size_t)n * D);
    e->count += n;
    return DLC_OK;
}

static dlc_status read_inputs(model *m, const infer_verifier *v, const char *const *inputs, int n,
                              examples *e, dlc_error *err)
{
    dlc_status st = DLC_OK;
    for (int i = 0; i < n && st == DLC_OK; i++) {
        const char *p = inputs[i];
        struct stat sb;
        if (data_table_name(p)) {
            float *rows = NULL;
            int nr = 0;
            if ((st = infer_read_csv(m, p, &rows, &nr, NULL, err)) != DLC_OK)
                break;
            infer_normalize_examples(m, rows, nr);
            st = append_rows(e, rows, nr, v->D, err);
            for (int r = 0; r < nr && st == DLC_OK; r++) {
                char name[4200];
                snprintf(name, sizeof name, "%s:%d", p, r + 1);
                st = dlc_strlist_push(&e->names, name, err);
            }
            free(rows);
            continue;
        }
        dlc_strlist files = {0};
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            st = data_folder_images(p, &files, err);
        } else {
            st = dlc_strlist_push(&files, p, err);
        }
        float *x = st == DLC_OK ? malloc(sizeof(float) * ((size_t)files.n * v->D + 1)) : NULL;
        if (st == DLC_OK && !x)
            st = DLC_NOMEM(err);
        if (st == DLC_OK)
            st = infer_load_images(m, (const char *const *)files.v, files.n, x, err);
        if (st == DLC_OK)
            st = append_rows(e, x, files.n, v->D, err);
        for (int k = 0; k < files.n && st == DLC_OK; k++)
            st = dlc_strlist_push(&e->names, files.v[k], err);
        free(x);
        dlc_strlist_clear(&files);
    }
    return st;
}

static dlc_status write_embeddings(model *m, const infer_verifier *v, const examples *e,
                                   const char *out, dlc_error *err)
{
    float *emb = malloc(sizeof(float) * ((size_t)e->count * v->dim + 1));
    if (!emb)
        return DLC_NOMEM(err);
    dlc_status st = infer_embed(m, v, e->x, e->count, emb, err);
    dlc_buf b = {0};
    if (st == DLC_OK) {
        dlc_buf_printf(&b, "input");
        for (size_t k = 0; k < v->dim; k++)
            dlc_buf_printf(&b, ",e%zu", k);
        dlc_buf_printf(&b, "\n");
        for (int i = 0; i < e->count; i++) {
            const char *name = e->names.v[i];
            /* quote a name holding a comma or a quote, as CSV does */
            if (strpbrk(name, ",\"\n")) {
                dlc_buf_printf(&b, "\"");
                for (const char *c = name; *c; c++)
                    dlc_buf_printf(&b, *c == '"' ? "\"\"" : "%c", *c);
                dlc_buf_printf(&b, "\"");
            } else {
                dlc_buf_printf(&b, "%s", name);
            }
            for (size_t k = 0; k < v->dim; k++)
                dlc_buf_printf(&b, ",%.7g", (double)emb[(size_t)i * v->dim + k]);
            dlc_buf_printf(&b, "\n");
        }
        if (b.failed)
            st = DLC_NOMEM(err);
    }
    if (st == DLC_OK) {
        if (out)
            st = io_write_file(out, b.s, b.len, err);
        else
            fwrite(b.s, 1, b.len, stdout);
    }
    dlc_buf_free(&b);
    free(emb);
    return st;
}

static void json_str(const char *s)
{
    dlc_buf b = {0};
    json_write_string(&b, s);
    fputs(b.failed ? "\"\"" : b.s, stdout);
    dlc_buf_free(&b);
}

static int compare(model *m, const infer_verifier *v, const cli_args *a, double threshold,
                   int json)
{
    const cli_command *c = &cli_verify_cmd;
    dlc_error err = {0};
    examples A = {0}, B = {0};
    double *d = NULL;
    int rc = 0;
    if (read_inputs(m, v, &a->pos[1], 1, &A, &err) != DLC_OK ||
        read_inputs(m, v, &a->pos[2], 1, &B, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    /* row by row; one example against each of the other's (a probe and a
     * gallery) */
    if (A.count != B.count && A.count != 1 && B.count != 1) {
        rc = cli_usage_error(c, "%s gives %d examples and %s %d: they are compared row by row "
                                "(or one against each of the other's)",
                             a->pos[1], A.count, a->pos[2], B.count);
        goto done;
    }
    /* one array: A's examples, then B's */
    int n = A.count > B.count ? A.count : B.count, na = A.count;
    if (append_rows(&A, B.x, B.count, v->D, &err) != DLC_OK ||
        !(d = malloc(sizeof(double) * (size_t)n))) {
        rc = cli_fail(&err);
        goto done;
    }
    int *ia = malloc(sizeof(int) * (size_t)n), *ib = malloc(sizeof(int) * (size_t)n);
    if (!ia || !ib) {
        free(ia);
        free(ib);
        fprintf(stderr, "dlc: error: out of memory\n");
        rc = 1;
        goto done;
    }
    for (int i = 0; i < n; i++) {
        ia[i] = na == 1 ? 0 : i;
        ib[i] = na + (B.count == 1 ? 0 : i);
    }
    dlc_status st = infer_distances(m, v, A.x, NULL, ia, ib, n, d, &err);
    free(ia);
    free(ib);
    if (st != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        int known = !isnan(threshold), same = known && d[i] < threshold;
        const char *an = A.names.v[na == 1 ? 0 : i], *bn = B.names.v[B.count == 1 ? 0 : i];
        if (json) {
            printf("{\"a\": ");
            json_str(an);
            printf(", \"b\": ");
            json_str(bn);
            printf(", \"distance\": %.9g, \"measure\": \"%s\", \"threshold\": ", d[i], v->distance);
            printf(known ? "%.9g" : "null", threshold);
            printf(", \"same\": %s}\n", known ? (same ? "true" : "false") : "null");
        } else if (known) {
            printf("%s %s: distance %.6g, threshold %.6g: %s\n", an, bn, d[i], threshold,
                   same ? "same" : "different");
        } else {
            printf("%s %s: distance %.6g (no threshold: give --threshold)\n", an, bn, d[i]);
        }
    }
done:
    free(d);
    examples_free(&A);
    examples_free(&B);
    return rc;
}

static int run(const cli_args *a)
{
    const cli_command *c = &cli_verify_cmd;
    int embed = cli_get(c, a, "--embed") != NULL, json = cli_get(c, a, "--json") != NULL;
    const char *out = cli_get(c, a, "--out"), *thr = cli_get(c, a, "--threshold");
    if (embed && a->n_pos < 2)
        return cli_usage_error(c, "--embed needs a RUN and at least one input");
    if (!embed && a->n_pos != 3)
        return cli_usage_error(c, "expected a RUN and two inputs to compare, got %d arguments",
                               a->n_pos);
    if (!embed && out)
        return cli_usage_error(c, "--out goes with --embed");
    if (embed && (json || thr))
        return cli_usage_error(c, "--embed writes CSV embeddings: %s goes with comparing two inputs",
                               json ? "--json" : "--threshold");
    double threshold = NAN;
    if (thr && (dlc_parse_double(thr, &threshold) != 0 || !isfinite(threshold)))
        return cli_usage_error(c, "--threshold needs a number, got '%s'", thr);
    cli_set_threads(cli_get(c, a, "--threads"), 1);

    dlc_error err = {0};
    char path[4200];
    model m;
    if (cli_model_file("verify", a->pos[0], path, sizeof path, &err) != DLC_OK ||
        model_load(&m, path, VERIFY_BATCH, &err) != DLC_OK)
        return cli_fail(&err);
    infer_verifier v;
    int rc = 0;
    const char *layer = cli_get(c, a, "--embedding");
    if ((layer && infer_set_embedding(&m, layer, &err) != DLC_OK) ||
        infer_verifier_init(&v, &m, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (embed) {
        examples e = {0};
        if (read_inputs(&m, &v, &a->pos[1], a->n_pos - 1, &e, &err) != DLC_OK ||
            write_embeddings(&m, &v, &e, out, &err) != DLC_OK)
            rc = cli_fail(&err);
        examples_free(&e);
        goto done;
    }
    if (!thr)
        threshold = m.verify_threshold;
    rc = compare(&m, &v, a, threshold, json);
done:
    model_free(&m);
    return rc;
}

const cli_command cli_verify_cmd = {
    "verify", "RUN A B [--json] [--threshold T] | RUN --embed INPUT... [--out FILE]",
    "Compare two examples with a metric-learning run (same or different), or write embeddings.",
    opts, run,
};
