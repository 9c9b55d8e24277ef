/* target_detect.c - fuzz target for darknet / YOLO label files (format
 * detection): any bytes either parse into object slots that hold a valid
 * class and coordinates in 0..1, or are refused with a message. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/data/data.h"
#include "../../src/detect/detect.h"
#include "targets.h"

/* The first byte picks the landmarks (bits 0-1), the object slots (bits 2-4)
 * and the classes (bits 5-7); the rest is the label file. */
int fuzz_detect(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    data_detection_config dc;
    memset(&dc, 0, sizeof dc);
    dc.landmarks = data[0] & 3;
    dc.max_objects = 1 + ((data[0] >> 2) & 7);
    int classes = 1 + (data[0] >> 5);
    int stride = detect_obj_stride(dc.landmarks);
    float *row = malloc(sizeof(float) * (size_t)(dc.max_objects * stride));
    if (!row)
        abort();
    dlc_error err = {0};
    if (data_parse_detection_labels("fuzz.txt", (const char *)data + 1, size - 1, &dc, classes, row,
                                    &err) == DLC_OK) {
        for (int m = 0; m < dc.max_objects; m++) {
            const float *o = row + (size_t)m * stride;
            if (o[0] == -1)
                continue;
            if (!(o[0] >= 0 && o[0] < classes && o[0] == floorf(o[0])))
                abort();
            for (int k = 1; k < stride; k++)
                if (!(o[k] >= 0 && o[k] <= 1))
                    abort();
        }
    } else if (!err.msg[0]) {
        abort();
    }
    free(row);
    return 0;
}
