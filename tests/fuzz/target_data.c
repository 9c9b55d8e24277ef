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
    /* categorical columns one-hot encoded, missing values filled or dropped,
     * then the same text read again by the features found (COLUMN=VALUE) */
    char autow[] = "auto";
    char *av[] = {autow};
    const dlc_strlist autocat = {1, av};
    for (int miss = 0; miss < DATA_MISSING_COUNT; miss++) {
        dataset *ds = NULL, *again = NULL;
        dlc_strlist names = {0, NULL};
        dlc_error err = {0};
        data_csv_targets one = {"", &label, DATA_TARGET_CLASS, &names};
        if (data_parse_csv_table(&ds, "fuzz.csv", (const char *)data, size, NULL, &one, 1, NULL, &autocat,
                                 NULL, (data_missing)miss, 0, &err) == DLC_OK) {
            if ((size_t)ds->columns.n != ds->dim)
                abort(); /* a feature without its name */
            if (data_parse_csv_table(&again, "fuzz.csv", (const char *)data, size, NULL, &one, 1,
                                     &ds->columns, NULL, NULL, (data_missing)miss, 0, &err) == DLC_OK) {
                /* read by its own features, the file gives the same values */
                if (again->n != ds->n || again->dim != ds->dim)
                    abort();
                for (size_t i = 0; i < (size_t)ds->n * ds->dim; i++)
                    if (memcmp(&again->f32[i], &ds->f32[i], sizeof(float)) != 0)
                        abort();
            }
        }
        data_dataset_free(ds);
        data_dataset_free(again);
        dlc_strlist_clear(&names);
    }
    return 0;
}
