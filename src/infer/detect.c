/* detect.c - a detection model applied to image files (see infer.h): each
 * image through the model as in infer_images, each detection output's
 * values decoded and suppressed by src/detect, as the report scores them;
 * and an image drawn with its boxes.
 *
 * Letters: A anchors, S grid cells per side, C classes, K landmarks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image_write.h>

#include "../io/io.h"
#include "infer.h"

int infer_is_detector(const model *m)
{
    for (int h = 0; h < m->n_heads; h++)
        if (loss_get(m->heads[h].loss)->target == LOSS_TARGET_OBJECTS)
            return 1;
    return 0;
}

typedef struct {
    const infer_detect_opts *o;
    const char *const *files;
    infer_detect_fn fn;
    void *user;
    detect_det *boxes;    /* (cap) one image's boxes, every head's */
    int *heads;           /* (cap) */
    int *scratch;         /* (cap) */
    float points[2 * DETECT_MAX_LANDMARKS];
    int cap;
} detect_run;

/* The boxes of head h for one output z, appended at r->boxes + n; returns
 * the new count. */
static int head_boxes(detect_run *r, const model *m, int h, const float *z, int n, float *p_obj)
{
    const model_head *mh = &m->heads[h];
    const loss_opts *o = &mh->opts;
    float score = r->o->score >= 0 ? r->o->score : mh->score;
    float iou = r->o->iou >= 0 ? r->o->iou : mh->nms_iou;
    detect_det *out = r->boxes + n;
    int got = 0;
    if (mh->loss == LOSS_YOLO) {
        detect_grid g = {o->grid, o->n_anchors, {{0}}, o->classes};
        memcpy(g.anchors, o->anchors, sizeof g.anchors);
        got = detect_decode_yolo(z, &g, score, 0, out);
        got = detect_suppress(out, got, score, iou, r->scratch);
    } else if (mh->loss == LOSS_LOCALIZE) {
        out[0] = detect_decode_localize(z, o->classes, p_obj, NULL);
        got = out[0].score >= score;
    }
    for (int i = 0; i < got; i++)
        r->heads[n + i] = h;
    return n + got;
}

static dlc_status detect_batch(void *user, const model *m, const infer_batch *b, dlc_error *err)
{
    detect_run *r = user;
    for (int i = 0; i < b->n; i++) {
        const char *file = r->files[b->first + i];
        infer_detections d = {file, 0, 0, 0, r->boxes, r->heads, 0, r->points, NAN};
        tensor_shape own;
        dlc_status st = data_image_probe(file, 0, &own, err);
        if (st != DLC_OK)
            return st;
        d.width = own.d[2];
        d.height = own.d[1];
        for (int h = 0; h < m->n_heads; h++) {
            const model_head *mh = &m->heads[h];
            size_t size = graph_output(m->g, h)->size;
            const float *z = b->out[h] + (size_t)i * size;
            if (mh->loss == LOSS_LANDMARKS && d.n_points == 0) {
                d.n_points = mh->opts.landmarks;
                memcpy(r->points, z, sizeof(float) * 2 * (size_t)d.n_points);
            } else if (loss_get(mh->loss)->target == LOSS_TARGET_OBJECTS) {
                d.n_boxes = head_boxes(r, m, h, z, d.n_boxes, &d.p_obj);
            }
        }
        if ((st = r->fn(r->user, m, &d, err)) != DLC_OK)
            return st;
    }
    return DLC_OK;
}

dlc_status infer_detect_images(model *m, const char *const *files, int n, const infer_detect_opts *o,
                               infer_detect_fn fn, void *user, dlc_error *err)
{
    if (!infer_is_detector(m))
        return dlc_fail(err, DLC_EINPUT, "the model has no detection output (loss localize, "
                                         "landmarks or yolo)");
    detect_run r = {o, files, fn, user, NULL, NULL, NULL, {0}, 0};
    for (int h = 0; h < m->n_heads; h++) {
        const loss_opts *lo = &m->heads[h].opts;
        r.cap += m->heads[h].loss == LOSS_YOLO ? lo->grid * lo->grid * lo->n_anchors : 1;
    }
    r.boxes = malloc(sizeof *r.boxes * (size_t)r.cap);
    r.heads = malloc(sizeof *r.heads * (size_t)r.cap);
    r.scratch = malloc(sizeof *r.scratch * (size_t)r.cap);
    dlc_status st = r.boxes && r.heads && r.scratch
                        ? infer_images(m, files, n, detect_batch, &r, err)
                        : DLC_NOMEM(err);
    free(r.boxes);
    free(r.heads);
    free(r.scratch);
    return st;
}

static void png_to_buf(void *ctx, void *data, int size)
{
    dlc_buf_append(ctx, data, (size_t)size);
}

dlc_status infer_draw_detections(const model *m, const infer_detections *d, const char *out,
                                 dlc_error *err)
{
    /* the file at its own size through data_image_load's checks, as RGB */
    tensor_shape own;
    dlc_status st = data_image_probe(d->file, 0, &own, err);
    if (st != DLC_OK)
        return st;
    own.d[0] = 3;
    const int H = own.d[1], W = own.d[2];
    const size_t plane = (size_t)H * W;
    uint8_t *planar = malloc(3 * plane), *img = malloc(3 * plane); /* (3, H, W) -> (H, W, 3) */
    if (!planar || !img) {
        free(planar);
        free(img);
        return DLC_NOMEM(err);
    }
    if ((st = data_image_load(d->file, 0, &own, planar, err)) != DLC_OK) {
        free(planar);
        free(img);
        return st;
    }
    for (size_t p = 0; p < plane; p++)
        for (int c = 0; c < 3; c++)
            img[p * 3 + c] = planar[(size_t)c * plane + p];
    free(planar);
    int t = W >= 256 ? 3 : W >= 96 ? 2 : 1, scale = W >= 400 ? 2 : 1;
    static const uint8_t white[3] = {255, 255, 255};
    for (int k = d->n_boxes - 1; k >= 0; k--) { /* the best box last, on top */
        const detect_det *b = &d->boxes[k];
        const model_head *mh = &m->heads[d->box_head[k]];
        uint8_t col[3];
        detect_class_color(b->cls, col);
        detect_box px = {b->box.x1 * W, b->box.y1 * H, b->box.x2 * W, b->box.y2 * H};
        detect_draw_box(img, W, H, &px, t, col);
        char label[96];
        snprintf(label, sizeof label, "%s %.2f",
                 b->cls < mh->classes.n ? mh->classes.v[b->cls] : "?", (double)b->score);
        int ty = (int)px.y1 - 9 * scale >= 0 ? (int)px.y1 - 9 * scale : (int)px.y1;
        detect_draw_text(img, W, H, (int)px.x1, ty, label, scale, white, col);
    }
    static const uint8_t yellow[3] = {255, 230, 0};
    for (int k = 0; k < d->n_points; k++)
        detect_draw_point(img, W, H, (int)lroundf(d->points[2 * k] * W),
                          (int)lroundf(d->points[2 * k + 1] * H), t + 1, yellow);
    dlc_buf png = {0};
    int ok = stbi_write_png_to_func(png_to_buf, &png, W, H, 3, img, W * 3);
    free(img);
    st = ok && !png.failed ? io_write_file(out, png.s, png.len, err) : DLC_NOMEM(err);
    dlc_buf_free(&png);
    return st;
}
