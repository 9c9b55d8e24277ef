/* layer_profile.c - where a model's step time and memory go, layer by layer:
 * builds the graph a config describes (random inputs, no data read), runs
 * training steps and times each node's forward and backward, and lists each
 * node's buffers (output, gradient, state kept for backward, scratch).  For
 * choosing convolution paths (benchmark B11) and for planning memory.
 *   usage: layer_profile CONFIG BATCH THREADS [STEPS] [--classes K] [--set KEY=VALUE]...
 * (--classes: the classes a `units: auto` output layer takes; default none)
 * Prints one line per node with a share of the step above 0.5% (or with
 * buffers above 1 MiB), then totals per op kind.  For convolutions and dense
 * layers, the GFLOP/s of their products counted as a direct convolution's
 * (Winograd's then exceed the machine's peak: its multiplies are fewer).
 * CPU=1: CPU time instead of the wall clock (bench_clock.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/base/util.h"
#include "../src/layers/layers.h"
#include "../src/train/model.h"
#include "bench_clock.h"

static double mib(size_t floats)
{
    return (double)floats * sizeof(float) / (1024.0 * 1024.0);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: layer_profile CONFIG BATCH THREADS [STEPS] [--classes K] [--set KEY=VALUE]...\n");
        return 2;
    }
    const char *file = argv[1];
    int N = atoi(argv[2]), threads = atoi(argv[3]), steps = 3, classes = 0;
    const char *sets[32];
    int n_sets = 0;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--set") == 0 && i + 1 < argc && n_sets < 32)
            sets[n_sets++] = argv[++i];
        else if (strcmp(argv[i], "--classes") == 0 && i + 1 < argc)
            classes = atoi(argv[++i]);
        else
            steps = atoi(argv[i]);
    }
    tensor_set_threads(threads);
    dlc_config cfg;
    dlc_error err = {0};
    model m;
    if (config_load(&cfg, file, sets, n_sets, &err) != DLC_OK ||
        model_build(&m, &cfg, NULL, classes, N, &err) != DLC_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    graph *g = m.g;
    dlc_rng rng;
    dlc_rng_seed(&rng, 1, 0);
    graph_init_params(g, &rng);
    float *x = graph_input(g, 0);
    for (size_t j = 0; j < (size_t)N * g->nodes[0].size; j++)
        x[j] = (float)dlc_rng_normal(&rng);
    double *tf = calloc((size_t)g->n_nodes, sizeof *tf), *tb = calloc((size_t)g->n_nodes, sizeof *tb);
    if (!tf || !tb)
        return 1;
    for (int s = 0; s <= steps; s++) { /* step 0 warms up and is not counted */
        double w = s > 0;
        /* a training pass, as graph_forward(g, N, 1) sets it up: batchnorm
         * normalizes by the batch (with training 0 it took its running
         * statistics, one pass instead of three, until 2026-11-27) */
        g->training = 1;
        g->last_n = N;
        g->seq_valid = 0;
        for (int i = g->n_inputs; i < g->n_nodes; i++) {
            graph_node *n = &g->nodes[i];
            tensor_arena_reset(&g->arena);
            double t0 = bench_now();
            graph_ops[n->spec.op].forward(g, n, N);
            if (n->spec.activation != ACT_LINEAR && !n->act_fused) {
                size_t D = (size_t)n->shape.d[n->shape.ndim - 1];
                graph_act_forward(n->spec.activation, graph_act_alpha(&n->spec), n->spec.offset, n->out, n->out,
                                  (size_t)N * n->size / D, D);
            }
            tf[i] += w * (bench_now() - t0);
        }
        g->last_n = N;
        graph_zero_grad(g);
        graph_node *o = graph_output(g, 0);
        for (size_t j = 0; j < (size_t)N * o->size; j++)
            o->grad[j] = 0.01f * (float)dlc_rng_normal(&rng);
        for (int i = g->n_nodes - 1; i >= g->n_inputs; i--) {
            graph_node *n = &g->nodes[i];
            if (!n->needs_grad)
                continue;
            tensor_arena_reset(&g->arena);
            double t0 = bench_now();
            if (n->spec.activation != ACT_LINEAR && !n->act_fused) {
                size_t D = (size_t)n->shape.d[n->shape.ndim - 1];
                graph_act_backward(n->spec.activation, graph_act_alpha(&n->spec), n->grad, n->grad, n->out,
                                   n->pre, (size_t)N * n->size / D, D);
            }
            graph_ops[n->spec.op].backward(g, n, N);
            tb[i] += w * (bench_now() - t0);
        }
    }
    double total = 0;
    for (int i = 0; i < g->n_nodes; i++)
        total += tf[i] + tb[i];
    printf("%-28s %-10s %-18s %9s %9s %6s %9s %9s %9s %9s %7s %7s\n", "node", "op", "output", "fwd ms",
           "bwd ms", "share", "out MiB", "grad MiB", "aux MiB", "scr MiB", "fwd GF", "bwd GF");
    double by_op[OP_COUNT][2] = {{0}};
    size_t mem_op[OP_COUNT][3] = {{0}}; /* outputs, aux, largest scratch */
    size_t mem_out = 0, mem_aux = 0, mem_pre = 0, scr_max = 0, scr_sum = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node *n = &g->nodes[i];
        char shape[64];
        size_t rows = (size_t)g->nmax * n->size;
        size_t aux = n->aux_per_sample * (size_t)g->nmax + n->aux_fixed;
        mem_out += rows;
        mem_aux += aux;
        mem_op[n->spec.op][0] += rows;
        mem_op[n->spec.op][1] += aux;
        if (n->scratch > mem_op[n->spec.op][2])
            mem_op[n->spec.op][2] = n->scratch;
        mem_pre += n->pre ? rows : 0;
        scr_sum += n->scratch;
        scr_max = n->scratch > scr_max ? n->scratch : scr_max;
        by_op[n->spec.op][0] += tf[i] / steps;
        by_op[n->spec.op][1] += tb[i] / steps;
        double share = total > 0 ? (tf[i] + tb[i]) / total : 0;
        /* GFLOP/s of a convolution's or dense layer's products: 2 flops a
         * multiply-add, weights x output positions a sample; backward twice
         * that (dW and dx) when its input wants a gradient */
        char gf[2][16] = {"", ""};
        if ((n->spec.op == OP_CONV1D || n->spec.op == OP_CONV2D || n->spec.op == OP_CONV3D ||
             n->spec.op == OP_DENSE) && n->n_params > 0 && tf[i] > 0 && tb[i] > 0) {
            const graph_param *w = graph_p(g, n, 0);
            size_t units = (size_t)w->shape.d[0], pos = n->size / (units ? units : 1);
            double flop = 2.0 * (double)w->n * (double)pos * N * steps;
            double back = flop * (w->trainable + graph_wants_grad(g, n, 0));
            snprintf(gf[0], sizeof gf[0], "%.0f", flop / tf[i] / 1e9);
            snprintf(gf[1], sizeof gf[1], "%.0f", back / tb[i] / 1e9);
        }
        if (share > 0.005 || mib(rows) > 1.0 || mib(n->scratch) > 1.0)
            printf("%-28s %-10s %-18s %9.2f %9.2f %5.1f%% %9.1f %9.1f %9.1f %9.1f %7s %7s\n", n->spec.name,
                   n->spec.type, tensor_shape_str(&n->shape, shape, sizeof shape),
                   1e3 * tf[i] / steps, 1e3 * tb[i] / steps, 100 * share, mib(rows), mib(rows),
                   mib(aux), mib(n->scratch), gf[0], gf[1]);
    }
    printf("\nper op kind (ms per step; MiB of outputs (gradients as much again), aux, largest scratch):\n");
    for (int op = 0; op < OP_COUNT; op++)
        if (by_op[op][0] + by_op[op][1] > 0 || mem_op[op][0])
            printf("  %-16s fwd %9.1f  bwd %9.1f  share %5.1f%%   out %8.1f  aux %8.1f  scratch %7.1f\n",
                   graph_ops[op].name, 1e3 * by_op[op][0], 1e3 * by_op[op][1],
                   100 * (by_op[op][0] + by_op[op][1]) * steps / total, mib(mem_op[op][0]),
                   mib(mem_op[op][1]), mib(mem_op[op][2]));
    size_t ptr, pfr;
    graph_count_params(g, &ptr, &pfr);
    printf("\nstep %.1f ms = %.2f samples/s (batch %d, %d threads, %d steps)\n", 1e3 * total / steps,
           N * steps / total, N, threads, steps);
    printf("memory (MiB): parameters %.1f, their gradients %.1f; node outputs %.1f, node gradients %.1f, "
           "pre-activations %.1f, aux %.1f; scratch arena %.1f (largest node; sum over nodes %.1f)\n",
           mib(g->n_weights), mib(g->n_weights), mib(mem_out), mib(mem_out), mib(mem_pre),
           mib(mem_aux), mib(g->arena.cap), mib(scr_sum));
    free(tf);
    free(tb);
    model_free(&m);
    config_free(&cfg);
    return 0;
}
