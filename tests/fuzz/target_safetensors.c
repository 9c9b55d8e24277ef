/* target_safetensors.c - untrusted bytes through io_safetensors_parse.
 *
 * Touches every byte a caller could legally touch (each tensor's data and
 * name, each metadata key and value), so ASan catches a range check that lets
 * a pointer run past the buffer. */
#include <string.h>

#include "../../src/io/io.h"
#include "targets.h"

int fuzz_safetensors(const uint8_t *data, size_t size)
{
    io_st *st = NULL;
    dlc_error err = {0};
    if (io_safetensors_parse(&st, "fuzz", data, size, &err) != DLC_OK)
        return 0;
    volatile float sink = 0.0f;
    volatile size_t len = 0;
    for (int i = 0; i < io_st_count(st); i++) {
        const io_tensor *t = io_st_at(st, i);
        size_t n = tensor_shape_size(&t->shape);
        for (size_t k = 0; k < n; k++)
            sink += t->data[k];
        len += strlen(t->name);
        if (io_st_get(st, t->name) == NULL)
            __builtin_trap(); /* every name must be found again */
    }
    for (int i = 0; i < io_st_meta_count(st); i++) {
        const io_meta *m = io_st_meta_at(st, i);
        len += strlen(m->key) + strlen(m->value);
        if (io_st_meta(st, m->key) == NULL)
            __builtin_trap();
    }
    (void)sink;
    (void)len;
    io_st_free(st);
    return 0;
}
