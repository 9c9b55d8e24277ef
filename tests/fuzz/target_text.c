/* target_text.c - fuzz target for the text reader (format text): UTF-8
 * checks, tokenizing, tagged sentences, CSV text classification, the
 * vocabulary and the splits.  The reader takes files, so the input goes
 * through one temporary file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/data/data.h"
#include "targets.h"

/* The first byte picks the task (bits 0-1), characters or words (bit 2), a
 * dev split (bit 3) and the sequence length (bits 4-7); the rest is the file. */
int fuzz_text(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        strcpy(path, "/tmp/dlc-fuzz-text.XXXXXX");
        int fd = mkstemp(path);
        if (fd < 0)
            abort();
        close(fd);
    }
    if (size < 1)
        return 0;
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data + 1, 1, size - 1, f) != size - 1 || fclose(f) != 0)
        abort();
    data_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.format = DATA_TEXT;
    strcpy(cfg.train.file, path);
    cfg.text.task = (text_task)(data[0] & 3) % TEXT_TASK_COUNT;
    cfg.text.unit = data[0] & 4 ? TEXT_WORDS : TEXT_CHARS;
    cfg.split_dev = data[0] & 8 ? 0.25 : 0.0;
    cfg.text.seq_len = 1 + (data[0] >> 4);
    cfg.text.min_count = 1;
    cfg.text.stateful = 1;
    strcpy(cfg.text.column, "text");
    char y[] = "label";
    char *yv[] = {y};
    cfg.n_labels = 1;
    cfg.labels[0].columns = (dlc_strlist){1, yv};
    data_bundle b;
    memset(&b, 0, sizeof b);
    dlc_error err = {0};
    if (data_load(&b, &cfg, DATA_TARGET_CLASS, 1, &err) == DLC_OK) {
        /* every id the reader wrote must be in the vocabulary (or padding) */
        const data_split *sp[2] = {&b.split[DATA_SPLIT_TRAIN], &b.split[DATA_SPLIT_DEV]};
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < sp[k]->n; i++) {
                const dataset *ds = sp[k]->ds;
                const float *x = ds->f32 + (size_t)sp[k]->idx[i] * ds->dim;
                for (size_t j = 0; j < ds->dim; j++)
                    if (!(x[j] >= -1 && x[j] < b.vocab.n))
                        abort();
            }
    }
    data_free(&b);
    return 0;
}
