/* stylize.c - style transfer as the optimization of a graph's input (see
 * stylize.h): the model with its cost heads, the targets of the content and
 * style images, and the loop (Adam or L-BFGS) over G. */
#include "stylize.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/rng.h"
#include "../data/data.h"
#include "../io/io.h"
#include "../loss/loss.h"
#include "../optim/optim.h"
#include "../train/model.h"

#define GRAM_SUFFIX ":gram"
#define ADAM_LR 0.05   /* input units per step: about 3 pixel values for a std of 60 */
#define LBFGS_LR 1.0   /* L-BFGS's step is in the units of its own direction */

struct stylize {
    stylize_config sc;       /* the config's stylize: section */
    model m;                 /* the network; head 0 content, heads 1.. style */
    int H, W;
    size_t D;                /* 3 H W */
    float *content, *style;  /* (3, H, W) pixels 0..255 */
    float shift[3], scale[3];/* x = (pixel - shift[c]) * scale[c] */
    float lo[3], hi[3];      /* the pixel range 0..255 in input units */
    float *t;                /* (1, n_targets) the heads' targets */
    float *init;             /* (D) G at the start, input units */
    float *grad;             /* (D) dJ/dG for L-BFGS */
    stylize_progress now;    /* the costs of the last evaluation */
    long evals;
    double lr;
    struct timespec start;
};

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

/* ---- the network with its cost heads ---- */

static int layer_at(const dlc_config *cfg, const char *name)
{
    for (int i = 0; i < cfg->n_layers; i++)
        if (strcmp(cfg->layers[i].name, name) == 0)
            return i;
    return -1;
}

/* Marks layer i and every layer it reads from, directly or not. */
static dlc_status mark_needed(const dlc_config *cfg, int i, char *keep, dlc_error *err)
{
    int *stack = malloc(sizeof *stack * (size_t)(cfg->n_layers * (GRAPH_MAX_INPUTS + 2) + 1));
    if (!stack)
        return DLC_NOMEM(err);
    int sp = 0;
    stack[sp++] = i;
    while (sp > 0) {
        int j = stack[--sp];
        if (j < 0 || keep[j])
            continue;
        keep[j] = 1;
        const layer_spec *s = &cfg->layers[j];
        if (s->n_inputs == 0)
            stack[sp++] = j - 1; /* the previous layer; -1 is the input */
        for (int q = 0; q < s->n_inputs; q++)
            stack[sp++] = layer_at(cfg, s->inputs[q]);
        if (s->share[0])
            stack[sp++] = layer_at(cfg, s->share);
    }
    free(stack);
    return DLC_OK;
}

/* The layers the costs read (inputs made explicit), then a gram layer per
 * style layer; the heads: content, then each style layer's Gram matrix. */
static dlc_status build_model(stylize *s, const dlc_config *cfg, dlc_error *err)
{
    const stylize_config *sc = &cfg->stylize;
    dlc_status st = DLC_OK;
    char *keep = calloc((size_t)cfg->n_layers, 1);
    layer_spec *specs = calloc((size_t)cfg->n_layers + STYLIZE_MAX_LAYERS, sizeof *specs);
    if (!keep || !specs) {
        st = DLC_NOMEM(err);
        goto done;
    }
    int content = layer_at(cfg, sc->content);
    if (content < 0) {
        st = dlc_fail(err, DLC_EINPUT, "%s: stylize.content: no layer is named '%s'", cfg->path,
                      sc->content);
        goto done;
    }
    st = mark_needed(cfg, content, keep, err);
    for (int l = 0; l < sc->n_style && st == DLC_OK; l++) {
        int at = layer_at(cfg, sc->style[l]);
        if (at < 0 || strlen(sc->style[l]) + strlen(GRAM_SUFFIX) >= GRAPH_NAME_MAX)
            st = dlc_fail(err, DLC_EINPUT, "%s: stylize.style: %s '%s'", cfg->path,
                          at < 0 ? "no layer is named" : "the name is too long to add a gram layer to",
                          sc->style[l]);
        else
            st = mark_needed(cfg, at, keep, err);
    }
    if (st != DLC_OK)
        goto done;
    int n = 0;
    for (int i = 0; i < cfg->n_layers; i++) {
        if (!keep[i])
            continue;
        layer_spec *p = &specs[n++];
        *p = cfg->layers[i];
        if (p->n_inputs == 0) {
            p->n_inputs = 1;
            dlc_strlcpy(p->inputs[0], i > 0 ? cfg->layers[i - 1].name : "input",
                        sizeof p->inputs[0]);
        }
    }
    dlc_config sub = *cfg;
    sub.n_heads = 1 + sc->n_style;
    memset(sub.heads, 0, sizeof sub.heads);
    head_spec *h = &sub.heads[0];
    dlc_strlcpy(h->name, "content", sizeof h->name);
    dlc_strlcpy(h->layer, sc->content, sizeof h->layer);
    h->loss = LOSS_CONTENT;
    h->weight = sc->alpha;
    for (int l = 0; l < sc->n_style; l++) {
        layer_spec *p = &specs[n++];
        p->op = OP_GRAM;
        dlc_strlcpy(p->type, graph_ops[OP_GRAM].name, sizeof p->type);
        /* the length was checked above; the precision tells an -O0 build so */
        snprintf(p->name, sizeof p->name, "%.*s%s", (int)(sizeof p->name - sizeof GRAM_SUFFIX), sc->style[l],
                 GRAM_SUFFIX);
        snprintf(p->where, sizeof p->where, "%.100s%sstylize.style", cfg->path,
                 cfg->path[0] ? ": " : "");
        p->n_inputs = 1;
        dlc_strlcpy(p->inputs[0], sc->style[l], sizeof p->inputs[0]);
        p->trainable = 1;
        p->activation = ACT_LINEAR;
        h = &sub.heads[1 + l];
        snprintf(h->name, sizeof h->name, "style_%d", l + 1);
        dlc_strlcpy(h->layer, p->name, sizeof h->layer);
        h->loss = LOSS_STYLE;
        h->weight = sc->beta * sc->style_weight[l];
    }
    sub.layers = specs;
    sub.n_layers = n;
    sub.input = (tensor_shape){3, {3, s->H, s->W}};
    sub.freeze_all_but_last = -1;
    if ((st = model_build(&s->m, &sub, &sub.input, 0, 1, err)) != DLC_OK)
        goto done;
    dlc_rng rng;
    dlc_rng_seed(&rng, cfg->seed, DLC_STREAM(DLC_STREAM_INIT, 0));
    graph_init_params(s->m.g, &rng);
    if (cfg->init.run[0]) {
        sub.init.normalize = INIT_NORM_REFIT; /* per channel, below: the sizes differ */
        if ((st = model_init_from(&s->m, &sub, NULL, 0, err)) != DLC_OK)
            goto done;
    }
    graph *g = s->m.g;
    int *frozen = malloc(sizeof *frozen * (size_t)(g->n_nodes > 0 ? g->n_nodes : 1));
    if (!frozen) {
        st = DLC_NOMEM(err);
        goto done;
    }
    int n_frozen = 0;
    for (int i = g->n_inputs; i < g->n_nodes; i++)
        frozen[n_frozen++] = i;
    graph_freeze_nodes(g, frozen, n_frozen); /* one new plan, not one per node */
    free(frozen);
    st = graph_set_input_grad(g, 1, err);
done:
    free(keep);
    free(specs);
    return st;
}

/* ---- images and their normalization ---- */

/* The source run's input normalization per channel: its statistics are per
 * channel (image folders), stored for every value of its (3, h, w) inputs. */
static dlc_status source_norm(stylize *s, const dlc_config *cfg, dlc_error *err)
{
    char path[2100];
    io_st *st = NULL;
    model_file_of(cfg->init.run, path, sizeof path);
    dlc_status rc = io_safetensors_read(&st, path, err);
    if (rc != DLC_OK)
        return rc;
    const io_tensor *shift = io_st_get(st, "norm.shift"), *scale = io_st_get(st, "norm.scale");
    if (!shift || !scale || shift->shape.ndim != 1 || !tensor_shape_equal(&shift->shape, &scale->shape) ||
        shift->shape.d[0] % 3 != 0) {
        rc = dlc_fail(err, DLC_EINPUT,
                      "init_from: %s does not normalize RGB images (3 channels); set "
                      "init_from.normalize: refit to use the images' own statistics",
                      path);
        goto done;
    }
    size_t plane = (size_t)shift->shape.d[0] / 3;
    for (int c = 0; c < 3; c++) {
        double a = 0, b = 0;
        for (size_t i = 0; i < plane; i++) {
            a += shift->data[c * plane + i];
            b += scale->data[c * plane + i];
        }
        s->shift[c] = (float)(a / (double)plane);
        s->scale[c] = (float)(b / (double)plane);
    }
done:
    io_st_free(st);
    return rc;
}

/* Mean and standard deviation per channel of C and S together. */
static void image_norm(stylize *s)
{
    const size_t HW = (size_t)s->H * s->W;
    for (int c = 0; c < 3; c++) {
        double sum = 0, sq = 0;
        for (int k = 0; k < 2; k++) {
            const float *p = (k ? s->style : s->content) + c * HW;
            for (size_t i = 0; i < HW; i++) {
                sum += p[i];
                sq += (double)p[i] * p[i];
            }
        }
        double mean = sum / (2.0 * HW), var = sq / (2.0 * HW) - mean * mean;
        s->shift[c] = (float)mean;
        s->scale[c] = (float)(1.0 / sqrt(var > 1.0 ? var : 1.0)); /* a flat image: unit scale */
    }
}

/* x (3, H, W) in input units from pixels px. */
static void normalize(const stylize *s, float *x, const float *px)
{
    const size_t HW = (size_t)s->H * s->W;
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < HW; i++)
            x[c * HW + i] = (px[c * HW + i] - s->shift[c]) * s->scale[c];
}

static void clamp_g(stylize *s)
{
    const size_t HW = (size_t)s->H * s->W;
    float *x = graph_input(s->m.g, 0);
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < HW; i++) {
            float *v = &x[c * HW + i];
            *v = *v < s->lo[c] ? s->lo[c] : *v > s->hi[c] ? s->hi[c] : *v;
        }
}

/* The heads' targets: the content layer's activations of C, the style
 * layers' Gram matrices of S; then G's start. */
static void prepare(stylize *s, uint64_t seed)
{
    model *m = &s->m;
    graph *g = m->g;
    float *x = graph_input(g, 0);
    for (int k = 0; k < 2; k++) {
        normalize(s, x, k ? s->style : s->content);
        graph_forward(g, 1, 0);
        for (int h = k; h < (k ? m->n_heads : 1); h++) {
            const model_head *mh = &m->heads[h];
            memcpy(s->t + mh->target_off, graph_output(g, h)->out, sizeof(float) * mh->n_targets);
        }
    }
    for (int c = 0; c < 3; c++) {
        s->lo[c] = (0.0f - s->shift[c]) * s->scale[c];
        s->hi[c] = (255.0f - s->shift[c]) * s->scale[c];
    }
    if (s->sc.init == STYLIZE_INIT_NOISE) {
        dlc_rng rng;
        dlc_rng_seed(&rng, seed, DLC_STREAM(DLC_STREAM_INIT, 1));
        for (size_t i = 0; i < s->D; i++)
            x[i] = (float)dlc_rng_normal(&rng);
        clamp_g(s);
    } else {
        normalize(s, x, s->content);
    }
    memcpy(s->init, x, sizeof(float) * s->D);
}

dlc_status stylize_create_pixels(stylize **out, const dlc_config *cfg, const float *content,
                                 const float *style, int H, int W, dlc_error *err)
{
    *out = NULL;
    if (!cfg->stylize.on)
        return dlc_fail(err, DLC_EINPUT, "%s: the config has no stylize: section", cfg->path);
    if (H < 1 || W < 1)
        return dlc_fail(err, DLC_EINPUT, "stylize: an empty image (%d x %d)", H, W);
    stylize *s = calloc(1, sizeof *s);
    if (!s)
        return DLC_NOMEM(err);
    s->sc = cfg->stylize;
    s->H = H;
    s->W = W;
    s->D = 3 * (size_t)H * W;
    s->lr = s->sc.lr > 0 ? s->sc.lr : s->sc.optimizer == STYLIZE_LBFGS ? LBFGS_LR : ADAM_LR;
    dlc_status st;
    s->content = tensor_alloc(s->D);
    s->style = tensor_alloc(s->D);
    s->init = tensor_alloc(s->D);
    s->grad = tensor_alloc(s->D);
    if (!s->content || !s->style || !s->init || !s->grad) {
        st = DLC_NOMEM(err);
        goto fail;
    }
    memcpy(s->content, content, sizeof(float) * s->D);
    memcpy(s->style, style, sizeof(float) * s->D);
    if ((st = build_model(s, cfg, err)) != DLC_OK)
        goto fail;
    if (cfg->init.run[0] && cfg->init.normalize == INIT_NORM_SOURCE)
        st = source_norm(s, cfg, err);
    else
        image_norm(s);
    if (st != DLC_OK)
        goto fail;
    if (!(s->t = tensor_alloc(s->m.n_targets))) {
        st = DLC_NOMEM(err);
        goto fail;
    }
    prepare(s, cfg->seed);
    clock_gettime(CLOCK_MONOTONIC, &s->start);
    *out = s;
    return DLC_OK;
fail:
    stylize_free(s);
    return st;
}

/* An image file as (3, H, W) pixels covering H x W: scaled so that it
 * covers, then cut to it around the centre. */
static dlc_status load_cover(const char *path, int H, int W, float *px, dlc_error *err)
{
    tensor_shape in;
    dlc_status st = data_image_probe(path, 0, &in, err);
    if (st != DLC_OK)
        return st;
    double f = fmax((double)W / in.d[2], (double)H / in.d[1]);
    int rw = (int)ceil(in.d[2] * f - 1e-6), rh = (int)ceil(in.d[1] * f - 1e-6);
    rw = rw < W ? W : rw;
    rh = rh < H ? H : rh;
    uint8_t *big = malloc(3 * (size_t)rw * rh);
    if (!big)
        return DLC_NOMEM(err);
    if ((st = data_image_load(path, 0, &(tensor_shape){3, {3, rh, rw}}, big, err)) == DLC_OK) {
        int top = (rh - H) / 2, left = (rw - W) / 2;
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < H; i++)
                for (int j = 0; j < W; j++)
                    px[((size_t)c * H + i) * W + j] =
                        big[((size_t)c * rh + i + top) * rw + j + left];
    }
    free(big);
    return st;
}

dlc_status stylize_create(stylize **out, const dlc_config *cfg, const char *content_file,
                          const char *style_file, int size, dlc_error *err)
{
    *out = NULL;
    if (size <= 0)
        size = cfg->stylize.size;
    tensor_shape in;
    dlc_status st = data_image_probe(content_file, 0, &in, err);
    if (st != DLC_OK)
        return st;
    /* the longer side becomes size, the other keeps the aspect */
    int h = in.d[1], w = in.d[2];
    int H = h >= w ? size : (int)lround((double)h * size / w);
    int W = w > h ? size : (int)lround((double)w * size / h);
    H = H < 1 ? 1 : H;
    W = W < 1 ? 1 : W;
    size_t D = 3 * (size_t)H * W;
    float *c = malloc(sizeof(float) * D), *s = malloc(sizeof(float) * D);
    uint8_t *px = malloc(D);
    if (!c || !s || !px) {
        st = DLC_NOMEM(err);
        goto done;
    }
    if ((st = data_image_load(content_file, 0, &(tensor_shape){3, {3, H, W}}, px, err)) != DLC_OK ||
        (st = load_cover(style_file, H, W, s, err)) != DLC_OK)
        goto done;
    for (size_t i = 0; i < D; i++)
        c[i] = px[i];
    st = stylize_create_pixels(out, cfg, c, s, H, W, err);
done:
    free(c);
    free(s);
    free(px);
    return st;
}

dlc_status stylize_start_from(stylize *s, const char *file, dlc_error *err)
{
    tensor_shape in;
    dlc_status st = data_image_probe(file, 0, &in, err);
    if (st != DLC_OK)
        return st;
    if (in.d[1] != s->H || in.d[2] != s->W)
        return dlc_fail(err, DLC_EINPUT, "%s: the image is %dx%d, G is %dx%d (start from an image "
                                         "of G's size: the --size it was made with)",
                        file, in.d[2], in.d[1], s->W, s->H);
    uint8_t *px = malloc(s->D);
    float *pf = tensor_alloc(s->D);
    if (!px || !pf) {
        free(px);
        tensor_free(pf);
        return DLC_NOMEM(err);
    }
    if ((st = data_image_load(file, 0, &(tensor_shape){3, {3, s->H, s->W}}, px, err)) == DLC_OK) {
        for (size_t i = 0; i < s->D; i++)
            pf[i] = px[i];
        float *x = graph_input(s->m.g, 0);
        normalize(s, x, pf);
        if (s->sc.optimizer != STYLIZE_LBFGS)
            clamp_g(s);
        memcpy(s->init, x, sizeof(float) * s->D);
    }
    free(px);
    tensor_free(pf);
    return st;
}

void stylize_free(stylize *s)
{
    if (!s)
        return;
    model_free(&s->m);
    tensor_free(s->content);
    tensor_free(s->style);
    tensor_free(s->init);
    tensor_free(s->grad);
    tensor_free(s->t);
    free(s);
}

/* ---- the costs ---- */

/* J at the current G; with grad, dJ/dG into the input's gradient. */
static double evaluate(stylize *s, int grad)
{
    model *m = &s->m;
    graph *g = m->g;
    loss_stats st[MODEL_MAX_HEADS] = {{0}}, tv = {0};
    graph_forward(g, 1, 0);
    if (grad)
        graph_zero_grad(g);
    model_loss(m, s->t, 1, grad, 1.0f, st);
    if (grad)
        graph_backward(g, 1);
    /* on G itself, after backward: the first layer may overwrite the
     * input's gradient rather than add to it */
    graph_node *in = &g->nodes[0];
    if (s->sc.tv > 0)
        loss_compute(LOSS_TOTAL_VARIATION, grad ? in->grad : NULL, in->out, NULL, 1, &in->shape,
                     (float)s->sc.tv, &tv);
    stylize_progress *p = &s->now;
    p->J_content = loss_mean(&st[0]);
    p->J_style = 0;
    for (int l = 0; l < s->sc.n_style; l++)
        p->J_style += s->sc.style_weight[l] * loss_mean(&st[1 + l]);
    p->J_tv = s->sc.tv > 0 ? loss_mean(&tv) : 0.0;
    p->J = s->sc.alpha * p->J_content + s->sc.beta * p->J_style + s->sc.tv * p->J_tv;
    s->evals++;
    return p->J;
}

stylize_progress stylize_costs(stylize *s)
{
    evaluate(s, 0);
    s->now.evals = s->evals;
    s->now.seconds = seconds_since(&s->start);
    return s->now;
}

static dlc_status lbfgs_fn(void *user, double *f, float *g, dlc_error *err)
{
    stylize *s = user;
    *f = evaluate(s, 1);
    memcpy(g, s->m.g->nodes[0].grad, sizeof(float) * s->D);
    (void)err;
    return DLC_OK;
}

static dlc_status report(stylize *s, int step, int steps, stylize_fn fn, void *user,
                         dlc_error *err)
{
    stylize_progress *p = &s->now;
    p->step = step;
    p->steps = steps;
    p->evals = s->evals;
    p->seconds = seconds_since(&s->start);
    if (!isfinite(p->J))
        return dlc_fail(err, DLC_ERUN, "stylize: J became %g at step %d (a smaller stylize.learning_rate may "
                                       "help)", p->J, step);
    return fn ? fn(user, s, p, err) : DLC_OK;
}

dlc_status stylize_run(stylize *s, int steps, stylize_fn fn, void *user, dlc_error *err)
{
    if (steps <= 0)
        steps = s->sc.steps;
    const size_t D = s->D;
    float *x = graph_input(s->m.g, 0);
    dlc_status st = DLC_OK;
    clock_gettime(CLOCK_MONOTONIC, &s->start);
    if (s->sc.optimizer == STYLIZE_LBFGS) {
        optim_lbfgs *o = NULL;
        if ((st = optim_lbfgs_create(&o, D, s->sc.history, err)) != DLC_OK)
            return st;
        double f = evaluate(s, 1);
        memcpy(s->grad, s->m.g->nodes[0].grad, sizeof(float) * D);
        st = report(s, 0, steps, fn, user, err);
        for (int k = 1; k <= steps && st == DLC_OK; k++) {
            int evals, moved;
            st = optim_lbfgs_step(o, x, &f, s->grad, s->lr, lbfgs_fn, s, &evals, &moved, err);
            if (st != DLC_OK || !moved)
                break; /* no step lowers J: as good as it gets from here */
            st = report(s, k, steps, fn, user, err); /* the last evaluation was at x */
        }
        optim_lbfgs_free(o);
        return st;
    }
    optim *o = NULL;
    optim_config oc = {.type = OPT_ADAM, .lr = s->lr, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    if ((st = optim_create(&o, &oc, D, err)) != DLC_OK)
        return st;
    for (int k = 0; st == DLC_OK; k++) {
        evaluate(s, 1);
        if ((st = report(s, k, steps, fn, user, err)) != DLC_OK || k == steps)
            break;
        optim_begin_step(o);
        optim_step(o, x, s->m.g->nodes[0].grad, 0, D, (float)s->lr, 1.0f, 0.0f, 0);
        clamp_g(s);
    }
    optim_free(o);
    return st;
}

/* ---- the image ---- */

void stylize_size(const stylize *s, int *H, int *W)
{
    *H = s->H;
    *W = s->W;
}

void stylize_pixels(const stylize *s, unsigned char *px)
{
    const size_t HW = (size_t)s->H * s->W;
    const float *x = s->m.g->nodes[0].out;
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < HW; i++) {
            float v = x[c * HW + i] / s->scale[c] + s->shift[c];
            v = v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
            px[i * 3 + (size_t)c] = (unsigned char)lrintf(isnan(v) ? 0.0f : v);
        }
}

dlc_status stylize_save_png(const stylize *s, const char *path, dlc_error *err)
{
    unsigned char *px = malloc(s->D);
    if (!px)
        return DLC_NOMEM(err);
    stylize_pixels(s, px);
    dlc_status st = io_write_png(path, px, s->W, s->H, 3, err);
    free(px);
    return st;
}

graph *stylize_graph(stylize *s)
{
    return s->m.g;
}

double stylize_gradcheck_loss(void *user, graph *g, int N, int with_grad)
{
    (void)g;
    (void)N;
    return evaluate(user, with_grad);
}

/* ---- the problem for PyTorch ---- */

static void json_window(dlc_buf *b, const char *key, const layer_window *w)
{
    dlc_buf_printf(b, ", \"%s\": [", key);
    for (int i = 0; i < w->n; i++)
        dlc_buf_printf(b, "%s%d", i ? ", " : "", w->v[i]);
    dlc_buf_printf(b, "]");
}

static void json_layers(dlc_buf *b, const graph *g)
{
    dlc_buf_printf(b, "[");
    for (int i = g->n_inputs; i < g->n_nodes; i++) {
        const graph_node *n = &g->nodes[i];
        const layer_spec *p = &n->spec;
        dlc_buf_printf(b, "%s{\"name\": ", i > g->n_inputs ? ",\n " : "");
        json_write_string(b, p->name);
        dlc_buf_printf(b, ", \"type\": \"%s\", \"inputs\": [", p->type);
        for (int q = 0; q < n->n_in; q++) {
            dlc_buf_printf(b, "%s", q ? ", " : "");
            json_write_string(b, g->nodes[n->in[q]].spec.name);
        }
        dlc_buf_printf(b, "], \"activation\": \"%s\", \"alpha\": %.9g, \"filters\": %d, "
                          "\"use_bias\": %s, \"padding\": \"%s\"",
                       graph_act_names[p->activation], p->alpha, p->filters,
                       p->use_bias ? "true" : "false", graph_pad_names[p->padding]);
        json_window(b, "kernel", &p->kernel);
        json_window(b, "stride", &p->stride);
        json_window(b, "pad", &p->pad);
        dlc_buf_printf(b, "}");
    }
    dlc_buf_printf(b, "]");
}

static void json_costs(dlc_buf *b, const stylize *s)
{
    const stylize_config *sc = &s->sc;
    dlc_buf_printf(b, "{\"content\": ");
    json_write_string(b, sc->content);
    dlc_buf_printf(b, ", \"style\": [");
    for (int l = 0; l < sc->n_style; l++) {
        dlc_buf_printf(b, "%s{\"layer\": ", l ? ", " : "");
        json_write_string(b, sc->style[l]);
        dlc_buf_printf(b, ", \"weight\": %.17g}", sc->style_weight[l]);
    }
    dlc_buf_printf(b, "], \"alpha\": %.17g, \"beta\": %.17g, \"tv\": %.17g, \"steps\": %d, "
                      "\"optimizer\": \"%s\", \"lr\": %.17g, \"history\": %d}",
                   sc->alpha, sc->beta, sc->tv, sc->steps, stylize_opt_names[sc->optimizer], s->lr,
                   sc->history);
}

dlc_status stylize_export(const stylize *s, const char *path, dlc_error *err)
{
    const graph *g = s->m.g;
    int nt = g->n_params + 5;
    io_tensor *t = calloc((size_t)nt, sizeof *t);
    dlc_buf layers = {0}, costs = {0};
    dlc_status st;
    if (!t)
        return DLC_NOMEM(err);
    int k = 0;
    for (int i = 0; i < g->n_params; i++)
        t[k++] = (io_tensor){g->params[i].name, g->params[i].shape, g->params[i].data};
    tensor_shape img = {3, {3, s->H, s->W}}, three = {1, {3}};
    t[k++] = (io_tensor){"content", img, s->content};
    t[k++] = (io_tensor){"style", img, s->style};
    t[k++] = (io_tensor){"init", img, s->init};
    t[k++] = (io_tensor){"norm.shift", three, s->shift};
    t[k++] = (io_tensor){"norm.scale", three, s->scale};
    json_layers(&layers, g);
    json_costs(&costs, s);
    if (layers.failed || costs.failed) {
        st = DLC_NOMEM(err);
        goto done;
    }
    io_meta meta[] = {{"format", "dlc-stylize-1"}, {"layers", layers.s}, {"costs", costs.s}};
    st = io_safetensors_write(path, t, k, meta, (int)DLC_ARRAY_LEN(meta), err);
done:
    free(t);
    dlc_buf_free(&layers);
    dlc_buf_free(&costs);
    return st;
}
