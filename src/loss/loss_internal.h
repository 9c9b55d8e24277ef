/* loss_internal.h - private to src/loss: the detection rows of the loss
 * table (detect_loss.c), which loss.c's table names. */
#ifndef DLC_LOSS_INTERNAL_H
#define DLC_LOSS_INTERNAL_H

#include "loss.h"

size_t loss_objects_size(const tensor_shape *out, const loss_opts *o);
const char *loss_localize_shape(const tensor_shape *out, const loss_opts *o);
const char *loss_landmarks_shape(const tensor_shape *out, const loss_opts *o);
const char *loss_yolo_shape(const tensor_shape *out, const loss_opts *o);
void loss_localize(const loss_call *c, loss_stats *st);
void loss_landmarks(const loss_call *c, loss_stats *st);
void loss_yolo(const loss_call *c, loss_stats *st);

#endif
