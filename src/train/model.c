/* model.c - building a model's graph from a config, and model files. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_FORMAT "dlc-model-1"

void model_free(model *m)
{
    if (!m)
        return;
    graph_free(m->g);
    data_norm_free(&m->norm);
    dlc_strlist_clear(&m->classes);
    dlc_strlist_clear(&m->vocab);
    free(m->config_yaml);
    memset(m, 0, sizeof *m);
}

/* The output layer's spec index (the named output or the last layer). */
static int output_layer(const dlc_config *cfg)
{
    if (cfg->outputs.n == 0)
        return cfg->n_layers - 1;
    for (int i = 0; i < cfg->n_layers; i++)
        if (strcmp(cfg->layers[i].name, cfg->outputs.v[0]) == 0)
            return i;
    return -1;
}

dlc_status model_build(model *m, const dlc_config *cfg, const tensor_shape *data_shape,
                       int n_classes, int nmax, dlc_error *err)
{
    return model_build_vocab(m, cfg, data_shape, n_classes, 0, nmax, err);
}

dlc_status model_build_vocab(model *m, const dlc_config *cfg, const tensor_shape *data_shape,
                             int n_classes, int vocab_size, int nmax, dlc_error *err)
{
    memset(m, 0, sizeof *m);
    dlc_status st = DLC_OK;
    char a[64], b[64], label[256];
    layer_spec *specs = NULL;
    m->loss = cfg->loss;
    if (cfg->outputs.n > 1) {
        st = dlc_fail(err, DLC_EINPUT, "model.outputs: one output per model for now (got %d)",
                      cfg->outputs.n);
        goto fail;
    }
    if (cfg->input.ndim > 0) {
        m->input = cfg->input;
        if (data_shape && data_shape->ndim > 0 &&
            tensor_shape_size(data_shape) != tensor_shape_size(&m->input)) {
            st = dlc_fail(err, DLC_EINPUT, "model.input %s has %zu values but the data's examples are %s (%zu values)",
                          tensor_shape_str(&m->input, a, sizeof a), tensor_shape_size(&m->input),
                          tensor_shape_str(data_shape, b, sizeof b), tensor_shape_size(data_shape));
            goto fail;
        }
    } else if (data_shape && data_shape->ndim > 0) {
        m->input = *data_shape;
    } else {
        st = dlc_fail(err, DLC_EINPUT, "model.input is not given and there is no data to take it from");
        goto fail;
    }

    m->data_shape = data_shape && data_shape->ndim > 0 ? *data_shape : m->input;

    /* fold a final softmax/sigmoid into the loss: the loss works on logits */
    specs = malloc(sizeof *specs * (size_t)cfg->n_layers);
    if (!specs) {
        st = DLC_NOMEM(err);
        goto fail;
    }
    memcpy(specs, cfg->layers, sizeof *specs * (size_t)cfg->n_layers);
    int out = output_layer(cfg);
    if (out < 0) {
        st = dlc_fail(err, DLC_EINPUT, "model.outputs: '%s' is not a layer", cfg->outputs.v[0]);
        goto fail;
    }
    /* sizes taken from the data: `vocab: auto`, and `units: auto` of the output */
    for (int i = 0; i < cfg->n_layers; i++)
        if (specs[i].op == OP_EMBEDDING && specs[i].vocab == 0)
            specs[i].vocab = vocab_size;
    if (specs[out].units == 0 && cfg->loss == LOSS_SOFTMAX_CE)
        specs[out].units = n_classes;
    m->stateful = cfg->data.format == DATA_TEXT && cfg->data.text.task == TEXT_LM &&
                  cfg->data.text.stateful;
    m->streams = cfg->train.batch_size;
    int link = loss_link(cfg->loss);
    if (link != ACT_LINEAR && (int)specs[out].activation == link) {
        specs[out].activation = ACT_LINEAR;
        m->fused_link = 1;
    }
    const char *outs[1] = {specs[out].name};
    if ((st = graph_build(&m->g, &m->input, specs, cfg->n_layers, outs, 1, nmax, err)) != DLC_OK)
        goto fail;

    graph_node *o = graph_output(m->g, 0);
    const char *why = loss_check_shape(cfg->loss, &o->shape);
    if (why) {
        st = dlc_fail(err, DLC_EINPUT, "%s: output %s does not suit loss %s: %s",
                      graph_node_label(o, label, sizeof label), tensor_shape_str(&o->shape, a, sizeof a),
                      loss_names[cfg->loss], why);
        goto fail;
    }
    int K = o->shape.d[o->shape.ndim - 1];
    if (cfg->loss == LOSS_SOFTMAX_CE && n_classes > 0 && K != n_classes) {
        st = dlc_fail(err, DLC_EINPUT, "%s: has %d output units but the data has %d classes (set units: %d)",
                      graph_node_label(o, label, sizeof label), K, n_classes, n_classes);
        goto fail;
    }
    m->n_targets = loss_target_size(cfg->loss, &o->shape);
    free(specs);
    return DLC_OK;
fail:
    free(specs);
    model_free(m);
    return st;
}

/* ---- files ---- */

static void json_int_array(dlc_buf *b, const tensor_shape *s)
{
    dlc_buf_printf(b, "[");
    for (int i = 0; i < s->ndim; i++)
        dlc_buf_printf(b, i ? ",%d" : "%d", s->d[i]);
    dlc_buf_printf(b, "]");
}

dlc_status model_save(const model *m, const char *path, dlc_error *err)
{
    const graph *g = m->g;
    dlc_status st = DLC_OK;
    int nt = g->n_params + 2;
    io_tensor *t = calloc((size_t)nt, sizeof *t);
    dlc_buf classes = {0}, input = {0}, dshape = {0}, vocab = {0};
    if (!t)
        return DLC_NOMEM(err);
    for (int i = 0; i < g->n_params; i++) {
        t[i].name = g->params[i].name;
        t[i].shape = g->params[i].shape;
        t[i].data = g->params[i].data;
    }
    tensor_shape ns = {1, {(int)m->norm.dim}};
    t[g->n_params] = (io_tensor){"norm.shift", ns, m->norm.shift};
    t[g->n_params + 1] = (io_tensor){"norm.scale", ns, m->norm.scale};
    json_write_strings(&classes, &m->classes);
    json_int_array(&input, &m->input);
    json_int_array(&dshape, &m->data_shape);
    json_write_strings(&vocab, &m->vocab);
    if (classes.failed || input.failed || dshape.failed || vocab.failed) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    io_meta meta[] = {
        {"format", MODEL_FORMAT},
        {"config", m->config_yaml ? m->config_yaml : ""},
        {"classes", classes.s},
        {"loss", loss_names[m->loss]},
        {"input", input.s},
        {"data_shape", dshape.s},
        {"vocab", vocab.s}, /* last: written only for text models */
    };
    int n_meta = (int)DLC_ARRAY_LEN(meta) - (m->vocab.n > 0 ? 0 : 1);
    st = io_safetensors_write(path, t, nt, meta, n_meta, err);
cleanup:
    free(t);
    dlc_buf_free(&classes);
    dlc_buf_free(&input);
    dlc_buf_free(&dshape);
    dlc_buf_free(&vocab);
    return st;
}

dlc_status model_copy_params(model *m, const io_st *st, const char *prefix, dlc_error *err)
{
    graph *g = m->g;
    char name[256], a[64], b[64];
    for (int i = 0; i < g->n_params; i++) {
        graph_param *p = &g->params[i];
        snprintf(name, sizeof name, "%s%s", prefix, p->name);
        const io_tensor *t = io_st_get(st, name);
        if (!t)
            return dlc_fail(err, DLC_EINPUT, "tensor '%s' is missing", name);
        if (!tensor_shape_equal(&t->shape, &p->shape))
            return dlc_fail(err, DLC_EINPUT, "tensor '%s' has shape %s, the model needs %s", name,
                            tensor_shape_str(&t->shape, a, sizeof a),
                            tensor_shape_str(&p->shape, b, sizeof b));
        memcpy(p->data, t->data, sizeof(float) * p->n);
    }
    return DLC_OK;
}

dlc_status model_load(model *m, const char *path, int nmax, dlc_error *err)
{
    return model_load_input(m, path, nmax, NULL, err);
}

/* Metadata key holding a JSON array of strings into l (absent: l stays empty). */
static dlc_status meta_strings(const io_st *st, const char *key, const char *path, dlc_strlist *l,
                               dlc_error *err)
{
    const char *text = io_st_meta(st, key);
    json_value *a = NULL;
    dlc_status s = DLC_OK;
    if (!text)
        return DLC_OK;
    if (json_parse(&a, text, strlen(text), NULL) != DLC_OK || a->type != JSON_ARRAY) {
        s = dlc_fail(err, DLC_EINPUT, "%s: metadata '%s' is not a JSON array", path, key);
        goto done;
    }
    for (int i = 0; i < a->n && !s; i++) {
        if (a->items[i]->type != JSON_STRING)
            s = dlc_fail(err, DLC_EINPUT, "%s: metadata '%s' holds a non-string", path, key);
        else
            s = dlc_strlist_push(l, a->items[i]->string, err);
    }
done:
    json_free(a);
    return s;
}

dlc_status model_load_input(model *m, const char *path, int nmax, const tensor_shape *input,
                            dlc_error *err)
{
    memset(m, 0, sizeof *m);
    io_st *st = NULL;
    json_value *classes = NULL;
    dlc_strlist vocab = {0};
    dlc_config cfg;
    int have_cfg = 0;
    dlc_status s;
    if ((s = io_safetensors_read(&st, path, err)) != DLC_OK)
        return s;
    const char *format = io_st_meta(st, "format");
    const char *text = io_st_meta(st, "config");
    const char *cls = io_st_meta(st, "classes");
    if (!format || strcmp(format, MODEL_FORMAT) != 0 || !text || !cls) {
        s = dlc_fail(err, DLC_EINPUT, "%s: not a dlc model file (format '%s')", path,
                     format ? format : "missing");
        goto fail;
    }
    char where[1100];
    snprintf(where, sizeof where, "%s (embedded config)", path);
    if ((s = config_load_string(&cfg, where, text, strlen(text), NULL, 0, err)) != DLC_OK)
        goto fail;
    have_cfg = 1;
    if ((s = json_parse(&classes, cls, strlen(cls), err)) != DLC_OK || classes->type != JSON_ARRAY) {
        s = dlc_fail(err, DLC_EINPUT, "%s: metadata 'classes' is not a JSON array", path);
        goto fail;
    }
    /* the input shape is stored; the config may leave it to the data */
    const io_tensor *shift = io_st_get(st, "norm.shift"), *scale = io_st_get(st, "norm.scale");
    if (!shift || !scale || shift->shape.ndim != 1 || !tensor_shape_equal(&shift->shape, &scale->shape)) {
        s = dlc_fail(err, DLC_EINPUT, "%s: normalization tensors are missing or malformed", path);
        goto fail;
    }
    tensor_shape data_shape = {0};
    const char *in = io_st_meta(st, "data_shape");
    if (!in)
        in = io_st_meta(st, "input"); /* files from before data_shape was stored */
    json_value *dims = NULL;
    if (in && json_parse(&dims, in, strlen(in), NULL) == DLC_OK && dims->type == JSON_ARRAY &&
        dims->n >= 1 && dims->n <= TENSOR_MAX_DIMS) {
        data_shape.ndim = dims->n;
        for (int i = 0; i < dims->n; i++)
            data_shape.d[i] = dims->items[i]->type == JSON_NUMBER ? (int)dims->items[i]->number : 0;
    }
    json_free(dims);
    if (input)
        data_shape = *input;
    if ((s = meta_strings(st, "vocab", path, &vocab, err)) != DLC_OK)
        goto fail;
    if ((s = model_build_vocab(m, &cfg, &data_shape, cfg.loss == LOSS_SOFTMAX_CE ? classes->n : 0,
                               vocab.n, nmax, err)) != DLC_OK) {
        dlc_error_prefix(err, "%s", path);
        goto fail;
    }
    m->vocab = vocab;
    vocab = (dlc_strlist){0};
    if (!input && (size_t)shift->shape.d[0] != tensor_shape_size(&m->input)) {
        s = dlc_fail(err, DLC_EINPUT, "%s: normalization has %d values, the input %zu", path,
                     shift->shape.d[0], tensor_shape_size(&m->input));
        goto fail;
    }
    if ((s = model_copy_params(m, st, "", err)) != DLC_OK) {
        dlc_error_prefix(err, "%s", path);
        goto fail;
    }
    if (input) {
        if ((s = data_norm_init(&m->norm, NORM_NONE, tensor_shape_size(&m->input), err)) != DLC_OK)
            goto fail;
    } else {
        if ((s = data_norm_init(&m->norm, NORM_STANDARD, (size_t)shift->shape.d[0], err)) != DLC_OK)
            goto fail;
        memcpy(m->norm.shift, shift->data, sizeof(float) * m->norm.dim);
        memcpy(m->norm.scale, scale->data, sizeof(float) * m->norm.dim);
        m->norm.kind = cfg.data.format == DATA_TEXT ? NORM_NONE : cfg.data.normalize;
    }
    for (int i = 0; i < classes->n; i++) {
        if (classes->items[i]->type != JSON_STRING) {
            s = dlc_fail(err, DLC_EINPUT, "%s: metadata 'classes' holds a non-string", path);
            goto fail;
        }
        if ((s = dlc_strlist_push(&m->classes, classes->items[i]->string, err)) != DLC_OK)
            goto fail;
    }
    if (!(m->config_yaml = strdup(text))) {
        s = DLC_NOMEM(err);
        goto fail;
    }
    json_free(classes);
    config_free(&cfg);
    io_st_free(st);
    return DLC_OK;
fail:
    json_free(classes);
    dlc_strlist_clear(&vocab);
    if (have_cfg)
        config_free(&cfg);
    io_st_free(st);
    model_free(m);
    return s;
}

/* ---- running over a split ---- */

/* A stateful language model: the split as g->nmax runs side by side, the
 * state carried from batch to batch. */
static void model_run_streams(model *m, const data_split *s, float *t, model_batch_fn fn, void *user)
{
    graph *g = m->g;
    data_bundle plan_of = {.text = 1, .text_task = TEXT_LM, .stateful = 1};
    int *order = malloc(sizeof(int) * (size_t)s->n), *starts = malloc(sizeof(int) * (size_t)(s->n + 1));
    if (order && starts) {
        int B = m->streams > 0 && m->streams < g->nmax ? m->streams : g->nmax;
        int nb = data_plan(&plan_of, s, B, NULL, order, starts);
        for (int b = 0; b < nb; b++) {
            int N = starts[b + 1] - starts[b];
            data_gather(s, order, starts[b], N, &m->norm, graph_input(g, 0), t);
            g->carry = b > 0;
            graph_forward(g, N, 0);
            fn(user, graph_output(g, 0)->out, t, -1, N);
        }
    }
    g->carry = 0;
    free(order);
    free(starts);
}

void model_run(model *m, const data_split *s, float *t, model_batch_fn fn, void *user)
{
    graph *g = m->g;
    if (m->stateful && s->n > 0) {
        model_run_streams(m, s, t, fn, user);
        return;
    }
    for (int start = 0; start < s->n; start += g->nmax) {
        int N = s->n - start < g->nmax ? s->n - start : g->nmax;
        data_gather(s, NULL, start, N, &m->norm, graph_input(g, 0), t);
        graph_forward(g, N, 0);
        fn(user, graph_output(g, 0)->out, t, start, N);
    }
}

typedef struct {
    model *m;
    loss_stats st;
} eval_acc;

static void eval_batch(void *user, const float *out, const float *targets, int start, int N)
{
    eval_acc *e = user;
    loss_compute(e->m->loss, NULL, out, targets, N, &graph_output(e->m->g, 0)->shape, 1.0f, &e->st);
}

void model_evaluate(model *m, const data_split *s, float *t, double *loss, double *accuracy)
{
    eval_acc e = {.m = m};
    if (s->n > 0)
        model_run(m, s, t, eval_batch, &e);
    *loss = e.st.count > 0 ? e.st.sum / e.st.count : NAN;
    *accuracy = e.st.judged > 0 ? e.st.correct / e.st.judged : NAN;
}
