/* summary.c - `dlc summary CONFIG|RUN`: layers, output shapes, parameters. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../optim/optim.h"
#include "../train/train.h"
#include "cli.h"

static const cli_opt opts[] = {
    {"--set", 1, "KEY=VALUE", "override a config key (repeatable)"},
    {NULL, 0, NULL, NULL},
};

static void thousands(char *buf, size_t size, size_t v)
{
    char raw[32];
    snprintf(raw, sizeof raw, "%zu", v);
    size_t len = strlen(raw), o = 0;
    for (size_t i = 0; i < len && o + 2 < size; i++) {
        buf[o++] = raw[i];
        if ((len - i - 1) % 3 == 0 && i + 1 < len)
            buf[o++] = ',';
    }
    buf[o] = '\0';
}

static void print_summary(const model *m, const char *title, const stylize_config *sc)
{
    const graph *g = m->g;
    printf("%s\n", title);
    printf("%-22s %-16s %-18s %14s  %s\n", "layer", "type", "output shape", "params", "inputs");
    for (int i = 0; i < g->n_nodes; i++) {
        const graph_node *n = &g->nodes[i];
        size_t own = 0;
        int frozen = 0;
        for (int k = 0; k < n->n_params; k++) {
            const graph_param *p = &g->params[n->params[k]];
            if (p->buffer || p->node != i)
                continue;
            own += p->n;
            frozen |= !p->trainable;
        }
        char shape[64], count[32], inputs[256] = "", type[48];
        tensor_shape_str(&n->shape, shape, sizeof shape);
        thousands(count, sizeof count, own);
        for (int k = 0; k < n->n_in; k++) {
            size_t len = strlen(inputs);
            snprintf(inputs + len, sizeof inputs - len, "%s%s", k ? ", " : "", g->nodes[n->in[k]].spec.name);
        }
        if (n->spec.activation != ACT_LINEAR && n->spec.op != OP_ACTIVATION)
            snprintf(type, sizeof type, "%s+%s", n->spec.type, graph_act_names[n->spec.activation]);
        else if (n->spec.op == OP_ACTIVATION)
            snprintf(type, sizeof type, "%s", graph_act_names[n->spec.activation]);
        else
            snprintf(type, sizeof type, "%s", n->spec.type);
        printf("%-22s %-16s %-18s %14s  %s%s%s\n", n->spec.name, type, shape, count, inputs,
               frozen ? "  (frozen)" : "", n->spec.share[0] ? "  (shared)" : "");
    }
    size_t tr, fr;
    graph_count_params(g, &tr, &fr);
    char a[32], b[32], c[32];
    thousands(a, sizeof a, tr + fr);
    thousands(b, sizeof b, tr);
    thousands(c, sizeof c, fr);
    printf("total params: %s (trainable %s, frozen %s)\n", a, b, c);
    if (m->features.n > 0) { /* CSV: what the input reads, one-hot features as COLUMN=VALUE */
        printf("input features (%d):", m->features.n);
        char e[128];
        for (int i = 0; i < m->features.n && i < 24; i++)
            printf("%s %s", i ? "," : "", dlc_escape(e, sizeof e, m->features.v[i], DLC_ESC_ALL));
        printf("%s\n", m->features.n > 24 ? ", ..." : "");
    }
    if (sc && sc->on) { /* its costs, not a training loss */
        printf("style transfer: J = %g J_content(%s) + %g J_style(", sc->alpha, sc->content, sc->beta);
        for (int l = 0; l < sc->n_style; l++)
            printf("%s%g %s", l ? " + " : "", sc->style_weight[l], sc->style[l]);
        printf(")%s\n", sc->tv > 0 ? " + tv TV(G)" : "");
        return;
    }
    for (int h = 0; h < m->n_heads; h++) {
        const model_head *mh = &m->heads[h];
        if (m->n_heads > 1)
            printf("output %s: layer %s, loss %s, weight %g%s\n", mh->name,
                   g->nodes[g->outputs[h]].spec.name, loss_names[mh->loss], mh->weight,
                   mh->fused_link ? " (its activation is folded into the loss)" : "");
        else
            printf("loss: %s%s\n", loss_names[mh->loss],
                   mh->fused_link ? " (the output layer's activation is folded into the loss)" : "");
    }
}

static const char *mib(char *buf, size_t size, size_t bytes)
{
    snprintf(buf, size, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
    return buf;
}

/* The memory plan of a training run at the configured batch size. */
static void print_memory(const train_memory *p, const dlc_config *cfg)
{
    const graph_memory *g = &p->graph;
    char a[32], b[32];
    printf("memory plan for training at batch %d (dlc train refuses to start when it does not fit):\n",
           p->batch);
    printf("  %-34s %12s\n", "parameters", mib(a, sizeof a, g->params));
    /* frozen parameters have no gradient, no optimizer state and no copy */
    const char *fz = p->frozen ? "; the frozen parameters have none" : "";
    if (p->frozen)
        printf("  %-34s %12s  (none for the %s of frozen parameters)\n", "gradients",
               mib(a, sizeof a, g->grads), mib(b, sizeof b, p->frozen));
    else
        printf("  %-34s %12s\n", "gradients", mib(a, sizeof a, g->grads));
    /* sgd keeps a buffer only with a momentum */
    const optim_config *oc = &cfg->train.optimizer;
    printf("  %-34s %12s  (%s%s%s)\n", "optimizer state", mib(a, sizeof a, p->optimizer),
           optim_names[oc->type],
           oc->type != OPT_SGD ? ""
           : oc->momentum > 0  ? (oc->nesterov ? " with nesterov momentum" : " with momentum")
                               : " without momentum: none",
           fz);
    if (p->best)
        printf("  %-34s %12s  (train.keep_best%s)\n", "the best epoch's weights",
               mib(a, sizeof a, p->best), p->frozen ? "; frozen ones are not copied" : "");
    printf("  %-34s %12s  (%s and optimizer state, written while training goes on)\n",
           "checkpoint snapshot", mib(a, sizeof a, p->snapshot),
           p->frozen ? "the parameters that learn" : "parameters");
    printf("  %-34s %12s  (live when backward starts)\n", "activations kept for backward",
           mib(a, sizeof a, g->kept));
    char c[32], d[32];
    /* one arena serves training and evaluation: the larger of the two plans */
    printf("  %-34s %12s  (training %s by lifetime, %s if every buffer had its own; "
           "evaluation in batches of %d: %s)\n",
           "activations and their gradients", mib(a, sizeof a, g->arena),
           mib(b, sizeof b, g->train_arena), mib(c, sizeof c, g->separate), g->eval_rows,
           mib(d, sizeof d, g->eval_arena));
    printf("  %-34s %12s  (the largest layer's scratch, shared by every layer)\n", "workspace",
           mib(a, sizeof a, g->workspace));
    printf("  %-34s %12s\n", "inputs, outputs, carried state", mib(a, sizeof a, g->fixed));
    printf("  %-34s %12s\n", "total", mib(a, sizeof a, p->total));
}

/* The model as a counting build: shapes and parameter counts, nothing
 * allocated, so a model too large for this machine is still summarized. */
static dlc_status build_counting(model *m, const dlc_config *cfg, const data_bundle *data,
                                 dlc_error *err)
{
    graph_build_options o;
    graph_build_defaults(&o, 1);
    o.measure = 1;
    return data ? model_build_for_opts(m, cfg, data, &o, err)
                : model_build_opts(m, cfg, &cfg->input, NULL, 0, &o, err);
}

/* 1 when --set gives train.batch_size. */
static int sets_batch(const cli_args *a)
{
    for (int i = 0; i < a->n_sets; i++)
        if (strncmp(a->sets[i], "train.batch_size=", 17) == 0)
            return 1;
    return 0;
}

static int run(const cli_args *a)
{
    const cli_command *c = &cli_summary_cmd;
    if (a->n_pos != 1)
        return cli_usage_error(c, "expected one CONFIG file or RUN folder, got %d arguments", a->n_pos);
    dlc_error err = {0};
    struct stat st;
    const char *arg = a->pos[0];
    int is_model = (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) ||
                   (strlen(arg) > 12 && strcmp(arg + strlen(arg) - 12, ".safetensors") == 0);
    model m;
    char title[4400];
    stylize_config sc = {0};
    if (is_model && a->n_sets > 0)
        return cli_usage_error(c, "--set applies to a CONFIG; a run's model is as it was trained "
                                  "(for its memory plan at another batch: dlc summary "
                                  "RUN/config.yaml --set train.batch_size=N)");
    if (is_model) {
        char path[4200];
        if (cli_model_file("summary", arg, path, sizeof path, &err) != DLC_OK ||
            model_load(&m, path, 1, &err) != DLC_OK)
            return cli_fail(&err);
        snprintf(title, sizeof title, "model %s", path);
    } else {
        dlc_config cfg;
        if (cli_load_config(&cfg, arg, a, &err) != DLC_OK)
            return cli_fail(&err);
        dlc_status s;
        data_bundle data = {0};
        char unread[1300] = "";
        int with_data = cfg.input.ndim == 0 || cfg.data.format == DATA_TEXT;
        if (with_data) {
            /* the shape (and class count, or vocabulary) comes from the data; with
             * model.input given, summary needs no data (architectures without a
             * dataset here) */
            if ((s = cli_load_data(&data, &cfg, 0, &err)) == DLC_OK)
                s = build_counting(&m, &cfg, &data, &err);
        } else {
            s = build_counting(&m, &cfg, NULL, &err);
            /* a layer that takes its size from the data (units: auto): read the data
             * after all when the config has some */
            const data_source *tr = &cfg.data.train;
            int has_data = tr->file[0] || tr->images[0] || tr->dir[0] || cfg.data.n_sources > 0;
            /* a batch of `full`, or one asked for with --set, is the train split's
             * size or at most it, as dlc train takes it: that needs the data */
            if (s == DLC_OK && !cfg.no_data && has_data && !cfg.stylize.on &&
                (cfg.train.batch_size == 0 || sets_batch(a))) {
                model_free(&m);
                with_data = 1;
                dlc_status ds = cli_load_data(&data, &cfg, 0, &err);
                if (ds == DLC_OK) {
                    s = build_counting(&m, &cfg, &data, &err);
                } else if (ds == DLC_EINPUT && cfg.train.batch_size > 0) {
                    /* data not here (an architecture's): the plan at the batch as given */
                    snprintf(unread, sizeof unread, "note: the data could not be read (%s), so "
                             "the plan is for batch %d as given; dlc train takes at most the "
                             "train split's size", err.msg, cfg.train.batch_size);
                    err = (dlc_error){0};
                    with_data = 0;
                    s = build_counting(&m, &cfg, NULL, &err);
                } else {
                    s = ds;
                    if (cfg.train.batch_size == 0)
                        dlc_error_prefix(&err, "train.batch_size full is the train split's "
                                               "size, which summary reads the data for");
                }
            } else if (s == DLC_EINPUT && !cfg.no_data && has_data) {
                with_data = 1; /* the failed build freed what it made */
                dlc_error first = err;
                if ((s = cli_load_data(&data, &cfg, 0, &err)) == DLC_OK)
                    s = build_counting(&m, &cfg, &data, &err);
                else if (s == DLC_EINPUT) {
                    /* the model's own error comes first: data missing here says
                     * nothing of a kernel larger than its input */
                    dlc_error data_err = err;
                    dlc_fail(&err, DLC_EINPUT, "%s (and the data, read for sizes taken from "
                             "it: %s)", first.msg, data_err.msg);
                }
            }
        }
        snprintf(title, sizeof title, "model %s (%s)", cfg.name, arg);
        /* a stylize config optimizes one image: no training batch to plan */
        int B = cfg.stylize.on ? 0 : cfg.train.batch_size ? cfg.train.batch_size : with_data ? data.split[DATA_SPLIT_TRAIN].n : 0;
        int asked = B;
        if (s == DLC_OK && with_data && B > 0) {
            /* the batch dlc train will use: P x K for triplets, at most the train split */
            B = data_plan_batch(&data, B);
            if (B > data.split[DATA_SPLIT_TRAIN].n && data.split[DATA_SPLIT_TRAIN].n > 0)
                B = data.split[DATA_SPLIT_TRAIN].n;
        }
        /* the plan, and dlc train's check of it against the memory there is */
        train_memory plan = {0};
        char fit[1200] = "";
        if (s == DLC_OK && B > 0) {
            s = train_memory_check(&cfg, with_data ? &data : NULL, B, &plan, fit, sizeof fit, &err);
            if (s == DLC_EINPUT && plan.batch == B) { /* the plan was made: it does not fit */
                snprintf(fit, sizeof fit, "does not fit: %s; dlc train would refuse to start "
                         "(exit 2)", err.msg);
                s = DLC_OK;
            }
        }
        if (s == DLC_OK) {
            print_summary(&m, title, &cfg.stylize);
            if (B > 0 && B < asked && B == data.split[DATA_SPLIT_TRAIN].n)
                printf("note: batch_size %d is larger than the train split (%d); dlc train uses %d\n",
                       asked, B, B);
            if (unread[0])
                printf("%s\n", unread);
            char freeze[600]; /* what dlc train would say of the freezing */
            model_freeze_note(&m, &cfg, freeze, sizeof freeze);
            if (freeze[0])
                printf("%s\n", freeze);
            char decay[600]; /* and of the weight decay */
            model_decay_note(&m, &cfg, decay, sizeof decay);
            if (decay[0])
                printf("%s\n", decay);
            if (B > 0) {
                print_memory(&plan, &cfg);
                printf("%s\n", fit);
                const graph_node *bn = B == 1 ? train_feature_batchnorm(m.g) : NULL;
                if (bn)
                    printf("note: dlc train refuses train.batch_size 1 here: layer '%s' is "
                           "batchnorm over features, which needs batches of at least 2\n",
                           bn->spec.name);
            } else if (!cfg.stylize.on) {
                printf("memory plan: batch_size full takes its size from the data, which "
                       "this config does not name (give --set train.batch_size=N)\n");
            }
        }
        data_free(&data);
        config_free(&cfg);
        model_free(&m);
        return s == DLC_OK ? 0 : cli_fail(&err);
    }
    print_summary(&m, title, &sc);
    model_free(&m);
    return 0;
}

const cli_command cli_summary_cmd = {
    "summary", "CONFIG|RUN [--set KEY=VALUE ...]",
    "Print each layer's output shape and parameter count, and the totals.",
    opts, run,
};
