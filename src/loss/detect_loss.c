/* detect_loss.c - the detection losses of the loss table: localize (one
 * object: p_c, box, class), landmarks (one object's K points) and yolo (a
 * grid of anchors), each the weighted sum of the notes' and the YOLO
 * papers' terms (loss.h has the formulas).  Targets are an image's object
 * slots (detect.h); the layout and the term weights come from the head's
 * loss_opts.  Sums are in double; nothing is allocated (object lists live on
 * the stack, at most DETECT_MAX_OBJECTS of them).
 *
 * Letters: N images, C classes, M object slots, K landmarks, S grid cells
 * per side, A anchors, D = 5 + C values per prediction. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "loss_internal.h"

static double sigmoid(double z)
{
    return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
}

size_t loss_objects_size(const tensor_shape *out, const loss_opts *o)
{
    (void)out;
    return o ? (size_t)o->objects * (size_t)detect_obj_stride(o->landmarks) : 0;
}

/* The object term w (p - y)^2 of a p_c logit z: its value, its gradient
 * (times g) into *dz. */
static double objectness(float z, double y, double w, float g, float *dz)
{
    double p = sigmoid(z), d = p - y;
    if (dz)
        *dz += (float)(g * w * 2.0 * d * p * (1.0 - p));
    return w * d * d;
}

/* The class term over C scores z (stride apart) for class y: softmax
 * cross-entropy, or the squared error of the softmax probabilities against
 * the one-hot class.  Gradient (times g w) into dz; *arg the best class. */
static double class_term(const float *z, size_t stride, int C, int y, int kind, double w, float g,
                         float *dz, int *arg)
{
    int best = 0;
    for (int j = 1; j < C; j++)
        if (z[j * stride] > z[best * stride])
            best = j;
    *arg = best;
    double s = 0;
    for (int j = 0; j < C; j++)
        s += exp((double)z[j * stride] - z[best * stride]);
    if (kind == LOSS_CLASS_CE) {
        if (dz)
            for (int j = 0; j < C; j++) {
                double q = exp((double)z[j * stride] - z[best * stride]) / s;
                dz[j * stride] += (float)(g * w * (q - (j == y)));
            }
        return w * (log(s) + z[best * stride] - z[y * stride]);
    }
    /* sum_j (q_j - e_j)^2; d/dz_k = 2 q_k ((q_k - e_k) - sum_j q_j (q_j - e_j)) */
    double loss = 0, dot = 0;
    for (int j = 0; j < C; j++) {
        double q = exp((double)z[j * stride] - z[best * stride]) / s, e = q - (j == y);
        loss += e * e;
        dot += q * e;
    }
    if (dz)
        for (int k = 0; k < C; k++) {
            double q = exp((double)z[k * stride] - z[best * stride]) / s;
            dz[k * stride] += (float)(g * w * 2.0 * q * ((q - (k == y)) - dot));
        }
    return w * loss;
}

/* ---- localize: one object per image ---- */

const char *loss_localize_shape(const tensor_shape *out, const loss_opts *o)
{
    if (out->ndim != 1)
        return "localize needs a vector of outputs (a dense layer): p_c, the box (cx, cy, w, h) "
               "and a score per class";
    if (o && o->classes > 0 && out->d[0] != DETECT_FIELDS + o->classes)
        return "localize needs 5 + classes outputs: p_c, the box (cx, cy, w, h) and a score per "
               "class";
    return NULL;
}

void loss_localize(const loss_call *c, loss_stats *st)
{
    const loss_opts *o = c->opts;
    assert(o);
    const int C = o->classes, D = DETECT_FIELDS + C;
    const size_t T = loss_objects_size(c->shape, o);
    const float *w = o->term;
    const float g = c->weight / (float)c->N;
    double sum = 0, correct = 0;
    for (int i = 0; i < c->N; i++) {
        const float *z = c->out + (size_t)i * D, *t = c->targets + (size_t)i * T;
        float *dz = c->dout ? c->dout + (size_t)i * D : NULL;
        int has = t[0] >= 0 && t[0] < C;
        sum += objectness(z[0], has, has ? w[LOSS_TERM_OBJ] : w[LOSS_TERM_NOOBJ], g, dz);
        int said = z[0] > 0;
        if (!has) {
            correct += !said;
            continue;
        }
        for (int k = 1; k < DETECT_FIELDS; k++) {
            double d = (double)z[k] - t[k];
            sum += w[LOSS_TERM_COORD] * d * d;
            if (dz)
                dz[k] += (float)(g * w[LOSS_TERM_COORD] * 2.0 * d);
        }
        int arg;
        sum += class_term(z + DETECT_FIELDS, 1, C, (int)t[0], o->class_loss, w[LOSS_TERM_CLASS], g,
                          dz ? dz + DETECT_FIELDS : NULL, &arg);
        correct += said && arg == (int)t[0];
    }
    st->sum += sum;
    st->count += c->N;
    st->correct += correct; /* object present or not, and its class */
    st->judged += c->N;
}

/* ---- landmarks: K points of one object ---- */

const char *loss_landmarks_shape(const tensor_shape *out, const loss_opts *o)
{
    if (o && o->landmarks == 0)
        return "landmarks needs points in the data: set data.detection.landmarks";
    if (out->ndim != 1 || (o && out->d[0] != 2 * o->landmarks))
        return "landmarks needs a vector of 2 K outputs: x and y of each of the K landmarks";
    return NULL;
}

void loss_landmarks(const loss_call *c, loss_stats *st)
{
    const loss_opts *o = c->opts;
    assert(o);
    const int P = 2 * o->landmarks;
    const size_t T = loss_objects_size(c->shape, o);
    double count = 0;
    for (int i = 0; i < c->N; i++)
        count += c->targets[(size_t)i * T] >= 0;
    if (count == 0)
        return;
    const double wc = o->term[LOSS_TERM_COORD];
    const float g = (float)(c->weight / count);
    double sum = 0;
    for (int i = 0; i < c->N; i++) {
        const float *z = c->out + (size_t)i * P, *t = c->targets + (size_t)i * T;
        if (!(t[0] >= 0))
            continue;
        for (int k = 0; k < P; k++) {
            double d = (double)z[k] - t[DETECT_FIELDS + k];
            sum += wc * d * d;
            if (c->dout)
                c->dout[(size_t)i * P + k] += (float)(g * wc * 2.0 * d);
        }
    }
    st->sum += sum;
    st->count += count;
}

/* ---- yolo: a grid of anchors ---- */

const char *loss_yolo_shape(const tensor_shape *out, const loss_opts *o)
{
    if (out->ndim != 3 || out->d[1] != out->d[2])
        return "yolo needs a square grid of predictions (channels, S, S), e.g. from a conv layer";
    if (!o)
        return NULL;
    if (o->n_anchors < 1)
        return "yolo needs anchors: model.outputs' anchors: [[w, h], ...] as fractions of the image";
    if (o->grid > 0 && out->d[1] != o->grid)
        return "the output's grid is not the output's `grid` cells per side";
    if (o->classes > 0 && out->d[0] != o->n_anchors * (DETECT_FIELDS + o->classes))
        return "yolo needs anchors x (5 + classes) channels: for each anchor p_c, x, y, w, h and a "
               "score per class";
    return NULL;
}

/* Each object of one image to a cell and anchor: slot[n] = (i S + j) A + a
 * for object n (-1: none free); objects in row order, boxes into box[n],
 * classes into cls[n]; returns the object count. */
static int assign(const float *t, const loss_opts *o, int S, int *slot, detect_box *box, int *cls,
                  float *obj)
{
    const int A = o->n_anchors, stride = detect_obj_stride(o->landmarks);
    int n = 0;
    for (int m = 0; m < o->objects && m < DETECT_MAX_OBJECTS; m++) {
        const float *ob = t + (size_t)m * stride;
        if (!(ob[0] >= 0 && ob[0] < o->classes))
            continue;
        int j = (int)(ob[1] * S), i = (int)(ob[2] * S);
        j = j < 0 ? 0 : j >= S ? S - 1 : j;
        i = i < 0 ? 0 : i >= S ? S - 1 : i;
        /* the best-shaped anchor this cell has free */
        float best = -1;
        int at = -1;
        for (int a = 0; a < A; a++) {
            int q = (i * S + j) * A + a, taken = 0;
            for (int k = 0; k < n && !taken; k++)
                taken = slot[k] == q;
            float iou = detect_iou_shape(ob[3], ob[4], o->anchors[a][0], o->anchors[a][1]);
            if (!taken && iou > best) {
                best = iou;
                at = q;
            }
        }
        slot[n] = at;
        box[n] = detect_box_cwh(ob[1], ob[2], ob[3], ob[4]);
        cls[n] = (int)ob[0];
        memcpy(obj + 4 * n, ob + 1, 4 * sizeof(float));
        n++;
    }
    return n;
}

void loss_yolo(const loss_call *c, loss_stats *st)
{
    const loss_opts *o = c->opts;
    assert(o);
    const int S = c->shape->d[1], A = o->n_anchors, C = o->classes, D = DETECT_FIELDS + C;
    const size_t plane = (size_t)S * S, size = (size_t)A * D * plane;
    const size_t T = loss_objects_size(c->shape, o);
    const float *w = o->term;
    const float g = c->weight / (float)c->N;
    int slot[DETECT_MAX_OBJECTS], cls[DETECT_MAX_OBJECTS];
    detect_box box[DETECT_MAX_OBJECTS];
    float obj[4 * DETECT_MAX_OBJECTS]; /* cx, cy, w, h of each object */
    double sum = 0, correct = 0, judged = 0;
    for (int im = 0; im < c->N; im++) {
        const float *z = c->out + (size_t)im * size;   /* (A D, S, S) */
        float *dz = c->dout ? c->dout + (size_t)im * size : NULL;
        int n = assign(c->targets + (size_t)im * T, o, S, slot, box, cls, obj);
        for (int a = 0; a < A; a++)
            for (int i = 0; i < S; i++)
                for (int j = 0; j < S; j++) {
                    size_t at = (size_t)a * D * plane + (size_t)i * S + j; /* p_c of this prediction */
                    const float *p = z + at;
                    float *dp = dz ? dz + at : NULL;
                    int q = (i * S + j) * A + a, mine = -1;
                    for (int k = 0; k < n && mine < 0; k++)
                        if (slot[k] == q)
                            mine = k;
                    double sx = sigmoid(p[plane]), sy = sigmoid(p[2 * plane]);
                    if (mine < 0) {
                        /* no object here: push p_c to 0 unless the box already finds one */
                        detect_box b = detect_box_cwh(
                            (float)((j + sx) / S), (float)((i + sy) / S),
                            o->anchors[a][0] * expf(fminf(p[3 * plane], 10.0f)),
                            o->anchors[a][1] * expf(fminf(p[4 * plane], 10.0f)));
                        float best = 0;
                        for (int k = 0; k < n; k++)
                            best = fmaxf(best, detect_iou(&b, &box[k]));
                        if (best <= o->ignore_iou)
                            sum += objectness(p[0], 0, w[LOSS_TERM_NOOBJ], g, dp);
                        continue;
                    }
                    const float *ob = obj + 4 * mine;
                    sum += objectness(p[0], 1, w[LOSS_TERM_OBJ], g, dp);
                    /* the box: offsets in the cell through a sigmoid, sizes as log(size / anchor) */
                    double want[4] = {ob[0] * S - j, ob[1] * S - i, log(ob[2] / o->anchors[a][0]),
                                      log(ob[3] / o->anchors[a][1])};
                    double have[4] = {sx, sy, p[3 * plane], p[4 * plane]};
                    for (int k = 0; k < 4; k++) {
                        double d = have[k] - want[k];
                        sum += w[LOSS_TERM_COORD] * d * d;
                        if (dp) {
                            double chain = k < 2 ? have[k] * (1.0 - have[k]) : 1.0;
                            dp[(size_t)(k + 1) * plane] += (float)(g * w[LOSS_TERM_COORD] * 2.0 * d * chain);
                        }
                    }
                    int arg;
                    sum += class_term(p + DETECT_FIELDS * plane, plane, C, cls[mine], o->class_loss,
                                      w[LOSS_TERM_CLASS], g, dp ? dp + DETECT_FIELDS * plane : NULL,
                                      &arg);
                    correct += p[0] > 0 && arg == cls[mine];
                    judged++;
                }
    }
    st->sum += sum;
    st->count += c->N;
    st->correct += correct; /* objects whose predictor says "object" and the right class */
    st->judged += judged;
}
