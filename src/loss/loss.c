/* loss.c - losses fused with their link functions.
 *
 * softmax cross-entropy per row: log-sum-exp with the row maximum subtracted,
 * gradient (softmax - onehot) / count.  sigmoid BCE per entry in the stable
 * form max(z, 0) - z t + log(1 + exp(-|z|)), gradient (sigmoid(z) - t).
 * Unknown targets (NaN, or negative class ids) add nothing.  Style
 * transfer's content and style costs are scaled squared distances, summed
 * per example; total variation reads no targets. */
#include "loss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../graph/graph.h"
#include "loss_internal.h"

static int known(float t)
{
    return !isnan(t);
}

static void softmax_ce(const loss_call *c, loss_stats *st)
{
    const tensor_shape *out = c->shape;
    const size_t K = (size_t)out->d[out->ndim - 1];
    const size_t rows = (size_t)c->N * tensor_shape_size(out) / K;
    const float *z = c->out, *t = c->targets;
    float *dlogits = c->dout, weight = c->weight;
    double count = 0;
    for (size_t r = 0; r < rows; r++)
        if (known(t[r]) && t[r] >= 0)
            count++;
    if (count == 0)
        return;
    float g = (float)(weight / count);
    /* label smoothing eps: the target is (1 - eps) one-hot + eps / K */
    const double eps = c->opts ? c->opts->label_smoothing : 0.0;
    double sum = 0, correct = 0;
    for (size_t r = 0; r < rows; r++) {
        if (!known(t[r]) || t[r] < 0)
            continue;
        const float *zr = z + r * K;
        size_t y = (size_t)t[r];
        if (y >= K)
            continue; /* the data module rejects such labels; never read past the row */
        size_t arg = 0;
        float m = zr[0];
        double zsum = zr[0];
        for (size_t j = 1; j < K; j++) {
            zsum += zr[j];
            if (zr[j] > m) {
                m = zr[j];
                arg = j;
            }
        }
        double s = tensor_exp_sum(zr, m, K), lse = log(s) + m;
        /* -(1 - eps) log p_y - eps mean_j log p_j */
        sum += eps > 0 ? (1.0 - eps) * (lse - zr[y]) + eps * (lse - zsum / (double)K) : lse - zr[y];
        correct += arg == y;
        if (dlogits) { /* g * (softmax - smoothed one-hot) */
            float *dr = dlogits + r * K;
            tensor_exp_axpy(dr, (float)(g / s), zr, m, K);
            if (eps > 0) {
                const float spread = (float)(g * eps / (double)K);
                for (size_t j = 0; j < K; j++)
                    dr[j] -= spread;
            }
            dr[y] -= (float)(g * (1.0 - eps));
        }
    }
    st->sum += sum;
    st->count += count;
    st->correct += correct;
    st->judged += count;
}

/* Examples of t (N, T) with at least one known target. */
static double known_examples(const float *t, int N, size_t T)
{
    double examples = 0;
    for (int i = 0; i < N; i++) {
        for (size_t j = 0; j < T; j++)
            if (known(t[(size_t)i * T + j])) {
                examples++;
                break;
            }
    }
    return examples;
}

static void sigmoid_bce(const loss_call *c, loss_stats *st)
{
    const int N = c->N;
    const size_t T = tensor_shape_size(c->shape);
    const float *z = c->out, *t = c->targets;
    float *dlogits = c->dout, weight = c->weight;
    /* summed over tasks, averaged over examples with at least one known label */
    double examples = known_examples(t, N, T);
    if (examples == 0)
        return;
    float g = (float)(weight / examples);
    double sum = 0, correct = 0, judged = 0;
    for (size_t i = 0; i < (size_t)N * T; i++) {
        if (!known(t[i]))
            continue;
        double v = z[i], y = t[i];
        sum += (v > 0 ? v : 0) - v * y + log1p(exp(-fabs(v)));
        correct += (v > 0) == (y > 0.5);
        judged++;
        if (dlogits) {
            float p = v >= 0 ? 1.0f / (1.0f + expf(-z[i])) : expf(z[i]) / (1.0f + expf(z[i]));
            dlogits[i] += g * (p - t[i]);
        }
    }
    st->sum += sum;
    st->count += examples;
    st->correct += correct;
    st->judged += judged;
}

static void mse(const loss_call *c, loss_stats *st)
{
    const size_t n = (size_t)c->N * tensor_shape_size(c->shape);
    const float *z = c->out, *t = c->targets;
    float *dlogits = c->dout, weight = c->weight;
    double count = 0;
    for (size_t i = 0; i < n; i++)
        count += known(t[i]);
    if (count == 0)
        return;
    float g = (float)(2.0 * weight / count);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!known(t[i]))
            continue;
        double d = (double)z[i] - t[i];
        sum += d * d;
        if (dlogits)
            dlogits[i] += g * (float)d;
    }
    st->sum += sum;
    st->count += count;
}

/* k ||out - t||^2 per example (known targets only), averaged over the
 * examples with a known target: style transfer's content (k = 1/2) and
 * style (k = 1/4 of the gram layer's G = F F^T / (C H W)) costs. */
static void scaled_sq(const loss_call *c, loss_stats *st, double k)
{
    const size_t D = tensor_shape_size(c->shape);
    const float *z = c->out, *t = c->targets;
    double examples = known_examples(t, c->N, D);
    if (examples == 0)
        return;
    float g = (float)(2.0 * k * c->weight / examples);
    double sum = 0;
    for (size_t i = 0; i < (size_t)c->N * D; i++) {
        if (!known(t[i]))
            continue;
        double d = (double)z[i] - t[i];
        sum += d * d;
        if (c->dout)
            c->dout[i] += g * (float)d;
    }
    st->sum += k * sum;
    st->count += examples;
}

static void content_cost(const loss_call *c, loss_stats *st)
{
    scaled_sq(c, st, 0.5);
}

static void style_cost(const loss_call *c, loss_stats *st)
{
    scaled_sq(c, st, 0.25);
}

/* x (N, C, H, W): sum over c, i, j of (x[i+1][j] - x[i][j])^2 + (x[i][j+1] -
 * x[i][j])^2 per example; the gradient of each squared difference d^2 is
 * 2d at the later pixel and -2d at the earlier one. */
static void total_variation(const loss_call *c, loss_stats *st)
{
    const tensor_shape *s = c->shape;
    const size_t H = (size_t)s->d[1], W = (size_t)s->d[2], planes = (size_t)c->N * s->d[0];
    const float g = (float)(2.0 * c->weight / c->N);
    double sum = 0;
    for (size_t p = 0; p < planes; p++) {
        const float *x = c->out + p * H * W;
        float *dx = c->dout ? c->dout + p * H * W : NULL;
        for (size_t i = 0; i < H; i++)
            for (size_t j = 0; j < W; j++) {
                size_t at = i * W + j;
                if (i + 1 < H) {
                    float d = x[at + W] - x[at];
                    sum += (double)d * d;
                    if (dx) {
                        dx[at + W] += g * d;
                        dx[at] -= g * d;
                    }
                }
                if (j + 1 < W) {
                    float d = x[at + 1] - x[at];
                    sum += (double)d * d;
                    if (dx) {
                        dx[at + 1] += g * d;
                        dx[at] -= g * d;
                    }
                }
            }
    }
    st->sum += sum;
    st->count += c->N;
}

/* ---- metric learning ----
 * Letters: N examples, D embedding values, d(i, j) = |f(i) - f(j)|^2. */

static double sqdist(const float *restrict a, const float *restrict b, size_t D)
{
    double s = 0;
    for (size_t k = 0; k < D; k++) {
        double e = (double)a[k] - b[k];
        s += e * e;
    }
    return s;
}

/* A number from (seed, a, p) that random mining draws with: splitmix64's
 * finalizer, so a batch's draw needs no generator state (and a gradient
 * check, which evaluates the same batch many times, sees the same draw). */
static uint64_t mix(uint64_t seed, uint64_t a, uint64_t p)
{
    uint64_t z = seed ^ (a * 0x9E3779B97F4A7C15ull) ^ (p * 0xC2B2AE3D27D4EB4Full);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int label_of(const float *t, int i)
{
    float y = t[i];
    return isnan(y) || y < 0 ? -1 : (int)y;
}

/* The negative of anchor a for a positive at distance dap, row[j] = d(a, j):
 * -1 when the batch has no example of another class. */
static int mine(const loss_opts *o, const float *t, const double *row, int N, int a, int p,
                int ya, int n_neg, int hardest)
{
    if (n_neg == 0)
        return -1;
    if (o->mining == LOSS_MINE_HARD)
        return hardest;
    if (o->mining == LOSS_MINE_RANDOM) {
        int k = (int)(mix(o->seed, (uint64_t)a, (uint64_t)p) % (uint64_t)n_neg);
        for (int j = 0; j < N; j++) {
            int yj = label_of(t, j);
            if (yj >= 0 && yj != ya && k-- == 0)
                return j;
        }
        return -1;
    }
    /* semi-hard: the nearest negative farther than the positive, else the farthest */
    int semi = -1, far = -1;
    double dap = row[p];
    for (int j = 0; j < N; j++) {
        int yj = label_of(t, j);
        if (yj < 0 || yj == ya)
            continue;
        if (row[j] > dap && (semi < 0 || row[j] < row[semi]))
            semi = j;
        if (far < 0 || row[j] > row[far])
            far = j;
    }
    return semi >= 0 ? semi : far;
}

/* df += g * 2 (x - y) */
static void add_diff(float *restrict df, const float *restrict x, const float *restrict y,
                     double g, size_t D)
{
    for (size_t k = 0; k < D; k++)
        df[k] += (float)(2.0 * g * ((double)x[k] - y[k]));
}

/* One pass over every triplet of the batch: counts and sum into st; with
 * g != 0, adds g x the gradient of each positive triplet into dout. */
static void triplet_pass(const loss_call *c, const loss_opts *o, double margin, double *row,
                         double g, loss_stats *st)
{
    const int N = c->N;
    const size_t D = tensor_shape_size(c->shape);
    const float *f = c->out, *t = c->targets;
    for (int a = 0; a < N; a++) {
        int ya = label_of(t, a);
        if (ya < 0)
            continue;
        int n_pos = 0, n_neg = 0, hardest = -1;
        const float *fa = f + (size_t)a * D;
        for (int j = 0; j < N; j++) {
            int yj = label_of(t, j);
            row[j] = yj < 0 ? 0 : sqdist(fa, f + (size_t)j * D, D);
            if (yj < 0)
                continue;
            if (yj == ya && j != a)
                n_pos++;
            else if (yj != ya) {
                n_neg++;
                if (hardest < 0 || row[j] < row[hardest])
                    hardest = j;
            }
        }
        if (n_pos == 0)
            continue;
        for (int p = 0; p < N; p++) {
            if (p == a || label_of(t, p) != ya)
                continue;
            int n = mine(o, t, row, N, a, p, ya, n_neg, hardest);
            if (n < 0)
                continue;
            double l = row[p] - row[n] + margin;
            /* right: the positive is nearer than every negative of the batch
             * (whatever the mining picked) */
            st->judged++;
            st->correct += row[p] < row[hardest];
            if (!(l > 0))
                continue;
            st->sum += l;
            st->positive++;
            if (g != 0 && c->dout) {
                /* dl/df(A) = 2 (f(N) - f(P)), dl/df(P) = -2 (f(A) - f(P)), dl/df(N) = 2 (f(A) - f(N)) */
                const float *fp = f + (size_t)p * D, *fn = f + (size_t)n * D;
                add_diff(c->dout + (size_t)a * D, fn, fp, g, D);
                add_diff(c->dout + (size_t)p * D, fp, fa, g, D);
                add_diff(c->dout + (size_t)n * D, fa, fn, g, D);
            }
        }
    }
}

static void triplet(const loss_call *c, loss_stats *st)
{
    static const loss_opts defaults = {.margin = NAN, .mining = LOSS_MINE_SEMI_HARD, .average = LOSS_AVG_POSITIVE};
    const loss_opts *o = c->opts ? c->opts : &defaults;
    double margin = loss_margin(LOSS_TRIPLET, o);
    loss_stats b = {0};
    /* the mean's divisor is known only once every triplet is mined: count
     * first, then add the gradient in a second pass */
    triplet_pass(c, o, margin, c->scratch, 0.0, &b);
    double count = o->average == LOSS_AVG_ALL ? b.judged : b.positive;
    if (b.judged == 0)
        return;
    if (c->dout && count > 0) {
        loss_stats again = {0};
        triplet_pass(c, o, margin, c->scratch, c->weight / count, &again);
    }
    b.count = count;
    loss_stats_add(st, &b);
}

static size_t triplet_scratch(int N)
{
    return (size_t)(N > 0 ? N : 1); /* one anchor's distances */
}

static void contrastive(const loss_call *c, loss_stats *st)
{
    static const loss_opts defaults = {.margin = NAN, .mining = LOSS_MINE_SEMI_HARD, .average = LOSS_AVG_POSITIVE};
    const int N = c->N;
    const size_t D = tensor_shape_size(c->shape);
    const float *v = c->out, *t = c->targets;
    double margin = loss_margin(LOSS_CONTRASTIVE, c->opts ? c->opts : &defaults);
    double count = 0;
    for (int i = 0; i < N; i++)
        count += known(t[i]);
    if (count == 0)
        return;
    double g = c->weight / count, sum = 0;
    for (int i = 0; i < N; i++) {
        if (!known(t[i]))
            continue;
        const float *vi = v + (size_t)i * D;
        double d2 = 0;
        for (size_t k = 0; k < D; k++)
            d2 += (double)vi[k] * vi[k];
        double d = sqrt(d2), coef; /* dL/dv = coef * v */
        if (t[i] > 0.5f) {
            sum += d2;
            coef = 2.0;
        } else {
            double h = margin - d;
            sum += h > 0 ? h * h : 0;
            /* d|v|/dv = v / |v|; at v = 0 the gradient is taken as 0 */
            coef = h > 0 && d > 0 ? -2.0 * h / d : 0.0;
        }
        if (c->dout)
            for (size_t k = 0; k < D; k++)
                c->dout[(size_t)i * D + k] += (float)(g * coef * vi[k]);
    }
    st->sum += sum;
    st->count += count;
}

/* ---- targets and shapes ---- */

static size_t per_value(const tensor_shape *out, const loss_opts *o)
{
    (void)o;
    return tensor_shape_size(out);
}

static size_t per_row(const tensor_shape *out, const loss_opts *o)
{
    (void)o;
    return tensor_shape_size(out) / (size_t)out->d[out->ndim - 1];
}

static size_t no_targets(const tensor_shape *out, const loss_opts *o)
{
    (void)out;
    (void)o;
    return 0;
}

static const char *gram_shape(const tensor_shape *out, const loss_opts *o)
{
    (void)o;
    if (out->ndim != 2 || out->d[0] != out->d[1])
        return "style compares Gram matrices (C, C): name a gram layer (type: gram) reading a "
               "convolution map";
    return NULL;
}

static const char *image_shape(const tensor_shape *out, const loss_opts *o)
{
    (void)o;
    if (out->ndim != 3)
        return "total_variation needs an image or a map (channels, height, width)";
    return NULL;
}

static size_t per_example(const tensor_shape *out, const loss_opts *o)
{
    (void)out;
    (void)o;
    return 1;
}

static const char *any_shape(const tensor_shape *out, const loss_opts *o)
{
    (void)o;
    return out->ndim < 1 ? "the output has no axes" : NULL;
}

static const char *vector_shape(const tensor_shape *out, const loss_opts *o)
{
    (void)o;
    if (out->ndim != 1)
        return "it compares vectors: the output must be one vector (D) per example (flatten first)";
    return NULL;
}

static const char *class_shape(const tensor_shape *out, const loss_opts *o)
{
    (void)o;
    if (out->ndim < 1)
        return "the output has no axes";
    if (out->d[out->ndim - 1] < 2)
        return "softmax_cross_entropy needs at least 2 output units (one per class); "
               "use sigmoid_bce with 1 unit for a binary task";
    return NULL;
}

/* ---- the table ---- */

const char *const loss_names[LOSS_COUNT + 1] = {"softmax_cross_entropy", "sigmoid_bce", "mse",
                                                "triplet", "contrastive", "content", "style",
                                                "total_variation", "localize", "landmarks", "yolo", NULL};
const char *const loss_class_names[LOSS_CLASS_COUNT + 1] = {"cross_entropy", "mse", NULL};
const char *const loss_mining_names[LOSS_MINE_COUNT + 1] = {"random", "hard", "semi_hard", NULL};
const char *const loss_average_names[LOSS_AVG_COUNT + 1] = {"positive", "all", NULL};

const loss_def loss_table[] = {
    [LOSS_SOFTMAX_CE] = {"softmax_cross_entropy", ACT_SOFTMAX, LOSS_TARGET_CLASS, 1, per_row,
                         class_shape, softmax_ce, 0, 0, NULL},
    [LOSS_SIGMOID_BCE] = {"sigmoid_bce", ACT_SIGMOID, LOSS_TARGET_BINARY, 0, per_value, any_shape,
                          sigmoid_bce, 0, 0, NULL},
    [LOSS_MSE] = {"mse", ACT_LINEAR, LOSS_TARGET_NUMERIC, 0, per_value, any_shape, mse, 0, 0, NULL},
    /* FaceNet's alpha = 0.2 for unit-length embeddings */
    [LOSS_TRIPLET] = {"triplet", ACT_LINEAR, LOSS_TARGET_CLASS, 0, per_example, vector_shape,
                      triplet, 1, 0.2, triplet_scratch},
    [LOSS_CONTRASTIVE] = {"contrastive", ACT_LINEAR, LOSS_TARGET_BINARY, 0, per_example,
                          vector_shape, contrastive, 1, 1.0, NULL},
    [LOSS_CONTENT] = {"content", ACT_LINEAR, LOSS_TARGET_NUMERIC, 0, per_value, any_shape,
                      content_cost, 0, 0, NULL},
    [LOSS_STYLE] = {"style", ACT_LINEAR, LOSS_TARGET_NUMERIC, 0, per_value, gram_shape, style_cost, 0, 0, NULL},
    [LOSS_TOTAL_VARIATION] = {"total_variation", ACT_LINEAR, LOSS_TARGET_NUMERIC, 0, no_targets,
                              image_shape, total_variation, 0, 0, NULL},
    /* term weights: the notes' loss for one object (all 1), YOLOv1's for the grid */
    [LOSS_LOCALIZE] = {"localize", ACT_LINEAR, LOSS_TARGET_OBJECTS, 0, loss_objects_size,
                       loss_localize_shape, loss_localize, 0, 0, NULL, {1, 1, 1, 1}},
    [LOSS_LANDMARKS] = {"landmarks", ACT_LINEAR, LOSS_TARGET_OBJECTS, 0, loss_objects_size,
                        loss_landmarks_shape, loss_landmarks, 0, 0, NULL, {1, 0, 0, 0}},
    [LOSS_YOLO] = {"yolo", ACT_LINEAR, LOSS_TARGET_OBJECTS, 0, loss_objects_size, loss_yolo_shape,
                   loss_yolo, 0, 0, NULL, {5, 1, 0.5f, 1}},
};
_Static_assert(sizeof loss_table / sizeof loss_table[0] == LOSS_COUNT,
               "loss_table needs one row per loss_kind");
_Static_assert(sizeof loss_names / sizeof loss_names[0] == LOSS_COUNT + 1,
               "loss_names needs one name per loss_kind");

int loss_find(const char *name)
{
    for (int k = 0; k < LOSS_COUNT; k++)
        if (loss_table[k].name && strcmp(loss_table[k].name, name) == 0)
            return k;
    return -1;
}

void loss_run(loss_kind k, const loss_call *c, loss_stats *st)
{
    size_t need = loss_scratch_size(k, c->N);
    if (need == 0 || c->scratch) {
        loss_table[k].compute(c, st);
        return;
    }
    loss_call own = *c;
    if (!(own.scratch = malloc(sizeof(double) * need)))
        return;
    loss_table[k].compute(&own, st);
    free(own.scratch);
}

void loss_compute(loss_kind k, float *dlogits, const float *logits, const float *targets, int N,
                  const tensor_shape *out, float weight, loss_stats *st)
{
    loss_call c = {logits, targets, N, out, weight, dlogits, NULL, NULL};
    loss_run(k, &c, st);
}

size_t loss_scratch_size(loss_kind k, int N)
{
    return loss_table[k].scratch ? loss_table[k].scratch(N) : 0;
}

double loss_margin(loss_kind k, const loss_opts *opts)
{
    return opts && !isnan(opts->margin) ? opts->margin : loss_table[k].default_margin;
}

double loss_mean(const loss_stats *st)
{
    if (st->count > 0)
        return st->sum / st->count;
    /* judged but nothing to average: a triplet batch whose every triplet
     * already meets the margin has loss 0 */
    return st->judged > 0 ? 0.0 : NAN;
}

double loss_accuracy(const loss_stats *st)
{
    return st->judged > 0 ? st->correct / st->judged : NAN;
}

void loss_stats_add(loss_stats *a, const loss_stats *b)
{
    a->sum += b->sum;
    a->count += b->count;
    a->correct += b->correct;
    a->judged += b->judged;
    a->positive += b->positive;
}
