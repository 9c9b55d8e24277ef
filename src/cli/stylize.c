/* stylize.c - `dlc stylize CONFIG --content C --style S --out G.png`: style
 * transfer (src/stylize) with a progress line, intermediate images, a cost
 * log and the problem exported for the PyTorch script. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../data/data.h"
#include "../io/io.h"
#include "../stylize/stylize.h"
#include "cli.h"

static const cli_opt opts[] = {
    {"--content", 1, "FILE", "the content image C (PNG, JPEG, BMP, GIF, ...)"},
    {"--style", 1, "FILE", "the style image S"},
    {"--out", 1, "FILE", "the generated image G, written as PNG"},
    {"--size", 1, "N", "G's longer side in pixels (default stylize.size); C is resized to it, S covers it"},
    {"--steps", 1, "N", "optimizer steps (default stylize.steps)"},
    {"--every", 1, "K", "every K steps, save G as OUT with .<step> before the extension and print a line"},
    {"--log", 1, "FILE", "the costs of every step as CSV: step, J, J_content, J_style, J_tv, seconds, evals"},
    {"--export", 1, "FILE", "write the problem (network, images, costs) for scripts/stylize_torch.py"},
    {"--init", 1, "G0.png", "start G from this image of G's size (e.g. an interrupted run's --out) instead of stylize.init"},
    {"--set", 1, "KEY=VALUE", "override a config key, e.g. stylize.beta=1e4 (repeatable)"},
    {"--seed", 1, "N", "the seed (same as --set seed=N): random weights and noise"},
    {NULL, 0, NULL, NULL},
};

typedef struct {
    const char *out;
    atomic_int *stop;  /* Ctrl-C: stop after this step, keep the image so far */
    int every, tty, quiet, drawn;
    double first_J_style;
    int last_step;      /* the last step reported */
    double last_draw;
    dlc_buf log;        /* the CSV, written at the end */
} progress;

/* OUT with ".<step>" before its extension: g.png -> g.100.png */
static void step_name(char *buf, size_t size, const char *out, int step)
{
    const char *dot = strrchr(out, '.'), *slash = strrchr(out, '/');
    if (!dot || (slash && dot < slash))
        dot = out + strlen(out);
    snprintf(buf, size, "%.*s.%d%s", (int)(dot - out), out, step, dot);
}

static void print_line(FILE *f, const stylize_progress *p)
{
    double rate = p->seconds > 0 ? p->step / p->seconds : 0;
    fprintf(f, "step %d/%d  J %.4g  J_content %.4g  J_style %.4g", p->step, p->steps, p->J,
            p->J_content, p->J_style);
    if (p->J_tv > 0)
        fprintf(f, "  J_tv %.4g", p->J_tv);
    fprintf(f, "  %.2f steps/s", rate);
}

static dlc_status on_step(void *user, const stylize *s, const stylize_progress *p, dlc_error *err)
{
    progress *pr = user;
    if (p->step == 0)
        pr->first_J_style = p->J_style;
    pr->last_step = p->step;
    dlc_buf_printf(&pr->log, "%d,%.9g,%.9g,%.9g,%.9g,%.4f,%ld\n", p->step, p->J, p->J_content,
                   p->J_style, p->J_tv, p->seconds, p->evals);
    int mark = pr->every > 0 && p->step > 0 && p->step % pr->every == 0;
    if (mark) {
        char name[4200];
        step_name(name, sizeof name, pr->out, p->step);
        dlc_status st = stylize_save_png(s, name, err);
        if (st != DLC_OK)
            return st;
    }
    if (!pr->quiet) {
        double now = p->seconds;
        if (pr->tty && (now - pr->last_draw > 0.1 || p->step == p->steps)) {
            fprintf(stderr, "\r\033[K");
            print_line(stderr, p);
            fflush(stderr);
            pr->drawn = 1;
            pr->last_draw = now;
        }
        /* not a terminal: a line every K steps, else about ten in all */
        int every = pr->every > 0 ? pr->every : (p->steps >= 10 ? p->steps / 10 : 1);
        if (!pr->tty && (p->step % every == 0 || p->step == p->steps)) {
            print_line(stdout, p);
            printf("\n");
            fflush(stdout);
        }
    }
    if (*pr->stop)
        return dlc_fail(err, DLC_EINTR, "interrupted at step %d", p->step);
    return DLC_OK;
}

/* An option's whole number in [lo, hi] into *out (0 when absent); 2 on error. */
static int int_opt(const cli_command *c, const cli_args *a, const char *name, long lo, long hi,
                   int *out)
{
    const char *v = cli_get(c, a, name);
    long n = 0;
    *out = 0;
    if (v && (dlc_parse_long(v, &n) != 0 || n < lo || n > hi))
        return cli_usage_error(c, "%s needs a whole number from %ld to %ld, got '%s'", name, lo, hi, v);
    *out = (int)n;
    return 0;
}

static int run(const cli_args *a)
{
    const cli_command *c = &cli_stylize_cmd;
    if (a->n_pos != 1)
        return cli_usage_error(c, "expected one CONFIG file, got %d arguments", a->n_pos);
    const char *content = cli_get(c, a, "--content"), *style = cli_get(c, a, "--style");
    const char *out = cli_get(c, a, "--out"), *log = cli_get(c, a, "--log");
    const char *export = cli_get(c, a, "--export");
    if (!content || !style || !out)
        return cli_usage_error(c, "--content, --style and --out are required");
    int size, steps, every, rc;
    /* --size as stylize.size allows */
    if ((rc = int_opt(c, a, "--size", 8, 4096, &size)) ||
        (rc = int_opt(c, a, "--steps", 1, 10000000, &steps)) ||
        (rc = int_opt(c, a, "--every", 1, 10000000, &every)) || (rc = cli_check_png(c, "--out", out)) || (rc = cli_check_writable(c, "--out", out)) ||
        (log && (rc = cli_check_writable(c, "--log", log))) ||
        (export && (rc = cli_check_writable(c, "--export", export))))
        return rc;
    dlc_error err = {0};
    dlc_config cfg;
    stylize *s = NULL;
    progress pr = {.out = out, .every = every, .tty = isatty(STDERR_FILENO), .quiet = cli_quiet(c, a)};
    if (cli_load_config(&cfg, a->pos[0], a, &err) != DLC_OK)
        return cli_fail(&err);
    if (!cfg.stylize.on) {
        dlc_fail(&err, DLC_EINPUT, "%s: no stylize: section (stylize.content, stylize.style: the "
                                   "layers of the costs)", a->pos[0]);
        config_free(&cfg);
        return cli_fail(&err);
    }
    cli_set_threads(cli_get(c, a, "--threads"), cfg.threads);
    if (size)
        cfg.stylize.size = size;
    if (steps)
        cfg.stylize.steps = steps; /* what --export records */
    const char *init = cli_get(c, a, "--init");
    dlc_status st = stylize_create(&s, &cfg, content, style, 0, &err);
    if (st == DLC_OK && init)
        st = stylize_start_from(s, init, &err);
    if (st == DLC_OK && export)
        st = stylize_export(s, export, &err);
    if (st != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    int H, W;
    stylize_size(s, &H, &W);
    if (!pr.quiet) {
        fprintf(stderr, "stylize %s: %dx%d, %d steps of %s%s%s\n", cfg.name, W, H,
                cfg.stylize.steps, cfg.stylize.optimizer == STYLIZE_LBFGS ? "L-BFGS" : "Adam",
                init ? ", from " : "", init ? init : "");
        /* C smaller than G: G is drawn over an enlarged C, with no more detail than C has */
        tensor_shape cs;
        dlc_error perr = {0};
        if (data_image_probe(content, 0, &cs, &perr) == DLC_OK && cs.d[1] < H && cs.d[2] < W)
            fprintf(stderr, "note: the content image %s is %dx%d: it is enlarged to G's %dx%d "
                            "(--size %d), so G has no more detail than C (a smaller --size is "
                            "faster)\n", content, cs.d[2], cs.d[1], W, H, cfg.stylize.size);
        /* S is scaled to cover G: a small S is enlarged, its strokes with it */
        if (data_image_probe(style, 0, &cs, &perr) == DLC_OK && (cs.d[1] < H || cs.d[2] < W))
            fprintf(stderr, "note: the style image %s is %dx%d: it is enlarged to cover G's %dx%d, "
                            "and its textures with it\n", style, cs.d[2], cs.d[1], W, H);
    }
    dlc_buf_printf(&pr.log, "step,J,J_content,J_style,J_tv,seconds,evals\n");
    pr.stop = cli_catch_stop();
    st = stylize_run(s, 0, on_step, &pr, &err);
    if (pr.drawn)
        fprintf(stderr, "\r\033[K");
    /* the image so far is worth keeping when stopped by request */
    dlc_error werr = {0};
    if ((st == DLC_OK || st == DLC_EINTR) && stylize_save_png(s, out, &werr) != DLC_OK) {
        rc = cli_fail(&werr);
        goto done;
    }
    if (log && !pr.log.failed && io_write_file(log, pr.log.s, pr.log.len, &werr) != DLC_OK) {
        rc = cli_fail(&werr);
        goto done;
    }
    if (st != DLC_OK) {
        if (st == DLC_EINTR)
            fprintf(stderr, "dlc: %s; wrote the image so far to %s (to go on: the same command "
                            "with --init %s --steps %d; the optimizer's state starts afresh)\n",
                    err.msg, out, out, cfg.stylize.steps - pr.last_step);
        rc = st == DLC_EINTR ? dlc_exit_code(st) : cli_fail(&err);
        goto done;
    }
    stylize_progress p = stylize_costs(s);
    double fall = pr.first_J_style > 0 ? 1.0 - p.J_style / pr.first_J_style : 0;
    printf("wrote %s (%dx%d): J %.4g  J_content %.4g  J_style %.4g (%.1f%% below its start)\n",
           out, W, H, p.J, p.J_content, p.J_style, 100.0 * fall);
    rc = 0;
done:
    dlc_buf_free(&pr.log);
    stylize_free(s);
    config_free(&cfg);
    return rc;
}

const cli_command cli_stylize_cmd = {
    "stylize", "CONFIG --content C --style S --out G.png [--size N] [--steps N] [--every K] [--init G0.png]",
    "Generate an image with the content of C and the style of S by gradient descent on the "
    "config's content and Gram-matrix style costs (its stylize: section).",
    opts, run,
};
