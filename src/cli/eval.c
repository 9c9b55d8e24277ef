/* eval.c - `dlc eval RUN`: score a trained run on one of its splits. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../train/train.h"
#include "cli.h"

static const cli_opt opts[] = {
    {"--split", 1, "NAME", "test (default), dev, train or train_dev"},
    {"--json", 0, NULL, "print one JSON object"},
    {NULL, 0, NULL, NULL},
};

static int run(const cli_args *a)
{
    const cli_command *c = &cli_eval_cmd;
    if (a->n_pos != 1)
        return cli_usage_error(c, "expected one RUN folder or model file, got %d arguments", a->n_pos);
    const char *split = cli_get(c, a, "--split");
    if (!split)
        split = "test";
    const char *names[] = {"train", "train_dev", "dev", "test", NULL};
    int which = -1;
    for (int i = 0; names[i]; i++)
        if (strcmp(split, names[i]) == 0)
            which = i;
    if (which < 0)
        return cli_usage_error(c, "--split must be train, train_dev, dev or test, got '%s'", split);
    cli_set_threads(cli_get(c, a, "--threads"), 0);

    dlc_error err = {0};
    char path[4200];
    model m;
    int rc = 0, have_cfg = 0;
    data_bundle data = {0};
    dlc_config cfg;
    float *t = NULL;
    if (model_load(&m, cli_model_path(a->pos[0], path, sizeof path), 256, &err) != DLC_OK)
        return cli_fail(&err);
    /* the embedded config says where the data is and how it was split */
    if (config_load_string(&cfg, path, m.config_yaml, strlen(m.config_yaml), NULL, 0, &err) != DLC_OK ||
        (have_cfg = 1, cfg.data.text.vocab = m.vocab.n ? &m.vocab : NULL,
         data_load(&data, &cfg.data, train_target_mode(cfg.loss), cfg.seed, &err)) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    const data_split *splits[] = {&data.train, &data.train_dev, &data.dev, &data.test};
    const data_split *s = splits[which];
    if (s->n == 0) {
        fprintf(stderr, "dlc: error: %s has no %s split (try --split dev)\n", a->pos[0], split);
        rc = 2;
        goto done;
    }
    if (data.dim != tensor_shape_size(&m.input) || (size_t)data.n_targets != m.n_targets) {
        fprintf(stderr, "dlc: error: %s: the data no longer matches the model (%zu values, %d targets per example)\n",
                a->pos[0], data.dim, data.n_targets);
        rc = 2;
        goto done;
    }
    t = tensor_alloc((size_t)m.g->nmax * m.n_targets);
    if (!t) {
        rc = cli_fail(&(dlc_error){DLC_ENOMEM, "out of memory"});
        goto done;
    }
    double loss, acc;
    model_evaluate(&m, s, t, &loss, &acc);
    if (cli_get(c, a, "--json")) {
        printf("{\"split\": \"%s\", \"examples\": %d, \"loss\": %.9g, \"accuracy\": ", split, s->n, loss);
        if (isnan(acc))
            printf("null, \"error\": null}\n");
        else
            printf("%.9g, \"error\": %.9g}\n", acc, 1.0 - acc);
    } else {
        printf("%s: %d examples  loss %.4f", split, s->n, loss);
        if (!isnan(acc))
            printf("  accuracy %.2f%%  error %.2f%%", 100.0 * acc, 100.0 * (1.0 - acc));
        printf("\n");
    }
done:
    tensor_free(t);
    data_free(&data);
    if (have_cfg)
        config_free(&cfg);
    model_free(&m);
    return rc;
}

const cli_command cli_eval_cmd = {
    "eval", "RUN [--split test|dev|train|train_dev]",
    "Score a trained run (its folder or model file) on one of its data splits.",
    opts, run,
};
