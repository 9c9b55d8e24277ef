/* image.c - image files through stb_image: decoding, channel conversion,
 * resizing (stb_image_resize), and folders of class subfolders.
 *
 * An image becomes (C, H, W) bytes, channel-major like the rest of dlc:
 * C = 1 is gray (stb_image's luma from RGB), C = 3 is RGB (gray is
 * replicated), alpha is dropped.  An image of another size is resized with
 * stb_image_resize's default filter.  The same function serves training
 * data and `dlc predict`, so a model sees a file exactly as it was trained.
 *
 * A folder dataset: DIR/<class>/<file>; classes are the subfolder names in
 * sorted (byte) order, files are read in sorted order, hidden entries and
 * files without an image extension are ignored.
 *
 * Letters: (C, H, W) per example, D = C*H*W, n examples.
 */
#include "data.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <stb_image.h>
#include <stb_image_resize.h>

int data_image_name(const char *name)
{
    static const char *const ext[] = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga",
                                      ".pgm", ".ppm", ".pnm", ".psd", ".hdr", NULL};
    size_t n = strlen(name);
    for (int i = 0; ext[i]; i++) {
        size_t e = strlen(ext[i]);
        if (n > e && strcasecmp(name + n - e, ext[i]) == 0)
            return 1;
    }
    return 0;
}

/* Why a file cannot be opened, before stb_image's terser reasons. */
static dlc_status image_open_check(const char *path, dlc_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return dlc_fail(err, DLC_EINPUT, "%s: cannot read image: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return dlc_fail(err, DLC_EINPUT, "%s: is a folder, not an image file", path);
    return DLC_OK;
}

dlc_status data_image_probe(const char *path, tensor_shape *shape, dlc_error *err)
{
    dlc_status st = image_open_check(path, err);
    if (st != DLC_OK)
        return st;
    int w, h, n;
    if (!stbi_info(path, &w, &h, &n))
        return dlc_fail(err, DLC_EINPUT, "%s: not a readable image (%s)", path, stbi_failure_reason());
    shape->ndim = 3;
    shape->d[0] = n <= 2 ? 1 : 3;
    shape->d[1] = h;
    shape->d[2] = w;
    return DLC_OK;
}

dlc_status data_image_load(const char *path, const tensor_shape *shape, uint8_t *out,
                           dlc_error *err)
{
    char sh[64];
    if (shape->ndim != 3 || (shape->d[0] != 1 && shape->d[0] != 3))
        return dlc_fail(err, DLC_EINPUT,
                        "%s: images become (channels, height, width) with 1 or 3 channels; "
                        "the model wants %s",
                        path, tensor_shape_str(shape, sh, sizeof sh));
    dlc_status st = image_open_check(path, err);
    if (st != DLC_OK)
        return st;
    const int C = shape->d[0], H = shape->d[1], W = shape->d[2];
    int w, h, n;
    unsigned char *px = stbi_load(path, &w, &h, &n, C); /* (h, w, C) interleaved */
    if (!px)
        return dlc_fail(err, DLC_EINPUT, "%s: cannot decode image (%s)", path, stbi_failure_reason());
    const unsigned char *src = px;
    unsigned char *resized = NULL;
    if (w != W || h != H) {
        resized = malloc((size_t)W * (size_t)H * (size_t)C);
        if (!resized) {
            stbi_image_free(px);
            return DLC_NOMEM(err);
        }
        if (!stbir_resize_uint8(px, w, h, 0, resized, W, H, 0, C)) {
            stbi_image_free(px);
            free(resized);
            return dlc_fail(err, DLC_EINPUT, "%s: cannot resize %dx%d to %dx%d", path, w, h, W, H);
        }
        src = resized;
    }
    /* (H, W, C) -> (C, H, W) */
    size_t HW = (size_t)H * (size_t)W;
    for (size_t p = 0; p < HW; p++)
        for (int c = 0; c < C; c++)
            out[(size_t)c * HW + p] = src[p * (size_t)C + (size_t)c];
    stbi_image_free(px);
    free(resized);
    return DLC_OK;
}

/* ---- folders ---- */


static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted names in dir (hidden ones skipped): folders (want_dirs), or files
 * whose name ends in ext (any case), or (ext NULL) image files. */
static dlc_status list_dir(const char *dir, int want_dirs, const char *ext, dlc_strlist *names,
                           dlc_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return dlc_fail(err, DLC_EINPUT, "%s: cannot open folder: %s", dir, strerror(errno));
    struct dirent *e;
    dlc_status st = DLC_OK;
    char path[DATA_PATH_MAX * 4];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || dlc_pathf(path, sizeof path, "%s/%s", dir, e->d_name))
            continue;
        struct stat sb;
        if (stat(path, &sb) != 0)
            continue;
        int is_dir = S_ISDIR(sb.st_mode);
        size_t nl = strlen(e->d_name), el = ext ? strlen(ext) : 0;
        int named = ext ? nl > el && strcasecmp(e->d_name + nl - el, ext) == 0
                        : data_image_name(e->d_name);
        if (want_dirs ? !is_dir : (is_dir || !named))
            continue;
        if ((st = dlc_strlist_push(names, e->d_name, err)) != DLC_OK)
            break;
    }
    closedir(d);
    if (st == DLC_OK && names->n > 1)
        qsort(names->v, (size_t)names->n, sizeof *names->v, cmp_str);
    return st;
}

dlc_status data_list_files(const char *dir, const char *ext, dlc_strlist *names, dlc_error *err)
{
    return list_dir(dir, 0, ext, names, err);
}

dlc_status data_list_images(const char *dir, dlc_strlist *names, dlc_error *err)
{
    dlc_strlist files = {0};
    char path[DATA_PATH_MAX * 4];
    dlc_status st = list_dir(dir, 0, NULL, &files, err);
    for (int i = 0; i < files.n && st == DLC_OK; i++) {
        if (dlc_pathf(path, sizeof path, "%s/%s", dir, files.v[i]))
            st = dlc_fail(err, DLC_EINPUT, "%s: path too long", dir);
        else
            st = dlc_strlist_push(names, path, err);
    }
    dlc_strlist_clear(&files);
    return st;
}

typedef struct {
    int cls;
    char *path; /* owned */
} image_item;

dlc_status data_read_image_folder(dataset **out, const char *dir, tensor_shape *shape,
                                  dlc_strlist *class_names, int bad, long limit, int *skipped,
                                  dlc_error *err)
{
    *out = NULL;
    dlc_strlist classes = {0}, files = {0};
    image_item *items = NULL;
    int n_items = 0, cap = 0;
    dataset *ds = NULL;
    char path[DATA_PATH_MAX * 4], sh[64];
    dlc_status st = list_dir(dir, 1, NULL, &classes, err);
    if (st != DLC_OK)
        goto cleanup;
    if (classes.n == 0) {
        st = dlc_fail(err, DLC_EINPUT, "%s: no class subfolders (expected %s/<class>/<image files>)",
                      dir, dir);
        goto cleanup;
    }
    int known = class_names && class_names->n > 0;
    for (int c = 0; c < classes.n; c++) {
        int id = c;
        if (known) {
            id = dlc_strlist_find(class_names, classes.v[c]);
            if (id < 0) {
                st = dlc_fail(err, DLC_EINPUT, "%s/%s: class '%s' is not one of the model's %d classes",
                              dir, classes.v[c], classes.v[c], class_names->n);
                goto cleanup;
            }
        }
        if (dlc_pathf(path, sizeof path, "%s/%s", dir, classes.v[c])) {
            st = dlc_fail(err, DLC_EINPUT, "%s: path too long", dir);
            goto cleanup;
        }
        dlc_strlist_clear(&files);
        if ((st = list_dir(path, 0, NULL, &files, err)) != DLC_OK)
            goto cleanup;
        for (int f = 0; f < files.n; f++) {
            if (n_items == cap) {
                cap = cap ? 2 * cap : 256;
                image_item *ni = realloc(items, sizeof *items * (size_t)cap);
                if (!ni) {
                    st = DLC_NOMEM(err);
                    goto cleanup;
                }
                items = ni;
            }
            if (dlc_pathf(path, sizeof path, "%s/%s/%s", dir, classes.v[c], files.v[f])) {
                st = dlc_fail(err, DLC_EINPUT, "%s/%s: path too long", dir, classes.v[c]);
                goto cleanup;
            }
            items[n_items].cls = id;
            if (!(items[n_items].path = strdup(path))) {
                st = DLC_NOMEM(err);
                goto cleanup;
            }
            n_items++;
        }
    }
    if (n_items == 0) {
        st = dlc_fail(err, DLC_EINPUT, "%s: no image files in its class subfolders", dir);
        goto cleanup;
    }
    /* limit: round-robin over classes, so a small limit still sees every class */
    if (limit > 0 && limit < n_items) {
        image_item *pick = malloc(sizeof *pick * (size_t)limit);
        int *next = calloc((size_t)classes.n + 1, sizeof *next);
        int *start = calloc((size_t)classes.n + 1, sizeof *start);
        if (!pick || !next || !start) {
            free(pick);
            free(next);
            free(start);
            st = DLC_NOMEM(err);
            goto cleanup;
        }
        /* items are grouped by folder, in folder order */
        int g = 0;
        for (int i = 0; i < n_items; i++)
            if (i == 0 || items[i].cls != items[i - 1].cls)
                start[g++] = i;
        start[g] = n_items;
        long taken = 0;
        while (taken < limit)
            for (int k = 0; k < g && taken < limit; k++)
                if (start[k] + next[k] < start[k + 1]) {
                    pick[taken] = items[start[k] + next[k]];
                    items[start[k] + next[k]].path = NULL;
                    next[k]++;
                    taken++;
                }
        for (int i = 0; i < n_items; i++)
            free(items[i].path);
        free(items);
        items = pick;
        n_items = (int)limit;
        free(next);
        free(start);
    }
    if (shape->ndim == 0) {
        /* the first readable image decides */
        st = DLC_EINPUT;
        for (int i = 0; i < n_items && st != DLC_OK; i++) {
            st = data_image_probe(items[i].path, shape, err);
            if (st != DLC_OK && bad == DATA_BAD_FAIL)
                goto cleanup;
        }
        if (st != DLC_OK)
            goto cleanup;
    }
    if (shape->ndim != 3 || (shape->d[0] != 1 && shape->d[0] != 3)) {
        st = dlc_fail(err, DLC_EINPUT,
                      "%s: images become (channels, height, width) with 1 or 3 channels, not %s",
                      dir, tensor_shape_str(shape, sh, sizeof sh));
        goto cleanup;
    }
    ds = calloc(1, sizeof *ds);
    if (!ds) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    dlc_strlcpy(ds->path, dir, sizeof ds->path);
    ds->shape = *shape;
    ds->dim = tensor_shape_size(shape);
    ds->n_targets = 1;
    ds->u8 = malloc(ds->dim * (size_t)n_items);         /* (n, D) */
    ds->targets = malloc(sizeof(float) * (size_t)n_items); /* (n, 1) */
    if (!ds->u8 || !ds->targets) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (int i = 0; i < n_items; i++) {
        dlc_error e = {0};
        if (data_image_load(items[i].path, shape, ds->u8 + (size_t)ds->n * ds->dim, &e) != DLC_OK) {
            if (bad == DATA_BAD_FAIL) {
                st = dlc_fail(err, e.status, "%s (set data.bad_files: skip to skip unreadable files)",
                              e.msg);
                goto cleanup;
            }
            if (skipped)
                (*skipped)++;
            continue;
        }
        ds->targets[ds->n++] = (float)items[i].cls;
    }
    if (ds->n == 0) {
        st = dlc_fail(err, DLC_EINPUT, "%s: none of its %d image files could be read", dir, n_items);
        goto cleanup;
    }
    if (!known && class_names)
        for (int c = 0; c < classes.n && st == DLC_OK; c++)
            st = dlc_strlist_push(class_names, classes.v[c], err);
cleanup:
    for (int i = 0; i < n_items; i++)
        free(items[i].path);
    free(items);
    dlc_strlist_clear(&classes);
    dlc_strlist_clear(&files);
    if (st != DLC_OK) {
        data_dataset_free(ds);
        return st;
    }
    *out = ds;
    return DLC_OK;
}
