/* replay.c - runs one fuzz target over every file of a corpus folder, so the
 * seeds (and every crash ever found) stay regression tests. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"

static int (*target_by_name(const char *name))(const uint8_t *, size_t)
{
    if (strcmp(name, "yaml") == 0)
        return fuzz_yaml;
    if (strcmp(name, "idx") == 0)
        return fuzz_idx;
    if (strcmp(name, "csv") == 0)
        return fuzz_csv;
    if (strcmp(name, "safetensors") == 0)
        return fuzz_safetensors;
    if (strcmp(name, "text") == 0)
        return fuzz_text;
    if (strcmp(name, "image") == 0)
        return fuzz_image;
    if (strcmp(name, "onnx") == 0)
        return fuzz_onnx;
    if (strcmp(name, "detect") == 0)
        return fuzz_detect;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s TARGET CORPUS_DIR\n", argv[0]);
        return 2;
    }
    int (*fn)(const uint8_t *, size_t) = target_by_name(argv[1]);
    if (!fn) {
        fprintf(stderr, "unknown target %s\n", argv[1]);
        return 2;
    }
    DIR *d = opendir(argv[2]);
    if (!d) {
        fprintf(stderr, "%s: cannot open corpus\n", argv[2]);
        return 1;
    }
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[2], e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
        size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
        fclose(f);
        if (buf)
            fn(buf, got);
        free(buf);
        count++;
    }
    closedir(d);
    printf("%s: %d inputs ran cleanly\n", argv[1], count);
    return count > 0 ? 0 : 1;
}
