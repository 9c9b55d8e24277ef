/* graphtest.h - building small graphs in tests without a config file. */
#ifndef DLC_GRAPHTEST_H
#define DLC_GRAPHTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "../../src/graph/graph.h"

/* A layer spec with the config's defaults. */
static inline layer_spec gt_spec(const char *type, const char *name)
{
    layer_spec s;
    memset(&s, 0, sizeof s);
    strncpy(s.type, type, sizeof s.type - 1);
    strncpy(s.name, name, sizeof s.name - 1);
    s.op = graph_op_find(type);
    s.trainable = 1;
    s.activation = ACT_LINEAR;
    s.alpha = 0.01f;
    s.slope = 1.0f / 6.0f;
    s.offset = 0.5f;
    s.init = INIT_AUTO;
    s.use_bias = 1;
    s.momentum = 0.9f;
    s.eps = 1e-5f;
    s.count_include_pad = 1;
    s.groups = 1;
    return s;
}

static inline void gt_inputs(layer_spec *s, const char *a, const char *b)
{
    s->n_inputs = 0;
    if (a)
        strncpy(s->inputs[s->n_inputs++], a, GRAPH_NAME_MAX - 1);
    if (b)
        strncpy(s->inputs[s->n_inputs++], b, GRAPH_NAME_MAX - 1);
}

/* Builds a graph of n layers for batches of up to N; fails the test on error. */
static inline graph *gt_build(const tensor_shape *in, layer_spec *s, int n, int N)
{
    graph *g = NULL;
    dlc_error err = {0};
    if (graph_build(&g, in, s, n, NULL, 0, N, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    return g;
}

/* Sets parameter `name` (e.g. "lstm.weight_ih") to v (n values); fails the
 * test when there is no such parameter or its size differs. */
static inline void gt_set_param(graph *g, const char *name, const float *v, size_t n)
{
    int id = graph_param_find(g, name);
    if (id < 0) {
        print_error("no parameter %s\n", name);
        fail();
    }
    assert_int_equal(g->params[id].n, n);
    memcpy(g->params[id].data, v, sizeof(float) * n);
}

/* The gradient of parameter `name`. */
static inline const float *gt_param_grad(graph *g, const char *name)
{
    int id = graph_param_find(g, name);
    assert_true(id >= 0);
    return g->params[id].grad;
}

#endif
