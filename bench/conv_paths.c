/* conv_paths.c - one 3x3 stride-1 conv2d layer (padding 1, ReLU fused),
 * forward and backward (input gradient included), timed under each
 * algorithm: im2col + sgemm, Winograd F(2x2, 3x3) and F(4x4, 3x3).  The
 * measurements behind conv.c's `algorithm: auto` rule.
 *   usage: conv_paths THREADS [REPS] [N C F HW]...
 * Without shapes it runs the 3x3 layers of ResNet-50, VGG-16, B2 and the
 * Fashion-MNIST CNN config.  One line per shape: ms per step of each
 * algorithm (the median of REPS) and the fastest.  CPU=1: CPU time instead
 * of the wall clock (bench_clock.h).  ONLY=im2col|winograd_2x2|winograd_4x4
 * times that one algorithm alone (for a profiler).  KERNEL=k and STRIDE=s
 * (padding k/2) time another geometry (Winograd's columns then fail: use
 * ONLY=im2col); PLAIN=1 drops the bias and the ReLU (a convolution before a
 * batchnorm, as in ResNet). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/base/util.h"
#include "../src/graph/graph.h"
#include "bench_clock.h"

typedef struct {
    int N, C, F, HW;
    const char *what;
} shape;

static const shape defaults[] = {
    {8, 64, 64, 56, "resnet50 layer1"},   {8, 128, 128, 28, "resnet50 layer2"},
    {8, 256, 256, 14, "resnet50 layer3"}, {8, 512, 512, 7, "resnet50 layer4"},
    {8, 3, 64, 224, "vgg16 conv1_1"},     {8, 64, 64, 224, "vgg16 conv1_2"},
    {8, 64, 128, 112, "vgg16 conv2_1"},   {8, 128, 128, 112, "vgg16 conv2_2"},
    {8, 128, 256, 56, "vgg16 conv3_1"},   {8, 256, 256, 56, "vgg16 conv3_2"},
    {8, 256, 512, 28, "vgg16 conv4_1"},   {8, 512, 512, 28, "vgg16 conv4_2"},
    {8, 512, 512, 14, "vgg16 conv5"},     {64, 1, 32, 28, "b2/cnn conv1"},
    {64, 32, 64, 14, "b2/cnn conv2"},     {64, 64, 128, 7, "cnn conv3"},
    {64, 16, 16, 14, "small"},            {64, 16, 32, 28, "small"},
};

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median ms per forward + backward step of the shape under algorithm algo. */
static double time_step(const shape *s, int algo, int reps)
{
    layer_spec l;
    memset(&l, 0, sizeof l);
    strcpy(l.name, "c");
    strcpy(l.type, "conv2d");
    l.op = graph_op_find("conv2d");
    l.trainable = 1;
    const char *ke = getenv("KERNEL"), *se = getenv("STRIDE"), *pe = getenv("PLAIN");
    const int k = ke ? atoi(ke) : 3, plain = pe && atoi(pe);
    l.activation = plain ? ACT_LINEAR : ACT_RELU;
    l.use_bias = !plain;
    l.filters = s->F;
    l.kernel = (layer_window){1, {k, 0, 0}};
    l.stride = (layer_window){1, {se ? atoi(se) : 1, 0, 0}};
    l.padding = PAD_EXPLICIT;
    l.pad = (layer_window){1, {k / 2, 0, 0}};
    l.algorithm = algo;
    tensor_shape in = {3, {s->C, s->HW, s->HW}};
    graph *g = NULL;
    dlc_error err = {0};
    if (graph_build(&g, &in, &l, 1, NULL, 0, s->N, &err) != DLC_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(2);
    }
    if (graph_set_input_grad(g, 1, &err) != DLC_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(2);
    }
    dlc_rng rng;
    dlc_rng_seed(&rng, 3, 0);
    graph_init_params(g, &rng);
    float *x = graph_input(g, 0);
    for (size_t i = 0; i < (size_t)s->N * g->nodes[0].size; i++)
        x[i] = (float)dlc_rng_normal(&rng);
    graph_node *o = graph_output(g, 0);
    double t[64];
    for (int r = 0; r <= reps && r < 64; r++) {
        /* the layer's forward and backward, not the clearing and filling between */
        if (getenv("COLD")) { /* caches emptied first, as a layer of a large model finds them */
            static float *junk;
            const size_t J = (size_t)64 << 20;
            if (!junk)
                junk = calloc(J, sizeof(float));
            for (size_t i = 0; i < J; i += 16)
                junk[i] += 1.0f;
        }
        double t0 = bench_now();
        graph_forward(g, s->N, 1);
        double t1 = bench_now();
        graph_zero_grad(g);
        for (size_t i = 0; i < (size_t)s->N * o->size; i++)
            o->grad[i] = 1e-3f * (float)(i % 7);
        double t2 = bench_now();
        graph_backward(g, s->N);
        if (r > 0)
            t[r - 1] = 1e3 * (t1 - t0 + bench_now() - t2);
    }
    graph_free(g);
    qsort(t, (size_t)reps, sizeof t[0], cmp);
    return t[reps / 2];
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1, reps = argc > 2 ? atoi(argv[2]) : 3;
    if (reps < 1 || reps > 63)
        reps = 3;
    tensor_set_threads(threads);
    shape given[16];
    int n = 0;
    for (int i = 3; i + 3 < argc && n < 16; i += 4)
        given[n++] = (shape){atoi(argv[i]), atoi(argv[i + 1]), atoi(argv[i + 2]), atoi(argv[i + 3]), "given"};
    const shape *list = n ? given : defaults;
    if (!n)
        n = (int)(sizeof defaults / sizeof defaults[0]);
    const int algos[3] = {CONV_IM2COL, CONV_WINOGRAD_2X2, CONV_WINOGRAD_4X4};
    printf("%-16s %4s %4s %4s %4s %10s %10s %10s  fastest (threads %d)\n", "layer", "N", "C", "F", "HW",
           "im2col", "wino2x2", "wino4x4", threads);
    for (int i = 0; i < n; i++) {
        double ms[3];
        int best = 0;
        const char *only = getenv("ONLY");
        for (int a = 0; a < 3; a++) {
            ms[a] = only && strcmp(only, graph_conv_algo_names[algos[a]]) != 0 ? 1e30
                                                                               : time_step(&list[i], algos[a], reps);
            if (ms[a] < ms[best])
                best = a;
        }
        printf("%-16s %4d %4d %4d %4d %10.2f %10.2f %10.2f  %s (%.2fx)\n", list[i].what, list[i].N,
               list[i].C, list[i].F, list[i].HW, ms[0], ms[1], ms[2], graph_conv_algo_names[algos[best]],
               ms[0] / ms[best]);
        fflush(stdout);
    }
    return 0;
}
