/* slice.c - parts of one per-sample axis: slice (one range of it) and split
 * (several pieces; heads that read part of a feature vector, such as YOLO's
 * box and class scores).
 *
 * A sample is seen along `axis` as (outer, L, inner): L the axis length.
 *   slice: x (N, outer, L, inner) -> y (N, outer, E - S, inner), the indices
 *          S <= j < E of the axis.  start and end read as Python's x[start:end]
 *          (negative counts from the end, a missing end is the axis length),
 *          except that a range reaching outside the axis, or an empty one,
 *          is refused instead of cut.
 *   split: y = x.  The node checks that its sizes fit the axis; the config
 *          turns each piece into a slice node <split>_<k> that reads it (see
 *          config's convert_layers), so consumers name the pieces.
 * The time axis of a sequence (axis 0 of a seq node) cannot be sliced:
 * padding sits at its end. */
#include <string.h>

#include "layers.h"

/* The axis of x that n cuts, checked: DLC_OK and *L its length. */
static dlc_status cut_axis(graph *g, graph_node *n, int *L, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    int axis = n->spec.axis;
    char shape[64];
    if (axis < 0 || axis >= x->shape.ndim)
        return layer_fail(n, err, "axis %d is outside the %d axes of its input %s", axis,
                          x->shape.ndim, tensor_shape_str(&x->shape, shape, sizeof shape));
    if (x->seq && axis == 0)
        return layer_fail(n, err,
                          "axis 0 of '%s' is time (a sequence padded at its end); cut the "
                          "features (axis 1) instead",
                          x->spec.name);
    n->shape = x->shape;
    n->seq = x->seq;
    *L = x->shape.d[axis];
    return DLC_OK;
}

/* The range [*S, *E) of an axis of length L that n's start and end name. */
static dlc_status slice_range(const graph_node *n, int L, int *S, int *E, dlc_error *err)
{
    long s = n->spec.start, e = n->spec.end == GRAPH_SLICE_END ? L : n->spec.end;
    if (s < 0)
        s += L;
    if (e < 0)
        e += L;
    if (s < 0 || s >= L)
        return layer_fail(n, err, "start %d is outside axis %d of length %d (valid: %d to %d)",
                          n->spec.start, n->spec.axis, L, -L, L - 1);
    if (e < 0 || e > L)
        return layer_fail(n, err, "end %d is outside axis %d of length %d (valid: %d to %d, or null)",
                          n->spec.end, n->spec.axis, L, -L, L);
    if (e <= s)
        return layer_fail(n, err, "start %d and end %d leave nothing of axis %d (length %d)",
                          n->spec.start, n->spec.end, n->spec.axis, L);
    *S = (int)s;
    *E = (int)e;
    return DLC_OK;
}

dlc_status slice_build(graph *g, graph_node *n, dlc_error *err)
{
    int L = 0, S, E;
    dlc_status st = cut_axis(g, n, &L, err);
    if (st == DLC_OK)
        st = slice_range(n, L, &S, &E, err);
    if (st == DLC_OK)
        n->shape.d[n->spec.axis] = E - S;
    return st;
}

/* Copies the range of the axis from x to y (forward) or adds y's gradient
 * into x's (backward). */
static void slice_rows(graph *g, graph_node *n, int N, int backward)
{
    graph_node *x = graph_in(g, n, 0);
    int L = x->shape.d[n->spec.axis], S, E;
    dlc_error err;
    slice_range(n, L, &S, &E, &err); /* checked at build */
    size_t outer, inner;
    layer_axis_geometry(&x->shape, n->spec.axis, &outer, &inner);
    size_t rows = (size_t)N * outer, len = (size_t)(E - S) * inner;
    size_t x_row = (size_t)L * inner, at = (size_t)S * inner;
    for (size_t r = 0; r < rows; r++) {
        if (backward)
            tensor_axpy(x->grad + r * x_row + at, 1.0f, n->grad + r * len, len);
        else
            memcpy(n->out + r * len, x->out + r * x_row + at, sizeof(float) * len);
    }
}

void slice_forward(graph *g, graph_node *n, int N)
{
    slice_rows(g, n, N, 0);
}

void slice_backward(graph *g, graph_node *n, int N)
{
    if (graph_wants_grad(g, n, 0))
        slice_rows(g, n, N, 1);
}

dlc_status split_build(graph *g, graph_node *n, dlc_error *err)
{
    int L = 0;
    dlc_status st = cut_axis(g, n, &L, err);
    if (st != DLC_OK)
        return st;
    const layer_spec *s = &n->spec;
    if (s->n_sizes < 2 || s->n_sizes > GRAPH_MAX_PIECES)
        return layer_fail(n, err, "sizes: needs 2 to %d pieces, got %d", GRAPH_MAX_PIECES,
                          s->n_sizes);
    long known = 0;
    int rest = 0;
    for (int k = 0; k < s->n_sizes; k++) {
        if (s->sizes[k] == -1 && !rest)
            rest = 1;
        else if (s->sizes[k] >= 1)
            known += s->sizes[k];
        else
            return layer_fail(n, err, "sizes: pieces are positive lengths (one may be -1: the rest)");
    }
    const char *x = graph_in(g, n, 0)->spec.name;
    if (rest && known >= L)
        return layer_fail(n, err, "sizes add up to %ld, leaving nothing for the -1 piece of axis %d "
                                  "of '%s' (length %d)",
                          known, s->axis, x, L);
    if (!rest && known != L)
        return layer_fail(n, err, "sizes add up to %ld, but axis %d of '%s' has length %d", known,
                          s->axis, x, L);
    return DLC_OK;
}
