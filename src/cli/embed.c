/* embed.c - `dlc embed CONFIG`: learn word vectors from a text corpus and
 * write a run folder; `dlc embed RUN --neighbours WORD` and
 * `--analogy A B C` query the vectors of a run (or of a vectors file). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../embed/embed.h"
#include "cli.h"

static const cli_opt opts[] = {
    {"--set", 1, "KEY=VALUE", "override a config key, e.g. embed.dim=50 (repeatable)"},
    {"--seed", 1, "N", "the run's seed (same as --set seed=N)"},
    {"--out", 1, "DIR", "run folder (default: runs/<name>)"},
    {"--force", 0, NULL, "overwrite an existing run folder"},
    {"--neighbours", 1, "WORD", "query RUN: the words nearest to WORD (cosine)"},
    {"--analogy", 1, "A B C", "query RUN: A is to B as C is to ? (B - A + C; three words)"},
    {"--top-k", 1, "K", "query RUN: how many words to list (default 10)"},
    {NULL, 0, NULL, NULL},
};

enum { MAX_EPOCHS = 10000 };

typedef struct {
    int tty, quiet, drawn;
    const char *unit; /* of the rate: "words", or glove's "pairs" */
    double last_draw, t_start;
    embed_epoch *epochs; /* (cfg epochs) */
    int n_epochs, cap;
} progress;

static void clear_line(progress *p)
{
    if (p->drawn) {
        fprintf(stderr, "\r\033[K");
        p->drawn = 0;
    }
}

static void on_progress(void *user, double done, double lr, double rate)
{
    progress *p = user;
    if (!p->tty || p->quiet)
        return;
    double now = dlc_now();
    if (now - p->last_draw < 0.1)
        return;
    p->last_draw = now;
    /* the time left as dlc train gives it: window_lm's softmax over a whole
     * vocabulary runs for hours on a text skip-gram learns in seconds */
    fprintf(stderr, "\r\033[K%5.1f%%  lr %.5f  %.0f %s/s", 100.0 * done, lr, rate, p->unit);
    if (done > 0 && done < 1)
        fprintf(stderr, "  ETA %.0fs", (now - p->t_start) * (1.0 - done) / done);
    fflush(stderr);
    p->drawn = 1;
}

static void on_epoch(void *user, const embed_epoch *e)
{
    progress *p = user;
    if (p->n_epochs < p->cap)
        p->epochs[p->n_epochs++] = *e;
    clear_line(p);
    if (p->quiet)
        return;
    if (e->empty)
        printf("epoch %3d  lr %.5f  loss -  (nothing trained: subsampling kept no two words of a "
               "line; embed.sample: 0 keeps every word)", e->epoch, e->lr);
    else if (isfinite(e->loss))
        printf("epoch %3d  lr %.5f  loss %.4f", e->epoch, e->lr, e->loss);
    else
        printf("epoch %3d  lr %.5f  loss -", e->epoch, e->lr); /* no word sampled for it */
    if (isfinite(e->dev_loss))
        printf("  dev_loss %.4f  dev_perplexity %.1f", e->dev_loss, exp(e->dev_loss));
    printf("  %.1fs  %.0f %s/s\n", e->seconds, e->rate, p->unit);
    fflush(stdout);
}

/* Vectors that have not spread apart yet (word2vec after an epoch on a small
 * text: every neighbour at 0.9998, gensim's too; CBOW after five epochs of
 * the fortunes: 0.998) make every similarity read near 1: said where the
 * similarities are made and where they are read (not under --quiet there:
 * the answer alone, as dlc predict --quiet gives). */
static void warn_unseparated(const embed_vectors *v, const char *what, embed_method method)
{
    double mean, nearest;
    if (!embed_unseparated(v, &mean, &nearest))
        return;
    int n = v->V < EMBED_NEAREST_WORDS ? v->V : EMBED_NEAREST_WORDS;
    int m = v->V < EMBED_SPREAD_WORDS ? v->V : EMBED_SPREAD_WORDS;
    fprintf(stderr, "dlc: warning: %s: the vectors have not separated yet: the %d most frequent "
                    "words' nearest neighbours have a median cosine similarity of %.4f, and the "
                    "%d most frequent words a mean of %.4f to each other, so nearest words score near "
                    "1 whatever they are (vectors trained briefly share one direction: gensim's "
                    "word2vec does the same, 0.95 after one epoch of the fortunes); train longer "
                    "(embed.epochs) or on more text%s\n",
            what, n, nearest, m, mean,
            method == EMBED_GLOVE ? " (GloVe: the reference's 25 epochs at embed.lr: 0.05)" : "");
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int learn(const cli_command *c, const cli_args *a)
{
    if (a->n_pos != 1)
        return cli_usage_error(c, "expected one CONFIG file, got %d arguments", a->n_pos);
    dlc_error err = {0};
    dlc_config cfg;
    if (cli_load_any_config(&cfg, a->pos[0], a, &err) != DLC_OK)
        return cli_fail(&err);
    int rc = 0;
    char *yaml = NULL;
    data_corpus corpus = {0};
    embed_vectors vec = {0};
    progress p = {0};
    char run_dir[2048], probe[2300];
    if (!cfg.embed.on) {
        fprintf(stderr, "dlc: error: %s has no embed: section (dlc embed learns word vectors; "
                        "dlc train trains the model it describes)\n", a->pos[0]);
        rc = 2;
        goto done;
    }
    const char *out = cli_get(c, a, "--out");
    snprintf(run_dir, sizeof run_dir, "%s", out ? out : "runs/");
    if (!out)
        snprintf(run_dir, sizeof run_dir, "runs/%s", cfg.name);
    snprintf(probe, sizeof probe, "%s/%s", run_dir, embed_run_files[0]);
    if (exists(probe) && !cli_get(c, a, "--force")) {
        fprintf(stderr, "dlc: error: %s already holds vectors; use --force to start over (or "
                        "--out DIR)\n", run_dir);
        rc = 2;
        goto done;
    }
    if (config_to_yaml(&cfg, &yaml, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    cli_set_threads(cli_get(c, a, "--threads"), cfg.threads);
    p.tty = isatty(STDERR_FILENO);
    p.quiet = cli_quiet(c, a);
    p.unit = embed_rate_unit(cfg.embed.method);
    p.cap = cfg.embed.epochs < MAX_EPOCHS ? cfg.embed.epochs : MAX_EPOCHS;
    p.epochs = calloc((size_t)p.cap, sizeof *p.epochs);
    if (!p.epochs) {
        err.status = DLC_NOMEM(&err);
        rc = cli_fail(&err);
        goto done;
    }
    double t0 = dlc_now();
    if (data_text_corpus(&corpus, &cfg.data, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (!p.quiet)
        fprintf(stderr, "%s: %s, %d-dimensional vectors of %d words (%ld words of text, read "
                        "in %.1fs) -> %s\n",
                cfg.name, embed_method_names[cfg.embed.method], cfg.embed.dim, corpus.V,
                corpus.words, dlc_now() - t0, run_dir);
    embed_callbacks cb = {&p, on_progress, on_epoch};
    embed_result res;
    p.t_start = dlc_now();
    if (embed_train(&vec, &corpus, &cfg.embed, cfg.data.train.file, cfg.seed, &cb, &res, &err) !=
        DLC_OK) {
        clear_line(&p);
        rc = cli_fail(&err);
        goto done;
    }
    embed_run_info info = {run_dir, cfg.name, yaml, &cfg.embed, &res, p.epochs, p.n_epochs,
                           corpus.words, corpus.tokens, tensor_get_threads()};
    if (embed_write_run(&vec, &info, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    warn_unseparated(&vec, run_dir, cfg.embed.method);
    char pairs[80] = ""; /* glove's epochs visit its pairs, not the text's words */
    if (cfg.embed.method == EMBED_GLOVE)
        snprintf(pairs, sizeof pairs, " over %ld co-occurring pairs an epoch", res.pairs);
    printf("%d words x %d in %.1fs of training (%.0f %s/s%s, %d thread%s); run folder %s\n", vec.V,
           vec.D, res.seconds, res.rate, p.unit, pairs, tensor_get_threads(),
           tensor_get_threads() == 1 ? "" : "s", run_dir);
done:
    embed_vectors_free(&vec);
    data_corpus_free(&corpus);
    free(p.epochs);
    free(yaml);
    config_free(&cfg);
    return rc;
}

/* RUN (a run folder: its word2vec binary file) or a vectors file */
static dlc_status load_vectors(embed_vectors *v, const char *run, dlc_error *err)
{
    struct stat st;
    char path[4096];
    if (stat(run, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(path, sizeof path, "%s/%s", run, embed_run_files[EMBED_W2V_BINARY]);
        char mfile[4200];
        snprintf(mfile, sizeof mfile, "%s/model.safetensors", run);
        if (stat(path, &st) != 0 && stat(mfile, &st) == 0)
            return dlc_fail(err, DLC_EINPUT,
                            "%s is a run of dlc train, not of dlc embed: it has no word vectors "
                            "to query (dlc embed RUN takes the folder dlc embed CONFIG wrote, or "
                            "a vectors file)", run);
    } else
        snprintf(path, sizeof path, "%s", run);
    return embed_vectors_read(v, path, err);
}

static int word_row(const embed_vectors *v, const char *w, const char *run)
{
    int r = embed_find(v, w);
    if (r >= 0)
        return r;
    char e[256], e2[256];
    /* the vectors keep case (lowercase: false): a word in another case is the likely one */
    int other = -1;
    for (int i = 0; i < v->V && other < 0; i++)
        if (strcasecmp(v->words.v[i], w) == 0)
            other = i;
    fprintf(stderr, "dlc: error: '%s' is not in the vocabulary of %s (%d words)",
            dlc_escape(e, sizeof e, w, DLC_ESC_ALL), run, v->V);
    if (other >= 0)
        fprintf(stderr, "; '%s' is (a query matches case exactly)",
                dlc_escape(e2, sizeof e2, v->words.v[other], DLC_ESC_ALL));
    fprintf(stderr, "\n");
    return r;
}

static int query(const cli_command *c, const cli_args *a)
{
    const char *nb = cli_get(c, a, "--neighbours"), *an = cli_get(c, a, "--analogy");
    const char *kt = cli_get(c, a, "--top-k");
    long k = 10;
    if (kt && (dlc_parse_long(kt, &k) != 0 || k < 1 || k > 100000))
        return cli_usage_error(c, "--top-k needs a whole number from 1 to 100000, got '%s'", kt);
    if (nb && an)
        return cli_usage_error(c, "--neighbours and --analogy are separate queries");
    /* --analogy takes three words: its value and the two positionals that
     * follow it, or one quoted "A B C"; RUN comes first or last */
    const char *words[3] = {an, NULL, NULL};
    char buf[3][256];
    const char *run = a->n_pos > 0 ? a->pos[0] : NULL;
    if (an && strchr(an, ' ')) {
        if (sscanf(an, "%255s %255s %255s", buf[0], buf[1], buf[2]) != 3)
            return cli_usage_error(c, "--analogy needs three words, got '%s'", an);
        for (int i = 0; i < 3; i++)
            words[i] = buf[i];
    } else if (an) {
        if (a->n_pos != 3)
            return cli_usage_error(c, "--analogy needs three words and a run: RUN --analogy A B C");
        int first = exists(a->pos[0]);
        run = first ? a->pos[0] : a->pos[2];
        words[1] = a->pos[first ? 1 : 0];
        words[2] = a->pos[first ? 2 : 1];
    }
    if (!(an && !strchr(an, ' ')) && a->n_pos != 1)
        return cli_usage_error(c, "expected one RUN folder or vectors file, got %d arguments",
                               a->n_pos);
    dlc_error err = {0};
    embed_vectors v;
    if (load_vectors(&v, run, &err) != DLC_OK)
        return cli_fail(&err);
    if (v.duplicates > 0)
        fprintf(stderr, "note: %s lists %ld word%s again; the first vector of each is used\n", run,
                v.duplicates, v.duplicates == 1 ? "" : "s");
    if (!cli_quiet(c, a))
        warn_unseparated(&v, run, EMBED_METHOD_COUNT);
    int rc = 0, skip[3], n_skip = 0;
    float *q = tensor_alloc((size_t)v.D);
    int *ids = malloc(sizeof(int) * (size_t)k);
    float *sims = malloc(sizeof(float) * (size_t)k);
    if (!q || !ids || !sims) {
        rc = 1;
        fprintf(stderr, "dlc: error: out of memory\n");
        goto done;
    }
    if (nb) {
        int r = word_row(&v, nb, run);
        if (r < 0) {
            rc = 2;
            goto done;
        }
        memcpy(q, v.w + (size_t)r * v.D, sizeof(float) * (size_t)v.D);
        skip[n_skip++] = r;
    } else {
        for (int i = 0; i < 3; i++) {
            int r = word_row(&v, words[i], run);
            if (r < 0) {
                rc = 2;
                goto done;
            }
            skip[n_skip++] = r;
        }
        embed_analogy_query(&v, skip[0], skip[1], skip[2], q);
    }
    /* a zero vector has no direction: every cosine similarity would read 0 */
    double qq = 0;
    for (int i = 0; i < v.D; i++)
        qq += (double)q[i] * q[i];
    if (!(qq > 0)) {
        char ew[256];
        if (nb)
            fprintf(stderr, "dlc: error: %s: '%s' has a zero vector", run,
                    dlc_escape(ew, sizeof ew, nb, DLC_ESC_ALL));
        else
            fprintf(stderr, "dlc: error: %s: the analogy's B - A + C is a zero vector", run);
        fprintf(stderr, ", which no word is near or far from (cosine similarity needs a "
                        "direction)\n");
        rc = 2;
        goto done;
    }
    int got = embed_nearest(&v, q, skip, n_skip, (int)k, ids, sims);
    char e[3][256];
    if (an)
        printf("%s is to %s as %s is to:\n", dlc_escape(e[0], sizeof e[0], words[0], DLC_ESC_ALL),
               dlc_escape(e[1], sizeof e[1], words[1], DLC_ESC_ALL),
               dlc_escape(e[2], sizeof e[2], words[2], DLC_ESC_ALL));
    for (int i = 0; i < got; i++) /* words from data reach the terminal escaped */
        printf("%-20s %.4f\n", dlc_escape(e[0], sizeof e[0], v.words.v[ids[i]], DLC_ESC_ALL),
               sims[i]);
done:
    tensor_free(q);
    free(ids);
    free(sims);
    embed_vectors_free(&v);
    return rc;
}

static int run(const cli_args *a)
{
    const cli_command *c = &cli_embed_cmd;
    if (cli_get(c, a, "--neighbours") || cli_get(c, a, "--analogy"))
        return query(c, a);
    if (cli_get(c, a, "--top-k"))
        return cli_usage_error(c, "--top-k goes with --neighbours or --analogy");
    return learn(c, a);
}

const cli_command cli_embed_cmd = {
    "embed", "CONFIG [options] | RUN --neighbours WORD | RUN --analogy A B C",
    "Learn word vectors from a text corpus (word2vec skip-gram or CBOW, GloVe, or the "
    "context-window model; the config's embed: section) and write a run folder "
    "(vectors.txt, vectors.bin, glove.txt, vocab.txt, metrics.csv, report.json); or list a "
    "trained run's nearest words or an analogy's answers.",
    opts, run,
};
