/* transfer.c - transfer learning: a model starts from another run's weights
 * (init_from), copied by layer name, with new layers (a new head) left as
 * initialised; the source's input normalization is reused unless refit. */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../base/sha256.h"
#include "../config/yaml_tree.h"
#include "model.h"

const char *model_file_of(const char *run, char *buf, size_t size)
{
    struct stat sb;
    if (stat(run, &sb) == 0 && S_ISDIR(sb.st_mode))
        snprintf(buf, size, "%s/model.safetensors", run);
    else
        snprintf(buf, size, "%s", run);
    return buf;
}

/* 1 when name matches any of the globs. */
static int matches(const dlc_strlist *globs, const char *name)
{
    for (int i = 0; i < globs->n; i++)
        if (fnmatch(globs->v[i], name, 0) == 0)
            return 1;
    return 0;
}

/* Every glob of list must name a layer of g: a typo would silently copy
 * nothing (or everything). */
static dlc_status check_globs(const graph *g, const dlc_strlist *list, const char *key,
                              dlc_error *err)
{
    for (int i = 0; i < list->n; i++) {
        dlc_strlist one = {1, &list->v[i]};
        int hit = 0;
        for (int n = g->n_inputs; n < g->n_nodes && !hit; n++)
            hit = matches(&one, g->nodes[n].spec.name);
        if (!hit)
            return dlc_fail(err, DLC_EINPUT, "init_from.%s: '%s' matches no layer of the model", key,
                            list->v[i]);
    }
    return DLC_OK;
}

/* The source layer whose weights layer takes: its init_from.rename entry's,
 * else its own name. */
static const char *source_layer(const init_config *in, const char *layer)
{
    for (int i = 1; i < in->rename.n; i += 2)
        if (strcmp(in->rename.v[i], layer) == 0)
            return in->rename.v[i - 1];
    return layer;
}

/* Each init_from.rename entry names a layer of g and one of the source st (a
 * tensor "<old>.<...>"): a name that matches nothing would copy nothing. */
static dlc_status check_rename(const graph *g, const init_config *in, const io_st *st, const char *path,
                               dlc_error *err)
{
    for (int i = 0; i + 1 < in->rename.n; i += 2) {
        const char *from = in->rename.v[i], *to = in->rename.v[i + 1];
        int here = 0, there = 0;
        for (int n = g->n_inputs; n < g->n_nodes && !here; n++)
            here = strcmp(g->nodes[n].spec.name, to) == 0;
        if (!here)
            return dlc_fail(err, DLC_EINPUT, "init_from.rename.%s: '%s' is not a layer of this model", from, to);
        size_t len = strlen(from);
        char some[200] = "";
        int n_some = 0;
        char last[GRAPH_NAME_MAX] = "";
        for (int k = 0; k < io_st_count(st) && !there; k++) {
            /* "<layer>.<param>" (a layer name has no '.'); the first few for the message */
            const char *name = io_st_at(st, k)->name, *dot = strchr(name, '.');
            int n = dot ? (int)(dot - name) : 0;
            there = n == (int)len && strncmp(name, from, len) == 0;
            if (!there && n > 0 && n < (int)sizeof last && strncmp(name, "norm.", 5) != 0 && n_some < 5 &&
                (strncmp(last, name, (size_t)n) != 0 || last[n] != '\0')) {
                snprintf(last, sizeof last, "%.*s", n, name);
                if (n_some++ < 4) {
                    size_t L = strlen(some);
                    snprintf(some + L, sizeof some - L, "%s%s", L ? ", " : "", last);
                }
            }
        }
        if (!there)
            return dlc_fail(err, DLC_EINPUT,
                            "init_from.rename.%s: %s has no layer '%s' with weights (it has %s%s)", from,
                            path, from, n_some ? some : "none", n_some > 4 ? ", ..." : "");
    }
    return DLC_OK;
}

/* A dlc embed folder (word vectors, no model file) is not a source to copy
 * layers from: EINPUT saying what it is and what reads it. */
static dlc_status not_word_vectors(const char *run, dlc_error *err)
{
    if (data_vectors_folder(run))
        return dlc_fail(err, DLC_EINPUT,
                        "init_from.run: %s holds word vectors learned by dlc embed, not a model: "
                        "init_from copies a trained model's layers; to start an embedding layer "
                        "from these vectors give it pretrained: %s/vectors.txt",
                        run, run);
    return DLC_OK;
}

dlc_status model_source_digest(const dlc_config *cfg, char hex[65], dlc_error *err)
{
    char path[2100];
    model_file_of(cfg->init.run, path, sizeof path);
    dlc_status s = not_word_vectors(cfg->init.run, err);
    if (s != DLC_OK)
        return s;
    s = dlc_sha256_file(path, hex, err);
    if (s != DLC_OK)
        dlc_error_prefix(err, "init_from.run");
    return s;
}

/* 1 when the strings of a JSON array are those of l, in order */
static int same_names(const json_value *a, const dlc_strlist *l)
{
    if (!a || a->type != JSON_ARRAY || a->n != l->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (a->items[i]->type != JSON_STRING || strcmp(a->items[i]->string, l->v[i]) != 0)
            return 0;
    return 1;
}

/* Appends name i of n to a list shown as "a, b, c, ..." */
static void names_add(char *buf, size_t size, const char *name, int i, int n)
{
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%s%s%s", i ? ", " : "", name, i == 2 && n > 3 ? ", ..." : "");
}

/* The note of model_init_from: the first head of m whose layer was copied
 * from a source head of that name with other classes.  Source files without
 * per-head metadata say nothing. */
static void head_classes_note(const model *m, const init_config *in, const io_st *st,
                              char *note, size_t note_size)
{
    const char *text = io_st_meta(st, "heads");
    json_value *heads = NULL;
    if (!text || json_parse(&heads, text, strlen(text), NULL) != DLC_OK)
        return;
    for (int h = 0; h < m->n_heads && !note[0]; h++) {
        const model_head *mh = &m->heads[h];
        /* the layers were copied by layer name; a head may be named otherwise */
        const char *layer = m->g->nodes[m->g->outputs[h]].spec.name;
        if (mh->classes.n == 0 || (in->layers.n && !matches(&in->layers, layer)) ||
            matches(&in->exclude, layer))
            continue;
        for (int k = 0; heads->type == JSON_ARRAY && k < heads->n; k++) {
            const json_value *name = json_get(heads->items[k], "name");
            const json_value *classes = json_get(heads->items[k], "classes");
            if (!name || name->type != JSON_STRING || strcmp(name->string, mh->name) != 0 ||
                !classes || classes->type != JSON_ARRAY || classes->n == 0 ||
                same_names(classes, &mh->classes))
                continue;
            char was[160] = "", now[160] = "";
            for (int i = 0; i < classes->n && i < 3; i++)
                names_add(was, sizeof was, classes->items[i]->type == JSON_STRING
                                               ? classes->items[i]->string : "?", i, classes->n);
            for (int i = 0; i < mh->classes.n && i < 3; i++)
                names_add(now, sizeof now, mh->classes.v[i], i, mh->classes.n);
            snprintf(note, note_size,
                     "warning: init_from: output layer '%s' is copied from a source whose '%s' "
                     "scored other classes (%d: %s; here %d: %s): its row i now scores class i "
                     "of this task; list '%s' under init_from.exclude to start it afresh",
                     layer, mh->name, classes->n, was, mh->classes.n, now, layer);
            break;
        }
    }
    json_free(heads);
}

/* With init_from.normalize: refit, a source trained on inputs normalized
 * another way (its config's data.normalize) than this run's: its copied
 * weights see inputs of another scale (raw pixels into a network trained on
 * standardized ones started at loss 405 against 5), said in note. */
static void refit_note(const dlc_config *cfg, const io_st *st, char *note, size_t note_size)
{
    const char *text = io_st_meta(st, "config");
    ynode *root = NULL;
    if (cfg->init.normalize != INIT_NORM_REFIT || !text ||
        ytree_parse(&root, "source", text, strlen(text), 0, NULL) != DLC_OK || !root)
        return;
    const ynode *data = ynode_map_get(root, "data");
    const ynode *kind = data && data->kind == YN_MAP ? ynode_map_get(data, "normalize") : NULL;
    const char *was = kind && kind->kind == YN_SCALAR ? kind->value : NULL;
    const char *now = data_norm_names[cfg->data.normalize];
    size_t len = strlen(note);
    if (was && strcmp(was, now) != 0 && len < note_size)
        snprintf(note + len, note_size - len,
                 "%swarning: init_from.normalize is refit: the source was trained on inputs "
                 "normalized '%s', this run normalizes them '%s' (data.normalize), so the copied "
                 "weights see inputs of another scale; init_from.normalize: source feeds them the "
                 "source's",
                 len ? "\n" : "", was, now);
    ynode_free(root);
}

/* A source normalizing images of another size by channel (one shift and scale
 * over each channel's plane: dlc import's --mean and --std, torchvision's
 * Normalize) normalizes these images the same way: its values are spread over
 * this input's planes (shift, scale: dim values, C channels).  0 when the
 * source's values differ within a plane (statistics per pixel), or C does not
 * divide both sizes. */
static int per_channel(float *shift, float *scale, size_t dim, const float *src_shift,
                       const float *src_scale, size_t src_dim, int C)
{
    if (C <= 0 || dim % (size_t)C || src_dim % (size_t)C || src_dim == 0)
        return 0;
    const size_t S = src_dim / (size_t)C, P = dim / (size_t)C;
    for (size_t c = 0; c < (size_t)C; c++)
        for (size_t j = 1; j < S; j++)
            if (src_shift[c * S + j] != src_shift[c * S] || src_scale[c * S + j] != src_scale[c * S])
                return 0;
    for (size_t c = 0; c < (size_t)C; c++)
        for (size_t j = 0; j < P; j++) {
            shift[c * P + j] = src_shift[c * S];
            scale[c * P + j] = src_scale[c * S];
        }
    return 1;
}

dlc_status model_init_from(model *m, const dlc_config *cfg, char *note, size_t note_size,
                           dlc_error *err)
{
    if (note_size)
        note[0] = '\0';
    const init_config *in = &cfg->init;
    if (!in->run[0])
        return DLC_OK;
    char path[2100], a[64], b[64];
    model_file_of(in->run, path, sizeof path);
    graph *g = m->g;
    dlc_status s;
    if ((s = check_globs(g, &in->layers, "layers", err)) != DLC_OK ||
        (s = check_globs(g, &in->exclude, "exclude", err)) != DLC_OK)
        return s;
    if (in->sha256[0]) {
        char hex[65];
        if ((s = model_source_digest(cfg, hex, err)) != DLC_OK)
            return s;
        if (strcmp(hex, in->sha256) != 0)
            return dlc_fail(err, DLC_EINPUT,
                            "init_from: %s has changed since this run recorded it (sha256 %.12s..., "
                            "recorded %.12s...); if init_from.run was edited to name another "
                            "source, delete init_from.sha256 (dlc train records the new one's)",
                            path, hex, in->sha256);
    }
    if ((s = not_word_vectors(in->run, err)) != DLC_OK)
        return s;
    io_st *st = NULL;
    if ((s = io_safetensors_read(&st, path, err)) != DLC_OK) {
        dlc_error_prefix(err, "init_from.run");
        return s;
    }
    const char *format = io_st_meta(st, "format");
    if (!format || strncmp(format, "dlc-model", 9) != 0) {
        s = dlc_fail(err, DLC_EINPUT, "init_from.run: %s is not a dlc model file", path);
        goto done;
    }
    if ((s = check_rename(g, in, st, path, err)) != DLC_OK)
        goto done;
    for (int k = 0; k < g->n_params; k++) {
        graph_param *p = &g->params[k];
        const char *layer = g->nodes[p->node].spec.name, *from = source_layer(in, layer);
        if ((in->layers.n && !matches(&in->layers, layer)) || matches(&in->exclude, layer))
            continue;
        /* "<layer>.<param>" read as "<from>.<param>" */
        char want[GRAPH_NAME_MAX + 80], renamed[GRAPH_NAME_MAX + 120] = "";
        size_t len = strlen(layer);
        if (from != layer && strncmp(p->name, layer, len) == 0)
            snprintf(want, sizeof want, "%s%s", from, p->name + len);
        else
            snprintf(want, sizeof want, "%s", p->name);
        if (from != layer)
            snprintf(renamed, sizeof renamed, " (init_from.rename: %s's for layer '%s')", from, layer);
        const io_tensor *t = io_st_get(st, want);
        if (!t) {
            s = dlc_fail(err, DLC_EINPUT,
                         "init_from: %s has no tensor '%s'%s (shape %s here); list layer '%s' under "
                         "init_from.exclude to start it afresh",
                         path, want, renamed, tensor_shape_str(&p->shape, a, sizeof a), layer);
            goto done;
        }
        if (!tensor_shape_equal(&t->shape, &p->shape)) {
            int head = 0; /* "a new head" only of an output layer: a dense after a flatten of
                           * another input size is not one */
            for (int h = 0; h < g->n_outputs; h++)
                head |= g->outputs[h] == p->node;
            s = dlc_fail(err, DLC_EINPUT,
                         "init_from: tensor '%s'%s has shape %s in %s and %s here; list layer '%s' "
                         "under init_from.exclude to start it afresh%s",
                         want, renamed, tensor_shape_str(&t->shape, a, sizeof a), path,
                         tensor_shape_str(&p->shape, b, sizeof b), layer, head ? " (a new head)" : "");
            goto done;
        }
        memcpy(p->data, t->data, sizeof(float) * p->n);
    }
    if (note_size) {
        head_classes_note(m, in, st, note, note_size);
        refit_note(cfg, st, note, note_size);
    }
    if (in->normalize == INIT_NORM_SOURCE) {
        const io_tensor *shift = io_st_get(st, "norm.shift"), *scale = io_st_get(st, "norm.scale");
        const int C = g->n_inputs > 0 && g->nodes[0].shape.ndim >= 2 ? g->nodes[0].shape.d[0] : 0;
        if (!shift || !scale || shift->shape.ndim != 1 || scale->shape.ndim != 1 ||
            shift->shape.d[0] != scale->shape.d[0] ||
            ((size_t)shift->shape.d[0] != m->norm.dim &&
             !per_channel(m->norm.shift, m->norm.scale, m->norm.dim, shift->data, scale->data,
                          (size_t)shift->shape.d[0], C))) {
            s = dlc_fail(err, DLC_EINPUT,
                         "init_from: %s normalizes inputs of another size (%d values, here %zu) "
                         "value by value, not by channel; set init_from.normalize: refit",
                         path, shift && shift->shape.ndim == 1 ? shift->shape.d[0] : 0, m->norm.dim);
            goto done;
        }
        if ((size_t)shift->shape.d[0] == m->norm.dim) {
            memcpy(m->norm.shift, shift->data, sizeof(float) * m->norm.dim);
            memcpy(m->norm.scale, scale->data, sizeof(float) * m->norm.dim);
        }
        if (m->norm.kind == NORM_NONE)
            m->norm.kind = NORM_STANDARD; /* applied, whatever this config would have fitted */
    }
done:
    io_st_free(st);
    return s;
}

/* 1 when init_from copies layer's parameters */
static int copied(const init_config *in, const char *layer)
{
    return in->run[0] && (!in->layers.n || matches(&in->layers, layer)) && !matches(&in->exclude, layer);
}

void model_freeze_note(const model *m, const dlc_config *cfg, char *note, size_t note_size)
{
    const graph *g = m->g;
    int layers = 0, n_random = 0;
    char names[200] = "";
    note[0] = '\0';
    for (int i = g->n_inputs; i < g->n_nodes; i++) {
        const graph_node *n = &g->nodes[i];
        int owns = 0, frozen_weight = 0;
        for (int k = 0; k < n->n_params; k++) {
            const graph_param *p = &g->params[n->params[k]];
            if (p->buffer || p->node != i)
                continue;
            owns = 1;
            /* a weight (not a norm's gamma and beta) starts random */
            frozen_weight |= !p->trainable && p->role == PARAM_WEIGHT;
        }
        layers += owns;
        if (frozen_weight && !copied(&cfg->init, n->spec.name) && !n->spec.pretrained[0]) {
            if (n_random < 3)
                names_add(names, sizeof names, n->spec.name, n_random, 3);
            n_random++;
        }
    }
    size_t len = 0;
    int K = cfg->freeze_all_but_last;
    if (K > 0 && K >= layers)
        len = (size_t)snprintf(note, note_size,
                               "warning: freeze.all_but_last is %d, and the model has %d layer%s with "
                               "parameters: none is frozen",
                               K, layers, layers == 1 ? "" : "s");
    if (!n_random || len >= note_size)
        return;
    const int one = n_random == 1;
    snprintf(note + len, note_size - len,
             "%swarning: frozen layer%s %s%s got no weights from init_from%s, so %s random start "
             "for good: copy %s, or let %s learn",
             len ? "\n" : "", one ? "" : "s", names, n_random > 3 ? ", ..." : "",
             cfg->init.run[0] ? " (init_from.exclude, or not in init_from.layers)" : " (there is none)",
             one ? "it keeps its" : "they keep their", one ? "it" : "them", one ? "it" : "them");
}

void model_running_stats_note(const model *m, const dlc_config *cfg, long steps, char *note,
                              size_t note_size)
{
    const graph *g = m->g;
    const graph_node *worst = NULL;
    double share = 0.0; /* of the starting running statistics left in the worst layer */
    int n_slow = 0;
    note[0] = '\0';
    for (int i = g->n_inputs; i < g->n_nodes; i++) {
        const graph_node *n = &g->nodes[i];
        /* a frozen batchnorm keeps its statistics; a copied one starts from the source's */
        if (n->spec.op != OP_BATCHNORM || !g->params[n->params[0]].trainable ||
            copied(&cfg->init, n->spec.name))
            continue;
        double left = pow(n->spec.momentum, (double)steps);
        if (left <= 0.1)
            continue;
        n_slow++;
        if (left > share)
            share = left, worst = n;
    }
    if (!worst)
        return;
    /* steps at which momentum 0.9 leaves 10%: log 0.1 / log 0.9 */
    snprintf(note, note_size,
             "batchnorm layer '%s'%s updated its running mean and variance over %ld "
             "step%s at momentum %g: %.0f%% of them is still their start (mean 0, variance 1), "
             "and evaluation, predict and export normalize by them, so the evaluation figures "
             "and the diagnosis can be far from what training measured; train more steps (a smaller batch_size, more epochs) "
             "or lower the layers' momentum (0.9, PyTorch's momentum=0.1, follows the data "
             "within 22 steps)",
             worst->spec.name, n_slow > 1 ? " (and the other batchnorm layers)" : "", steps,
             steps == 1 ? "" : "s", worst->spec.momentum, 100.0 * share);
}

/* ---- weight decay: the parameters train.l2 and adamw's decay reach ---- */

/* 1 when entry e of train.no_decay is a role's word rather than a glob;
 * *role: the role. */
static int decay_word(const char *e, param_role *role)
{
    *role = strcmp(e, "biases") == 0 ? PARAM_BIAS : PARAM_NORM;
    return strcmp(e, "biases") == 0 || strcmp(e, "norms") == 0;
}

/* 1 when train.no_decay spares p: its role's word, or a glob of its name. */
static int decay_spared(const dlc_strlist *no_decay, const graph_param *p)
{
    for (int i = 0; i < no_decay->n; i++) {
        param_role role;
        if (decay_word(no_decay->v[i], &role) ? p->role == role : fnmatch(no_decay->v[i], p->name, 0) == 0)
            return 1;
    }
    return 0;
}

/* The first three names of the parameters (not buffers) that want(p, arg)
 * selects, comma-separated, ", ..." after them when there are more;
 * returns how many it selects. */
static int param_names(const graph *g, int (*want)(const graph_param *, const void *), const void *arg,
                       char *buf, size_t size)
{
    int n = 0, shown = 0;
    buf[0] = '\0';
    for (int k = 0; k < g->n_params; k++)
        n += !g->params[k].buffer && want(&g->params[k], arg);
    for (int k = 0; k < g->n_params && shown < 3; k++)
        if (!g->params[k].buffer && want(&g->params[k], arg))
            names_add(buf, size, g->params[k].name, shown++, n);
    return n;
}

static int any_param(const graph_param *p, const void *arg)
{
    (void)p, (void)arg;
    return 1;
}

static int spared_trainable(const graph_param *p, const void *arg)
{
    (void)arg;
    return p->trainable && !p->decay;
}

dlc_status model_set_decay(graph *g, const dlc_strlist *no_decay, dlc_error *err)
{
    for (int i = 0; i < no_decay->n; i++) {
        param_role role;
        int hit = decay_word(no_decay->v[i], &role);
        for (int k = 0; k < g->n_params && !hit; k++)
            hit = !g->params[k].buffer && fnmatch(no_decay->v[i], g->params[k].name, 0) == 0;
        if (!hit) {
            char some[200];
            param_names(g, any_param, NULL, some, sizeof some);
            return dlc_fail(err, DLC_EINPUT,
                            "train.no_decay: '%s' matches no parameter of the model (named "
                            "layer.parameter, as dlc summary's weight decay line and the model file "
                            "name them: %s); an entry is biases, norms, or a glob over those whole "
                            "names such as '*.bias' (a PyTorch recipe's substring \"bias\" is "
                            "biases here, \"LayerNorm.weight\" norms)",
                            no_decay->v[i], some[0] ? some : "none");
        }
    }
    for (int k = 0; k < g->n_params; k++) {
        graph_param *p = &g->params[k];
        p->decay = !p->buffer && !decay_spared(no_decay, p);
    }
    return DLC_OK;
}

void model_decay_note(const model *m, const dlc_config *cfg, char *note, size_t note_size)
{
    const graph *g = m->g;
    const optim_config *o = &cfg->train.optimizer;
    int adamw = o->type == OPT_ADAMW && o->weight_decay > 0;
    note[0] = '\0';
    if (!(cfg->train.l2 > 0) && !adamw)
        return;
    int n = 0, n_decayed = 0;
    size_t values = 0, decayed = 0;
    for (int k = 0; k < g->n_params; k++) {
        const graph_param *p = &g->params[k];
        if (!p->trainable)
            continue;
        n++;
        n_decayed += p->decay;
        values += p->n;
        decayed += p->decay ? p->n : 0;
    }
    char how[120] = "", list[160] = "", spared[200];
    if (cfg->train.l2 > 0)
        snprintf(how, sizeof how, "train.l2 %g", cfg->train.l2);
    if (adamw)
        snprintf(how + strlen(how), sizeof how - strlen(how), "%sadamw's weight_decay %g",
                 how[0] ? ", " : "", o->weight_decay);
    for (int i = 0; i < cfg->train.no_decay.n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 cfg->train.no_decay.v[i]);
    int n_spared = param_names(g, spared_trainable, NULL, spared, sizeof spared);
    snprintf(note, note_size, "weight decay (%s): %d of %d trainable parameters, %zu of %zu values; %s%s "
             "(train.no_decay: [%s])",
             how, n_decayed, n, decayed, values, n_spared ? "spared: " : "none spared", spared, list);
}
