/* st_compare - how far apart two safetensors files' tensors are.
 *
 *   st_compare A B [MAX]
 *
 * For every tensor of A: max |a - b| over its values divided by max |a|
 * (its relative difference at the tensor's own scale), one line each, then
 * "worst X".  Exits 1 when a tensor is missing from B or has another shape,
 * or when MAX is given and the worst difference exceeds it; 2 on bad usage
 * or an unreadable file.  The command-line tests compare runs with it (two
 * processes against one, a resumed run against an uninterrupted one). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/io/io.h"

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: st_compare A.safetensors B.safetensors [MAX]\n");
        return 2;
    }
    dlc_error err = {0};
    io_st *a = NULL, *b = NULL;
    if (io_safetensors_read(&a, argv[1], &err) != DLC_OK ||
        io_safetensors_read(&b, argv[2], &err) != DLC_OK) {
        fprintf(stderr, "st_compare: %s\n", err.msg);
        io_st_free(a);
        return 2;
    }
    int rc = 0;
    double worst = 0;
    for (int k = 0; k < io_st_count(a); k++) {
        const io_tensor *x = io_st_at(a, k), *y = io_st_get(b, x->name);
        size_t n = tensor_shape_size(&x->shape);
        if (!y || tensor_shape_size(&y->shape) != n) {
            printf("%s: %s in %s\n", x->name, y ? "another shape" : "missing", argv[2]);
            rc = 1;
            continue;
        }
        double scale = 0, diff = 0;
        for (size_t i = 0; i < n; i++) {
            double d = fabs((double)x->data[i] - y->data[i]);
            scale = fmax(scale, fabs(x->data[i]));
            diff = isnan(d) ? INFINITY : fmax(diff, d);
        }
        double rel = scale > 0 ? diff / scale : diff;
        printf("%s %.3g\n", x->name, rel);
        worst = fmax(worst, rel);
    }
    printf("worst %.3g\n", worst);
    if (argc == 4 && !(worst <= atof(argv[3])))
        rc = 1;
    io_st_free(a);
    io_st_free(b);
    return rc;
}
