/* targets.h - fuzz targets: each parses untrusted bytes through one reader and
 * must return without crashing, leaking or reading out of bounds, whatever the
 * input.  Used by libFuzzer (fuzz/libfuzzer.c) and by the seed replayer that
 * `make test` runs over tests/fuzz/corpus/<target>/. */
#ifndef DLC_FUZZ_TARGETS_H
#define DLC_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

int fuzz_yaml(const uint8_t *data, size_t size);        /* target_yaml.c */
int fuzz_idx(const uint8_t *data, size_t size);         /* target_data.c */
int fuzz_csv(const uint8_t *data, size_t size);         /* target_data.c */
int fuzz_safetensors(const uint8_t *data, size_t size); /* target_safetensors.c */
int fuzz_text(const uint8_t *data, size_t size);        /* target_text.c */
int fuzz_image(const uint8_t *data, size_t size);       /* target_image.c */
int fuzz_onnx(const uint8_t *data, size_t size);        /* target_onnx.c */
int fuzz_detect(const uint8_t *data, size_t size);      /* target_detect.c */

#endif
