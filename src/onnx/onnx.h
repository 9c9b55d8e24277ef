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

#endif
