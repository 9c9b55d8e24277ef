/* onnx.h - a trained model as an ONNX file (https://onnx.ai), for the
 * runtimes people deploy with (ONNX Runtime, TensorRT, OpenVINO, ...).
 *
 * The exported graph computes what `dlc predict` computes from the same raw
 * input: the model's normalization x' = (x - shift) * scale folded in as
 * Sub and Mul, every layer as ONNX operators (one exporter per row of the
 * layer registry, see export.c), and the loss's link on the output.
 *
 *   input          float (N, data shape...), the raw values `dlc predict`
 *                  reads (image pixels 0..255, CSV features); text models:
 *                  "input_ids", int64 (N, T) token ids in [0, vocab)
 *   logits         the last layer's output (N, output shape...)
 *   probabilities  softmax (softmax_cross_entropy) or sigmoid (sigmoid_bce)
 *                  of the logits; an mse model has "output" instead of both
 *
 * N is a dynamic axis.  metadata_props carry "classes" and "vocab" (JSON
 * arrays of strings), "loss", "input_shape" and "dlc_config" (the run's
 * resolved config).
 */
#ifndef DLC_ONNX_H
#define DLC_ONNX_H

#include <stdint.h>

#include "../train/model.h"

#define ONNX_OPSET_MIN 13
#define ONNX_OPSET_MAX 21
#define ONNX_OPSET_DEFAULT 17

typedef struct {
    int opset;                    /* ONNX_OPSET_MIN .. ONNX_OPSET_MAX */
    const char *producer_version; /* dlc's version, for the file's producer field */
    const char *source;           /* the model file it came from, for doc_string; may be NULL */
} onnx_export_opts;

/* Writes m to path atomically.  DLC_EINPUT names the first layer that has no
 * ONNX form (nothing is written then) or a bad opset; DLC_EIO a write failure. */
dlc_status onnx_export(model *m, const char *path, const onnx_export_opts *opts, dlc_error *err);

/* Why a layer kind (op_kind) cannot be exported, or NULL when it can. */
const char *onnx_op_unsupported(int op);

/* ---- reading ONNX files (read.c) ----
 * What `dlc import` and the node-test runner need of a ModelProto, in plain
 * structs that own their memory (onnx_model_free).  Tensors of float types
 * (float, double, float16, bfloat16) are read into f, integer and bool ones into i. */
#define ONNX_MAX_DIMS 8

typedef struct {
    char *name;
    int dtype;                  /* TensorProto.DataType: 1 float, 7 int64, ... */
    int ndim;
    int64_t dims[ONNX_MAX_DIMS];
    size_t n;                   /* elements */
    float *f;                   /* (n) for float and double tensors, else NULL */
    int64_t *i;                 /* (n) for integer and bool tensors, else NULL */
} onnx_tensor;

typedef struct {
    char *name;
    int type;                   /* AttributeProto.AttributeType */
    float f;
    int64_t i;
    char *s;
    onnx_tensor *t;
    int n_floats, n_ints, n_strings;
    float *floats;
    int64_t *ints;
    char **strings;
} onnx_attr;

typedef struct {
    char *op, *name, *domain;
    int n_in, n_out, n_attr;
    char **in, **out;           /* "" for an omitted optional input */
    onnx_attr *attr;
} onnx_node;

typedef struct {
    char *name;
    int dtype, has_shape, ndim;
    int64_t dims[ONNX_MAX_DIMS]; /* -1: symbolic (dim_param) or unknown */
} onnx_value;

typedef struct {
    int64_t ir_version, opset;  /* opset of the default domain (0: none given) */
    char *producer;
    int n_nodes, n_inits, n_inputs, n_outputs, n_meta;
    onnx_node *nodes;
    onnx_tensor *inits;
    onnx_value *inputs, *outputs;
    char **meta_keys, **meta_values;
} onnx_model;

/* Parses bytes (name for messages).  DLC_EINPUT names what is malformed or
 * unsupported (external data, data types dlc does not read).  onnx_read_file
 * also reads tensors kept in external data files, from the file's folder. */
dlc_status onnx_read(onnx_model **out, const char *name, const unsigned char *bytes, size_t len,
                     dlc_error *err);
dlc_status onnx_read_file(onnx_model **out, const char *path, dlc_error *err);
void onnx_model_free(onnx_model *m);
/* A TensorProto file (the node tests' input_0.pb). */
dlc_status onnx_read_tensor(onnx_tensor *t, const char *name, const unsigned char *bytes, size_t len,
                            dlc_error *err);
void onnx_tensor_clear(onnx_tensor *t);
/* Lookups (NULL when absent). */
const onnx_attr *onnx_attr_get(const onnx_node *n, const char *name);
const onnx_tensor *onnx_init_get(const onnx_model *m, const char *name);
const char *onnx_meta_get(const onnx_model *m, const char *key);

/* ---- importing (import.c) ---- */

/* A Resize node's mode as dlc's upsample computes it: NULL with
 * *align_corners for mode linear (1: coordinate_transformation_mode
 * align_corners, 0: half_pixel or pytorch_half_pixel) or nearest read as
 * floor(o / f); else what dlc's upsample does not do. */
const char *onnx_resize_mode(const onnx_node *n, int *align_corners);

/* A ConvTranspose node's window along spatial axis i of nsp, for an input of
 * n positions and kernel k: stride, dilation, and dlc's padding (cropped
 * from both ends) and output_padding (added at the end) that take the same
 * window of the full transposed output as the node's pads, auto_pad SAME
 * or output_shape; *same = 1 when that window is also dlc's `padding: same`
 * (TensorFlow's crop, the odd one at the end).  NULL, or what dlc cannot
 * express: then *same says whether `same` can (every axis must agree). */
const char *onnx_conv_transpose_window(const onnx_node *n, int nsp, int i, int64_t nin, int64_t k, int64_t *stride,
                                       int64_t *dilation, int64_t *pad, int64_t *out_pad, int *same);

typedef struct {
    float scale;                /* --scale S: inputs times S before mean and std (0: none) */
    int n_mean, n_std;          /* --mean / --std: one value, or one per channel */
    float mean[16], std[16];
    int n_input;                /* --input: the example's shape (0: the file's), for the dims the
                                 * file leaves free (an export with dynamic height and width) */
    int input[TENSOR_MAX_DIMS];
    const char *name;           /* the run's name */
} onnx_import_opts;

/* Reads the ONNX file at path into m: the layers as a config (m->config_yaml,
 * resolved), the weights, and the normalization ((x * scale - mean) / std per
 * channel from opts, or the file's own leading Sub/Mul); classes from the
 * file's metadata.  DLC_EINPUT lists every op dlc has no layer for, or names
 * the node whose use dlc cannot express.  note (note_len bytes) gets what the
 * user should know of a successful import ("" when nothing), e.g. batch norms
 * of ONNX momentum 1 (PyTorch's momentum=None) given dlc's default for training. */
dlc_status onnx_import(model *m, const char *path, const onnx_import_opts *o, char *note, size_t note_len,
                       dlc_error *err);

/* ONNX's LSTM, GRU (linear_before_reset=0) or RNN weights W (dirs, G*H, D),
 * R (dirs, G*H, H) and B (dirs, 2*G*H, or NULL) of direction d in dlc's
 * layout: wih (G*H, D), whh (G*H, H), b (G*H), gates in dlc's order (see
 * src/layers/recurrent.c) and one bias per gate. */
void onnx_rnn_weights(const char *op, const onnx_tensor *W, const onnx_tensor *R, const onnx_tensor *B, int d,
                      float *wih, float *whh, float *b, float *bhn);

#endif
