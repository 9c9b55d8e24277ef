/* target_image.c - the image path: content sniffing, header and truncation
 * checks, decoding (stb_image), channel conversion and resizing
 * (stb_image_resize), as training and `dlc predict` run it on a file's bytes.
 * The first byte picks the target shape, so gray and colour, shrinking and
 * enlarging, and the image's own size are all reached. */
#include <stdlib.h>
#include <string.h>

#include "../../src/data/data.h"
#include "targets.h"

int fuzz_image(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t pick = data[0];
    const uint8_t *img = data + 1;
    size_t n = size - 1;
    /* a small pixel limit keeps each run fast; the checks are the same */
    const long max_pixels = 1L << 20;
    tensor_shape native;
    dlc_error err = {0};
    if (data_image_check("fuzz", img, n, max_pixels, &native, &err) != DLC_OK)
        return 0;
    if (!(native.d[0] == 1 || native.d[0] == 3) || native.d[1] < 1 || native.d[2] < 1 ||
        native.d[1] > DATA_IMAGE_MAX_SIDE || native.d[2] > DATA_IMAGE_MAX_SIDE ||
        (long)native.d[1] * native.d[2] > max_pixels)
        abort(); /* the check let through a shape it promised to refuse */
    tensor_shape shape = {3, {pick & 1 ? 3 : 1, 1 + (pick >> 1 & 7) * 5, 1 + (pick >> 4) * 3}};
    if (pick >= 0xF0)
        shape = (tensor_shape){3, {pick & 1 ? 3 : 1, native.d[1], native.d[2]}};
    size_t D = tensor_shape_size(&shape);
    uint8_t *out = malloc(D);
    if (!out)
        return 0;
    if (data_image_decode("fuzz", img, n, max_pixels, &shape, out, &err) == DLC_OK) {
        volatile unsigned sink = 0;
        for (size_t i = 0; i < D; i++)
            sink += out[i]; /* every byte written (MSan/valgrind would see otherwise) */
        (void)sink;
    }
    free(out);
    return 0;
}
