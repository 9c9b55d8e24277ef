/* gradcheck.c - `dlc gradcheck CONFIG`: numerical against analytic gradients
 * of every parameter, on a small batch of the config's own training data.
 *
 * The loss is summed in double; each tensor's step grows with its scale;
 * a value whose gradient the float32 forward pass cannot resolve to within
 * the tolerance is judged by absolute error against the numerical
 * estimate's own error (see gradcheck.h); failing values are listed.
 * Truncated backpropagation (bptt: k) is a deliberate approximation, so
 * recurrent layers are checked with full backpropagation unless
 * --keep-bptt asks for the truncated gradient as it is.
 *
 * A style transfer config (stylize:) is checked as dlc stylize uses it: its
 * weights frozen, the gradient of J with respect to the image G, on content
 * and style images drawn from the seed (or --content, --style files). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../base/rng.h"
#include "../stylize/stylize.h"
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
    {"--input", 0, NULL, "also check the gradient with respect to the input"},
    {"--size", 1, "N", "stylize configs: the image's side (default 16)"},
    {"--content", 1, "FILE", "stylize configs: the content image (default: random pixels from the seed)"},
    {"--style", 1, "FILE", "stylize configs: the style image (default: random pixels from the seed)"},
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
    /* counts are whole (--batch 1.5 was read as 1) and fit an int */
    int whole = strcmp(name, "--batch") == 0 || strcmp(name, "--samples") == 0;
    if (v && whole && (*out != floor(*out) || *out > 1e6))
        return cli_usage_error(c, "%s needs a whole number from %g to 1000000, got '%s'", name, lo, v);
    return 0;
}

static int print_results(const gradcheck_result *res, int k, double tol);

/* A style transfer config: dJ/dG with every weight frozen, on images of
 * --size x --size, from files or random pixels drawn from the seed.  The
 * weights are drawn from the seed as for any config (init_from is not
 * read: the gradient does not depend on where they came from). */
static int check_stylize(const cli_command *c, const cli_args *a, const dlc_config *config,
                         const gradcheck_opts *o)
{
    dlc_config copy = *config; /* shallow: the layers stay config's */
    const dlc_config *cfg = &copy;
    copy.init.run[0] = '\0';
    long side = 16;
    const char *v = cli_get(c, a, "--size"), *cf = cli_get(c, a, "--content"),
               *sf = cli_get(c, a, "--style");
    if (v && (dlc_parse_long(v, &side) != 0 || side < 4 || side > 512))
        return cli_usage_error(c, "--size needs a whole number from 4 to 512, got '%s'", v);
    if (!cf != !sf)
        return cli_usage_error(c, "--content and --style go together");
    dlc_error err = {0};
    stylize *s = NULL;
    gradcheck_result res;
    dlc_status st;
    if (cf) {
        st = stylize_create(&s, cfg, cf, sf, (int)side, &err);
    } else {
        size_t D = 3 * (size_t)side * (size_t)side;
        float *px = malloc(sizeof(float) * 2 * D);
        if (!px)
            return cli_fail(&(dlc_error){DLC_ENOMEM, "out of memory"});
        dlc_rng rng;
        dlc_rng_seed(&rng, cfg->seed, DLC_STREAM(DLC_STREAM_GRADCHECK, 3));
        for (size_t i = 0; i < 2 * D; i++)
            px[i] = (float)(255.0 * dlc_rng_uniform(&rng));
        st = stylize_create_pixels(&s, cfg, px, px + D, (int)side, (int)side, &err);
        free(px);
    }
    if (st != DLC_OK)
        return cli_fail(&err);
    /* G a little away from C, so that the content cost has a gradient */
    graph *g = stylize_graph(s);
    dlc_rng rng;
    dlc_rng_seed(&rng, cfg->seed, DLC_STREAM(DLC_STREAM_GRADCHECK, 4));
    for (size_t i = 0; i < g->nodes[0].size; i++)
        graph_input(g, 0)[i] += (float)(0.3 * dlc_rng_normal(&rng));
    printf("style transfer: the gradient of J with respect to the image G (every weight frozen)\n");
    int k = gradcheck_graph(g, 1, stylize_gradcheck_loss, s, o, &res, 1);
    int rc = print_results(&res, k, o->tol);
    stylize_free(s);
    return rc;
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
    gradcheck_opts o = {eps, 1e-4, (int)samples, cli_get(c, a, "--input") != NULL, cfg.seed, tol};
    if (cfg.stylize.on) {
        o.check_input = 1;
        rc = check_stylize(c, a, &cfg, &o);
        config_free(&cfg);
        return rc;
    }
    if (o.check_input && cfg.data.format == DATA_TEXT) {
        config_free(&cfg);
        return cli_usage_error(c, "--input: a text model's inputs are token ids, which have no gradient");
    }
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
    res = calloc((size_t)m.g->n_params + 1, sizeof *res);
    if (!targets || !res) {
        rc = cli_fail(&(dlc_error){DLC_ENOMEM, "out of memory"});
        goto done;
    }
    dlc_rng rng;
    dlc_rng_seed(&rng, cfg.seed, DLC_STREAM(DLC_STREAM_INIT, 0));
    graph_init_params(m.g, &rng);
    data_gather(&data.split[DATA_SPLIT_TRAIN], NULL, 0, N, &data.norm, graph_input(m.g, 0), targets);
    ctx cx = {&m, targets};
    dlc_error gerr = {0};
    if (o.check_input && graph_set_input_grad(m.g, 1, &gerr) != DLC_OK) {
        rc = cli_fail(&gerr);
        goto done;
    }
    int k = gradcheck_graph(m.g, N, loss_fn, &cx, &o, res, m.g->n_params + 1);
    rc = print_results(res, k, tol);
done:
    free(res);
    tensor_free(targets);
    model_free(&m);
    data_free(&data);
    config_free(&cfg);
    return rc;
}

/* The table of results; the exit status (1 when any tensor fails). */
static int print_results(const gradcheck_result *res, int k, double tol)
{
    printf("%-32s %8s %8s %8s %12s %12s %12s\n", "parameter", "checked", "tiny", "kinks",
           "max rel err", "analytic", "numeric");
    int bad = 0, unchecked = 0, abs_only = 0;
    for (int i = 0; i < k; i++) {
        const gradcheck_result *r = &res[i];
        int fail = r->failed > 0;
        /* every value tiny: no relative error was measured, and the 0s in
         * the columns would read as a perfect match */
        int tiny = !fail && r->checked > 0 && r->below == r->checked;
        bad += fail;
        unchecked += r->checked == 0;
        abs_only += tiny;
        printf("%-32s %8d %8d %8d %12.3e %12.5g %12.5g%s\n", r->name, r->checked, r->below,
               r->skipped, r->max_rel, r->analytic, r->numeric,
               fail              ? "  FAIL"
               : r->checked == 0 ? "  (not checked: every step crosses a kink)"
               : tiny            ? "  (every value tiny: absolute error only)"
                                 : "");
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
    if (abs_only)
        printf("%s: %d of %d parameter tensors pass: %d within relative error %g, %d by absolute "
               "error only", bad ? "FAIL" : "ok", k - bad, k, k - bad - abs_only, tol, abs_only);
    else
        printf("%s: %d of %d parameter tensors within relative error %g", bad ? "FAIL" : "ok",
               k - bad, k, tol);
    if (unchecked)
        printf(" (%d of them not checkable at this batch: try --batch 1)", unchecked);
    printf("\n");
    if (abs_only)
        printf("note: those %d had no gradient the float32 loss resolves, so no relative error was "
               "measured (some have none, such as a bias before batchnorm; a large loss, such as "
               "squared errors of targets in the hundreds, hides small ones)\n",
               abs_only);
    return bad ? 1 : 0;
}

const cli_command cli_gradcheck_cmd = {
    "gradcheck", "CONFIG [--batch N] [--samples N] [--eps X] [--tol X] [--keep-bptt] [--input]",
    "Compare numerical and analytic gradients of every parameter (and with --input, or for a "
    "stylize config, of the input) on a small batch of the config's training data; exit 1 "
    "when any exceeds the tolerance.",
    opts, run,
};
