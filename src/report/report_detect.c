/* report_detect.c - the figures of a detection output over one split: the
 * model's boxes decoded and suppressed as `dlc predict` does (src/detect),
 * matched to the image's objects, and scored:
 *
 *   every detection head   mAP@0.5 and mAP@0.5:0.95 (VOC's all-point AP per
 *                          class, averaged over the classes with objects),
 *                          per-class AP, and at the head's own thresholds
 *                          (score, IoU 0.5) the objects missed and the false
 *                          positives: what the error sample shows
 *   localize               on images with an object: the class right, the
 *                          mean IoU of the box; on all: p_c right
 *   landmarks              the mean distance of a point from the truth, in
 *                          pixels of the model's input, and the share within
 *                          2 pixels; mse in the data's units (fractions)
 *
 * For mAP every box with score >= REPORT_DETECT_MIN_SCORE is kept (after
 * non-max suppression, at most REPORT_DETECT_MAX_BOXES per image): AP
 * integrates over all thresholds, so it needs the low-scoring boxes too.
 *
 * Letters: N images per batch, C classes, M object slots, K landmarks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_internal.h"

#define REPORT_DETECT_MIN_SCORE 0.01f
#define REPORT_DETECT_MAX_BOXES 100

void report_detect_free(report_detect *d)
{
    if (!d)
        return;
    detect_eval_free(&d->ev);
    free(d->ap50);
    free(d->ap);
    free(d->n_gt);
    free(d->scratch);
    free(d->iscratch);
    free(d->kind);
    free(d);
}

dlc_status report_detect_begin(report_split *s, const model *m, int h, int keep, dlc_error *err)
{
    const model_head *mh = &m->heads[h];
    const loss_opts *o = &mh->opts;
    report_detect *d = calloc(1, sizeof *d);
    if (!d)
        return DLC_NOMEM(err);
    s->det = d;
    d->loss = mh->loss;
    d->keep = keep;
    d->W = m->data_shape.ndim == 3 ? m->data_shape.d[2] : 1;
    d->H = m->data_shape.ndim == 3 ? m->data_shape.d[1] : 1;
    d->class_accuracy = d->mean_iou = d->objectness_accuracy = NAN;
    d->landmark_px = d->landmark_within_2px = NAN;
    d->map50 = d->map = NAN;
    int C = o->classes > 0 ? o->classes : 1;
    detect_eval_init(&d->ev, C);
    /* room for every prediction of one image, and the image's objects */
    long cap = mh->loss == LOSS_YOLO ? (long)o->grid * o->grid * o->n_anchors : 1;
    cap = cap > o->objects ? cap : o->objects;
    d->scratch = malloc(sizeof *d->scratch * (size_t)(cap + 1));
    d->iscratch = malloc(sizeof *d->iscratch * (size_t)(cap + 1));
    d->ap50 = malloc(sizeof *d->ap50 * (size_t)C);
    d->ap = malloc(sizeof *d->ap * (size_t)C);
    d->n_gt = calloc((size_t)C, sizeof *d->n_gt);
    if (!d->scratch || !d->iscratch || !d->ap50 || !d->ap || !d->n_gt)
        return DLC_NOMEM(err);
    return DLC_OK;
}

/* Highest scores first (detect_suppress leaves them so): keep the first cap. */
static int cap_boxes(int n)
{
    return n < REPORT_DETECT_MAX_BOXES ? n : REPORT_DETECT_MAX_BOXES;
}

void report_detect_batch(report_split *s, const model *m, int h, const float *out, const float *t,
                         int N)
{
    report_detect *d = s->det;
    const model_head *mh = &m->heads[h];
    const loss_opts *o = &mh->opts;
    const int K = o->landmarks, C = o->classes, stride = detect_obj_stride(K);
    const size_t T = (size_t)o->objects * stride, size = graph_output(m->g, h)->size;
    detect_det gt[DETECT_MAX_OBJECTS];
    if (d->st != DLC_OK)
        return;
    for (int i = 0; i < N; i++) {
        const float *z = out + (size_t)i * size, *row = t + (size_t)i * T;
        int image = d->ev.n_images;
        int ng = detect_objects(row, o->objects, K, image, gt);
        int nd = 0;
        d->images++;
        d->objects += ng;
        if (mh->loss == LOSS_YOLO) {
            detect_grid g = {o->grid, o->n_anchors, {{0}}, C};
            memcpy(g.anchors, o->anchors, sizeof g.anchors);
            nd = detect_decode_yolo(z, &g, REPORT_DETECT_MIN_SCORE, image, d->scratch);
            nd = cap_boxes(detect_suppress(d->scratch, nd, REPORT_DETECT_MIN_SCORE, mh->nms_iou,
                                           d->iscratch));
        } else if (mh->loss == LOSS_LOCALIZE) {
            float p;
            d->scratch[0] = detect_decode_localize(z, C, &p, NULL);
            d->scratch[0].image = image;
            nd = 1;
            int has = ng > 0;
            d->obj_right += (p > 0.5f) == has;
            if (has) {
                d->present++;
                d->class_right += d->scratch[0].cls == gt[0].cls;
                d->iou_sum += detect_iou(&d->scratch[0].box, &gt[0].box);
            }
        } else { /* landmarks: points of the first object */
            if (ng > 0)
                for (int k = 0; k < K; k++) {
                    double dx = (double)z[2 * k] - row[DETECT_FIELDS + 2 * k];
                    double dy = (double)z[2 * k + 1] - row[DETECT_FIELDS + 2 * k + 1];
                    double px = sqrt(dx * d->W * dx * d->W + dy * d->H * dy * d->H);
                    d->lm_px += px;
                    d->lm_sq += dx * dx + dy * dy;
                    d->lm_within += px <= 2.0;
                    d->lm_points++;
                }
            ng = 0; /* no boxes to score */
        }
        if ((d->st = detect_eval_add(&d->ev, d->scratch, nd, gt, ng, &d->err)) != DLC_OK)
            return;
    }
}

/* Counts the error sample's raw material at the head's own thresholds:
 * missed objects and false positives (kind into d->kind per detection: 0 a
 * true positive or below the score, else REPORT_DET_*). */
static dlc_status classify_errors(report_detect *d, float score, dlc_error *err)
{
    dlc_status st = DLC_OK;
    uint8_t *tp = malloc((size_t)d->ev.n_dets + 1);
    d->kind = calloc((size_t)(d->ev.n_dets + d->ev.n_gts + 1), 1);
    d->score = score;
    if (!tp || !d->kind) {
        st = DLC_NOMEM(err);
        goto done;
    }
    /* greedy matching in score order: the boxes at or above the threshold
     * match as they would alone, so one matching serves both */
    if ((st = detect_eval_match(&d->ev, 0.5f, tp, NULL, err)) != DLC_OK)
        goto done;
    uint8_t *gt_kind = d->kind + d->ev.n_dets;
    for (long k = 0; k < d->ev.n_dets; k++) {
        const detect_det *p = &d->ev.dets[k];
        if (p->score < score || tp[k])
            continue;
        /* a false positive: what it overlaps decides its kind */
        float best_same = 0, best_other = 0;
        for (long g = d->ev.gt_start[p->image]; g < d->ev.gt_start[p->image + 1]; g++) {
            float iou = detect_iou(&p->box, &d->ev.gts[g].box);
            if (d->ev.gts[g].cls == p->cls)
                best_same = fmaxf(best_same, iou);
            else
                best_other = fmaxf(best_other, iou);
        }
        d->kind[k] = best_same >= 0.5f   ? REPORT_DET_DUPLICATE
                     : best_other >= 0.5f ? REPORT_DET_WRONG_CLASS
                     : best_same >= 0.1f  ? REPORT_DET_MISPLACED
                                          : REPORT_DET_BACKGROUND;
        d->false_pos++;
    }
    /* objects no box at or above the threshold found */
    for (long g = 0; g < d->ev.n_gts; g++)
        gt_kind[g] = REPORT_DET_MISSED;
    for (long k = 0; k < d->ev.n_dets; k++) {
        if (!tp[k] || d->ev.dets[k].score < score)
            continue;
        /* the truth box this true positive took: its best of the class */
        const detect_det *p = &d->ev.dets[k];
        long best = -1;
        float best_iou = -1;
        for (long g = d->ev.gt_start[p->image]; g < d->ev.gt_start[p->image + 1]; g++)
            if (d->ev.gts[g].cls == p->cls) {
                float iou = detect_iou(&p->box, &d->ev.gts[g].box);
                if (iou > best_iou) {
                    best_iou = iou;
                    best = g;
                }
            }
        if (best >= 0)
            gt_kind[best] = 0;
    }
    for (long g = 0; g < d->ev.n_gts; g++)
        d->missed += gt_kind[g] == REPORT_DET_MISSED;
done:
    free(tp);
    return st;
}

dlc_status report_detect_end(report_split *s, const model *m, int h, dlc_error *err)
{
    report_detect *d = s->det;
    const model_head *mh = &m->heads[h];
    if (d->st != DLC_OK) {
        *err = d->err;
        return d->st;
    }
    dlc_status st = DLC_OK;
    const int C = d->ev.classes;
    if (mh->loss != LOSS_LANDMARKS) {
        detect_map mp;
        if ((st = detect_eval_map(&d->ev, d->ap50, d->ap, &mp, err)) != DLC_OK)
            return st;
        d->map50 = mp.map50;
        d->map = mp.map;
        for (int c = 0; c < C; c++)
            d->n_gt[c] = 0;
        for (long g = 0; g < d->ev.n_gts; g++)
            d->n_gt[d->ev.gts[g].cls]++;
        if ((st = classify_errors(d, mh->score, err)) != DLC_OK)
            return st;
    }
    if (mh->loss == LOSS_LOCALIZE) {
        d->objectness_accuracy = d->images ? (double)d->obj_right / (double)d->images : NAN;
        d->class_accuracy = d->present ? (double)d->class_right / (double)d->present : NAN;
        d->mean_iou = d->present ? d->iou_sum / (double)d->present : NAN;
    }
    if (mh->loss == LOSS_LANDMARKS && d->lm_points > 0) {
        d->landmark_px = d->lm_px / (double)d->lm_points;
        d->landmark_within_2px = (double)d->lm_within / (double)d->lm_points;
        s->mse = d->lm_sq / (double)d->lm_points / 2.0; /* per coordinate */
    }
    /* the split's accuracy: what the head is judged by (yolo: mAP@0.5) */
    if (mh->loss == LOSS_YOLO) {
        s->accuracy = d->map50;
        s->error = 1.0 - d->map50;
    } else if (mh->loss == LOSS_LANDMARKS) {
        s->accuracy = s->error = NAN;
    }
    if (!d->keep) {
        detect_eval_free(&d->ev);
        free(d->kind);
        d->kind = NULL;
    }
    return DLC_OK;
}
