/* infer.c - predictions on new inputs (see infer.h). */
#include "infer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"

int infer_takes_images(const model *m)
{
    const tensor_shape *s = &m->data_shape;
    return !m->text && s->ndim == 3 && (s->d[0] == 1 || s->d[0] == 3);
}

/* The forward pass of the N inputs already in the graph, each head's link
 * applied in place (unless logits). */
static void forward_links(model *m, int N, int logits)
{
    graph *g = m->g;
    graph_forward_eval(g, N);
    for (int h = 0; h < m->n_heads && !logits; h++) {
        graph_node *o = graph_output(g, h);
        const loss_def *L = loss_get(m->heads[h].loss);
        size_t K = (size_t)o->shape.d[o->shape.ndim - 1];
        if (L->link != ACT_LINEAR)
            graph_act_forward((act_kind)L->link, 0.0f, 0.0f, o->out, o->out, (size_t)N * o->size / K, K);
        model_head_values(m, h, o->out, N); /* in the targets' units (data.normalize_targets) */
    }
}

/* forward_links, then fn with the heads' outputs. */
static dlc_status run_batch(model *m, int first, int N, int logits, infer_fn fn, void *user,
                            dlc_error *err)
{
    forward_links(m, N, logits);
    infer_batch b = {first, N, {0}};
    for (int h = 0; h < m->n_heads; h++)
        b.out[h] = graph_output(m->g, h)->out;
    return fn(user, m, &b, err);
}

double infer_time(model *m, int N, long repeat)
{
    double t0 = dlc_now();
    for (long r = 0; r < repeat; r++)
        forward_links(m, N, 0);
    return repeat > 0 && N > 0 ? (dlc_now() - t0) * 1e3 / ((double)repeat * N) : 0.0;
}

dlc_status infer_images(model *m, const char *const *files, int n, infer_fn fn, void *user,
                        dlc_error *err)
{
    graph *g = m->g;
    const size_t D = tensor_shape_size(&m->data_shape);
    char shape[64];
    if (!infer_takes_images(m))
        return dlc_fail(err, DLC_EINPUT,
                        "the model takes examples of shape %s, not images (1 or 3 channels, "
                        "height, width)",
                        tensor_shape_str(&m->data_shape, shape, sizeof shape));
    uint8_t *pix = malloc(D);
    if (!pix)
        return DLC_NOMEM(err);
    dlc_status st = DLC_OK;
    for (int start = 0; start < n && st == DLC_OK; start += g->eval_max) {
        int N = n - start < g->eval_max ? n - start : g->eval_max;
        float *x = graph_input(g, 0); /* (N, D) */
        for (int i = 0; i < N && st == DLC_OK; i++) {
            st = data_image_load(files[start + i], 0, &m->data_shape, pix, err);
            for (size_t j = 0; st == DLC_OK && j < D; j++)
                x[(size_t)i * D + j] = (float)pix[j];
        }
        if (st != DLC_OK)
            break;
        data_norm_apply(&m->norm, x, (size_t)N);
        st = run_batch(m, start, N, 0, fn, user, err);
    }
    free(pix);
    return st;
}

dlc_status infer_rows(model *m, const float *x, int n, infer_fn fn, void *user, dlc_error *err)
{
    return infer_rows_raw(m, x, n, 0, fn, user, err);
}

dlc_status infer_rows_raw(model *m, const float *x, int n, int logits, infer_fn fn, void *user,
                          dlc_error *err)
{
    graph *g = m->g;
    const size_t D = tensor_shape_size(&m->input);
    dlc_status st = DLC_OK;
    for (int start = 0; start < n && st == DLC_OK; start += g->eval_max) {
        int N = n - start < g->eval_max ? n - start : g->eval_max;
        float *in = graph_input(g, 0); /* (N, D) */
        memcpy(in, x + (size_t)start * D, sizeof(float) * (size_t)N * D);
        data_norm_apply(&m->norm, in, (size_t)N);
        st = run_batch(m, start, N, logits, fn, user, err);
    }
    return st;
}

/* ---- CSV rows ---- */

typedef struct {
    const char *path;
    int D;
    const dlc_strlist *names;   /* (D) the features, borrowed */
    int *field;                 /* (D) the field (of the columns read) a feature reads */
    const char **value;         /* (D) a one-hot feature's VALUE (borrowed), or NULL */
    const float *fill;          /* (D) what a missing value stands for (data.missing: mean), or NULL */
    const dlc_strlist *read;    /* the columns read (fields), borrowed */
    unsigned char *hit;         /* (read->n) per row: 2 for a categorical column, 3 once a
                                 * one-hot feature took its value */
    infer_unseen unseen;
    float *x;     /* (cap, D) */
    int n, cap;
} csv_rows;

static dlc_status csv_row(void *user, const char *const *fields, int line, dlc_error *err)
{
    csv_rows *r = user;
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 64;
        float *x = realloc(r->x, sizeof(float) * (size_t)cap * (size_t)r->D);
        if (!x)
            return DLC_NOMEM(err);
        r->x = x;
        r->cap = cap;
    }
    memset(r->hit, 0, (size_t)r->read->n);
    for (int j = 0; j < r->D; j++) {
        double v;
        const char *f = fields[r->field[j]];
        if (r->value[j]) { /* one-hot: 1 for its value (a value the train file lacked: all 0) */
            int hit = strcmp(f, r->value[j]) == 0;
            r->x[(size_t)r->n * r->D + j] = (float)hit;
            r->hit[r->field[j]] |= (unsigned char)(2 | hit);
            continue;
        }
        if (r->fill && !isnan(r->fill[j]) && data_is_missing(f)) {
            r->x[(size_t)r->n * r->D + j] = r->fill[j];
            continue;
        }
        if (!f[0])
            return dlc_fail(err, DLC_EINPUT, "%s:%d: column '%s': empty value (a missing value: "
                            "the model needs every feature)", r->path, line, r->names->v[j]);
        if (dlc_parse_double(f, &v) != 0 || !isfinite(v))
            return dlc_fail(err, DLC_EINPUT, "%s:%d: column '%s': expected a number, got \"%.60s\"%s",
                            r->path, line, r->names->v[j], f, data_number_hint(f));
        r->x[(size_t)r->n * r->D + j] = (float)v;
    }
    for (int q = 0; q < r->read->n; q++)
        if (r->hit[q] == 2 && !r->unseen.count++) {
            r->unseen.line = line;
            snprintf(r->unseen.example, sizeof r->unseen.example, "%.40s: %.40s", r->read->v[q],
                     fields[q]);
        }
    r->n++;
    return DLC_OK;
}

dlc_status infer_read_csv(const model *m, const char *path, float **x, int *n, infer_unseen *unseen,
                          dlc_error *err)
{
    char *text = NULL;
    size_t len = 0;
    dlc_strlist header = {0}, want = {0}, read = {0};
    data_csv_index *ix = NULL; /* the header's names, hashed */
    int *read_of = NULL;
    tensor_shape one = infer_example_shape(m); /* a pair model reads one example per row */
    csv_rows r = {.path = path, .D = (int)tensor_shape_size(&one), .names = &want,
                  .fill = m->norm.fill, .read = &read};
    *x = NULL;
    *n = 0;
    /* rows.csv.gz read inflated, as training reads its CSV files */
    dlc_status st = strcmp(path, "-") == 0 ? dlc_read_input_max(path, DLC_DATA_MAX, &text, &len, err)
                                           : data_text_read_file(path, &text, &len, err);
    if (st != DLC_OK)
        return st;
    if ((st = data_csv_header(path, text, len, &m->csv, &header, err)) != DLC_OK)
        goto done;
    if ((st = data_csv_index_create(&ix, &header, err)) != DLC_OK)
        goto done;
    if (m->features.n > 0) {
        st = dlc_strlist_copy(&want, &m->features, err);
        int missing = 0, first = -1;
        const char *value;
        for (int i = 0; i < want.n && st == DLC_OK; i++)
            if (data_csv_index_column(ix, want.v[i], &value) < 0 && missing++ == 0)
                first = i;
        if (st == DLC_OK && missing) {
            /* every column the model reads (the first 8), and why the
             * header may not have them */
            char cols[512] = "", hint[256];
            for (int i = 0, at = 0; i < want.n && i < 8 && at < (int)sizeof cols; i++)
                at += snprintf(cols + at, sizeof cols - (size_t)at, "%s%.40s%s", i ? ", " : "",
                               want.v[i], i == 7 && want.n > 8 ? ", ..." : "");
            data_csv_header_hint(&header, hint, sizeof hint);
            st = dlc_fail(err, DLC_EINPUT,
                          "%s: the header lacks %d of the model's %d feature columns, the first "
                          "'%s' (it reads %s)%s",
                          path, missing, want.n, want.v[first], cols, hint);
        }
    } else {
        /* a model file without its feature names: as in training, every
         * column that is not a label, in the file's order */
        for (int i = 0; i < header.n && st == DLC_OK; i++)
            if (dlc_strlist_find(&m->label_columns, header.v[i]) < 0)
                st = dlc_strlist_push(&want, header.v[i], err);
    }
    if (st == DLC_OK && want.n != r.D)
        st = dlc_fail(err, DLC_EINPUT,
                      "%s: %d feature columns, the model takes %d (name them with the columns it "
                      "was trained on)", path, want.n, r.D);
    /* the columns read: each once (a categorical one gives several one-hot features) */
    if (st == DLC_OK && (!(r.field = malloc(sizeof(int) * (size_t)(want.n ? want.n : 1))) ||
                         !(r.value = calloc((size_t)(want.n ? want.n : 1), sizeof *r.value)) ||
                         !(read_of = malloc(sizeof(int) * (size_t)(header.n ? header.n : 1)))))
        st = DLC_NOMEM(err);
    for (int j = 0; j < header.n && st == DLC_OK; j++)
        read_of[j] = -1; /* (header columns) its place among those read */
    for (int i = 0; i < want.n && st == DLC_OK; i++) {
        int j = data_csv_index_column(ix, want.v[i], &r.value[i]);
        r.field[i] = read_of[j];
        if (r.field[i] < 0) {
            r.field[i] = read_of[j] = read.n;
            st = dlc_strlist_push(&read, header.v[j], err);
        }
    }
    if (st == DLC_OK && !(r.hit = malloc((size_t)(read.n ? read.n : 1))))
        st = DLC_NOMEM(err);
    if (st == DLC_OK)
        st = data_csv_records_once(path, text, len, &m->csv, (const char *const *)read.v, read.n, csv_row,
                                   &r, err);
    if (st == DLC_OK && r.n == 0)
        st = dlc_fail(err, DLC_EINPUT, "%s: no data rows after the header", path);
done:
    if (unseen)
        *unseen = r.unseen;
    if (st == DLC_OK) {
        *x = r.x;
        *n = r.n;
    } else {
        free(r.x);
    }
    free(text);
    free(r.field);
    free(r.value);
    free(r.hit);
    free(read_of);
    data_csv_index_free(ix);
    dlc_strlist_clear(&header);
    dlc_strlist_clear(&want);
    dlc_strlist_clear(&read);
    return st;
}

/* ---- text ---- */

/* The model's tokenizer, with its vocabulary. */
static data_text_config tokenizer(const model *m)
{
    data_text_config tc = m->text_cfg;
    tc.vocab = &m->vocab;
    return tc;
}

static dlc_status need_text(const model *m, text_task task, dlc_error *err)
{
    if (!m->text || m->vocab.n == 0)
        return dlc_fail(err, DLC_EINPUT, "not a text model (it was not trained on data.format text)");
    if (task == TEXT_LM && m->text_cfg.task != TEXT_LM)
        return dlc_fail(err, DLC_EINPUT, "not a language model (a %s model: label texts with it)",
                        data_text_task_names[m->text_cfg.task]);
    if (task != TEXT_LM && m->text_cfg.task != task)
        return dlc_fail(err, DLC_EINPUT, "a %s model, not a text %s",
                        m->text_cfg.task == TEXT_LM ? "language" : data_text_task_names[m->text_cfg.task],
                        task == TEXT_TAG ? "tagger" : "classifier");
    if (m->g->nodes[0].shape.ndim != 1)
        return dlc_fail(err, DLC_EINPUT, "the model reads each word with its bytes "
                                         "(data.text.chars); predicting from text does not give "
                                         "them yet");
    return DLC_OK;
}

/* softmax(z / temperature) into p (K), excluding <pad> and <unk>; the
 * argmax when temperature is 0. */
static int next_token(const float *z, int K, double temperature, dlc_rng *rng, double *p)
{
    int best = -1;
    for (int k = 0; k < K; k++)
        if (k != TEXT_PAD && k != TEXT_UNK && (best < 0 || z[k] > z[best]))
            best = k;
    if (temperature <= 0 || best < 0)
        return best < 0 ? 0 : best;
    double sum = 0;
    for (int k = 0; k < K; k++) {
        p[k] = k == TEXT_PAD || k == TEXT_UNK ? 0.0 : exp((z[k] - z[best]) / temperature);
        sum += p[k];
    }
    double u = dlc_rng_uniform(rng) * sum;
    for (int k = 0; k < K; k++) {
        if (p[k] == 0.0)
            continue;
        u -= p[k];
        if (u < 0)
            return k;
    }
    return best;
}

dlc_status infer_generate(model *m, const char *prompt, const infer_gen_opts *o,
                          void (*emit)(void *user, int id), void *user, dlc_error *err)
{
    dlc_status st = need_text(m, TEXT_LM, err);
    if (st != DLC_OK)
        return st;
    graph *g = m->g;
    graph_node *out = graph_output(g, 0);
    int K = out->shape.d[out->shape.ndim - 1];
    size_t cap = strlen(prompt) + 2;
    float *ids = malloc(sizeof(float) * cap);
    double *p = malloc(sizeof(double) * (size_t)K);
    if (!ids || !p) {
        st = DLC_NOMEM(err);
        goto done;
    }
    data_text_config tc = tokenizer(m);
    int n = data_text_encode(&tc, &m->vocab, prompt, ids, (int)cap, err);
    if (n < 0) {
        st = DLC_EINPUT;
        goto done;
    }
    if (n == 0) {
        /* nothing to continue: start as after a line end */
        int nl = dlc_strlist_find(&m->vocab, tc.unit == TEXT_CHARS ? "\n" : "<eos>");
        ids[n++] = (float)(nl >= 0 ? nl : 2 < m->vocab.n ? 2 : 0);
    }
    dlc_rng rng;
    dlc_rng_seed(&rng, o->seed, DLC_STREAM(DLC_STREAM_SAMPLE, 0));
    for (int i = 0; i < n; i++) {
        graph_input(g, 0)[0] = ids[i];
        g->carry = i > 0;
        graph_forward_eval(g, 1);
    }
    for (long k = 0; k < o->length; k++) {
        int id = next_token(out->out, K, o->temperature, &rng, p);
        emit(user, id);
        graph_input(g, 0)[0] = (float)id;
        g->carry = 1;
        graph_forward_eval(g, 1);
    }
    g->carry = 0;
done:
    free(ids);
    free(p);
    return st;
}

/* The token ids of text into *all (allocated: free it); returns the count,
 * or -1 with err set. */
static int encode(model *m, const char *text, float **all, dlc_error *err)
{
    data_text_config tc = tokenizer(m);
    size_t cap = strlen(text) + 1;
    float *ids = calloc(cap, sizeof(float));
    if (!ids) {
        DLC_NOMEM(err);
        return -1;
    }
    int n = data_text_encode(&tc, &m->vocab, text, ids, (int)cap, err);
    if (n < 0) {
        free(ids);
        return -1;
    }
    *all = ids;
    return n;
}

dlc_status infer_classify_text(model *m, const char *text, double *p, int *n_tokens,
                               dlc_error *err)
{
    dlc_status st = need_text(m, TEXT_CLASSIFY, err);
    if (st != DLC_OK)
        return st;
    graph *g = m->g;
    graph_node *out = graph_output(g, 0);
    int K = out->shape.d[out->shape.ndim - 1], T = (int)g->nodes[0].size;
    float *ids = NULL;
    int n = encode(m, text, &ids, err);
    if (n < 0)
        return err->status ? err->status : DLC_EINPUT;
    float *x = graph_input(g, 0);
    for (int i = 0; i < T; i++)
        x[i] = i < n ? ids[i] : (float)TEXT_PAD;
    free(ids);
    graph_forward_eval(g, 1);
    const float *z = out->out;
    double mx = z[0], sum = 0;
    for (int k = 1; k < K; k++)
        mx = z[k] > mx ? z[k] : mx;
    for (int k = 0; k < K; k++)
        sum += p[k] = exp(z[k] - mx);
    for (int k = 0; k < K; k++)
        p[k] /= sum;
    *n_tokens = n;
    return DLC_OK;
}

dlc_status infer_tag_text(model *m, const char *text, int *tags, float *p, int cap, int *n_out,
                          dlc_error *err)
{
    dlc_status st = need_text(m, TEXT_TAG, err);
    if (st != DLC_OK)
        return st;
    graph *g = m->g;
    graph_node *out = graph_output(g, 0);
    int K = out->shape.d[out->shape.ndim - 1], T = (int)g->nodes[0].size;
    float *ids = NULL;
    int n = encode(m, text, &ids, err);
    if (n < 0)
        return err->status ? err->status : DLC_EINPUT;
    /* pieces of T tokens, one tag per token */
    for (int at = 0; at < n; at += T) {
        int len = n - at < T ? n - at : T;
        for (int i = 0; i < T; i++)
            graph_input(g, 0)[i] = i < len ? ids[at + i] : (float)TEXT_PAD;
        graph_forward_eval(g, 1);
        for (int i = 0; i < len && at + i < cap; i++) {
            const float *z = out->out + (size_t)i * K;
            int best = 0;
            for (int k = 1; k < K; k++)
                best = z[k] > z[best] ? k : best;
            tags[at + i] = best;
            if (p) {
                double sum = 0;
                for (int k = 0; k < K; k++)
                    sum += exp((double)z[k] - z[best]);
                p[at + i] = (float)(1.0 / sum);
            }
        }
    }
    free(ids);
    *n_out = n < cap ? n : cap;
    return DLC_OK;
}
