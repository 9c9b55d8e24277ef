/* sgemm_b5.c - benchmark B5: the GFLOP/s of dlc's matrix products (tensor_gemm:
 * oneDNN's sgemm or OpenBLAS's, README "Matrix products") on the eight products
 * of one B1 training step (MLP 784-256-128-10, batch 64), with the transposes
 * dlc's dense layer uses.  Prints one JSON line.
 *   usage: sgemm_b5 THREADS [SECONDS] */
#include <stdio.h>
#include <stdlib.h>

#include "../src/base/util.h"
#include "../src/tensor/tensor.h"

typedef struct {
    int ta, tb, M, N, K;
} shape;

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    double seconds = argc > 2 ? atof(argv[2]) : 2.0;
    tensor_set_threads(threads);
    const int B = 64, L[4] = {784, 256, 128, 10};
    shape s[8];
    int n = 0;
    for (int l = 0; l < 3; l++) /* forward: y = x W^T */
        s[n++] = (shape){0, 1, B, L[l + 1], L[l]};
    for (int l = 0; l < 3; l++) /* dW = dy^T x */
        s[n++] = (shape){1, 0, L[l + 1], L[l], B};
    for (int l = 1; l < 3; l++) /* dx = dy W (not for the first layer) */
        s[n++] = (shape){0, 0, B, L[l], L[l + 1]};
    double flop = 0;
    for (int i = 0; i < n; i++)
        flop += 2.0 * s[i].M * s[i].N * s[i].K;
    float *a = tensor_alloc(784 * 256), *b = tensor_alloc(784 * 256), *c = tensor_alloc(784 * 256);
    for (int i = 0; i < 784 * 256; i++)
        a[i] = b[i] = (float)(i % 7) * 0.01f;
    for (int w = 0; w < 50; w++)
        for (int i = 0; i < n; i++)
            tensor_gemm(s[i].ta, s[i].tb, s[i].M, s[i].N, s[i].K, 1, a, b, 0, c);
    long reps = 0;
    double t0 = dlc_now(), t;
    do {
        for (int r = 0; r < 20; r++, reps++)
            for (int i = 0; i < n; i++)
                tensor_gemm(s[i].ta, s[i].tb, s[i].M, s[i].N, s[i].K, 1, a, b, 0, c);
        t = dlc_now() - t0;
    } while (t < seconds);
    printf("{\"bench\": \"B5\", \"library\": \"%s\", \"threads\": %d, \"flop_per_step\": %.0f, "
           "\"steps\": %ld, \"gflops\": %.2f}\n",
           tensor_gemm_library_name(), threads, flop, reps, flop * reps / t / 1e9);
    tensor_free(a);
    tensor_free(b);
    tensor_free(c);
    return 0;
}
