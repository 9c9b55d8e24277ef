/* import.c - `dlc import MODEL.onnx --out RUN [--scale S] [--mean M...]
 * [--std D...]`: an ONNX model made of ops dlc has becomes a run folder
 * (config.yaml, model.safetensors) to predict with, evaluate or fine-tune
 * (init_from).  The preprocessing the source model expects is stored as the
 * run's normalization: (x * S - mean) / std per channel. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../onnx/onnx.h"
#include "cli.h"

static const cli_opt opts[] = {
    {"--out", 1, "RUN", "the run folder to write (required; an existing one needs --force)"},
    {"--scale", 1, "S", "multiply the raw input by S first (e.g. 0.00392156862745098 = 1/255 for pixels)"},
    {"--mean", 1, "M[,M...]", "subtract, per channel (one value or one per channel)"},
    {"--std", 1, "D[,D...]", "then divide, per channel"},
    {"--input", 1, "D[,D...]",
     "the example's shape, for a model whose input leaves dims free (e.g. 3,224,224)"},
    {"--force", 0, NULL, "replace an existing run folder's model"},
    {NULL, 0, NULL, NULL},
};

/* "0.485,0.456,0.406" (commas or spaces) into v; count in *n */
static int parse_list(const char *s, float *v, int cap, int *n)
{
    *n = 0;
    while (*s) {
        while (*s == ',' || *s == ' ')
            s++;
        if (!*s)
            break;
        char *end;
        double d = strtod(s, &end);
        if (end == s || *n >= cap)
            return -1;
        v[(*n)++] = (float)d;
        s = end;
    }
    return *n > 0 ? 0 : -1;
}

static int run(const cli_args *a)
{
    const cli_command *c = &cli_import_cmd;
    if (a->n_pos != 1)
        return cli_usage_error(c, "expected one ONNX file");
    const char *out = cli_get(c, a, "--out");
    if (!out)
        return cli_usage_error(c, "--out RUN is required");
    onnx_import_opts o = {0};
    const char *sc = cli_get(c, a, "--scale"), *mean = cli_get(c, a, "--mean"), *sd = cli_get(c, a, "--std");
    if (sc) {
        char *end;
        o.scale = strtof(sc, &end);
        if (*end || !(o.scale > 0))
            return cli_usage_error(c, "--scale needs a positive number, got '%s'", sc);
    }
    if (mean && parse_list(mean, o.mean, 16, &o.n_mean) != 0)
        return cli_usage_error(c, "--mean needs 1 to 16 numbers, got '%s'", mean);
    if (sd && parse_list(sd, o.std, 16, &o.n_std) != 0)
        return cli_usage_error(c, "--std needs 1 to 16 numbers, got '%s'", sd);
    for (int i = 0; i < o.n_std; i++)
        if (!(o.std[i] > 0))
            return cli_usage_error(c, "--std values must be positive");
    const char *shape = cli_get(c, a, "--input");
    float dims[TENSOR_MAX_DIMS];
    if (shape && parse_list(shape, dims, TENSOR_MAX_DIMS, &o.n_input) != 0)
        return cli_usage_error(c, "--input needs 1 to %d dims, got '%s'", TENSOR_MAX_DIMS, shape);
    for (int i = 0; i < o.n_input; i++) {
        if (!(dims[i] >= 1 && dims[i] <= 1e6f && dims[i] == (float)(int)dims[i]))
            return cli_usage_error(c, "--input dims must be whole numbers from 1, got '%s'", shape);
        o.input[i] = (int)dims[i];
    }
    char model_path[4200], config_path[4200];
    snprintf(model_path, sizeof model_path, "%s/model.safetensors", out);
    snprintf(config_path, sizeof config_path, "%s/config.yaml", out);
    struct stat sb;
    if (stat(model_path, &sb) == 0 && !cli_get(c, a, "--force"))
        return cli_usage_error(c, "%s exists; give --force to replace it", model_path);
    const char *base = strrchr(out, '/');
    o.name = base && base[1] ? base + 1 : out;

    dlc_error err = {0};
    model m;
    char note[800];
    if (onnx_import(&m, a->pos[0], &o, note, sizeof note, &err) != DLC_OK)
        return cli_fail(&err);
    if (note[0])
        fprintf(stderr, "dlc: note: %s\n", note);
    int rc = 0;
    if (mkdir(out, 0777) != 0 && errno != EEXIST) {
        dlc_fail(&err, DLC_EIO, "%s: cannot create the folder: %s", out, strerror(errno));
        rc = cli_fail(&err);
    } else if (io_write_file(config_path, m.config_yaml, strlen(m.config_yaml), &err) != DLC_OK ||
               model_save(&m, model_path, &err) != DLC_OK) {
        rc = cli_fail(&err);
    } else if (!cli_quiet(c, a)) {
        size_t tr, fr;
        graph_count_params(m.g, &tr, &fr);
        printf("imported %s: %d layers, %zu parameters -> %s (config.yaml, model.safetensors)\n", a->pos[0],
               m.g->n_nodes - m.g->n_inputs, tr + fr, out);
    }
    model_free(&m);
    return rc;
}

const cli_command cli_import_cmd = {
    "import",
    "MODEL.onnx --out RUN [--scale S] [--mean M[,M...]] [--std D[,D...]] [--input D[,D...]] [--force]",
    "Turn an ONNX model (PyTorch's torch.onnx.export, dlc export, ...) made of ops dlc has into a "
    "run folder to predict with, evaluate or fine-tune.",
    opts, run,
};
