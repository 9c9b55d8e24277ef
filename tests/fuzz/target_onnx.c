/* target_onnx.c - untrusted bytes through onnx_read (a ModelProto) and
 * onnx_read_tensor (a TensorProto).
 *
 * Touches every string and value the reader hands back, so ASan catches a
 * length check that lets a pointer run past the buffer, and checks that each
 * tensor holds as many values as its dims say. */
#include <string.h>

#include "../../src/onnx/onnx.h"
#include "targets.h"

static size_t touch_tensor(const onnx_tensor *t)
{
    size_t n = 1, sum = t->name ? strlen(t->name) : 0;
    for (int i = 0; i < t->ndim; i++)
        n *= (size_t)t->dims[i];
    if (n != t->n)
        __builtin_trap();
    for (size_t i = 0; i < t->n; i++)
        sum += t->f ? (size_t)(t->f[i] != 0) : (size_t)(t->i[i] != 0);
    return sum;
}

int fuzz_onnx(const uint8_t *data, size_t size)
{
    dlc_error err = {0};
    onnx_model *m = NULL;
    volatile size_t sink = 0;
    if (onnx_read(&m, "fuzz", data, size, &err) == DLC_OK) {
        for (int i = 0; i < m->n_nodes; i++) {
            const onnx_node *n = &m->nodes[i];
            sink += strlen(n->op);
            for (int k = 0; k < n->n_in; k++)
                sink += strlen(n->in[k]);
            for (int k = 0; k < n->n_out; k++)
                sink += strlen(n->out[k]);
            for (int k = 0; k < n->n_attr; k++) {
                const onnx_attr *a = &n->attr[k];
                sink += strlen(a->name) + (a->s ? strlen(a->s) : 0) + (a->t ? touch_tensor(a->t) : 0);
                for (int q = 0; q < a->n_ints; q++)
                    sink += (size_t)a->ints[q];
                for (int q = 0; q < a->n_strings; q++)
                    sink += strlen(a->strings[q]);
                if (onnx_attr_get(n, a->name) == NULL)
                    __builtin_trap();
            }
        }
        for (int i = 0; i < m->n_inits; i++)
            sink += touch_tensor(&m->inits[i]);
        for (int i = 0; i < m->n_meta; i++)
            sink += strlen(m->meta_keys[i]) + strlen(m->meta_values[i]);
        onnx_model_free(m);
    }
    onnx_tensor t;
    if (onnx_read_tensor(&t, "fuzz", data, size, &err) == DLC_OK) {
        sink += touch_tensor(&t);
        onnx_tensor_clear(&t);
    }
    (void)sink;
    return 0;
}
