/* ap.c - average precision of a set of images' detections (see detect.h):
 * matching detections to ground truth as the PASCAL VOC devkit does, the
 * all-point interpolated AP of VOC 2010 and later, and mAP@0.5 and
 * mAP@0.5:0.95 over the classes.
 *
 * Letters: C classes, n_dets detections, n_gts ground-truth objects. */
#include "detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void detect_eval_init(detect_eval *e, int classes)
{
    memset(e, 0, sizeof *e);
    e->classes = classes;
}

void detect_eval_free(detect_eval *e)
{
    if (!e)
        return;
    free(e->dets);
    free(e->gts);
    free(e->gt_start);
    memset(e, 0, sizeof *e);
}

/* Room for `want` items of `size` bytes in *p (capacity *cap). */
static int grow(void **p, long *cap, long want, size_t size)
{
    if (want <= *cap)
        return 1;
    long c = *cap ? *cap : 64;
    while (c < want)
        c *= 2;
    void *q = realloc(*p, size * (size_t)c);
    if (!q)
        return 0;
    *p = q;
    *cap = c;
    return 1;
}

dlc_status detect_eval_add(detect_eval *e, const detect_det *dets, int nd, const detect_det *gts,
                           int ng, dlc_error *err)
{
    if (!grow((void **)&e->dets, &e->cap_dets, e->n_dets + nd, sizeof *e->dets) ||
        !grow((void **)&e->gts, &e->cap_gts, e->n_gts + ng, sizeof *e->gts) ||
        !grow((void **)&e->gt_start, &e->cap_images, e->n_images + 2, sizeof *e->gt_start))
        return DLC_NOMEM(err);
    int image = e->n_images;
    if (image == 0)
        e->gt_start[0] = 0;
    for (int i = 0; i < nd; i++)
        if (dets[i].cls >= 0 && dets[i].cls < e->classes) {
            e->dets[e->n_dets] = dets[i];
            e->dets[e->n_dets++].image = image;
        }
    for (int i = 0; i < ng; i++)
        if (gts[i].cls >= 0 && gts[i].cls < e->classes) {
            e->gts[e->n_gts] = gts[i];
            e->gts[e->n_gts++].image = image;
        }
    e->n_images++;
    e->gt_start[e->n_images] = e->n_gts;
    return DLC_OK;
}

typedef struct {
    float score;
    long index;
} ranked;

/* Decreasing score, then the order added (stable). */
static int by_score_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Detection indices in decreasing order of score (ties: the order added)
 * into order (n_dets).  ENOMEM. */
static dlc_status sort_by_score(const detect_eval *e, long *order, dlc_error *err)
{
    ranked *r = malloc(sizeof *r * (size_t)(e->n_dets + 1));
    if (!r)
        return DLC_NOMEM(err);
    for (long i = 0; i < e->n_dets; i++)
        r[i] = (ranked){e->dets[i].score, i};
    qsort(r, (size_t)e->n_dets, sizeof *r, by_score_desc);
    for (long i = 0; i < e->n_dets; i++)
        order[i] = r[i].index;
    free(r);
    return DLC_OK;
}

/* The matching over detections in `order` (see detect_eval_match). */
static void match(const detect_eval *e, const long *order, float iou_thresh, uint8_t *tp,
                  uint8_t *hit)
{
    memset(hit, 0, (size_t)(e->n_gts ? e->n_gts : 1));
    for (long k = 0; k < e->n_dets; k++) {
        long d = order[k];
        const detect_det *p = &e->dets[d];
        long best = -1;
        float best_iou = -1;
        for (long g = e->gt_start[p->image]; g < e->gt_start[p->image + 1]; g++) {
            if (e->gts[g].cls != p->cls)
                continue;
            float iou = detect_iou(&p->box, &e->gts[g].box);
            if (iou > best_iou) {
                best_iou = iou;
                best = g;
            }
        }
        /* VOC: the best-overlapping box of the class decides, taken or not */
        tp[d] = best >= 0 && best_iou >= iou_thresh && !hit[best];
        if (tp[d])
            hit[best] = 1;
    }
}

dlc_status detect_eval_match(const detect_eval *e, float iou_thresh, uint8_t *tp, uint8_t *gt_hit,
                             dlc_error *err)
{
    long *order = malloc(sizeof *order * (size_t)(e->n_dets + 1));
    uint8_t *t = malloc((size_t)e->n_dets + 1), *h = malloc((size_t)e->n_gts + 1);
    dlc_status st = DLC_OK;
    if (!order || !t || !h) {
        st = DLC_NOMEM(err);
        goto done;
    }
    if ((st = sort_by_score(e, order, err)) != DLC_OK)
        goto done;
    match(e, order, iou_thresh, t, h);
    if (tp)
        memcpy(tp, t, (size_t)e->n_dets);
    if (gt_hit)
        memcpy(gt_hit, h, (size_t)e->n_gts);
done:
    free(order);
    free(t);
    free(h);
    return st;
}

double detect_ap_voc(const double *rec, const double *prec, int n)
{
    /* the envelope: precision at recall r = the best precision at recall >= r;
     * the area sums (r_i - r_{i-1}) times the envelope at r_i, from r_0 = 0 */
    double ap = 0, env = 0;
    for (int i = n - 1; i >= 0; i--) {
        if (prec[i] > env)
            env = prec[i];
        double before = i > 0 ? rec[i - 1] : 0.0;
        ap += (rec[i] - before) * env;
    }
    return ap;
}

/* AP of every class from a matching (tp in the order of `order`), into ap. */
static void ap_from_match(const detect_eval *e, const long *order, const uint8_t *tp,
                          const long *n_gt, double *rec, double *prec, double *ap)
{
    for (int c = 0; c < e->classes; c++) {
        if (n_gt[c] == 0) {
            ap[c] = NAN;
            continue;
        }
        long n = 0, tps = 0, seen = 0;
        for (long k = 0; k < e->n_dets; k++) {
            long d = order[k];
            if (e->dets[d].cls != c)
                continue;
            seen++;
            tps += tp[d];
            rec[n] = (double)tps / (double)n_gt[c];
            prec[n] = (double)tps / (double)seen;
            n++;
        }
        ap[c] = detect_ap_voc(rec, prec, (int)n);
    }
}

/* AP per class at each of n_thr thresholds: ap[t * C + c]. */
static dlc_status eval_ap(const detect_eval *e, const float *thr, int n_thr, double *ap, long *n_gt,
                          dlc_error *err)
{
    const int C = e->classes;
    long *order = malloc(sizeof *order * (size_t)(e->n_dets + 1));
    uint8_t *tp = malloc((size_t)e->n_dets + 1), *hit = malloc((size_t)e->n_gts + 1);
    double *rec = malloc(sizeof *rec * (size_t)(e->n_dets + 1));
    double *prec = malloc(sizeof *prec * (size_t)(e->n_dets + 1));
    dlc_status st = DLC_OK;
    if (!order || !tp || !hit || !rec || !prec) {
        st = DLC_NOMEM(err);
        goto done;
    }
    for (int c = 0; c < C; c++)
        n_gt[c] = 0;
    for (long g = 0; g < e->n_gts; g++)
        n_gt[e->gts[g].cls]++;
    if ((st = sort_by_score(e, order, err)) != DLC_OK)
        goto done;
    for (int t = 0; t < n_thr; t++) {
        match(e, order, thr[t], tp, hit);
        ap_from_match(e, order, tp, n_gt, rec, prec, ap + (size_t)t * C);
    }
done:
    free(order);
    free(tp);
    free(hit);
    free(rec);
    free(prec);
    return st;
}

dlc_status detect_eval_ap(const detect_eval *e, float iou_thresh, double *ap, long *n_gt,
                          dlc_error *err)
{
    long *counts = malloc(sizeof *counts * (size_t)(e->classes + 1));
    if (!counts)
        return DLC_NOMEM(err);
    dlc_status st = eval_ap(e, &iou_thresh, 1, ap, counts, err);
    if (st == DLC_OK && n_gt)
        memcpy(n_gt, counts, sizeof *counts * (size_t)e->classes);
    free(counts);
    return st;
}

/* The mean of the non-NaN values of v (n), NaN when there are none. */
static double mean_known(const double *v, int n)
{
    double s = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(v[i])) {
            s += v[i];
            k++;
        }
    return k ? s / k : NAN;
}

dlc_status detect_eval_map(const detect_eval *e, double *ap50, double *ap, detect_map *out,
                           dlc_error *err)
{
    enum { T = 10 }; /* IoU 0.50, 0.55, ..., 0.95 */
    const int C = e->classes;
    float thr[T];
    for (int t = 0; t < T; t++)
        thr[t] = 0.5f + 0.05f * (float)t;
    double *all = malloc(sizeof *all * (size_t)(T * C + 1)), *avg = malloc(sizeof *avg * (size_t)(C + 1));
    long *n_gt = malloc(sizeof *n_gt * (size_t)(C + 1));
    dlc_status st = DLC_OK;
    if (!all || !avg || !n_gt) {
        st = DLC_NOMEM(err);
        goto done;
    }
    if ((st = eval_ap(e, thr, T, all, n_gt, err)) != DLC_OK)
        goto done;
    for (int c = 0; c < C; c++) {
        double s = 0;
        for (int t = 0; t < T; t++)
            s += all[(size_t)t * C + c];
        avg[c] = s / T; /* NaN for a class without ground truth */
    }
    out->map50 = mean_known(all, C);
    out->map = mean_known(avg, C);
    if (ap50)
        memcpy(ap50, all, sizeof *all * (size_t)C);
    if (ap)
        memcpy(ap, avg, sizeof *avg * (size_t)C);
done:
    free(all);
    free(avg);
    free(n_gt);
    return st;
}
