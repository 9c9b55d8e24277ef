/* memory.c - what a training run will take, from the graph's memory plan
 * (src/graph/plan.h), and the check `dlc train` makes before it starts. */
#include "train.h"

#include <stdio.h>
#include <string.h>

#include "../optim/optim.h"

void train_graph_options(const dlc_config *cfg, const data_bundle *data, int batch,
                         graph_build_options *o)
{
    graph_build_defaults(o, batch);
    /* evaluation in batches of up to 256 (no more than the largest split),
     * where their plan fits in the training plan's memory */
    int largest = 256;
    if (data) {
        largest = data->split[DATA_SPLIT_TRAIN].n;
        for (int i = 0; i < DATA_SPLIT_COUNT; i++)
            largest = data->split[i].n > largest ? data->split[i].n : largest;
    }
    o->eval_max = batch > 256 ? batch : (largest < 256 ? largest : 256);
    o->eval_fit = 1;
    if ((data && data->text) || cfg->data.format == DATA_TEXT)
        o->eval_max = batch; /* sequences: per-step buffers grow with the batch; evaluate at its size */
    for (int h = 0; h < cfg->n_heads; h++)
        if (cfg->heads[h].loss == LOSS_TRIPLET)
            o->eval_max = batch; /* mined in batches of the train batch (model_run) */
}

dlc_status train_memory_plan(const dlc_config *cfg, const data_bundle *data, int batch,
                             train_memory *out, dlc_error *err)
{
    memset(out, 0, sizeof *out);
    graph_build_options o;
    train_graph_options(cfg, data, batch, &o);
    o.measure = 1;
    model m;
    dlc_status st = data ? model_build_for_opts(&m, cfg, data, &o, err)
                         : model_build_opts(&m, cfg, &cfg->input, NULL, 0, &o, err);
    if (st != DLC_OK)
        return st;
    graph_memory_of(m.g, &out->graph);
    /* state for the trainable parameters alone (frozen ones have no gradient) */
    out->optimizer = out->graph.grads * (size_t)optim_moments(&cfg->train.optimizer);
    /* the best epoch's weights, kept when there is a dev split to judge by,
     * and the checkpoint's snapshot of the parameters and the optimizer state
     * (written while training goes on): of what training changes, as a
     * frozen weight is the same in every epoch */
    int dev = data ? data->split[DATA_SPLIT_DEV].n > 0 : 1;
    out->best = cfg->train.keep_best && dev ? out->graph.learned : 0;
    out->snapshot = out->graph.learned + out->optimizer;
    out->copies = out->best + out->snapshot;
    size_t frozen;
    graph_count_params(m.g, NULL, &frozen);
    out->frozen = sizeof(float) * frozen;
    out->total = out->graph.total + out->optimizer + out->copies;
    out->batch = batch;
    model_free(&m);
    return DLC_OK;
}

int train_largest_batch(const dlc_config *cfg, const data_bundle *data, int upto, size_t limit,
                        dlc_error *err)
{
    int lo = 0, hi = upto; /* lo fits (0: nothing does), hi + 1 does not */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        train_memory p;
        if (train_memory_plan(cfg, data, mid, &p, err) != DLC_OK)
            return -1;
        if (p.total <= limit)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* "1.25 GiB", "310.4 MiB", "86 KiB" */
static const char *bytes_str(char *buf, size_t size, size_t v)
{
    double kib = (double)v / 1024.0, mib = kib / 1024.0;
    if (mib >= 1024.0)
        snprintf(buf, size, "%.2f GiB", mib / 1024.0);
    else if (mib >= 1.0)
        snprintf(buf, size, "%.1f MiB", mib);
    else
        snprintf(buf, size, "%.0f KiB", kib);
    return buf;
}

dlc_status train_memory_check(const dlc_config *cfg, const data_bundle *data, int batch,
                              train_memory *plan, char *note, size_t note_size, dlc_error *err)
{
    dlc_status st = train_memory_plan(cfg, data, batch, plan, err);
    if (st != DLC_OK)
        return st;
    size_t avail, total, limit;
    char a[32], b[32], c[32], why[160];
    int known = dlc_memory_info(&avail, &total) == 0;
    if (cfg->train.memory_limit > 0) {
        limit = (size_t)(cfg->train.memory_limit * 1073741824.0);
        snprintf(why, sizeof why, "train.memory_limit is %s", bytes_str(a, sizeof a, limit));
    } else if (known) {
        /* MemAvailable, not the physical RAM: what can be had without
         * swapping now, with the data already loaded and the other programs
         * running; a plan beyond it would page the model to disk */
        limit = avail;
        snprintf(why, sizeof why, "this machine has %s available (MemAvailable; %s of RAM in all)",
                 bytes_str(a, sizeof a, avail), bytes_str(b, sizeof b, total));
    } else {
        snprintf(note, note_size, "memory: the plan needs %s (the machine's memory is unknown)",
                 bytes_str(a, sizeof a, plan->total));
        return DLC_OK;
    }
    if (plan->total <= limit) {
        snprintf(note, note_size, "memory: the plan needs %s; %s", bytes_str(a, sizeof a, plan->total),
                 why);
        return DLC_OK;
    }
    int fits = train_largest_batch(cfg, data, batch - 1, limit, err);
    if (fits < 0)
        return err->status;
    bytes_str(a, sizeof a, plan->total);
    bytes_str(c, sizeof c, plan->graph.arena);
    if (fits == 0)
        return dlc_fail(err, DLC_EINPUT,
                        "train.batch_size %d: the memory plan needs %s (activations and their "
                        "gradients %s) but %s; even a batch of 1 does not fit (a smaller model, or "
                        "train.memory_limit in GiB to allow more)",
                        batch, a, c, why);
    return dlc_fail(err, DLC_EINPUT,
                    "train.batch_size %d: the memory plan needs %s (activations and their gradients "
                    "%s) but %s; the largest batch that fits is %d (set train.batch_size, or "
                    "train.memory_limit in GiB to allow more; `dlc summary` shows the plan)",
                    batch, a, c, why, fits);
}
