/* detect.h - object detection's geometry as a library: boxes and IoU,
 * non-max suppression, average precision (PASCAL VOC), decoding a detection
 * head's outputs into boxes, and drawing boxes on an image.  The detection
 * losses (src/loss), reports (mAP), `dlc eval` and `dlc predict` share it.
 * It knows nothing of graphs or files: plain arrays in, plain arrays out.
 *
 * Coordinates are fractions of the image (0..1, x to the right, y down)
 * unless a function says otherwise; a box is its corners (x1, y1, x2, y2).
 *
 * Objects in a target row (what `format: detection` data gives each image):
 * `objects` slots of DETECT_FIELDS + 2 K values each,
 *     class, cx, cy, w, h, x_1, y_1, ..., x_K, y_K
 * (K landmarks), the image's objects first, in label-file order; an unused
 * slot has class -1.
 *
 * Letters: S grid cells per side, A anchors, C classes, K landmarks, M object
 * slots per image.
 */
#ifndef DLC_DETECT_H
#define DLC_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"

#define DETECT_FIELDS 5          /* class, cx, cy, w, h */
#define DETECT_MAX_ANCHORS 16
#define DETECT_MAX_OBJECTS 256   /* object slots per image */
#define DETECT_MAX_LANDMARKS 32

/* Values per object slot in a target row. */
static inline int detect_obj_stride(int landmarks)
{
    return DETECT_FIELDS + 2 * landmarks;
}

typedef struct {
    float x1, y1, x2, y2;
} detect_box;

/* A detected (or ground-truth) object. */
typedef struct {
    detect_box box;
    float score;   /* p_c x P(class | object); 1 for ground truth */
    int cls;
    int image;     /* which image it belongs to (evaluation) */
    int slot;      /* where it came from: grid cell * A + anchor, or the object slot */
} detect_det;

/* The box of centre (cx, cy) and size (w, h). */
detect_box detect_box_cwh(float cx, float cy, float w, float h);

/* Area (0 for an empty or inverted box). */
float detect_box_area(const detect_box *a);

/* Intersection over union, as torchvision.ops.box_iou computes it; 0 when
 * the union is empty (torchvision gives NaN there). */
float detect_iou(const detect_box *a, const detect_box *b);

/* IoU of two boxes of sizes (w1, h1), (w2, h2) with the same centre: how
 * anchors are matched to objects. */
float detect_iou_shape(float w1, float h1, float w2, float h2);

/* Non-max suppression as torchvision.ops.nms: boxes in decreasing order of
 * score (equal scores: the lower index first), each kept unless its IoU
 * with a box kept before it is above iou_thresh.  Writes the kept indices,
 * highest score first, into keep (room for n) and returns their count.
 * order: scratch of n ints.  No allocation. */
int detect_nms(const detect_box *boxes, const float *scores, int n, float iou_thresh, int *keep,
               int *order);

/* The notes' NMS, per class: drops detections with score below
 * score_thresh, then runs detect_nms within each class (boxes of different
 * classes never suppress each other, as torchvision.ops.batched_nms).  d
 * keeps the survivors in place, highest score first; returns their count.
 * scratch: n ints. */
int detect_suppress(detect_det *d, int n, float score_thresh, float iou_thresh, int *scratch);

/* ---- average precision ---- */

/* All-point interpolated AP (PASCAL VOC 2010 and later): the area under the
 * precision-recall curve after precision is made monotone (each point takes
 * the highest precision at any recall at or beyond it).  rec, prec: (n)
 * points in order of decreasing score. */
double detect_ap_voc(const double *rec, const double *prec, int n);

/* The detections and ground truth of a set of images, to be scored. */
typedef struct {
    int classes;
    int n_images;
    long n_dets, n_gts;
    detect_det *dets;     /* (n_dets) owned */
    detect_det *gts;      /* (n_gts) owned, grouped by image in the order added */
    long *gt_start;       /* (n_images + 1): image i's truth is gts[gt_start[i] .. gt_start[i+1]) */
    long cap_dets, cap_gts, cap_images;
} detect_eval;

/* Empty set for C classes.  detect_eval_free releases it. */
void detect_eval_init(detect_eval *e, int classes);
void detect_eval_free(detect_eval *e);

/* Adds the next image (its index is e->n_images before the call): its
 * detections and its ground truth.  Classes outside 0..C-1 are ignored.
 * ENOMEM. */
dlc_status detect_eval_add(detect_eval *e, const detect_det *dets, int nd, const detect_det *gts,
                           int ng, dlc_error *err);

/* Matches detections to ground truth at IoU >= iou_thresh, as VOC's devkit
 * does: per class, detections in decreasing order of score (equal scores:
 * the one added first) each take the unmatched truth box of its image and
 * class it overlaps most; a detection whose best box is taken, or below the
 * threshold, is a false positive.  tp (n_dets): 1 for a true positive;
 * gt_hit (n_gts): 1 for a found object (either may be NULL).  ENOMEM. */
dlc_status detect_eval_match(const detect_eval *e, float iou_thresh, uint8_t *tp, uint8_t *gt_hit,
                             dlc_error *err);

/* AP per class at one IoU threshold into ap (C): NaN for a class without
 * ground truth (left out of the mean, as VOC does); n_gt (C) the objects
 * per class (may be NULL).  ENOMEM. */
dlc_status detect_eval_ap(const detect_eval *e, float iou_thresh, double *ap, long *n_gt,
                          dlc_error *err);

/* The figures reports give: AP per class at IoU 0.5 and averaged over IoU
 * 0.50, 0.55, ..., 0.95 (COCO's mAP@0.5:0.95), and their means over the
 * classes with ground truth (NaN when none has).  ap50, ap (C) may be NULL. */
typedef struct {
    double map50, map;
} detect_map;
dlc_status detect_eval_map(const detect_eval *e, double *ap50, double *ap, detect_map *out,
                           dlc_error *err);

/* ---- reading a detection head's outputs ---- */

/* The YOLO grid of a head. */
typedef struct {
    int S;                               /* cells per side */
    int A;                               /* anchors per cell */
    float anchors[DETECT_MAX_ANCHORS][2]; /* (w, h) as fractions of the image */
    int C;                               /* classes */
} detect_grid;

/* Values per anchor in a YOLO output: p_c, x, y, w, h, then C class scores. */
static inline int detect_grid_depth(const detect_grid *g)
{
    return DETECT_FIELDS + g->C;
}

/* The ground-truth objects of one target row (M slots, K landmarks) as
 * detections of image `image`; returns their count. */
int detect_objects(const float *row, int M, int K, int image, detect_det *out);

/* A localization output (5 + C): sigmoid(p_c), the box (cx, cy, w, h
 * as they are) and softmax class scores, as one detection (score p_c x
 * P(class)).  probs (C) receives the class probabilities when not NULL. */
detect_det detect_decode_localize(const float *out, int C, float *p_obj, float *probs);

/* A YOLO output (A (5 + C), S, S): for every cell (i, j) and anchor a,
 * p_c = sigmoid(t_0), the box centre ((j + sigmoid(t_x)) / S, (i +
 * sigmoid(t_y)) / S), size (a_w exp(t_w), a_h exp(t_h)), the best class by
 * softmax, score p_c x P(class).  Writes those with score >= min_score,
 * clipped to the image, into out (room for S S A) and returns the count. */
int detect_decode_yolo(const float *out, const detect_grid *g, float min_score, int image,
                       detect_det *out_dets);

/* ---- drawing (draw.c) ---- */

/* Draws the box outline (thickness t pixels) in colour rgb onto an RGB
 * image (H, W, 3) stored row by row, clipped to the image; box in pixels. */
void detect_draw_box(uint8_t *img, int W, int H, const detect_box *px, int t, const uint8_t rgb[3]);
/* Writes text with a 5x7 pixel font scaled by `scale` at (x, y) (its top
 * left), each glyph on a background block of colour bg; characters outside
 * the font (digits, letters, a little punctuation) are drawn as '?'.  Returns the width drawn in pixels. */
int detect_draw_text(uint8_t *img, int W, int H, int x, int y, const char *text, int scale,
                     const uint8_t fg[3], const uint8_t bg[3]);
/* A marker (a small cross) at (x, y) in pixels. */
void detect_draw_point(uint8_t *img, int W, int H, int x, int y, int r, const uint8_t rgb[3]);
/* A distinct colour for class c. */
void detect_class_color(int c, uint8_t rgb[3]);

#endif
