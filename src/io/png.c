/* png.c - PNG files through stb_image_write, encoded in memory and written
 * like every dlc file (a temporary name, renamed into place). */
#include <stb_image_write.h>

#include "io.h"

static void to_buf(void *ctx, void *data, int size)
{
    dlc_buf_append(ctx, data, (size_t)size);
}

dlc_status io_write_png(const char *path, const unsigned char *px, int W, int H, int C,
                        dlc_error *err)
{
    if (W < 1 || H < 1 || (C != 1 && C != 3 && C != 4))
        return dlc_fail(err, DLC_EINPUT, "%s: cannot write a %dx%d image of %d channels as PNG",
                        path, W, H, C);
    dlc_buf b = {0};
    int ok = stbi_write_png_to_func(to_buf, &b, W, H, C, px, W * C);
    dlc_status st = !ok || b.failed ? DLC_NOMEM(err) : io_write_file(path, b.s, b.len, err);
    dlc_buf_free(&b);
    return st;
}
