/* model.c - building a model's graph from a config, and model files. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MODEL_FORMAT "dlc-model-1"

void model_free(model *m)
{
    if (!m)
        return;
    graph_free(m->g);
    data_norm_free(&m->norm);
    for (int h = 0; h < MODEL_MAX_HEADS; h++) {
        dlc_strlist_clear(&m->heads[h].classes);
        dlc_strlist_clear(&m->heads[h].tasks);
    }
    tensor_free(m->head_t);
    free(m->tshift);
    free(m->tscale);
    free(m->loss_scratch);
    dlc_strlist_clear(&m->vocab);
    dlc_strlist_clear(&m->features);
    dlc_strlist_clear(&m->label_columns);
    free(m->config_yaml);
    memset(m, 0, sizeof *m);
}

dlc_status model_load_data(data_bundle *b, const dlc_config *cfg, dlc_error *err)
{
    static const data_target mode[LOSS_TARGET_COUNT] = {
        [LOSS_TARGET_CLASS] = DATA_TARGET_CLASS,
        [LOSS_TARGET_BINARY] = DATA_TARGET_BINARY,
        [LOSS_TARGET_NUMERIC] = DATA_TARGET_NUMERIC,
        [LOSS_TARGET_OBJECTS] = DATA_TARGET_OBJECTS,
    };
    if (cfg->no_data)
        return dlc_fail(err, DLC_EINPUT, "%s: the config has no data: section (a style transfer "
                                         "config: run it with dlc stylize)", cfg->path);
    data_target_spec want[MODEL_MAX_HEADS];
    for (int h = 0; h < cfg->n_heads && h < MODEL_MAX_HEADS; h++) {
        const head_spec *hs = &cfg->heads[h];
        dlc_strlcpy(want[h].name, hs->target[0] ? hs->target : hs->name, sizeof want[h].name);
        want[h].mode = mode[loss_get(hs->loss)->target];
        /* pairs are drawn by class; their same / different targets come from it */
        if (cfg->data.sampler.kind == DATA_SAMPLER_PAIRS)
            want[h].mode = DATA_TARGET_CLASS;
    }
    /* outputs that share the one class label read it as one head's */
    return data_load_heads(b, &cfg->data, want, config_shares_label(cfg) ? 1 : cfg->n_heads,
                           cfg->seed, err);
}

/* data.normalize_targets: each mse head's target columns' mean and
 * standard deviation over the train split (known values), as the input's
 * normalization is fitted; other columns pass as they are. */
static dlc_status model_fit_targets(model *m, const data_bundle *b, dlc_error *err)
{
    const size_t T = m->n_targets;
    const data_split *tr = &b->split[DATA_SPLIT_TRAIN];
    m->tshift = calloc(T ? T : 1, sizeof(float));
    m->tscale = malloc(sizeof(float) * (T ? T : 1));
    double *sum = calloc(T ? T : 1, sizeof(double)), *sq = calloc(T ? T : 1, sizeof(double));
    long *n = calloc(T ? T : 1, sizeof(long));
    dlc_status s = DLC_OK;
    if (!m->tshift || !m->tscale || !sum || !sq || !n) {
        s = DLC_NOMEM(err);
        goto done;
    }
    for (size_t j = 0; j < T; j++)
        m->tscale[j] = 1.0f;
    for (int h = 0; h < m->n_heads; h++) {
        const model_head *mh = &m->heads[h];
        if (mh->loss != LOSS_MSE)
            continue;
        for (int i = 0; tr->ds && i < tr->n; i++) {
            const float *t = tr->ds->targets + (size_t)tr->idx[i] * tr->ds->n_targets + mh->target_off;
            for (size_t k = 0; k < mh->n_targets; k++)
                if (!isnan(t[k])) {
                    sum[mh->target_off + k] += t[k];
                    sq[mh->target_off + k] += (double)t[k] * t[k];
                    n[mh->target_off + k]++;
                }
        }
        for (size_t k = 0; k < mh->n_targets; k++) {
            size_t j = (size_t)mh->target_off + k;
            if (!n[j])
                continue;
            double mean = sum[j] / (double)n[j], var = sq[j] / (double)n[j] - mean * mean;
            m->tshift[j] = (float)mean;
            m->tscale[j] = var > 1e-12 * (1.0 + mean * mean) ? (float)(1.0 / sqrt(var)) : 1.0f;
        }
    }
done:
    free(sum);
    free(sq);
    free(n);
    return s;
}

dlc_status model_build_for(model *m, const dlc_config *cfg, const data_bundle *b, int nmax,
                           dlc_error *err)
{
    graph_build_options o;
    graph_build_defaults(&o, nmax);
    return model_build_for_opts(m, cfg, b, &o, err);
}

dlc_status model_build_for_opts(model *m, const dlc_config *cfg, const data_bundle *b,
                                const graph_build_options *o, dlc_error *err)
{
    int n_classes[MODEL_MAX_HEADS] = {0};
    dlc_status s;
    const int shared = config_shares_label(cfg); /* every output reads b->heads[0] */
    for (int h = 0; h < (shared ? cfg->n_heads : b->n_heads) && h < MODEL_MAX_HEADS; h++)
        if (model_loss_has_classes(cfg->heads[h].loss))
            n_classes[h] = b->heads[shared ? 0 : h].class_names.n;
    if ((s = model_build_opts(m, cfg, &b->shape, n_classes, b->vocab.n, o, err)) != DLC_OK)
        return s;
    if ((s = dlc_strlist_copy(&m->vocab, &b->vocab, err)) != DLC_OK)
        goto fail;
    /* the feature columns in the order the model reads them */
    if (b->src[0] && b->src[0]->columns.n > 0) {
        dlc_strlist_clear(&m->features);
        if ((s = dlc_strlist_copy(&m->features, &b->src[0]->columns, err)) != DLC_OK)
            goto fail;
    }
    for (int h = 0; h < m->n_heads; h++) {
        const data_head *dh = &b->heads[shared ? 0 : h];
        model_head *mh = &m->heads[h];
        int node = graph_find(m->g, mh->name);
        if ((size_t)dh->count < mh->n_targets && node >= 0 && m->g->nodes[node].seq) {
            /* Keras' recurrent layers return the last state by default, dlc's
             * every step: a dense after one then predicts per step */
            char label[512];
            graph_node_label(&m->g->nodes[node], label, sizeof label);
            s = dlc_fail(err, DLC_EINPUT,
                         "%s: the output gives one prediction per time step (%zu), but the data "
                         "has %d target%s per example: its input is a sequence (dlc's recurrent "
                         "layers default to return_sequences: true, unlike Keras'); set "
                         "return_sequences: false on the last recurrent layer, or pool over time "
                         "first ({type: time_maxpool} or time_avgpool)",
                         label, mh->n_targets, dh->count, dh->count == 1 ? "" : "s");
            goto fail;
        }
        if (mh->n_targets != (size_t)dh->count) {
            /* two sigmoid units for one yes/no label: Keras' Dense(2) beside a
             * binary cross-entropy */
            int binary = mh->loss == LOSS_SIGMOID_BCE && dh->count == 1 && mh->n_targets == 2;
            /* Keras' Dense on an image without Flatten: one prediction per row */
            char shape[64] = "", flat[200] = "";
            const graph_node *on = node >= 0 ? &m->g->nodes[node] : NULL;
            if (on && !on->seq && on->shape.ndim >= 2 && dh->count == 1) {
                snprintf(flat, sizeof flat, "; its output is %s: a dense layer acts on the last "
                         "axis only, so on an image it predicts per row: a {type: flatten} before "
                         "the dense layers gives one prediction per example",
                         tensor_shape_str(&on->shape, shape, sizeof shape));
            }
            s = dlc_fail(err, DLC_EINPUT,
                         "output '%s' needs %zu targets per example for %s, the data gives %d "
                         "(check its layer's units and data.label%s%s)",
                         mh->name, mh->n_targets, loss_names[mh->loss], dh->count,
                         binary ? "; one label of two classes is 1 unit with sigmoid_bce, or 2 "
                                  "units with softmax_cross_entropy" : "", flat);
            goto fail;
        }
        if ((s = dlc_strlist_copy(&mh->classes, &dh->class_names, err)) != DLC_OK)
            goto fail;
        if (!loss_get(mh->loss)->has_classes && dh->columns.n > 0 &&
            (s = dlc_strlist_copy(&mh->tasks, &dh->columns, err)) != DLC_OK)
            goto fail;
    }
    if ((size_t)b->n_targets != m->n_targets) {
        s = dlc_fail(err, DLC_EINPUT, "the model's outputs need %zu targets per example, the data "
                                      "gives %d", m->n_targets, b->n_targets);
        goto fail;
    }
    if (cfg->data.normalize_targets) {
        /* a key that would change nothing is refused, as data.balance is */
        int mse = 0;
        for (int h = 0; h < m->n_heads; h++)
            mse += m->heads[h].loss == LOSS_MSE;
        if (!mse) {
            s = dlc_fail(err, DLC_EINPUT, "data.normalize_targets: standard standardizes the "
                         "targets of mse outputs, and this model has none (its first output's "
                         "loss is %s): leave it out", loss_names[m->heads[0].loss]);
            goto fail;
        }
        if ((s = model_fit_targets(m, b, err)) != DLC_OK)
            goto fail;
    }
    if ((s = data_norm_init(&m->norm, b->norm.kind, b->dim, err)) != DLC_OK)
        goto fail;
    memcpy(m->norm.shift, b->norm.shift, sizeof(float) * b->dim);
    memcpy(m->norm.scale, b->norm.scale, sizeof(float) * b->dim);
    if (b->norm.fill) { /* data.missing: mean */
        if (!(m->norm.fill = malloc(sizeof(float) * b->dim))) {
            s = DLC_NOMEM(err);
            goto fail;
        }
        memcpy(m->norm.fill, b->norm.fill, sizeof(float) * b->dim);
    }
    return DLC_OK;
fail:
    model_free(m);
    return s;
}

/* 1 when node id owns parameters (not buffers, not another layer's shared ones). */
static int owns_params(const graph *g, int id)
{
    for (int k = 0; k < g->n_params; k++)
        if (g->params[k].node == id && !g->params[k].buffer)
            return 1;
    return 0;
}

/* freeze: {all_but_last: K}: every layer with parameters but the last K (in
 * topological order, which follows the config's) stops learning. */
static dlc_status freeze_all_but_last(graph *g, int K, dlc_error *err)
{
    int keep = K, n = 0;
    int *nodes = malloc(sizeof *nodes * (size_t)g->n_nodes);
    if (!nodes)
        return DLC_NOMEM(err);
    for (int i = g->n_nodes - 1; i >= g->n_inputs; i--) {
        if (!owns_params(g, i))
            continue;
        if (keep > 0)
            keep--;
        else
            nodes[n++] = i;
    }
    graph_freeze_nodes(g, nodes, n);
    free(nodes);
    return DLC_OK;
}

int model_loss_has_classes(loss_kind k)
{
    const loss_def *L = loss_get(k);
    return L->has_classes || L->target == LOSS_TARGET_OBJECTS;
}

static int layer_index(const dlc_config *cfg, const char *name)
{
    for (int i = 0; i < cfg->n_layers; i++)
        if (strcmp(cfg->layers[i].name, name) == 0)
            return i;
    return -1;
}

dlc_status model_build(model *m, const dlc_config *cfg, const tensor_shape *data_shape,
                       int n_classes, int nmax, dlc_error *err)
{
    int classes[MODEL_MAX_HEADS] = {n_classes};
    return model_build_vocab(m, cfg, data_shape, classes, 0, nmax, err);
}

dlc_status model_build_vocab(model *m, const dlc_config *cfg, const tensor_shape *data_shape,
                             const int *n_classes, int vocab_size, int nmax, dlc_error *err)
{
    graph_build_options o;
    graph_build_defaults(&o, nmax);
    return model_build_opts(m, cfg, data_shape, n_classes, vocab_size, &o, err);
}

dlc_status model_build_opts(model *m, const dlc_config *cfg, const tensor_shape *data_shape,
                            const int *n_classes, int vocab_size, const graph_build_options *gopt,
                            dlc_error *err)
{
    memset(m, 0, sizeof *m);
    dlc_status st = DLC_OK;
    char a[64], b[64], label[256];
    layer_spec *specs = NULL;
    if (cfg->n_layers == 0) {
        st = dlc_fail(err, DLC_EINPUT, "%s: the config has no model%s", cfg->path[0] ? cfg->path : cfg->name,
                      cfg->embed.on ? ": its embed: section learns word vectors (run dlc embed)" : "");
        goto fail;
    }
    if (cfg->n_heads < 1 || cfg->n_heads > MODEL_MAX_HEADS) {
        st = dlc_fail(err, DLC_EINPUT, "model.outputs: 1 to %d outputs, got %d", MODEL_MAX_HEADS,
                      cfg->n_heads);
        goto fail;
    }
    if (cfg->input.ndim > 0) {
        m->input = cfg->input;
        if (data_shape && data_shape->ndim > 0 &&
            tensor_shape_size(data_shape) != tensor_shape_size(&m->input)) {
            /* a pair model's example is two stacked on the first axis: the
             * image's own shape is the natural guess */
            char pairs[160] = "";
            if (cfg->data.sampler.kind == DATA_SAMPLER_PAIRS &&
                2 * tensor_shape_size(&m->input) == tensor_shape_size(data_shape))
                snprintf(pairs, sizeof pairs, " (data.sampler pairs stacks two examples on the "
                         "first axis: model.input %s)", tensor_shape_str(data_shape, label, sizeof label));
            st = dlc_fail(err, DLC_EINPUT,
                          "%s%skey 'model.input': %s has %zu values but the data's examples are %s "
                          "(%zu values); without model.input (or with --set model.input=null) the data's shape "
                          "is taken%s",
                          cfg->path, cfg->path[0] ? ": " : "", tensor_shape_str(&m->input, a, sizeof a),
                          tensor_shape_size(&m->input), tensor_shape_str(data_shape, b, sizeof b),
                          tensor_shape_size(data_shape), pairs);
            goto fail;
        }
        /* Keras' order: images as (height, width, channels) read as
         * channels first would take each pixel row for a channel, and a
         * model whose layers happen to fit trains on that in silence */
        const int *d = data_shape ? data_shape->d : NULL, *in = m->input.d;
        if (d && data_shape->ndim == 3 && m->input.ndim == 3 && !tensor_shape_equal(data_shape, &m->input) &&
            in[0] == d[1] && in[1] == d[2] && in[2] == d[0]) {
            st = dlc_fail(err, DLC_EINPUT,
                          "%s%skey 'model.input': %s lists the channels last (Keras' order); dlc's "
                          "inputs are (channels, height, width), as PyTorch's: model.input [%d, %d, %d]",
                          cfg->path, cfg->path[0] ? ": " : "", tensor_shape_str(&m->input, a, sizeof a),
                          d[0], d[1], d[2]);
            goto fail;
        }
    } else if (data_shape && data_shape->ndim > 0) {
        m->input = *data_shape;
    } else {
        st = dlc_fail(err, DLC_EINPUT, "model.input is not given and there is no data to take it from");
        goto fail;
    }

    m->data_shape = data_shape && data_shape->ndim > 0 ? *data_shape : m->input;

    specs = malloc(sizeof *specs * (size_t)cfg->n_layers);
    if (!specs) {
        st = DLC_NOMEM(err);
        goto fail;
    }
    memcpy(specs, cfg->layers, sizeof *specs * (size_t)cfg->n_layers);
    /* sizes taken from the data: `vocab: auto` */
    for (int i = 0; i < cfg->n_layers; i++)
        if ((specs[i].op == OP_EMBEDDING || specs[i].op == OP_WORD_CHARS) && specs[i].vocab == 0)
            specs[i].vocab = vocab_size;
    const char *outs[MODEL_MAX_HEADS];
    m->n_heads = cfg->n_heads;
    for (int h = 0; h < cfg->n_heads; h++) {
        const head_spec *hs = &cfg->heads[h];
        model_head *mh = &m->heads[h];
        int out = layer_index(cfg, hs->layer);
        if (out < 0) {
            st = dlc_fail(err, DLC_EINPUT, "model.outputs.%d: '%s' is not a layer", h, hs->layer);
            goto fail;
        }
        const loss_def *L = loss_get(hs->loss);
        dlc_strlcpy(mh->name, hs->name, sizeof mh->name);
        mh->loss = hs->loss;
        mh->weight = (float)hs->weight;
        mh->opts = hs->opts;
        mh->opts.classes = L->target == LOSS_TARGET_OBJECTS && n_classes ? n_classes[h] : 0;
        mh->opts.objects = cfg->data.detection.max_objects;
        mh->opts.landmarks = cfg->data.detection.landmarks;
        mh->score = hs->score;
        mh->nms_iou = hs->nms_iou;
        mh->opts.margin = hs->margin >= 0 ? hs->margin : NAN;
        mh->opts.mining = (loss_mining)cfg->data.sampler.mining;
        mh->opts.average = hs->average;
        mh->opts.seed = 0;
        /* a head's `units: auto` takes its classes */
        if (specs[out].units == 0 && L->has_classes && n_classes)
            specs[out].units = n_classes[h];
        /* fold a final softmax/sigmoid into the loss: the loss works on logits */
        if (L->link != ACT_LINEAR && (int)specs[out].activation == L->link) {
            specs[out].activation = ACT_LINEAR;
            mh->fused_link = 1;
        }
        outs[h] = specs[out].name;
    }
    m->stateful = cfg->data.format == DATA_TEXT && cfg->data.text.task == TEXT_LM &&
                  cfg->data.text.stateful;
    m->text = cfg->data.format == DATA_TEXT;
    m->text_cfg = cfg->data.text;
    m->csv = data_csv_dialect_of(&cfg->data);
    m->text_cfg.vocab = NULL;
    if ((st = dlc_strlist_copy(&m->features, &cfg->data.features, err)) != DLC_OK)
        goto fail;
    for (int i = 0; i < cfg->data.n_labels && st == DLC_OK; i++)
        for (int j = 0; j < cfg->data.labels[i].columns.n && st == DLC_OK; j++)
            st = dlc_strlist_push(&m->label_columns, cfg->data.labels[i].columns.v[j], err);
    if (st != DLC_OK)
        goto fail;
    m->streams = cfg->train.batch_size;
    m->stack = cfg->data.sampler.kind == DATA_SAMPLER_PAIRS ? 2 : 1;
    m->verify_threshold = NAN;
    m->steps = -1;
    dlc_strlcpy(m->embedding, cfg->embedding, sizeof m->embedding);
    if (m->embedding[0] && layer_index(cfg, m->embedding) < 0) {
        st = dlc_fail(err, DLC_EINPUT, "model.embedding: no layer is named '%s'", m->embedding);
        goto fail;
    }
    if ((st = graph_build_opts(&m->g, &m->input, specs, cfg->n_layers, outs, cfg->n_heads, gopt, err)) !=
        DLC_OK)
        goto fail;

    if (cfg->freeze_all_but_last >= 0 &&
        (st = freeze_all_but_last(m->g, cfg->freeze_all_but_last, err)) != DLC_OK)
        goto fail;
    if ((st = model_set_decay(m->g, &cfg->train.no_decay, err)) != DLC_OK)
        goto fail;
    /* the embedding is read after a pass: the plan keeps it whole */
    if (m->embedding[0] && (st = graph_keep_output(m->g, graph_find(m->g, m->embedding), err)) != DLC_OK)
        goto fail;
    long objects_off = -1; /* detection heads share the image's object list */
    for (int h = 0; h < m->n_heads; h++) {
        model_head *mh = &m->heads[h];
        const loss_def *L = loss_get(mh->loss);
        graph_node *o = graph_output(m->g, h);
        const char *why = L->check_shape(&o->shape, &mh->opts);
        if (why) {
            /* detection: the numbers the rule asks for, as this data and config have them */
            const loss_opts *lo = &mh->opts;
            char want[96] = "";
            if (L->target == LOSS_TARGET_OBJECTS && lo->n_anchors > 0 && lo->classes > 0)
                snprintf(want, sizeof want, " (here %d anchors x (5 + %d classes) = %d)",
                         lo->n_anchors, lo->classes, lo->n_anchors * (5 + lo->classes));
            st = dlc_fail(err, DLC_EINPUT, "%s: output %s does not suit loss %s: %s%s",
                          graph_node_label(o, label, sizeof label),
                          tensor_shape_str(&o->shape, a, sizeof a), L->name, why, want);
            goto fail;
        }
        int K = o->shape.d[o->shape.ndim - 1];
        if (L->has_classes && n_classes && n_classes[h] > 0 && K != n_classes[h]) {
            /* with several outputs, say which loss it has: an output named
             * without one takes the top-level loss */
            char which[256] = "";
            if (m->n_heads > 1)
                snprintf(which, sizeof which,
                         "; it is output '%s' of model.outputs, with loss %s (an output without "
                         "`loss:` takes the top-level one; a layer only read, not trained on, is "
                         "model.embedding)", mh->name, L->name);
            st = dlc_fail(err, DLC_EINPUT,
                          "%s: has %d output units but the data has %d classes (set units: %d)%s",
                          graph_node_label(o, label, sizeof label), K, n_classes[h], n_classes[h],
                          which);
            goto fail;
        }
        mh->n_targets = L->target_size(&o->shape, &mh->opts);
        if (mh->loss == LOSS_YOLO)
            mh->opts.grid = o->shape.d[1];
        if (L->target == LOSS_TARGET_OBJECTS && objects_off >= 0) {
            mh->target_off = (size_t)objects_off;
            continue;
        }
        if (h > 0 && config_shares_label(cfg)) { /* the one class id, read by every output */
            mh->target_off = 0;
            continue;
        }
        if (L->target == LOSS_TARGET_OBJECTS)
            objects_off = (long)m->n_targets;
        mh->target_off = m->n_targets;
        m->n_targets += mh->n_targets;
    }
    if (!gopt->measure && !(m->head_t = tensor_alloc((size_t)m->g->eval_max * (m->n_targets ? m->n_targets : 1)))) {
        st = DLC_NOMEM(err);
        goto fail;
    }
    size_t scratch = 0;
    for (int h = 0; h < m->n_heads; h++) {
        size_t need = loss_scratch_size(m->heads[h].loss, m->g->eval_max);
        scratch = need > scratch ? need : scratch;
    }
    if (scratch && !(m->loss_scratch = malloc(sizeof(double) * scratch))) {
        st = DLC_NOMEM(err);
        goto fail;
    }
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

void model_heads_json(dlc_buf *b, const model *m)
{
    dlc_buf_printf(b, "[");
    for (int h = 0; h < m->n_heads; h++) {
        const model_head *mh = &m->heads[h];
        dlc_buf_printf(b, "%s{\"name\": ", h ? ", " : "");
        json_write_string(b, mh->name);
        dlc_buf_printf(b, ", \"loss\": \"%s\", \"classes\": ", loss_names[mh->loss]);
        json_write_strings(b, &mh->classes);
        dlc_buf_printf(b, ", \"tasks\": ");
        json_write_strings(b, &mh->tasks);
        dlc_buf_printf(b, "}");
    }
    dlc_buf_printf(b, "]");
}

dlc_status model_save(const model *m, const char *path, dlc_error *err)
{
    const graph *g = m->g;
    dlc_status st = DLC_OK;
    int nt = g->n_params + 2 + (m->norm.fill != NULL) + 2 * (m->tshift != NULL);
    io_tensor *t = calloc((size_t)nt, sizeof *t);
    dlc_buf classes = {0}, input = {0}, dshape = {0}, vocab = {0}, heads = {0}, features = {0};
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
    int at = g->n_params + 2;
    if (m->norm.fill) /* what a missing feature value stands for (data.missing: mean) */
        t[at++] = (io_tensor){"norm.fill", ns, m->norm.fill};
    tensor_shape ts = {1, {(int)m->n_targets}};
    if (m->tshift) { /* data.normalize_targets */
        t[at++] = (io_tensor){"target.shift", ts, m->tshift};
        t[at++] = (io_tensor){"target.scale", ts, m->tscale};
    }
    json_write_strings(&classes, &m->heads[0].classes);
    json_int_array(&input, &m->input);
    json_int_array(&dshape, &m->data_shape);
    json_write_strings(&vocab, &m->vocab);
    model_heads_json(&heads, m);
    json_write_strings(&features, &m->features);
    if (classes.failed || input.failed || dshape.failed || vocab.failed || heads.failed ||
        features.failed) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    char threshold[40], steps[24];
    snprintf(threshold, sizeof threshold, "%.9g", m->verify_threshold);
    snprintf(steps, sizeof steps, "%ld", m->steps);
    io_meta meta[] = {
        {"format", MODEL_FORMAT},
        {"config", m->config_yaml ? m->config_yaml : ""},
        {"classes", classes.s},
        {"loss", loss_names[m->heads[0].loss]},
        {"heads", heads.s},
        {"features", features.s},
        {"input", input.s},
        {"data_shape", dshape.s},
        {NULL, NULL},  /* the optional ones, when they apply */
        {NULL, NULL},
        {NULL, NULL},
        {NULL, NULL},
        {NULL, NULL},
        {NULL, NULL},
    };
    int n_meta = (int)DLC_ARRAY_LEN(meta) - 6;
    char epoch[24], epochs[24];
    snprintf(epoch, sizeof epoch, "%d", m->weights_epoch);
    snprintf(epochs, sizeof epochs, "%d", m->epochs_trained);
    if (m->weights_epoch > 0) {
        meta[n_meta++] = (io_meta){"epoch", epoch};
        meta[n_meta++] = (io_meta){"epochs", epochs};
        meta[n_meta++] = (io_meta){"epoch_kept", m->weights_best ? "best" : "last"};
    }
    if (m->vocab.n > 0)
        meta[n_meta++] = (io_meta){"vocab", vocab.s};
    if (isfinite(m->verify_threshold))
        meta[n_meta++] = (io_meta){"verify_threshold", threshold};
    if (m->steps >= 0)
        meta[n_meta++] = (io_meta){"steps", steps};
    st = io_safetensors_write(path, t, nt, meta, n_meta, err);
cleanup:
    free(t);
    dlc_buf_free(&classes);
    dlc_buf_free(&input);
    dlc_buf_free(&dshape);
    dlc_buf_free(&vocab);
    dlc_buf_free(&heads);
    dlc_buf_free(&features);
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

/* A JSON array of strings a (NULL: none) into l; what names it in messages. */
static dlc_status json_strings(const json_value *a, const char *path, const char *what,
                               dlc_strlist *l, dlc_error *err)
{
    dlc_status s = DLC_OK;
    if (!a)
        return DLC_OK;
    if (a->type != JSON_ARRAY)
        return dlc_fail(err, DLC_EINPUT, "%s: metadata '%s' is not a JSON array", path, what);
    for (int i = 0; i < a->n && !s; i++) {
        if (a->items[i]->type != JSON_STRING)
            s = dlc_fail(err, DLC_EINPUT, "%s: metadata '%s' holds a non-string", path, what);
        else
            s = dlc_strlist_push(l, a->items[i]->string, err);
    }
    return s;
}

/* Metadata key holding a JSON array of strings into l (absent: l stays empty). */
static dlc_status meta_strings(const io_st *st, const char *key, const char *path, dlc_strlist *l,
                               dlc_error *err)
{
    const char *text = io_st_meta(st, key);
    json_value *a = NULL;
    if (!text)
        return DLC_OK;
    if (json_parse(&a, text, strlen(text), NULL) != DLC_OK)
        return dlc_fail(err, DLC_EINPUT, "%s: metadata '%s' is not JSON", path, key);
    dlc_status s = json_strings(a, path, key, l, err);
    json_free(a);
    return s;
}

/* Class and task names per head: "heads" (or, in files from before it,
 * "classes" for the one head) into names[h][0] classes, names[h][1] tasks. */
static dlc_status meta_heads(const io_st *st, const char *path, int n_heads,
                             dlc_strlist (*names)[2], dlc_error *err)
{
    const char *text = io_st_meta(st, "heads");
    if (!text)
        return meta_strings(st, "classes", path, &names[0][0], err);
    json_value *a = NULL;
    dlc_status s = DLC_OK;
    if (json_parse(&a, text, strlen(text), NULL) != DLC_OK || a->type != JSON_ARRAY ||
        a->n != n_heads) {
        s = dlc_fail(err, DLC_EINPUT, "%s: metadata 'heads' is not an array of the model's %d "
                                      "outputs", path, n_heads);
        goto done;
    }
    for (int h = 0; h < n_heads && s == DLC_OK; h++) {
        const json_value *o = a->items[h];
        if (o->type != JSON_OBJECT) {
            s = dlc_fail(err, DLC_EINPUT, "%s: metadata 'heads' holds a non-object", path);
            break;
        }
        s = json_strings(json_get(o, "classes"), path, "heads.classes", &names[h][0], err);
        if (s == DLC_OK)
            s = json_strings(json_get(o, "tasks"), path, "heads.tasks", &names[h][1], err);
    }
done:
    json_free(a);
    return s;
}

/* ---- a model file's metadata, checked before it is used ---- */

enum { MODEL_MAX_DIM = 1 << 24, MODEL_MAX_CLASSES = 1 << 20 };

/* "data_shape" / "input": a JSON array of 1..TENSOR_MAX_DIMS whole numbers
 * in 1..MODEL_MAX_DIM (a cast used to turn 1e300 into a shape). */
static dlc_status model_meta_shape(const char *in, const char *path, tensor_shape *shape,
                                   dlc_error *err)
{
    json_value *dims = NULL;
    dlc_status s = DLC_OK;
    size_t total = 1;
    if (json_parse(&dims, in, strlen(in), NULL) != DLC_OK || dims->type != JSON_ARRAY ||
        dims->n < 1 || dims->n > TENSOR_MAX_DIMS) {
        s = dlc_fail(err, DLC_EINPUT, "%s: metadata 'data_shape' is not a list of 1 to %d sizes",
                     path, TENSOR_MAX_DIMS);
        goto done;
    }
    shape->ndim = dims->n;
    for (int i = 0; i < dims->n; i++) {
        const json_value *d = dims->items[i];
        if (d->type != JSON_NUMBER || !(d->number >= 1 && d->number <= MODEL_MAX_DIM) ||
            d->number != (double)(int)d->number || (total *= (size_t)d->number) > MODEL_MAX_DIM) {
            s = dlc_fail(err, DLC_EINPUT, "%s: metadata 'data_shape' size %d is not a whole number "
                         "from 1 to %d (or the sizes multiply past it)", path, i, MODEL_MAX_DIM);
            goto done;
        }
        shape->d[i] = (int)d->number;
    }
done:
    json_free(dims);
    return s;
}

/* A head's class names: at most MODEL_MAX_CLASSES, none twice (labels are
 * mapped through them by name, so a name twice would be ambiguous). */
static dlc_status model_check_classes(const dlc_strlist *classes, const char *path, dlc_error *err)
{
    if (classes->n > MODEL_MAX_CLASSES)
        return dlc_fail(err, DLC_EINPUT, "%s: metadata lists %d classes, more than %d", path,
                        classes->n, MODEL_MAX_CLASSES);
    dlc_index ix;
    if (dlc_index_init(&ix, (size_t)classes->n, err) != DLC_OK)
        return DLC_ENOMEM;
    dlc_status s = DLC_OK;
    for (int i = 0; i < classes->n && s == DLC_OK; i++)
        if (dlc_index_put(&ix, classes->v[i], i) != -1)
            s = dlc_fail(err, DLC_EINPUT, "%s: metadata names the class '%.60s' twice", path,
                         classes->v[i]);
    dlc_index_free(&ix);
    return s;
}

/* The normalization must be finite, or every prediction is NaN. */
static dlc_status model_check_norm(const io_tensor *shift, const io_tensor *scale, const char *path,
                                   dlc_error *err)
{
    for (int i = 0; i < shift->shape.d[0]; i++)
        if (!isfinite(shift->data[i]) || !isfinite(scale->data[i]))
            return dlc_fail(err, DLC_EINPUT, "%s: normalization value %d is not finite (shift %g, "
                            "scale %g)", path, i, (double)shift->data[i], (double)scale->data[i]);
    return DLC_OK;
}

/* After a failed read of a run's model.safetensors that is not there: when a
 * dlc train holds the run folder's lock, the run is still training; when a
 * checkpoint sits beside it, the run was stopped before it ended (Ctrl-C,
 * kill -9, a crash), and the message says how to finish it. */
static dlc_status model_missing(const char *path, dlc_error *err)
{
    size_t n = strlen(path), tail = strlen("model.safetensors");
    if (access(path, F_OK) == 0 || n < tail || strcmp(path + n - tail, "model.safetensors") != 0)
        return err->status;
    char folder[4200], ckpt[4300];
    /* the run folder, without its '/' */
    snprintf(folder, sizeof folder, "%.*s", n > tail ? (int)(n - tail - 1) : 1,
             n > tail ? path : ".");
    long pid = io_run_holder(folder);
    if (pid != 0) {
        char who[48] = "";
        if (pid > 0)
            snprintf(who, sizeof who, " (pid %ld)", pid);
        return dlc_fail(err, DLC_EINPUT, "%s: no model yet: the run is still training in another "
                        "dlc process%s; model.safetensors is written when training ends "
                        "(%s/metrics.csv has the epochs so far)", path, who, folder);
    }
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", folder);
    if (access(ckpt, F_OK) != 0)
        return err->status;
    return dlc_fail(err, DLC_EINPUT, "%s: no model yet: the run was stopped before it ended (its "
                    "checkpoint, %s, is there); finish it with: dlc train CONFIG --out %s --resume",
                    path, ckpt, folder);
}

dlc_status model_load_input(model *m, const char *path, int nmax, const tensor_shape *input,
                            dlc_error *err)
{
    memset(m, 0, sizeof *m);
    io_st *st = NULL;
    dlc_strlist vocab = {0};
    dlc_strlist names[MODEL_MAX_HEADS][2];
    memset(names, 0, sizeof names);
    dlc_config cfg;
    int have_cfg = 0;
    dlc_status s;
    if ((s = io_safetensors_read(&st, path, err)) != DLC_OK)
        return model_missing(path, err);
    const char *format = io_st_meta(st, "format");
    const char *text = io_st_meta(st, "config");
    if (!format || strcmp(format, MODEL_FORMAT) != 0) {
        s = dlc_fail(err, DLC_EINPUT, "%s: not a dlc model file (format '%s')", path,
                     format ? format : "missing");
        goto fail;
    }
    if (!text) {
        s = dlc_fail(err, DLC_EINPUT, "%s: a dlc model file without its 'config' metadata "
                     "(damaged, or written by another program)", path);
        goto fail;
    }
    char where[1100];
    snprintf(where, sizeof where, "%s (embedded config)", path);
    if ((s = config_load_run(&cfg, where, text, strlen(text), NULL, 0, err)) != DLC_OK)
        goto fail;
    have_cfg = 1;
    if ((s = meta_heads(st, path, cfg.n_heads, names, err)) != DLC_OK)
        goto fail;
    for (int h = 0; h < cfg.n_heads; h++)
        if ((s = model_check_classes(&names[h][0], path, err)) != DLC_OK)
            goto fail;
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
    if (in && (s = model_meta_shape(in, path, &data_shape, err)) != DLC_OK)
        goto fail;
    if ((s = model_check_norm(shift, scale, path, err)) != DLC_OK)
        goto fail;
    if (input)
        data_shape = *input;
    if ((s = meta_strings(st, "vocab", path, &vocab, err)) != DLC_OK)
        goto fail;
    int n_classes[MODEL_MAX_HEADS] = {0};
    for (int h = 0; h < cfg.n_heads; h++)
        n_classes[h] = model_loss_has_classes(cfg.heads[h].loss) ? names[h][0].n : 0;
    if ((s = model_build_vocab(m, &cfg, &data_shape, n_classes, vocab.n, nmax, err)) != DLC_OK) {
        dlc_error_prefix(err, "%s", path);
        goto fail;
    }
    m->vocab = vocab;
    vocab = (dlc_strlist){0};
    dlc_strlist_clear(&m->features);
    if ((s = meta_strings(st, "features", path, &m->features, err)) != DLC_OK)
        goto fail;
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
        const io_tensor *fill = io_st_get(st, "norm.fill");
        if (fill && !tensor_shape_equal(&fill->shape, &shift->shape)) {
            s = dlc_fail(err, DLC_EINPUT, "%s: norm.fill has another shape than norm.shift", path);
            goto fail;
        }
        if (fill && !(m->norm.fill = malloc(sizeof(float) * m->norm.dim))) {
            s = DLC_NOMEM(err);
            goto fail;
        }
        if (fill)
            memcpy(m->norm.fill, fill->data, sizeof(float) * m->norm.dim);
        m->norm.kind = cfg.data.format == DATA_TEXT ? NORM_NONE : cfg.data.normalize;
        if (cfg.init.run[0] && cfg.init.normalize == INIT_NORM_SOURCE && m->norm.kind == NORM_NONE)
            m->norm.kind = NORM_STANDARD; /* the source's statistics, whatever this config fits */
    }
    const io_tensor *tsh = io_st_get(st, "target.shift"), *tsc = io_st_get(st, "target.scale");
    if (tsh || tsc) { /* data.normalize_targets */
        if (!tsh || !tsc || tsh->shape.ndim != 1 || !tensor_shape_equal(&tsh->shape, &tsc->shape) ||
            (size_t)tsh->shape.d[0] != m->n_targets) {
            s = dlc_fail(err, DLC_EINPUT, "%s: target.shift and target.scale are not both there with "
                         "one value per target (%zu)", path, m->n_targets);
            goto fail;
        }
        for (size_t j = 0; j < m->n_targets; j++)
            if (!isfinite(tsh->data[j]) || !isfinite(tsc->data[j]) || tsc->data[j] == 0.0f) {
                s = dlc_fail(err, DLC_EINPUT, "%s: target normalization value %zu is not finite "
                             "or its scale is 0", path, j);
                goto fail;
            }
        m->tshift = malloc(sizeof(float) * m->n_targets);
        m->tscale = malloc(sizeof(float) * m->n_targets);
        if (!m->tshift || !m->tscale) {
            s = DLC_NOMEM(err);
            goto fail;
        }
        memcpy(m->tshift, tsh->data, sizeof(float) * m->n_targets);
        memcpy(m->tscale, tsc->data, sizeof(float) * m->n_targets);
    }
    for (int h = 0; h < m->n_heads; h++) {
        m->heads[h].classes = names[h][0];
        m->heads[h].tasks = names[h][1];
        memset(names[h], 0, sizeof names[h]);
    }
    /* which epoch's weights (files from before, and imported ones, have none) */
    const char *ep = io_st_meta(st, "epoch"), *eps = io_st_meta(st, "epochs");
    long e1 = 0, e2 = 0;
    if (ep && eps && (dlc_parse_long(ep, &e1) != 0 || dlc_parse_long(eps, &e2) != 0 || e1 < 1 ||
                      e2 < e1 || e2 > INT_MAX)) {
        s = dlc_fail(err, DLC_EINPUT, "%s: metadata 'epoch' %.20s of 'epochs' %.20s is damaged",
                     path, ep, eps);
        goto fail;
    }
    m->weights_epoch = (int)e1;
    m->epochs_trained = (int)e2;
    const char *kept = io_st_meta(st, "epoch_kept");
    m->weights_best = kept && strcmp(kept, "best") == 0;
    const char *thr = io_st_meta(st, "verify_threshold");
    if (thr && (dlc_parse_double(thr, &m->verify_threshold) != 0 || !isfinite(m->verify_threshold))) {
        s = dlc_fail(err, DLC_EINPUT, "%s: metadata 'verify_threshold' is not a number", path);
        goto fail;
    }
    const char *steps = io_st_meta(st, "steps");
    double sv = -1;
    if (steps && (dlc_parse_double(steps, &sv) != 0 || !(sv >= 0 && sv <= 1e15) || sv != floor(sv))) {
        s = dlc_fail(err, DLC_EINPUT, "%s: metadata 'steps' is not a whole number >= 0", path);
        goto fail;
    }
    m->steps = (long)sv;
    if (!(m->config_yaml = strdup(text))) {
        s = DLC_NOMEM(err);
        goto fail;
    }
    config_free(&cfg);
    io_st_free(st);
    return DLC_OK;
fail:
    for (int h = 0; h < MODEL_MAX_HEADS; h++) {
        dlc_strlist_clear(&names[h][0]);
        dlc_strlist_clear(&names[h][1]);
    }
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
            graph_forward_eval(g, N);
            fn(user, t, NULL, N);
        }
    }
    g->carry = 0;
    free(order);
    free(starts);
}

static int model_has_triplet(const model *m)
{
    for (int h = 0; h < m->n_heads; h++)
        if (m->heads[h].loss == LOSS_TRIPLET)
            return 1;
    return 0;
}

/* Whether some layer's output is a sequence (time on its first axis). */
static int has_sequences(const graph *g)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].seq)
            return 1;
    return 0;
}

void model_run(model *m, const data_split *s, float *t, model_batch_fn fn, void *user)
{
    graph *g = m->g;
    if (m->stateful && s->n > 0) {
        model_run_streams(m, s, t, fn, user);
        return;
    }
    /* one int per row, evaluation only (never in the training step); the
     * one-row-at-a-time fallback keeps rows right when memory is short */
    int one, *order = s->n > 0 ? malloc(sizeof(int) * (size_t)s->n) : NULL;
    int most = g->eval_max;
    if (order && has_sequences(g))
        data_order_by_length(s, order);
    else
        for (int i = 0; order && i < s->n; i++)
            order[i] = i;
    if (order && !has_sequences(g) && model_has_triplet(m)) {
        /* the triplet loss mines negatives in its batch: evaluated in the
         * split's order (a file sorted by class gives batches of one
         * class, no triplet) and batches of up to 256 (more negatives),
         * its figures said more of the file and the batch than of the
         * model; a fixed shuffle and the train batch (P x K) instead */
        dlc_rng rng;
        dlc_rng_seed(&rng, 1, DLC_STREAM(DLC_STREAM_EVAL_ORDER, 0));
        dlc_rng_shuffle(&rng, order, s->n);
        if (m->streams > 0 && m->streams < most)
            most = m->streams;
    }
    for (int start = 0, N; start < s->n; start += N) {
        N = !order ? 1 : s->n - start < most ? s->n - start : most;
        one = start;
        data_gather(s, order, start, N, &m->norm, graph_input(g, 0), t);
        graph_forward_eval(g, N);
        fn(user, t, order ? order + start : &one, N);
    }
    free(order);
}

const float *model_head_targets_raw(model *m, int h, const float *t, int N)
{
    if (m->n_heads == 1)
        return t;
    const model_head *mh = &m->heads[h];
    float *dst = m->head_t + (size_t)N * mh->target_off; /* (N, mh->n_targets) */
    for (int i = 0; i < N; i++)
        memcpy(dst + (size_t)i * mh->n_targets, t + (size_t)i * m->n_targets + mh->target_off,
               sizeof(float) * mh->n_targets);
    return dst;
}

const float *model_head_targets(model *m, int h, const float *t, int N)
{
    const model_head *mh = &m->heads[h];
    if (!m->tshift || mh->loss != LOSS_MSE)
        return model_head_targets_raw(m, h, t, N);
    const float *sh = m->tshift + mh->target_off, *sc = m->tscale + mh->target_off;
    float *dst = m->head_t + (size_t)N * mh->target_off; /* (N, mh->n_targets) */
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < mh->n_targets; k++) /* NaN (unknown) stays NaN */
            dst[(size_t)i * mh->n_targets + k] =
                (t[(size_t)i * m->n_targets + mh->target_off + k] - sh[k]) * sc[k];
    return dst;
}

void model_head_values(const model *m, int h, float *out, int N)
{
    const model_head *mh = &m->heads[h];
    if (!m->tshift || mh->loss != LOSS_MSE)
        return;
    const float *sh = m->tshift + mh->target_off, *sc = m->tscale + mh->target_off;
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < mh->n_targets; k++)
            out[(size_t)i * mh->n_targets + k] = out[(size_t)i * mh->n_targets + k] / sc[k] + sh[k];
}

static double total_loss(const model *m, const loss_stats *st, int triplets_all)
{
    double total = 0;
    int counted = 0;
    for (int h = 0; h < m->n_heads; h++) {
        if (!(st[h].count > 0 || st[h].judged > 0))
            continue; /* every label of this head unknown here: it adds nothing */
        int all = triplets_all && m->heads[h].loss == LOSS_TRIPLET && st[h].judged > 0;
        total += m->heads[h].weight * (all ? st[h].sum / st[h].judged : loss_mean(&st[h]));
        counted++;
    }
    return counted ? total : NAN;
}

double model_total_loss(const model *m, const loss_stats *st)
{
    return total_loss(m, st, 0);
}

double model_select_loss(const model *m, const loss_stats *st)
{
    return total_loss(m, st, 1);
}

void model_head_loss(model *m, int h, const float *t, int N, float *dout, float weight,
                     loss_stats *st)
{
    model_head *mh = &m->heads[h];
    graph_node *o = graph_output(m->g, h);
    mh->opts.seed = dout ? m->loss_seed : 0;
    loss_call c = {o->out, model_head_targets(m, h, t, N), N, &o->shape, weight, dout,
                   &mh->opts, m->loss_scratch};
    loss_run(mh->loss, &c, st);
}

static double heads_loss(model *m, const float *t, int N, int grad, const float *scale,
                         float seq_weight, loss_stats *st)
{
    loss_stats batch[MODEL_MAX_HEADS];
    int counted = 0;
    for (int h = 0; h < m->n_heads; h++) {
        const model_head *mh = &m->heads[h];
        graph_node *o = graph_output(m->g, h);
        memset(&batch[h], 0, sizeof batch[h]);
        float w = mh->weight * seq_weight * (scale ? scale[h] : 1.0f);
        model_head_loss(m, h, t, N, grad ? o->grad : NULL, w, &batch[h]);
        loss_stats_add(&st[h], &batch[h]);
        counted |= batch[h].count > 0 || batch[h].judged > 0;
    }
    return counted ? model_total_loss(m, batch) : 0.0;
}

double model_loss(model *m, const float *t, int N, int grad, float seq_weight, loss_stats *st)
{
    return heads_loss(m, t, N, grad, NULL, seq_weight, st);
}

void model_loss_grad_scaled(model *m, const float *t, int N, const float *scale, float seq_weight)
{
    loss_stats unused[MODEL_MAX_HEADS] = {{0}};
    heads_loss(m, t, N, 1, scale, seq_weight, unused);
}

typedef struct {
    model *m;
    loss_stats *st;
} eval_acc;

static void eval_batch(void *user, const float *targets, const int *rows, int N)
{
    eval_acc *e = user;
    (void)rows;
    model_loss(e->m, targets, N, 0, 1.0f, e->st);
}

void model_evaluate_heads(model *m, const data_split *s, float *t, loss_stats *st)
{
    eval_acc e = {m, st};
    memset(st, 0, sizeof *st * (size_t)m->n_heads);
    if (s->n > 0)
        model_run(m, s, t, eval_batch, &e);
}

void model_evaluate(model *m, const data_split *s, float *t, double *loss, double *accuracy)
{
    loss_stats st[MODEL_MAX_HEADS];
    model_evaluate_heads(m, s, t, st);
    *loss = s->n > 0 ? model_total_loss(m, st) : NAN;
    *accuracy = loss_accuracy(&st[0]);
}
