/* export.c - `dlc export RUN --format onnx [--out FILE] [--opset N]`: a
 * trained model in a format other runtimes read (src/onnx/onnx.h says what
 * the file holds).  A layer with no ONNX form is refused by name (exit 2)
 * and nothing is written. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../onnx/onnx.h"
#include "cli.h"

static const cli_opt opts[] = {
    {"--format", 1, "FMT", "onnx (the only format and the default; model.safetensors already is PyTorch's layout)"},
    {"--out", 1, "FILE", "where to write (default RUN/model.onnx)"},
    {"--opset", 1, "N", "ONNX opset version, 13 to 21 (default 17)"},
    {NULL, 0, NULL, NULL},
};

/* 1 when run is a folder of word vectors written by `dlc embed` (no model) */
static int run(const cli_args *a)
{
    const cli_command *c = &cli_export_cmd;
    if (a->n_pos != 1)
        return cli_usage_error(c, "expected one RUN folder (or model file)");
    /* onnx, the one format, unless --out names another (model.h5, model.pt) */
    const char *fmt = cli_get(c, a, "--format"), *to = cli_get(c, a, "--out");
    const size_t tl = to ? strlen(to) : 0;
    if (!fmt && to && !(tl > 5 && strcasecmp(to + tl - 5, ".onnx") == 0))
        return cli_usage_error(c, "--out %s: dlc exports ONNX files; name it .onnx, or give "
                                  "--format onnx to write ONNX under this name", to);
    if (fmt && strcmp(fmt, "onnx") != 0)
        return cli_usage_error(c, "--format '%s': the one format is onnx", fmt);
    long opset = ONNX_OPSET_DEFAULT;
    const char *os = cli_get(c, a, "--opset");
    if (os && (dlc_parse_long(os, &opset) != 0 || opset < ONNX_OPSET_MIN || opset > ONNX_OPSET_MAX))
        return cli_usage_error(c, "--opset needs a whole number from %d to %d, got '%s'", ONNX_OPSET_MIN,
                               ONNX_OPSET_MAX, os);
    if (data_vectors_folder(a->pos[0])) {
        fprintf(stderr, "dlc: error: %s holds word vectors learned by dlc embed, not a model: there is no "
                        "network to export (the vectors are in %s/vectors.txt, vectors.bin and glove.txt, for "
                        "gensim or an embedding layer's pretrained: key)\n", a->pos[0], a->pos[0]);
        return 2;
    }
    char path[4200], out[4300];
    cli_model_path(a->pos[0], path, sizeof path);
    const char *o = cli_get(c, a, "--out");
    struct stat sb;
    if (stat(a->pos[0], &sb) != 0)
        return cli_usage_error(c, "%s: no such run folder or model file", a->pos[0]);
    if (o)
        snprintf(out, sizeof out, "%s", o);
    else if (stat(a->pos[0], &sb) == 0 && S_ISDIR(sb.st_mode))
        snprintf(out, sizeof out, "%s/model.onnx", a->pos[0]);
    else
        return cli_usage_error(c, "give --out FILE when RUN is a model file");
    /* where the file goes, checked before the model is read: the atomic
     * write's rename said only "Is a directory" or "Device or resource busy" */
    if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode))
        return cli_usage_error(c, "--out %s is a folder; give the file to write, e.g. "
                                  "%s/model.onnx", out, out);
    char dir[4300];
    dlc_strlcpy(dir, out, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return cli_usage_error(c, "--out %s: %s %s", out, dir,
                                   stat(dir, &sb) != 0 ? "does not exist (make the folder first)"
                                                       : "is not a folder");
    }

    dlc_error err = {0};
    model m;
    if (model_load(&m, path, 1, &err) != DLC_OK)
        return cli_fail(&err);
    onnx_export_opts eo = {.opset = (int)opset, .producer_version = DLC_VERSION, .source = path};
    dlc_status st = onnx_export(&m, out, &eo, &err);
    model_free(&m);
    if (st != DLC_OK)
        return cli_fail(&err);
    if (!cli_quiet(c, a))
        printf("wrote %s (ONNX opset %ld)\n", out, opset);
    return 0;
}

const cli_command cli_export_cmd = {
    "export",
    "RUN [--format onnx] [--out FILE] [--opset N]",
    "Write a trained model as an ONNX file (normalization folded in, softmax or sigmoid on the "
    "output) for ONNX Runtime and other runtimes.",
    opts, run,
};
