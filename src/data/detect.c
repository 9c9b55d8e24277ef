/* detect.c - `format: detection`: images with darknet / YOLO label files
 * (see data_detection_config in data.h for the layout and detect.h for the
 * target row).
 *
 * The folder's images are read in sorted order; each image's label file is
 * its name with the extension replaced by .txt, in the source's `labels`
 * folder (default: beside the image).  Every label file must belong to an
 * image, so a misnamed or misplaced one is not silently read as "no
 * objects".  Bad lines are errors naming file and line; with bad_files:
 * skip, the image is left out and counted instead.
 *
 * Letters: M object slots, K landmarks, C classes, (C, H, W) images. */
#include "data.h"
#include "data_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../detect/detect.h"

_Static_assert(DATA_MAX_LANDMARKS == DETECT_MAX_LANDMARKS, "one landmark limit");

dlc_status data_detection_classes(const data_config *cfg, dlc_strlist *names, dlc_error *err)
{
    const char *file = cfg->detection.names;
    if (file[0] && cfg->classes.n > 0)
        return dlc_fail(err, DLC_EINPUT, "data: give the class names once, in data.classes or "
                                         "in the file data.detection.names, not both");
    if (!file[0]) {
        if (cfg->classes.n == 0)
            return dlc_fail(err, DLC_EINPUT,
                            "data.detection.names: format detection needs the class names: a "
                            "names file (one per line, class 0 first: darknet's .names, "
                            "labelImg's classes.txt) or data.classes (Ultralytics' data.yaml "
                            "names)");
        return dlc_strlist_copy(names, &cfg->classes, err);
    }
    char *text = NULL;
    size_t len = 0;
    dlc_status st = dlc_read_file(file, &text, &len, err);
    if (st != DLC_OK)
        return st;
    int line = 1, blank = 0;
    for (char *p = text + dlc_bom_len(text, len), *end = text + len; p < end && st == DLC_OK; line++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        while (stop > p && isspace((unsigned char)stop[-1]))
            stop--;
        while (p < stop && isspace((unsigned char)*p))
            p++;
        if (stop > p) {
            *stop = '\0';
            if (blank)
                /* class ids count the names: is the empty line a class or not? */
                st = dlc_fail(err, DLC_EINPUT, "%s:%d: an empty line among the class names (class "
                              "ids count the lines' names from 0: remove the line, or name "
                              "the class)",
                              file, blank);
            else if (memchr(p, '\0', (size_t)(stop - p)))
                st = dlc_fail(err, DLC_EINPUT, "%s:%d: a NUL byte in a class name", file, line);
            else if (dlc_strlist_find(names, p) >= 0)
                st = dlc_fail(err, DLC_EINPUT, "%s:%d: class '%s' is listed twice", file, line, p);
            else
                st = dlc_strlist_push(names, p, err);
        } else if (!blank && names->n > 0) {
            blank = line;
        }
        p = nl ? nl + 1 : end;
    }
    if (st == DLC_OK && names->n == 0)
        st = dlc_fail(err, DLC_EINPUT, "%s: no class names in it (one per line)", file);
    free(text);
    return st;
}

/* ---- label files ---- */

/* The next whitespace-separated field of line [*p, end) into buf (cut to
 * size - 1); 0 at the end of the line. */
static int next_field(const char **p, const char *end, char *buf, size_t size)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
        s++;
    if (s >= end)
        return 0;
    const char *f = s;
    while (s < end && *s != ' ' && *s != '\t' && *s != '\r')
        s++;
    size_t n = (size_t)(s - f) < size - 1 ? (size_t)(s - f) : size - 1;
    memcpy(buf, f, n);
    buf[n] = '\0';
    *p = s;
    return 1;
}

static const char *const field_names[DETECT_FIELDS] = {"class", "cx", "cy", "w", "h"};

dlc_status data_parse_detection_labels(const char *path, const char *text, size_t len,
                                       const data_detection_config *dc, int n_classes, float *row,
                                       dlc_error *err)
{
    const int M = dc->max_objects, K = dc->landmarks, stride = detect_obj_stride(K);
    for (int m = 0; m < M; m++) {
        float *o = row + (size_t)m * stride;
        memset(o, 0, sizeof(float) * (size_t)stride);
        o[0] = -1.0f;
    }
    int n = 0, line = 0;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end, *q = p;
        line++;
        p = nl ? nl + 1 : end;
        char f[64];
        double v[DETECT_FIELDS + 2 * DATA_MAX_LANDMARKS];
        int nf = 0;
        while (next_field(&q, stop, f, sizeof f)) {
            if (nf < stride) {
                if (dlc_parse_double(f, &v[nf]) != 0 || !isfinite(v[nf]))
                    return dlc_fail(err, DLC_EINPUT, "%s:%d: field %d (%s): expected a number, "
                                    "got \"%.40s\"", path, line, nf + 1,
                                    nf < DETECT_FIELDS ? field_names[nf] : "a landmark", f);
            }
            nf++;
        }
        if (nf == 0)
            continue; /* a blank line */
        if (nf != stride)
            return dlc_fail(err, DLC_EINPUT,
                            "%s:%d: expected %d fields (class cx cy w h%s), got %d", path, line,
                            stride, K ? " and x y of each landmark: data.detection.landmarks is set"
                                      : "",
                            nf);
        if (v[0] != floor(v[0]))
            return dlc_fail(err, DLC_EINPUT, "%s:%d: class id %g is not a whole number", path,
                            line, v[0]);
        if (v[0] < 0 || v[0] >= n_classes)
            return dlc_fail(err, DLC_EINPUT,
                            "%s:%d: class id %g is not one of the %d classes (0 to %d)", path,
                            line, v[0], n_classes, n_classes - 1);
        for (int k = 1; k < stride; k++)
            if (v[k] < 0 || v[k] > 1)
                return dlc_fail(err, DLC_EINPUT,
                                "%s:%d: %s = %g is outside 0..1 (coordinates are fractions of the "
                                "image's width and height)", path, line,
                                k < DETECT_FIELDS ? field_names[k] : "a landmark coordinate", v[k]);
        if (!(v[3] > 0 && v[4] > 0))
            return dlc_fail(err, DLC_EINPUT, "%s:%d: the box is empty (w %g, h %g)", path, line,
                            v[3], v[4]);
        if (n == M)
            return dlc_fail(err, DLC_EINPUT,
                            "%s:%d: more than %d objects in one image (raise "
                            "data.detection.max_objects)", path, line, M);
        /* a box reaching past the border is clipped to the image */
        double x1 = fmax(0, v[1] - v[3] / 2), x2 = fmin(1, v[1] + v[3] / 2);
        double y1 = fmax(0, v[2] - v[4] / 2), y2 = fmin(1, v[2] + v[4] / 2);
        v[1] = (x1 + x2) / 2;
        v[2] = (y1 + y2) / 2;
        v[3] = x2 - x1;
        v[4] = y2 - y1;
        float *o = row + (size_t)n++ * stride;
        for (int k = 0; k < stride; k++)
            o[k] = (float)v[k];
    }
    return DLC_OK;
}

/* ---- the folder ---- */


/* path's file name without folder and extension into out. */
static void stem_of(const char *path, char *out, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    dlc_strlcpy(out, base, size);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* labelImg's class list, which it writes beside the YOLO label files */
#define LABELIMG_CLASSES "classes.txt"

/* Checks that every label file in the labels folder belongs to one of the
 * images (by stem) and that no two images share a stem.  A label file that
 * is the names file, or labelImg's classes.txt with no image of that name,
 * is not a label file.  Returns EINPUT naming the first
 * offender, or with bad == SKIP counts them in *skipped. */
static dlc_status check_pairs(const char *label_dir, const dlc_strlist *images, const char *names,
                              int bad, dlc_strlist *skipped, dlc_error *err)
{
    dlc_strlist txt = {0};
    char **stems = malloc(sizeof(char *) * (size_t)(images->n + 1));
    char stem[DATA_PATH_MAX], path[DATA_PATH_MAX * 2];
    dlc_status st = stems ? data_list_files(label_dir, ".txt", &txt, err) : DLC_NOMEM(err);
    int made = 0;
    for (; st == DLC_OK && made < images->n; made++) {
        stem_of(images->v[made], stem, sizeof stem);
        if (!(stems[made] = strdup(stem)))
            st = DLC_NOMEM(err);
    }
    if (st == DLC_OK && images->n > 1) {
        qsort(stems, (size_t)images->n, sizeof *stems, cmp_str);
        for (int i = 1; i < images->n && st == DLC_OK; i++)
            if (strcmp(stems[i], stems[i - 1]) == 0)
                st = dlc_fail(err, DLC_EINPUT,
                              "%s: two images named '%s' (with different extensions) would share "
                              "the label file %s.txt", label_dir, stems[i], stems[i]);
    }
    for (int i = 0; i < txt.n && st == DLC_OK; i++) {
        if (dlc_pathf(path, sizeof path, "%s/%s", label_dir, txt.v[i]) ||
            (names[0] && strcmp(path, names) == 0))
            continue;
        stem_of(txt.v[i], stem, sizeof stem);
        const char *key = stem;
        if (bsearch(&key, stems, (size_t)images->n, sizeof *stems, cmp_str))
            continue;
        /* labelImg keeps its class list among its YOLO label files */
        if (strcmp(txt.v[i], LABELIMG_CLASSES) == 0)
            continue;
        if (bad == DATA_BAD_SKIP) {
            char msg[DATA_PATH_MAX * 2 + 64];
            snprintf(msg, sizeof msg, "%s: a label file without an image", path);
            st = skipped ? dlc_strlist_push(skipped, msg, err) : DLC_OK;
            continue;
        }
        st = dlc_fail(err, DLC_EINPUT,
                      "%s: a label file without an image (no %s.png, .jpg, ... in the image "
                      "folder; set data.bad_files: skip to skip it)", path, stem);
    }
    for (int i = 0; i < made; i++)
        free(stems[i]);
    free(stems);
    dlc_strlist_clear(&txt);
    return st;
}

/* A box under one pixel of the model's input (W x H) on a side: its size
 * target log(w / anchor) is a huge number (a 1e-6 wide box alone doubled a
 * batch's loss), and nothing of it can be seen.  EINPUT naming the box. */
static dlc_status check_box_pixels(const char *path, const float *row,
                                   const data_detection_config *dc, int W, int H, dlc_error *err)
{
    const int stride = detect_obj_stride(dc->landmarks);
    for (int m = 0; m < dc->max_objects; m++) {
        const float *o = row + (size_t)m * stride;
        if (o[0] < 0)
            break;
        double w = (double)o[3] * W, h = (double)o[4] * H;
        if (w < 1 || h < 1)
            return dlc_fail(err, DLC_EINPUT,
                            "%s: box %d is %.3g x %.3g pixels at the model's %d x %d input (inside "
                            "the image): under a pixel, nothing to see and a huge size target "
                            "(drop it, or raise model.input)", path, m + 1, w, h, W, H);
    }
    return DLC_OK;
}

/* The label file of image `path` read into row; a missing file means no
 * objects. */
static dlc_status read_labels(const char *label_dir, const char *image, const data_detection_config *dc,
                              int n_classes, const tensor_shape *shape, float *row, int *has,
                              dlc_error *err)
{
    char stem[DATA_PATH_MAX], path[DATA_PATH_MAX * 2];
    stem_of(image, stem, sizeof stem);
    if (dlc_pathf(path, sizeof path, "%s/%s.txt", label_dir, stem))
        return dlc_fail(err, DLC_EINPUT, "%s: path too long", label_dir);
    struct stat sb;
    *has = stat(path, &sb) == 0;
    if (!*has)
        return data_parse_detection_labels(path, "", 0, dc, n_classes, row, err);
    char *text = NULL;
    size_t len = 0;
    dlc_status st = dlc_read_file(path, &text, &len, err);
    const size_t bom = st == DLC_OK ? dlc_bom_len(text, len) : 0; /* a label file saved by Notepad */
    if (st == DLC_OK)
        st = data_parse_detection_labels(path, text + bom, len - bom, dc, n_classes, row, err);
    if (st == DLC_OK)
        st = check_box_pixels(path, row, dc, shape->d[2], shape->d[1], err);
    free(text);
    return st;
}

/* Ultralytics keeps the labels of .../images/X in .../labels/X: that folder
 * into out when dir has no label file of its own and it is there. */
static int ultralytics_labels(const char *dir, char *out, size_t size)
{
    char d[DATA_PATH_MAX];
    dlc_strlcpy(d, dir, sizeof d);
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/')
        d[--n] = '\0';
    char *at = NULL;
    for (char *p = strstr(d, "images"); p; p = strstr(p + 1, "images"))
        if ((p == d || p[-1] == '/') && (p[6] == '/' || p[6] == '\0'))
            at = p; /* the last whole "images" part */
    if (!at)
        return 0;
    memcpy(at, "labels", 6);
    struct stat sb;
    dlc_strlist txt = {0};
    dlc_error e = {0};
    int mine = data_list_files(dir, ".txt", &txt, &e) == DLC_OK && txt.n > 0;
    dlc_strlist_clear(&txt);
    if (mine || stat(d, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return 0;
    dlc_strlcpy(out, d, size);
    return 1;
}

dlc_status data_read_detection(dataset **out, const data_source *src,
                               const data_detection_config *dc, int n_classes, tensor_shape *shape,
                               int bad, long max_pixels, dlc_strlist *skipped, int *labelled,
                               dlc_error *err)
{
    *out = NULL;
    if (labelled)
        *labelled = 0;
    dlc_strlist images = {0};
    dataset *ds = NULL;
    char sibling[DATA_PATH_MAX];
    const char *dir = src->dir, *label_dir = src->labels[0] ? src->labels : src->dir;
    if (!src->labels[0] && ultralytics_labels(dir, sibling, sizeof sibling))
        label_dir = sibling;
    dlc_status st = data_list_images(dir, &images, err);
    if (st == DLC_OK && images.n == 0)
        st = dlc_fail(err, DLC_EINPUT, "%s: no image files in the folder", dir);
    if (st == DLC_OK)
        st = check_pairs(label_dir, &images, dc->names, bad, skipped, err);
    if (st != DLC_OK)
        goto cleanup;
    int n_items = src->limit > 0 && src->limit < images.n ? (int)src->limit : images.n;
    st = data_image_folder_shape(dir, (const char *const *)images.v, sizeof *images.v, n_items, bad,
                                 max_pixels, shape, err);
    if (st != DLC_OK)
        goto cleanup;
    if (!(ds = calloc(1, sizeof *ds))) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    dlc_strlcpy(ds->path, dir, sizeof ds->path);
    ds->shape = *shape;
    ds->dim = tensor_shape_size(shape);
    ds->objects = dc->max_objects;
    ds->landmarks = dc->landmarks;
    ds->n_flip = dc->n_flip;
    memcpy(ds->flip, dc->flip, sizeof ds->flip);
    ds->n_targets = dc->max_objects * detect_obj_stride(dc->landmarks);
    ds->u8 = malloc(ds->dim * (size_t)n_items);                                 /* (n, D) */
    ds->targets = malloc(sizeof(float) * (size_t)ds->n_targets * (size_t)n_items); /* (n, M stride) */
    if (!ds->u8 || !ds->targets) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (int i = 0; i < n_items; i++) {
        dlc_error e = {0};
        float *row = ds->targets + (size_t)ds->n * ds->n_targets;
        tensor_shape own = {0};
        int has = 0;
        if (read_labels(label_dir, images.v[i], dc, n_classes, shape, row, &has, &e) != DLC_OK ||
            data_image_load_noting(images.v[i], max_pixels, shape,
                                   ds->u8 + (size_t)ds->n * ds->dim, &own, &e) != DLC_OK) {
            if (bad == DATA_BAD_FAIL || e.status != DLC_EINPUT) {
                st = dlc_fail(err, e.status, "%s%s", e.msg,
                              e.status == DLC_EINPUT ? " (set data.bad_files: skip to skip such images)" : "");
                goto cleanup;
            }
            if (skipped && (st = dlc_strlist_push(skipped, e.msg, err)) != DLC_OK)
                goto cleanup;
            continue;
        }
        /* the boxes are fractions of the image: they follow it when resized */
        ds->resized += own.d[1] != shape->d[1] || own.d[2] != shape->d[2];
        ds->recoloured += own.d[0] != shape->d[0];
        if (labelled)
            *labelled += has;
        ds->n++;
    }
    if (ds->n == 0)
        st = dlc_fail(err, DLC_EINPUT, "%s: none of its %d images could be read with its labels", dir,
                      n_items);
cleanup:
    dlc_strlist_clear(&images);
    if (st != DLC_OK) {
        data_dataset_free(ds);
        return st;
    }
    *out = ds;
    return DLC_OK;
}
