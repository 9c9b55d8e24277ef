/* predict_text.c - `dlc predict` for text models (dispatched from predict.c):
 *   --prompt TEXT [--length N] [--temperature T] [--seed S]
 *        a language model continues TEXT, sampling one token at a time: the
 *        model is loaded for sequences of one step and the recurrent state is
 *        carried from step to step (g->carry), so each token costs one step;
 *   --text TEXT [--top K]
 *        a classifier prints its K most likely classes with probabilities; a
 *        tagger prints every token with its tag (token/TAG).
 * Sampling draws from softmax(logits / T) with the seed's random stream
 * (DLC_STREAM_SAMPLE): the same seed gives the same text; temperature 0
 * takes the most likely token.  <pad> and <unk> are never produced. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "cli.h"

typedef struct {
    model m;
    dlc_config cfg;
    int have_cfg;
} text_model;

static void text_model_free(text_model *t)
{
    if (t->have_cfg)
        config_free(&t->cfg);
    model_free(&t->m);
}

/* Loads RUN's model (input: NULL = its own shape) and its config. */
static dlc_status load(text_model *t, const char *run, const tensor_shape *input, dlc_error *err)
{
    char path[4200];
    memset(t, 0, sizeof *t);
    cli_model_path(run, path, sizeof path);
    dlc_status s = model_load_input(&t->m, path, 1, input, err);
    if (s != DLC_OK)
        return s;
    if ((s = config_load_string(&t->cfg, path, t->m.config_yaml, strlen(t->m.config_yaml), NULL, 0,
                                err)) != DLC_OK)
        return s;
    t->have_cfg = 1;
    if (t->cfg.data.format != DATA_TEXT || t->m.vocab.n == 0)
        return dlc_fail(err, DLC_EINPUT, "%s: not a text model (--prompt and --text need one trained "
                                         "on data.format text)", path);
    return DLC_OK;
}

static int parse_num(const cli_command *c, const cli_args *a, const char *name, double def, double lo,
                     double hi, double *out)
{
    const char *v = cli_get(c, a, name);
    if (v && strncmp(v, "seed=", 5) == 0)
        v += 5; /* main.c turns --seed N into the override seed=N */
    *out = def;
    if (v && (dlc_parse_double(v, out) != 0 || !(*out >= lo && *out <= hi)))
        return cli_usage_error(c, "%s needs a number from %g to %g, got '%s'", name, lo, hi, v);
    return 0;
}

/* softmax(z / temperature) into p (K), excluding <pad> and <unk>; returns
 * the argmax when temperature is 0. */
static int next_token(const float *z, int K, double temperature, dlc_rng *rng, double *p)
{
    int best = -1;
    for (int k = 0; k < K; k++)
        if (k != TEXT_PAD && k != TEXT_UNK && (best < 0 || z[k] > z[best]))
            best = k;
    if (temperature <= 0 || best < 0)
        return best < 0 ? 0 : best;
    double sum = 0;
    for (int k = 0; k < K; k++) {
        p[k] = k == TEXT_PAD || k == TEXT_UNK ? 0.0 : exp((z[k] - z[best]) / temperature);
        sum += p[k];
    }
    double u = dlc_rng_uniform(rng) * sum;
    for (int k = 0; k < K; k++) {
        if (p[k] == 0.0)
            continue;
        u -= p[k];
        if (u < 0)
            return k;
    }
    return best;
}

static void print_token(const text_model *t, int id)
{
    const char *s = t->m.vocab.v[id];
    if (t->cfg.data.text.unit == TEXT_CHARS)
        fputs(s, stdout);
    else if (strcmp(s, "<eos>") == 0)
        fputs("\n", stdout);
    else
        printf("%s ", s);
}

static int generate(const cli_command *c, const cli_args *a, const char *prompt)
{
    double length, temperature, seed;
    int rc;
    if ((rc = parse_num(c, a, "--length", 200, 0, 1e7, &length)) ||
        (rc = parse_num(c, a, "--temperature", 1.0, 0, 100, &temperature)) ||
        (rc = parse_num(c, a, "--seed", 1, 0, 9007199254740992.0, &seed)))
        return rc;
    dlc_error err = {0};
    text_model t;
    tensor_shape one = {1, {1}};
    float *ids = NULL;
    double *p = NULL;
    if (load(&t, a->pos[0], &one, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (t.cfg.data.text.task != TEXT_LM) {
        fprintf(stderr, "dlc: error: %s is a %s model: --prompt needs a language model (use --text)\n",
                a->pos[0], data_text_task_names[t.cfg.data.text.task]);
        rc = 2;
        goto done;
    }
    graph *g = t.m.g;
    graph_node *out = graph_output(g, 0);
    int K = out->shape.d[out->shape.ndim - 1];
    size_t cap = strlen(prompt) + 2;
    ids = malloc(sizeof(float) * cap);
    p = malloc(sizeof(double) * (size_t)K);
    if (!ids || !p) {
        rc = cli_fail(&(dlc_error){DLC_ENOMEM, "out of memory"});
        goto done;
    }
    int n = data_text_encode(&t.cfg.data.text, &t.m.vocab, prompt, ids, (int)cap, &err);
    if (n < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if (n == 0) {
        /* nothing to continue: start as after a line end */
        int nl = dlc_strlist_find(&t.m.vocab, t.cfg.data.text.unit == TEXT_CHARS ? "\n" : "<eos>");
        ids[n++] = (float)(nl >= 0 ? nl : 2 < t.m.vocab.n ? 2 : 0);
    }
    fputs(prompt, stdout);
    if (t.cfg.data.text.unit == TEXT_WORDS && prompt[0] && !strchr(" \n", prompt[strlen(prompt) - 1]))
        fputs(" ", stdout);
    dlc_rng rng;
    dlc_rng_seed(&rng, (uint64_t)seed, DLC_STREAM(DLC_STREAM_SAMPLE, 0));
    for (int i = 0; i < n; i++) {
        graph_input(g, 0)[0] = ids[i];
        g->carry = i > 0;
        graph_forward(g, 1, 0);
    }
    for (long k = 0; k < (long)length; k++) {
        int id = next_token(out->out, K, temperature, &rng, p);
        print_token(&t, id);
        graph_input(g, 0)[0] = (float)id;
        g->carry = 1;
        graph_forward(g, 1, 0);
    }
    fputs("\n", stdout);
    rc = 0;
done:
    free(ids);
    free(p);
    text_model_free(&t);
    return rc;
}

/* The text's tokens as strings, for a tagger's output: white-space separated
 * words, or characters.  Returns the count; *buf holds them (free it). */
static int split_display(const char *text, int chars, char ***out)
{
    size_t len = strlen(text);
    char **v = malloc(sizeof *v * (len + 1));
    int n = 0;
    if (!v)
        return -1;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        if (chars) {
            j++;
            while (j < len && ((unsigned char)text[j] & 0xC0) == 0x80)
                j++;
        } else {
            if (strchr(" \t\r\n\v\f", text[i])) {
                i++;
                continue;
            }
            while (j < len && !strchr(" \t\r\n\v\f", text[j]))
                j++;
        }
        v[n] = strndup(text + i, j - i);
        if (!v[n]) {
            for (int k = 0; k < n; k++)
                free(v[k]);
            free(v);
            return -1;
        }
        n++;
        i = j;
    }
    *out = v;
    return n;
}

typedef struct {
    double p;
    int k;
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    return x->p < y->p ? 1 : x->p > y->p ? -1 : x->k - y->k;
}

static int label(const cli_command *c, const cli_args *a, const char *text)
{
    double top;
    int rc;
    if ((rc = parse_num(c, a, "--top-k", 3, 1, 1e6, &top)))
        return rc;
    dlc_error err = {0};
    text_model t;
    float *ids = NULL;
    ranked *r = NULL;
    char **words = NULL;
    int n_words = 0;
    if (load(&t, a->pos[0], NULL, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    const data_text_config *tc = &t.cfg.data.text;
    if (tc->task == TEXT_LM) {
        fprintf(stderr, "dlc: error: %s is a language model: use --prompt to continue a text\n",
                a->pos[0]);
        rc = 2;
        goto done;
    }
    graph *g = t.m.g;
    graph_node *out = graph_output(g, 0);
    int K = out->shape.d[out->shape.ndim - 1], T = (int)t.m.g->nodes[0].size;
    size_t cap = strlen(text) + 1;
    ids = calloc(cap + (size_t)T, sizeof(float));
    r = malloc(sizeof *r * (size_t)K);
    if (!ids || !r) {
        rc = cli_fail(&(dlc_error){DLC_ENOMEM, "out of memory"});
        goto done;
    }
    int n = data_text_encode(tc, &t.m.vocab, text, ids, (int)cap, &err);
    if (n < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if (tc->task == TEXT_CLASSIFY) {
        if (n > T)
            fprintf(stderr, "note: the text has %d tokens; the model reads the first %d\n", n, T);
        memcpy(graph_input(g, 0), ids, sizeof(float) * (size_t)T);
        for (int i = n; i < T; i++)
            graph_input(g, 0)[i] = (float)TEXT_PAD;
        graph_forward(g, 1, 0);
        const float *z = out->out;
        double m = z[0], sum = 0;
        for (int k = 1; k < K; k++)
            m = z[k] > m ? z[k] : m;
        for (int k = 0; k < K; k++) {
            r[k] = (ranked){exp(z[k] - m), k};
            sum += r[k].p;
        }
        qsort(r, (size_t)K, sizeof *r, ranked_cmp);
        for (int k = 0; k < K && k < (int)top; k++)
            printf("%-24s %.4f\n", r[k].k < t.m.heads[0].classes.n ? t.m.heads[0].classes.v[r[k].k] : "?", r[k].p / sum);
        rc = 0;
        goto done;
    }
    /* a tagger: pieces of T tokens, one tag per token */
    n_words = split_display(text, 0, &words);
    if (n_words < 0) {
        rc = cli_fail(&(dlc_error){DLC_ENOMEM, "out of memory"});
        goto done;
    }
    for (int at = 0; at < n; at += T) {
        int len = n - at < T ? n - at : T;
        for (int i = 0; i < T; i++)
            graph_input(g, 0)[i] = i < len ? ids[at + i] : (float)TEXT_PAD;
        graph_forward(g, 1, 0);
        for (int i = 0; i < len; i++) {
            const float *z = out->out + (size_t)i * K;
            int best = 0;
            for (int k = 1; k < K; k++)
                best = z[k] > z[best] ? k : best;
            int w = at + i;
            printf("%s%s/%s", w ? " " : "", w < n_words ? words[w] : t.m.vocab.v[(int)ids[w]],
                   best < t.m.heads[0].classes.n ? t.m.heads[0].classes.v[best] : "?");
        }
    }
    printf("\n");
    rc = 0;
done:
    for (int i = 0; i < n_words; i++)
        free(words[i]);
    free(words);
    free(ids);
    free(r);
    text_model_free(&t);
    return rc;
}

int cli_predict_text(const cli_command *c, const cli_args *a)
{
    const char *prompt = cli_get(c, a, "--prompt"), *text = cli_get(c, a, "--text");
    if (a->n_pos != 1)
        return cli_usage_error(c, "expected one RUN folder or model file, got %d arguments", a->n_pos);
    if (prompt && text)
        return cli_usage_error(c, "--prompt (language models) and --text (classifiers, taggers) "
                                  "exclude each other");
    cli_set_threads(cli_get(c, a, "--threads"), 1);
    return prompt ? generate(c, a, prompt) : label(c, a, text);
}
