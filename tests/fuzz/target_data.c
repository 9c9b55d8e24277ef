/* target_data.c - fuzz targets for the IDX and CSV readers. */
#include <stdlib.h>
#include <string.h>

#include "../../src/data/data.h"
#include "targets.h"

/* The first byte picks where the rest splits into an images file and a
 * labels file. */
int fuzz_idx(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *rest = data + 1;
    size_t n = size - 1;
    size_t cut = n * data[0] / 255;
    dataset *ds = NULL;
    dlc_error err = {0};
    if (data_parse_idx(&ds, "images", rest, cut, "labels", rest + cut, n - cut, 0, &err) == DLC_OK) {
        /* touch everything the reader claims to hold */
        volatile float sink = 0.0f;
        for (size_t i = 0; i < (size_t)ds->n * ds->dim; i++)
            sink += ds->u8[i];
        for (int i = 0; i < ds->n; i++)
            sink += ds->targets[i];
        (void)sink;
    }
    data_dataset_free(ds);
    return 0;
}

int fuzz_csv(const uint8_t *data, size_t size)
{
    static const data_target modes[] = {DATA_TARGET_CLASS, DATA_TARGET_BINARY, DATA_TARGET_NUMERIC};
    char y[] = "y";
    char *yv[] = {y};
    const dlc_strlist label = {1, yv};
    const dlc_strlist features = {0, NULL};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        dataset *ds = NULL;
        dlc_strlist names = {0, NULL};
        dlc_error err = {0};
        if (data_parse_csv(&ds, "fuzz.csv", (const char *)data, size, &label, &features, modes[m],
                           &names, 0, &err) == DLC_OK) {
            volatile float sink = 0.0f;
            for (size_t i = 0; i < (size_t)ds->n * ds->dim; i++)
                sink += ds->f32[i];
            for (size_t i = 0; i < (size_t)ds->n * (size_t)ds->n_targets; i++) {
                float t = ds->targets[i];
                if (modes[m] == DATA_TARGET_CLASS && !(t >= 0 && t < names.n))
                    abort();   /* a class id without a name */
                if (modes[m] == DATA_TARGET_BINARY && !(t == 0 || t == 1 || t != t))
                    abort();   /* binary targets are 0, 1 or unknown */
                sink += t;
            }
            (void)sink;
        }
        data_dataset_free(ds);
        dlc_strlist_clear(&names);
    }
    return 0;
}
