/* schema.c - every config key in one table, and the walk that turns a YAML
 * tree into a dlc_config.
 *
 * The table is the only place that knows a key's type, range and default:
 * loading, `--set`, config_to_yaml and config_key_paths all read it.  It is
 * written once as an X-macro so the list of key paths (which config.h
 * promises as a static array) comes from the same rows instead of a copy
 * that could drift.  Defaults are YAML text and go through the same
 * converters as the user's values, so a default outside its own range
 * would fail the defaults test rather than slip through.
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"

/* Enum fields are written through an int. */
_Static_assert(sizeof(data_format) == sizeof(int), "enum size");
_Static_assert(sizeof(norm_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(pad_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(text_task) == sizeof(int), "enum size");
_Static_assert(sizeof(text_unit) == sizeof(int), "enum size");
_Static_assert(sizeof(loss_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(optim_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(sched_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(stop_metric) == sizeof(int), "enum size");
_Static_assert(sizeof(seq_loss) == sizeof(int), "enum size");
_Static_assert(sizeof(init_norm) == sizeof(int), "enum size");
_Static_assert(sizeof(act_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(data_sampler_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(loss_average) == sizeof(int), "enum size");
_Static_assert(sizeof(init_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(stylize_init) == sizeof(int), "enum size");
_Static_assert(sizeof(stylize_opt) == sizeof(int), "enum size");
_Static_assert(sizeof(embed_method) == sizeof(int), "enum size");
_Static_assert(sizeof(embed_context) == sizeof(int), "enum size");
_Static_assert(sizeof(embed_combine) == sizeof(int), "enum size");

#define PATH_BUF 512

static dlc_status check_data(const ynode *node, const char *path, dlc_config *c, dlc_error *err);
static dlc_status check_split(const ynode *node, const char *path, dlc_config *c, dlc_error *err);
static dlc_status check_sampler(const ynode *node, const char *path, dlc_config *c, dlc_error *err);
static dlc_status check_train(const ynode *node, const char *path, dlc_config *c, dlc_error *err);
static dlc_status check_type_keys(const ynode *node, const char *path, const dlc_config *c,
                                  dlc_error *err);
static int holds_default(const config_key *rows, int n_rows, const char *path, const ynode *v);
static dlc_status check_class_split(const ynode *node, const char *path, dlc_config *c,
                                    dlc_error *err);
static dlc_status check_model(const ynode *node, const char *path, dlc_config *c, dlc_error *err);
static dlc_status check_aug_range(const ynode *node, const char *path, dlc_config *c,
                                  dlc_error *err);
static dlc_status check_optimizer(const ynode *node, const char *path, dlc_config *c,
                                  dlc_error *err);
static dlc_status check_schedule(const ynode *node, const char *path, dlc_config *c,
                                 dlc_error *err);
static dlc_status check_stylize(const ynode *node, const char *path, dlc_config *c,
                                dlc_error *err);
static dlc_status check_detection(const ynode *node, const char *path, dlc_config *c,
                                  dlc_error *err);
static dlc_status check_embed(const ynode *node, const char *path, dlc_config *c, dlc_error *err);
static dlc_status check_report(const ynode *node, const char *path, dlc_config *c, dlc_error *err);

/* A field of dlc_config or of layer_spec: base, offset, size. */
#define CFG(f) BASE_CONFIG, offsetof(dlc_config, f), sizeof(((dlc_config *)0)->f)
#define LAY(f) BASE_LAYER, offsetof(layer_spec, f), sizeof(((layer_spec *)0)->f)
#define HEAD(f) BASE_HEAD, offsetof(head_spec, f), sizeof(((head_spec *)0)->f)
#define SRC(f) BASE_SOURCE, offsetof(data_source_spec, f), sizeof(((data_source_spec *)0)->f)
#define NOFIELD BASE_NONE, 0, 0

/* Ranges: lo, hi, R_* flags. */
#define ANY 0.0, 0.0, 0u
#define GE(a) (a), 0.0, R_LO
#define GT(a) (a), 0.0, R_LO | R_LO_OPEN
#define IN_CO(a, b) (a), (b), R_LO | R_HI | R_HI_OPEN /* [a, b) */
#define IN_OC(a, b) (a), (b), R_LO | R_HI | R_LO_OPEN /* (a, b] */
#define IN_CC(a, b) (a), (b), R_LO | R_HI             /* [a, b] */

/* The rest of a row: enum names, shorthand key, section check, F_* flags. */
#define PLAIN NULL, NULL, NULL, 0u
#define ENUM(t) t, NULL, NULL, 0u
#define ENUM_F(t, f) t, NULL, NULL, (f)
#define SECTION(shorthand, check) NULL, shorthand, check, 0u
#define SECTION_F(shorthand, check, f) NULL, shorthand, check, (f)
#define FLAGS(f) NULL, NULL, NULL, (f)

#define REQUIRED NULL
#define COMPUTED NULL /* with F_COMPUTED: see convert_layer and the root name */

/* The same three keys for each data source. */
#define SOURCE_ROWS(X, s)                                                                    \
    X("data." #s, K_SECTION, NOFIELD, SOURCE_DEF_##s, ANY, SECTION(NULL, NULL))              \
    X("data." #s ".file", K_STRING, CFG(data.s.file), "", ANY, PLAIN)                        \
    X("data." #s ".images", K_STRING, CFG(data.s.images), "", ANY, PLAIN)                    \
    X("data." #s ".labels", K_STRING, CFG(data.s.labels), "", ANY, PLAIN)                    \
    X("data." #s ".dir", K_STRING, CFG(data.s.dir), "", ANY, PLAIN)                          \
    X("data." #s ".limit", K_LONG, CFG(data.s.limit), "0", GE(0), PLAIN)
/* report.metric: one satisficing bound per measure, in the measure's natural
 * direction (`accuracy: {min: 0.9}`, `latency_ms: 100` for {max: 100}), and
 * one weight per measure for `optimize: weighted`.  The range comes as a
 * macro name and its arguments, so that it expands only inside X's row. */
#define SATISFICE_ROW(X, m, M, dir, range, range_args)                                          \
    X("report.metric.satisfice." #m, K_SECTION, NOFIELD, "{}", ANY, SECTION(#dir, NULL))        \
    X("report.metric.satisfice." #m "." #dir, K_DOUBLE, CFG(report.bound[REPORT_M_##M]), "null", \
      range range_args, FLAGS(F_NULLABLE))
#define WEIGHT_ROW(X, m, M)                                                                     \
    X("report.metric.weights." #m, K_DOUBLE, CFG(report.weight[REPORT_M_##M]), "0", ANY, PLAIN)
/* An augmentation transform: its probability and the range of its strength. */
#define AUG_ROWS(X, t, range, range_args, def_lo, def_hi)                                          \
    X("data.augment." #t, K_SECTION, NOFIELD, "{}", ANY, SECTION(NULL, check_aug_range))           \
    X("data.augment." #t ".p", K_DOUBLE, CFG(data.augment.t.p), "0", IN_CC(0, 1), PLAIN)            \
    X("data.augment." #t ".min", K_DOUBLE, CFG(data.augment.t.lo), def_lo, range range_args, PLAIN) \
    X("data.augment." #t ".max", K_DOUBLE, CFG(data.augment.t.hi), def_hi, range range_args, PLAIN)
#define SOURCE_DEF_train "{}" /* required unless data.sources (check_data) */
#define SOURCE_DEF_dev "{}"
#define SOURCE_DEF_test "{}"

/* clang-format off */
#define CONFIG_SCHEMA(X)                                                                                   \
    X("name",                        K_RUN_NAME,   CFG(name),               COMPUTED, ANY,          FLAGS(F_COMPUTED)) \
    X("seed",                        K_U64,        CFG(seed),               "1",      GE(0),        PLAIN)             \
    X("threads",                     K_INT,        CFG(threads),            "0",      GE(0),        PLAIN)             \
    X("data",                        K_SECTION,    NOFIELD,                 REQUIRED, ANY,          SECTION(NULL, check_data)) \
    X("data.format",                 K_ENUM,       CFG(data.format),        REQUIRED, ANY,          ENUM(data_format_names)) \
    SOURCE_ROWS(X, train)                                                                                  \
    SOURCE_ROWS(X, dev)                                                                                    \
    SOURCE_ROWS(X, test)                                                                                   \
    X("data.sources",                K_SOURCES,    NOFIELD,                 "[]",     ANY,          PLAIN)             \
    X("data.sources.*.name",         K_LAYER_NAME, SRC(name),               REQUIRED, ANY,          PLAIN)             \
    X("data.sources.*.format",       K_ENUM,       SRC(format),             COMPUTED, ANY,          ENUM_F(data_format_names, F_COMPUTED)) \
    X("data.sources.*.train",        K_SECTION,    NOFIELD,                 REQUIRED, ANY,          SECTION(NULL, NULL)) \
    X("data.sources.*.train.file",   K_STRING,     SRC(files.file),         "",       ANY,          PLAIN)             \
    X("data.sources.*.train.images", K_STRING,     SRC(files.images),       "",       ANY,          PLAIN)             \
    X("data.sources.*.train.labels", K_STRING,     SRC(files.labels),       "",       ANY,          PLAIN)             \
    X("data.sources.*.train.dir",    K_STRING,     SRC(files.dir),          "",       ANY,          PLAIN)             \
    X("data.sources.*.train.limit",  K_LONG,       SRC(files.limit),        "0",      GE(0),        PLAIN)             \
    X("data.sources.*.use",          K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, NULL)) \
    X("data.sources.*.use.train",    K_DOUBLE,     SRC(use_train),          "1",      IN_CC(0, 1),  PLAIN)             \
    X("data.sources.*.use.dev",      K_DOUBLE,     SRC(use_dev),            "0",      IN_CC(0, 1),  PLAIN)             \
    X("data.sources.*.use.test",     K_DOUBLE,     SRC(use_test),           "0",      IN_CC(0, 1),  PLAIN)             \
    X("data.sources.*.domain",       K_ENUM,       SRC(domain),             "in",     ANY,          ENUM(data_domain_names)) \
    X("data.sources.*.weight",       K_DOUBLE,     SRC(weight),             "1",      GT(0),        PLAIN)             \
    X("data.allow_out_of_domain_eval", K_BOOL,     CFG(data.allow_ood_eval), "false", ANY,          PLAIN)             \
    X("data.classes",                K_STRLIST,    CFG(data.classes),       "[]",     ANY,          PLAIN)             \
    X("data.label",                  K_LABELS,     CFG(data),               "[]",     ANY,          PLAIN)             \
    X("data.unknown_label",          K_STRLIST,    CFG(data.unknown_label), "[\"\", \"?\"]", ANY,    FLAGS(F_SCALAR_LIST | F_EMPTY_OK)) \
    X("data.features",               K_STRLIST,    CFG(data.features),      "[]",     ANY,          FLAGS(F_SCALAR_LIST)) \
    X("data.exclude",                K_STRLIST,    CFG(data.exclude),       "[]",     ANY,          FLAGS(F_SCALAR_LIST)) \
    X("data.categorical",            K_STRLIST,    CFG(data.categorical),   "[]",     ANY,          FLAGS(F_SCALAR_LIST)) \
    X("data.missing",                K_ENUM,       CFG(data.missing),       "error",  ANY,          ENUM(data_missing_names)) \
    X("data.separator",              K_ENUM,       CFG(data.separator),     "auto",   ANY,          ENUM(data_separator_names)) \
    X("data.decimal",                K_ENUM,       CFG(data.decimal),       ".",      ANY,          ENUM(data_decimal_names)) \
    X("data.balance",                K_ENUM,       CFG(data.balance),       "none",   ANY,          ENUM(data_balance_names)) \
    X("data.normalize_targets",      K_ENUM,       CFG(data.normalize_targets), "none", ANY,        ENUM(data_target_norm_names)) \
    X("data.subset",                 K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, NULL)) \
    X("data.subset.classes",         K_STRLIST,    CFG(data.subset_classes), "[]",    ANY,          PLAIN)             \
    X("data.subset.per_class",       K_INT,        CFG(data.subset_per_class), "0",   GE(0),        PLAIN)             \
    X("data.sampler",                K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION("type", check_sampler)) \
    X("data.sampler.type",           K_ENUM,       CFG(data.sampler.kind),  "none",   ANY,          ENUM(data_sampler_names)) \
    X("data.sampler.classes_per_batch", K_INT,     CFG(data.sampler.classes_per_batch), "8", GE(2), PLAIN)             \
    X("data.sampler.per_class",      K_INT,        CFG(data.sampler.per_class), "4",  GE(2),        PLAIN)             \
    X("data.sampler.positive_fraction", K_DOUBLE,  CFG(data.sampler.positive_fraction), "0.5", IN_CC(0, 1), PLAIN)     \
    X("data.sampler.mining",         K_ENUM,       CFG(data.sampler.mining), "semi_hard", ANY,      ENUM(loss_mining_names)) \
    X("data.class_split",            K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, check_class_split)) \
    X("data.class_split.train",      K_STRLIST,    CFG(data.class_split[DATA_CLASS_TRAIN]), "[]", ANY, PLAIN)          \
    X("data.class_split.dev",        K_STRLIST,    CFG(data.class_split[DATA_CLASS_DEV]), "[]", ANY, PLAIN)            \
    X("data.class_split.test",       K_STRLIST,    CFG(data.class_split[DATA_CLASS_TEST]), "[]", ANY, PLAIN)           \
    X("data.split",                  K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, check_split)) \
    X("data.split.dev",              K_DOUBLE,     CFG(data.split_dev),     "0",      IN_CO(0, 1),  PLAIN)             \
    X("data.split.test",             K_DOUBLE,     CFG(data.split_test),    "0",      IN_CO(0, 1),  PLAIN)             \
    X("data.split.train_dev",        K_DOUBLE,     CFG(data.split_train_dev), "0",    IN_CO(0, 1),  PLAIN)             \
    X("data.normalize",              K_ENUM,       CFG(data.normalize),     "standard", ANY,        ENUM(data_norm_names)) \
    X("data.bad_files",              K_ENUM,       CFG(data.bad_files),     "fail",   ANY,          ENUM(data_bad_names)) \
    X("data.max_image_pixels",       K_LONG,       CFG(data.max_image_pixels), "67108864", IN_CC(1, 268435456), PLAIN) \
    X("data.augment",                K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, NULL)) \
    X("data.augment.hflip",          K_BOOL,       CFG(data.augment.hflip), "false",  ANY,          PLAIN)             \
    X("data.augment.crop_pad",       K_INT,        CFG(data.augment.crop_pad), "0",   IN_CC(0, 64), PLAIN)             \
    AUG_ROWS(X, rotate, IN_CC, (-180, 180), "-10", "10")                                                   \
    AUG_ROWS(X, blur, IN_CC, (0, 5), "0.5", "1.5")                                                         \
    AUG_ROWS(X, contrast, IN_CC, (0, 4), "0.5", "1")                                                       \
    AUG_ROWS(X, brightness, IN_CC, (-255, 255), "-20", "20")                                               \
    AUG_ROWS(X, noise, IN_CC, (0, 255), "0", "10")                                                         \
    AUG_ROWS(X, jpeg, IN_CC, (1, 100), "30", "90")                                                         \
    X("data.augment.sources",        K_STRLIST,    CFG(data.augment.sources), "[]",   ANY,          FLAGS(F_SCALAR_LIST)) \
    X("data.detection",              K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, check_detection)) \
    X("data.detection.names",        K_STRING,     CFG(data.detection.names), "",     ANY,          PLAIN)             \
    X("data.detection.landmarks",    K_INT,        CFG(data.detection.landmarks), "0", IN_CC(0, DATA_MAX_LANDMARKS), PLAIN) \
    X("data.detection.max_objects",  K_INT,        CFG(data.detection.max_objects), "32", IN_CC(1, DETECT_MAX_OBJECTS), PLAIN) \
    X("data.detection.flip_index",   K_PERM,       CFG(data.detection),     "[]",     ANY,          PLAIN)             \
    X("data.text",                   K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, NULL)) \
    X("data.text.task",              K_ENUM,       CFG(data.text.task),     "lm",     ANY,          ENUM(data_text_task_names)) \
    X("data.text.tokens",            K_ENUM,       CFG(data.text.unit),     "chars",  ANY,          ENUM(data_text_unit_names)) \
    X("data.text.seq_len",           K_INT,        CFG(data.text.seq_len),  "64",     GE(1),        PLAIN)             \
    X("data.text.min_count",         K_INT,        CFG(data.text.min_count), "1",     GE(1),        PLAIN)             \
    X("data.text.max_vocab",         K_INT,        CFG(data.text.max_vocab), "0",     GE(0),        PLAIN)             \
    X("data.text.split_punctuation", K_BOOL,       CFG(data.text.split_punctuation), "false", ANY,  PLAIN)             \
    X("data.text.lowercase",         K_BOOL,       CFG(data.text.lowercase), "false", ANY,          PLAIN)             \
    X("data.text.stateful",          K_BOOL,       CFG(data.text.stateful), "true",   ANY,          PLAIN)             \
    X("data.text.column",            K_STRING,     CFG(data.text.column),   "text",   ANY,          PLAIN)             \
    X("data.text.chars",             K_INT,        CFG(data.text.chars),    "0",      IN_CC(0, 64), PLAIN)             \
    X("model",                       K_SECTION,    NOFIELD,                 COMPUTED, ANY,          SECTION_F(NULL, check_model, F_COMPUTED)) \
    X("model.input",                 K_SHAPE,      CFG(input),              "[]",     ANY,          PLAIN)             \
    X("model.layers",                K_LAYERS,     NOFIELD,                 REQUIRED, ANY,          PLAIN)             \
    X("model.layers.*.name",         K_LAYER_NAME, LAY(name),               COMPUTED, ANY,          FLAGS(F_COMPUTED)) \
    X("model.layers.*.type",         K_LAYER_TYPE, LAY(type),               REQUIRED, ANY,          PLAIN)             \
    X("model.layers.*.inputs",       K_INPUTS,     LAY(inputs),             "[]",     ANY,          PLAIN)             \
    X("model.layers.*.activation",   K_ENUM,       LAY(activation),         "linear", ANY,          ENUM(graph_act_names)) \
    X("model.layers.*.alpha",        K_FLOAT,      LAY(alpha),              COMPUTED, GE(0),        FLAGS(F_COMPUTED)) \
    X("model.layers.*.slope",        K_FLOAT,      LAY(slope),              "0.16666667", GE(0),    FLAGS(F_ACT_KEY))  \
    X("model.layers.*.offset",       K_FLOAT,      LAY(offset),             "0.5",    ANY,          FLAGS(F_ACT_KEY))  \
    X("model.layers.*.trainable",    K_BOOL,       LAY(trainable),          "true",   ANY,          PLAIN)             \
    X("model.layers.*.share",        K_STRING,     LAY(share),              "",       ANY,          PLAIN)             \
    X("model.layers.*.units",        K_AUTO,       LAY(units),              REQUIRED, GE(1),        FLAGS(F_OP_KEY))   \
    X("model.layers.*.use_bias",     K_BOOL,       LAY(use_bias),           "true",   ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.init",         K_ENUM,       LAY(init),               "auto",   ANY,          ENUM_F(graph_init_names, F_OP_KEY)) \
    X("model.layers.*.count_include_pad", K_BOOL, LAY(count_include_pad),  "true",   ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.ceil_mode",    K_BOOL,       LAY(ceil_mode),          "false",  ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.rate",         K_FLOAT,      LAY(rate),               REQUIRED, IN_CO(0, 1),  FLAGS(F_OP_KEY))   \
    X("model.layers.*.momentum",     K_FLOAT,      LAY(momentum),           "0.9",    IN_CO(0, 1),  FLAGS(F_OP_KEY))   \
    X("model.layers.*.eps",          K_FLOAT,      LAY(eps),                "1e-5",   GT(0),        FLAGS(F_OP_KEY))   \
    X("model.layers.*.shape",        K_TARGET,     LAY(target),             REQUIRED, ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.filters",      K_INT,        LAY(filters),            REQUIRED, GE(1),        FLAGS(F_OP_KEY))   \
    X("model.layers.*.kernel",       K_WINDOW,     LAY(kernel),             REQUIRED, ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.stride",       K_WINDOW,     LAY(stride),             COMPUTED, ANY,          FLAGS(F_OP_KEY | F_COMPUTED)) \
    X("model.layers.*.dilation",     K_WINDOW,     LAY(dilation),           "1",      ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.scale",        K_WINDOW,     LAY(scale),              "2",      ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.mode",         K_ENUM,       LAY(interp),             "nearest", ANY,         ENUM_F(graph_upsample_names, F_OP_KEY)) \
    X("model.layers.*.order",        K_ENUM,       LAY(order),              "crd",    ANY,          ENUM_F(graph_shuffle_order_names, F_OP_KEY)) \
    X("model.layers.*.align_corners", K_BOOL,      LAY(align_corners),      "false",  ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.output_padding", K_WINDOW0,  LAY(output_padding),     "0",      ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.padding",      K_PADDING,    LAY(padding),            "valid",  ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.groups",       K_INT,        LAY(groups),             "1",      GE(1),        FLAGS(F_OP_KEY))   \
    X("model.layers.*.algorithm",    K_ENUM,       LAY(algorithm),          "auto",   ANY,          ENUM_F(graph_conv_algo_names, F_OP_KEY)) \
    X("model.layers.*.axis",         K_INT,        LAY(axis),               "0",      GE(0),        FLAGS(F_OP_KEY))   \
    X("model.layers.*.start",        K_INT,        LAY(start),              "0",      ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.end",          K_INDEX,      LAY(end),                "null",   ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.sizes",        K_SIZES,      LAY(sizes),              REQUIRED, ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.axes",         K_AUTO,       LAY(axes),               "auto",   GE(1),        FLAGS(F_OP_KEY))   \
    X("model.layers.*.channels",     K_BOOL,       LAY(channels),           "false",  ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.vocab",        K_AUTO,       LAY(vocab),              "auto",   GE(1),        FLAGS(F_OP_KEY))   \
    X("model.layers.*.pad_id",       K_INT,        LAY(pad_id),             "0",      GE(-1),       FLAGS(F_OP_KEY))   \
    X("model.layers.*.pretrained",   K_STRING,     LAY(pretrained),         "",       ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.return_sequences", K_BOOL,   LAY(return_sequences),   "true",   ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.bidirectional", K_BOOL,      LAY(bidirectional),      "false",  ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.reverse",      K_BOOL,       LAY(reverse),            "false",  ANY,          FLAGS(F_OP_KEY))   \
    X("model.layers.*.char_units",   K_INT,        LAY(char_units),         "16",     IN_CC(1, 1024), FLAGS(F_OP_KEY)) \
    X("model.layers.*.merge",        K_ENUM,       LAY(merge),              "concat", ANY,          ENUM_F(graph_merge_names, F_OP_KEY)) \
    X("model.layers.*.bptt",         K_INT,        LAY(bptt),               "0",      GE(0),        FLAGS(F_OP_KEY))   \
    X("model.layers.*.nonlinearity", K_ENUM,       LAY(nonlinearity),       "tanh",   ANY,          ENUM_F(graph_cell_names, F_OP_KEY)) \
    X("model.layers.*.variant",      K_ENUM,       LAY(variant),            "full",   ANY,          ENUM_F(graph_gru_names, F_OP_KEY)) \
    X("model.layers.*.forget_bias",  K_FLOAT,      LAY(forget_bias),        "1",      ANY,          FLAGS(F_OP_KEY))   \
    X("model.embedding",             K_STRING,     CFG(embedding),          "",       ANY,          PLAIN)             \
    X("model.outputs",               K_HEADS,      NOFIELD,                 "[]",     ANY,          PLAIN)             \
    X("model.outputs.*.name",        K_LAYER_NAME, HEAD(name),              COMPUTED, ANY,          FLAGS(F_COMPUTED)) \
    X("model.outputs.*.layer",       K_STRING,     HEAD(layer),             REQUIRED, ANY,          PLAIN)             \
    X("model.outputs.*.loss",        K_ENUM,       HEAD(loss),              COMPUTED, ANY,          ENUM_F(loss_names, F_COMPUTED)) \
    X("model.outputs.*.weight",      K_DOUBLE,     HEAD(weight),            "1",      GE(0),        PLAIN)             \
    X("model.outputs.*.target",      K_STRING,     HEAD(target),            "",       ANY,          PLAIN)             \
    X("model.outputs.*.coord_weight", K_FLOAT,     HEAD(opts.term[LOSS_TERM_COORD]), COMPUTED, GE(0), FLAGS(F_COMPUTED | F_LOSS_KEY)) \
    X("model.outputs.*.obj_weight",  K_FLOAT,      HEAD(opts.term[LOSS_TERM_OBJ]), COMPUTED, GE(0),  FLAGS(F_COMPUTED | F_LOSS_KEY)) \
    X("model.outputs.*.noobj_weight", K_FLOAT,     HEAD(opts.term[LOSS_TERM_NOOBJ]), COMPUTED, GE(0), FLAGS(F_COMPUTED | F_LOSS_KEY)) \
    X("model.outputs.*.class_weight", K_FLOAT,     HEAD(opts.term[LOSS_TERM_CLASS]), COMPUTED, GE(0), FLAGS(F_COMPUTED | F_LOSS_KEY)) \
    X("model.outputs.*.class_loss",  K_ENUM,       HEAD(opts.class_loss),   "cross_entropy", ANY,   ENUM_F(loss_class_names, F_LOSS_KEY)) \
    X("model.outputs.*.grid",        K_AUTO,       HEAD(opts.grid),         "auto",   GE(1),        FLAGS(F_LOSS_KEY)) \
    X("model.outputs.*.anchors",     K_ANCHORS,    HEAD(opts),              "[]",     ANY,          FLAGS(F_LOSS_KEY)) \
    X("model.outputs.*.ignore_iou",  K_FLOAT,      HEAD(opts.ignore_iou),   "0.6",    IN_OC(0, 1),  FLAGS(F_LOSS_KEY)) \
    X("model.outputs.*.score",       K_FLOAT,      HEAD(score),             "0.6",    IN_CC(0, 1),  FLAGS(F_LOSS_KEY)) \
    X("model.outputs.*.nms_iou",     K_FLOAT,      HEAD(nms_iou),           "0.5",    IN_CC(0, 1),  FLAGS(F_LOSS_KEY)) \
    X("model.outputs.*.margin",      K_DOUBLE,     HEAD(margin),            "null",   GE(0),        FLAGS(F_NULLABLE)) \
    X("model.outputs.*.average",     K_ENUM,       HEAD(average),           "positive", ANY,        ENUM(loss_average_names)) \
    X("model.outputs.*.label_smoothing", K_DOUBLE, HEAD(opts.label_smoothing), "null", IN_CO(0, 1), FLAGS(F_NULLABLE)) \
    X("loss",                        K_ENUM,       CFG(loss),               "softmax_cross_entropy", ANY, ENUM(loss_names)) \
    X("label_smoothing",             K_DOUBLE,     CFG(label_smoothing),    "0",      IN_CO(0, 1),  PLAIN)             \
    X("init_from",                   K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION("run", NULL)) \
    X("init_from.run",               K_STRING,     CFG(init.run),           "",       ANY,          PLAIN)             \
    X("init_from.layers",            K_STRLIST,    CFG(init.layers),        "[]",     ANY,          FLAGS(F_SCALAR_LIST)) \
    X("init_from.exclude",           K_STRLIST,    CFG(init.exclude),       "[]",     ANY,          FLAGS(F_SCALAR_LIST)) \
    X("init_from.rename",            K_RENAME,     CFG(init.rename),        "{}",     ANY,          PLAIN)             \
    X("init_from.normalize",         K_ENUM,       CFG(init.normalize),     "source", ANY,          ENUM(config_init_norm_names)) \
    X("init_from.sha256",            K_STRING,     CFG(init.sha256),        "",       ANY,          PLAIN)             \
    X("freeze",                      K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION("all_but_last", NULL)) \
    X("freeze.all_but_last",         K_INT,        CFG(freeze_all_but_last), "null",  GE(0),        FLAGS(F_NULLABLE)) \
    X("stylize",                     K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, check_stylize)) \
    X("stylize.content",             K_STRING,     CFG(stylize.content),    "",       ANY,          PLAIN)             \
    X("stylize.style",               K_STYLE,      CFG(stylize),            "[]",     ANY,          PLAIN)             \
    X("stylize.alpha",               K_DOUBLE,     CFG(stylize.alpha),      "1",      GE(0),        PLAIN)             \
    X("stylize.beta",                K_DOUBLE,     CFG(stylize.beta),       "1e6",    GE(0),        PLAIN)             \
    X("stylize.tv",                  K_DOUBLE,     CFG(stylize.tv),         "0",      GE(0),        PLAIN)             \
    X("stylize.steps",               K_INT,        CFG(stylize.steps),      "200",    GE(1),        PLAIN)             \
    X("stylize.size",                K_INT,        CFG(stylize.size),       "256",    IN_CC(8, 4096), PLAIN)           \
    X("stylize.init",                K_ENUM,       CFG(stylize.init),       "content", ANY,         ENUM(stylize_init_names)) \
    X("stylize.optimizer",           K_ENUM,       CFG(stylize.optimizer),  "adam",   ANY,          ENUM(stylize_opt_names)) \
    X("stylize.learning_rate",       K_DOUBLE,     CFG(stylize.lr),         "null",   GT(0),        FLAGS(F_NULLABLE)) \
    X("stylize.history",             K_INT,        CFG(stylize.history),    "10",     IN_CC(1, 100), PLAIN)            \
    X("train",                       K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, check_train)) \
    X("train.epochs",                K_INT,        CFG(train.epochs),       "10",     GE(1),        PLAIN)             \
    X("train.batch_size",            K_BATCH,      CFG(train.batch_size),   "64",     GE(1),        PLAIN)             \
    X("train.shuffle",               K_BOOL,       CFG(train.shuffle),      "true",   ANY,          PLAIN)             \
    X("train.optimizer",             K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION("type", check_optimizer)) \
    X("train.optimizer.type",        K_ENUM,       CFG(train.optimizer.type), "adam", ANY,          ENUM(optim_names)) \
    X("train.optimizer.lr",          K_DOUBLE,     CFG(train.optimizer.lr), "0.001",  GT(0),        PLAIN)             \
    X("train.optimizer.momentum",    K_DOUBLE,     CFG(train.optimizer.momentum), "null", IN_CO(0, 1), FLAGS(F_NULLABLE)) \
    X("train.optimizer.dampening",   K_DOUBLE,     CFG(train.optimizer.dampening), "0", IN_CC(0, 1), PLAIN)           \
    X("train.optimizer.nesterov",    K_BOOL,       CFG(train.optimizer.nesterov), "false", ANY,     PLAIN)             \
    X("train.optimizer.weight_decay", K_DOUBLE,    CFG(train.optimizer.weight_decay), "0.01", GE(0), PLAIN)           \
    X("train.optimizer.amsgrad",     K_BOOL,       CFG(train.optimizer.amsgrad), "false", ANY,      PLAIN)             \
    X("train.optimizer.beta1",       K_DOUBLE,     CFG(train.optimizer.beta1), "0.9", IN_CO(0, 1),  PLAIN)             \
    X("train.optimizer.beta2",       K_DOUBLE,     CFG(train.optimizer.beta2), "0.999", IN_CO(0, 1), PLAIN)           \
    X("train.optimizer.rho",         K_DOUBLE,     CFG(train.optimizer.rho), "0.9",   IN_CO(0, 1),  PLAIN)             \
    X("train.optimizer.eps",         K_DOUBLE,     CFG(train.optimizer.eps), "1e-8",  GT(0),        PLAIN)             \
    X("train.schedule",              K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION("type", check_schedule)) \
    X("train.schedule.type",         K_ENUM,       CFG(train.schedule.type), "constant", ANY,       ENUM(sched_names)) \
    X("train.schedule.decay_rate",   K_DOUBLE,     CFG(train.schedule.decay_rate), "1.0", GE(0),    PLAIN)             \
    X("train.schedule.base",         K_DOUBLE,     CFG(train.schedule.base), "0.95",  IN_OC(0, 1),  PLAIN)             \
    X("train.schedule.k",            K_DOUBLE,     CFG(train.schedule.k),   "1.0",    GT(0),        PLAIN)             \
    X("train.schedule.factor",       K_DOUBLE,     CFG(train.schedule.factor), "0.5", IN_OC(0, 1),  PLAIN)             \
    X("train.schedule.every",        K_INT,        CFG(train.schedule.every), "10",   GE(1),        PLAIN)             \
    X("train.schedule.patience",     K_INT,        CFG(train.schedule.patience), "10", GE(1),       PLAIN)             \
    X("train.schedule.min_lr",       K_DOUBLE,     CFG(train.schedule.min_lr), "0",   GE(0),        PLAIN)             \
    X("train.schedule.points",       K_POINTS,     CFG(train.schedule),     "[]",     ANY,          PLAIN)             \
    X("train.schedule.warmup",       K_DOUBLE,     CFG(train.schedule.warmup), "0",   IN_CO(0, 1),  PLAIN)             \
    X("train.schedule.final",        K_DOUBLE,     CFG(train.schedule.final), "0",    IN_CC(0, 1),  PLAIN)             \
    X("train.l2",                    K_DOUBLE,     CFG(train.l2),           "0",      GE(0),        PLAIN)             \
    X("train.no_decay",              K_STRLIST,    CFG(train.no_decay),     "[biases, norms]", ANY, FLAGS(F_SCALAR_LIST)) \
    X("train.clip_norm",             K_DOUBLE,     CFG(train.clip_norm),    "0",      GE(0),        PLAIN)             \
    X("train.sequence_loss",         K_ENUM,       CFG(train.sequence_loss), "mean",  ANY,          ENUM(train_seq_loss_names)) \
    X("train.early_stopping",        K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, NULL)) \
    X("train.early_stopping.metric", K_ENUM,       CFG(train.stop_metric),  "dev_loss", ANY,        ENUM(train_stop_metric_names)) \
    X("train.early_stopping.patience", K_INT,      CFG(train.patience),     "0",      GE(0),        PLAIN)             \
    X("train.early_stopping.min_delta", K_DOUBLE,  CFG(train.min_delta),    "0",      GE(0),        PLAIN)             \
    X("train.keep_best",             K_BOOL,       CFG(train.keep_best),    "true",   ANY,          PLAIN)             \
    X("train.checkpoint_every",      K_INT,        CFG(train.checkpoint_every), "1",  GE(0),        PLAIN)             \
    X("train.checkpoint_seconds",    K_DOUBLE,     CFG(train.checkpoint_seconds), "10", GE(0),      PLAIN)             \
    X("train.distributed",           K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, NULL)) \
    X("train.distributed.sync_batchnorm", K_BOOL,  CFG(train.sync_batchnorm), "false", ANY,         PLAIN)             \
    X("train.distributed.bucket_mb", K_DOUBLE,     CFG(train.bucket_mb),    "2",      GT(0),        PLAIN)             \
    X("train.grad_warn",             K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, NULL)) \
    X("train.grad_warn.vanish",      K_DOUBLE,     CFG(train.grad_vanish),  "1e-7",   GE(0),        PLAIN)             \
    X("train.grad_warn.explode",     K_DOUBLE,     CFG(train.grad_explode), "1000",   GT(0),        PLAIN)             \
    X("train.grad_warn.ratio",       K_DOUBLE,     CFG(train.grad_ratio),   "1e-4",   IN_CO(0, 1),  PLAIN)             \
    X("train.memory_limit",          K_DOUBLE,     CFG(train.memory_limit), "0",      GE(0),        PLAIN)             \
    X("embed",                       K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION("method", check_embed)) \
    X("embed.method",                K_ENUM,       CFG(embed.method),       "skipgram", ANY,        ENUM(embed_method_names)) \
    X("embed.dim",                   K_INT,        CFG(embed.dim),          "100",    IN_CC(1, 10000), PLAIN)          \
    X("embed.window",                K_INT,        CFG(embed.window),       "5",      IN_CC(1, 1000), PLAIN)           \
    X("embed.negatives",             K_INT,        CFG(embed.negatives),    "5",      IN_CC(1, 1000), PLAIN)           \
    X("embed.sample",                K_DOUBLE,     CFG(embed.sample),       "1e-3",   IN_CO(0, 1),  PLAIN)             \
    X("embed.power",                 K_DOUBLE,     CFG(embed.power),        "0.75",   IN_CC(0, 1),  PLAIN)             \
    X("embed.epochs",                K_INT,        CFG(embed.epochs),       "5",      GE(1),        PLAIN)             \
    X("embed.lr",                    K_DOUBLE,     CFG(embed.lr),           "0.025",  GT(0),        PLAIN)             \
    X("embed.min_lr",                K_DOUBLE,     CFG(embed.min_lr),       "0.0001", GE(0),        PLAIN)             \
    X("embed.x_max",                 K_DOUBLE,     CFG(embed.x_max),        "100",    GT(0),        PLAIN)             \
    X("embed.alpha",                 K_DOUBLE,     CFG(embed.alpha),        "0.75",   GT(0),        PLAIN)             \
    X("embed.context",               K_ENUM,       CFG(embed.context),      "both",   ANY,          ENUM(embed_context_names)) \
    X("embed.combine",               K_ENUM,       CFG(embed.combine),      "mean",   ANY,          ENUM(embed_combine_names)) \
    X("embed.batch_size",            K_INT,        CFG(embed.batch_size),   "256",    GE(1),        PLAIN)             \
    X("report",                      K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, check_report)) \
    X("report.human_level_error",    K_DOUBLE,     CFG(report.human_level_error), "null", GE(0),   FLAGS(F_NULLABLE)) \
    X("report.error_analysis",       K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, NULL)) \
    X("report.error_analysis.samples", K_INT,      CFG(report.error_samples), "100",  GE(0),        PLAIN)             \
    X("report.metric",               K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION("optimize", NULL)) \
    X("report.metric.optimize",      K_METRIC,     CFG(report),             "auto",   ANY,          ENUM(report_optimize_names)) \
    X("report.metric.split",         K_ENUM,       CFG(report.metric_split), "dev",   ANY,          ENUM(data_split_names)) \
    X("report.metric.satisfice",     K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, NULL)) \
    SATISFICE_ROW(X, accuracy, ACCURACY, min, IN_CC, (0, 1))                                               \
    SATISFICE_ROW(X, error, ERROR, max, IN_CC, (0, 1))                                                     \
    SATISFICE_ROW(X, loss, LOSS, max, GE, (0))                                                             \
    SATISFICE_ROW(X, f1, F1, min, IN_CC, (0, 1))                                                           \
    SATISFICE_ROW(X, auc, AUC, min, IN_CC, (0, 1))                                                         \
    SATISFICE_ROW(X, mse, MSE, max, GE, (0))                                                               \
    SATISFICE_ROW(X, mae, MAE, max, GE, (0))                                                               \
    SATISFICE_ROW(X, latency_ms, LATENCY_MS, max, GE, (0))                                                 \
    SATISFICE_ROW(X, params, PARAMS, max, GE, (0))                                                         \
    SATISFICE_ROW(X, size_mb, SIZE_MB, max, GE, (0))                                                       \
    SATISFICE_ROW(X, map50, MAP50, min, IN_CC, (0, 1))                                                     \
    SATISFICE_ROW(X, map, MAP, min, IN_CC, (0, 1))                                                         \
    SATISFICE_ROW(X, iou, IOU, min, IN_CC, (0, 1))                                                         \
    SATISFICE_ROW(X, landmark_px, LANDMARK_PX, max, GE, (0))                                               \
    X("report.metric.weights",       K_SECTION,    NOFIELD,                 "{}",     ANY,          SECTION(NULL, NULL)) \
    WEIGHT_ROW(X, accuracy, ACCURACY) WEIGHT_ROW(X, error, ERROR) WEIGHT_ROW(X, loss, LOSS)               \
    WEIGHT_ROW(X, f1, F1) WEIGHT_ROW(X, auc, AUC) WEIGHT_ROW(X, mse, MSE) WEIGHT_ROW(X, mae, MAE)          \
    WEIGHT_ROW(X, latency_ms, LATENCY_MS) WEIGHT_ROW(X, params, PARAMS) WEIGHT_ROW(X, size_mb, SIZE_MB)  \
    WEIGHT_ROW(X, map50, MAP50) WEIGHT_ROW(X, map, MAP) WEIGHT_ROW(X, iou, IOU)                           \
    WEIGHT_ROW(X, landmark_px, LANDMARK_PX)
/* clang-format on */

/* Computed defaults (F_COMPUTED): the run name is the config file's base
 * name ("config" for text), a layer's name is "<type>_<k>", and alpha
 * depends on the activation: */
static float default_alpha(act_kind a)
{
    return a == ACT_ELU ? 1.0f : 0.01f; /* elu's alpha; leaky_relu's slope (and unused else) */
}

/* Pooling windows step by their own size (PyTorch's default), convolutions by 1. */
static layer_window default_stride(int op, const layer_spec *s)
{
    if (op == OP_MAXPOOL || op == OP_AVGPOOL)
        return s->kernel;
    return (layer_window){1, {1}};
}

#define ROW(path, kind, field, def, range, rest) {path, kind, field, def, range, rest},
#define KEY_PATH(path, ...) path,

static const config_key schema[] = {CONFIG_SCHEMA(ROW)};
static const char *const key_paths[] = {CONFIG_SCHEMA(KEY_PATH) NULL};

enum { N_ROWS = (int)DLC_ARRAY_LEN(schema) };

#define LAYER_PATTERN "model.layers.*"

const char *const *config_key_paths(void)
{
    return key_paths;
}

const config_key *config_schema_rows(int *n)
{
    *n = N_ROWS;
    return schema;
}

const config_key *config_schema_find(const char *pattern)
{
    for (int r = 0; r < N_ROWS; r++)
        if (strcmp(schema[r].path, pattern) == 0)
            return &schema[r];
    return NULL;
}

const char *config_schema_name(const config_key *k)
{
    const char *dot = strrchr(k->path, '.');
    return dot ? dot + 1 : k->path;
}

int config_schema_is_child(const config_key *k, const char *parent)
{
    const char *name = config_schema_name(k);
    size_t pl = strlen(parent);
    if (pl == 0)
        return name == k->path;
    return (size_t)(name - k->path) == pl + 1 && strncmp(k->path, parent, pl) == 0;
}

int config_schema_children(const char *parent, const char **names, int cap)
{
    int n = 0;
    for (int r = 0; r < N_ROWS && n < cap - 1; r++)
        if (config_schema_is_child(&schema[r], parent))
            names[n++] = config_schema_name(&schema[r]);
    names[n] = NULL;
    return n;
}

static const config_key *child_row(const char *parent, const char *name)
{
    for (int r = 0; r < N_ROWS; r++)
        if (config_schema_is_child(&schema[r], parent) &&
            strcmp(config_schema_name(&schema[r]), name) == 0)
            return &schema[r];
    return NULL;
}

int config_op_has_key(int op, const char *key)
{
    if (op < 0 || op >= OP_COUNT)
        return 0;
    for (const char *const *k = graph_ops[op].keys; *k; k++)
        if (strcmp(*k, key) == 0)
            return 1;
    return 0;
}

static int find_name(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

/* snprintf for key paths: a path cut short only shortens a message, and
 * going through vsnprintf keeps -Wformat-truncation quiet about it. */
static void pathf(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void pathf(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, size, fmt, ap);
    va_end(ap);
}

static void join_path(char *out, size_t size, const char *path, const char *name)
{
    pathf(out, size, "%s%s%s", path, path[0] ? "." : "", name);
}

static void join_index(char *out, size_t size, const char *path, int i)
{
    pathf(out, size, "%s.%d", path, i);
}

/* ---- messages ---- */

/* The value as the user wrote it, for "got ...": quoted text (control
 * characters shown as '?', long text cut) or what kind of node it is. */
static const char *repr(const ynode *v, int quote, char *buf, size_t size)
{
    if (!v)
        return "nothing";
    if (v->kind == YN_MAP)
        return "a mapping";
    if (v->kind == YN_SEQ)
        return "a list";
    if (ynode_is_null(v))
        return "null";
    enum { SHOW = 48 };
    char text[SHOW + 4];
    size_t n = 0;
    const unsigned char *s = (const unsigned char *)v->value;
    for (; s[n] && n < SHOW; n++)
        text[n] = s[n] < 0x20 || s[n] == 0x7f ? '?' : (char)s[n];
    int cut = s[n] != '\0';
    while (cut && n > 0 && (s[n] & 0xC0) == 0x80) /* not inside a UTF-8 character */
        n--;
    text[n] = '\0';
    snprintf(buf, size, "%s%s%s%s", quote ? "\"" : "", text, cut ? "..." : "", quote ? "\"" : "");
    return buf;
}

static void append(char *buf, size_t size, const char *fmt, const char *s)
{
    size_t len = strlen(buf);
    if (len < size)
        snprintf(buf + len, size - len, fmt, s);
}

static void append_names(char *buf, size_t size, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        append(buf, size, i ? ", %s" : "%s", names[i]);
}

static void append_range(char *buf, size_t size, const config_key *k)
{
    char r[96];
    unsigned f = k->range;
    if ((f & R_LO) && (f & R_HI))
        snprintf(r, sizeof r, " in %c%g, %g%c", f & R_LO_OPEN ? '(' : '[', k->lo, k->hi,
                 f & R_HI_OPEN ? ')' : ']');
    else if (f & R_LO)
        snprintf(r, sizeof r, " %s %g", f & R_LO_OPEN ? ">" : ">=", k->lo);
    else if (f & R_HI)
        snprintf(r, sizeof r, " %s %g", f & R_HI_OPEN ? "<" : "<=", k->hi);
    else
        r[0] = '\0';
    append(buf, size, "%s", r);
}

/* What a key wants, for "expected ...". */
static const char *describe(const config_key *k, char *buf, size_t size)
{
    buf[0] = '\0';
    switch (k->kind) {
    case K_INT:
    case K_LONG:
    case K_U64:
        if (k->range == R_LO && k->lo == 1) {
            append(buf, size, "%s", "a positive integer");
        } else {
            append(buf, size, "%s", "an integer");
            append_range(buf, size, k);
        }
        break;
    case K_DOUBLE:
    case K_FLOAT:
        append(buf, size, "%s", "a number");
        append_range(buf, size, k);
        break;
    case K_BOOL:
        append(buf, size, "%s", "true or false");
        break;
    case K_ENUM:
        append(buf, size, "%s", "one of ");
        append_names(buf, size, k->names);
        break;
    case K_STRING:
    case K_RUN_NAME:
        append(buf, size, "%s", "a string");
        break;
    case K_LAYER_NAME:
        append(buf, size, "%s", "a layer name (letters, digits, '_' and '-')");
        break;
    case K_STRLIST:
        append(buf, size, "%s",
               k->flags & F_SCALAR_LIST ? "a string or a list of strings" : "a list of strings");
        break;
    case K_SHAPE:
        append(buf, size, "%s", "a list of up to 5 positive integers");
        break;
    case K_TARGET:
        append(buf, size, "%s", "a list of 1 to 5 positive integers (one of them may be -1)");
        break;
    case K_SIZES:
        append(buf, size, "%s", "a list of 2 to 16 positive integers (one of them may be -1)");
        break;
    case K_INDEX:
        append(buf, size, "%s", "an integer (negative: counted from the end) or null (the end)");
        break;
    case K_WINDOW:
        append(buf, size, "%s", "a positive integer or a list of 1 to 3 of them");
        break;
    case K_WINDOW0:
        append(buf, size, "%s", "an integer >= 0 or a list of 1 to 3 of them");
        break;
    case K_PADDING:
        append(buf, size, "%s", "valid, same, an integer >= 0 or a list of 1 to 3 of them");
        break;
    case K_BATCH:
        append(buf, size, "%s", "a positive integer or 'full'");
        break;
    case K_AUTO:
        append(buf, size, "%s", "a positive integer or 'auto' (from the data)");
        break;
    case K_POINTS:
        append(buf, size, "%s", "a list of [epoch, lr] pairs");
        break;
    case K_RENAME:
        append(buf, size, "%s", "a mapping of the source's layer names to this model's ({old: new})");
        break;
    case K_STYLE:
        append(buf, size, "%s",
               "a mapping of layer names to weights (numbers >= 0), or a list of layer names "
               "(equal weights summing to 1)");
        break;
    case K_ANCHORS:
        append(buf, size, "%s", "a list of [w, h] pairs (fractions of the image, in (0, 1])");
        break;
    case K_PERM:
        append(buf, size, "%s", "a list of landmark numbers from 0, each once");
        break;
    case K_INPUTS:
        append(buf, size, "%s", "a layer name or a list of layer names");
        break;
    case K_LAYERS:
        append(buf, size, "%s", "a list of layer mappings");
        break;
    case K_HEADS:
        append(buf, size, "%s",
               "a list of outputs, each a layer name or a mapping {layer: NAME, loss: KIND, "
               "weight: W, target: GROUP}");
        break;
    case K_LABELS:
        append(buf, size, "%s",
               "a column name, a list of them, or a mapping of head names to columns");
        break;
    case K_SOURCES:
        append(buf, size, "%s",
               "a list of sources, each {name: NAME, train: {...}, use: {train: F, dev: F, test: F}}");
        break;
    case K_METRIC:
        append(buf, size, "%s", "a measure (");
        append_names(buf, size, k->names);
        append(buf, size, "%s", "), or OUTPUT.measure for one output of several");
        break;
    case K_LAYER_TYPE:
        append(buf, size, "%s", "a layer type");
        break;
    case K_SECTION:
        append(buf, size, "%s", "a mapping");
        if (k->shorthand) {
            char sub[PATH_BUF];
            join_path(sub, sizeof sub, k->path, k->shorthand);
            const config_key *t = config_schema_find(sub);
            if (t && t->names) {
                append(buf, size, "%s", " or one of ");
                append_names(buf, size, t->names);
            }
        }
        break;
    }
    if (k->flags & F_NULLABLE)
        append(buf, size, "%s", " or null");
    return buf;
}

/* dlc computes in float32: a nonzero number float32 holds as 0 or infinity,
 * or as a denormal with a few bits left, would train as another number (lr:
 * 1e-300 trained at 0, doing nothing, with no word), so a number is one only
 * within float32's normal range: 0, or a magnitude in [FLT_MIN, FLT_MAX]. */
static int float32_holds(double x)
{
    return x == 0 || (fabs(x) >= FLT_MIN && fabs(x) <= FLT_MAX);
}

/* A plain finite number that float32 holds. */
static int read_double(const ynode *v, double *out)
{
    return v->kind == YN_SCALAR && v->plain && dlc_parse_double(v->value, out) == 0 &&
           isfinite(*out) && float32_holds(*out);
}

/* Why read_double refused a number (for the end of a message), else "". */
static const char *float32_note(const ynode *v)
{
    if (!v || v->kind != YN_SCALAR || !v->plain || !v->value[0])
        return "";
    /* strtod itself: dlc_parse_double refuses what double cannot hold (1e-400) */
    char *end;
    errno = 0;
    double x = strtod(v->value, &end);
    int underflow = errno == ERANGE && fabs(x) < 1;
    if (*end || isnan(x) || (isinf(x) && !strpbrk(v->value, "eE")) ||
        (!underflow && float32_holds(x)))
        return "";
    if (fabs(x) > FLT_MAX)
        return ", which float32 (what dlc computes in) holds as infinity: nonzero magnitudes "
               "go from 1.2e-38 to 3.4e38";
    if (underflow || (float)x == 0)
        return ", which float32 (what dlc computes in) holds as 0: nonzero magnitudes go "
               "from 1.2e-38 to 3.4e38";
    return ", which float32 (what dlc computes in) holds as a denormal with few digits "
           "left: nonzero magnitudes go from 1.2e-38 to 3.4e38";
}

/* A value as messages show it, a number float32 cannot hold with why. */
static const char *repr_number(const ynode *v, char *buf, size_t size)
{
    char text[96];
    const char *note = float32_note(v);
    snprintf(buf, size, "%s%s", repr(v, !*note, text, sizeof text), note);
    return buf;
}

static dlc_status type_error(const config_key *k, const ynode *v, const char *path, dlc_error *err)
{
    char want[512], got[256];
    double x;
    /* "10" in quotes is text to YAML; say so, or the message looks absurd */
    int quoted = v && v->kind == YN_SCALAR && !v->plain &&
                 (dlc_parse_double(v->value, &x) == 0 || strcmp(v->value, "true") == 0 ||
                  strcmp(v->value, "false") == 0 || strcmp(v->value, "null") == 0);
    /* float32's range matters to number keys only: 1e-300 for units is no integer */
    int real = k && (k->kind == K_DOUBLE || k->kind == K_FLOAT);
    return config_key_fail(err, v, path, "expected %s, got %s%s", describe(k, want, sizeof want),
                           real ? repr_number(v, got, sizeof got) : repr(v, 1, got, sizeof got),
                           quoted ? " (quoted, so it is text)" : "");
}

/* Why a bound is what it is, where the number alone puzzles (PyTorch's
 * MPerClassSampler takes m = 1; a triplet cannot). */
static const char *const range_why[][2] = {
    {"data.sampler.per_class", " (a triplet's anchor and positive are 2 examples of one class in "
                               "the batch)"},
    {"data.sampler.classes_per_batch", " (a triplet's negative is of another class in the batch)"},
    {"model.layers.*.axis", " (an axis of the example, counted from its first, channels first: axis 0 joins "
                            "the channels of (C, H, W) maps, Keras' axis=-1 of channels-last ones; a "
                            "sequence's features are axis 1)"},
};

static dlc_status range_error(const config_key *k, const ynode *v, const char *path,
                              dlc_error *err)
{
    char want[512], got[96];
    const char *why = "";
    for (size_t i = 0; k && i < sizeof range_why / sizeof *range_why; i++)
        if (strcmp(k->path, range_why[i][0]) == 0)
            why = range_why[i][1];
    return config_key_fail(err, v, path, "expected %s, got %s%s", describe(k, want, sizeof want),
                           repr(v, 0, got, sizeof got), why);
}

/* "unknown key here (did you mean 'train.optimizer.lr'?)" for a key that
 * belongs elsewhere, else "unknown key (did you mean 'lr'?)", else the keys
 * valid here. */
static dlc_status unknown_key(const ynode *key, const char *path, const char *const *valid,
                              dlc_error *err)
{
    /* `lr:` under train: the exact name elsewhere beats a near sibling (l2),
     * when it is the only such key (`max` belongs to many satisfice bounds) */
    char foreign[256];
    if (config_foreign_key(path, foreign, sizeof foreign))
        return config_key_fail(err, key, path, "unknown key (%s)", foreign);
    int found = -1, n_found = 0;
    /* a model config's keys and an embed config's are suggested within their own kind */
    int in_embed = strncmp(path, "embed.", 6) == 0;
    for (int r = 0; r < N_ROWS; r++)
        if (strcmp(config_schema_name(&schema[r]), key->value) == 0 &&
            !strchr(schema[r].path, '*') &&
            (strncmp(schema[r].path, "embed.", 6) == 0) == in_embed) {
            found = r;
            n_found++;
        }
    if (n_found == 1)
        return config_key_fail(err, key, path, "unknown key here (did you mean '%s'?)",
                               schema[found].path);
    const char *near = dlc_nearest(key->value, valid);
    if (near)
        return config_key_fail(err, key, path, "unknown key (did you mean '%s'?)", near);
    char list[512] = "";
    append_names(list, sizeof list, valid);
    return config_key_fail(err, key, path, "unknown key (valid here: %s)", list);
}

/* ---- scalar readers ---- */

static int is_text(const ynode *v)
{
    return v->kind == YN_SCALAR && !ynode_is_null(v);
}

static int read_long(const ynode *v, long *out)
{
    return v->kind == YN_SCALAR && v->plain && dlc_parse_long(v->value, out) == 0;
}

static int in_range(const config_key *k, double x)
{
    unsigned f = k->range;
    if (f & R_LO) {
        if (f & R_LO_OPEN ? !(x > k->lo) : !(x >= k->lo))
            return 0;
    }
    if (f & R_HI) {
        if (f & R_HI_OPEN ? !(x < k->hi) : !(x <= k->hi))
            return 0;
    }
    return 1;
}

/* Reads an integer within k's range and [min, max]. */
static dlc_status get_long(const config_key *k, const ynode *v, const char *path, long min,
                           long max, long *out, dlc_error *err)
{
    if (!read_long(v, out))
        return type_error(k, v, path, err);
    if (*out < min || *out > max || !in_range(k, (double)*out))
        return range_error(k, v, path, err);
    return DLC_OK;
}

static dlc_status get_string(const config_key *k, const ynode *v, const char *path, char *dst,
                             size_t size, dlc_error *err)
{
    if (!is_text(v))
        return type_error(k, v, path, err);
    if (strlen(v->value) >= size)
        return config_key_fail(err, v, path, "too long (at most %zu characters)", size - 1);
    dlc_strlcpy(dst, v->value, size);
    return DLC_OK;
}

static int layer_name_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
            return 0;
    return 1;
}

/* A run name becomes a folder name under runs/. */
static int run_name_ok(const char *s)
{
    if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    for (; *s; s++)
        if (*s == '/' || (unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* A list of min_n to max_n ints into d; allow_infer: one may be -1.  Their
 * product (sum: their sum) is capped so sizes computed from it cannot
 * overflow.  what: "dimensions" or "pieces", for messages. */
static dlc_status get_dims(const config_key *k, const ynode *v, const char *path, int min_n,
                           int max_n, int allow_infer, int sum, const char *what, int *d, int *ndim,
                           dlc_error *err)
{
    if (v->kind != YN_SEQ)
        return type_error(k, v, path, err);
    if (v->n < min_n || v->n > max_n)
        return config_key_fail(err, v, path, "expected %d to %d %s, got %d", min_n, max_n, what,
                               v->n);
    double total = sum ? 0 : 1;
    int inferred = 0;
    for (int i = 0; i < v->n; i++) {
        char sub[PATH_BUF], got[96];
        join_index(sub, sizeof sub, path, i);
        const ynode *it = v->items[i];
        long x;
        if (!read_long(it, &x))
            return type_error(k, it, sub, err);
        if (allow_infer && x == -1) {
            if (inferred++)
                return config_key_fail(err, it, sub, "only one %s may be -1",
                                       sum ? "piece" : "dimension");
        } else if (x < 1 || x > INT_MAX) {
            return config_key_fail(err, it, sub, "expected a positive integer%s, got %s",
                                   allow_infer ? " or -1" : "", repr(it, 0, got, sizeof got));
        } else {
            total = sum ? total + (double)x : total * (double)x;
        }
        d[i] = (int)x;
    }
    if (total > INT_MAX)
        return config_key_fail(err, v, path, "too large: %.0f values per example", total);
    *ndim = v->n;
    return DLC_OK;
}

/* A window: one integer >= min (for every spatial axis) or a list of 1 to
 * GRAPH_MAX_SPATIAL of them. */
static dlc_status get_window(const config_key *k, const ynode *v, const char *path, long min,
                             layer_window *w, dlc_error *err)
{
    long x;
    memset(w, 0, sizeof *w);
    if (v->kind == YN_SCALAR) {
        if (!read_long(v, &x))
            return type_error(k, v, path, err);
        if (x < min || x > 1 << 20)
            return range_error(k, v, path, err);
        w->n = 1;
        w->v[0] = (int)x;
        return DLC_OK;
    }
    if (v->kind != YN_SEQ || v->n < 1 || v->n > GRAPH_MAX_SPATIAL)
        return type_error(k, v, path, err);
    for (int i = 0; i < v->n; i++) {
        char sub[PATH_BUF], got[96];
        join_index(sub, sizeof sub, path, i);
        if (!read_long(v->items[i], &x) || x < min || x > 1 << 20)
            return config_key_fail(err, v->items[i], sub, "expected an integer >= %ld, got %s", min,
                                   repr(v->items[i], 1, got, sizeof got));
        w->v[i] = (int)x;
    }
    w->n = v->n;
    return DLC_OK;
}

static dlc_status get_points(const config_key *k, const ynode *v, const char *path,
                             schedule_config *s, dlc_error *err)
{
    if (v->kind != YN_SEQ)
        return type_error(k, v, path, err);
    if (v->n > SCHED_MAX_POINTS)
        return config_key_fail(err, v, path, "at most %d points, got %d", SCHED_MAX_POINTS, v->n);
    for (int i = 0; i < v->n; i++) {
        char sub[PATH_BUF], sub2[PATH_BUF + 8], got[256];
        join_index(sub, sizeof sub, path, i);
        const ynode *p = v->items[i];
        if (p->kind != YN_SEQ || p->n != 2)
            return config_key_fail(err, p, sub, "expected an [epoch, lr] pair, got %s",
                                   repr(p, 1, got, sizeof got));
        long epoch;
        double lr;
        pathf(sub2, sizeof sub2, "%s.0", sub);
        if (!read_long(p->items[0], &epoch) || epoch < 1 || epoch > INT_MAX)
            return config_key_fail(err, p->items[0], sub2, "expected an epoch >= 1, got %s",
                                   repr(p->items[0], 1, got, sizeof got));
        if (i > 0 && epoch <= s->point_epoch[i - 1])
            return config_key_fail(err, p->items[0], sub2,
                                   "epochs must increase: %ld comes after %d", epoch,
                                   s->point_epoch[i - 1]);
        pathf(sub2, sizeof sub2, "%s.1", sub);
        if (!read_double(p->items[1], &lr) || !(lr > 0))
            return config_key_fail(err, p->items[1], sub2,
                                   "expected a learning rate > 0, got %s",
                                   repr_number(p->items[1], got, sizeof got));
        s->point_epoch[i] = (int)epoch;
        s->point_lr[i] = lr;
    }
    s->n_points = v->n;
    return DLC_OK;
}

/* anchors: 1 to DETECT_MAX_ANCHORS [w, h] pairs, each in (0, 1]. */
static dlc_status get_anchors(const config_key *k, const ynode *v, const char *path, loss_opts *o,
                              dlc_error *err)
{
    if (v->kind != YN_SEQ)
        return type_error(k, v, path, err);
    if (v->n > DETECT_MAX_ANCHORS)
        return config_key_fail(err, v, path, "at most %d anchors, got %d", DETECT_MAX_ANCHORS, v->n);
    for (int i = 0; i < v->n; i++) {
        char sub[PATH_BUF], got[256];
        join_index(sub, sizeof sub, path, i);
        const ynode *p = v->items[i];
        if (p->kind != YN_SEQ || p->n != 2)
            return config_key_fail(err, p, sub, "expected a [w, h] pair, got %s",
                                   repr(p, 1, got, sizeof got));
        for (int j = 0; j < 2; j++) {
            double x;
            if (!read_double(p->items[j], &x) || !(x > 0 && x <= 1))
                return config_key_fail(err, p->items[j], sub,
                                       "expected a %s in (0, 1] (a fraction of the image), got %s",
                                       j ? "height" : "width", repr_number(p->items[j], got, sizeof got));
            o->anchors[i][j] = (float)x;
        }
    }
    o->n_anchors = v->n;
    return DLC_OK;
}

/* flip_index: a permutation of 0 .. n-1, n <= DATA_MAX_LANDMARKS. */
static dlc_status get_perm(const config_key *k, const ynode *v, const char *path,
                           data_detection_config *d, dlc_error *err)
{
    if (v->kind != YN_SEQ)
        return type_error(k, v, path, err);
    if (v->n > DATA_MAX_LANDMARKS)
        return config_key_fail(err, v, path, "at most %d landmarks, got %d", DATA_MAX_LANDMARKS, v->n);
    int seen[DATA_MAX_LANDMARKS] = {0};
    for (int i = 0; i < v->n; i++) {
        char sub[PATH_BUF], got[96];
        join_index(sub, sizeof sub, path, i);
        long x;
        if (!read_long(v->items[i], &x) || x < 0 || x >= v->n)
            return config_key_fail(err, v->items[i], sub, "expected a landmark number from 0 to %d, "
                                   "got %s", v->n - 1, repr(v->items[i], 1, got, sizeof got));
        if (seen[x]++)
            return config_key_fail(err, v->items[i], sub,
                                   "landmark %ld is listed twice (each must appear once)", x);
        d->flip[i] = (int)x;
    }
    d->n_flip = v->n;
    return DLC_OK;
}

static dlc_status get_strlist(const config_key *k, const ynode *v, const char *path,
                              dlc_strlist *l, dlc_error *err)
{
    int empty_ok = (k->flags & F_EMPTY_OK) != 0;
    if ((k->flags & F_SCALAR_LIST) && v->kind == YN_SCALAR && (empty_ok || is_text(v))) {
        if (!v->value[0] && !empty_ok)
            return type_error(k, v, path, err);
        return dlc_strlist_push(l, v->value, err);
    }
    if (v->kind != YN_SEQ)
        return type_error(k, v, path, err);
    for (int i = 0; i < v->n; i++) {
        const ynode *it = v->items[i];
        char sub[PATH_BUF], got[96];
        join_index(sub, sizeof sub, path, i);
        if (it->kind != YN_SCALAR || (!empty_ok && (!is_text(it) || !it->value[0])))
            return config_key_fail(err, it, sub, "expected a %sstring, got %s",
                                   empty_ok ? "" : "non-empty ", repr(it, 1, got, sizeof got));
        if (dlc_strlist_push(l, it->value ? it->value : "", err) != DLC_OK)
            return DLC_ENOMEM;
    }
    return DLC_OK;
}

/* data.label: a column or a list of them (one group, named ""), or a
 * mapping of head names to a column or a list of columns. */
static dlc_status get_labels(const config_key *k, const ynode *v, const char *path,
                             data_config *d, dlc_error *err)
{
    static const config_key columns = {"data.label", K_STRLIST, BASE_NONE, 0, 0, NULL, 0, 0, 0,
                                       NULL, NULL, NULL, F_SCALAR_LIST};
    if (v->kind != YN_MAP) {
        if (v->kind == YN_SEQ && v->n == 0)
            return DLC_OK;
        d->n_labels = 1;
        return get_strlist(&columns, v, path, &d->labels[0].columns, err);
    }
    if (v->n > DATA_MAX_HEADS)
        return config_key_fail(err, v, path, "at most %d label groups, got %d", DATA_MAX_HEADS, v->n);
    for (int i = 0; i < v->n; i++) {
        char sub[PATH_BUF];
        const ynode *key = v->keys[i];
        join_path(sub, sizeof sub, path, key->value);
        if (!layer_name_ok(key->value) || strlen(key->value) >= sizeof d->labels[i].name)
            return config_key_fail(err, key, sub, "a label group is named after a head (letters, "
                                                  "digits, '_' and '-', at most %zu characters)",
                                   sizeof d->labels[i].name - 1);
        dlc_strlcpy(d->labels[i].name, key->value, sizeof d->labels[i].name);
        d->n_labels = i + 1;
        dlc_status s = get_strlist(&columns, v->items[i], sub, &d->labels[i].columns, err);
        if (s != DLC_OK)
            return s;
        if (d->labels[i].columns.n == 0)
            return config_key_fail(err, v->items[i], sub, "needs at least one column");
    }
    (void)k;
    return DLC_OK;
}

/* stylize.style: {layer: weight, ...} or [layer, ...] (each 1/n), at most
 * STYLIZE_MAX_LAYERS; that the layers exist is check_stylize's. */
static dlc_status get_style(const config_key *k, const ynode *v, const char *path,
                            stylize_config *sc, dlc_error *err)
{
    char sub[PATH_BUF], got[256];
    if (v->kind != YN_MAP && v->kind != YN_SEQ)
        return type_error(k, v, path, err);
    if (v->n > STYLIZE_MAX_LAYERS)
        return config_key_fail(err, v, path, "at most %d style layers, got %d", STYLIZE_MAX_LAYERS,
                               v->n);
    for (int i = 0; i < v->n; i++) {
        const ynode *name = v->kind == YN_MAP ? v->keys[i] : v->items[i];
        double w = 1.0 / v->n;
        if (v->kind == YN_MAP)
            join_path(sub, sizeof sub, path, name->value);
        else
            join_index(sub, sizeof sub, path, i);
        if (!is_text(name) || !layer_name_ok(name->value) ||
            strlen(name->value) >= sizeof sc->style[i])
            return config_key_fail(err, name, sub, "expected a layer name, got %s",
                                   repr(name, 1, got, sizeof got));
        for (int j = 0; j < i; j++)
            if (strcmp(sc->style[j], name->value) == 0)
                return config_key_fail(err, name, sub, "layer '%s' is listed twice", name->value);
        if (v->kind == YN_MAP && (!read_double(v->items[i], &w) || w < 0))
            return config_key_fail(err, v->items[i], sub, "expected a weight >= 0, got %s",
                                   repr_number(v->items[i], got, sizeof got));
        dlc_strlcpy(sc->style[i], name->value, sizeof sc->style[i]);
        sc->style_weight[i] = w;
    }
    sc->n_style = v->n;
    return DLC_OK;
}

/* init_from.rename: {source layer: layer here, ...}, each name a layer name,
 * each layer here taking one source layer's weights. */
static dlc_status get_rename(const config_key *k, const ynode *v, const char *path, dlc_strlist *l,
                             dlc_error *err)
{
    char sub[PATH_BUF], got[256];
    if (v->kind != YN_MAP)
        return type_error(k, v, path, err);
    dlc_strlist_clear(l);
    for (int i = 0; i < v->n; i++) {
        const ynode *from = v->keys[i], *to = v->items[i];
        join_path(sub, sizeof sub, path, is_text(from) ? from->value : "?");
        if (!is_text(from) || !layer_name_ok(from->value))
            return config_key_fail(err, from, sub, "expected a layer name of the source, got %s",
                                   repr(from, 1, got, sizeof got));
        if (!is_text(to) || !layer_name_ok(to->value))
            return config_key_fail(err, to, sub, "expected the name of a layer of this model, got %s",
                                   repr(to, 1, got, sizeof got));
        for (int j = 1; j < l->n; j += 2)
            if (strcmp(l->v[j], to->value) == 0)
                return config_key_fail(err, to, sub, "layer '%s' already takes the weights of '%s'",
                                       to->value, l->v[j - 1]);
        dlc_status s;
        if ((s = dlc_strlist_push(l, from->value, err)) != DLC_OK ||
            (s = dlc_strlist_push(l, to->value, err)) != DLC_OK)
            return s;
    }
    return DLC_OK;
}

/* report.metric.optimize: a measure, or "head.measure" naming an output of
 * model.outputs (converted before report:). */
static dlc_status get_metric(const config_key *k, const ynode *v, const char *path,
                             dlc_config *c, dlc_error *err)
{
    report_config *rc = &c->report;
    char got[96];
    if (!is_text(v))
        return type_error(k, v, path, err);
    const char *dot = strrchr(v->value, '.'), *measure = dot ? dot + 1 : v->value;
    rc->metric_head[0] = '\0';
    if (dot) {
        size_t n = (size_t)(dot - v->value);
        if (n >= sizeof rc->metric_head)
            return config_key_fail(err, v, path, "output name too long in %s",
                                   repr(v, 1, got, sizeof got));
        memcpy(rc->metric_head, v->value, n);
        rc->metric_head[n] = '\0';
        int found = 0;
        const char *heads[CONFIG_MAX_HEADS + 1];
        for (int h = 0; h < c->n_heads; h++) {
            heads[h] = c->heads[h].name;
            found |= strcmp(heads[h], rc->metric_head) == 0;
        }
        heads[c->n_heads] = NULL;
        if (!found) {
            const char *near = dlc_nearest(rc->metric_head, heads);
            return config_key_fail(err, v, path, "no output is named '%s'%s%s%s", rc->metric_head,
                                   near ? " (did you mean '" : "", near ? near : "",
                                   near ? "'?)" : "");
        }
    }
    int e = find_name(k->names, measure);
    if (e < 0) {
        char want[512];
        const char *near = dlc_nearest(measure, k->names);
        if (near)
            return config_key_fail(err, v, path, "expected %s, got %s (did you mean '%s'?)",
                                   describe(k, want, sizeof want), repr(v, 1, got, sizeof got),
                                   near);
        return type_error(k, v, path, err);
    }
    if (dot && e == REPORT_OPTIMIZE_WEIGHTED)
        return config_key_fail(err, v, path, "weighted combines measures of the whole model; it "
                                             "takes no output name");
    rc->optimize = e;
    return DLC_OK;
}

static dlc_status get_inputs(const config_key *k, const ynode *v, const char *path,
                             layer_spec *spec, dlc_error *err)
{
    const ynode *one[1] = {v};
    const ynode *const *items = one;
    int n = 1;
    if (v->kind == YN_SEQ) {
        items = (const ynode *const *)v->items;
        n = v->n;
    } else if (!is_text(v)) {
        return type_error(k, v, path, err);
    }
    if (n > GRAPH_MAX_INPUTS)
        return config_key_fail(err, v, path, "at most %d inputs, got %d: join them in steps (a layer of "
                               "the first %d, then one of it and the rest)", GRAPH_MAX_INPUTS, n,
                               GRAPH_MAX_INPUTS);
    for (int i = 0; i < n; i++) {
        char sub[PATH_BUF], got[96];
        if (v->kind == YN_SEQ)
            join_index(sub, sizeof sub, path, i);
        else
            dlc_strlcpy(sub, path, sizeof sub);
        if (!is_text(items[i]) || !items[i]->value[0])
            return config_key_fail(err, items[i], sub, "expected a layer name, got %s",
                                   repr(items[i], 1, got, sizeof got));
        if (get_string(k, items[i], sub, spec->inputs[i], sizeof spec->inputs[i], err) != DLC_OK)
            return DLC_EINPUT;
    }
    spec->n_inputs = n;
    return DLC_OK;
}

/* Converts one scalar-ish value into the field k names inside base. */
static dlc_status convert_field(const config_key *k, const ynode *v, const char *path, void *base,
                                dlc_error *err)
{
    char *p = (char *)base + k->offset;
    long l;
    double x;
    dlc_status s;
    switch (k->kind) {
    case K_INT:
        if ((k->flags & F_NULLABLE) && ynode_is_null(v)) {
            *(int *)(void *)p = -1;
            return DLC_OK;
        }
        if ((s = get_long(k, v, path, INT_MIN, INT_MAX, &l, err)) != DLC_OK)
            return s;
        *(int *)(void *)p = (int)l;
        return DLC_OK;
    case K_LONG:
        if ((s = get_long(k, v, path, LONG_MIN, LONG_MAX, &l, err)) != DLC_OK)
            return s;
        *(long *)(void *)p = l;
        return DLC_OK;
    case K_U64:
        if ((s = get_long(k, v, path, 0, LONG_MAX, &l, err)) != DLC_OK)
            return s;
        *(uint64_t *)(void *)p = (uint64_t)l;
        return DLC_OK;
    case K_BATCH:
    case K_AUTO:
        if (is_text(v) && strcmp(v->value, k->kind == K_BATCH ? "full" : "auto") == 0) {
            *(int *)(void *)p = 0;
            return DLC_OK;
        }
        if ((s = get_long(k, v, path, 1, INT_MAX, &l, err)) != DLC_OK)
            return s;
        *(int *)(void *)p = (int)l;
        return DLC_OK;
    case K_DOUBLE:
    case K_FLOAT:
        if ((k->flags & F_NULLABLE) && ynode_is_null(v)) {
            x = -1;
        } else {
            if (!read_double(v, &x))
                return type_error(k, v, path, err);
            if (k->kind == K_FLOAT) {
                float f = (float)x;
                if (!isfinite(f))
                    return range_error(k, v, path, err);
                x = f; /* check the range of what is stored */
            }
            if (!in_range(k, x))
                return range_error(k, v, path, err);
        }
        if (k->kind == K_FLOAT)
            *(float *)(void *)p = (float)x;
        else
            *(double *)(void *)p = x;
        return DLC_OK;
    case K_BOOL: {
        static const char *const yes[] = {"true", "True", "TRUE", NULL};
        static const char *const no[] = {"false", "False", "FALSE", NULL};
        int b;
        if (v->kind == YN_SCALAR && v->plain && find_name(yes, v->value) >= 0)
            b = 1;
        else if (v->kind == YN_SCALAR && v->plain && find_name(no, v->value) >= 0)
            b = 0;
        else
            return type_error(k, v, path, err);
        *(int *)(void *)p = b;
        return DLC_OK;
    }
    case K_ENUM: {
        int e = is_text(v) ? find_name(k->names, v->value) : -1;
        if (e < 0) {
            char want[512], got[96], foreign[256];
            if (is_text(v) && config_foreign_value(path, v->value, foreign, sizeof foreign))
                return config_key_fail(err, v, path, "expected %s, got %s (%s)",
                                       describe(k, want, sizeof want),
                                       repr(v, 1, got, sizeof got), foreign);
            const char *near = is_text(v) ? dlc_nearest(v->value, k->names) : NULL;
            if (near)
                return config_key_fail(err, v, path, "expected %s, got %s (did you mean '%s'?)",
                                       describe(k, want, sizeof want),
                                       repr(v, 1, got, sizeof got), near);
            return type_error(k, v, path, err);
        }
        memcpy(p, &e, sizeof e);
        return DLC_OK;
    }
    case K_STRING:
        if (ynode_is_null(v) && k->def && !k->def[0]) { /* `run:` or --set run= : the empty default */
            p[0] = '\0';
            return DLC_OK;
        }
        return get_string(k, v, path, p, k->size, err);
    case K_RUN_NAME:
        if ((s = get_string(k, v, path, p, k->size, err)) != DLC_OK)
            return s;
        if (!run_name_ok(p))
            return config_key_fail(err, v, path,
                                   "a run name becomes a folder name: not empty, '.' or "
                                   "'..', and no '/' or control characters");
        return DLC_OK;
    case K_LAYER_NAME:
        if ((s = get_string(k, v, path, p, k->size, err)) != DLC_OK)
            return s;
        if (!layer_name_ok(p))
            return type_error(k, v, path, err);
        return DLC_OK;
    case K_STRLIST:
        return get_strlist(k, v, path, (dlc_strlist *)(void *)p, err);
    case K_SHAPE: {
        tensor_shape *sh = (tensor_shape *)(void *)p;
        if (ynode_is_null(v)) { /* as if absent: `--set model.input=null` on a file that has one */
            sh->ndim = 0;
            return DLC_OK;
        }
        return get_dims(k, v, path, 0, TENSOR_MAX_DIMS, 0, 0, "dimensions", sh->d, &sh->ndim, err);
    }
    case K_TARGET: {
        layer_spec *spec = base;
        return get_dims(k, v, path, 1, TENSOR_MAX_DIMS, 1, 0, "dimensions", spec->target,
                        &spec->target_ndim, err);
    }
    case K_SIZES: {
        layer_spec *spec = base;
        return get_dims(k, v, path, 2, GRAPH_MAX_PIECES, 1, 1, "pieces", spec->sizes,
                        &spec->n_sizes, err);
    }
    case K_INDEX:
        if (ynode_is_null(v)) {
            *(int *)(void *)p = GRAPH_SLICE_END;
            return DLC_OK;
        }
        if ((s = get_long(k, v, path, INT_MIN + 1, INT_MAX, &l, err)) != DLC_OK)
            return s;
        *(int *)(void *)p = (int)l;
        return DLC_OK;
    case K_POINTS:
        return get_points(k, v, path, (schedule_config *)(void *)p, err);
    case K_ANCHORS:
        return get_anchors(k, v, path, (loss_opts *)(void *)p, err);
    case K_PERM:
        return get_perm(k, v, path, (data_detection_config *)(void *)p, err);
    case K_LABELS:
        return get_labels(k, v, path, (data_config *)(void *)p, err);
    case K_RENAME:
        return get_rename(k, v, path, (dlc_strlist *)(void *)p, err);
    case K_STYLE:
        return get_style(k, v, path, (stylize_config *)(void *)p, err);
    case K_METRIC:
        return get_metric(k, v, path, base, err);
    case K_WINDOW:
        return get_window(k, v, path, 1, (layer_window *)(void *)p, err);
    case K_WINDOW0:
        return get_window(k, v, path, 0, (layer_window *)(void *)p, err);
    case K_PADDING: {
        layer_spec *spec = base;
        memset(&spec->pad, 0, sizeof spec->pad);
        if (is_text(v) && (strcmp(v->value, "valid") == 0 || strcmp(v->value, "same") == 0)) {
            spec->padding = strcmp(v->value, "same") == 0 ? PAD_SAME : PAD_VALID;
            return DLC_OK;
        }
        if (is_text(v) && (strcasecmp(v->value, "valid") == 0 || strcasecmp(v->value, "same") == 0)) {
            char want[512], got[96];
            return config_key_fail(err, v, path, "expected %s, got %s (did you mean '%s'?)",
                                   describe(k, want, sizeof want), repr(v, 1, got, sizeof got),
                                   strcasecmp(v->value, "same") == 0 ? "same" : "valid");
        }
        spec->padding = PAD_EXPLICIT;
        return get_window(k, v, path, 0, &spec->pad, err);
    }
    case K_INPUTS:
        return get_inputs(k, v, path, base, err);
    case K_SECTION:
    case K_LAYERS:
    case K_HEADS:
    case K_SOURCES:
    case K_LAYER_TYPE:
        break;
    }
    return dlc_fail(err, DLC_EINPUT, "internal: key '%s' has no converter", path);
}

/* ---- sections ---- */

typedef struct {
    dlc_config *c;
    const char *default_name;
    dlc_error *err;
} conv;

/* A config for style transfer alone needs no data: section (see
 * config_schema_convert); the root's data row is then skipped. */
static int skipped(const conv *cv, const config_key *k)
{
    return cv->c->no_data && strcmp(k->path, "data") == 0;
}

static dlc_status convert_section(conv *cv, const char *pattern, ynode *map, const char *path,
                                  void *base);
static dlc_status convert_heads(conv *cv, const config_key *k, ynode *v, const char *path);
static dlc_status convert_sources(conv *cv, const config_key *k, ynode *v, const char *path);
static dlc_status convert_layers(conv *cv, const config_key *k, ynode *v, const char *path);

/* A default as a node: "[]" an empty list, "{}" an empty mapping, "" an
 * empty string, else plain text read like the user's. */
static void default_node(ynode *d, const config_key *k, const ynode *owner)
{
    memset(d, 0, sizeof *d);
    d->origin = owner->origin;
    if (strcmp(k->def, "[]") == 0) {
        d->kind = YN_SEQ;
    } else if (strcmp(k->def, "{}") == 0) {
        d->kind = YN_MAP;
    } else {
        d->kind = YN_SCALAR;
        d->value = (char *)k->def; /* read only */
        d->plain = k->def[0] != '\0';
    }
}

/* Converts v (NULL: absent from owner, the mapping that should hold it). */
static dlc_status convert_key(conv *cv, const config_key *k, ynode *v, const ynode *owner,
                              const char *path, void *base)
{
    ynode d;
    ynode *parsed = NULL; /* a default that is a list of values */
    if (!v) {
        if (k->flags & F_COMPUTED) {
            if (k->kind == K_RUN_NAME &&
                dlc_strlcpy(cv->c->name, cv->default_name, sizeof cv->c->name) >= sizeof cv->c->name)
                return config_key_fail(cv->err, owner, path,
                                       "missing, and the file's name is too long to name the run "
                                       "(at most %zu characters): set name", sizeof cv->c->name - 1);
            if (k->kind == K_SECTION && !cv->c->embed.on) /* model: required unless embed: */
                return config_key_fail(cv->err, owner, path, "missing (required)");
            return DLC_OK; /* layer and head names, alpha, head losses: convert_layer, heads */
        }
        if (!k->def)
            return config_key_fail(cv->err, owner, path, "missing (required)");
        if (k->def[0] == '[' && strcmp(k->def, "[]") != 0) {
            dlc_status s = ytree_parse(&parsed, owner->origin, k->def, strlen(k->def), 0, cv->err);
            if (s != DLC_OK)
                return s;
            s = convert_field(k, parsed, path, base, cv->err);
            ynode_free(parsed);
            return s;
        }
        default_node(&d, k, owner);
        v = &d;
    }
    if (k->kind == K_SECTION) {
        if (v->kind == YN_SCALAR && k->shorthand && !ynode_is_null(v) && v != &d) {
            if (ynode_expand_shorthand(v, k->shorthand, cv->err) != DLC_OK)
                return DLC_ENOMEM;
        }
        if (v->kind != YN_MAP)
            return type_error(k, v, path, cv->err);
        dlc_status s = convert_section(cv, k->path, v, path, base);
        if (s == DLC_OK && k->check)
            s = k->check(v, path, cv->c, cv->err);
        return s;
    }
    if (k->kind == K_LAYERS)
        return convert_layers(cv, k, v, path);
    if (k->kind == K_HEADS)
        return convert_heads(cv, k, v, path);
    if (k->kind == K_SOURCES)
        return convert_sources(cv, k, v, path);
    return convert_field(k, v, path, base, cv->err);
}

static dlc_status convert_section(conv *cv, const char *pattern, ynode *map, const char *path,
                                  void *base)
{
    const char *valid[48];
    config_schema_children(pattern, valid, (int)DLC_ARRAY_LEN(valid));
    char sub[PATH_BUF];
    for (int i = 0; i < map->n; i++) {
        if (!child_row(pattern, map->keys[i]->value)) {
            join_path(sub, sizeof sub, path, map->keys[i]->value);
            return unknown_key(map->keys[i], sub, valid, cv->err);
        }
    }
    for (int r = 0; r < N_ROWS; r++) {
        const config_key *k = &schema[r];
        if (!config_schema_is_child(k, pattern) || skipped(cv, k))
            continue;
        join_path(sub, sizeof sub, path, config_schema_name(k));
        dlc_status s = convert_key(cv, k, ynode_map_get(map, config_schema_name(k)), map, sub,
                                   base);
        if (s != DLC_OK)
            return s;
    }
    return DLC_OK;
}

/* ---- layers ---- */

/* The keys a layer of type op accepts: the op's own first (what a "not a
 * key of layer type" message most needs to show), then the common ones. */
static int layer_keys(int op, const char **names, int cap)
{
    int n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int r = 0; r < N_ROWS && n < cap - 1; r++) {
            const config_key *k = &schema[r];
            if (!config_schema_is_child(k, LAYER_PATTERN))
                continue;
            int opkey = (k->flags & F_OP_KEY) != 0;
            if (pass == 1 ? !opkey : (opkey && config_op_has_key(op, config_schema_name(k))))
                names[n++] = config_schema_name(k);
        }
    names[n] = NULL;
    return n;
}

static dlc_status convert_layer(conv *cv, ynode *item, const char *path, layer_spec *spec,
                                int *count)
{
    char sub[PATH_BUF], got[96], list[512];
    dlc_error *err = cv->err;
    if (item->kind != YN_MAP)
        return config_key_fail(err, item, path,
                               "expected a layer mapping such as {type: dense, units: 10}, got %s",
                               repr(item, 1, got, sizeof got));

    /* the type decides which keys are valid, so it comes first */
    join_path(sub, sizeof sub, path, "type");
    ynode *tn = ynode_map_get(item, "type");
    if (!tn)
        return config_key_fail(err, item, sub, "missing (required)");
    int op = is_text(tn) ? graph_op_find(tn->value) : -1;
    int act = -1;
    if (op < 0 && is_text(tn)) {
        act = find_name(graph_act_names, tn->value); /* {type: relu} */
        if (act >= 0)
            op = OP_ACTIVATION;
    }
    if (op < 0) {
        const char *types[OP_COUNT + ACT_COUNT + 1];
        int n = 0;
        for (int i = 0; i < OP_COUNT; i++)
            if (graph_ops[i].name) /* an empty row: the registry test names it */
                types[n++] = graph_ops[i].name;
        for (int i = 0; i < ACT_COUNT; i++)
            types[n++] = graph_act_names[i];
        types[n] = NULL;
        char foreign[256];
        if (is_text(tn) && config_foreign_value(sub, tn->value, foreign, sizeof foreign))
            return config_key_fail(err, tn, sub, "unknown layer type %s (%s)",
                                   repr(tn, 1, got, sizeof got), foreign);
        const char *near = is_text(tn) ? dlc_nearest(tn->value, types) : NULL;
        list[0] = '\0';
        append_names(list, sizeof list, types);
        if (near)
            return config_key_fail(err, tn, sub, "unknown layer type %s (did you mean '%s'?)",
                                   repr(tn, 1, got, sizeof got), near);
        return config_key_fail(err, tn, sub, "expected a layer type (one of %s), got %s", list,
                               repr(tn, 1, got, sizeof got));
    }
    const graph_op *row = &graph_ops[op];

    const char *valid[48];
    layer_keys(op, valid, (int)DLC_ARRAY_LEN(valid));
    for (int i = 0; i < item->n; i++) {
        const ynode *key = item->keys[i];
        const config_key *k = child_row(LAYER_PATTERN, key->value);
        join_path(sub, sizeof sub, path, key->value);
        if (!k)
            return unknown_key(key, sub, valid, err);
        if ((k->flags & F_OP_KEY) && !config_op_has_key(op, key->value)) {
            list[0] = '\0';
            append_names(list, sizeof list, valid);
            return config_key_fail(err, key, sub, "not a key of layer type '%s' (it has: %s)",
                                   tn->value, list);
        }
    }
    if (act >= 0 && ynode_map_get(item, "activation")) {
        join_path(sub, sizeof sub, path, "activation");
        return config_key_fail(err, ynode_map_get(item, "activation"), sub,
                               "'type: %s' already is the activation; write 'type: activation' "
                               "to set it here",
                               tn->value);
    }
    for (const char *const *r = row->keys; *r; r++)
        if (!child_row(LAYER_PATTERN, *r))
            return dlc_fail(err, DLC_EINPUT,
                            "internal: layer type '%s' has key '%s', unknown to the config schema",
                            row->name, *r);
    for (const char *const *r = row->required; *r; r++) {
        if (!ynode_map_get(item, *r)) {
            join_path(sub, sizeof sub, path, *r);
            return config_key_fail(err, item, sub, "missing (required for layer type '%s')",
                                   row->name);
        }
    }

    for (int r = 0; r < N_ROWS; r++) {
        const config_key *k = &schema[r];
        const char *name = config_schema_name(k);
        if (!config_schema_is_child(k, LAYER_PATTERN))
            continue;
        if ((k->flags & F_OP_KEY) && !config_op_has_key(op, name))
            continue; /* stays zero */
        if (k->kind == K_LAYER_TYPE) {
            spec->op = op;
            dlc_strlcpy(spec->type, row->name, sizeof spec->type);
            continue;
        }
        join_path(sub, sizeof sub, path, name);
        dlc_status s = convert_key(cv, k, ynode_map_get(item, name), item, sub, spec);
        if (s != DLC_OK)
            return s;
    }
    if (act >= 0)
        spec->activation = (act_kind)act;
    for (int r = 0; r < N_ROWS && spec->activation != ACT_HARDSIGMOID; r++) {
        const config_key *k = &schema[r];
        const ynode *v = (k->flags & F_ACT_KEY) && config_schema_is_child(k, LAYER_PATTERN)
                             ? ynode_map_get(item, config_schema_name(k))
                             : NULL;
        if (v) {
            join_path(sub, sizeof sub, path, config_schema_name(k));
            return config_key_fail(err, v, sub, "read by activation hardsigmoid only (this layer's is %s)",
                                   graph_act_names[spec->activation]);
        }
    }

    count[op]++;
    if (!ynode_map_get(item, "name"))
        snprintf(spec->name, sizeof spec->name, "%s_%d", row->name, count[op]);
    if (!ynode_map_get(item, "alpha"))
        spec->alpha = default_alpha(spec->activation);
    if (config_op_has_key(op, "stride") && !ynode_map_get(item, "stride"))
        spec->stride = default_stride(op, spec);
    if (item->line > 0)
        snprintf(spec->where, sizeof spec->where, "%s:%d", item->origin, item->line);
    else
        dlc_strlcpy(spec->where, item->origin, sizeof spec->where);
    return DLC_OK;
}

/* A split layer's pieces, made here so that consumers can name them: slice
 * layers <split>_0, <split>_1, ... reading the split, one per size.  Each
 * range is written so that it needs no axis length: after a -1 piece it is
 * counted from the end.  The split's graph node checks the sizes against the
 * axis.  Returns the number of pieces, -1 when a name would be too long. */
static int split_pieces(const layer_spec *s, layer_spec *out)
{
    int m = s->n_sizes, rest = -1;
    long before = 0, after[GRAPH_MAX_PIECES + 1] = {0}; /* after[k]: sum of sizes k.. */
    for (int k = 0; k < m; k++)
        if (s->sizes[k] == -1 && rest < 0)
            rest = k;
    for (int k = m - 1; k > rest; k--)
        after[k] = after[k + 1] + s->sizes[k];
    char base[GRAPH_NAME_MAX]; /* a copy: GCC cannot tell that out does not hold s */
    dlc_strlcpy(base, s->name, sizeof base);
    for (int k = 0; k < m; k++) {
        layer_spec *p = &out[k];
        *p = *s;
        if (snprintf(p->name, sizeof p->name, "%s_%d", base, k) >= (int)sizeof p->name)
            return -1;
        dlc_strlcpy(p->type, graph_ops[OP_SLICE].name, sizeof p->type);
        p->op = OP_SLICE;
        p->n_inputs = 1;
        dlc_strlcpy(p->inputs[0], base, sizeof p->inputs[0]);
        p->share[0] = '\0';
        p->activation = ACT_LINEAR;
        p->n_sizes = 0;
        p->generated = 1;
        if (rest < 0 || k < rest) {
            p->start = (int)before;
            p->end = (int)(before + s->sizes[k]);
            before += s->sizes[k];
        } else {
            p->start = k == rest ? (int)before : (int)-after[k];
            p->end = k == m - 1 ? GRAPH_SLICE_END : (int)-after[k + 1];
        }
    }
    return m;
}

static dlc_status convert_layers(conv *cv, const config_key *k, ynode *v, const char *path)
{
    dlc_config *c = cv->c;
    if (v->kind != YN_SEQ)
        return type_error(k, v, path, cv->err);
    if (v->n == 0)
        return config_key_fail(cv->err, v, path, "needs at least one layer");
    /* a split adds up to GRAPH_MAX_PIECES slices after itself */
    long cap = v->n;
    for (int i = 0; i < v->n; i++) {
        const ynode *t = v->items[i]->kind == YN_MAP ? ynode_map_get(v->items[i], "type") : NULL;
        if (t && is_text(t) && strcmp(t->value, graph_ops[OP_SPLIT].name) == 0)
            cap += GRAPH_MAX_PIECES;
    }
    if (cap > GRAPH_MAX_LAYERS)
        return config_key_fail(cv->err, v, path,
                               "%ld layers (blocks expanded, split pieces counted); at most %d are "
                               "allowed", cap, GRAPH_MAX_LAYERS);
    c->layers = calloc((size_t)cap, sizeof *c->layers);
    int *item = malloc(sizeof *item * (size_t)cap); /* the list item each layer comes from */
    if (!c->layers || !item) {
        free(item);
        return DLC_NOMEM(cv->err);
    }
    c->n_layers = 0;
    int count[OP_COUNT] = {0};
    char sub[PATH_BUF];
    dlc_status s = DLC_OK;
    for (int i = 0; i < v->n && s == DLC_OK; i++) {
        join_index(sub, sizeof sub, path, i);
        layer_spec *spec = &c->layers[c->n_layers];
        item[c->n_layers++] = i;
        s = convert_layer(cv, v->items[i], sub, spec, count);
        if (s != DLC_OK || spec->op != OP_SPLIT)
            continue;
        int m = split_pieces(spec, spec + 1);
        if (m < 0) {
            s = config_key_fail(cv->err, v->items[i], sub,
                                "split '%s': the name is too long to name its pieces", spec->name);
            break;
        }
        for (int q = 0; q < m; q++)
            item[c->n_layers++] = i;
    }
    /* duplicates through a name index: linear in the layers (a pairwise
     * scan made a 40,000-layer config take seconds) */
    dlc_index ix = {0};
    if (s == DLC_OK && dlc_index_init(&ix, (size_t)c->n_layers, cv->err) != DLC_OK)
        s = DLC_ENOMEM;
    for (int i = 0; i < c->n_layers && s == DLC_OK; i++) {
        int j = dlc_index_put(&ix, c->layers[i].name, i);
        if (j < 0)
            continue;
        ynode *at = ynode_map_get(v->items[item[i]], "name");
        char path_i[PATH_BUF + 8];
        pathf(path_i, sizeof path_i, "%s.%d.name", path, item[i]);
        s = config_key_fail(cv->err, at ? at : v->items[item[i]], path_i,
                            "duplicate layer name '%s'%s (layer %d, %s, has it too)",
                            c->layers[i].name,
                            c->layers[i].generated ? ", a piece of this split," : "", item[j],
                            c->layers[j].where);
    }
    dlc_index_free(&ix);
    free(item);
    return s;
}

/* ---- heads ---- */

#define HEAD_PATTERN "model.outputs.*"

/* Every key of head h but its layer takes its default (a head given as a
 * layer name, or the one made when model.outputs is left out); owner and
 * path place messages.  The loss stays unset (-1): the top-level one. */
static dlc_status head_defaults(conv *cv, head_spec *h, const ynode *owner, const char *path)
{
    dlc_status s = DLC_OK;
    for (int r = 0; r < N_ROWS && s == DLC_OK; r++) {
        const config_key *k = &schema[r];
        if (config_schema_is_child(k, HEAD_PATTERN) && strcmp(config_schema_name(k), "layer") != 0)
            s = convert_key(cv, k, NULL, owner, path, h);
    }
    h->loss = (loss_kind)-1;
    return s;
}

/* model.outputs: each item a layer name (the top-level loss, weight 1) or a
 * mapping of head keys.  Losses left out are filled in by
 * config_schema_convert once the top-level loss is read. */
static dlc_status convert_heads(conv *cv, const config_key *k, ynode *v, const char *path)
{
    dlc_config *c = cv->c;
    if (v->kind != YN_SEQ)
        return type_error(k, v, path, cv->err);
    if (v->n > CONFIG_MAX_HEADS)
        return config_key_fail(cv->err, v, path, "at most %d outputs, got %d", CONFIG_MAX_HEADS,
                               v->n);
    char sub[PATH_BUF], got[96];
    const char *valid[16];
    config_schema_children(HEAD_PATTERN, valid, (int)DLC_ARRAY_LEN(valid));
    for (int i = 0; i < v->n; i++) {
        ynode *item = v->items[i];
        head_spec *h = &c->heads[i];
        memset(h, 0, sizeof *h);
        h->loss = (loss_kind)-1;
        h->weight = 1.0;
        h->margin = -1; /* the loss's own */
        h->opts.label_smoothing = -1; /* the top-level label_smoothing */
        c->n_heads = i + 1;
        join_index(sub, sizeof sub, path, i);
        if (item->kind == YN_SCALAR && is_text(item)) {
            const config_key *lk = config_schema_find(HEAD_PATTERN ".layer");
            dlc_status s = get_string(lk, item, sub, h->layer, sizeof h->layer, cv->err);
            if (s == DLC_OK)
                s = head_defaults(cv, h, item, sub);
            if (s != DLC_OK)
                return s;
        } else if (item->kind == YN_MAP) {
            dlc_status s = convert_section(cv, HEAD_PATTERN, item, sub, h);
            if (s != DLC_OK)
                return s;
        } else {
            return config_key_fail(cv->err, item, sub,
                                   "expected a layer name or a mapping such as {layer: box, loss: "
                                   "mse}, got %s",
                                   repr(item, 1, got, sizeof got));
        }
        if (!h->name[0])
            dlc_strlcpy(h->name, h->layer, sizeof h->name);
    }
    (void)valid;
    return DLC_OK;
}

/* ---- data sources ---- */

#define SOURCE_PATTERN "data.sources.*"

/* data.sources: each item a mapping of source keys; the format defaults to
 * data.format (converted before). */
static dlc_status convert_sources(conv *cv, const config_key *k, ynode *v, const char *path)
{
    dlc_config *c = cv->c;
    char sub[PATH_BUF], got[96];
    if (v->kind != YN_SEQ)
        return type_error(k, v, path, cv->err);
    if (v->n > DATA_MAX_SOURCES)
        return config_key_fail(cv->err, v, path, "at most %d sources, got %d", DATA_MAX_SOURCES,
                               v->n);
    for (int i = 0; i < v->n; i++) {
        ynode *item = v->items[i];
        data_source_spec *sp = &c->data.sources[i];
        memset(sp, 0, sizeof *sp);
        sp->format = c->data.format;
        c->data.n_sources = i + 1;
        join_index(sub, sizeof sub, path, i);
        if (item->kind != YN_MAP)
            return config_key_fail(cv->err, item, sub,
                                   "expected a source mapping such as {name: web, train: {...}, "
                                   "use: {train: 1.0}}, got %s",
                                   repr(item, 1, got, sizeof got));
        dlc_status s = convert_section(cv, SOURCE_PATTERN, item, sub, sp);
        if (s != DLC_OK)
            return s;
    }
    return DLC_OK;
}

/* ---- cross-key checks ---- */

/* The files a format reads (file, images, labels, dir), and a message. */
static const int format_wants[DATA_FORMAT_COUNT][4] = {
    [DATA_IDX] = {0, 1, 1, 0}, [DATA_CSV] = {1, 0, 0, 0}, [DATA_IMAGE_FOLDER] = {0, 0, 0, 1},
    [DATA_TEXT] = {1, 0, 0, 0}};
static const char *const format_reads[DATA_FORMAT_COUNT] = {
    [DATA_IDX] = "images, labels", [DATA_CSV] = "file", [DATA_IMAGE_FOLDER] = "dir",
    [DATA_TEXT] = "file (a file or a folder of them)"};
static const char *const file_keys[4] = {"file", "images", "labels", "dir"};

/* The files of source s (at node sn, key path sp) fit its format. */
static dlc_status check_files(const data_source *s, data_format f, const ynode *sn, const ynode *at,
                              const char *sp, dlc_error *err)
{
    char kp[PATH_BUF + 16];
    const char *vals[4] = {s->file, s->images, s->labels, s->dir};
    for (int j = 0; j < 4; j++) {
        if (format_wants[f][j] || !vals[j][0])
            continue;
        pathf(kp, sizeof kp, "%s.%s", sp, file_keys[j]);
        return config_key_fail(err, ynode_map_get(sn, file_keys[j]), kp,
                               "is not read by format %s (it reads: %s)", data_format_names[f],
                               format_reads[f]);
    }
    for (int j = 0; j < 4; j++) {
        if (!format_wants[f][j] || vals[j][0])
            continue;
        pathf(kp, sizeof kp, "%s.%s", sp, file_keys[j]);
        return config_key_fail(err, at, kp, "missing (required for format %s)",
                               data_format_names[f]);
    }
    return DLC_OK;
}

/* data.sources: names unique, files that fit each format, fractions that fit,
 * dev and test from the target domain, and every role fed. */
static dlc_status check_sources(const ynode *node, const char *path, dlc_config *c, dlc_error *err)
{
    data_config *d = &c->data;
    const ynode *list = ynode_map_get(node, "sources");
    char sp[PATH_BUF + 16], kp[PATH_BUF + 32];
    static const char *const own[] = {"train", "dev", "test"};
    for (int i = 0; i < 3; i++) {
        const data_source *s = i == 0 ? &d->train : i == 1 ? &d->dev : &d->test;
        if (data_source_given(s)) {
            pathf(kp, sizeof kp, "%s.%s", path, own[i]);
            return config_key_fail(err, ynode_map_get(node, own[i]), kp,
                                   "data.sources names the data: give each source's files under "
                                   "its train: key instead");
        }
    }
    if (d->split_dev > 0 || d->split_test > 0) {
        pathf(kp, sizeof kp, "%s.split", path);
        return config_key_fail(err, ynode_map_get(node, "split"), kp,
                               "with data.sources, each source's use: says what dev and test take "
                               "(split: keeps only train_dev, carved from the training mix)");
    }
    double feeds[3] = {0, 0, 0};
    for (int i = 0; i < d->n_sources; i++) {
        const data_source_spec *s = &d->sources[i];
        const ynode *item = list && list->kind == YN_SEQ && i < list->n ? list->items[i] : node;
        pathf(sp, sizeof sp, "%s.sources.%d", path, i);
        for (int j = 0; j < i; j++)
            if (strcmp(d->sources[j].name, s->name) == 0) {
                pathf(kp, sizeof kp, "%s.name", sp);
                return config_key_fail(err, ynode_map_get(item, "name"), kp,
                                       "two sources are named '%s'", s->name);
            }
        if (s->format == DATA_DETECTION) {
            const ynode *fn = ynode_map_get(item, "format");
            pathf(kp, sizeof kp, "%s.format", sp);
            return config_key_fail(err, fn ? fn : item, kp,
                                   "detection data cannot be one of data.sources (give its "
                                   "folders as data.train, dev and test)");
        }
        const ynode *tn = ynode_map_get(item, "train");
        pathf(kp, sizeof kp, "%s.train", sp);
        dlc_status st = check_files(&s->files, s->format, tn, tn ? tn : item, kp, err);
        if (st != DLC_OK)
            return st;
        double sum = s->use_train + s->use_dev + s->use_test;
        const ynode *use = ynode_map_get(item, "use");
        if (sum > 1 + 1e-9) {
            pathf(kp, sizeof kp, "%s.use", sp);
            return config_key_fail(err, use ? use : item, kp,
                                   "train + dev + test take %g of source '%s': at most 1", sum,
                                   s->name);
        }
        if (s->domain == DATA_DOMAIN_OUT && !d->allow_ood_eval && (s->use_dev > 0 || s->use_test > 0)) {
            pathf(kp, sizeof kp, "%s.use.%s", sp, s->use_dev > 0 ? "dev" : "test");
            const ynode *at = use ? ynode_map_get(use, s->use_dev > 0 ? "dev" : "test") : NULL;
            return config_key_fail(err, at ? at : item, kp,
                                   "source '%s' is of another domain (domain: out): dev and test "
                                   "must come from the target domain, as the notes say "
                                   "(allow_out_of_domain_eval: true overrides)",
                                   s->name);
        }
        feeds[0] += s->use_train;
        feeds[1] += s->use_dev;
        feeds[2] += s->use_test;
    }
    const dlc_strlist *aug = &d->augment.sources;
    for (int a = 0; a < aug->n; a++) {
        int found = 0;
        for (int i = 0; i < d->n_sources; i++)
            found |= strcmp(d->sources[i].name, aug->v[a]) == 0;
        if (!found) {
            const ynode *an = ynode_map_get(ynode_map_get(node, "augment"), "sources");
            pathf(kp, sizeof kp, "%s.augment.sources", path);
            return config_key_fail(err, an ? an : node, kp, "no source is named '%s'", aug->v[a]);
        }
    }
    for (int i = 0; i < d->n_sources; i++)
        if ((d->sources[i].format == DATA_TEXT) != (d->format == DATA_TEXT)) {
            pathf(kp, sizeof kp, "%s.sources.%d.format", path, i);
            return config_key_fail(err, list && list->kind == YN_SEQ ? list->items[i] : node, kp,
                                   "%s: text sources and table sources (idx, csv, image_folder) "
                                   "cannot be mixed; with data.format %s every source is %s",
                                   data_format_names[d->sources[i].format],
                                   data_format_names[d->format],
                                   d->format == DATA_TEXT ? "text" : "a table");
        }
    for (int r = 0; r < 2; r++)
        if (!(feeds[r] > 0)) {
            pathf(kp, sizeof kp, "%s.sources", path);
            return config_key_fail(err, list ? list : node, kp,
                                   "no source feeds the %s split (give one a use: {%s: F})",
                                   own[r], own[r]);
        }
    return DLC_OK;
}

/* A data key of one format given to data of another: refused, as a file key
 * its format does not read is.  They were ignored without a word (`label:
 * species` beside format idx trained on the IDX labels; `missing: drop` on
 * an image folder dropped nothing; `text: {seq_len: 32}` on a CSV file).
 * A text classifier reads its CSV's label column with the separator and
 * decimal mark.  A key at its default is let be: a run's config.yaml lists
 * every key.  A run's stored config loads as it is (a run from before this
 * check may hold such a key), but `dlc eval --set` of one is refused. */
static int from_override(const ynode *n)
{
    return n && n->line == 0 && ynode_from_set(n);
}

static dlc_status check_format_keys(const ynode *node, const char *path, const dlc_config *c,
                                    dlc_error *err)
{
    const data_config *d = &c->data;
    int fmt = 1 << d->format;
    for (int i = 0; i < d->n_sources; i++)
        fmt |= 1 << d->sources[i].format;
    const int csv = 1 << DATA_CSV, text = 1 << DATA_TEXT;
    const int images = 1 << DATA_IMAGE_FOLDER | 1 << DATA_DETECTION;
    int n_rows;
    const config_key *rows = config_schema_rows(&n_rows);
    char kp[PATH_BUF + 32];
    const ynode *pixels = ynode_map_get(node, "max_image_pixels");
    const struct {
        const char *key;
        int given, read_by;
    } k[] = {
        {"label", d->n_labels > 0, csv | text},
        {"features", d->features.n > 0, csv},
        {"exclude", d->exclude.n > 0, csv},
        {"categorical", d->categorical.n > 0, csv},
        {"missing", d->missing != DATA_MISSING_ERROR, csv},
        {"separator", d->separator != DATA_SEP_AUTO, csv | text},
        {"decimal", d->decimal != DATA_DECIMAL_POINT && d->decimal != DATA_DECIMAL_POINT_WORD,
         csv | text},
        {"bad_files", d->bad_files != DATA_BAD_FAIL, images},
        {"max_image_pixels",
         pixels && !holds_default(rows, n_rows, "data.max_image_pixels", pixels), images},
    };
    static const char *const readers[] = {"csv", "csv and text", "image_folder and detection"};
    const ynode *at = NULL;
    int reader = 0;
    for (size_t i = 0; i < sizeof k / sizeof k[0] && !at; i++) {
        const ynode *kn = ynode_map_get(node, k[i].key);
        if (!k[i].given || (fmt & k[i].read_by) || (c->stored && !from_override(kn)))
            continue;
        pathf(kp, sizeof kp, "%s.%s", path, k[i].key);
        at = kn ? kn : node;
        reader = k[i].read_by == images ? 2 : (k[i].read_by & text) ? 1 : 0;
    }
    /* data.text: every key at its default */
    const ynode *tn = ynode_map_get(node, "text");
    for (int i = 0; !at && !(fmt & text) && tn && tn->kind == YN_MAP && i < tn->n; i++) {
        char row[PATH_BUF + 32];
        pathf(row, sizeof row, "data.text.%s", tn->keys[i]->value);
        if (holds_default(rows, n_rows, row, tn->items[i]) ||
            (c->stored && !from_override(tn->items[i])))
            continue;
        pathf(kp, sizeof kp, "%s.text.%s", path, tn->keys[i]->value);
        at = tn->items[i];
        reader = -1;
    }
    if (!at)
        return DLC_OK;
    return config_key_fail(err, at, kp,
                           "is not read by format %s, which would ignore it: it is for format %s "
                           "(leave it out)",
                           data_format_names[d->format], reader < 0 ? "text" : readers[reader]);
}

static dlc_status check_data(const ynode *node, const char *path, dlc_config *c, dlc_error *err)
{
    static const char *const names[] = {"train", "dev", "test"};
    data_config *d = &c->data;
    const data_source *src[] = {&d->train, &d->dev, &d->test};
    char sp[PATH_BUF], kp[PATH_BUF + 16];
    /* the keys each format reads; the others are refused */
    static const char *const keys[] = {"file", "images", "labels", "dir"};
    static const int wants[DATA_FORMAT_COUNT][4] = {
        [DATA_IDX] = {0, 1, 1, 0}, [DATA_CSV] = {1, 0, 0, 0}, [DATA_IMAGE_FOLDER] = {0, 0, 0, 1},
        [DATA_TEXT] = {1, 0, 0, 0}, [DATA_DETECTION] = {0, 0, 0, 1}};
    /* read when given: a detection source's label folder */
    static const int may[DATA_FORMAT_COUNT][4] = {[DATA_DETECTION] = {0, 0, 1, 0}};
    static const char *const reads[DATA_FORMAT_COUNT] = {
        [DATA_IDX] = "images, labels", [DATA_CSV] = "file", [DATA_IMAGE_FOLDER] = "dir",
        [DATA_TEXT] = "file (a file or a folder of them)",
        [DATA_DETECTION] = "dir, and labels when the label files are in a folder of their own"};
    dlc_status cs = check_format_keys(node, path, c, err);
    if (cs != DLC_OK)
        return cs;
    if (d->n_sources > 0)
        return check_sources(node, path, c, err);
    for (int i = 0; i < 3; i++) {
        const data_source *s = src[i];
        const char *vals[4] = {s->file, s->images, s->labels, s->dir};
        const ynode *sn = ynode_map_get(node, names[i]);
        const ynode *at = sn ? sn : node;
        join_path(sp, sizeof sp, path, names[i]);
        if (i == 0 && !sn)
            return config_key_fail(err, node, sp, "missing (required: the training data, or "
                                                  "data.sources)");
        if (i > 0 && !vals[0][0] && !vals[1][0] && !vals[2][0] && !vals[3][0])
            continue; /* no separate dev / test files */
        for (int j = 0; j < 4; j++) {
            if (wants[d->format][j] || may[d->format][j] || !vals[j][0])
                continue;
            pathf(kp, sizeof kp, "%s.%s", sp, keys[j]);
            return config_key_fail(err, ynode_map_get(sn, keys[j]), kp,
                                   "is not read by format %s (it reads: %s)",
                                   data_format_names[d->format], reads[d->format]);
        }
        for (int j = 0; j < 4; j++) {
            if (!wants[d->format][j] || vals[j][0])
                continue;
            pathf(kp, sizeof kp, "%s.%s", sp, keys[j]);
            return config_key_fail(err, at, kp, "missing (required for format %s)",
                                   data_format_names[d->format]);
        }
    }
    if (d->augment.sources.n > 0) {
        const ynode *an = ynode_map_get(ynode_map_get(node, "augment"), "sources");
        pathf(kp, sizeof kp, "%s.augment.sources", path);
        return config_key_fail(err, an ? an : node, kp, "names data.sources, and there are none");
    }
    if (data_augments(d) && d->format == DATA_CSV) {
        const ynode *an = ynode_map_get(node, "augment");
        pathf(kp, sizeof kp, "%s.augment", path);
        return config_key_fail(err, an ? an : node, kp,
                               "augmentation needs image examples (format idx or image_folder)");
    }
    if (d->format == DATA_DETECTION && d->augment.rotate.p > 0) {
        const ynode *an = ynode_map_get(ynode_map_get(node, "augment"), "rotate");
        pathf(kp, sizeof kp, "%s.augment.rotate", path);
        return config_key_fail(err, an ? an : node, kp,
                               "rotation would leave the boxes and landmarks behind: detection "
                               "data moves them with flips and shifts only");
    }
    /* metric learning reads one train file (and its dev / test files) */
    if (d->n_sources > 0 && (d->sampler.kind != DATA_SAMPLER_NONE || data_class_splitting(d))) {
        const char *key = d->sampler.kind != DATA_SAMPLER_NONE ? "sampler" : "class_split";
        const ynode *at = ynode_map_get(node, key);
        pathf(kp, sizeof kp, "%s.%s", path, key);
        return config_key_fail(err, at ? at : node, kp,
                               "pairs, triplets and held-out classes read data.train (and its dev "
                               "and test files), not data.sources");
    }
    /* held-out test classes are the test split */
    if (d->class_split[DATA_CLASS_TEST].n > 0 && d->split_test > 0) {
        const ynode *at = ynode_map_get(ynode_map_get(node, "split"), "test");
        pathf(kp, sizeof kp, "%s.split.test", path);
        return config_key_fail(err, at ? at : node, kp,
                               "the test split is the held-out classes of data.class_split.test: "
                               "drop split.test");
    }
    /* a split comes from its own files or from the train file, not both */
    const ynode *split = ynode_map_get(node, "split");
    const double ratio[] = {d->split_dev, d->split_test};
    for (int i = 1; i < 3; i++) {
        if (ratio[i - 1] > 0 && (src[i]->file[0] || src[i]->images[0])) {
            pathf(kp, sizeof kp, "%s.split.%s", path, names[i]);
            const ynode *at = ynode_map_get(split, names[i]);
            return config_key_fail(err, at ? at : node, kp,
                                   "data.%s already names files: carve the %s split from train "
                                   "or read it from files, not both",
                                   names[i], names[i]);
        }
    }
    return DLC_OK;
}

/* "file:line" of node into buf (for errors found when the data is read). */
static void node_where(char *buf, size_t size, const ynode *node)
{
    if (node->line > 0)
        snprintf(buf, size, "%s:%d", node->origin, node->line);
    else
        dlc_strlcpy(buf, node->origin ? node->origin : "", size);
}

static dlc_status check_sampler(const ynode *node, const char *path, dlc_config *c, dlc_error *err)
{
    data_config *d = &c->data;
    node_where(d->sampler.where, sizeof d->sampler.where, node);
    dlc_status st = check_type_keys(node, path, c, err);
    if (st != DLC_OK || d->sampler.kind == DATA_SAMPLER_NONE)
        return st;
    char kp[PATH_BUF + 16];
    pathf(kp, sizeof kp, "%s.type", path);
    const ynode *at = ynode_map_get(node, "type") ? ynode_map_get(node, "type") : node;
    if (d->format == DATA_TEXT)
        return config_key_fail(err, at, kp, "pairs and triplets are drawn from labelled examples "
                                            "(formats idx, csv, image_folder), not text");
    if (d->sampler.kind == DATA_SAMPLER_PAIRS && data_augments(d))
        return config_key_fail(err, at, kp, "pairs are not augmented: drop data.augment");
    return DLC_OK;
}

/* Triplet batches are P x K (data_plan_batch): a train.batch_size beside
 * them that differs was ignored without a word; now it is refused, and the
 * resolved config records the batch trained.  A run's stored config from
 * before this check (its default 64) still loads, and its config.yaml
 * trains again. */
/* 1 when train.no_decay is its default, [biases, norms]. */
static int no_decay_default(const dlc_strlist *l)
{
    return l->n == 2 && strcmp(l->v[0], "biases") == 0 && strcmp(l->v[1], "norms") == 0;
}

/* train.no_decay other than its default where nothing decays (train.l2 0,
 * no adamw decay) would change nothing: refused, unless what decays came
 * from --set (a sweep's trial of l2 0 over a file's no_decay). */
static dlc_status check_no_decay(const ynode *node, const char *path, const dlc_config *c,
                                 dlc_error *err)
{
    const ynode *nd = ynode_map_get(node, "no_decay"), *opt = ynode_map_get(node, "optimizer");
    const optim_config *o = &c->train.optimizer;
    if (!nd || c->stored || no_decay_default(&c->train.no_decay) || c->train.l2 > 0 ||
        (o->type == OPT_ADAMW && o->weight_decay > 0) || ynode_from_set(ynode_map_get(node, "l2")) ||
        (opt && opt->kind == YN_MAP &&
         (ynode_from_set(ynode_map_get(opt, "type")) || ynode_from_set(ynode_map_get(opt, "weight_decay")))))
        return DLC_OK;
    char kp[PATH_BUF + 16];
    pathf(kp, sizeof kp, "%s.no_decay", path);
    return config_key_fail(err, nd, kp,
                           "nothing is decayed, so it would change nothing: train.l2 is 0 and "
                           "optimizer type %s %s (set train.l2, or type adamw with weight_decay)",
                           optim_names[o->type],
                           o->type == OPT_ADAMW ? "has weight_decay 0" : "has no decoupled decay");
}

static dlc_status check_train(const ynode *node, const char *path, dlc_config *c, dlc_error *err)
{
    const data_sampler *sm = &c->data.sampler;
    dlc_status st = check_no_decay(node, path, c, err);
    if (st != DLC_OK || sm->kind != DATA_SAMPLER_TRIPLETS)
        return st;
    int PK = sm->classes_per_batch * sm->per_class;
    const ynode *bs = ynode_map_get(node, "batch_size");
    /* a run's config.yaml from before (every train key, batch_size at its
     * default) trains again; one from before train.no_decay lacks it */
    int n_rows, n_keys = 0;
    const config_key *rows = config_schema_rows(&n_rows);
    for (int r = 0; r < n_rows; r++)
        n_keys += config_schema_is_child(&rows[r], path);
    n_keys -= !ynode_map_get(node, "no_decay");
    int old_resolved = node->n >= n_keys && holds_default(rows, n_rows, "train.batch_size", bs);
    if (bs && !c->stored && !old_resolved && c->train.batch_size != PK) {
        char kp[PATH_BUF + 16];
        pathf(kp, sizeof kp, "%s.batch_size", path);
        return config_key_fail(err, bs, kp,
                               "with data.sampler.type triplets a batch is classes_per_batch %d x "
                               "per_class %d = %d examples, got %s: drop train.batch_size (or set "
                               "it to %d) and choose the batch with the sampler",
                               sm->classes_per_batch, sm->per_class, PK,
                               bs->value ? bs->value : "a list", PK);
    }
    c->train.batch_size = PK;
    return DLC_OK;
}

/* Held-out classes: a class in two lists is refused here, with its line;
 * classes the data lacks are found when it is read. */
static dlc_status check_class_split(const ynode *node, const char *path, dlc_config *c,
                                    dlc_error *err)
{
    static const char *const keys[DATA_CLASS_SPLITS] = {"train", "dev", "test"};
    data_config *d = &c->data;
    char kp[PATH_BUF + 16];
    for (int k = 0; k < DATA_CLASS_SPLITS; k++) {
        const ynode *list = ynode_map_get(node, keys[k]);
        node_where(d->class_split_where[k], sizeof d->class_split_where[k], list ? list : node);
        for (int i = 0; i < d->class_split[k].n; i++) {
            const char *name = d->class_split[k].v[i];
            const ynode *item = list && list->kind == YN_SEQ && i < list->n ? list->items[i] : node;
            pathf(kp, sizeof kp, "%s.%s.%d", path, keys[k], i);
            for (int j = 0; j < i; j++)
                if (strcmp(d->class_split[k].v[j], name) == 0)
                    return config_key_fail(err, item, kp, "class '%s' is listed twice", name);
            for (int o = 0; o < k; o++)
                if (dlc_strlist_find(&d->class_split[o], name) >= 0)
                    return config_key_fail(err, item, kp,
                                           "class '%s' is also in %s.%s: a held-out class is "
                                           "never trained on",
                                           name, path, keys[o]);
        }
    }
    return DLC_OK;
}

/* An augmentation's range runs from min to max. */
static dlc_status check_aug_range(const ynode *node, const char *path, dlc_config *c,
                                  dlc_error *err)
{
    const data_augment *a = &c->data.augment;
    const data_aug_range *all[] = {&a->rotate, &a->blur, &a->contrast, &a->brightness, &a->noise,
                                   &a->jpeg};
    const char *name = strrchr(path, '.') ? strrchr(path, '.') + 1 : path;
    static const char *const names[] = {"rotate", "blur", "contrast", "brightness", "noise", "jpeg"};
    for (int i = 0; i < 6; i++)
        if (strcmp(name, names[i]) == 0 && all[i]->lo > all[i]->hi) {
            char kp[PATH_BUF + 8];
            pathf(kp, sizeof kp, "%s.min", path);
            const ynode *at = ynode_map_get(node, "min");
            return config_key_fail(err, at ? at : node, kp, "min %g is above max %g", all[i]->lo,
                                   all[i]->hi);
        }
    return DLC_OK;
}

/* report.human_level_error is in the primary output's error measure: an error
 * rate in [0, 1] for a classifier, an MSE (any value >= 0, in the targets'
 * units) for loss mse or landmarks, whose diagnosis compares MSEs. */
static dlc_status check_report(const ynode *node, const char *path, dlc_config *c, dlc_error *err)
{
    double h = c->report.human_level_error;
    /* the first output's loss; unset (-1) means the top-level one */
    loss_kind primary = c->n_heads > 0 && (int)c->heads[0].loss >= 0 ? c->heads[0].loss : c->loss;
    if (!(h > 1) || primary == LOSS_MSE || primary == LOSS_LANDMARKS)
        return DLC_OK;
    const ynode *at = ynode_map_get(node, "human_level_error");
    char kp[PATH_BUF];
    join_path(kp, sizeof kp, path, "human_level_error");
    return config_key_fail(err, at ? at : node, kp,
                           "expected an error rate in [0, 1] for loss %s, got %g (an MSE, any "
                           "value >= 0, is the human-level figure of loss mse)",
                           loss_names[primary], h);
}

static dlc_status check_split(const ynode *node, const char *path, dlc_config *c, dlc_error *err)
{
    const data_config *d = &c->data;
    double sum = d->split_dev + d->split_test + d->split_train_dev;
    if (!(sum < 1))
        return config_key_fail(err, node, path,
                               "dev + test + train_dev must be less than 1 (some data must be "
                               "left to train on), got %g",
                               sum);
    return DLC_OK;
}

/* Heads must name layers (the graph would refuse them too, but here the
 * message can point at the line and suggest the layer meant), once each,
 * under names of their own. */
/* DLC_OK when name is one of names (NULL-terminated), else the error at
 * node `at`, key kp, with the nearest name. */
static dlc_status check_layer_name(const char *const *names, const char *name, const ynode *at,
                                   const char *kp, dlc_error *err)
{
    if (find_name(names, name) >= 0)
        return DLC_OK;
    const char *near = dlc_nearest(name, names);
    if (near)
        return config_key_fail(err, at, kp, "no layer is named '%s' (did you mean '%s'?)", name,
                               near);
    return config_key_fail(err, at, kp, "no layer is named '%s'", name);
}

/* The layers' names, NULL-terminated (free the array, not the names). */
static const char **layer_names(const dlc_config *c)
{
    const char **names = malloc(sizeof *names * (size_t)(c->n_layers + 1));
    if (!names)
        return NULL;
    for (int i = 0; i < c->n_layers; i++)
        names[i] = c->layers[i].name;
    names[c->n_layers] = NULL;
    return names;
}

static dlc_status check_model(const ynode *node, const char *path, dlc_config *c, dlc_error *err)
{
    const ynode *outs = ynode_map_get(node, "outputs");
    /* no outputs named: the last layer is the one */
    if (c->n_heads == 0 && c->n_layers > 0) {
        head_spec *h = &c->heads[0];
        memset(h, 0, sizeof *h);
        dlc_strlcpy(h->layer, c->layers[c->n_layers - 1].name, sizeof h->layer);
        dlc_strlcpy(h->name, h->layer, sizeof h->name);
        h->margin = -1;
        h->opts.label_smoothing = -1;
        conv cv = {c, "", err};
        dlc_status hs = head_defaults(&cv, h, node, path);
        if (hs != DLC_OK)
            return hs;
        c->n_heads = 1;
    }

    const char **names = layer_names(c);
    if (!names)
        return DLC_NOMEM(err);
    dlc_status s = DLC_OK;
    char kp[PATH_BUF + 24];
    for (int i = 0; i < c->n_heads && s == DLC_OK; i++) {
        const head_spec *h = &c->heads[i];
        const ynode *item = outs && outs->kind == YN_SEQ && i < outs->n ? outs->items[i] : node;
        const ynode *at = item->kind == YN_MAP && ynode_map_get(item, "layer")
                              ? ynode_map_get(item, "layer")
                              : item;
        pathf(kp, sizeof kp, "%s.outputs.%d%s", path, i, item->kind == YN_MAP ? ".layer" : "");
        s = check_layer_name(names, h->layer, at, kp, err);
        for (int j = 0; j < i && s == DLC_OK; j++) {
            if (strcmp(c->heads[j].layer, h->layer) == 0)
                s = config_key_fail(err, at, kp, "layer '%s' is already the output of head '%s'",
                                    h->layer, c->heads[j].name);
            else if (strcmp(c->heads[j].name, h->name) == 0)
                s = config_key_fail(err, item, kp, "two outputs are named '%s' (give one another name)",
                                    h->name);
        }
    }
    /* a language model predicts the next token: a layer that reads the
     * sequence backwards would see it */
    if (c->data.format == DATA_TEXT && c->data.text.task == TEXT_LM) {
        const ynode *layers = ynode_map_get(node, "layers");
        for (int i = 0; i < c->n_layers && s == DLC_OK; i++) {
            if (!c->layers[i].bidirectional && !c->layers[i].reverse)
                continue;
            const char *key = c->layers[i].bidirectional ? "bidirectional" : "reverse";
            const ynode *item = layers && layers->kind == YN_SEQ && i < layers->n ? layers->items[i] : node;
            const ynode *at = item->kind == YN_MAP && ynode_map_get(item, key)
                                  ? ynode_map_get(item, key)
                                  : item;
            pathf(kp, sizeof kp, "%s.layers.%d.%s", path, i, key);
            s = config_key_fail(err, at, kp,
                                "a language model (data.text.task lm) predicts each next token; a "
                                "%s layer reads the sequence backwards and so sees "
                                "the token it must predict: use a forward layer (or task "
                                "bilm, tag or classify)", key);
        }
    }
    /* the targets each learns from: a data.label group of its name */
    for (int i = 0; i < c->n_heads && s == DLC_OK; i++) {
        const head_spec *h = &c->heads[i];
        const ynode *item = outs && outs->kind == YN_SEQ && i < outs->n ? outs->items[i] : node;
        const data_config *d = &c->data;
        int named = d->n_labels > 0 && d->labels[0].name[0];
        const char *want = h->target[0] ? h->target : h->name;
        if (s == DLC_OK && named) {
            int found = 0;
            for (int g = 0; g < d->n_labels; g++)
                found |= strcmp(d->labels[g].name, want) == 0;
            if (!found) {
                char list[256] = "";
                const char *groups[DATA_MAX_HEADS + 1];
                for (int g = 0; g < d->n_labels; g++)
                    groups[g] = d->labels[g].name;
                groups[d->n_labels] = NULL;
                append_names(list, sizeof list, groups);
                pathf(kp, sizeof kp, "%s.outputs.%d", path, i);
                s = config_key_fail(err, item, kp,
                                    "data.label has no group '%s' for this output (it has: %s); "
                                    "name one so, or set the output's target",
                                    want, list);
            }
        } else if (s == DLC_OK && c->n_heads > 1 && d->format == DATA_CSV && d->n_labels == 1 &&
                   !config_shares_label(c)) {
            pathf(kp, sizeof kp, "%s.outputs", path);
            s = config_key_fail(err, outs ? outs : node, kp,
                                "%d outputs need data.label as a mapping from each output to its "
                                "columns, e.g. {%s: [...], %s: [...]}",
                                c->n_heads, c->heads[0].name, c->heads[1].name);
        }
    }
    free(names);
    return s;
}

/* A stylize: section with keys turns style transfer on: it then needs a
 * content layer and at least one style layer, each a layer of model.layers. */
static dlc_status check_stylize(const ynode *node, const char *path, dlc_config *c,
                                dlc_error *err)
{
    stylize_config *sc = &c->stylize;
    char kp[PATH_BUF + 24];
    sc->on = node->kind == YN_MAP && node->n > 0;
    if (!sc->on)
        return DLC_OK;
    const ynode *content = ynode_map_get(node, "content"), *style = ynode_map_get(node, "style");
    pathf(kp, sizeof kp, "%s.content", path);
    if (!sc->content[0])
        return config_key_fail(err, content ? content : node, kp,
                               "missing (style transfer needs the layer of its content cost)");
    pathf(kp, sizeof kp, "%s.style", path);
    if (sc->n_style == 0)
        return config_key_fail(err, style ? style : node, kp,
                               "needs at least one style layer ({layer: weight, ...} or a list of "
                               "layers)");
    const char **names = layer_names(c);
    if (!names)
        return DLC_NOMEM(err);
    pathf(kp, sizeof kp, "%s.content", path);
    dlc_status s = check_layer_name(names, sc->content, content ? content : node, kp, err);
    for (int i = 0; i < sc->n_style && s == DLC_OK; i++) {
        const ynode *at = style && style->kind == YN_MAP && i < style->n   ? style->keys[i]
                          : style && style->kind == YN_SEQ && i < style->n ? style->items[i]
                                                                            : node;
        pathf(kp, sizeof kp, "%s.style.%s", path, sc->style[i]);
        s = check_layer_name(names, sc->style[i], at, kp, err);
    }
    free(names);
    return s;
}

/* The keys each optimizer and schedule type reads, besides type (and lr).
 * sgd's momentum is Keras' and PyTorch's SGD(momentum=0.9, nesterov=True)
 * (b = mu b + g), type momentum's the notes' average (v = beta v + (1 - beta)
 * g); a key the type would ignore is an error rather than a silent no-op
 * (adam's weight_decay: PyTorch's is L2, train.l2; adamw's is decoupled). */
static const char *const optim_reads[OPT_COUNT][6] = {
    [OPT_SGD] = {"momentum", "dampening", "nesterov", NULL},
    [OPT_MOMENTUM] = {"momentum", NULL},
    [OPT_RMSPROP] = {"rho", "eps", NULL},
    [OPT_ADAM] = {"beta1", "beta2", "eps", "amsgrad", NULL},
    [OPT_ADAMW] = {"beta1", "beta2", "eps", "weight_decay", "amsgrad", NULL},
};
static const char *const sched_reads[SCHED_COUNT][4] = {
    [SCHED_CONSTANT] = {NULL},
    [SCHED_INVERSE_TIME] = {"decay_rate", NULL},
    [SCHED_EXPONENTIAL] = {"base", NULL},
    [SCHED_INV_SQRT_EPOCH] = {"k", NULL},
    [SCHED_INV_SQRT_STEP] = {"k", NULL},
    [SCHED_STEP] = {"factor", "every", NULL},
    [SCHED_MANUAL] = {"points", NULL},
    [SCHED_COSINE] = {"warmup", "final", NULL},
    [SCHED_PLATEAU] = {"factor", "patience", "min_lr", NULL},
};

/* The pair and triplet samplers' own keys (mining is read by every triplet
 * loss, with or without triplet batches): a PyTorch user's
 * MPerClassSampler(m=4) guess `{type: pairs, per_class: 4}` would otherwise
 * do nothing. */
static const char *const sampler_reads[DATA_SAMPLER_COUNT][3] = {
    [DATA_SAMPLER_NONE] = {NULL},
    [DATA_SAMPLER_PAIRS] = {"positive_fraction", NULL},
    [DATA_SAMPLER_TRIPLETS] = {"classes_per_batch", "per_class", NULL},
};

/* A section whose type decides the keys it reads. */
typedef struct {
    const char *prefix;           /* "train.optimizer." */
    const char *what;             /* "optimizer" */
    const char *always;           /* the keys every type reads, as said */
    const char *const *names;     /* type names */
    int n_types;
} typed_section;

enum { TYPED_OPTIM, TYPED_SCHED, TYPED_SAMPLER, TYPED_COUNT };
static const typed_section typed_sections[TYPED_COUNT] = {
    [TYPED_OPTIM] = {"train.optimizer.", "optimizer", "type, lr", optim_names, OPT_COUNT},
    [TYPED_SCHED] = {"train.schedule.", "schedule", "type", sched_names, SCHED_COUNT},
    [TYPED_SAMPLER] = {"data.sampler.", "data.sampler", "type, mining", data_sampler_names,
                       DATA_SAMPLER_COUNT},
};

/* Type t's own keys in section f. */
static const char *const *typed_reads(int f, int t)
{
    return f == TYPED_OPTIM ? optim_reads[t] : f == TYPED_SCHED ? sched_reads[t] : sampler_reads[t];
}

static int typed_type(const dlc_config *c, int f)
{
    return f == TYPED_OPTIM   ? (int)c->train.optimizer.type
           : f == TYPED_SCHED ? (int)c->train.schedule.type
                              : (int)c->data.sampler.kind;
}

/* The type-specific key list for a key path under a typed section (NULL for
 * other paths and for the keys every type reads); *family: its section. */
static const char *const *type_reads(const dlc_config *c, const char *path, const char **leaf,
                                     int *family)
{
    for (int f = 0; f < TYPED_COUNT; f++) {
        const typed_section *ts = &typed_sections[f];
        size_t n = strlen(ts->prefix);
        if (strncmp(path, ts->prefix, n) != 0)
            continue;
        *leaf = path + n;
        *family = f;
        if (strcmp(*leaf, "type") == 0 || (f == TYPED_OPTIM && strcmp(*leaf, "lr") == 0) ||
            (f == TYPED_SAMPLER && strcmp(*leaf, "mining") == 0))
            return NULL;
        return typed_reads(f, typed_type(c, f));
    }
    return NULL;
}

int config_key_applies(const dlc_config *c, const char *path)
{
    const char *leaf;
    int family;
    const char *const *reads = type_reads(c, path, &leaf, &family);
    return !reads || find_name(reads, leaf) >= 0;
}

/* 1 when scalar v holds key path's default (as text, or the same number). */
static int holds_default(const config_key *rows, int n_rows, const char *path, const ynode *v)
{
    for (int r = 0; r < n_rows; r++) {
        if (strcmp(rows[r].path, path) != 0)
            continue;
        double a, b;
        const char *d = rows[r].def;
        if (d && v && v->kind == YN_SEQ && v->n == 0)
            return strcmp(d, "[]") == 0;
        return d && v && v->value &&
               (strcmp(d, v->value) == 0 ||
                (dlc_parse_double(d, &a) == 0 && dlc_parse_double(v->value, &b) == 0 && a == b));
    }
    return 0;
}

/* A key of node (train.optimizer, train.schedule, data.sampler) that its
 * type does not read: an error naming the types that do.  A section listing
 * every key of the schema is a run's config.yaml from before config.yaml
 * left such keys out: its extra keys, at their defaults, are let be (a
 * sampler has five keys, which a person may well list: one set to another
 * value is still refused); a run's stored config (c->stored) loads as it is. */
static dlc_status check_type_keys(const ynode *node, const char *path, const dlc_config *c,
                                  dlc_error *err)
{
    /* keys added since config.yaml stopped listing every key: no such
     * listing holds them */
    static const char *const newer[] = {"train.schedule.patience", "train.schedule.min_lr",
                                        "train.optimizer.dampening", "train.optimizer.nesterov",
                                        "train.optimizer.weight_decay", "train.optimizer.amsgrad",
                                        NULL};
    int n_rows, n_keys = 0;
    const config_key *rows = config_schema_rows(&n_rows);
    for (int r = 0; r < n_rows; r++)
        n_keys += config_schema_is_child(&rows[r], path) && find_name(newer, rows[r].path) < 0;
    if (c->stored)
        return DLC_OK;
    int every_key = node->n >= n_keys;
    /* a type given by --set (or a sweep's trial) over the file's: the file's
     * keys for its own type are left out, as a new scheduler object in Keras
     * or PyTorch leaves the old one's arguments (a sweep over schedule types
     * used to be refused for the base's `base: 0.8`) */
    int at = ynode_map_find(node, "type");
    int type_set = at >= 0 && ynode_from_set(node->items[at]);
    for (int i = 0; i < node->n; i++) {
        char kp[PATH_BUF + 8];
        const char *leaf = "";
        int f = 0;
        pathf(kp, sizeof kp, "%s.%s", path, node->keys[i]->value);
        if (config_key_applies(c, kp) ||
            (every_key && holds_default(rows, n_rows, kp, node->items[i])) ||
            (type_set && !ynode_from_set(node->items[i])))
            continue;
        type_reads(c, kp, &leaf, &f);
        const typed_section *ts = &typed_sections[f];
        int type = typed_type(c, f);
        char readers[256] = "", has[256] = "";
        for (int t = 0; t < ts->n_types; t++)
            if (find_name(typed_reads(f, t), leaf) >= 0)
                append(readers, sizeof readers, readers[0] ? ", %s" : "%s", ts->names[t]);
        const char *const *own = typed_reads(f, type);
        append(has, sizeof has, "%s", ts->always);
        for (int k = 0; own[k]; k++)
            append(has, sizeof has, ", %s", own[k]);
        int explicit_type = ynode_map_find(node, "type") >= 0;
        /* PyTorch's Adam(weight_decay=) and SGD(weight_decay=) add it to the
         * gradient: that is dlc's L2 */
        const char *l2 = f == TYPED_OPTIM && strcmp(leaf, "weight_decay") == 0
                             ? " (PyTorch's weight_decay on other optimizers is an L2 term in the "
                               "gradient: dlc's is train.l2, which adds (lambda / m) W)"
                             : "";
        return config_key_fail(err, node->keys[i], kp,
                               "not read by %s type %s%s, which would ignore it (it reads: %s); "
                               "type %s reads it%s",
                               ts->what, ts->names[type], explicit_type ? "" : " (the default)",
                               has, readers, l2);
    }
    return DLC_OK;
}

/* momentum's default depends on the type: 0.9 for type momentum (the
 * notes' beta), none for sgd (PyTorch's and Keras' SGD).  A config.yaml
 * written before sgd read a momentum lists every key (rho, beta2 beside
 * sgd): its momentum was type momentum's default, never sgd's. */
static dlc_status check_optimizer(const ynode *node, const char *path, dlc_config *c,
                                  dlc_error *err)
{
    optim_config *o = &c->train.optimizer;
    char kp[PATH_BUF + 16];
    int old_listing = ynode_map_find(node, "rho") >= 0 && ynode_map_find(node, "beta2") >= 0 &&
                      ynode_map_find(node, "nesterov") < 0;
    if (o->momentum < 0 || (o->type == OPT_SGD && old_listing))
        o->momentum = o->type == OPT_MOMENTUM ? 0.9 : 0.0;
    dlc_status st = check_type_keys(node, path, c, err);
    if (st != DLC_OK || o->type != OPT_SGD)
        return st;
    /* torch.optim.SGD refuses nesterov without a momentum or with dampening */
    const char *key = o->nesterov && o->momentum <= 0   ? "nesterov"
                      : o->nesterov && o->dampening > 0 ? "dampening"
                      : o->dampening > 0 && o->momentum <= 0 ? "dampening"
                                                               : NULL;
    if (!key)
        return DLC_OK;
    const ynode *at = ynode_map_get(node, key);
    pathf(kp, sizeof kp, "%s.%s", path, key);
    if (o->nesterov && o->momentum <= 0)
        return config_key_fail(err, at ? at : node, kp,
                               "nesterov needs a momentum above 0 (e.g. momentum: 0.9), as "
                               "PyTorch's SGD does");
    if (o->nesterov)
        return config_key_fail(err, at ? at : node, kp,
                               "nesterov needs dampening 0 (it is %g), as PyTorch's SGD does",
                               o->dampening);
    return config_key_fail(err, at ? at : node, kp,
                           "dampening is read only with a momentum above 0 (sgd without one would "
                           "ignore it)");
}

static dlc_status check_schedule(const ynode *node, const char *path, dlc_config *c,
                                 dlc_error *err)
{
    const schedule_config *s = &c->train.schedule;
    char kp[PATH_BUF + 8];
    dlc_status st = check_type_keys(node, path, c, err);
    if (st != DLC_OK)
        return st;
    pathf(kp, sizeof kp, "%s.points", path);
    if (s->type == SCHED_MANUAL && s->n_points == 0)
        return config_key_fail(err, node, kp,
                               "missing (schedule type manual needs [epoch, lr] points)");
    if (s->type != SCHED_MANUAL && s->n_points > 0) {
        const ynode *at = ynode_map_get(node, "points");
        return config_key_fail(err, at ? at : node, kp,
                               "points are only read by schedule type manual (this one is %s)",
                               sched_names[s->type]);
    }
    if (s->type != SCHED_COSINE && (s->warmup != 0 || s->final != 0)) {
        const char *key = s->warmup != 0 ? "warmup" : "final";
        const ynode *at = ynode_map_get(node, key);
        pathf(kp, sizeof kp, "%s.%s", path, key);
        return config_key_fail(err, at ? at : node, kp,
                               "%s is only read by schedule type cosine (this one is %s)", key,
                               sched_names[s->type]);
    }
    return DLC_OK;
}

static dlc_status check_detection(const ynode *node, const char *path, dlc_config *c,
                                  dlc_error *err)
{
    const data_detection_config *d = &c->data.detection;
    char kp[PATH_BUF + 16];
    if (d->n_flip > 0 && d->n_flip != d->landmarks) {
        pathf(kp, sizeof kp, "%s.flip_index", path);
        const ynode *at = ynode_map_get(node, "flip_index");
        return config_key_fail(err, at ? at : node, kp,
                               "lists %d landmarks, but data.detection.landmarks is %d", d->n_flip,
                               d->landmarks);
    }
    return DLC_OK;
}

/* Outputs once every loss is known: a detection key on an output whose loss
 * does not read it is refused, and the term weights left out take the
 * loss's defaults (loss_def.terms). */
static dlc_status finish_heads(dlc_config *c, const ynode *root, dlc_error *err)
{
    const ynode *model = ynode_map_get(root, "model");
    const ynode *outs = model ? ynode_map_get(model, "outputs") : NULL;
    char kp[PATH_BUF];
    for (int i = 0; i < c->n_heads; i++) {
        head_spec *h = &c->heads[i];
        const loss_def *L = loss_get(h->loss);
        const ynode *item = outs && outs->kind == YN_SEQ && i < outs->n ? outs->items[i] : NULL;
        if (item && item->kind != YN_MAP)
            item = NULL;
        for (int r = 0; r < N_ROWS; r++) {
            const config_key *k = &schema[r];
            if (!(k->flags & F_LOSS_KEY) || !config_schema_is_child(k, HEAD_PATTERN))
                continue;
            const ynode *v = item ? ynode_map_get(item, config_schema_name(k)) : NULL;
            if (v && L->target != LOSS_TARGET_OBJECTS) {
                pathf(kp, sizeof kp, "model.outputs.%d.%s", i, config_schema_name(k));
                return config_key_fail(err, v, kp,
                                       "only the detection losses (localize, landmarks, yolo) "
                                       "read it; this output's loss is %s", L->name);
            }
        }
        static const char *const term_keys[LOSS_TERMS] = {"coord_weight", "obj_weight",
                                                          "noobj_weight", "class_weight"};
        for (int t = 0; t < LOSS_TERMS; t++)
            if (!item || !ynode_map_get(item, term_keys[t]))
                h->opts.term[t] = L->terms[t];
    }
    /* early stopping on dev_accuracy reads the first output's per-epoch
     * accuracy: a yolo output's counts the objects found, not the false
     * positives (mAP is measured after training); landmarks have none */
    int yolo = c->n_heads > 0 && c->heads[0].loss == LOSS_YOLO;
    if (c->train.stop_metric == STOP_DEV_ACCURACY && c->n_heads > 0 &&
        (yolo || c->heads[0].loss == LOSS_LANDMARKS)) {
        const ynode *es = ynode_map_get(ynode_map_get(root, "train"), "early_stopping");
        const ynode *v = es ? ynode_map_get(es, "metric") : NULL;
        return config_key_fail(err, v ? v : root, "train.early_stopping.metric", "%s",
                               yolo ? "dev_accuracy of a yolo output is the share of objects "
                                      "its own cell and anchor find, blind to false positives "
                                      "(mAP is measured after training): use dev_loss"
                                    : "a landmarks output has no accuracy: use dev_loss");
    }
    return DLC_OK;
}

/* The top-level sections a dlc train config and a dlc embed config do not
 * share: an embed config has no model, loss, train or report; a model
 * config has no embed section. */
static const char *const model_only[] = {"model", "loss", "train", "report", NULL};

int config_section_applies(const dlc_config *c, const char *key)
{
    if (strcmp(key, "embed") == 0)
        return c->embed.on;
    if (strcmp(key, "stylize") == 0)
        return c->stylize.on;
    if (strcmp(key, "data") == 0 && c->no_data)
        return 0;
    return !(c->embed.on && find_name(model_only, key) >= 0);
}

static dlc_status check_embed(const ynode *node, const char *path, dlc_config *c, dlc_error *err)
{
    const ynode *root = node->parent;
    if (!c->embed.on || !root)
        return DLC_OK;
    for (int i = 0; model_only[i]; i++) {
        int k = ynode_map_find(root, model_only[i]);
        if (k >= 0)
            return config_key_fail(err, root->keys[k], model_only[i],
                                   "a config with an embed: section learns word vectors from its "
                                   "data and has no %s section",
                                   model_only[i]);
    }
    if (c->embed.min_lr > c->embed.lr) {
        const ynode *at = ynode_map_get(node, "min_lr");
        char kp[PATH_BUF + 8];
        pathf(kp, sizeof kp, "%s.min_lr", path);
        return config_key_fail(err, at ? at : node, kp, "must not exceed embed.lr (%g), got %g",
                               c->embed.lr, c->embed.min_lr);
    }
    if (c->data.format != DATA_TEXT) {
        const ynode *data = ynode_map_get(root, "data");
        return config_key_fail(err, data ? data : node, "data.format",
                               "embed: learns word vectors from text (format: text), not %s",
                               data_format_names[c->data.format]);
    }
    /* only window_lm scores a dev part, and none a test part: a split
     * nothing reads drops text */
    int lm = c->embed.method == EMBED_WINDOW_LM;
    const data_source *unread_file = c->data.test.file[0] ? &c->data.test
                                     : !lm && c->data.dev.file[0] ? &c->data.dev : NULL;
    if (unread_file) {
        int test = unread_file == &c->data.test;
        const ynode *at = ynode_map_get(ynode_map_get(root, "data"), test ? "test" : "dev");
        if (test)
            return config_key_fail(err, at ? at : node, "data.test",
                                   "dlc embed reads no test text (window_lm scores a dev part, "
                                   "no method a test part): nothing would read %s",
                                   unread_file->file);
        return config_key_fail(err, at ? at : node, "data.dev",
                               "%s reads no dev text (only window_lm scores one): nothing would "
                               "read %s", embed_method_names[c->embed.method], unread_file->file);
    }
    double unread = (lm ? 0 : c->data.split_dev) + c->data.split_test;
    if (unread > 0) {
        const ynode *split = ynode_map_get(ynode_map_get(root, "data"), "split");
        return config_key_fail(err, split ? split : node, "data.split",
                               "%s learns from the train part%s and reads no %s part: the split "
                               "would leave %.0f%% of the text unread; remove %s",
                               embed_method_names[c->embed.method], lm ? ", scores the dev part" : "",
                               lm ? "test" : "dev or test", 100.0 * unread,
                               lm ? "split.test" : "it");
    }
    return DLC_OK;
}

dlc_status config_schema_convert(dlc_config *c, ynode *root, const char *default_name,
                                 dlc_error *err)
{
    conv cv = {c, default_name, err};
    /* style transfer optimizes an image; it trains nothing and reads no data */
    const ynode *st = ynode_map_get(root, "stylize");
    c->no_data = !ynode_map_get(root, "data") && st && st->kind == YN_MAP && st->n > 0;
    c->embed.on = ynode_map_find(root, "embed") >= 0;
    dlc_status s = convert_section(&cv, "", root, "", c);
    if (s != DLC_OK)
        return s;
    /* heads: the top-level loss where a head names none */
    for (int i = 0; i < c->n_heads; i++) {
        if ((int)c->heads[i].loss < 0)
            c->heads[i].loss = c->loss;
        if (c->heads[i].opts.label_smoothing < 0)
            c->heads[i].opts.label_smoothing =
                c->heads[i].loss == LOSS_SOFTMAX_CE ? c->label_smoothing : 0;
    }
    if ((s = finish_heads(c, root, err)) != DLC_OK)
        return s;
    /* idx, image folders and text give one label per example: several
     * outputs read it only when each learns from class ids (a joint loss) */
    const ynode *model = ynode_map_get(root, "model");
    if (c->n_heads > 1 && c->data.format != DATA_CSV && c->data.format != DATA_DETECTION &&
        !config_shares_label(c)) {
        const ynode *at = model ? ynode_map_get(model, "outputs") : NULL;
        return config_key_fail(err, at ? at : root, "model.outputs",
                               "data.format %s gives one label per example: several outputs "
                               "share it only when each learns from class ids (idx or "
                               "image_folder data; other targets need csv label groups)",
                               data_format_names[c->data.format]);
    }
    /* a margin only where the loss has one (triplet, contrastive) */
    const ynode *outs = ynode_map_get(ynode_map_get(root, "model"), "outputs");
    for (int i = 0; i < c->n_heads && s == DLC_OK; i++) {
        const head_spec *h = &c->heads[i];
        if (h->margin < 0 || loss_get(h->loss)->default_margin > 0)
            continue;
        const ynode *item = outs && outs->kind == YN_SEQ && i < outs->n ? outs->items[i] : root;
        const ynode *at = ynode_map_get(item, "margin");
        char kp[PATH_BUF];
        pathf(kp, sizeof kp, "model.outputs.%d.margin", i);
        s = config_key_fail(err, at ? at : item, kp, "loss %s takes no margin (triplet and "
                                                     "contrastive do)", loss_names[h->loss]);
    }
    /* label smoothing only where the loss is the softmax cross-entropy */
    for (int i = 0; i < c->n_heads && s == DLC_OK; i++) {
        const head_spec *h = &c->heads[i];
        if (h->opts.label_smoothing == 0 || h->loss == LOSS_SOFTMAX_CE)
            continue;
        const ynode *item = outs && outs->kind == YN_SEQ && i < outs->n ? outs->items[i] : root;
        const ynode *at = ynode_map_get(item, "label_smoothing");
        if (!at) /* from the top level: it applies to the softmax heads only */
            continue;
        char kp[PATH_BUF];
        pathf(kp, sizeof kp, "model.outputs.%d.label_smoothing", i);
        s = config_key_fail(err, at ? at : item, kp, "loss %s takes no label smoothing "
                                                     "(softmax_cross_entropy does)", loss_names[h->loss]);
    }
    if (s == DLC_OK && c->label_smoothing > 0) {
        int softmax = 0;
        for (int i = 0; i < c->n_heads; i++)
            softmax |= c->heads[i].loss == LOSS_SOFTMAX_CE;
        if (!softmax)
            s = config_key_fail(err, ynode_map_get(root, "label_smoothing"), "label_smoothing",
                                "no output has the loss softmax_cross_entropy, the one it smooths");
    }
    /* image files are converted to the model's input when it is an image;
     * a pair model's input stacks two images on the channels (2C, H, W) */
    if (s == DLC_OK && c->input.ndim == 3) {
        c->data.image_shape = c->input;
        if (c->data.sampler.kind == DATA_SAMPLER_PAIRS && c->input.d[0] % 2 == 0)
            c->data.image_shape.d[0] /= 2;
    }
    return s;
}
