/* predict.c - `dlc predict RUN INPUT...`: classify new inputs with a trained
 * model, applying exactly the preprocessing and normalization it was
 * trained with.
 *
 * The command is a dispatcher: run() loads the model, predict_kind_of()
 * decides what kind of input it takes, and one function per kind reads the
 * inputs and prints.  Image models (data of shape (C, H, W), C = 1 or 3)
 * take image files and folders of them; each file is decoded, converted
 * to C channels and resized to (H, W) by data_image_load, the function
 * training data went through.  Text models take --prompt (a language model
 * continues it) or --text (a classifier or tagger labels it); that branch
 * lives in predict_text.c.
 *
 * Output: one line per input, "FILE: class p, class p, ..." (top-k by
 * probability), or with --json one object {"model", "predictions": [{"file",
 * "top": [{"class", "id", "probability"}]}]}.  Exit 2 for a missing or
 * undecodable input or a model that cannot take it, with nothing printed
 * to stdout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../io/io.h"
#include "../train/train.h"
#include "cli.h"

enum { PREDICT_BATCH = 64, PREDICT_MAX_TOP = 1000 };

static const cli_opt opts[] = {
    {"--top-k", 1, "K", "classes to print per input, most probable first (default 3)"},
    {"--json", 0, NULL, "print one JSON object"},
    {"--prompt", 1, "TEXT", "language models: the text to continue"},
    {"--length", 1, "N", "language models: tokens to generate (default 200)"},
    {"--temperature", 1, "T", "language models: sampling temperature (default 1; 0 = most likely)"},
    {"--seed", 1, "N", "language models: the sampling seed (default 1); same seed, same text"},
    {"--text", 1, "TEXT", "text classifiers and taggers: the text to label"},
    {NULL, 0, NULL, NULL},
};

typedef enum { PREDICT_IMAGE, PREDICT_NONE } predict_kind;

static predict_kind predict_kind_of(const model *m)
{
    const tensor_shape *s = &m->data_shape;
    if (s->ndim == 3 && (s->d[0] == 1 || s->d[0] == 3))
        return PREDICT_IMAGE;
    return PREDICT_NONE;
}

/* ---- the inputs: files, and the image files of folders ---- */

/* Expands folders (their image files, sorted) and checks every file can be
 * read as an image, so that nothing is printed before an input is refused. */
static dlc_status collect_images(const cli_args *a, dlc_strlist *files, dlc_error *err)
{
    dlc_status st = DLC_OK;
    for (int i = 1; i < a->n_pos && st == DLC_OK; i++) {
        const char *p = a->pos[i];
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            dlc_strlist names = {0};
            if ((st = data_list_images(p, &names, err)) != DLC_OK)
                return st;
            if (names.n == 0)
                st = dlc_fail(err, DLC_EINPUT, "%s: the folder has no image files", p);
            for (int k = 0; k < names.n && st == DLC_OK; k++)
                st = dlc_strlist_push(files, names.v[k], err);
            dlc_strlist_clear(&names);
            continue;
        }
        st = dlc_strlist_push(files, p, err);
    }
    for (int i = 0; i < files->n && st == DLC_OK; i++) {
        tensor_shape shape;
        st = data_image_probe(files->v[i], &shape, err);
    }
    return st;
}

/* Inputs to expect (a folder counts its image files), capped at a batch:
 * the graph is built for this many rows, and a large model costs memory per row. */
static int count_inputs(const cli_args *a)
{
    int n = 0;
    for (int i = 1; i < a->n_pos && n < PREDICT_BATCH; i++) {
        struct stat sb;
        dlc_strlist names = {0};
        if (stat(a->pos[i], &sb) == 0 && S_ISDIR(sb.st_mode) &&
            data_list_images(a->pos[i], &names, NULL) == DLC_OK)
            n += names.n;
        else
            n++;
        dlc_strlist_clear(&names);
    }
    return n < 1 ? 1 : n < PREDICT_BATCH ? n : PREDICT_BATCH;
}

/* ---- output ---- */

typedef struct {
    int top_k;
    int json;
    dlc_buf out; /* everything printed at the end, so an error prints nothing */
    int count;
} printer;

/* Indices of the k largest of p (K values), largest first. */
static void top_indices(const float *p, int K, int k, int *idx)
{
    for (int j = 0; j < k; j++)
        idx[j] = -1;
    for (int c = 0; c < K; c++) {
        int at = k;
        while (at > 0 && (idx[at - 1] < 0 || p[c] > p[idx[at - 1]]))
            at--;
        if (at >= k)
            continue;
        memmove(idx + at + 1, idx + at, sizeof *idx * (size_t)(k - at - 1));
        idx[at] = c;
    }
}

static void print_one(printer *pr, const model *m, const char *file, const float *p, int K)
{
    int k = pr->top_k < K ? pr->top_k : K;
    int idx[PREDICT_MAX_TOP];
    top_indices(p, K, k, idx);
    dlc_buf *b = &pr->out;
    if (pr->json) {
        dlc_buf_printf(b, "%s\n    {\"file\": ", pr->count ? "," : "");
        json_write_string(b, file);
        dlc_buf_printf(b, ", \"top\": [");
    } else {
        dlc_buf_printf(b, "%s:", file);
    }
    for (int j = 0; j < k; j++) {
        int c = idx[j];
        char id[16];
        snprintf(id, sizeof id, "%d", c);
        const char *name = c < m->heads[0].classes.n ? m->heads[0].classes.v[c] : id;
        if (pr->json) {
            dlc_buf_printf(b, "%s{\"class\": ", j ? ", " : "");
            json_write_string(b, name);
            dlc_buf_printf(b, ", \"id\": %d, \"probability\": %.6g}", c, p[c]);
        } else {
            dlc_buf_printf(b, "%s %s %.4f", j ? "," : "", name, p[c]);
        }
    }
    dlc_buf_printf(b, pr->json ? "]}" : "\n");
    pr->count++;
}

/* ---- image models ---- */

static dlc_status predict_images(model *m, const cli_args *a, printer *pr, dlc_error *err)
{
    dlc_strlist files = {0};
    uint8_t *pix = NULL;
    dlc_status st = collect_images(a, &files, err);
    if (st != DLC_OK)
        goto cleanup;
    graph *g = m->g;
    graph_node *out = graph_output(g, 0);
    const size_t D = tensor_shape_size(&m->data_shape);
    const int K = (int)out->size;
    if (!(pix = malloc(D))) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (int start = 0; start < files.n; start += g->nmax) {
        int N = files.n - start < g->nmax ? files.n - start : g->nmax;
        float *x = graph_input(g, 0);
        for (int i = 0; i < N; i++) {
            if ((st = data_image_load(files.v[start + i], &m->data_shape, pix, err)) != DLC_OK)
                goto cleanup;
            for (size_t j = 0; j < D; j++)
                x[(size_t)i * D + j] = (float)pix[j];
        }
        data_norm_apply(&m->norm, x, (size_t)N);
        graph_forward(g, N, 0);
        /* the loss's link turns logits into probabilities */
        graph_act_forward((act_kind)loss_get(m->heads[0].loss)->link, 0.0f, out->out,
                          out->out, (size_t)N, (size_t)K);
        for (int i = 0; i < N; i++)
            print_one(pr, m, files.v[start + i], out->out + (size_t)i * K, K);
    }
cleanup:
    free(pix);
    dlc_strlist_clear(&files);
    return st;
}

/* ---- the command ---- */

static int run(const cli_args *a)
{
    const cli_command *c = &cli_predict_cmd;
    if (cli_get(c, a, "--prompt") || cli_get(c, a, "--text")) {
        if (cli_get(c, a, "--json"))
            return cli_usage_error(c, "--json is for image inputs; text predictions print plain text");
        return cli_predict_text(c, a);
    }
    if (a->n_pos < 2)
        return cli_usage_error(c, "expected a RUN folder (or model file) and at least one input");
    long top_k = 3;
    const char *tk = cli_get(c, a, "--top-k");
    if (tk && (dlc_parse_long(tk, &top_k) != 0 || top_k < 1 || top_k > PREDICT_MAX_TOP))
        return cli_usage_error(c, "--top-k needs a whole number from 1 to %d, got '%s'",
                               PREDICT_MAX_TOP, tk);
    cli_set_threads(cli_get(c, a, "--threads"), 1);

    dlc_error err = {0};
    char path[4200];
    model m;
    int nmax = count_inputs(a);
    if (model_load(&m, cli_model_path(a->pos[0], path, sizeof path), nmax, &err) != DLC_OK)
        return cli_fail(&err);
    printer pr = {.top_k = (int)top_k, .json = cli_get(c, a, "--json") != NULL};
    dlc_status st;
    char shape[64];
    if (loss_get(m.heads[0].loss)->target == LOSS_TARGET_NUMERIC) {
        st = dlc_fail(&err, DLC_EINPUT, "%s: a %s model predicts numbers, not classes; use dlc eval",
                      a->pos[0], loss_names[m.heads[0].loss]);
    } else {
        if (pr.json) {
            dlc_buf_printf(&pr.out, "{\"model\": ");
            json_write_string(&pr.out, path);
            dlc_buf_printf(&pr.out, ", \"predictions\": [");
        }
        switch (predict_kind_of(&m)) {
        case PREDICT_IMAGE:
            st = predict_images(&m, a, &pr, &err);
            break;
        case PREDICT_NONE:
        default:
            if (m.vocab.n > 0) {
                st = dlc_fail(&err, DLC_EINPUT, "%s is a text model: give --prompt TEXT (language "
                              "models) or --text TEXT (classifiers, taggers)", a->pos[0]);
                break;
            }
            st = dlc_fail(&err, DLC_EINPUT,
                          "%s: the model takes examples of shape %s, not images (1 or 3 channels, "
                          "height, width)",
                          a->pos[0], tensor_shape_str(&m.data_shape, shape, sizeof shape));
            break;
        }
        if (pr.json)
            dlc_buf_printf(&pr.out, "\n]}\n");
    }
    int rc = 0;
    if (st != DLC_OK)
        rc = cli_fail(&err);
    else if (pr.out.failed)
        rc = cli_fail(&(dlc_error){DLC_ENOMEM, "out of memory"});
    else
        fwrite(pr.out.s, 1, pr.out.len, stdout);
    dlc_buf_free(&pr.out);
    model_free(&m);
    return rc;
}

const cli_command cli_predict_cmd = {
    "predict",
    "RUN INPUT... [--top-k K] [--json] | RUN --prompt TEXT [--length N] [--temperature T] "
    "[--seed S] | RUN --text TEXT [--top-k K]",
    "Use a trained model: classify image files (or folders of them), continue a text with a "
    "language model, or label a text with a classifier or tagger.",
    opts, run,
};
