/* windows.c - convolutional sliding windows (the notes' sliding windows
 * "implemented convolutionally"; see infer.h): a model trained on window-size
 * images, rebuilt for a larger image with its dense layers as convolutions.
 *
 * The model must be a chain: image layers that slide (conv2d, max and
 * average pooling with valid padding, batchnorm, activations, dropout), a
 * flatten, then dense layers (with batchnorm, activations, dropout between
 * them) up to its one output.  The first dense layer after the flatten
 * becomes a convolution whose kernel is the whole feature map it read (F,
 * kh, kw), the others 1 x 1 convolutions; their weights are the dense
 * weights as they are: a dense weight (OUT, F kh kw) in the flatten's
 * (C, H, W) order is the convolution weight (OUT, F, kh, kw).  Padding would
 * show a window its neighbours' pixels where, alone, it saw zeros, so it is
 * refused; with valid padding each grid cell is exactly the model on the
 * window at that place, windows `stride` pixels apart (the product of the
 * strides before the flatten).
 *
 * Letters: (C, H, W) the large image, (K, GH, GW) the grid of outputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"

void infer_windows_free(infer_windows *w)
{
    if (!w)
        return;
    graph_free(w->g);
    data_norm_free(&w->norm);
    memset(w, 0, sizeof *w);
}

static int slides(int op)
{
    return op == OP_CONV2D || op == OP_MAXPOOL || op == OP_AVGPOOL || op == OP_BATCHNORM ||
           op == OP_ACTIVATION || op == OP_DROPOUT;
}

static int after_flatten(int op)
{
    return op == OP_DENSE || op == OP_BATCHNORM || op == OP_ACTIVATION || op == OP_DROPOUT;
}

/* The layer reads the one before it (and nothing else). */
static int chained(const layer_spec *s, const layer_spec *prev)
{
    return s->n_inputs == 0 || (s->n_inputs == 1 && prev && strcmp(s->inputs[0], prev->name) == 0);
}

/* The node of layer `name` (NULL if none). */
static const graph_node *node_of(const graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].spec.name, name) == 0)
            return &g->nodes[i];
    return NULL;
}

/* The converted layers of cfg into out (room for n): the flatten dropped,
 * dense layers as convolutions.  The last layer must be the output. */
static dlc_status convert(const dlc_config *cfg, const graph *g, layer_spec *out, int *n_out,
                          int *stride_y, int *stride_x, dlc_error *err)
{
    int n = 0, flat = -1, first_dense = 1;
    *stride_y = *stride_x = 1;
    if (cfg->n_heads != 1 || strcmp(cfg->heads[0].layer, cfg->layers[cfg->n_layers - 1].name) != 0)
        return dlc_fail(err, DLC_EINPUT, "sliding windows need a model of one output, its last layer");
    for (int i = 0; i < cfg->n_layers; i++) {
        const layer_spec *s = &cfg->layers[i];
        if (!chained(s, i ? &cfg->layers[i - 1] : NULL))
            return dlc_fail(err, DLC_EINPUT, "%s: layer '%s' does not read the layer before it: "
                                             "sliding windows need a chain of layers", s->where,
                            s->name);
        if (s->op == OP_FLATTEN && flat < 0) {
            flat = i;
            const graph_node *f = node_of(g, s->name);
            if (!f || g->nodes[f->in[0]].shape.ndim != 3)
                return dlc_fail(err, DLC_EINPUT, "%s: sliding windows need images: the flatten "
                                                 "'%s' reads no (channels, height, width) map",
                                s->where, s->name);
            continue;
        }
        if (flat < 0 && !slides(s->op))
            return dlc_fail(err, DLC_EINPUT,
                            "%s: layer '%s' (%s) cannot slide over a larger image (before the "
                            "flatten: conv2d, maxpool, avgpool, batchnorm, activations, dropout)",
                            s->where, s->name, s->type);
        if (flat >= 0 && !after_flatten(s->op))
            return dlc_fail(err, DLC_EINPUT,
                            "%s: layer '%s' (%s) after the flatten cannot become a convolution "
                            "(dense, batchnorm, activations, dropout)", s->where, s->name, s->type);
        if ((s->op == OP_CONV2D || s->op == OP_MAXPOOL || s->op == OP_AVGPOOL) &&
            !(s->padding == PAD_VALID ||
              (s->padding == PAD_EXPLICIT && s->pad.v[0] == 0 && (s->pad.n < 2 || s->pad.v[1] == 0))))
            return dlc_fail(err, DLC_EINPUT,
                            "%s: layer '%s' pads its input: a window would see its neighbours' "
                            "pixels where, alone, it saw zeros (use padding: valid)", s->where,
                            s->name);
        if (s->activation == ACT_SOFTMAX && i != cfg->n_layers - 1)
            return dlc_fail(err, DLC_EINPUT, "%s: layer '%s': a softmax inside the model would run "
                                             "over the grid", s->where, s->name);
        layer_spec c = *s;
        c.n_inputs = 0; /* the chain: the one before (the flatten's input for the first dense) */
        if (flat < 0 && (s->op == OP_CONV2D || s->op == OP_MAXPOOL || s->op == OP_AVGPOOL)) {
            *stride_y *= s->stride.v[0];
            *stride_x *= s->stride.n > 1 ? s->stride.v[1] : s->stride.v[0];
        }
        if (s->op == OP_DENSE) {
            const graph_node *in = &g->nodes[node_of(g, cfg->layers[flat].name)->in[0]];
            c.op = OP_CONV2D;
            dlc_strlcpy(c.type, graph_ops[OP_CONV2D].name, sizeof c.type);
            c.filters = s->units;
            c.kernel = first_dense ? (layer_window){2, {in->shape.d[1], in->shape.d[2]}}
                                   : (layer_window){2, {1, 1}};
            c.stride = (layer_window){2, {1, 1}};
            c.padding = PAD_VALID;
            memset(&c.pad, 0, sizeof c.pad);
            first_dense = 0;
        }
        if (i == cfg->n_layers - 1 && c.activation == ACT_SOFTMAX)
            c.activation = ACT_LINEAR; /* infer_windows_softmax does it, over the channels */
        out[n++] = c;
    }
    if (flat < 0 || first_dense)
        return dlc_fail(err, DLC_EINPUT, "sliding windows need a flatten followed by dense layers");
    *n_out = n;
    return DLC_OK;
}

/* Copies every parameter of w->g from m's graph by name (a converted dense
 * weight keeps its values, in a new shape). */
static dlc_status copy_params(graph *g, const graph *from, dlc_error *err)
{
    for (int i = 0; i < g->n_params; i++) {
        graph_param *p = &g->params[i];
        const graph_param *q = NULL;
        for (int j = 0; j < from->n_params && !q; j++)
            if (strcmp(from->params[j].name, p->name) == 0)
                q = &from->params[j];
        if (!q || q->n != p->n)
            return dlc_fail(err, DLC_EINPUT, "sliding windows: parameter '%s' %s", p->name,
                            q ? "changed size" : "is missing");
        memcpy(p->data, q->data, sizeof(float) * p->n);
    }
    return DLC_OK;
}

/* The window model's per-channel normalization spread over the large image. */
static dlc_status spread_norm(data_norm *to, const model *m, const tensor_shape *big, dlc_error *err)
{
    const tensor_shape *win = &m->data_shape;
    const int C = win->d[0];
    const size_t wp = (size_t)win->d[1] * win->d[2], bp = (size_t)big->d[1] * big->d[2];
    dlc_status st = data_norm_init(to, m->norm.kind, tensor_shape_size(big), err);
    if (st != DLC_OK)
        return st;
    for (int c = 0; c < C; c++) {
        float sh = m->norm.shift[c * wp], sc = m->norm.scale[c * wp];
        for (size_t i = 0; i < wp; i++)
            if (m->norm.shift[c * wp + i] != sh || m->norm.scale[c * wp + i] != sc)
                return dlc_fail(err, DLC_EINPUT, "sliding windows need one normalization per "
                                                 "channel; this model has one per pixel");
        for (size_t i = 0; i < bp; i++) {
            to->shift[c * bp + i] = sh;
            to->scale[c * bp + i] = sc;
        }
    }
    return DLC_OK;
}

dlc_status infer_windows_build(infer_windows *w, const model *m, int H, int W, int nmax,
                               dlc_error *err)
{
    memset(w, 0, sizeof *w);
    const tensor_shape *win = &m->data_shape;
    if (!infer_takes_images(m) || !tensor_shape_equal(win, &m->input))
        return dlc_fail(err, DLC_EINPUT, "sliding windows need a model of images (channels, "
                                         "height, width)");
    if (H < win->d[1] || W < win->d[2])
        return dlc_fail(err, DLC_EINPUT, "the image (%d x %d) is smaller than the window (%d x %d)",
                        W, H, win->d[2], win->d[1]);
    dlc_config cfg;
    dlc_status st = config_load_run(&cfg, "the model's config", m->config_yaml,
                                       strlen(m->config_yaml), NULL, 0, err);
    if (st != DLC_OK)
        return st;
    layer_spec *specs = malloc(sizeof *specs * (size_t)cfg.n_layers);
    int n = 0;
    if (!specs) {
        st = DLC_NOMEM(err);
        goto done;
    }
    if ((st = convert(&cfg, m->g, specs, &n, &w->stride_y, &w->stride_x, err)) != DLC_OK)
        goto done;
    tensor_shape big = {3, {win->d[0], H, W}};
    const char *out = specs[n - 1].name;
    if ((st = graph_build(&w->g, &big, specs, n, &out, 1, nmax, err)) != DLC_OK ||
        (st = copy_params(w->g, m->g, err)) != DLC_OK ||
        (st = spread_norm(&w->norm, m, &big, err)) != DLC_OK)
        goto done;
    const graph_node *o = graph_output(w->g, 0);
    w->K = o->shape.d[0];
    w->gh = o->shape.d[1];
    w->gw = o->shape.d[2];
    w->window_h = win->d[1];
    w->window_w = win->d[2];
    w->softmax = loss_get(m->heads[0].loss)->link == ACT_SOFTMAX;
done:
    free(specs);
    config_free(&cfg);
    if (st != DLC_OK)
        infer_windows_free(w);
    return st;
}

const float *infer_windows_run(infer_windows *w, const float *x, int N)
{
    float *in = graph_input(w->g, 0);
    memcpy(in, x, sizeof(float) * (size_t)N * w->norm.dim);
    data_norm_apply(&w->norm, in, (size_t)N);
    graph_forward(w->g, N, 0);
    return graph_output(w->g, 0)->out;
}

void infer_windows_softmax(const infer_windows *w, const float *z, float *p)
{
    const size_t plane = (size_t)w->gh * w->gw;
    for (size_t q = 0; q < plane; q++) {
        float mx = z[q];
        for (int k = 1; k < w->K; k++)
            mx = fmaxf(mx, z[k * plane + q]);
        double s = 0;
        for (int k = 0; k < w->K; k++)
            s += exp((double)z[k * plane + q] - mx);
        for (int k = 0; k < w->K; k++)
            p[k * plane + q] = w->softmax ? (float)(exp((double)z[k * plane + q] - mx) / s)
                                          : z[k * plane + q];
    }
}
