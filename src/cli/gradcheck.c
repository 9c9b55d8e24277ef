/* gradcheck.c - `dlc gradcheck CONFIG`: numerical against analytic gradients
 * of every parameter, on a small batch of the config's own training data.
 *
 * The loss is summed in double; each tensor's step grows with its scale;
 * a value whose gradient the float32 forward pass cannot resolve to within
 * the tolerance is judged by absolute error against the numerical
 * estimate's own error (see gradcheck.h); failing values are listed.
 * Truncated backpropagation (bptt: k) is a deliberate approximation, so
 * recurrent layers are checked with full backpropagation unless
 * --keep-bptt asks for the truncated gradient as it is. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../train/gradcheck.h"
#include "../train/train.h"
#include "cli.h"

static const cli_opt opts[] = {
    {"--set", 1, "KEY=VALUE", "override a config key (repeatable)"},
    {"--batch", 1, "N", "examples in the batch (default 4)"},
    {"--samples", 1, "N", "values checked per parameter tensor (default 30; 0 = all)"},
    {"--eps", 1, "X", "finite-difference step, times a tensor's scale when above 1 (default 4e-3, about the cube root of float32's epsilon)"},
    {"--tol", 1, "X", "largest relative error that passes (default 1e-2)"},
    {"--keep-bptt", 0, NULL, "check truncated backpropagation (bptt: k) as it is, not full BPTT"},
    {NULL, 0, NULL, NULL},
};

typedef struct {
    model *m;
    const float *targets;
} ctx;

static double loss_fn(void *user, graph *g, int N, int with_grad)
{
    ctx *c = user;
    (void)g;
    graph_forward(c->m->g, N, 1);
    loss_stats st[MODEL_MAX_HEADS] = {{0}};
    if (with_grad)
        graph_zero_grad(c->m->g);
    double L = model_loss(c->m, c->targets, N, with_grad, 1.0f, st);
    if (with_grad)
        graph_backward(c->m->g, N);
    return L;
}

static int num_opt(const cli_command *c, const cli_args *a, const char *name, double def, double lo,
                   double *out)
{
    const char *v = cli_get(c, a, name);
    *out = def;
    if (v && (dlc_parse_double(v, out) != 0 || *out < lo))
        return cli_usage_error(c, "%s needs a number >= %g, got '%s'", name, lo, v);
    return 0;
}

static int run(const cli_args *a)
{
    const cli_command *c = &cli_gradcheck_cmd;
    if (a->n_pos != 1)
        return cli_usage_error(c, "expected one CONFIG file, got %d arguments", a->n_pos);
    double batch, samples, eps, tol;
    int rc;
    if ((rc = num_opt(c, a, "--batch", 4, 1, &batch)) || (rc = num_opt(c, a, "--samples", 30, 0, &samples)) ||
        (rc = num_opt(c, a, "--eps", 4e-3, 1e-8, &eps)) || (rc = num_opt(c, a, "--tol", 1e-2, 0, &tol)))
        return rc;
    cli_set_threads(cli_get(c, a, "--threads"), 1);
    dlc_error err = {0};
    dlc_config cfg;
    data_bundle data = {0};
    model m = {0};
    float *targets = NULL;
    gradcheck_result *res = NULL;
    rc = 0;
    if (cli_load_config(&cfg, a->pos[0], a, &err) != DLC_OK)
        return cli_fail(&err);
    int truncated = 0;
    for (int i = 0; i < cfg.n_layers; i++)
        if (cfg.layers[i].bptt > 0 && !cli_get(c, a, "--keep-bptt")) {
            cfg.layers[i].bptt = 0;
            truncated++;
        }
    if (truncated)
        printf("note: %d layer%s truncate%s backpropagation through time (bptt: k); checked with "
               "full backpropagation (--keep-bptt checks the truncated gradient)\n",
               truncated, truncated == 1 ? "" : "s", truncated == 1 ? "s" : "");
    if (model_load_data(&data, &cfg, &err) != DLC_OK ||
        model_build_for(&m, &cfg, &data, (int)batch, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    int N = (int)batch < data.split[DATA_SPLIT_TRAIN].n ? (int)batch : data.split[DATA_SPLIT_TRAIN].n;
    targets = tensor_alloc((size_t)N * m.n_targets);
    res = calloc((size_t)m.g->n_params, sizeof *res);
    if (!targets || !res) {
        rc = cli_fail(&(dlc_error){DLC_ENOMEM, "out of memory"});
        goto done;
    }
    dlc_rng rng;
    dlc_rng_seed(&rng, cfg.seed, DLC_STREAM(DLC_STREAM_INIT, 0));
    graph_init_params(m.g, &rng);
    data_gather(&data.split[DATA_SPLIT_TRAIN], NULL, 0, N, &data.norm, graph_input(m.g, 0), targets);
    ctx cx = {&m, targets};
    gradcheck_opts o = {eps, 1e-4, (int)samples, 0, cfg.seed, tol};
    int k = gradcheck_graph(m.g, N, loss_fn, &cx, &o, res, m.g->n_params);
    printf("%-32s %8s %8s %8s %12s %12s %12s\n", "parameter", "checked", "tiny", "kinks",
           "max rel err", "analytic", "numeric");
    int bad = 0, unchecked = 0;
    for (int i = 0; i < k; i++) {
        const gradcheck_result *r = &res[i];
        int fail = r->failed > 0;
        bad += fail;
        unchecked += r->checked == 0;
        printf("%-32s %8d %8d %8d %12.3e %12.5g %12.5g%s\n", r->name, r->checked, r->below,
               r->skipped, r->max_rel, r->analytic, r->numeric,
               fail ? "  FAIL" : r->checked == 0 ? "  (not checked: every step crosses a kink)" : "");
        for (int f = 0; f < r->failed && f < GRADCHECK_MAX_FAILS; f++) {
            const gradcheck_fail *x = &r->fails[f];
            printf("    [%d]: analytic %.6g, numeric %.6g, %s %.3g\n", x->index, x->analytic,
                   x->numeric, fabs(x->numeric) * tol < x->bound && fabs(x->analytic) * tol < x->bound
                                   ? "absolute error over its bound"
                                   : "relative error",
                   fabs(x->numeric) * tol < x->bound && fabs(x->analytic) * tol < x->bound
                       ? fabs(x->analytic - x->numeric) / x->bound
                       : x->rel);
        }
        if (r->failed > GRADCHECK_MAX_FAILS)
            printf("    ... %d values fail in all\n", r->failed);
    }
    printf("(tiny: gradients below what the float32 loss resolves to within %g, judged by "
           "absolute error)\n", tol);
    printf("(kinks: steps that switch a ReLU or a max pool, skipped; in float32 a layer feeding "
           "many ReLU units may have none left)\n");
    printf("%s: %d of %d parameter tensors within relative error %g", bad ? "FAIL" : "ok", k - bad, k, tol);
    if (unchecked)
        printf(" (%d of them not checkable at this batch: try --batch 1)", unchecked);
    printf("\n");
    rc = bad ? 1 : 0;
done:
    free(res);
    tensor_free(targets);
    model_free(&m);
    data_free(&data);
    config_free(&cfg);
    return rc;
}

const cli_command cli_gradcheck_cmd = {
    "gradcheck", "CONFIG [--batch N] [--samples N] [--tol X]",
    "Compare numerical and analytic gradients of every parameter on a small batch of the "
    "config's training data; exit 1 when any exceeds the tolerance.",
    opts, run,
};
