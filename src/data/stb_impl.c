/* stb_impl.c - the stb_image and stb_image_resize implementations dlc uses,
 * built here rather than taken from Debian's libstb so that only the
 * formats dlc accepts are compiled in (PNG, JPEG, BMP, GIF: no Radiance
 * HDR, PIC, PNM, PSD or TGA decoder exists in the binary to be reached by a
 * hostile file), the decoders read from memory only (image.c opens files
 * itself: regular files only, size known), and the fuzzer's coverage
 * reaches into the decoders.  image.c checks every header before a decoder
 * runs (stb's own size limit, 2^24 per side, is left as it is so that
 * stbi_info reports a header's size and image.c refuses it by name). */
#include "data.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STB_IMAGE_RESIZE_IMPLEMENTATION
/* stb_image's asserts check its own invariants, and a corrupt file can reach
 * them: Debian's 2.27 evaluates one in its Huffman decoder with an index
 * read from the file (size[713] of a 257-entry table, found by make fuzz),
 * which would abort dlc on a hostile JPEG instead of saying it cannot be
 * decoded.  The decoder returns its own errors for bad data; memory safety
 * is watched by make sanitize and make fuzz, not by these asserts. */
#define STBI_ASSERT(x) ((void)0)

/* third-party code: its own warnings are not ours to fix */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wtype-limits"
#include <stb_image.h>
#include <stb_image_resize.h>
#pragma GCC diagnostic pop
