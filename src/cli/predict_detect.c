/* predict_detect.c - `dlc predict RUN IMAGE... [--json] [--draw OUT.png]
 * [--score X] [--iou X]` for a detection model: the boxes src/infer
 * decodes, one line each, or one JSON object; --draw writes the image with
 * them drawn.
 *
 * Lines: "FILE: CLASS SCORE x1 y1 x2 y2" in the file's own pixels (a
 * localize output's box only when its score reaches the threshold), "FILE:
 * no object" when there is none, and "FILE: landmarks x,y x,y ..." for a
 * landmarks output.  JSON: {"model", "predictions": [{"file", "width",
 * "height", "boxes": [{"class", "id", "score", "box": [x1, y1, x2, y2],
 * "output"}], "landmarks": [[x, y], ...], "p_obj"}]}.
 *
 * `--windows` (any image classifier whose dense layers can become
 * convolutions, src/infer/windows.c): every window of the image at once, one
 * line per window "FILE: X Y CLASS P" (its top-left pixel, its most likely
 * class), or JSON {"model", "predictions": [{"file", "window": [h, w],
 * "stride": [y, x], "grid": [rows, columns], "cells": [{"x", "y", "class",
 * "probability"}]}]}. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../infer/infer.h"
#include "../io/io.h"
#include "cli.h"

typedef struct {
    int json;
    dlc_buf out;       /* printed at the end, so an error prints nothing */
    int count;
    const char *draw;  /* --draw: the one image's picture */
} detect_printer;

static dlc_status print_image(void *user, const model *m, const infer_detections *d, dlc_error *err)
{
    detect_printer *pr = user;
    dlc_buf *b = &pr->out;
    const double W = d->width, H = d->height;
    if (pr->json) {
        dlc_buf_printf(b, "%s\n    {\"file\": ", pr->count ? "," : "");
        json_write_string(b, d->file);
        dlc_buf_printf(b, ", \"width\": %d, \"height\": %d, \"boxes\": [", d->width, d->height);
    }
    for (int k = 0; k < d->n_boxes; k++) {
        const detect_det *x = &d->boxes[k];
        const model_head *mh = &m->heads[d->box_head[k]];
        const char *name = x->cls < mh->classes.n ? mh->classes.v[x->cls] : "?";
        double box[4] = {x->box.x1 * W, x->box.y1 * H, x->box.x2 * W, x->box.y2 * H};
        if (pr->json) {
            dlc_buf_printf(b, "%s{\"class\": ", k ? ", " : "");
            json_write_string(b, name);
            dlc_buf_printf(b, ", \"id\": %d, \"score\": %.6g, \"box\": [%.2f, %.2f, %.2f, %.2f], "
                              "\"output\": ", x->cls, (double)x->score, box[0], box[1], box[2], box[3]);
            json_write_string(b, mh->name);
            dlc_buf_printf(b, "}");
        } else {
            dlc_buf_printf(b, "%s: %s %.4f %.1f %.1f %.1f %.1f\n", d->file, name, (double)x->score,
                           box[0], box[1], box[2], box[3]);
        }
    }
    if (!pr->json && d->n_boxes == 0 && (d->n_points == 0 || !isnan(d->p_obj)))
        dlc_buf_printf(b, "%s: no object\n", d->file);
    if (pr->json)
        dlc_buf_printf(b, "], \"landmarks\": [");
    else if (d->n_points > 0)
        dlc_buf_printf(b, "%s: landmarks", d->file);
    for (int k = 0; k < d->n_points; k++) {
        double x = d->points[2 * k] * W, y = d->points[2 * k + 1] * H;
        dlc_buf_printf(b, pr->json ? "%s[%.2f, %.2f]" : "%s%.1f,%.1f", pr->json ? (k ? ", " : "") : " ",
                       x, y);
    }
    if (pr->json) {
        dlc_buf_printf(b, "], \"p_obj\": ");
        dlc_buf_printf(b, isnan(d->p_obj) ? "null}" : "%.6g}", (double)d->p_obj);
    } else if (d->n_points > 0) {
        dlc_buf_printf(b, "\n");
    }
    pr->count++;
    if (pr->draw)
        return infer_draw_detections(m, d, pr->draw, err);
    return DLC_OK;
}

/* A threshold option in [0, 1] into *v (left as is when absent). */
static int threshold(const cli_command *c, const cli_args *a, const char *name, float *v)
{
    const char *s = cli_get(c, a, name);
    double x;
    if (!s)
        return 0;
    if (dlc_parse_double(s, &x) != 0 || !(x >= 0 && x <= 1))
        return cli_usage_error(c, "%s needs a number from 0 to 1, got '%s'", name, s);
    *v = (float)x;
    return 0;
}

int cli_predict_detect(const cli_command *c, const cli_args *a, model *m,
                       const dlc_strlist *files)
{
    infer_detect_opts o = {-1.0f, -1.0f};
    int rc = threshold(c, a, "--score", &o.score);
    if (!rc)
        rc = threshold(c, a, "--iou", &o.iou);
    if (rc)
        return rc;
    detect_printer pr = {.json = cli_get(c, a, "--json") != NULL, .draw = cli_get(c, a, "--draw")};
    if (pr.draw && files->n != 1)
        return cli_usage_error(c, "--draw writes one picture: give one image, not %d", files->n);
    if (pr.draw && ((rc = cli_check_png(c, "--draw", pr.draw)) != 0 ||
                    (rc = cli_check_writable(c, "--draw", pr.draw)) != 0))
        return rc;
    dlc_error err = {0};
    if (pr.json) {
        dlc_buf_printf(&pr.out, "{\"model\": ");
        json_write_string(&pr.out, a->pos[0]);
        dlc_buf_printf(&pr.out, ", \"predictions\": [");
    }
    dlc_status st = infer_detect_images(m, (const char *const *)files->v, files->n, &o, print_image,
                                        &pr, &err);
    if (pr.json)
        dlc_buf_printf(&pr.out, "\n]}\n");
    return cli_predict_output(st, &err, &pr.out);
}

/* ---- convolutional sliding windows ---- */

/* One image's grid of windows into b. */
static dlc_status print_windows(dlc_buf *b, const model *m, const char *file, int json, int first,
                                dlc_error *err)
{
    tensor_shape own;
    dlc_status st = data_image_probe(file, 0, &own, err);
    if (st != DLC_OK)
        return st;
    own.d[0] = m->data_shape.d[0]; /* the model's channels, the file's size */
    infer_windows w;
    if ((st = infer_windows_build(&w, m, own.d[1], own.d[2], 1, err)) != DLC_OK) {
        dlc_error_prefix(err, "%s", file);
        return st;
    }
    size_t D = tensor_shape_size(&own), cells = (size_t)w.gh * w.gw;
    uint8_t *px = malloc(D);
    float *x = malloc(sizeof(float) * D), *p = malloc(sizeof(float) * (size_t)w.K * cells);
    if (!px || !x || !p) {
        st = DLC_NOMEM(err);
        goto done;
    }
    if ((st = data_image_load(file, 0, &own, px, err)) != DLC_OK)
        goto done;
    for (size_t i = 0; i < D; i++)
        x[i] = px[i];
    infer_windows_softmax(&w, infer_windows_run(&w, x, 1), p);
    const dlc_strlist *names = &m->heads[0].classes;
    if (json) {
        dlc_buf_printf(b, "%s\n    {\"file\": ", first ? "" : ",");
        json_write_string(b, file);
        dlc_buf_printf(b, ", \"window\": [%d, %d], \"stride\": [%d, %d], \"grid\": [%d, %d], "
                          "\"cells\": [", w.window_h, w.window_w, w.stride_y, w.stride_x, w.gh, w.gw);
    }
    for (size_t q = 0; q < cells; q++) {
        int best = 0;
        for (int k = 1; k < w.K; k++)
            if (p[k * cells + q] > p[best * cells + q])
                best = k;
        int cx = (int)(q % w.gw) * w.stride_x, cy = (int)(q / w.gw) * w.stride_y;
        char id[16];
        snprintf(id, sizeof id, "%d", best);
        const char *name = best < names->n ? names->v[best] : id;
        if (json) {
            dlc_buf_printf(b, "%s{\"x\": %d, \"y\": %d, \"class\": ", q ? ", " : "", cx, cy);
            json_write_string(b, name);
            dlc_buf_printf(b, ", \"probability\": %.6g}", (double)p[best * cells + q]);
        } else {
            dlc_buf_printf(b, "%s: %d %d %s %.4f\n", file, cx, cy, name, (double)p[best * cells + q]);
        }
    }
    if (json)
        dlc_buf_printf(b, "]}");
done:
    free(px);
    free(x);
    free(p);
    infer_windows_free(&w);
    return st;
}

int cli_predict_windows(const cli_command *c, const cli_args *a, const model *m,
                        const dlc_strlist *files)
{
    int json = cli_get(c, a, "--json") != NULL;
    dlc_buf out = {0};
    dlc_error err = {0};
    /* the model's fault, not the image's: named before any image is read */
    if (!infer_takes_images(m)) {
        dlc_fail(&err, DLC_EINPUT, "%s is not a model of images (channels, height, width): "
                                   "--windows slides an image classifier over larger images",
                 a->pos[0]);
        return cli_fail(&err);
    }
    if (json) {
        dlc_buf_printf(&out, "{\"model\": ");
        json_write_string(&out, a->pos[0]);
        dlc_buf_printf(&out, ", \"predictions\": [");
    }
    dlc_status st = DLC_OK;
    for (int i = 0; i < files->n && st == DLC_OK; i++)
        st = print_windows(&out, m, files->v[i], json, i == 0, &err);
    if (json)
        dlc_buf_printf(&out, "\n]}\n");
    return cli_predict_output(st, &err, &out);
}
