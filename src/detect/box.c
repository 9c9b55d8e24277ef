/* box.c - boxes, IoU, non-max suppression and decoding detection outputs
 * (see detect.h).  Nothing here allocates: the losses call IoU in the
 * training step. */
#include "detect.h"

#include <math.h>
#include <string.h>

detect_box detect_box_cwh(float cx, float cy, float w, float h)
{
    return (detect_box){cx - 0.5f * w, cy - 0.5f * h, cx + 0.5f * w, cy + 0.5f * h};
}

float detect_box_area(const detect_box *a)
{
    float w = a->x2 - a->x1, h = a->y2 - a->y1;
    return w > 0 && h > 0 ? w * h : 0.0f;
}

float detect_iou(const detect_box *a, const detect_box *b)
{
    /* torchvision: area = (x2 - x1)(y2 - y1) as given, the overlap clamped at 0 */
    float w = fminf(a->x2, b->x2) - fmaxf(a->x1, b->x1);
    float h = fminf(a->y2, b->y2) - fmaxf(a->y1, b->y1);
    float inter = (w > 0 ? w : 0) * (h > 0 ? h : 0);
    float uni = (a->x2 - a->x1) * (a->y2 - a->y1) + (b->x2 - b->x1) * (b->y2 - b->y1) - inter;
    return uni > 0 ? inter / uni : 0.0f;
}

float detect_iou_shape(float w1, float h1, float w2, float h2)
{
    float inter = fminf(w1, w2) * fminf(h1, h2);
    float uni = w1 * h1 + w2 * h2 - inter;
    return uni > 0 ? inter / uni : 0.0f;
}

/* order[0..n) by decreasing score, equal scores by increasing index (an
 * insertion sort: n is a few hundred boxes at most per image) */
static void by_score(const float *scores, int n, int *order)
{
    for (int i = 0; i < n; i++) {
        int j = i;
        while (j > 0 && scores[order[j - 1]] < scores[i])
            j--;
        memmove(order + j + 1, order + j, sizeof *order * (size_t)(i - j));
        order[j] = i;
    }
}

int detect_nms(const detect_box *boxes, const float *scores, int n, float iou_thresh, int *keep,
               int *order)
{
    by_score(scores, n, order);
    int kept = 0;
    for (int a = 0; a < n; a++) {
        int i = order[a];
        if (i < 0)
            continue; /* suppressed */
        keep[kept++] = i;
        for (int b = a + 1; b < n; b++)
            if (order[b] >= 0 && detect_iou(&boxes[i], &boxes[order[b]]) > iou_thresh)
                order[b] = -1;
    }
    return kept;
}

int detect_suppress(detect_det *d, int n, float score_thresh, float iou_thresh, int *scratch)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (d[i].score >= score_thresh)
            d[m++] = d[i];
    /* by decreasing score, equal scores keeping their order (insertion sort) */
    for (int i = 1; i < m; i++) {
        detect_det x = d[i];
        int j = i;
        while (j > 0 && d[j - 1].score < x.score) {
            d[j] = d[j - 1];
            j--;
        }
        d[j] = x;
    }
    /* greedy suppression within a class, then the survivors moved up */
    int *gone = scratch;
    for (int i = 0; i < m; i++)
        gone[i] = 0;
    int kept = 0;
    for (int a = 0; a < m; a++) {
        if (gone[a])
            continue;
        for (int b = a + 1; b < m; b++)
            if (!gone[b] && d[b].cls == d[a].cls && detect_iou(&d[a].box, &d[b].box) > iou_thresh)
                gone[b] = 1;
        d[kept++] = d[a];
    }
    return kept;
}

/* ---- decoding ---- */

static float sigmoid(float z)
{
    return z >= 0 ? 1.0f / (1.0f + expf(-z)) : expf(z) / (1.0f + expf(z));
}

static float clip01(float v)
{
    return v < 0 ? 0.0f : v > 1 ? 1.0f : v;
}

static detect_box clipped(float cx, float cy, float w, float h)
{
    detect_box b = detect_box_cwh(cx, cy, w, h);
    return (detect_box){clip01(b.x1), clip01(b.y1), clip01(b.x2), clip01(b.y2)};
}

/* Softmax of z (C values, stride apart) into its best class; its probability
 * returned, every probability into probs when not NULL. */
static float best_class(const float *z, int C, size_t stride, int *cls, float *probs)
{
    int arg = 0;
    for (int c = 1; c < C; c++)
        if (z[c * stride] > z[arg * stride])
            arg = c;
    double s = 0;
    for (int c = 0; c < C; c++)
        s += exp((double)z[c * stride] - z[arg * stride]);
    if (probs)
        for (int c = 0; c < C; c++)
            probs[c] = (float)(exp((double)z[c * stride] - z[arg * stride]) / s);
    *cls = arg;
    return (float)(1.0 / s);
}

int detect_objects(const float *row, int M, int K, int image, detect_det *out)
{
    int n = 0, stride = detect_obj_stride(K);
    for (int m = 0; m < M; m++) {
        const float *o = row + (size_t)m * stride;
        if (!(o[0] >= 0))
            continue;
        out[n++] = (detect_det){clipped(o[1], o[2], o[3], o[4]), 1.0f, (int)o[0], image, m};
    }
    return n;
}

detect_det detect_decode_localize(const float *out, int C, float *p_obj, float *probs)
{
    float p = sigmoid(out[0]);
    int cls = 0;
    float pc = C > 0 ? best_class(out + DETECT_FIELDS, C, 1, &cls, probs) : 1.0f;
    if (p_obj)
        *p_obj = p;
    return (detect_det){clipped(out[1], out[2], out[3], out[4]), p * pc, cls, 0, 0};
}

int detect_decode_yolo(const float *out, const detect_grid *g, float min_score, int image,
                       detect_det *out_dets)
{
    const int S = g->S, D = detect_grid_depth(g);
    const size_t plane = (size_t)S * S;
    int n = 0;
    for (int a = 0; a < g->A; a++) {
        const float *base = out + (size_t)a * D * plane; /* (D, S, S) */
        for (int i = 0; i < S; i++)
            for (int j = 0; j < S; j++) {
                const float *t = base + (size_t)i * S + j;
                float p = sigmoid(t[0]);
                if (p < min_score)
                    continue; /* p x P(class) <= p */
                int cls = 0;
                float pc = g->C > 0 ? best_class(t + DETECT_FIELDS * plane, g->C, plane, &cls, NULL) : 1.0f;
                float score = p * pc;
                if (score < min_score)
                    continue;
                float cx = (j + sigmoid(t[plane])) / S, cy = (i + sigmoid(t[2 * plane])) / S;
                float w = g->anchors[a][0] * expf(fminf(t[3 * plane], 10.0f));
                float h = g->anchors[a][1] * expf(fminf(t[4 * plane], 10.0f));
                out_dets[n++] = (detect_det){clipped(cx, cy, w, h), score, cls, image,
                                             (i * S + j) * g->A + a};
            }
    }
    return n;
}
