/* report_errors.c - the error-analysis sample: misclassified dev examples,
 * drawn with the run's seed, written to errors/errors.csv for a person to tag,
 * with each example as a PNG when the data are images.
 *
 * errors.csv columns: id (the example's row in the file it came from,
 * 0-based, header not counted: rows left out before it, by data.missing:
 * drop, limit or subset, are counted), source (with data.sources: the
 * source's name, whose file the id is a row of), file (image folders: the
 * image's path in its folder), true, predicted, confidence (of the
 * predicted class), text (text classifiers: the tokens the model read),
 * image (file name in errors/, empty for non-image data),
 * then tag columns left empty: mislabeled, blurry (image data only), tags
 * (free words).  dlc analyze reads them back (report_tags.c). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb_image_write.h>

#include "../base/rng.h"
#include "../data/data.h"
#include "../detect/detect.h"
#include "../io/io.h"
#include "report.h"
#include "report_internal.h"
#include "tags.h"

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Channels of an image-shaped example (C, H, W) with C in {1, 3, 4}; 0 else. */
static int image_channels(const dataset *ds)
{
    const tensor_shape *s = &ds->shape;
    if (s->ndim != 3 || s->d[1] < 1 || s->d[2] < 1)
        return 0;
    return s->d[0] == 1 || s->d[0] == 3 || s->d[0] == 4 ? s->d[0] : 0;
}

static void png_to_buf(void *ctx, void *data, int size)
{
    dlc_buf_append(ctx, data, (size_t)size);
}

/* The (C, H, W) the sample's examples are drawn as into out, 1 when they
 * are images: the data's shape, or model.input's when it reshapes rows of as
 * many values into an image (CSV files of pixels, sklearn's 8 x 8 digits). */
static int sample_image_shape(const dataset *ds, const dlc_config *cfg, tensor_shape *out)
{
    const tensor_shape *in = &cfg->input;
    if (image_channels(ds) > 0)
        *out = ds->shape;
    else if (ds->shape.ndim == 1 && in->ndim == 3 && (in->d[0] == 1 || in->d[0] == 3) &&
             in->d[1] >= 1 && in->d[2] >= 1 && tensor_shape_size(in) == ds->dim)
        *out = *in;
    else
        return 0;
    return 1;
}

/* Row `row` of ds as a PNG of shape (C, H, W) into b: bytes as they are,
 * floats scaled from their min..max to 0..255.  Planar becomes interleaved. */
static dlc_status example_png(dlc_buf *b, const dataset *ds, const tensor_shape *shape, int row,
                              dlc_error *err)
{
    int C = shape->d[0], H = shape->d[1], W = shape->d[2];
    size_t plane = (size_t)H * W;
    unsigned char *px = malloc(plane * C);
    if (!px)
        return DLC_NOMEM(err);
    float lo = 0, hi = 0;
    if (!ds->u8) {
        const float *x = ds->f32 + (size_t)row * ds->dim;
        lo = hi = x[0];
        for (size_t i = 1; i < ds->dim; i++) {
            lo = x[i] < lo ? x[i] : lo;
            hi = x[i] > hi ? x[i] : hi;
        }
    }
    for (int c = 0; c < C; c++)
        for (size_t i = 0; i < plane; i++) {
            size_t at = (size_t)row * ds->dim + (size_t)c * plane + i;
            unsigned char v;
            if (ds->u8) {
                v = ds->u8[at];
            } else {
                float f = hi > lo ? (ds->f32[at] - lo) / (hi - lo) : 0.0f;
                v = (unsigned char)lrintf(255.0f * (isnan(f) ? 0.0f : f));
            }
            px[i * C + c] = v;
        }
    int ok = stbi_write_png_to_func(png_to_buf, b, W, H, C, px, W * C);
    free(px);
    if (!ok || b->failed)
        return DLC_NOMEM(err);
    return DLC_OK;
}

/* An image of the sample: written to a temporary name and renamed like
 * every dlc file, but not fsync'd: it is cheap to make again, and a hundred
 * fsyncs cost a second on an ordinary disk. */
static dlc_status write_image(const char *path, const dlc_buf *png, dlc_error *err)
{
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return dlc_fail(err, DLC_EIO, "%s: cannot write: %s", tmp, strerror(errno));
    int ok = fwrite(png->s, 1, png->len, f) == png->len;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return dlc_fail(err, DLC_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    return DLC_OK;
}

static dlc_status write_residuals(report *rep, const report_head *rh, const report_split *s,
                                  const data_bundle *data, const dlc_config *cfg,
                                  const char *run_dir, dlc_error *err);
static dlc_status write_detections(report *rep, const report_head *rh, const report_split *s,
                                   const data_bundle *data, const dlc_config *cfg,
                                   const char *run_dir, dlc_error *err);

/* Removes the images of an earlier sample ("<digits>.png") from dir. */
static void remove_old_images(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char path[4400];
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name), digits = strspn(e->d_name, "0123456789_");
        if (n > 4 && digits == n - 4 && strcmp(e->d_name + digits, ".png") == 0) {
            report_path(path, sizeof path, dir, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
}

/* A tagged errors.csv is a person's work: before a new sample replaces it,
 * it is renamed to errors.tagged-N.csv (name into rep->kept_tags).  Returns
 * 1 when it was kept. */
static int keep_tagged(report *rep, const char *dir)
{
    char path[4300], kept[4400], *text = NULL;
    size_t len;
    report_tally t;
    report_path(path, sizeof path, dir, "errors.csv");
    if (dlc_read_file(path, &text, &len, NULL) != DLC_OK)
        return 0;
    int tagged = 0;
    if (report_tags_parse(&t, path, text, len, NULL) == DLC_OK) {
        tagged = t.untagged < t.rows;
        report_tally_free(&t);
    }
    free(text);
    for (int n = 1; tagged && n < 1000; n++) {
        snprintf(rep->kept_tags, sizeof rep->kept_tags, "errors.tagged-%d.csv", n);
        report_path(kept, sizeof kept, dir, rep->kept_tags);
        if (access(kept, F_OK) != 0)
            return rename(path, kept) == 0;
    }
    rep->kept_tags[0] = '\0';
    return 0;
}

/* The dev split's dataset names each example's file (image folders). */
static int sample_files(const data_split *ds)
{
    return ds->ds && ds->ds->n > 0 && ds->ds->files.n == ds->ds->n;
}

/* The sample's bookkeeping and its folder: run_dir/errors made (its path
 * into dir), an earlier tagged errors.csv kept, the old images removed; then
 * errors.csv's header into csv: the output's columns, then the ones every
 * sample has. */
static dlc_status begin_sample(report *rep, const data_split *ds, const dlc_config *cfg, int errors,
                               int take, const char *run_dir, char *dir, size_t size, dlc_buf *csv,
                               const char *columns, dlc_error *err)
{
    rep->dev_errors = errors;
    rep->n_sampled = take;
    rep->has_images = ds->ds && sample_image_shape(ds->ds, cfg, &rep->image_shape);
    report_path(dir, size, run_dir, "errors");
    dlc_status st = dlc_mkdirs(dir, err);
    if (st == DLC_OK && !keep_tagged(rep, dir))
        remove_old_images(dir);
    if (st == DLC_OK)
        dlc_buf_printf(csv, "id,%s%s%s,image,mislabeled,%stags\n", rep->sampled_src ? "source," : "",
                       sample_files(ds) ? "file," : "", columns, rep->has_images ? "blurry," : "");
    return st;
}

/* The sample's ids (rep->sampled_ids: rows in their files) and sources of
 * the dev split's rows rows (take). */
static dlc_status sample_ids(report *rep, const data_split *ds, const int *rows, int take,
                             dlc_error *err)
{
    free(rep->sampled_ids);
    free(rep->sampled_src);
    rep->sampled_src = NULL;
    size_t n = (size_t)(take > 0 ? take : 1);
    if (!(rep->sampled_ids = malloc(sizeof(int) * n)) ||
        (ds->ds && ds->ds->source && !(rep->sampled_src = malloc(sizeof(int) * n))))
        return DLC_NOMEM(err);
    for (int k = 0; k < take; k++) {
        int i = ds->idx[rows[k]];
        rep->sampled_ids[k] = data_file_row(ds->ds, i);
        if (rep->sampled_src)
            rep->sampled_src[k] = ds->ds->source[i];
    }
    return DLC_OK;
}

/* The first fields of sampled example k's line (row `row` of the dev split
 * ds): its id, its source's name, its file. */
static void sample_fields(dlc_buf *csv, const report *rep, const data_split *ds, int row, int k)
{
    dlc_buf_printf(csv, "%d,", rep->sampled_ids[k]);
    if (rep->sampled_src) {
        int src = rep->sampled_src[k];
        report_csv_field(csv, src < rep->source_names.n ? rep->source_names.v[src] : "?");
        dlc_buf_printf(csv, ",");
    }
    if (sample_files(ds)) {
        report_csv_field(csv, ds->ds->files.v[ds->idx[row]]);
        dlc_buf_printf(csv, ",");
    }
}

/* png's bytes as dir/name. */
static dlc_status save_png(const char *dir, const char *name, const dlc_buf *png, dlc_error *err)
{
    char path[4400];
    report_path(path, sizeof path, dir, name);
    return write_image(path, png, err);
}

void report_sample_image_name(const report *rep, int k, char *name, size_t size)
{
    if (rep->sampled_src)
        snprintf(name, size, "%d_%d.png", rep->sampled_src[k], rep->sampled_ids[k]);
    else
        snprintf(name, size, "%d.png", rep->sampled_ids[k]);
}

/* Sampled example k (row `row` of d) as an image in dir, its file name into
 * name, when the sample has images ("" when not); png is scratch space. */
static dlc_status sample_image(const report *rep, int k, const dataset *d, int row, const char *dir,
                               char *name, size_t size, dlc_buf *png, dlc_error *err)
{
    name[0] = '\0';
    if (!rep->has_images)
        return DLC_OK;
    report_sample_image_name(rep, k, name, size);
    png->len = 0;
    dlc_status st = example_png(png, d, &rep->image_shape, row, err);
    return st == DLC_OK ? save_png(dir, name, png, err) : st;
}

/* A regression output's dev examples by their mean absolute error over the
 * known targets, largest first: the `samples` largest into wrong (rows of
 * the split); returns how many have a known target, or -1 (ENOMEM). */
typedef struct {
    double e;
    int i;
} residual;

static int by_residual(const void *a, const void *b)
{
    const residual *x = a, *y = b;
    return x->e < y->e ? 1 : x->e > y->e ? -1 : x->i - y->i;
}

static int largest_residuals(const report_split *s, int K, residual *r)
{
    int n = 0;
    for (int i = 0; i < s->n; i++) {
        double sum = 0;
        int known = 0;
        for (int k = 0; k < K; k++) {
            float y = s->reg_true[(size_t)i * K + k];
            if (isnan(y))
                continue;
            sum += fabs((double)s->reg_out[(size_t)i * K + k] - y);
            known++;
        }
        if (known)
            r[n++] = (residual){sum / known, i};
    }
    qsort(r, (size_t)n, sizeof *r, by_residual);
    return n;
}

/* "a;b;c": the K values of row i */
static void values_field(dlc_buf *b, const float *v, int i, int K)
{
    for (int k = 0; k < K; k++) {
        float x = v[(size_t)i * K + k];
        if (isnan(x))
            dlc_buf_printf(b, "%s", k ? ";" : "");
        else
            dlc_buf_printf(b, k ? ";%.6g" : "%.6g", x);
    }
}

/* A text classifier's example row: its text as the file writes it (what a
 * person tags), then as the model read it: its tokens by the vocabulary
 * (words joined by a space, characters as they are; <unk> for those it did
 * not know, the padding left out).  A step of a word_chars model holds the
 * word's bytes after its id. */
static void text_field(dlc_buf *b, const data_bundle *data, const dataset *ds, int row)
{
    const int T = ds->shape.d[0], K = ds->shape.ndim == 2 ? ds->shape.d[1] : 1;
    dlc_buf t = {0};
    report_csv_field(b, row < ds->texts.n ? ds->texts.v[row] : "");
    dlc_buf_printf(b, ",");
    for (int i = 0; i < T && ds->f32; i++) {
        long id = lrintf(ds->f32[(size_t)row * ds->dim + (size_t)i * K]);
        if (id == TEXT_PAD || id < 0 || id >= data->vocab.n)
            continue;
        dlc_buf_printf(&t, "%s%s", t.len && data->text_unit == TEXT_WORDS ? " " : "",
                       data->vocab.v[id]);
    }
    report_csv_field(b, t.s ? t.s : "");
    dlc_buf_printf(b, ",");
    dlc_buf_free(&t);
}

dlc_status report_write_errors(report *rep, const data_bundle *data, const dlc_config *cfg,
                               const char *run_dir, dlc_error *err)
{
    const report_head *rh = report_main(rep);
    const report_split *s = report_get_split(rep, DATA_SPLIT_DEV);
    rep->dev_errors = -1;
    rep->n_sampled = 0;
    rep->residuals = 0;
    if (!s)
        return DLC_OK;
    if (rh->task == REPORT_TASK_REGRESSION && s->reg_out)
        return write_residuals(rep, rh, s, data, cfg, run_dir, err);
    if (rh->task == REPORT_TASK_DETECTION && s->det && s->det->kind)
        return write_detections(rep, rh, s, data, cfg, run_dir, err);
    /* a pair model's examples are pairs: no sample of single examples to tag */
    if (!rh->per_example || data->split[DATA_SPLIT_DEV].stack == 2)
        return DLC_OK;
    const data_split *ds = &data->split[DATA_SPLIT_DEV];
    const int texts = data->text && data->text_task == TEXT_CLASSIFY && data->vocab.n > 0 && ds->ds &&
                      (ds->ds->shape.ndim == 1 || ds->ds->shape.ndim == 2);
    dlc_status st = DLC_OK;
    char dir[4200], path[4300], name[64];
    dlc_buf csv = {0}, png = {0};
    int *wrong = malloc(sizeof(int) * (size_t)(s->n > 0 ? s->n : 1));
    if (!wrong)
        return DLC_NOMEM(err);
    int n_wrong = 0;
    for (int i = 0; i < s->n; i++)
        if (s->truth[i] >= 0 && s->truth[i] != s->pred[i])
            wrong[n_wrong++] = i;
    dlc_rng rng;
    dlc_rng_seed(&rng, cfg->seed, DLC_STREAM(DLC_STREAM_SAMPLE, 0));
    dlc_rng_shuffle(&rng, wrong, n_wrong);
    int take = n_wrong < cfg->report.error_samples ? n_wrong : cfg->report.error_samples;
    qsort(wrong, (size_t)take, sizeof *wrong, cmp_int);
    free(rep->sampled);
    rep->sampled = wrong;
    if ((st = sample_ids(rep, ds, wrong, take, err)) != DLC_OK ||
        (st = begin_sample(rep, ds, cfg, n_wrong, take, run_dir, dir, sizeof dir, &csv,
                           texts ? "true,predicted,confidence,text,read_as"
                                 : "true,predicted,confidence",
                           err)) != DLC_OK)
        goto cleanup;
    for (int k = 0; k < take; k++) {
        int i = wrong[k], row = ds->idx[i];
        if ((st = sample_image(rep, k, ds->ds, row, dir, name, sizeof name, &png, err)) != DLC_OK)
            goto cleanup;
        sample_fields(&csv, rep, ds, i, k);
        report_csv_field(&csv, rh->names.v[s->truth[i]]);
        dlc_buf_printf(&csv, ",");
        report_csv_field(&csv, rh->names.v[s->pred[i]]);
        dlc_buf_printf(&csv, ",%.4f,", (double)s->conf[i]);
        if (texts)
            text_field(&csv, data, ds->ds, row);
        dlc_buf_printf(&csv, "%s,,%s\n", name, rep->has_images ? "," : "");
    }
    report_path(path, sizeof path, dir, "errors.csv");
    st = report_write_buf(path, &csv, err);
cleanup:
    dlc_buf_free(&csv);
    dlc_buf_free(&png);
    return st;
}

/* Regression: the dev examples with the largest errors, for a person to look
 * at as the notes' error analysis does (errors.csv with true and predicted
 * values and the mean absolute error; images for image data). */
static dlc_status write_residuals(report *rep, const report_head *rh, const report_split *s,
                                  const data_bundle *data, const dlc_config *cfg,
                                  const char *run_dir, dlc_error *err)
{
    const data_split *ds = &data->split[DATA_SPLIT_DEV];
    int K = rh->K;
    residual *r = malloc(sizeof *r * (size_t)(s->n > 0 ? s->n : 1));
    if (!r)
        return DLC_NOMEM(err);
    int n = largest_residuals(s, K, r);
    int take = n < cfg->report.error_samples ? n : cfg->report.error_samples;
    free(rep->sampled);
    rep->sampled = malloc(sizeof(int) * (size_t)(take > 0 ? take : 1));
    if (!rep->sampled) {
        free(r);
        return DLC_NOMEM(err);
    }
    for (int k = 0; k < take; k++)
        rep->sampled[k] = r[k].i;
    rep->residuals = 1;
    char dir[4200], path[4300], name[64];
    dlc_buf csv = {0}, png = {0};
    dlc_status st = sample_ids(rep, ds, rep->sampled, take, err);
    if (st == DLC_OK)
        st = begin_sample(rep, ds, cfg, n, take, run_dir, dir, sizeof dir, &csv,
                          "true,predicted,abs_error", err);
    if (st != DLC_OK)
        goto cleanup;
    for (int k = 0; k < take; k++) {
        int i = r[k].i, row = ds->idx[i];
        if ((st = sample_image(rep, k, ds->ds, row, dir, name, sizeof name, &png, err)) != DLC_OK)
            goto cleanup;
        sample_fields(&csv, rep, ds, i, k);
        values_field(&csv, s->reg_true, i, K);
        dlc_buf_printf(&csv, ",");
        values_field(&csv, s->reg_out, i, K);
        dlc_buf_printf(&csv, ",%.6g,%s,,%s\n", r[k].e, name, rep->has_images ? "," : "");
    }
    report_path(path, sizeof path, dir, "errors.csv");
    st = report_write_buf(path, &csv, err);
cleanup:
    free(r);
    dlc_buf_free(&csv);
    dlc_buf_free(&png);
    return st;
}

/* ---- detection: missed objects and false positives, as crops ---- */

/* The crop of one mistake as a PNG into b: its box and a margin of half its
 * size (at least 8 pixels) from image row `row` of ds, enlarged to about 96
 * pixels (nearest neighbour), the box outlined (yellow: a missed object;
 * red: a false positive). */
static dlc_status crop_png(dlc_buf *b, const dataset *ds, int row, const report_det_error *e,
                           dlc_error *err)
{
    const int C = ds->shape.d[0], H = ds->shape.d[1], W = ds->shape.d[2];
    const size_t plane = (size_t)H * W;
    float mx = fmaxf(8.0f, 0.5f * (e->box.x2 - e->box.x1)), my = fmaxf(8.0f, 0.5f * (e->box.y2 - e->box.y1));
    int x1 = (int)floorf(fmaxf(0, e->box.x1 - mx)), x2 = (int)ceilf(fminf((float)W, e->box.x2 + mx));
    int y1 = (int)floorf(fmaxf(0, e->box.y1 - my)), y2 = (int)ceilf(fminf((float)H, e->box.y2 + my));
    int cw = x2 - x1 > 0 ? x2 - x1 : 1, ch = y2 - y1 > 0 ? y2 - y1 : 1;
    int big = cw > ch ? cw : ch, z = 96 / big > 1 ? 96 / big : 1;
    int ow = cw * z, oh = ch * z;
    uint8_t *px = malloc((size_t)ow * oh * 3);
    if (!px)
        return DLC_NOMEM(err);
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
            for (int c = 0; c < 3; c++) {
                size_t at = (size_t)row * ds->dim + (size_t)(C == 3 ? c : 0) * plane +
                            (size_t)(y1 + y / z) * W + (size_t)(x1 + x / z);
                px[((size_t)y * ow + x) * 3 + c] = ds->u8 ? ds->u8[at] : 0;
            }
    static const uint8_t yellow[3] = {255, 220, 0}, red[3] = {230, 25, 40};
    detect_box in = {(e->box.x1 - x1) * z, (e->box.y1 - y1) * z, (e->box.x2 - x1) * z,
                     (e->box.y2 - y1) * z};
    detect_draw_box(px, ow, oh, &in, z > 2 ? 2 : 1, e->kind == REPORT_DET_MISSED ? yellow : red);
    int ok = stbi_write_png_to_func(png_to_buf, b, ow, oh, 3, px, ow * 3);
    free(px);
    return ok && !b->failed ? DLC_OK : DLC_NOMEM(err);
}

/* Every mistake of the dev split (report_detect.c's kinds) into out (room
 * for n_dets + n_gts); returns their count. */
static int detection_mistakes(const report_detect *d, const data_split *ds, report_det_error *out)
{
    const detect_eval *ev = &d->ev;
    const uint8_t *gt_kind = d->kind + ev->n_dets;
    int n = 0;
    for (long k = 0; k < ev->n_dets; k++) {
        if (!d->kind[k])
            continue;
        const detect_det *p = &ev->dets[k];
        report_det_error e = {ds->idx[p->image], 0, d->kind[k], -1, p->cls, p->score, 0, p->box};
        for (long g = ev->gt_start[p->image]; g < ev->gt_start[p->image + 1]; g++) {
            float iou = detect_iou(&p->box, &ev->gts[g].box);
            if (iou > e.iou) {
                e.iou = iou;
                if (e.kind != REPORT_DET_BACKGROUND)
                    e.truth = ev->gts[g].cls; /* the object it duplicates, mislocates or misnames */
            }
        }
        out[n++] = e;
    }
    for (long g = 0; g < ev->n_gts; g++) {
        if (gt_kind[g] != REPORT_DET_MISSED)
            continue;
        const detect_det *o = &ev->gts[g];
        report_det_error e = {ds->idx[o->image], 0, REPORT_DET_MISSED, o->cls, -1, NAN, 0, o->box};
        for (long k = 0; k < ev->n_dets; k++) {
            const detect_det *p = &ev->dets[k];
            if (p->image != o->image || p->cls != o->cls)
                continue;
            float iou = detect_iou(&p->box, &o->box);
            e.iou = fmaxf(e.iou, iou);
            if (iou >= 0.5f && (isnan(e.score) || p->score > e.score))
                e.score = p->score;
        }
        out[n++] = e;
    }
    return n;
}

static int by_row(const void *a, const void *b)
{
    const report_det_error *x = a, *y = b;
    if (x->row != y->row)
        return (x->row > y->row) - (x->row < y->row);
    return (x->n > y->n) - (x->n < y->n);
}

static const char *class_or_background(const report_head *rh, int c)
{
    return c >= 0 && c < rh->names.n ? rh->names.v[c] : "background";
}

/* A detection head: a seeded sample of the dev split's missed objects and
 * false positives (at the head's score threshold, IoU 0.5), each as a crop
 * errors/<row>_<n>.png and a row of errors.csv: id, true, predicted
 * ("background" for no object or no box), confidence (the box's score),
 * kind, iou, box (x1 y1 x2 y2 in pixels), image, then the tag columns. */
static dlc_status write_detections(report *rep, const report_head *rh, const report_split *s,
                                   const data_bundle *data, const dlc_config *cfg,
                                   const char *run_dir, dlc_error *err)
{
    const report_detect *d = s->det;
    const data_split *ds = &data->split[DATA_SPLIT_DEV];
    const float W = (float)d->W, H = (float)d->H;
    report_det_error *all = malloc(sizeof *all * (size_t)(d->ev.n_dets + d->ev.n_gts + 1));
    if (!all)
        return DLC_NOMEM(err);
    int n = detection_mistakes(d, ds, all);
    for (int i = 0; i < n; i++)
        all[i].box = (detect_box){all[i].box.x1 * W, all[i].box.y1 * H, all[i].box.x2 * W,
                                  all[i].box.y2 * H};
    /* number each image's mistakes in a fixed order, then draw the sample */
    int *order = malloc(sizeof(int) * (size_t)(n + 1));
    if (!order) {
        free(all);
        return DLC_NOMEM(err);
    }
    qsort(all, (size_t)n, sizeof *all, by_row);
    for (int i = 0; i < n; i++) {
        all[i].n = i > 0 && all[i - 1].row == all[i].row ? all[i - 1].n + 1 : 0;
        order[i] = i;
    }
    dlc_rng rng;
    dlc_rng_seed(&rng, cfg->seed, DLC_STREAM(DLC_STREAM_SAMPLE, 0));
    dlc_rng_shuffle(&rng, order, n);
    int take = n < cfg->report.error_samples ? n : cfg->report.error_samples;
    qsort(order, (size_t)take, sizeof *order, cmp_int);
    free(rep->sampled);
    free(rep->sampled_ids);
    free(rep->sampled_src);
    free(rep->det_sampled);
    rep->sampled_src = NULL; /* detection data come from one folder */
    rep->sampled = order;
    rep->sampled_ids = malloc(sizeof(int) * (size_t)(take + 1));
    rep->det_sampled = malloc(sizeof *rep->det_sampled * (size_t)(take + 1));
    if (!rep->sampled_ids || !rep->det_sampled) {
        free(all);
        return DLC_NOMEM(err);
    }
    for (int k = 0; k < take; k++) {
        rep->det_sampled[k] = all[order[k]];
        rep->sampled_ids[k] = all[order[k]].row;
    }
    free(all);
    char dir[4200], path[4300], name[64];
    dlc_buf csv = {0}, png = {0};
    dlc_status st = begin_sample(rep, ds, cfg, n, take, run_dir, dir, sizeof dir, &csv,
                                 "true,predicted,confidence,kind,iou,box", err);
    if (st != DLC_OK)
        goto cleanup;
    for (int k = 0; k < take; k++) {
        const report_det_error *e = &rep->det_sampled[k];
        name[0] = '\0';
        if (rep->has_images) {
            snprintf(name, sizeof name, "%d_%d.png", e->row, e->n);
            png.len = 0;
            if ((st = crop_png(&png, ds->ds, e->row, e, err)) != DLC_OK ||
                (st = save_png(dir, name, &png, err)) != DLC_OK)
                goto cleanup;
        }
        dlc_buf_printf(&csv, "%d,", e->row);
        report_csv_field(&csv, class_or_background(rh, e->truth));
        dlc_buf_printf(&csv, ",");
        report_csv_field(&csv, class_or_background(rh, e->pred));
        if (isnan(e->score))
            dlc_buf_printf(&csv, ",");
        else
            dlc_buf_printf(&csv, ",%.4f", (double)e->score);
        dlc_buf_printf(&csv, ",%s,%.3f,%.1f %.1f %.1f %.1f,%s,,%s\n", report_det_kind_names[e->kind],
                       (double)e->iou, (double)e->box.x1, (double)e->box.y1, (double)e->box.x2,
                       (double)e->box.y2, name, rep->has_images ? "," : "");
    }
    report_path(path, sizeof path, dir, "errors.csv");
    st = report_write_buf(path, &csv, err);
cleanup:
    dlc_buf_free(&csv);
    dlc_buf_free(&png);
    return st;
}
