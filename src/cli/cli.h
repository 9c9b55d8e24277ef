/* cli.h - what the command files share: option parsing, messages, loading a
 * config or a run.  Only src/cli prints to stdout/stderr and picks exit codes:
 * 0 success, 1 failure while running, 2 bad usage, config or data. */
#ifndef DLC_CLI_H
#define DLC_CLI_H

#include <stdatomic.h>

#include "../config/config.h"
#include "../train/model.h"

#define CLI_MAX_SETS 256
#define DLC_VERSION "0.1.0"
/* the longest argument accepted (a path: PATH_MAX - 1); longer is a usage error */
#define CLI_ARG_MAX 4095

typedef struct {
    const char *name;   /* "--out" */
    int has_arg;
    const char *arg;    /* "DIR", for help */
    const char *help;
} cli_opt;

/* Parsed command line: options by table row, positionals in order. */
typedef struct {
    const char *value[32];   /* per option row: argument, or "1" for flags; NULL if absent */
    const char *sets[CLI_MAX_SETS];
    int n_sets;              /* --set values, in order (also --seed as seed=...) */
    const char *pos[64];
    int n_pos;
    char seed_set[96];       /* storage for --seed turned into "seed=..." */
} cli_args;

typedef struct {
    const char *name;
    const char *usage;       /* "CONFIG [options]" */
    const char *summary;     /* one line */
    const cli_opt *opts;     /* NULL-name terminated; common options are added */
    int (*run)(const cli_args *a);
} cli_command;

/* Index of option name in the command's table (common options included). */
int cli_opt_index(const cli_command *c, const char *name);
const char *cli_get(const cli_command *c, const cli_args *a, const char *name);

/* Prints "dlc: error: msg" and returns the exit code for err's status. */
int cli_fail(const dlc_error *err);
/* Prints a usage error for a command and returns 2. */
int cli_usage_error(const cli_command *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Applies --threads (or the config's threads) to the BLAS. */
/* The cores this process may run on (its CPU affinity), at least 1. */
long cli_usable_cores(void);
void cli_set_threads(const char *arg, int config_threads);

/* Loads a config with overrides and makes relative data paths absolute.
 * cli_load_config refuses a config for dlc embed (an embed: section);
 * cli_load_any_config takes both kinds. */
dlc_status cli_load_config(dlc_config *c, const char *path, const cli_args *a, dlc_error *err);
dlc_status cli_load_any_config(dlc_config *c, const char *path, const cli_args *a, dlc_error *err);

/* RUN may be a run folder or a model file: the model file path into buf. */
const char *cli_model_path(const char *run, char *buf, size_t size);

/* cli_model_path for command cmd (src/cli/runs.c), EINPUT naming what RUN is
 * when it is no model: dlc embed's vectors, a config file. */
dlc_status cli_model_file(const char *cmd, const char *run, char *buf, size_t size, dlc_error *err);

/* 0 when the folder of path can be written; else a usage error about opt (2). */
int cli_check_writable(const cli_command *c, const char *opt, const char *path);

/* 0 unless path has an extension other than .png; else a usage error (2):
 * dlc writes PNG whatever the name says. */
int cli_check_png(const cli_command *c, const char *opt, const char *path);

int cli_quiet(const cli_command *c, const cli_args *a);

/* From now on SIGINT and SIGTERM set the flag returned (a long command stops
 * at its next batch or step); a second signal ends the process at once.
 * (The signals are taken on a thread of their own, see main.c.) */
atomic_int *cli_catch_stop(void);
/* The flag cli_catch_stop returns, without catching the signals yet. */
atomic_int *cli_stop_flag(void);
/* Until cli_catch_stop, SIGINT and SIGTERM end the process at once (exit
 * 130), saying it was interrupted while loading: for work that has nothing
 * to save and no step to stop at (reading a large image folder). */
void cli_exit_on_stop(void);

/* loading.c: says what a command reads while it loads its data (a line
 * naming the files and their size; on a terminal redrawn with the seconds
 * so far, by a thread of its own, until cli_loading_stop).  NULL when there
 * is nothing to draw (quiet, not a terminal); cli_loading_stop(NULL) does
 * nothing.  Stop it before printing anything else. */
typedef struct cli_loading cli_loading;
cli_loading *cli_loading_start(const data_config *d, int tty, int quiet);
void cli_loading_stop(cli_loading *l);
/* model_load_data with the line above while it runs (stderr a terminal or not). */
dlc_status cli_load_data(data_bundle *b, const dlc_config *cfg, int quiet, dlc_error *err);

extern const cli_command cli_train_cmd, cli_eval_cmd, cli_summary_cmd, cli_gradcheck_cmd;
extern const cli_command cli_sample_cmd, cli_leaderboard_cmd; /* sweep.c */
extern const cli_command cli_analyze_cmd;
extern const cli_command cli_predict_cmd;
extern const cli_command cli_stylize_cmd;
extern const cli_command cli_verify_cmd;
extern const cli_command cli_embed_cmd, cli_export_cmd, cli_import_cmd;

/* `dlc predict` for text models (predict_text.c): --prompt or --text of c. */
int cli_predict_text(const cli_command *c, const cli_args *a);
/* A tagger's tags of text appended to b as "token/TAG token/TAG ..." (both
 * escaped for the terminal), or with json as "tokens": [{"token", "tag",
 * "id", "probability"}, ...]; *nonfinite counts the probabilities written
 * as null (may be NULL).  predict_text.c. */
dlc_status cli_tag_line(dlc_buf *b, model *m, const char *text, int json, int *nonfinite,
                        dlc_error *err);
/* The end of a prediction: out printed when st is DLC_OK (nothing is printed
 * before an input is refused), else the error; out freed.  The exit code. */
int cli_predict_output(dlc_status st, const dlc_error *err, dlc_buf *out);
/* The note on a CSV file's values of categorical columns that training never
 * saw (count of them, the first's line and "column: value"); nothing for 0. */
void cli_note_unseen(const char *path, int count, int line, const char *example);
/* `dlc predict` for detection models (predict_detect.c): the boxes of the
 * image files (folders expanded) with --json, --draw, --score, --iou of c. */
int cli_predict_detect(const cli_command *c, const cli_args *a, model *m,
                       const dlc_strlist *files);
/* `dlc predict RUN IMAGE... --windows`: an image classifier over every
 * window of each image at once (convolutional sliding windows). */
int cli_predict_windows(const cli_command *c, const cli_args *a, const model *m,
                        const dlc_strlist *files);

#endif
