/* report_config.h - what a config's `report:` section says.
 *
 * report.metric picks the single-number evaluation metric: one measure to
 * optimize (or `weighted`, the sum of weight * measure) on one split, with
 * satisficing bounds on any measure.  Each measure has a natural direction:
 * accuracy, f1 and auc are better higher, the rest lower, and its bound in
 * `satisfice:` is a `min` for the first kind and a `max` for the second.
 */
#ifndef DLC_REPORT_CONFIG_H
#define DLC_REPORT_CONFIG_H

/* The measures a run reports for its metric split, in schema order. */
typedef enum {
    REPORT_M_ACCURACY,
    REPORT_M_ERROR,
    REPORT_M_LOSS,
    REPORT_M_F1,         /* macro-averaged F1 (classification) */
    REPORT_M_AUC,        /* ROC AUC (binary tasks) */
    REPORT_M_MSE,
    REPORT_M_MAE,
    REPORT_M_LATENCY_MS, /* wall milliseconds to predict one example (batch of 1) */
    REPORT_M_PARAMS,     /* parameters, trainable and frozen */
    REPORT_M_SIZE_MB,    /* model.safetensors in MB (10^6 bytes) */
    REPORT_M_MAP50,      /* detection: mAP at IoU 0.5 */
    REPORT_M_MAP,        /* detection: mAP averaged over IoU 0.5 .. 0.95 */
    REPORT_M_IOU,        /* localization: the mean IoU of the box on images with an object */
    REPORT_M_LANDMARK_PX, /* landmarks: the mean distance from the truth, in pixels */
    REPORT_MEASURE_COUNT
} report_measure;

/* report_measure_names[m]; report_optimize_names adds "weighted" at
 * REPORT_MEASURE_COUNT and "auto" after it: accuracy for a classification
 * head, mse for regression, the mean AUC of a multi-label head's tasks,
 * mAP@0.5 for yolo, landmark_px for landmarks. */
extern const char *const report_measure_names[REPORT_MEASURE_COUNT + 1];
extern const char *const report_optimize_names[REPORT_MEASURE_COUNT + 3];
#define REPORT_OPTIMIZE_WEIGHTED REPORT_MEASURE_COUNT
#define REPORT_OPTIMIZE_AUTO (REPORT_MEASURE_COUNT + 1)


/* 1 when a larger value of measure m is better. */
int report_measure_higher_is_better(int m);

typedef struct {
    double human_level_error;  /* proxy for Bayes error; < 0 = not given */
    int error_samples;         /* misclassified dev examples to sample for error analysis */
    int optimize;              /* report_measure, REPORT_OPTIMIZE_WEIGHTED or _AUTO */
    char metric_head[64];      /* the output whose figure it is ("box.mse"); "" = the first */
    int metric_split;          /* data_split_kind */
    double bound[REPORT_MEASURE_COUNT];   /* satisficing bound (min or max); < 0 = none */
    double weight[REPORT_MEASURE_COUNT];  /* for optimize: weighted */
} report_config;

#endif
