/* sha256.h - SHA-256 (FIPS 180-4), for recording which file a run's weights
 * came from.  Streaming: init, update any number of times, final. */
#ifndef DLC_SHA256_H
#define DLC_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct {
    uint32_t h[8];
    uint64_t bytes;      /* message length so far */
    uint8_t block[64];   /* partial block */
    size_t used;
} dlc_sha256;

void dlc_sha256_init(dlc_sha256 *s);
void dlc_sha256_update(dlc_sha256 *s, const void *data, size_t n);
/* The digest as 64 lowercase hex digits and a NUL into hex. */
void dlc_sha256_final(dlc_sha256 *s, char hex[65]);

/* The digest of a whole file.  Errors name the file (EINPUT when it cannot be read). */
dlc_status dlc_sha256_file(const char *path, char hex[65], dlc_error *err);

#endif
