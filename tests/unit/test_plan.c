/* test_plan.c - the memory plan (src/graph/plan.h): buffers share memory by
 * their lifetimes, results are bit-identical to every buffer in its own
 * memory, and poisoning each buffer with NaN when its lifetime ends proves
 * that no buffer is read after it (a planted early end is caught). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/graph/plan.h"
#include "../../src/train/model.h"
#include "../../src/train/train.h"
#include "testutil.h"

/* A small residual network touching every kind of buffer the plan places:
 * convolutions (one by Winograd F(4x4, 3x3)), batchnorm (kept x-hat) with fused ReLUs, max pooling
 * (kept winners), a residual add, an activation node whose input is read
 * after it (not in place) and one whose input is not (in place), multiply
 * (keeps its inputs), a 1x1 projection, flatten (in place), gelu (kept z),
 * sigmoid (kept y), dense, layernorm, and a second output head reading an
 * inner layer. */
static const char *tiny_resnet =
    "name: tiny\n"
    "data: {format: csv, train: {file: a.csv}, label: {main: y, side: [u, v]}}\n"
    "model:\n"
    "  input: [3, 8, 8]\n"
    "  layers:\n"
    "    - {name: c1, type: conv2d, filters: 8, kernel: 3, padding: 1, use_bias: false}\n"
    "    - {name: b1, type: batchnorm, activation: relu}\n"
    "    - {name: p1, type: maxpool, kernel: 2}\n"
    "    - {name: c2, type: conv2d, filters: 8, kernel: 3, padding: 1, use_bias: false, algorithm: winograd_4x4}\n"
    "    - {name: b2, type: batchnorm, activation: relu}\n"
    "    - {name: c3, type: conv2d, filters: 8, kernel: 3, padding: 1, use_bias: false}\n"
    "    - {name: b3, type: batchnorm}\n"
    "    - {name: gate, type: sigmoid, inputs: [b3]}\n"
    "    - {name: sum, type: add, inputs: [b3, p1]}\n"
    "    - {name: gated, type: multiply, inputs: [sum, gate]}\n"
    "    - {name: act, type: relu}\n"
    "    - {name: proj, type: conv2d, filters: 6, kernel: 1, stride: 2}\n"
    "    - {name: flat, type: flatten}\n"
    "    - {name: fc1, type: dense, units: 12, activation: gelu}\n"
    "    - {name: ln, type: layernorm}\n"
    "    - {name: fc2, type: dense, units: 7, activation: sigmoid}\n"
    "    - {name: fc3, type: dense, units: 3}\n"
    "    - {name: side, type: dense, units: 2, inputs: [flat]}\n"
    "  outputs:\n"
    "    - {layer: fc3, name: main}\n"
    "    - {layer: side, name: side, loss: mse}\n";

/* Residual blocks as ResNet's: add, then a ReLU node (and a leaky one)
 * that graph_build folds into the add; a third add is read twice, so its
 * ReLU stays apart; `joined` adds with its own ReLU. */
static const char *tiny_residual =
    "name: res\n"
    "data: {format: csv, train: {file: a.csv}, label: {main: y, side: [u, v]}}\n"
    "model:\n"
    "  input: [4, 6, 6]\n"
    "  layers:\n"
    "    - {name: c1, type: conv2d, filters: 4, kernel: 3, padding: 1, use_bias: false}\n"
    "    - {name: b1, type: batchnorm, activation: relu}\n"
    "    - {name: c2, type: conv2d, filters: 4, kernel: 3, padding: 1, use_bias: false}\n"
    "    - {name: b2, type: batchnorm}\n"
    "    - {name: sum1, type: add, inputs: [b2, b1]}\n"
    "    - {name: out1, type: relu}\n"
    "    - {name: c3, type: conv2d, filters: 4, kernel: 1}\n"
    "    - {name: sum2, type: add, inputs: [c3, out1]}\n"
    "    - {name: out2, type: leaky_relu, alpha: 0.1}\n"
    "    - {name: sum3, type: add, inputs: [out2, c3]}\n"
    "    - {name: out3, type: relu}\n"
    "    - {name: joined, type: add, inputs: [out3, sum3], activation: relu}\n"
    "    - {name: flat, type: flatten}\n"
    "    - {name: fc, type: dense, units: 3}\n"
    "    - {name: side, type: dense, units: 2, inputs: [out1]}\n"
    "  outputs:\n"
    "    - {layer: fc, name: main}\n"
    "    - {layer: side, name: side, loss: mse}\n";

static void build(model *m, const char *yaml, const graph_build_options *o)
{
    dlc_config cfg;
    dlc_error err = {0};
    if (config_load_string(&cfg, "tiny.yaml", yaml, strlen(yaml), NULL, 0, &err) != DLC_OK ||
        model_build_opts(m, &cfg, NULL, NULL, 0, o, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    config_free(&cfg);
}

static graph_build_options opts(int nmax, int layout, int poison)
{
    graph_build_options o;
    memset(&o, 0, sizeof o);
    o.nmax = o.eval_max = nmax;
    o.layout = layout;
    o.poison = poison;
    return o;
}

/* Everything a training step produces, copied out. */
typedef struct {
    float *grads;    /* the parameter gradients, whole block */
    float *params;   /* after the running statistics moved */
    float *dx;       /* the input's gradient */
    float *out[2];   /* both heads' outputs */
    float *eval[2];  /* both heads' outputs in an evaluation pass */
} step_result;

static void result_free(step_result *r)
{
    free(r->grads);
    free(r->params);
    free(r->dx);
    for (int h = 0; h < 2; h++) {
        free(r->out[h]);
        free(r->eval[h]);
    }
}

static float *copy(const float *x, size_t n)
{
    float *c = malloc(sizeof(float) * (n ? n : 1));
    assert_non_null(c);
    memcpy(c, x, sizeof(float) * n);
    return c;
}

/* Parameters from one seed, the input's gradient wanted (which plans
 * again: plant bugs in the plan after this). */
static void prepare(graph *g)
{
    dlc_rng rng;
    dlc_rng_seed(&rng, 11, 0);
    graph_init_params(g, &rng);
    assert_int_equal(graph_set_input_grad(g, 1, NULL), DLC_OK);
}

/* Two training steps (the second on other inputs, in memory the first one
 * left dirty), an evaluation pass between them, the second step's results
 * kept.  The same seeds for every graph. */
static void run_steps(graph *g, int N, step_result *r)
{
    dlc_rng rng;
    dlc_rng_seed(&rng, 12, 0);
    for (int step = 0; step < 2; step++) {
        float *x = graph_input(g, 0);
        for (size_t j = 0; j < (size_t)N * g->nodes[0].size; j++)
            x[j] = (float)dlc_rng_normal(&rng);
        if (step == 1) {
            graph_forward_eval(g, N);
            for (int h = 0; h < 2; h++) {
                graph_node *o = graph_output(g, h);
                r->eval[h] = copy(o->out, (size_t)N * o->size);
            }
        }
        graph_forward(g, N, 1);
        graph_zero_grad(g);
        for (int h = 0; h < 2; h++) {
            graph_node *o = graph_output(g, h);
            for (size_t j = 0; j < (size_t)N * o->size; j++)
                o->grad[j] = (float)dlc_rng_normal(&rng);
        }
        graph_backward(g, N);
    }
    r->grads = copy(g->grad_block, g->n_grads);
    r->params = copy(g->param_block, g->n_weights);
    r->dx = copy(g->nodes[0].grad, (size_t)N * g->nodes[0].size);
    for (int h = 0; h < 2; h++) {
        graph_node *o = graph_output(g, h);
        r->out[h] = copy(o->out, (size_t)N * o->size);
    }
}

/* A graph of this config in this layout, prepared and run. */
static void run_config(model *m, const char *yaml, int N, const graph_build_options *o, step_result *r)
{
    build(m, yaml, o);
    prepare(m->g);
    run_steps(m->g, N, r);
}

static void run_model(model *m, int N, int layout, int poison, step_result *r)
{
    graph_build_options o = opts(N, layout, poison);
    run_config(m, tiny_resnet, N, &o, r);
}

static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* Bit for bit: the planned layout computes what separate buffers compute. */
static void assert_same(const graph *g, int N, const step_result *a, const step_result *b,
                        const char *what)
{
    size_t sizes[2] = {graph_output((graph *)g, 0)->size, graph_output((graph *)g, 1)->size};
    int same = memcmp(a->grads, b->grads, sizeof(float) * g->n_grads) == 0 &&
               memcmp(a->params, b->params, sizeof(float) * g->n_weights) == 0 &&
               memcmp(a->dx, b->dx, sizeof(float) * (size_t)N * g->nodes[0].size) == 0;
    for (int h = 0; h < 2; h++)
        same = same && memcmp(a->out[h], b->out[h], sizeof(float) * (size_t)N * sizes[h]) == 0 &&
               memcmp(a->eval[h], b->eval[h], sizeof(float) * (size_t)N * sizes[h]) == 0;
    if (!same) {
        for (int p = 0; p < g->n_params; p++) {
            const graph_param *gp = &g->params[p];
            if (!gp->grad)
                continue;
            size_t off = (size_t)(gp->grad - g->grad_block);
            for (size_t i = 0; i < gp->n; i++)
                if (memcmp(&a->grads[off + i], &b->grads[off + i], sizeof(float)) != 0) {
                    print_error("%s: %s grad[%zu] %.9g vs %.9g\n", what, gp->name, i,
                                a->grads[off + i], b->grads[off + i]);
                    break;
                }
        }
        print_error("%s: results differ\n", what);
        fail();
    }
}

static void test_bit_identical(void **state)
{
    const int N = 5;
    model planned, separate;
    step_result a = {0}, b = {0};
    run_model(&planned, N, GRAPH_LAYOUT_PLANNED, 0, &a);
    run_model(&separate, N, GRAPH_LAYOUT_SEPARATE, 0, &b);
    assert_true(all_finite(a.grads, planned.g->n_grads));
    assert_true(tensor_sumsq(a.dx, (size_t)N * planned.g->nodes[0].size) > 0.0);
    assert_same(planned.g, N, &a, &b, "planned against separate");
    /* and the plan did share memory */
    graph_memory mp, ms;
    graph_memory_of(planned.g, &mp);
    graph_memory_of(separate.g, &ms);
    assert_true(mp.train_arena < ms.train_arena);
    result_free(&a);
    result_free(&b);
    model_free(&planned);
    model_free(&separate);
}

/* Every buffer its own memory, each filled with NaN when its live range
 * ends: a read after the end would bring a NaN into the results.  They are
 * finite and equal to the planned ones; with poison in the planned layout
 * too. */
/* The three runs of yaml: planned, each buffer its own and poisoned, planned
 * and poisoned; the poisoned ones finite, learning something, and bit for
 * bit the first. */
static void assert_poison_safe(const char *yaml, int N)
{
    model ref, poisoned, planned_poisoned;
    step_result a = {0}, b = {0}, c = {0};
    graph_build_options o = opts(N, GRAPH_LAYOUT_PLANNED, 0);
    run_config(&ref, yaml, N, &o, &a);
    o = opts(N, GRAPH_LAYOUT_SEPARATE, 1);
    run_config(&poisoned, yaml, N, &o, &b);
    o = opts(N, GRAPH_LAYOUT_PLANNED, 1);
    run_config(&planned_poisoned, yaml, N, &o, &c);
    assert_true(all_finite(b.grads, poisoned.g->n_grads));
    assert_true(tensor_sumsq(a.grads, ref.g->n_grads) > 0.0);
    assert_same(ref.g, N, &a, &b, "separate with poison");
    assert_same(ref.g, N, &a, &c, "planned with poison");
    result_free(&a);
    result_free(&b);
    result_free(&c);
    model_free(&ref);
    model_free(&poisoned);
    model_free(&planned_poisoned);
}

static void test_poison_no_read_after_lifetime(void **state)
{
    (void)state;
    assert_poison_safe(tiny_resnet, 4);
}

/* The live range of node name's buffer of kind k in plan p. */
static const plan_store *range_of(const graph *g, const graph_plan *p, const char *name, plan_kind k)
{
    int i = graph_find(g, name);
    assert_true(i >= 0);
    int s = p->store_of[(size_t)i * PLAN_KINDS + (size_t)k];
    assert_true(s >= 0);
    return &p->stores[s];
}

static void assert_range(const plan_store *s, int first, int last)
{
    if (s->first != first || s->last != last) {
        print_error("range [%d, %d], expected [%d, %d]\n", s->first, s->last, first, last);
        fail();
    }
}

/* A multiply of 40 inputs (a layer takes up to 64): its backward reads every
^ * input, the 33rd and later too (a 32-bit mask of the inputs it saves kept
 * only the first 32, and shifting it by 32 or more is undefined).  The
 * branches are linear, so nothing but the multiply keeps their outputs.
 * With every buffer poisoned when its range ends the results are finite and
 * the planned ones. */
static void test_wide_multiply_keeps_every_input(void **state)
{
    (void)state;
    enum { WIDE = 40 };
    char yaml[8192];
    int at = snprintf(yaml, sizeof yaml,
                      "name: wide\n"
                      "data: {format: csv, train: {file: a.csv}, label: {main: y, side: [u, v]}}\n"
                      "model:\n"
                      "  input: [5]\n"
                      "  layers:\n"
                      "    - {name: fc0, type: dense, units: 4}\n");
    for (int k = 0; k < WIDE; k++)
        at += snprintf(yaml + at, sizeof yaml - (size_t)at,
                       "    - {name: d%d, type: dense, units: 4, inputs: [fc0]}\n", k);
    at += snprintf(yaml + at, sizeof yaml - (size_t)at, "    - {name: prod, type: multiply, inputs: [");
    for (int k = 0; k < WIDE; k++)
        at += snprintf(yaml + at, sizeof yaml - (size_t)at, "%sd%d", k ? ", " : "", k);
    snprintf(yaml + at, sizeof yaml - (size_t)at,
             "]}\n"
             "    - {name: fc, type: dense, units: 3}\n"
             "    - {name: side, type: dense, units: 2, inputs: [prod]}\n"
             "  outputs:\n"
             "    - {layer: fc, name: main}\n"
             "    - {layer: side, name: side, loss: mse}\n");
    assert_poison_safe(yaml, 3);
}

/* Live ranges as plan.h states them, in the layout that joins nothing: an
 * output a convolution's dW or a batchnorm (which recomputes x-hat from it)
 * reads lives to that backward, and batchnorm's aux (1/sigma and the mean);
 * a gradient lives from its last consumer's backward to its own; the
 * evaluation plan keeps nothing for a backward. */
static void test_live_ranges(void **state)
{
    model m;
    graph_build_options o = opts(4, GRAPH_LAYOUT_SEPARATE, 0);
    build(&m, tiny_resnet, &o);
    const graph *g = m.g;
    const graph_plan *t = &g->mem->train, *e = &g->mem->eval;
    const int n = g->n_nodes;
#define F(name) plan_step_forward(graph_find(g, name))
#define B(name) plan_step_backward(n, graph_find(g, name))
    assert_range(range_of(g, t, "c1", PLAN_OUT), F("c1"), B("b1"));
    assert_range(range_of(g, t, "p1", PLAN_OUT), F("p1"), B("c2"));
    assert_range(range_of(g, t, "b2", PLAN_AUX), F("b2"), B("b2"));
    /* b3 feeds gate and sum: sum, the first of them to run backward,
     * overwrites its gradient (never cleared), gate adds to it; flat feeds
     * two dense layers, which add: cleared before the first (side) */
    assert_range(range_of(g, t, "b3", PLAN_GRAD), B("sum"), B("b3"));
    assert_false(range_of(g, t, "b3", PLAN_GRAD)->clear);
    assert_true(graph_assigns_grad(g, &g->nodes[graph_find(g, "sum")], 0));
    assert_false(graph_assigns_grad(g, &g->nodes[graph_find(g, "gate")], 0));
    assert_true(range_of(g, t, "flat", PLAN_GRAD)->clear);
    assert_range(range_of(g, t, "gate", PLAN_OUT), F("gate"), B("gate"));
    assert_range(range_of(g, e, "b2", PLAN_AUX), F("b2"), F("b2"));
    assert_range(range_of(g, e, "p1", PLAN_OUT), F("p1"), F("sum"));
    for (int i = g->n_inputs; i < n; i++)
        assert_int_equal(e->store_of[(size_t)i * PLAN_KINDS + PLAN_GRAD] < 0, 1);
#undef F
#undef B
    model_free(&m);
}

/* In place where plan.h allows it: flatten takes its input's memory, a ReLU
 * whose input nobody reads after it does, a sigmoid whose input the add
 * still reads does not; a batchnorm writes its input's gradient over its
 * own (dx_over_dy). */
static void test_in_place(void **state)
{
    model m;
    graph_build_options o = opts(4, GRAPH_LAYOUT_PLANNED, 0);
    build(&m, tiny_resnet, &o);
    const graph *g = m.g;
    const graph_plan *t = &g->mem->train;
    assert_ptr_equal(range_of(g, t, "flat", PLAN_OUT), range_of(g, t, "proj", PLAN_OUT));
    assert_ptr_equal(range_of(g, t, "act", PLAN_OUT), range_of(g, t, "gated", PLAN_OUT));
    assert_ptr_not_equal(range_of(g, t, "gate", PLAN_OUT), range_of(g, t, "b3", PLAN_OUT));
    assert_ptr_equal(range_of(g, t, "b3", PLAN_GRAD), range_of(g, t, "c3", PLAN_GRAD));
    model_free(&m);
}

static int node_of(const graph *g, const char *name)
{
    int i = graph_find(g, name);
    assert_true(i >= 0);
    return i;
}

/* A ReLU or leaky ReLU node after an add read by it alone is folded into
 * the add (graph.c fold_activation), which then runs on its first input's
 * memory and gradient: the same numbers, bit for bit, as the ReLU apart, in
 * both layouts and with poison.  Not folded: a ReLU after an add read twice,
 * an add with its own activation; graph_keep_output undoes a fold (the
 * add's output is read as it is). */
static void test_fold_relu_into_add(void **state)
{
    const int N = 3;
    static const struct {
        int layout, poison;
        const char *what;
    } runs[] = {{GRAPH_LAYOUT_PLANNED, 0, "planned"},
                {GRAPH_LAYOUT_SEPARATE, 0, "separate"},
                {GRAPH_LAYOUT_PLANNED, 1, "planned with poison"}};
    model apart;
    step_result a = {0};
    graph_build_options o = opts(N, GRAPH_LAYOUT_SEPARATE, 0);
    o.no_fold = 1;
    run_config(&apart, tiny_residual, N, &o, &a);
    for (int i = 0; i < apart.g->n_nodes; i++)
        assert_int_equal(apart.g->nodes[i].folded_into, -1);
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        model m;
        step_result b = {0};
        o = opts(N, runs[r].layout, runs[r].poison);
        run_config(&m, tiny_residual, N, &o, &b);
        const graph *g = m.g;
        assert_int_equal(g->nodes[node_of(g, "sum1")].folded_into, node_of(g, "out1"));
        assert_int_equal(g->nodes[node_of(g, "sum2")].folded_into, node_of(g, "out2"));
        assert_int_equal(g->nodes[node_of(g, "sum3")].folded_into, -1);
        assert_int_equal(g->nodes[node_of(g, "joined")].folded_into, -1);
        assert_true(g->nodes[node_of(g, "joined")].act_fused);
        assert_same(g, N, &a, &b, runs[r].what);
        result_free(&b);
        model_free(&m);
    }
    /* in place: b2, sum1 and out1 one store; sum1's gradient is b2's */
    model m;
    o = opts(N, GRAPH_LAYOUT_PLANNED, 0);
    build(&m, tiny_residual, &o);
    const graph *g = m.g;
    const graph_plan *t = &g->mem->train;
    assert_ptr_equal(range_of(g, t, "sum1", PLAN_OUT), range_of(g, t, "b2", PLAN_OUT));
    assert_ptr_equal(range_of(g, t, "out1", PLAN_OUT), range_of(g, t, "b2", PLAN_OUT));
    assert_ptr_equal(range_of(g, t, "sum1", PLAN_GRAD), range_of(g, t, "b2", PLAN_GRAD));
    /* read after passes: sum1 gives its sums, negatives included */
    assert_int_equal(graph_keep_output(m.g, node_of(g, "sum1"), NULL), DLC_OK);
    assert_int_equal(g->nodes[node_of(g, "sum1")].folded_into, -1);
    assert_false(g->nodes[node_of(g, "sum1")].act_fused);
    assert_false(g->nodes[node_of(g, "out1")].act_fused);
    prepare(m.g);
    step_result c = {0};
    run_steps(m.g, N, &c);
    assert_same(g, N, &a, &c, "unfolded by graph_keep_output");
    const graph_node *s1 = &g->nodes[node_of(g, "sum1")];
    int negative = 0;
    for (size_t j = 0; j < (size_t)N * s1->size; j++)
        negative += s1->out[j] < 0.0f;
    assert_true(negative > 0);
    result_free(&c);
    result_free(&a);
    model_free(&m);
    model_free(&apart);
}

/* An update that cleared the parameter gradients lets the next
 * graph_zero_grad skip them (params_clear), once: the zero_grad after that
 * clears them again. */
static void test_zero_grad_after_cleared_update(void **state)
{
    (void)state;
    const int N = 2;
    model m;
    graph_build_options o = opts(N, GRAPH_LAYOUT_PLANNED, 0);
    build(&m, tiny_residual, &o);
    graph *g = m.g;
    prepare(g);
    for (int pass = 0; pass < 2; pass++) {
        float *x = graph_input(g, 0);
        for (size_t j = 0; j < (size_t)N * g->nodes[0].size; j++)
            x[j] = 0.1f * (float)(j % 13) - 0.6f;
        graph_forward(g, N, 1);
        graph_zero_grad(g);
        assert_false(g->params_clear);
        for (int h = 0; h < 2; h++) {
            graph_node *out = graph_output(g, h);
            for (size_t j = 0; j < (size_t)N * out->size; j++)
                out->grad[j] = 0.01f * (float)(j % 5);
        }
        graph_backward(g, N);
        size_t nonzero = 0;
        for (size_t k = 0; k < g->n_grads; k++)
            nonzero += g->grad_block[k] != 0.0f;
        assert_true(nonzero > 0);
        if (pass == 0) /* as if an update had cleared them: trusted once */
            g->params_clear = 1;
    }
    /* the second pass's zero_grad trusted the flag and reset it: this one clears */
    graph_zero_grad(g);
    for (size_t k = 0; k < g->n_grads; k++)
        assert_true(g->grad_block[k] == 0.0f);
    model_free(&m);
}

/* MobileNetV2's batchnorm + ReLU6: applied by the batchnorm in its own pass
 * (act_fused, norm.c), the same numbers bit for bit as a relu6 layer after a
 * plain batchnorm: outputs, evaluation, every gradient, the running
 * statistics, the input's gradient; gamma and beta set so that values fall
 * below 0, inside, and above 6. */
static const char *bn_relu6_fmt =
    "name: bn6\n"
    "data: {format: csv, train: {file: a.csv}, label: {main: y, side: [u, v]}}\n"
    "model:\n"
    "  input: [3, 5, 5]\n"
    "  layers:\n"
    "    - {name: c1, type: conv2d, filters: 4, kernel: 3, padding: 1, use_bias: false}\n"
    "%s"
    "    - {name: c2, type: conv2d, filters: 4, kernel: 3, padding: 1, groups: 4, use_bias: false}\n"
    "%s"
    "    - {name: flat, type: flatten}\n"
    "    - {name: fc, type: dense, units: 3}\n"
    "    - {name: side, type: dense, units: 2, inputs: [%s]}\n"
    "  outputs:\n"
    "    - {layer: fc, name: main}\n"
    "    - {layer: side, name: side, loss: mse}\n";

static void run_wide_bn(model *m, const char *yaml, int N, step_result *r)
{
    graph_build_options o = opts(N, GRAPH_LAYOUT_PLANNED, 0);
    build(m, yaml, &o);
    prepare(m->g);
    for (int p = 0; p < m->g->n_params; p++) {
        graph_param *gp = &m->g->params[p];
        size_t len = strlen(gp->name);
        int gamma = len > 6 && !strcmp(gp->name + len - 6, ".gamma"), beta = len > 5 && !strcmp(gp->name + len - 5, ".beta");
        for (size_t i = 0; (gamma || beta) && i < gp->n; i++)
            gp->data[i] = gamma ? 3.5f + 0.5f * (float)i : 1.0f - 0.5f * (float)i;
    }
    run_steps(m->g, N, r);
}

static void test_bn_relu6_fused(void **state)
{
    const int N = 4;
    char fused[1200], apart[1200];
    snprintf(fused, sizeof fused, bn_relu6_fmt, "    - {name: b1, type: batchnorm, activation: relu6}\n",
             "    - {name: b2, type: batchnorm, activation: relu6}\n", "b1");
    /* the same model with the ReLU6 layers apart (no parameters: the blocks line up) */
    snprintf(apart, sizeof apart, bn_relu6_fmt,
             "    - {name: b1, type: batchnorm}\n    - {name: r1, type: activation, activation: relu6}\n",
             "    - {name: b2, type: batchnorm}\n    - {name: r2, type: activation, activation: relu6}\n", "r1");
    model a, b;
    step_result ra = {0}, rb = {0};
    run_wide_bn(&a, apart, N, &ra);
    run_wide_bn(&b, fused, N, &rb);
    const graph *g = b.g;
    assert_true(g->nodes[node_of(g, "b1")].act_fused);
    assert_true(g->nodes[node_of(g, "b2")].act_fused);
    assert_false(a.g->nodes[node_of(a.g, "b2")].act_fused);
    /* both clamps are met */
    const graph_node *b2 = &g->nodes[node_of(g, "b2")];
    int low = 0, high = 0;
    for (size_t j = 0; j < (size_t)N * b2->size; j++) {
        low += b2->out[j] == 0.0f;
        high += b2->out[j] == 6.0f;
    }
    assert_true(low > 0 && high > 0);
    assert_same(g, N, &ra, &rb, "batchnorm + relu6 fused");
    result_free(&ra);
    result_free(&rb);
    model_free(&a);
    model_free(&b);
}

/* No two stores whose live ranges overlap share a byte, every store lies in
 * the plan's arena, and every buffer fits its store. */
static void assert_placement_sound(const graph *g, const graph_plan *p)
{
    for (int a = 0; a < p->n_stores; a++) {
        const plan_store *x = &p->stores[a];
        assert_true(x->offset % 16 == 0 && x->offset + x->floats <= p->floats);
        for (int b = a + 1; b < p->n_stores; b++) {
            const plan_store *y = &p->stores[b];
            int live_together = x->first <= y->last && y->first <= x->last;
            int share = x->offset < y->offset + y->floats && y->offset < x->offset + x->floats;
            if (live_together && share && x->floats && y->floats) {
                print_error("stores %d [%d, %d] and %d [%d, %d] overlap at once and in memory\n", a,
                            x->first, x->last, b, y->first, y->last);
                fail();
            }
        }
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const graph_node *nd = &g->nodes[i];
        int s = p->store_of[(size_t)i * PLAN_KINDS + PLAN_OUT];
        if (s >= 0)
            assert_true(p->stores[s].floats >= (size_t)p->rows * nd->size);
    }
}

static void test_overlapping_never_share(void **state)
{
    model m;
    graph_build_options o = opts(5, GRAPH_LAYOUT_PLANNED, 0);
    build(&m, tiny_resnet, &o);
    assert_placement_sound(m.g, &m.g->mem->train);
    assert_placement_sound(m.g, &m.g->mem->eval);
    model_free(&m);
}

/* The store of node name's buffer of kind k in the training plan. */
static plan_store *store(graph *g, const char *name, plan_kind k)
{
    int i = graph_find(g, name);
    assert_true(i >= 0);
    int s = g->mem->train.store_of[(size_t)i * PLAN_KINDS + (size_t)k];
    assert_true(s >= 0);
    return &g->mem->train.stores[s];
}

/* Planted bugs: a lifetime declared too short (batchnorm's x-hat ending with
 * its forward pass, as if batchnorm_saves forgot its aux; a convolution's
 * input ending before the convolution's backward, as if conv_saves forgot
 * it) and a gradient that is not cleared before backward adds into it.
 * The poison turns each into NaN in the gradients. */
static void test_poison_catches_planted_bugs(void **state)
{
    const int N = 4;
    for (int bug = 0; bug < 4; bug++) {
        model m;
        graph_build_options o = opts(N, GRAPH_LAYOUT_SEPARATE, 1);
        build(&m, tiny_resnet, &o);
        graph *g = m.g;
        prepare(g);
        if (bug == 0)
            store(g, "b2", PLAN_AUX)->last = plan_step_forward(graph_find(g, "b2"));
        else if (bug == 1)
            store(g, "p1", PLAN_OUT)->last = plan_step_forward(graph_find(g, "c2"));
        else if (bug == 2)
            store(g, "flat", PLAN_GRAD)->row_floats = 0; /* two consumers add to it: cleared, nothing */
        else /* batchnorm b1 forgetting its input, from which backward recomputes x-hat */
            store(g, "c1", PLAN_OUT)->last = plan_step_forward(graph_find(g, "b1"));
        step_result r = {0};
        run_steps(g, N, &r);
        if (all_finite(r.grads, g->n_grads)) {
            print_error("planted bug %d: the poison did not reach the gradients\n", bug);
            fail();
        }
        result_free(&r);
        model_free(&m);
    }
}

/* Freezing layers plans again: what only their gradients needed (their
 * inputs kept for dW, the gradients flowing into them) is no longer kept,
 * and the unfrozen rest still computes what the full plan computes. */
static void test_freeze_plans_less(void **state)
{
    const int N = 4;
    model full, frozen;
    graph_build_options o = opts(N, GRAPH_LAYOUT_PLANNED, 0);
    build(&full, tiny_resnet, &o);
    build(&frozen, tiny_resnet, &o);
    graph *g = frozen.g;
    int nodes[4] = {graph_find(g, "c1"), graph_find(g, "b1"), graph_find(g, "c2"), graph_find(g, "b2")};
    graph_freeze_nodes(g, nodes, 4);
    graph_memory a, b;
    graph_memory_of(full.g, &a);
    graph_memory_of(g, &b);
    assert_true(b.kept < a.kept);
    assert_true(b.train_arena <= a.train_arena);
    assert_false(g->nodes[nodes[0]].needs_grad);
    assert_null(g->nodes[nodes[0]].grad);
    /* the layers after them learn as before (a frozen batchnorm normalizes
     * by its running statistics: so do the full plan's, made untrainable
     * without replanning) */
    const char *bn_params[4] = {"b1.gamma", "b1.beta", "b2.gamma", "b2.beta"};
    for (int k = 0; k < 4; k++)
        full.g->params[graph_param_find(full.g, bn_params[k])].trainable = 0;
    for (int k = 0; k < 2; k++) {
        graph *x = k ? g : full.g;
        dlc_rng rng;
        dlc_rng_seed(&rng, 11, 0);
        graph_init_params(x, &rng);
        for (size_t j = 0; j < (size_t)N * x->nodes[0].size; j++)
            graph_input(x, 0)[j] = (float)dlc_rng_normal(&rng);
        graph_forward(x, N, 1);
        graph_zero_grad(x);
        for (int h = 0; h < 2; h++) {
            graph_node *out = graph_output(x, h);
            for (size_t j = 0; j < (size_t)N * out->size; j++)
                out->grad[j] = 0.01f * (float)(j % 7);
        }
        graph_backward(x, N);
    }
    const graph_param *pf = &full.g->params[graph_param_find(full.g, "fc1.weight")];
    const graph_param *pz = &g->params[graph_param_find(g, "fc1.weight")];
    assert_memory_equal(pf->grad, pz->grad, sizeof(float) * pf->n);
    /* the frozen layers have no gradient to fill, and the block holds the
     * others' alone */
    assert_null(g->params[graph_param_find(g, "c1.weight")].grad);
    assert_null(g->params[graph_param_find(g, "b1.gamma")].grad);
    size_t learn = 0;
    for (int k = 0; k < g->n_params; k++)
        learn += g->params[k].trainable ? (g->params[k].n + 15) / 16 * 16 : 0;
    assert_int_equal(g->n_grads, learn);
    assert_true(b.grads < a.grads);
    model_free(&full);
    model_free(&frozen);
}

/* What a run plans with Adam and keep_best: of an MLP 64-32-16-3 whose sizes
 * are multiples of 16 floats (the gradient block's alignment), so that the
 * saving is exact.  freeze: all but the head. */
static void plan_mlp(const char *freeze, train_memory *p)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "name: mlp\n"
             "data: {format: csv, train: {file: a.csv}, label: y}\n"
             "model:\n"
             "  input: [64]\n"
             "  layers:\n"
             "    - {name: d1, type: dense, units: 32, activation: relu}\n"
             "    - {name: d2, type: dense, units: 16, activation: relu}\n"
             "    - {name: head, type: dense, units: 3}\n"
             "freeze: {all_but_last: %s}\n"
             "train: {optimizer: {type: adam}, keep_best: true}\n",
             freeze);
    dlc_config cfg;
    dlc_error err = {0};
    if (config_load_string(&cfg, "mlp.yaml", yaml, strlen(yaml), NULL, 0, &err) != DLC_OK ||
        train_memory_plan(&cfg, NULL, 8, p, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    config_free(&cfg);
}

/* Frozen parameters plan no gradient, no optimizer state, no best-epoch
 * copy and no snapshot: 7 times their size less with Adam (a gradient, two
 * moments, the best copy, the snapshot's weights and two moments). */
static void test_frozen_plan_no_state(void **state)
{
    (void)state;
    train_memory all, fz;
    plan_mlp("null", &all);
    plan_mlp("1", &fz);
    const size_t F = sizeof(float) * (64 * 32 + 32 + 32 * 16 + 16); /* d1 and d2 */
    assert_int_equal(all.frozen, 0);
    assert_int_equal(fz.frozen, F);
    assert_int_equal(fz.graph.params, all.graph.params); /* the weights are all there */
    assert_int_equal(all.graph.grads - fz.graph.grads, F);
    assert_int_equal(all.optimizer - fz.optimizer, 2 * F);
    assert_int_equal(fz.optimizer, 2 * fz.graph.grads);
    assert_int_equal(all.best - fz.best, F);
    assert_int_equal(all.snapshot - fz.snapshot, 3 * F);
    assert_true(all.total - fz.total >= 7 * F);
}

/* configs/architectures/resnet18.yaml, built to count (nothing allocated). */
static void build_resnet18(model *m, const graph_build_options *o)
{
    dlc_config cfg;
    dlc_error err = {0};
    if (config_load(&cfg, "configs/architectures/resnet18.yaml", NULL, 0, &err) != DLC_OK ||
        model_build_opts(m, &cfg, NULL, NULL, 0, o, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    config_free(&cfg);
}

/* ResNet-18 at batch 8: the plan's arena is well under the sum of its
 * buffers, no smaller than the most ever live at once, and at least what
 * forward keeps for backward. */
static void test_resnet18_arena(void **state)
{
    model m;
    graph_build_options o = opts(8, GRAPH_LAYOUT_PLANNED, 0);
    o.measure = 1;
    build_resnet18(&m, &o);
    graph_memory mem;
    graph_memory_of(m.g, &mem);
    print_message("resnet18 batch 8: arena %.1f MiB, separate %.1f MiB, peak live %.1f MiB, kept %.1f MiB\n",
                  mem.train_arena / 1048576.0, mem.separate / 1048576.0, mem.peak / 1048576.0,
                  mem.kept / 1048576.0);
    assert_true(mem.train_arena < mem.separate / 2);
    assert_true(mem.train_arena >= mem.peak && mem.peak >= mem.kept);
    /* placement within 5% of the bound no placement can beat */
    assert_true((double)mem.train_arena <= 1.05 * (double)mem.peak);
    assert_placement_sound(m.g, &m.g->mem->train);
    assert_placement_sound(m.g, &m.g->mem->eval);
    assert_null(m.g->param_block); /* measured, not allocated */
    model_free(&m);
}

/* Evaluation gets its own, smaller plan: it shrinks its batch until the plan
 * fits the training plan's memory (or the floor), not below the training
 * batch. */
static void test_eval_fit(void **state)
{
    model m;
    graph_build_options o = opts(8, GRAPH_LAYOUT_PLANNED, 0);
    o.eval_max = 1024;
    o.eval_fit = 1;
    o.measure = 1;
    build_resnet18(&m, &o);
    graph_memory mem;
    graph_memory_of(m.g, &mem);
    assert_true(mem.eval_rows >= 8 && mem.eval_rows < 1024);
    size_t budget = mem.train_arena > GRAPH_EVAL_FLOOR ? mem.train_arena : GRAPH_EVAL_FLOOR;
    assert_true(mem.eval_arena <= budget);
    assert_int_equal(mem.arena, budget > mem.train_arena ? mem.eval_arena : mem.train_arena);
    /* frozen but for the head, training plans less, and evaluation is
     * fitted again to that (it was fitted to the larger plan) */
    int *nodes = malloc(sizeof *nodes * (size_t)m.g->n_nodes), n = 0;
    assert_non_null(nodes);
    for (int i = m.g->n_inputs; i < m.g->n_nodes; i++)
        if (m.g->nodes[i].n_params && i != m.g->outputs[0])
            nodes[n++] = i;
    graph_freeze_nodes(m.g, nodes, n);
    free(nodes);
    graph_memory fz;
    graph_memory_of(m.g, &fz);
    assert_true(fz.train_arena < mem.train_arena);
    budget = fz.train_arena > GRAPH_EVAL_FLOOR ? fz.train_arena : GRAPH_EVAL_FLOOR;
    assert_true(fz.eval_arena <= budget);
    assert_true(fz.eval_rows >= 8 && fz.eval_rows < mem.eval_rows);
    assert_true(fz.arena < mem.arena);
    model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_ranges),
        cmocka_unit_test(test_in_place),
        cmocka_unit_test(test_fold_relu_into_add),
        cmocka_unit_test(test_zero_grad_after_cleared_update),
        cmocka_unit_test(test_bn_relu6_fused),
        cmocka_unit_test(test_overlapping_never_share),
        cmocka_unit_test(test_bit_identical),
        cmocka_unit_test(test_poison_no_read_after_lifetime),
        cmocka_unit_test(test_wide_multiply_keeps_every_input),
        cmocka_unit_test(test_poison_catches_planted_bugs),
        cmocka_unit_test(test_freeze_plans_less),
        cmocka_unit_test(test_frozen_plan_no_state),
        cmocka_unit_test(test_resnet18_arena),
        cmocka_unit_test(test_eval_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
