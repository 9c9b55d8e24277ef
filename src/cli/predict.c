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
 * lives in predict_text.c.  A text classifier also takes files of texts
 * (predict_texts: a CSV's text column, or one text a line).
 *
 * Models of CSV data take CSV files of rows (their feature columns by
 * name).  The work is src/infer's; this file reads arguments and prints.
 *
 * --values FILE takes any model's raw inputs, one example per line, and
 * prints every output value (--logits: before the links): what another
 * runtime running the exported model is compared with.  --repeat N then
 * times N more forward passes over the last batch (benchmark B10).
 *
 * Output: one line per input, "FILE: class p, class p, ..." (top-k by
 * probability; a regression output prints its values, a multi-label output
 * each task's probability; several outputs "FILE: a: ...; b: ..."; rows
 * "FILE:LINE: ..."), or with --json one object {"model", "predictions":
 * [{"file", ["row",] "top" | "tasks" | "values": [...], "outputs": {name: {...}}
 * (several outputs)}]}.  Exit 2 for a missing or undecodable input or a model
 * that cannot take it, with nothing printed to stdout. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../io/io.h"
#include "../infer/infer.h"
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
    {"--values", 1, "FILE", "raw inputs, one example per line (numbers; token ids for text models): "
                            "prints every output value"},
    {"--logits", 0, NULL, "with --values: the output layers' values, before softmax or sigmoid"},
    {"--repeat", 1, "N", "time N more forward passes over the last inputs (warm) and print ms per example to stderr"},
    {"--draw", 1, "OUT.png", "detection models: write the image with its boxes drawn"},
    {"--score", 1, "X", "detection models: drop boxes scoring below X (default: the output's score)"},
    {"--iou", 1, "X", "detection models: non-max suppression IoU (default: the output's nms_iou)"},
    {"--windows", 0, NULL, "image classifiers: every window of a larger image in one pass (its "
                           "dense layers as convolutions)"},
    {"--bad-files", 1, "fail|skip", "image files that cannot be read: stop (default), or skip "
                                    "them, each listed with why (stderr; --json: warnings)"},
    {NULL, 0, NULL, NULL},
};

/* ---- the inputs: files, and the image files of folders ---- */

/* Expands folders (their image files, sorted) and checks every file can be
 * read as an image, so that nothing is printed before an input is refused. */
/* What predict did to fit images to the model's input, said as dlc train
 * says it of its folders: a photo given to a 28 x 28 gray model is read as
 * one, which its prediction does not show. */
typedef struct {
    int resized, recoloured;
    int first;              /* the first resized image (-1: none) */
    tensor_shape first_own; /* its (C, H, W) as stored */
    int subfolders;         /* of the folders given, which are not read */
    const char *folder;     /* the first folder given that has some (borrowed) */
    int skip;               /* --bad-files skip: an unreadable file is left out, */
    dlc_strlist skipped;    /* and its error kept here (owned) */
} image_fit;

static dlc_status collect_images(const cli_args *a, const tensor_shape *input, dlc_strlist *files,
                                 image_fit *fit, dlc_error *err)
{
    dlc_status st = DLC_OK;
    const char *bad = cli_get(&cli_predict_cmd, a, "--bad-files");
    memset(fit, 0, sizeof *fit);
    fit->first = -1;
    if (bad && strcmp(bad, "skip") != 0 && strcmp(bad, "fail") != 0)
        return dlc_fail(err, DLC_EINPUT, "--bad-files: expected fail or skip, got '%.40s'", bad);
    fit->skip = bad && strcmp(bad, "skip") == 0;
    for (int i = 1; i < a->n_pos && st == DLC_OK; i++) {
        const char *p = a->pos[i];
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            dlc_strlist names = {0};
            if ((st = data_folder_images(p, &names, err)) != DLC_OK)
                return st;
            dlc_strlist sub = {0};
            if (data_list_subfolders(p, &sub, NULL) == DLC_OK && sub.n > 0 && !fit->subfolders++)
                fit->folder = p;
            fit->subfolders += sub.n > 0 ? sub.n - 1 : 0;
            dlc_strlist_clear(&sub);
            for (int k = 0; k < names.n && st == DLC_OK; k++)
                st = dlc_strlist_push(files, names.v[k], err);
            dlc_strlist_clear(&names);
            continue;
        }
        st = dlc_strlist_push(files, p, err);
    }
    /* every file probed before anything is printed; --bad-files skip keeps
     * the readable ones, in order, and the others' errors */
    int kept = 0;
    for (int i = 0; i < files->n; i++) {
        char *f = files->v[i];
        files->v[i] = NULL;
        tensor_shape shape;
        dlc_error why = {0};
        if (st != DLC_OK || data_image_probe(f, 0, &shape, &why) != DLC_OK) {
            if (st == DLC_OK && (!fit->skip || why.status != DLC_EINPUT)) {
                /* unreadable and not skipped, or out of memory */
                st = why.status == DLC_EINPUT && files->n > 1
                         ? dlc_fail(err, why.status, "%s (--bad-files skip leaves unreadable "
                                                    "files out)", why.msg)
                         : dlc_fail(err, why.status, "%s", why.msg);
            } else if (st == DLC_OK) {
                st = dlc_strlist_push(&fit->skipped, why.msg, err);
            }
            free(f);
            continue;
        }
        files->v[kept++] = f;
        if (input->ndim != 3)
            continue;
        int resized = shape.d[1] != input->d[1] || shape.d[2] != input->d[2];
        if (resized && fit->resized++ == 0) {
            fit->first = kept - 1;
            fit->first_own = shape;
        }
        fit->recoloured += shape.d[0] != input->d[0];
    }
    files->n = kept;
    if (st == DLC_OK && kept == 0 && fit->skipped.n > 0)
        st = dlc_fail(err, DLC_EINPUT, "none of the %d image files could be read (the first: %s)",
                      fit->skipped.n, fit->skipped.v[0]);
    return st;
}

/* The files --bad-files skip left out, each with why, on stderr. */
static void say_skipped(const dlc_strlist *skipped)
{
    char esc[1200];
    if (skipped->n > 0)
        fprintf(stderr, "dlc: warning: skipped %d unreadable file%s (--bad-files skip):\n",
                skipped->n, skipped->n == 1 ? "" : "s");
    for (int i = 0; i < skipped->n; i++)
        fprintf(stderr, "  %s\n", dlc_escape(esc, sizeof esc, skipped->v[i], DLC_ESC_KEEP_LINES));
}

static int is_folder(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Inputs to expect (a folder counts its image files), capped at a batch:
 * the graph is built for this many rows, and a large model costs memory per row. */
static int count_inputs(const cli_args *a)
{
    int n = 0;
    for (int i = 1; i < a->n_pos && n < PREDICT_BATCH; i++) {
        struct stat sb;
        dlc_strlist names = {0};
        if (data_table_name(a->pos[i]))
            n += PREDICT_BATCH; /* rows */
        else if (stat(a->pos[i], &sb) == 0 && S_ISDIR(sb.st_mode) &&
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
    const char *const *names;   /* the inputs: file names, or NULL for CSV rows */
    const char *file;           /* CSV rows: the file */
    const int *lines;           /* texts: each input's line in file (NULL: rows after a header) */
    int last_n;                 /* inputs in the last batch (--repeat times them) */
    int nonfinite;              /* numbers written as null (JSON) */
    int quiet;                  /* --quiet: no notes */
    dlc_strlist skipped;        /* --bad-files skip: why each file was left out (owned) */
} printer;

/* A number in JSON (null when it is not finite, counted for the warning). */
static void json_num(printer *pr, double v)
{
    json_write_number(&pr->out, v);
    pr->nonfinite += !isfinite(v);
}

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

/* Name of entry c of l, or its number. */
static const char *entry_name(const dlc_strlist *l, int c, char *buf, size_t size)
{
    if (c < l->n)
        return l->v[c];
    snprintf(buf, size, "%d", c);
    return buf;
}

/* One head's prediction p (its outputs after the link): the top classes of a
 * classification head (both classes of a binary one), each task's
 * probability, or the values of a regression head. */
static void print_head(printer *pr, const model_head *mh, int size, const float *p)
{
    dlc_buf *b = &pr->out;
    const loss_def *L = loss_get(mh->loss);
    char id[16];
    if (L->has_classes || (L->target == LOSS_TARGET_BINARY && size == 1)) {
        float two[2];
        int K = size;
        if (!L->has_classes) { /* one sigmoid: P(class 1) */
            two[0] = 1.0f - p[0];
            two[1] = p[0];
            p = two;
            K = 2;
        }
        int k = pr->top_k < K ? pr->top_k : K;
        int idx[PREDICT_MAX_TOP];
        top_indices(p, K, k, idx);
        dlc_buf_printf(b, pr->json ? "\"top\": [" : "");
        for (int j = 0; j < k; j++) {
            int c = idx[j];
            const char *name = entry_name(&mh->classes, c, id, sizeof id);
            if (pr->json) {
                dlc_buf_printf(b, "%s{\"class\": ", j ? ", " : "");
                json_write_string(b, name);
                dlc_buf_printf(b, ", \"id\": %d, \"probability\": ", c);
                json_num(pr, p[c]);
                dlc_buf_printf(b, "}");
            } else {
                dlc_buf_printf(b, "%s ", j ? "," : "");
                dlc_buf_escape(b, name, DLC_ESC_ALL);
                dlc_buf_printf(b, " %.4f", p[c]);
            }
        }
        dlc_buf_printf(b, pr->json ? "]" : "");
        return;
    }
    int prob = L->target == LOSS_TARGET_BINARY;
    dlc_buf_printf(b, pr->json ? (prob ? "\"tasks\": [" : "\"values\": [") : "");
    for (int k = 0; k < size; k++) {
        const char *name = entry_name(&mh->tasks, k, id, sizeof id);
        if (pr->json) {
            dlc_buf_printf(b, "%s{\"%s\": ", k ? ", " : "", prob ? "task" : "target");
            json_write_string(b, name);
            dlc_buf_printf(b, ", \"%s\": ", prob ? "probability" : "value");
            json_num(pr, p[k]);
            dlc_buf_printf(b, "}");
        } else if (size == 1 && !prob) {
            dlc_buf_printf(b, " %.6g", p[k] + 0.0f); /* + 0: a ReLU's -0 prints as 0 */
        } else {
            dlc_buf_printf(b, "%s ", k ? "," : "");
            dlc_buf_escape(b, name, DLC_ESC_ALL);
            dlc_buf_printf(b, " %.4g", p[k] + 0.0f);
        }
    }
    dlc_buf_printf(b, pr->json ? "]" : "");
}

/* 1 when no output predicts: each is an embedding (metric learning). */
static int every_head_embeds(const model *m)
{
    for (int h = 0; h < m->n_heads; h++)
        if (!loss_get(m->heads[h].loss)->embedding)
            return 0;
    return 1;
}

/* One line (or JSON object) per input: every head's prediction. */
static dlc_status print_batch(void *user, const model *m, const infer_batch *bt, dlc_error *err)
{
    printer *pr = user;
    dlc_buf *b = &pr->out;
    (void)err;
    for (int i = 0; i < bt->n; i++) {
        int at = bt->first + i;
        if (pr->json) {
            dlc_buf_printf(b, "%s\n    {\"file\": ", pr->count ? "," : "");
            json_write_string(b, pr->names ? pr->names[at] : pr->file);
            if (!pr->names)
                dlc_buf_printf(b, ", \"row\": %d, \"line\": %d", at + 1,
                               pr->lines ? pr->lines[at] : at + 2);
        } else if (pr->names) {
            dlc_buf_escape(b, pr->names[at], DLC_ESC_ALL);
            dlc_buf_append(b, ":", 1);
        } else {
            dlc_buf_escape(b, pr->file, DLC_ESC_ALL);
            dlc_buf_printf(b, ":%d:", pr->lines ? pr->lines[at] : at + 2); /* the header is line 1 */
        }
        /* the outputs that predict: a joint model's embedding (triplet
         * beside a classifier) is dlc verify's, not a prediction */
        int shown[MODEL_MAX_HEADS], n_shown = 0;
        for (int h = 0; h < m->n_heads; h++)
            if (!loss_get(m->heads[h].loss)->embedding)
                shown[n_shown++] = h;
        for (int j = 0; j < n_shown; j++) {
            int h = shown[j];
            const graph_node *o = &m->g->nodes[m->g->outputs[h]];
            int size = (int)o->size;
            const float *p = bt->out[h] + (size_t)i * (size_t)size;
            if (pr->json) {
                /* the first output's figures stay where a one-output model has them */
                if (j == 0) {
                    dlc_buf_printf(b, ", ");
                    print_head(pr, &m->heads[h], size, p);
                }
                if (m->n_heads > 1) {
                    dlc_buf_printf(b, j ? ", " : ", \"outputs\": {");
                    json_write_string(b, m->heads[h].name);
                    dlc_buf_printf(b, ": {");
                    print_head(pr, &m->heads[h], size, p);
                    dlc_buf_printf(b, j + 1 == n_shown ? "}}" : "}");
                }
            } else {
                if (m->n_heads > 1)
                    dlc_buf_printf(b, "%s %s:", j ? ";" : "", m->heads[h].name);
                print_head(pr, &m->heads[h], size, p);
            }
        }
        dlc_buf_printf(b, pr->json ? "}" : "\n");
        pr->count++;
    }
    pr->last_n = bt->n;
    return DLC_OK;
}

/* --values: example i's outputs, every head's in head order, on one line. */
static dlc_status print_values(void *user, const model *m, const infer_batch *bt, dlc_error *err)
{
    printer *pr = user;
    (void)err;
    for (int i = 0; i < bt->n; i++) {
        for (int h = 0; h < m->n_heads; h++) {
            size_t size = graph_output(m->g, h)->size;
            const float *y = bt->out[h] + (size_t)i * size;
            for (size_t j = 0; j < size; j++)
                dlc_buf_printf(&pr->out, "%s%.9g", h || j ? " " : "", y[j] + 0.0f); /* a ReLU's -0 as 0 */
        }
        dlc_buf_printf(&pr->out, "\n");
    }
    pr->last_n = bt->n;
    return DLC_OK;
}

/* A text model's inputs are token ids: `step` values per time step, the
 * word's id in [0, vocab) then (word_chars) its bytes as 0..256.  0 when the
 * model reads no tokens. */
typedef struct {
    size_t step;
    int vocab;
} token_input;

/* Value k (from 0) of a text model's row: a token id, a whole number in the
 * vocabulary's range, so an id the vocabulary lacks is never read as padding
 * in silence (as the embedding does with any id outside it), nor 3.5 as 3 or
 * 4.  (word_chars' byte codes are not checked: the layer ignores one outside
 * 1..256 by design, and the ONNX tests feed such.) */
static dlc_status check_token(const char *file, int line, size_t k, float v, const token_input *tok,
                              dlc_error *err)
{
    if (k % tok->step != 0 || (v == floorf(v) && v >= 0 && v <= (float)tok->vocab - 1))
        return DLC_OK;
    return dlc_fail(err, DLC_EINPUT, "%s:%d: value %zu, %g, is not a token id of the model's "
                    "vocabulary: a whole number from 0 to %d (0 is <pad>, 1 <unk>)", file, line,
                    k + 1, (double)v, tok->vocab - 1);
}

/* Line `line` of a values file (cut at its newline) into x (D values).  A
 * text model's row may be shorter, by whole steps: the rest is padding (id
 * 0), which the model masks as it does a shorter text's. */
static dlc_status parse_values(const char *file, int line, char *text, float *x, size_t D,
                               const token_input *tok, dlc_error *err)
{
    size_t k = 0;
    char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\r')
            p++;
        if (!*p)
            break;
        char *end;
        float v = strtof(p, &end);
        if (end == p || !isfinite(v)) {
            /* quote what stands there, up to the next separator */
            int n = (int)strcspn(p, " \t,\r");
            return dlc_fail(err, DLC_EINPUT, "%s:%d: value %zu, \"%.*s\", is not a finite number%s",
                            file, line, k + 1, n < 40 ? n : 40, p,
                            *p == ';' ? " (values are separated by spaces or commas)" : "");
        }
        if (tok->step && check_token(file, line, k, v, tok, err) != DLC_OK)
            return err->status;
        if (k < D)
            x[k] = v;
        k++;
        p = end;
    }
    if (tok->step && k > 0 && k < D && k % tok->step == 0) {
        memset(x + k, 0, sizeof *x * (D - k));
        return DLC_OK;
    }
    if (tok->step && k > D)
        return dlc_fail(err, DLC_EINPUT, "%s:%d: %zu token%s, but the model reads at most %zu "
                        "(data.text.seq_len when it was trained); shorter rows are padded", file,
                        line, k / tok->step, tok->step > 1 ? " values" : "s", D / tok->step);
    if (k != D)
        return dlc_fail(err, DLC_EINPUT, "%s:%d: expected %zu values (the model's input), got %zu", file,
                        line, D, k);
    return DLC_OK;
}

/* Every non-blank line of the file is one example. */
static dlc_status predict_values(model *m, const char *file, int logits, printer *pr, dlc_error *err)
{
    char *text = NULL;
    float *x = NULL;
    size_t len, D = tensor_shape_size(&m->data_shape);
    int n = 0, line = 0;
    dlc_status st = dlc_read_file(file, &text, &len, err);
    if (st != DLC_OK)
        return st;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    /* a text model reads token ids, (T) or, with word_chars, (T, 1 + C) */
    token_input tok = {0, (int)m->vocab.n};
    if (m->vocab.n > 0)
        tok.step = m->data_shape.ndim == 2 ? (size_t)m->data_shape.d[1] : 1;
    memset(text, ' ', dlc_bom_len(text, len)); /* a UTF-8 byte-order mark (Notepad's) */
    if (!(x = malloc(sizeof *x * D * lines))) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (char *p = text; st == DLC_OK && p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        line++;
        if (strspn(p, " \t\r,") != strlen(p))
            st = parse_values(file, line, p, x + (size_t)n++ * D, D, &tok, err);
        p = nl ? nl + 1 : NULL;
    }
    if (st == DLC_OK && n == 0)
        st = dlc_fail(err, DLC_EINPUT, "%s: no examples (one line of numbers per example)", file);
    if (st == DLC_OK)
        st = infer_rows_raw(m, x, n, logits, print_values, pr, err);
cleanup:
    free(x);
    free(text);
    return st;
}

void cli_note_unseen(const char *path, int count, int line, const char *example)
{
    char esc[500], ex[200];
    if (count)
        fprintf(stderr, "note: %s: %d value%s of categorical columns that training never saw "
                "(the first on line %d, %s): read as none of the column's values (every "
                "one-hot feature 0)\n", dlc_escape(esc, sizeof esc, path, DLC_ESC_ALL),
                count, count == 1 ? "" : "s", line, dlc_escape(ex, sizeof ex, example, DLC_ESC_ALL));
}

/* Rows of CSV files, one file after another. */
static dlc_status predict_rows(model *m, const cli_args *a, printer *pr, dlc_error *err)
{
    dlc_status st = DLC_OK;
    for (int i = 1; i < a->n_pos && st == DLC_OK; i++) {
        float *x = NULL;
        int n = 0;
        infer_unseen u;
        if ((st = infer_read_csv(m, a->pos[i], &x, &n, &u, err)) == DLC_OK) {
            if (!pr->quiet)
                cli_note_unseen(a->pos[i], u.count, u.line, u.example);
            pr->names = NULL;
            pr->file = a->pos[i];
            st = infer_rows(m, x, n, print_batch, pr, err);
        }
        free(x);
    }
    return st;
}

/* A text classifier's inputs: texts with their lines in the file. */
typedef struct {
    dlc_strlist texts;
    int *lines, cap;
} text_rows;

static dlc_status text_row(void *user, const char *const *fields, int line, dlc_error *err)
{
    text_rows *t = user;
    if (t->texts.n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        int *l = realloc(t->lines, sizeof *l * (size_t)cap);
        if (!l)
            return DLC_NOMEM(err);
        t->lines = l;
        t->cap = cap;
    }
    t->lines[t->texts.n] = line;
    return dlc_strlist_push(&t->texts, fields[0], err);
}

/* The texts of one file: the model's text column of a CSV or TSV file whose
 * header names it, else (a file not named .csv or .tsv) each non-blank line. */
static dlc_status read_texts(const model *m, const char *path, text_rows *t, dlc_error *err)
{
    char *text = NULL;
    size_t len = 0;
    dlc_strlist header = {0};
    const char *col = m->text_cfg.column;
    if (data_image_name(path))
        return dlc_fail(err, DLC_EINPUT, "%s: an image file; the model reads texts (a CSV or TSV "
                        "file's '%.60s' column, or a file of one text a line, or --text TEXT)", path,
                        col);
    /* gzip-compressed texts read as training reads them; "-" the standard input */
    dlc_status st = data_text_read_input(path, &text, &len, err);
    if (st != DLC_OK)
        return st;
    size_t name = strlen(path);
    int table = name > 4 && (strcasecmp(path + name - 4, ".csv") == 0 ||
                             strcasecmp(path + name - 4, ".tsv") == 0 ||
                             strcasecmp(path + name - 4, ".tab") == 0);
    int has_col = len > 0 && data_csv_header(path, text, len, &m->csv, &header, NULL) == DLC_OK &&
                  dlc_strlist_find(&header, col) >= 0;
    if (has_col) {
        st = data_csv_records_once(path, text, len, &m->csv, &col, 1, text_row, t, err);
    } else if (table) {
        char hint[256] = "";
        data_csv_header_hint(&header, hint, sizeof hint);
        st = dlc_fail(err, DLC_EINPUT, "%s: the header has no column '%.60s', the text column the "
                      "model was trained on (data.text.column)%s; a file of one text a line is "
                      "read as such when not named .csv or .tsv", path, col, hint);
    } else {
        int line = 0;
        for (char *p = text, *end = text + len; st == DLC_OK && p < end; line++) {
            char *eol = memchr(p, '\n', (size_t)(end - p)), *stop = eol ? eol : end;
            *stop = '\0'; /* the text is NUL-terminated past its end */
            if (stop > p && stop[-1] == '\r')
                stop[-1] = '\0';
            if (line == 0 && strncmp(p, "\xef\xbb\xbf", 3) == 0) /* a byte-order mark */
                p += 3;
            if (p[strspn(p, " \t")])
                st = text_row(t, (const char *const *)&p, line + 1, err);
            p = eol ? eol + 1 : end;
        }
    }
    for (int i = 0; i < t->texts.n && st == DLC_OK; i++) {
        long bad = dlc_utf8_bad(t->texts.v[i]);
        if (bad >= 0)
            st = dlc_fail(err, DLC_EINPUT, "%s:%d: invalid UTF-8 (byte 0x%02x, the text's byte %ld); "
                          "text files must be UTF-8", path, t->lines[i],
                          (unsigned char)t->texts.v[i][bad], bad + 1);
    }
    if (st == DLC_OK && t->texts.n == 0)
        st = dlc_fail(err, DLC_EINPUT, "%s: no text to classify", path);
    dlc_strlist_clear(&header);
    free(text);
    return st;
}

/* Of the first n tokens of text (*read: as many as it has, at most n), how
 * many the vocabulary has (*known). */
static dlc_status count_unknown(const model *m, const char *text, int n, int *read, int *known,
                                dlc_error *err)
{
    size_t cap = strlen(text) + 1;
    float *ids = malloc(sizeof *ids * cap);
    if (!ids)
        return DLC_NOMEM(err);
    int got = data_text_encode(&m->text_cfg, &m->vocab, text, ids, (int)cap, err);
    *known = 0;
    *read = got < n ? got : n;
    for (int i = 0; i < *read; i++)
        *known += ids[i] != TEXT_UNK;
    free(ids);
    return got < 0 ? err->status : DLC_OK;
}

/* A text classifier or tagger on files of texts: one line per text, as CSV
 * rows (a tagger's: its tokens with their tags, as --text prints them). */
static dlc_status predict_texts(model *m, const cli_args *a, printer *pr, dlc_error *err)
{
    const int tagger = m->text_cfg.task == TEXT_TAG;
    dlc_status st = DLC_OK;
    const int K = (int)graph_output(m->g, 0)->size, T = (int)m->g->nodes[0].size;
    double *p = malloc(sizeof *p * (size_t)K);
    float *f = malloc(sizeof *f * (size_t)K);
    if (!p || !f)
        st = DLC_NOMEM(err);
    for (int i = 1; i < a->n_pos && st == DLC_OK; i++) {
        text_rows t = {0};
        int cut = 0, first_cut = 0, none = 0, first_none = 0;
        long tokens = 0, unknown = 0;
        st = read_texts(m, a->pos[i], &t, err);
        pr->names = NULL;
        pr->file = a->pos[i];
        pr->lines = t.lines;
        for (int r = 0; r < t.texts.n && st == DLC_OK; r++) {
            int n = INT_MAX; /* a tagger tags every token: a long text in pieces of T */
            if (tagger && pr->json) { /* as a classifier's row, "tokens" for "top" */
                dlc_buf_printf(&pr->out, "%s\n    {\"file\": ", pr->count++ ? "," : "");
                json_write_string(&pr->out, a->pos[i]);
                dlc_buf_printf(&pr->out, ", \"row\": %d, \"line\": %d, ", r + 1, t.lines[r]);
                st = cli_tag_line(&pr->out, m, t.texts.v[r], 1, &pr->nonfinite, err);
                dlc_buf_printf(&pr->out, "}");
            } else if (tagger) {
                dlc_buf_escape(&pr->out, a->pos[i], DLC_ESC_ALL);
                dlc_buf_printf(&pr->out, ":%d: ", t.lines[r]);
                st = cli_tag_line(&pr->out, m, t.texts.v[r], 0, NULL, err);
                dlc_buf_printf(&pr->out, "\n");
            } else {
                st = infer_classify_text(m, t.texts.v[r], p, &n, err);
            }
            if (st != DLC_OK) {
                dlc_error_prefix(err, "%s:%d", a->pos[i], t.lines[r]);
                break;
            }
            if (!tagger && n > T && !cut++)
                first_cut = t.lines[r];
            /* the words it reads as <unk>: a text of none it knows is
             * classified on nothing but its length */
            int known = 0, at = 0;
            st = count_unknown(m, t.texts.v[r], tagger || n < T ? n : T, &at, &known, err);
            tokens += at;
            unknown += at - known;
            if (st == DLC_OK && known == 0 && !none++)
                first_none = t.lines[r];
            if (tagger || st != DLC_OK)
                continue;
            for (int k = 0; k < K; k++)
                f[k] = (float)p[k];
            infer_batch bt = {.first = r, .n = 1, .out = {f}};
            st = print_batch(pr, m, &bt, err);
        }
        if (st == DLC_OK && unknown && !pr->quiet)
            fprintf(stderr, "note: %s: %ld of the %ld %s read are not in the model's vocabulary "
                            "(read as <unk>)%s", a->pos[i], unknown, tokens,
                    m->text_cfg.unit == TEXT_CHARS ? "characters" : "words", none ? "" : "\n");
        if (st == DLC_OK && unknown && none && !pr->quiet)
            fprintf(stderr, "; %d text%s none it knows (the first on line %d)\n", none,
                    none == 1 ? " has" : "s have", first_none);
        if (st == DLC_OK && cut && !pr->quiet)
            fprintf(stderr, "note: %s: %d text%s longer than the model's %d tokens, read as their "
                            "first %d (the first on line %d)\n",
                    a->pos[i], cut, cut == 1 ? " is" : "s are", T, T, first_cut);
        pr->lines = NULL;
        dlc_strlist_clear(&t.texts);
        free(t.lines);
    }
    free(p);
    free(f);
    return st;
}

static dlc_status predict_images(model *m, const cli_args *a, printer *pr, dlc_error *err)
{
    dlc_strlist files = {0};
    image_fit fit = {0};
    dlc_status st = collect_images(a, &m->data_shape, &files, &fit, err);
    if (st == DLC_OK) {
        pr->names = (const char *const *)files.v;
        st = infer_images(m, (const char *const *)files.v, files.n, print_batch, pr, err);
    }
    pr->skipped = fit.skipped; /* said at the end: stderr, or --json's warnings */
    fit.skipped = (dlc_strlist){0};
    if (st == DLC_OK && !pr->quiet && fit.subfolders > 0) {
        char esc[500];
        fprintf(stderr, "note: %s: %d subfolder%s not read (a folder given to predict means its "
                        "own image files: give the subfolders too)\n",
                dlc_escape(esc, sizeof esc, fit.folder, DLC_ESC_ALL), fit.subfolders,
                fit.subfolders == 1 ? " is" : "s are");
    }
    if (st == DLC_OK && !pr->quiet && (fit.resized || fit.recoloured)) {
        char name[600] = "", esc[500];
        const tensor_shape *in = &m->data_shape;
        if (fit.first >= 0)
            snprintf(name, sizeof name, " (%s: %d x %d)",
                     dlc_escape(esc, sizeof esc, files.v[fit.first], DLC_ESC_ALL),
                     fit.first_own.d[2], fit.first_own.d[1]);
        const char *colour = in->d[0] == 1 ? "gray" : "RGB";
        fprintf(stderr, "note: %d of %d image%s resized to the model's %d x %d%s, %d converted to "
                        "%s (the model was trained on %d x %d %s images)\n",
                fit.resized, files.n, files.n == 1 ? "" : "s", in->d[2], in->d[1], name,
                fit.recoloured, colour, in->d[2], in->d[1], colour);
    }
    dlc_strlist_clear(&files);
    return st;
}

/* ---- the command ---- */

static int run(const cli_args *a)
{
    const cli_command *c = &cli_predict_cmd;
    if (cli_get(c, a, "--prompt") || cli_get(c, a, "--text")) {
        if (cli_get(c, a, "--json"))
            return cli_usage_error(c, "--json goes with input files: --prompt and --text print "
                                      "plain text (for a classifier's or tagger's JSON give the "
                                      "text as a file, or on the standard input: echo TEXT | dlc "
                                      "predict RUN - --json)");
        return cli_predict_text(c, a);
    }
    const char *values = cli_get(c, a, "--values");
    if (values && (a->n_pos != 1 || cli_get(c, a, "--json")))
        return cli_usage_error(c, "--values FILE takes the RUN and no other inputs, and prints plain numbers");
    if (!values && cli_get(c, a, "--logits"))
        return cli_usage_error(c, "--logits goes with --values FILE");
    if (!values && a->n_pos < 2)
        return cli_usage_error(c, "expected a RUN folder (or model file) and at least one input");
    long repeat = 0;
    const char *rp = cli_get(c, a, "--repeat");
    if (rp && (dlc_parse_long(rp, &repeat) != 0 || repeat < 1 || repeat > 100000000))
        return cli_usage_error(c, "--repeat needs a whole number from 1 to 100000000, got '%s'", rp);
    long top_k = 3;
    const char *tk = cli_get(c, a, "--top-k");
    if (tk && (dlc_parse_long(tk, &top_k) != 0 || top_k < 1 || top_k > PREDICT_MAX_TOP))
        return cli_usage_error(c, "--top-k needs a whole number from 1 to %d, got '%s'",
                               PREDICT_MAX_TOP, tk);
    cli_set_threads(cli_get(c, a, "--threads"), 1);

    dlc_error err = {0};
    char path[4200];
    model m;
    int nmax = values ? PREDICT_BATCH : count_inputs(a);
    if (cli_model_file("predict", a->pos[0], path, sizeof path, &err) != DLC_OK ||
        model_load(&m, path, nmax, &err) != DLC_OK)
        return cli_fail(&err);
    printer pr = {.top_k = (int)top_k, .json = cli_get(c, a, "--json") != NULL,
                  .quiet = cli_quiet(c, a)};
    dlc_status st;
    char shape[64];
    if (pr.json) {
        dlc_buf_printf(&pr.out, "{\"model\": ");
        json_write_string(&pr.out, path);
        dlc_buf_printf(&pr.out, ", \"predictions\": [");
    }
    int detector = infer_is_detector(&m);
    if (!detector && (cli_get(c, a, "--draw") || cli_get(c, a, "--score") || cli_get(c, a, "--iou"))) {
        dlc_buf_free(&pr.out);
        model_free(&m);
        return cli_usage_error(c, "--draw, --score and --iou are for detection models (loss "
                                  "localize, landmarks or yolo)");
    }
    int windows = cli_get(c, a, "--windows") != NULL;
    if (!values && detector && !windows && tk) {
        dlc_buf_free(&pr.out);
        model_free(&m);
        return cli_usage_error(c, "--top-k is for classifiers: a detection model prints every box "
                                  "scoring at least --score (default the output's score: key), "
                                  "after non-max suppression");
    }
    if (!values && (detector || windows)) {
        dlc_strlist files = {0};
        /* boxes map back to each file's pixels, and windows span a larger
         * image: their sizes are the point, not a conversion to say */
        const tensor_shape any = {0};
        image_fit fit;
        int rc = collect_images(a, &any, &files, &fit, &err) != DLC_OK ? cli_fail(&err)
                 : windows ? cli_predict_windows(c, a, &m, &files)
                           : cli_predict_detect(c, a, &m, &files);
        if (!cli_quiet(c, a))
            say_skipped(&fit.skipped);
        dlc_strlist_clear(&fit.skipped);
        dlc_strlist_clear(&files);
        dlc_buf_free(&pr.out);
        model_free(&m);
        return rc;
    }
    if (values) {
        /* any model's output values: also an embedding's, or a pair model's p(same) */
        st = predict_values(&m, values, cli_get(c, a, "--logits") != NULL, &pr, &err);
    } else if (m.stack > 1 || every_head_embeds(&m)) {
        /* its inputs are pairs, or its output is an embedding: not a prediction */
        st = dlc_fail(&err, DLC_EINPUT, "%s compares examples (metric learning): dlc verify RUN A "
                      "B compares two, dlc verify RUN --embed INPUT... writes embeddings, "
                      "--values FILE gives the output's values",
                      a->pos[0]);
    } else if (infer_takes_images(&m)) {
        st = predict_images(&m, a, &pr, &err);
    } else if (m.vocab.n > 0 && (m.text_cfg.task == TEXT_CLASSIFY || m.text_cfg.task == TEXT_TAG)) {
        st = predict_texts(&m, a, &pr, &err);
    } else if (m.vocab.n > 0) {
        st = dlc_fail(&err, DLC_EINPUT, "%s is a text model: give --prompt TEXT (language "
                      "models) or --text TEXT (classifiers, taggers)", a->pos[0]);
    } else if (a->n_pos >= 2 && !data_image_name(a->pos[1]) && !is_folder(a->pos[1])) {
        /* a model of rows reads rows, whatever the file is called (x.txt, X.CSV);
         * an image or a folder of them is refused below */
        st = predict_rows(&m, a, &pr, &err);
    } else {
        st = dlc_fail(&err, DLC_EINPUT,
                      "%s: the model takes examples of shape %s, not images (1 or 3 channels, "
                      "height, width); give a CSV file of rows with its feature columns",
                      a->pos[0], tensor_shape_str(&m.data_shape, shape, sizeof shape));
    }
    if (pr.json) {
        dlc_strlist warnings = {0};
        char w[200];
        snprintf(w, sizeof w, "%d numbers are not finite (written as null): the model's outputs "
                 "are NaN or infinite; are its weights?", pr.nonfinite);
        if (pr.nonfinite && dlc_strlist_push(&warnings, w, &err) != DLC_OK)
            pr.out.failed = 1;
        for (int i = 0; i < pr.skipped.n; i++) {
            char sk[1200];
            snprintf(sk, sizeof sk, "skipped (--bad-files skip): %s", pr.skipped.v[i]);
            if (dlc_strlist_push(&warnings, sk, &err) != DLC_OK)
                pr.out.failed = 1;
        }
        dlc_buf_printf(&pr.out, "\n], ");
        json_write_warnings(&pr.out, &warnings);
        dlc_buf_printf(&pr.out, "}\n");
        dlc_strlist_clear(&warnings);
    }
    if (st == DLC_OK && repeat > 0)
        fprintf(stderr, "dlc predict: %ld passes over %d example%s: %.4f ms per example\n", repeat,
                pr.last_n, pr.last_n == 1 ? "" : "s", infer_time(&m, pr.last_n, repeat));
    if (st == DLC_OK && !pr.json && !pr.quiet)
        say_skipped(&pr.skipped);
    dlc_strlist_clear(&pr.skipped);
    int rc = cli_predict_output(st, &err, &pr.out);
    model_free(&m);
    return rc;
}

int cli_predict_output(dlc_status st, const dlc_error *err, dlc_buf *out)
{
    int rc = 0;
    if (st != DLC_OK)
        rc = cli_fail(err);
    else if (out->failed)
        rc = cli_fail(&(dlc_error){DLC_ENOMEM, "out of memory"});
    else if (out->len)
        fwrite(out->s, 1, out->len, stdout);
    dlc_buf_free(out);
    return rc;
}

const cli_command cli_predict_cmd = {
    "predict",
    "RUN INPUT... [--top-k K] [--json] [--repeat N] | RUN IMAGE... [--json] [--draw OUT.png] "
    "[--score X] [--iou X] (detection) | RUN IMAGE... --windows [--json] | RUN --values FILE "
    "[--logits] [--repeat N] | RUN --prompt TEXT [--length N] [--temperature T] [--seed S] | "
    "RUN --text TEXT [--top-k K]",
    "Use a trained model: classify image files (or folders of them), CSV rows or files of texts, "
    "find and draw objects in images, continue a text with a language model, or label a text "
    "with a classifier or tagger.",
    opts, run,
};
