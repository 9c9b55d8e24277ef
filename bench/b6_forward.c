/* b6_forward.c - benchmark B6, dlc's half of the warm process: one 64 x 64
 * image through a trained detection model, the forward pass alone, timed
 * over many repetitions after a warm-up (the whole-process half is `dlc
 * predict`, timed by b6.sh).  Prints one JSON line.
 *   usage: b6_forward RUN|MODEL IMAGE THREADS [REPS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/base/util.h"
#include "../src/train/model.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: b6_forward RUN|MODEL IMAGE THREADS [REPS]\n");
        return 2;
    }
    int threads = atoi(argv[3]), reps = argc > 4 ? atoi(argv[4]) : 200;
    tensor_set_threads(threads);
    char path[4200];
    const char *run = argv[1];
    size_t n = strlen(run);
    if (n > 12 && strcmp(run + n - 12, ".safetensors") == 0)
        snprintf(path, sizeof path, "%s", run);
    else
        snprintf(path, sizeof path, "%s/model.safetensors", run);
    model m;
    dlc_error err = {0};
    if (model_load(&m, path, 1, &err) != DLC_OK) {
        fprintf(stderr, "b6_forward: %s\n", err.msg);
        return 1;
    }
    size_t D = tensor_shape_size(&m.data_shape);
    unsigned char *px = malloc(D);
    float *x = malloc(sizeof(float) * D);
    double *ms = malloc(sizeof(double) * (size_t)(reps > 0 ? reps : 1));
    if (!px || !x || !ms || data_image_load(argv[2], 0, &m.data_shape, px, &err) != DLC_OK) {
        fprintf(stderr, "b6_forward: %s\n", err.msg[0] ? err.msg : "out of memory");
        return 1;
    }
    for (size_t i = 0; i < D; i++)
        x[i] = px[i];
    data_norm_apply(&m.norm, x, 1);
    for (int i = 0; i < 10 + reps; i++) {
        double t0 = dlc_now();
        memcpy(graph_input(m.g, 0), x, sizeof(float) * D);
        graph_forward(m.g, 1, 0);
        if (i >= 10)
            ms[i - 10] = 1000.0 * (dlc_now() - t0);
    }
    qsort(ms, (size_t)reps, sizeof *ms, cmp_double);
    printf("{\"benchmark\": \"b6_forward\", \"threads\": %d, \"reps\": %d, \"median_ms\": %.4f, "
           "\"min_ms\": %.4f}\n", threads, reps, ms[reps / 2], ms[0]);
    free(px);
    free(x);
    free(ms);
    model_free(&m);
    return 0;
}
