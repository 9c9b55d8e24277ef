/* predict_text.c - `dlc predict` for text models (dispatched from predict.c):
 *   --prompt TEXT [--length N] [--temperature T] [--seed S]
 *        a language model continues TEXT, sampling one token at a time: the
 *        model is loaded for sequences of one step and the recurrent state is
 *        carried from step to step (g->carry), so each token costs one step;
 *   --text TEXT [--top K]
 *        a classifier prints its K most likely classes with probabilities; a
 *        tagger prints every token with its tag (token/TAG).
 * Sampling (src/infer) draws from softmax(logits / T) with the seed's random
 * stream: the same seed gives the same text; temperature 0 takes the most
 * likely token.  <pad> and <unk> are never produced. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../infer/infer.h"
#include "cli.h"

/* Loads RUN's model (input: NULL = its own shape); lm: for --prompt. */
static dlc_status load(model *m, const char *run, const tensor_shape *input, int lm, dlc_error *err)
{
    char path[4200];
    dlc_status s = cli_model_file("predict", run, path, sizeof path, err);
    if (s != DLC_OK)
        return s;
    s = model_load_input(m, path, 1, input, err);
    if (s == DLC_OK && (!m->text || m->vocab.n == 0)) {
        model_free(m);
        return dlc_fail(err, DLC_EINPUT, "%s: not a %s model (%s needs one trained on data.format "
                                         "text%s)",
                        path, lm ? "language" : "text", lm ? "--prompt" : "--text",
                        lm ? ", task lm" : "");
    }
    return s;
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

/* Generated text keeps its lines; any other control character is shown
 * escaped (dlc_escape), never sent to the terminal. */
static void print_token(void *user, int id)
{
    const model *m = user;
    const char *s = m->vocab.v[id];
    char e[256];
    if (m->text_cfg.unit == TEXT_CHARS)
        fputs(dlc_escape(e, sizeof e, s, DLC_ESC_KEEP_LINES), stdout);
    else if (strcmp(s, "<eos>") == 0)
        fputs("\n", stdout);
    else
        printf("%s ", dlc_escape(e, sizeof e, s, DLC_ESC_KEEP_LINES));
}

/* The text as the model's tokens: EINPUT when it is not UTF-8, or has no
 * token and `empty_ok` is 0; a note counts the tokens the vocabulary lacks,
 * which the model reads as <unk> (what = "prompt", "text"). */
static dlc_status check_tokens(const model *m, const char *text, const char *what, int empty_ok,
                               dlc_error *err)
{
    size_t cap = strlen(text) + 1;
    float *ids = malloc(sizeof *ids * cap);
    if (!ids)
        return DLC_NOMEM(err);
    int n = data_text_encode(&m->text_cfg, &m->vocab, text, ids, (int)cap, err), unknown = 0;
    for (int i = 0; i < n; i++)
        unknown += ids[i] == TEXT_UNK;
    free(ids);
    if (n < 0)
        return err->status;
    const char *unit = m->text_cfg.unit == TEXT_CHARS ? "characters" : "words";
    if (n == 0 && !empty_ok)
        return dlc_fail(err, DLC_EINPUT, "--%s: the %s has no %s to read", what, what, unit);
    if (unknown)
        fprintf(stderr, "note: %d of the %s's %d %s %s not in the model's vocabulary: the model "
                        "reads %s as <unk>\n", unknown, what, n, unit, unknown == 1 ? "is" : "are",
                unknown == 1 ? "it" : "them");
    return DLC_OK;
}

static int generate(const cli_command *c, const cli_args *a, const char *prompt)
{
    double length, temperature, seed;
    int rc;
    if (cli_get(c, a, "--top-k"))
        return cli_usage_error(c, "--top-k goes with --text (a classifier's classes); --prompt "
                                  "samples each token from all of them (--temperature 0: the "
                                  "most likely)");
    if ((rc = parse_num(c, a, "--length", 200, 0, 1e7, &length)) ||
        (rc = parse_num(c, a, "--temperature", 1.0, 0, 100, &temperature)) ||
        (rc = parse_num(c, a, "--seed", 1, 0, 9007199254740992.0, &seed)))
        return rc;
    dlc_error err = {0};
    model m;
    tensor_shape one = {1, {1}};
    /* what the model is, before it is rebuilt to read one token at a time
     * (which only a language model can) */
    if (load(&m, a->pos[0], NULL, 1, &err) != DLC_OK)
        return cli_fail(&err);
    text_task task = m.text_cfg.task;
    model_free(&m);
    if (task != TEXT_LM) {
        fprintf(stderr, "dlc: error: %s is not a language model (a text %s model): --prompt needs "
                        "one; label texts with --text\n",
                a->pos[0], task == TEXT_TAG ? "tagging" : "classification");
        return 2;
    }
    if (load(&m, a->pos[0], &one, 1, &err) != DLC_OK)
        return cli_fail(&err);
    /* check the prompt before printing anything */
    if (check_tokens(&m, prompt, "prompt", 1, &err) != DLC_OK) {
        model_free(&m);
        return cli_fail(&err);
    }
    fputs(prompt, stdout);
    if (m.text_cfg.unit == TEXT_WORDS && prompt[0] && !strchr(" \n", prompt[strlen(prompt) - 1]))
        fputs(" ", stdout);
    infer_gen_opts o = {(long)length, temperature, (uint64_t)seed};
    rc = infer_generate(&m, prompt, &o, print_token, &m, &err) == DLC_OK ? 0 : cli_fail(&err);
    fputs("\n", stdout);
    model_free(&m);
    return rc;
}

dlc_status cli_tag_line(dlc_buf *b, model *m, const char *text, int json, int *nonfinite,
                        dlc_error *err)
{
    const model_head *mh = &m->heads[0];
    dlc_strlist tokens = {0}; /* as written: the model reads them lowercased, if it does */
    int cap = (int)strlen(text) + 1, n = 0;
    int *tags = malloc(sizeof *tags * (size_t)cap);
    float *p = malloc(sizeof *p * (size_t)cap);
    dlc_status st = !tags || !p ? DLC_NOMEM(err) : data_text_split(&m->text_cfg, text, &tokens, err);
    const int n_words = tokens.n;
    char **words = tokens.v;
    if (st == DLC_OK)
        st = infer_tag_text(m, text, tags, p, cap, &n, err);
    if (json && st == DLC_OK)
        dlc_buf_printf(b, "\"tokens\": [");
    for (int w = 0; w < n && st == DLC_OK; w++) {
        const char *word = w < n_words ? words[w] : "?";
        const char *tag = tags[w] < mh->classes.n ? mh->classes.v[tags[w]] : "?";
        if (json) {
            dlc_buf_printf(b, "%s{\"token\": ", w ? ", " : "");
            json_write_string(b, word);
            dlc_buf_printf(b, ", \"tag\": ");
            json_write_string(b, tag);
            dlc_buf_printf(b, ", \"id\": %d, \"probability\": ", tags[w]);
            json_write_number(b, p[w]);
            dlc_buf_printf(b, "}");
            if (nonfinite)
                *nonfinite += !isfinite(p[w]);
            continue;
        }
        dlc_buf_printf(b, "%s", w ? " " : "");
        dlc_buf_escape(b, word, DLC_ESC_ALL);
        dlc_buf_printf(b, "/");
        dlc_buf_escape(b, tag, DLC_ESC_ALL);
    }
    if (json && st == DLC_OK)
        dlc_buf_printf(b, "]");
    dlc_strlist_clear(&tokens);
    free(tags);
    free(p);
    return st == DLC_OK && b->failed ? DLC_NOMEM(err) : st;
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
    if (cli_get(c, a, "--length") || cli_get(c, a, "--temperature"))
        return cli_usage_error(c, "--length and --temperature go with --prompt (a language model "
                                  "continuing a text); --text labels a text");
    if ((rc = parse_num(c, a, "--top-k", 3, 1, 1e6, &top)))
        return rc;
    dlc_error err = {0};
    model m;
    ranked *r = NULL;
    double *p = NULL;
    if (load(&m, a->pos[0], NULL, 0, &err) != DLC_OK)
        return cli_fail(&err);
    const model_head *mh = &m.heads[0];
    graph_node *out = graph_output(m.g, 0);
    int K = out->shape.d[out->shape.ndim - 1], T = (int)m.g->nodes[0].size;
    if (m.text_cfg.task == TEXT_LM) {
        fprintf(stderr, "dlc: error: %s is a language model: use --prompt to continue a text\n",
                a->pos[0]);
        rc = 2;
        goto done;
    }
    if (check_tokens(&m, text, "text", 0, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (m.text_cfg.task == TEXT_CLASSIFY) {
        int n;
        r = malloc(sizeof *r * (size_t)K);
        p = malloc(sizeof *p * (size_t)K);
        if (!r || !p) {
            rc = cli_fail(&(dlc_error){DLC_ENOMEM, "out of memory"});
            goto done;
        }
        if (infer_classify_text(&m, text, p, &n, &err) != DLC_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        if (n > T)
            fprintf(stderr, "note: the text has %d tokens; the model reads the first %d\n", n, T);
        for (int k = 0; k < K; k++)
            r[k] = (ranked){p[k], k};
        qsort(r, (size_t)K, sizeof *r, ranked_cmp);
        char e[256];
        for (int k = 0; k < K && k < (int)top; k++)
            printf("%-24s %.4f\n",
                   dlc_escape(e, sizeof e, r[k].k < mh->classes.n ? mh->classes.v[r[k].k] : "?",
                              DLC_ESC_ALL),
                   r[k].p);
        rc = 0;
        goto done;
    }
    /* a tagger: one tag per token */
    dlc_buf line = {0};
    if (cli_tag_line(&line, &m, text, 0, NULL, &err) != DLC_OK) {
        rc = cli_fail(&err);
        dlc_buf_free(&line);
        goto done;
    }
    printf("%s\n", line.s ? line.s : "");
    dlc_buf_free(&line);
    rc = 0;
done:
    free(r);
    free(p);
    model_free(&m);
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
