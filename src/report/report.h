/* report.h - what a finished run tells its user: figures per split, the
 * single-number metric, the bias / variance / data-mismatch diagnosis, and
 * an error-analysis sample; and the files that carry them:
 *
 *   runs/<name>/report.json    everything below, schema in report_json.c and README
 *              confusion.csv  split,true,predicted,count (every split, every pair;
 *                             only the non-zero cells above REPORT_DENSE_MAX classes)
 *              report.html    one self-contained page (report_html.c)
 *              errors/        errors.csv + PNG images of sampled dev errors (report_errors.c)
 *
 * A report is built from a trained model and its data (report_evaluate),
 * completed with the model's cost (report_measure_cost) and the config's
 * metric and human-level error (report_conclude).  Library code only: the
 * CLI prints it.
 */
#ifndef DLC_REPORT_H
#define DLC_REPORT_H

#include <stdatomic.h>
#include <stdint.h>

#include "../config/config.h"
#include "../train/model.h"
#include "metric.h"
#include "metrics.h"

/* Up to this many classes a split keeps the whole K x K confusion matrix
 * (512 KiB); above it (a word language model's vocabulary) only the
 * per-class counts and the mistakes, and report.json's confusion is null. */
#define REPORT_DENSE_MAX 256

typedef enum {
    REPORT_TASK_CLASSES,    /* softmax: one class per example (or per row) */
    REPORT_TASK_BINARY,     /* one sigmoid output */
    REPORT_TASK_MULTILABEL, /* several sigmoid outputs: one binary task each */
    REPORT_TASK_REGRESSION, /* mse */
    REPORT_TASK_DETECTION,  /* the detection losses: boxes, objects, landmarks (report_detect.c) */
    REPORT_TASK_EMBEDDING,  /* a metric-learning loss (triplet, contrastive): the loss, and
                             * for triplets the share ordered right; see report_verify */
    REPORT_TASK_COUNT
} report_task;
extern const char *const report_task_names[REPORT_TASK_COUNT + 1];

/* One output of a multi-label model; examples with an unknown label for the
 * task are left out of its figures. */
typedef struct {
    long known, positives, predicted, tp, correct;
    double accuracy, precision, recall, f1, auc;
} report_task_stats;

/* The kinds of detection mistakes in the error sample: an object no box
 * found, and false positives by what they overlap (IoU >= 0.5 with an object
 * already found: a duplicate; with an object of another class: the wrong
 * class; 0.1 to 0.5 with one of its class: misplaced; else background). */
enum {
    REPORT_DET_MISSED = 1,
    REPORT_DET_BACKGROUND,
    REPORT_DET_MISPLACED,
    REPORT_DET_WRONG_CLASS,
    REPORT_DET_DUPLICATE,
    REPORT_DET_KINDS
};
extern const char *const report_det_kind_names[REPORT_DET_KINDS]; /* [0] "" */

/* One mistake of a detection head in the error sample: errors/<row>_<n>.png
 * is its crop. */
typedef struct report_det_error {
    int row;             /* the example's row in its file */
    int n;               /* the mistake's number within its image */
    int kind;            /* REPORT_DET_* */
    int truth, pred;     /* class ids; -1: background (no object, no box) */
    float score;         /* the box's score; a missed object: the best score of a box of its
                          * class overlapping it by 0.5 or more (NaN: none) */
    float iou;           /* the box's best IoU with an object; a miss: with a box of its class */
    detect_box box;      /* in pixels of the model's input */
} report_det_error;

/* A detection head's figures on one split (report_detect.c). */
typedef struct {
    int loss;                    /* loss_kind */
    int keep;                    /* keep ev and kind (the dev split: the error sample) */
    int W, H;                    /* the model's input image, for pixels */
    long images, objects;
    double map50, map;           /* mAP@0.5, mAP@0.5:0.95; NaN for landmarks */
    double *ap50, *ap;           /* (C) per class; NaN for a class without objects */
    long *n_gt;                  /* (C) objects per class */
    double class_accuracy, mean_iou, objectness_accuracy;   /* localize */
    double landmark_px, landmark_within_2px;                /* landmarks */
    float score;                 /* the head's score threshold, which the two below use */
    long missed, false_pos;      /* objects not found, and false positives, at IoU 0.5 */
    detect_eval ev;              /* every box kept and every object (while needed) */
    uint8_t *kind;               /* (n_dets + n_gts) REPORT_DET_* of each box, then of each
                                  * object; 0: not a mistake */
    /* while running */
    long present, class_right, obj_right, lm_points, lm_within;
    double iou_sum, lm_px, lm_sq;
    detect_det *scratch;         /* one image's boxes */
    int *iscratch;
    dlc_status st;               /* the first failure of a batch, reported at the end */
    dlc_error err;
} report_detect;

typedef struct {
    const char *name;            /* "train", "train_dev", "dev", "test" (static) */
    int kind;                    /* data_split_kind */
    int n;                       /* examples */
    double loss, accuracy, error;   /* as training computes them; accuracy NaN for regression */
    int unlabelled;              /* nothing to score: no known label (no triplet), loss NaN */
    /* classes and binary: K x K, up to REPORT_DENSE_MAX classes */
    long *confusion;             /* (K, K) rows true class, columns predicted; else NULL */
    /* more classes (a word vocabulary): the mistakes, true * K + predicted,
     * sorted; with cls[].tp on the diagonal they are the matrix's non-zero cells */
    uint64_t *mistakes;
    long n_mistakes;
    report_class_stats *cls;     /* (K) */
    report_avg macro, weighted;
    double auc;                  /* binary tasks (and 2-class softmax); else NaN */
    /* multi-label */
    report_task_stats *tasks;    /* (K) */
    /* regression, over every known target value; mse_se: mse's standard
     * error from the examples' squared errors (report_mse_se), NaN below 2 */
    double mse, mae, mse_se;
    /* the mse of predicting the split's own mean target (its targets'
     * variance, pooled over targets) and r2 = 1 - mse / that (scikit-learn's
     * r2_score, variance_weighted over several targets); NaN for a constant
     * target, where r2 is undefined */
    double mean_mse, r2;
    float *reg_out, *reg_true;   /* (n, K) regression, dev split only: for the error sample */
    /* per example (n), classes and binary with one prediction per example */
    int *truth, *pred;           /* class ids; truth -1 = unknown label */
    float *conf;                 /* the predicted class's probability */
    report_detect *det;          /* detection heads, else NULL */
    /* triplet: the mean over every triplet (loss is the configured mean) and
     * the share of triplets with a positive loss; else NaN */
    double loss_all, active;
    /* data.sources: known predictions (examples, or tokens of a per-step
     * output) and wrong ones, per source */
    long src_known[DATA_MAX_SOURCES], src_wrong[DATA_MAX_SOURCES];
} report_split;

/* ---- verification (verify.c): a model that compares examples ----
 * On each split's single examples (up to REPORT_VERIFY_EXAMPLES, drawn with
 * the seed): REPORT_VERIFY_PAIRS pairs, half of one class and half of two;
 * ROC AUC of the distance, the equal error rate, the accuracy at the
 * threshold chosen on dev (else train) for its best accuracy; one-shot
 * N-way accuracy over REPORT_ONE_SHOT_EPISODES episodes (N classes, one
 * reference example each, a query of one of them: right when its nearest
 * reference is of its class); a histogram of the distances. */
#define REPORT_VERIFY_EXAMPLES 3000
#define REPORT_VERIFY_PAIRS 6000
#define REPORT_ONE_SHOT_EPISODES 2000
#define REPORT_HIST_BINS 30
extern const int report_one_shot_ways[2];   /* 3, 5 */

typedef struct {
    int present;                 /* the split exists, with examples of 2 classes */
    int examples, classes, pairs;
    double auc, eer, eer_threshold;
    double accuracy;             /* at report_verify.threshold */
    double best_accuracy;        /* at this split's own best threshold */
    double one_shot[2];          /* report_one_shot_ways; NaN with fewer classes */
    double hist_lo, hist_hi;     /* the histogram's range of distances */
    long hist_same[REPORT_HIST_BINS], hist_diff[REPORT_HIST_BINS];
} report_verify_split;

typedef struct {
    int present;                 /* 0: the model does not compare examples (why says) */
    char why[256];
    int kind;                    /* infer_verify_kind */
    const char *distance;        /* static: infer_distance_names */
    char embedding[GRAPH_NAME_MAX];  /* the embedding layer, "" for none */
    size_t dim;
    double threshold;            /* same below it; NaN when no split could choose one */
    int threshold_split;         /* the split that chose it (data_split_kind), -1 none */
    report_verify_split splits[DATA_SPLIT_COUNT];   /* by data_split_kind */
} report_verify;

/* The split whose histogram reports show: test, else dev, else the first
 * present; -1 when none is. */
int report_verify_shown_split(const report_verify *rv);

/* Fills rv for model m on data (examples and pairs drawn with seed). */
dlc_status report_verify_evaluate(report_verify *rv, model *m, const data_bundle *data,
                                  uint64_t seed, dlc_error *err);

/* From the training run, for report.json. */
typedef struct {
    int epochs_run, best_epoch, stopped_early;
    double seconds;              /* the whole run, every --resume included */
    double seconds_last;         /* the last invocation */
    int threads;                 /* worker threads the run trained with (per process) */
    /* several processes (mpirun): how many, and their gradient sums in the
     * last invocation */
    int processes;
    long steps;
    double mpi_seconds;          /* inside MPI calls */
    int buckets;                 /* gradient sums per step */
    size_t allreduce_bytes;      /* bytes summed per step */
} report_run_info;

/* The figures of one output (head) of the model. */
typedef struct {
    char name[GRAPH_NAME_MAX];
    loss_kind loss;
    double weight;
    report_task task;
    int K;                      /* classes, tasks or targets */
    dlc_strlist names;          /* K class / task / target names */
    int per_example;            /* one prediction per example: error analysis possible */
    int n_splits;
    report_split splits[DATA_SPLIT_COUNT];   /* present splits: train, train_dev, dev, test */
} report_head;

typedef struct {
    int n_heads;
    report_head heads[MODEL_MAX_HEADS];
    int primary;                /* the head the diagnosis, the metric and the error sample
                                 * are about (report.metric names it; else the first) */
    double total_loss[DATA_SPLIT_COUNT];   /* sum of weight x head loss; NaN for absent splits */
    /* data.sources: examples and the primary head's error per split and source
     * (classification: misclassified share; NaN where a split takes none) */
    int n_sources;
    dlc_strlist source_names;
    int source_count[DATA_SPLIT_COUNT][DATA_MAX_SOURCES];
    double source_error[DATA_SPLIT_COUNT][DATA_MAX_SOURCES];
    /* cost of the model */
    double latency_ms;          /* NaN until measured */
    size_t params_trainable, params_frozen;
    double size_mb;             /* NaN when the model file was not found */
    /* conclusions */
    report_diagnosis diag;
    double measures[REPORT_MEASURE_COUNT];      /* on the metric split */
    report_metric metric;
    double human_level_error;   /* < 0: not given */
    /* the error sample (report_write_errors) */
    int dev_errors;             /* misclassified dev examples (regression: dev examples with
                                 * a known target, sampled by largest error); -1 when none */
    int residuals;              /* the sample is regression's largest residuals */
    int n_sampled;
    int *sampled;               /* (n_sampled) dev split rows, ascending */
    int *sampled_ids;           /* (n_sampled) their rows in the file they came from */
    int *sampled_src;           /* (n_sampled) data.sources: each one's source (in source_names);
                                 * NULL: one source */
    int has_images;             /* the sample was written with PNG images, */
    tensor_shape image_shape;   /* of this (C, H, W): the data's, or model.input's for rows
                                 * it reshapes into an image (CSV pixels) */
    struct report_det_error *det_sampled; /* (n_sampled) a detection head's sample, else NULL */
    char kept_tags[64];         /* an earlier, tagged errors.csv renamed to errors/<this>; "" if none */
    report_verify verify;       /* verification figures (present when the model compares) */
    /* what dlc train said of the data before training (data_notes: "note: ..." or
     * "warning: ..."), and the image files data.bad_files: skip passed over, so
     * that report.json and report.html keep them for whoever reads the run later */
    dlc_strlist data_notes;
    /* what dlc train said of the trained model (train_result.model_note), for
     * report_warnings: said after the diagnosis it may explain */
    dlc_strlist model_warnings;
} report;

/* ---- detection figures (report_detect.c), one split of head h ---- */
/* keep: hold on to the boxes for the error sample.  ENOMEM. */
dlc_status report_detect_begin(report_split *s, const model *m, int h, int keep, dlc_error *err);
/* One batch: the head's outputs (N, size) and the target rows (N, its targets). */
void report_detect_batch(report_split *s, const model *m, int h, const float *out, const float *t,
                         int N);
/* The figures, once every batch is in. */
dlc_status report_detect_end(report_split *s, const model *m, int h, dlc_error *err);
void report_detect_free(report_detect *d);

/* Runs the model over every split of data and fills rep's per-split
 * figures.  cfg: the run's config (task names from data.label).  ENOMEM. */
dlc_status report_evaluate(report *rep, model *m, const data_bundle *data, const dlc_config *cfg,
                           dlc_error *err);
/* report_evaluate that stops before the next split once *stop (borrowed,
 * may be NULL) is set (Ctrl-C): DLC_EINTR, rep freed. */
dlc_status report_evaluate_until(report *rep, model *m, const data_bundle *data,
                                 const dlc_config *cfg, const atomic_int *stop, dlc_error *err);
void report_free(report *rep);

/* The primary head. */
static inline const report_head *report_main(const report *rep)
{
    return &rep->heads[rep->primary];
}

/* 1 when the head's error measure (diagnosis, error sample) is its mse:
 * regression and landmarks. */
int report_error_is_mse(const report_head *h);
/* 1 when the diagnosis reads each split's verification error (1 - the
 * accuracy of its pairs at the dev threshold): an embedding output, whose
 * in-batch "ordered" share depends on the batch and has no error meaning. */
int report_error_is_verification(const report *rep);
/* The name of the diagnosis's measure: "error", "mse", "verification_error". */
const char *report_error_measure(const report *rep);

/* Split of head h by kind, NULL when absent. */
const report_split *report_head_split(const report_head *h, int kind);
/* Split of the primary head by kind, NULL when absent. */
const report_split *report_get_split(const report *rep, int kind);
/* Why figures of rep are null (JSON has no NaN): one message per split whose
 * loss is not finite (NaN weights, say) and for the metric computed from it;
 * appended to w. */
dlc_status report_warnings(const report *rep, dlc_strlist *w, dlc_error *err);

/* Times the model on single examples of the metric split (latency_ms),
 * counts parameters, and takes size_mb from model_path's size (NULL: not
 * measured). */
void report_measure_cost(report *rep, model *m, const data_bundle *data, const dlc_config *cfg,
                         const char *model_path);

/* Diagnosis and single-number metric from the figures and the config. */
void report_conclude(report *rep, const dlc_config *cfg);

/* What the diagnosis adds when it names the variance gap (the largest, or
 * the largest within noise) and diag.untold_source is set: that the gap holds
 * data mismatch too.  Written to buf; 0 (buf "") when it does not apply. */
int report_untold_mismatch(const report *rep, char *buf, size_t size);

/* What the diagnosis adds when it names avoidable bias measured against the
 * 0 assumed for a classifier without report.human_level_error: noisy labels
 * or ambiguous examples put part of that gap beyond any model's reach (20%
 * label noise reads as 20% avoidable bias, and the remedies are for a model
 * too small).  Written to buf; 0 (buf "") when it does not apply. */
int report_assumed_bayes(const report *rep, char *buf, size_t size);

/* Calls fn for the cells of split s's confusion matrix, row by row and in
 * column order within a row: every cell (zeros = 1, dense matrices only) or
 * the non-zero ones. */
void report_confusion_cells(const report_head *h, const report_split *s, int zeros,
                            void (*fn)(void *ctx, int truth, int pred, long count), void *ctx);

/* The most confused pairs of split s (true != predicted, by count, then by
 * class ids), at most cap of them into pairs (2 ints each) and counts;
 * returns how many. */
int report_confused_pairs(const report_head *h, const report_split *s, int cap, int *pairs,
                          long *counts);

/* ---- files ---- */

/* Samples cfg->report.error_samples misclassified dev examples (seeded) and
 * writes run_dir/errors/errors.csv and, for image data, one PNG per example.
 * Without a dev split or for regression and multi-label tasks it writes
 * nothing and sets dev_errors to -1. */
dlc_status report_write_errors(report *rep, const data_bundle *data, const dlc_config *cfg,
                               const char *run_dir, dlc_error *err);

/* The file name in errors/ of sampled example k's image: "<id>.png", with
 * data.sources "<source>_<id>.png" (the source's place in the list, from 0:
 * two sources' files have rows of one number). */
void report_sample_image_name(const report *rep, int k, char *name, size_t size);

/* report.json (schema: report_json.c and README). */
dlc_status report_write_json(const report *rep, const dlc_config *cfg, const report_run_info *run,
                             const char *path, dlc_error *err);
/* confusion.csv: split,true,predicted,count for every split and pair (the
 * non-zero cells only above REPORT_DENSE_MAX classes). */
dlc_status report_write_confusion(const report *rep, const char *path, dlc_error *err);
/* report.html: reads run_dir/metrics.csv (learning curves), config.yaml and
 * the PNGs in errors/ (thumbnails embedded). */
dlc_status report_write_html(const report *rep, const dlc_config *cfg, const report_run_info *run,
                             const char *run_dir, dlc_error *err);

/* All of the above into run_dir. */
dlc_status report_write_all(report *rep, const data_bundle *data, const dlc_config *cfg,
                            const report_run_info *run, const char *run_dir, dlc_error *err);

#endif
