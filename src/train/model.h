/* model.h - a trained or trainable model: the graph plus everything needed to
 * use it on new inputs (input shape, normalization, class names, loss), and
 * its file form, model.safetensors.
 *
 * The file holds every parameter and buffer under its graph name
 * ("dense_1.weight", PyTorch layout), the normalization as "norm.shift" and
 * "norm.scale" (x' = (x - shift) * scale), and metadata: "format"
 * ("dlc-model-1"), "config" (the resolved YAML the graph is rebuilt from),
 * "classes" (a JSON array), "loss", "input" and "data_shape" (JSON arrays of dims).
 */
#ifndef DLC_MODEL_H
#define DLC_MODEL_H

#include "../config/config.h"
#include "../data/data.h"
#include "../graph/graph.h"
#include "../io/io.h"
#include "../loss/loss.h"

typedef struct {
    graph *g;
    loss_kind loss;
    tensor_shape input;     /* per-sample model input */
    tensor_shape data_shape; /* per-example shape of the data, e.g. (C, H, W) images
                              * for an input of (784); `predict` reads images to it */
    int fused_link;         /* the last layer's activation was the loss's link, folded into it */
    data_norm norm;         /* applied to every input */
    dlc_strlist classes;    /* class names in id order, may be empty */
    size_t n_targets;       /* targets per example the loss expects */
    char *config_yaml;      /* resolved configuration (owned), may be NULL */
    dlc_strlist vocab;      /* text models: token strings by id ("vocab" metadata), else empty */
    int stateful;           /* a stateful language model: evaluation carries the state */
    int streams;            /* its runs side by side in evaluation: the train batch size */
} model;

/* Builds the graph for cfg with batch capacity nmax.  data_shape: per-example
 * shape of the data (used when the config gives no model.input; otherwise
 * the sizes must agree).  n_classes: classes of a classification task (0 if
 * none).  Parameters are not initialised: call graph_init_params or
 * model_load_weights.  Errors name the config line of the layer at fault. */
dlc_status model_build(model *m, const dlc_config *cfg, const tensor_shape *data_shape,
                       int n_classes, int nmax, dlc_error *err);
/* The same for a text model: vocab_size replaces `vocab: auto` in embedding
 * layers (0: none given), and n_classes `units: auto` in the output layer. */
dlc_status model_build_vocab(model *m, const dlc_config *cfg, const tensor_shape *data_shape,
                             int n_classes, int vocab_size, int nmax, dlc_error *err);
void model_free(model *m);

/* Writes model.safetensors (parameters, normalization, metadata) atomically. */
dlc_status model_save(const model *m, const char *path, dlc_error *err);

/* Loads a model file: rebuilds the graph from its config (overrides may be
 * NULL), then parameters, normalization and classes. */
dlc_status model_load(model *m, const char *path, int nmax, dlc_error *err);
/* The same with another per-sample input shape (NULL: the stored one), for
 * models that take any sequence length: a language model generating text
 * one token at a time is loaded with input (1).  The normalization becomes
 * the identity of the new size (text models have none). */
dlc_status model_load_input(model *m, const char *path, int nmax, const tensor_shape *input,
                            dlc_error *err);

/* Copies parameters (and buffers) by name from a loaded file; every graph
 * parameter must be present with the same shape. prefix: "" or e.g. "best.". */
dlc_status model_copy_params(model *m, const io_st *st, const char *prefix, dlc_error *err);

/* Runs the model in evaluation mode over split s, in batches of at most
 * g->nmax, calling fn with each batch's outputs (N, out size) and targets
 * (N, n_targets); rows are split rows start .. start+N-1.  t is scratch of
 * nmax * n_targets floats.  A stateful language model reads the split as
 * runs side by side (as many as it trained with, at most g->nmax) with the
 * state carried (data_plan); its rows are then not consecutive and start is
 * -1. */
typedef void (*model_batch_fn)(void *user, const float *out, const float *targets, int start, int N);
void model_run(model *m, const data_split *s, float *t, model_batch_fn fn, void *user);

/* Mean loss and accuracy of the model over split s (accuracy NaN for mse;
 * both NaN for an empty split). */
void model_evaluate(model *m, const data_split *s, float *t, double *loss, double *accuracy);

#endif
