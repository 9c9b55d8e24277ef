/* main.c - `dlc COMMAND [options] ARGS`: dispatch, option parsing, help. */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/util.h"
#include "../config/schema.h"
#include "../dist/dist.h"
#include "../tensor/tensor.h"
#include "cli.h"

static const cli_opt common_opts[] = {
    {"--help", 0, NULL, "show this help"},
    {"--threads", 1, "N", "worker threads (train, eval: the config's threads, else the usable cores up to 4; others: 1)"},
    {"--quiet", 0, NULL, "print only results and errors"},
    {NULL, 0, NULL, NULL},
};

/* Short forms of the options a user of Keras' and PyTorch's scripts
 * (argparse gives every script -h), of darknet or of Unix tools types by
 * habit; -o as scripts/sweep.sh takes it.  Each stands for its long option
 * on the commands that have that option. */
static const char *const short_opts[][2] = {
    {"-h", "--help"},
    {"-q", "--quiet"},
    {"-o", "--out"},
};

static const char *short_of(const char *long_name)
{
    for (size_t i = 0; i < DLC_ARRAY_LEN(short_opts); i++)
        if (strcmp(short_opts[i][1], long_name) == 0)
            return short_opts[i][0];
    return NULL;
}

static const cli_command *const commands[] = {
    &cli_train_cmd, &cli_eval_cmd, &cli_predict_cmd, &cli_summary_cmd, &cli_gradcheck_cmd,
    &cli_analyze_cmd, &cli_sample_cmd, &cli_leaderboard_cmd, &cli_embed_cmd, &cli_export_cmd,
    &cli_import_cmd, &cli_verify_cmd, &cli_stylize_cmd, NULL,
};

static int n_opts(const cli_opt *o)
{
    int n = 0;
    while (o && o[n].name)
        n++;
    return n;
}

int cli_opt_index(const cli_command *c, const char *name)
{
    int k = n_opts(c->opts);
    for (int i = 0; i < k; i++)
        if (strcmp(c->opts[i].name, name) == 0)
            return i;
    for (int i = 0; common_opts[i].name; i++)
        if (strcmp(common_opts[i].name, name) == 0)
            return k + i;
    return -1;
}

static const cli_opt *opt_at(const cli_command *c, int i)
{
    int k = n_opts(c->opts);
    return i < k ? &c->opts[i] : &common_opts[i - k];
}

const char *cli_get(const cli_command *c, const cli_args *a, const char *name)
{
    int i = cli_opt_index(c, name);
    return i < 0 ? NULL : a->value[i];
}

int cli_quiet(const cli_command *c, const cli_args *a)
{
    return cli_get(c, a, "--quiet") != NULL;
}

int cli_fail(const dlc_error *err)
{
    /* messages quote file names and labels from data: escaped, so a label
     * cannot send the terminal a control sequence */
    char msg[2 * sizeof err->msg];
    fprintf(stderr, "dlc: error: %s\n", dlc_escape(msg, sizeof msg, err->msg, DLC_ESC_KEEP_LINES));
    return dlc_exit_code(err->status);
}

int cli_usage_error(const cli_command *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "dlc %s: %s\nusage: dlc %s %s\n(see 'dlc %s --help')\n", c->name, msg, c->name,
            c->usage, c->name);
    return 2;
}

/* Signals are handled on a thread of their own.  oneDNN 2.6's JIT sgemm
 * kernels point the stack pointer into the heap while they run; a signal
 * handled on a thread inside one writes its frame there and corrupts the heap
 * (upstream oneDNN issue 4845, fixed after 3.11).  So main blocks SIGINT and
 * SIGTERM before it starts any thread (each inherits the mask) and starts
 * signal_thread, which leaves them open and sleeps.  The kernel delivers them
 * there, or to a thread a library started before main (OpenBLAS's), which
 * never runs oneDNN.  Until cli_catch_stop a signal keeps the action the
 * process inherited (ends it, or is ignored, as in a background job). */
static atomic_int stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    atomic_store(&stop_requested, 1);
    /* a second one, of either kind, ends the process */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

static void *signal_thread(void *arg)
{
    sigset_t *set = arg;
    pthread_setname_np(pthread_self(), "dlc-signals");
    pthread_sigmask(SIG_UNBLOCK, set, NULL);
    for (;;)
        pause();
    return NULL;
}

static void take_signals_on_own_thread(void)
{
    static sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_t th;
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return;
    if (pthread_create(&th, NULL, signal_thread, &set) != 0)
        pthread_sigmask(SIG_UNBLOCK, &set, NULL); /* no thread: as before */
    else
        pthread_detach(th);
}

atomic_int *cli_stop_flag(void)
{
    return &stop_requested;
}

/* Before there is anything to stop cleanly: end now, saying so (write(2)
 * and _exit are safe in a handler). */
static void on_stop_exit(int sig)
{
    (void)sig;
    static const char msg[] = "\ndlc: interrupted while loading; nothing was trained\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    _exit(130);
}

void cli_exit_on_stop(void)
{
    signal(SIGINT, on_stop_exit);
    signal(SIGTERM, on_stop_exit);
}

atomic_int *cli_catch_stop(void)
{
    signal(SIGINT, on_stop_signal);
    signal(SIGTERM, on_stop_signal);
    return &stop_requested;
}

enum { DEFAULT_MAX_THREADS = 4 };

/* Reads two numbers from a file (a cgroup's quota and period); how many it read. */
static int read_two(const char *root, const char *name, long long *a, long long *b)
{
    char path[4096], buf[64];
    snprintf(path, sizeof path, "%s/%s", root, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return sscanf(buf, "%lld %lld", a, b);
}

/* The cores a CPU quota of the process's cgroup grants (a container's
 * `docker run --cpus`, a Kubernetes CPU limit), rounded up; 0 for none.
 * Read where a container sees its own cgroup: DLC_CGROUP_ROOT (tests),
 * else /sys/fs/cgroup: v2's cpu.max ("max 100000" or "QUOTA PERIOD"),
 * v1's cpu.cfs_quota_us (-1: none) and cpu.cfs_period_us. */
static long quota_cores(void)
{
    const char *root = getenv("DLC_CGROUP_ROOT");
    root = root && *root ? root : "/sys/fs/cgroup";
    long long q = 0, p = 0, unused;
    if (read_two(root, "cpu.max", &q, &p) != 2) {
        const char *v1[] = {"cpu", "cpu,cpuacct", "cpuacct,cpu"};
        char quota[64], period[64];
        q = p = 0;
        for (size_t i = 0; i < sizeof v1 / sizeof v1[0] && !(q > 0 && p > 0); i++) {
            snprintf(quota, sizeof quota, "%s/cpu.cfs_quota_us", v1[i]);
            snprintf(period, sizeof period, "%s/cpu.cfs_period_us", v1[i]);
            if (read_two(root, quota, &q, &unused) < 1 || read_two(root, period, &p, &unused) < 1)
                q = p = 0;
        }
    }
    if (q <= 0 || p <= 0) /* "max" reads as no number: no quota */
        return 0;
    long long cores = (q + p - 1) / p;
    return cores < 1 ? 1 : cores > 4096 ? 4096 : (long)cores;
}

/* the cores this process may run on (taskset, cgroups' cpusets), not the
 * machine's: two threads on one allowed core take turns; fewer when a CPU
 * quota grants less time than those cores have (*by_quota then 1) */
static long usable_cores(int *by_quota)
{
    long cores = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        cores = CPU_COUNT(&set);
    else
        cores = sysconf(_SC_NPROCESSORS_ONLN);
    cores = cores < 1 ? 1 : cores;
    long quota = quota_cores();
    *by_quota = quota > 0 && quota < cores;
    return *by_quota ? quota : cores;
}

long cli_usable_cores(void)
{
    int by_quota;
    return usable_cores(&by_quota);
}

void cli_set_threads(const char *arg, int config_threads)
{
    int by_quota;
    long n = 0, cores = usable_cores(&by_quota);
    if (arg)
        dlc_parse_long(arg, &n);
    else
        n = config_threads;
    if (n <= 0) {
        /* the usable cores, at most DEFAULT_MAX_THREADS: a training step of
         * a small model is too short to share among many */
        n = cores < DEFAULT_MAX_THREADS ? cores : DEFAULT_MAX_THREADS;
    } else if (n > cores) {
        /* asked for: kept, but said (B2's epoch took 1.1 times as long with 2
         * threads on 1 core, 2 times with 64 on 2: the caller runs the parts
         * a worker without a core has not begun, pool.c) */
        fprintf(stderr,
                "note: %ld threads on %ld usable core%s%s: the threads take turns on the cores, "
                "so each step takes longer (--threads %ld is faster)\n",
                n, cores, cores == 1 ? "" : "s", by_quota ? " (the CPU quota of this process's cgroup)" : "",
                cores);
    }
    tensor_set_threads((int)n);
}

dlc_status cli_load_config(dlc_config *c, const char *path, const cli_args *a, dlc_error *err)
{
    dlc_status s = cli_load_any_config(c, path, a, err);
    if (s == DLC_OK && c->embed.on) {
        config_free(c);
        return dlc_fail(err, DLC_EINPUT, "%s: the config has no model: its embed: section learns "
                                         "word vectors (run dlc embed)", path);
    }
    return s;
}

dlc_status cli_load_any_config(dlc_config *c, const char *path, const cli_args *a, dlc_error *err)
{
    /* a run folder where a config is expected: say where its config is */
    struct stat st;
    char inner[4200];
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
        snprintf(inner, sizeof inner, "%s/config.yaml", path) < (int)sizeof inner &&
        stat(inner, &st) == 0 && S_ISREG(st.st_mode))
        return dlc_fail(err, DLC_EINPUT,
                        "%s: a run folder, not a config; its config is %s (to continue the run: "
                        "dlc train %s --resume --out %s)",
                        path, inner, inner, path);
    dlc_status s = config_load(c, path, a->sets, a->n_sets, err);
    if (s != DLC_OK)
        return s;
    /* relative data paths are relative to where dlc runs; the run folder
     * records them absolute so `dlc eval` works from anywhere */
    if ((s = config_absolute_paths(c, path, err)) != DLC_OK)
        config_free(c);
    return s;
}

const char *cli_model_path(const char *run, char *buf, size_t size)
{
    struct stat st;
    if (stat(run, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(buf, size, "%s/model.safetensors", run);
    else
        snprintf(buf, size, "%s", run);
    return buf;
}

static void print_help(const cli_command *c)
{
    printf("usage: dlc %s %s\n\n%s\n\noptions:\n", c->name, c->usage, c->summary);
    int total = n_opts(c->opts) + n_opts(common_opts);
    for (int i = 0; i < total; i++) {
        const cli_opt *o = opt_at(c, i);
        const char *sh = short_of(o->name);
        char left[64];
        snprintf(left, sizeof left, "%s%s%s%s%s", sh ? sh : "", sh ? ", " : "", o->name,
                 o->has_arg ? " " : "", o->has_arg ? o->arg : "");
        printf("  %-24s %s\n", left, o->help);
    }
}

static void print_main_help(void)
{
    printf("dlc %s - train deep-learning models on the CPU from one YAML file\n\n"
           "usage: dlc COMMAND [options] ARGS\n\ncommands:\n", DLC_VERSION);
    for (int i = 0; commands[i]; i++)
        printf("  %-12s %s\n", commands[i]->name, commands[i]->summary);
    printf("\n'dlc COMMAND --help' shows a command's options.\n"
           "Exit status: 0 success, 1 failure while running, 2 bad usage, config or data.\n");
}

/* An unknown option that names a config key (`--epochs 5`, `--lr 0.1`,
 * `--batch-size 32`, as Keras or PyTorch scripts take them): the key's path,
 * for a hint to give it with --set.  The key's last name (dashes read as
 * underscores) must match one key outside the layers, or one of the
 * command's section (embed.*, stylize.*, else train.*); `lr` and
 * `learning_rate` are the optimizer's. */
static const char *option_as_key(const char *command, const char *name)
{
    char want[64];
    size_t n = 0;
    for (const char *p = name + strspn(name, "-"); *p && n + 1 < sizeof want; p++)
        want[n++] = *p == '-' ? '_' : *p;
    want[n] = '\0';
    char section[32];
    snprintf(section, sizeof section, "%s.",
             strcmp(command, "embed") == 0 || strcmp(command, "stylize") == 0 ? command : "train");
    if (strcmp(section, "train.") == 0 && (strcmp(want, "lr") == 0 || strcmp(want, "learning_rate") == 0))
        return "train.optimizer.lr";
    /* a script's --patience is early stopping's (Keras' EarlyStopping), not
     * the plateau schedule's */
    if (strcmp(section, "train.") == 0 && strcmp(want, "patience") == 0)
        return "train.early_stopping.patience";
    int rows, n_found = 0, n_own = 0;
    const config_key *keys = config_schema_rows(&rows), *found = NULL, *own = NULL;
    for (int i = 0; i < rows; i++) {
        if (keys[i].kind == K_SECTION || strchr(keys[i].path, '*') ||
            strcmp(config_schema_name(&keys[i]), want) != 0)
            continue;
        found = &keys[i];
        n_found++;
        if (strncmp(keys[i].path, section, strlen(section)) == 0) {
            own = &keys[i];
            n_own++;
        }
    }
    /* several (train.epochs, embed.epochs): the command's, if it has one */
    return n_found == 1 ? found->path : n_own == 1 ? own->path : NULL;
}

static int parse(const cli_command *c, int argc, char **argv, cli_args *a)
{
    memset(a, 0, sizeof *a);
    int only_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        /* every buffer an argument reaches holds CLI_ARG_MAX characters and
         * the file names joined to it: a longer one is refused, never cut */
        if (strlen(arg) > CLI_ARG_MAX)
            return cli_usage_error(c, "argument %d is %zu characters long; at most %d are accepted",
                                   i + 1, strlen(arg), CLI_ARG_MAX);
        if (only_pos || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (a->n_pos >= (int)DLC_ARRAY_LEN(a->pos))
                return cli_usage_error(c, "too many arguments");
            a->pos[a->n_pos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_pos = 1;
            continue;
        }
        char name[64];
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (len >= sizeof name)
            return cli_usage_error(c, "unknown option '%.40s...'", arg);
        memcpy(name, arg, len);
        name[len] = '\0';
        for (size_t q = 0; q < DLC_ARRAY_LEN(short_opts); q++)
            if (strcmp(name, short_opts[q][0]) == 0 && cli_opt_index(c, short_opts[q][1]) >= 0)
                dlc_strlcpy(name, short_opts[q][1], sizeof name);
        int k = cli_opt_index(c, name);
        if (k < 0) {
            const char *names[64];
            int total = n_opts(c->opts) + n_opts(common_opts), m = 0;
            for (int q = 0; q < total && m < 63; q++)
                names[m++] = opt_at(c, q)->name;
            names[m] = NULL;
            const char *near = dlc_nearest(name, names);
            if (near)
                return cli_usage_error(c, "unknown option '%s' (did you mean '%s'?)", name, near);
            const char *key = cli_opt_index(c, "--set") >= 0 ? option_as_key(c->name, name) : NULL;
            if (key) {
                const char *v = eq ? eq + 1 : i + 1 < argc && argv[i + 1][0] != '-' ? argv[i + 1] : "VALUE";
                return cli_usage_error(c, "unknown option '%s' (config keys are set with --set: --set %s=%.60s)",
                                       name, key, v);
            }
            for (size_t q = 0; q < DLC_ARRAY_LEN(short_opts); q++)
                if (strcmp(name, short_opts[q][0]) == 0)
                    return cli_usage_error(c, "unknown option '%s' (%s, which dlc %s does not take)",
                                           name, short_opts[q][1], c->name);
            return cli_usage_error(c, "unknown option '%s'", name);
        }
        const cli_opt *o = opt_at(c, k);
        const char *value = "1";
        if (o->has_arg) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc && strlen(argv[i + 1]) > CLI_ARG_MAX) /* as above */
                return cli_usage_error(c, "argument %d is %zu characters long; at most %d are "
                                          "accepted", i + 2, strlen(argv[i + 1]), CLI_ARG_MAX);
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return cli_usage_error(c, "option %s needs a value (%s)", o->name, o->arg);
        } else if (eq) {
            return cli_usage_error(c, "option %s takes no value", o->name);
        }
        if (strcmp(o->name, "--set") == 0 || strcmp(o->name, "--seed") == 0) {
            if (a->n_sets >= CLI_MAX_SETS)
                return cli_usage_error(c, "too many --set options");
            if (strcmp(o->name, "--seed") == 0) {
                int n = snprintf(a->seed_set, sizeof a->seed_set, "seed=%s", value);
                if (n < 0 || (size_t)n >= sizeof a->seed_set)
                    return cli_usage_error(c, "--seed needs a whole number, got %zu characters",
                                           strlen(value));
                value = a->seed_set;
            } else if (!strchr(value, '=')) {
                return cli_usage_error(c, "--set needs key.path=value, got '%s'", value);
            }
            a->sets[a->n_sets++] = value;
            /* --seed is --set seed=N: two different seeds would leave one unread */
            if (strncmp(value, "seed=", 5) == 0)
                for (int j = 0; j < a->n_sets - 1; j++)
                    if (strncmp(a->sets[j], "seed=", 5) == 0 && strcmp(a->sets[j], value) != 0)
                        return cli_usage_error(c, "two seeds given (%s and %s; --seed N is --set "
                                                  "seed=N): give one",
                                               a->sets[j], value);
        }
        if (strcmp(o->name, "--threads") == 0) {
            long n;
            if (dlc_parse_long(value, &n) != 0 || n < 1 || n > 1024)
                return cli_usage_error(c, "--threads needs a whole number from 1 to 1024, got '%s'", value);
        }
        a->value[k] = value;
    }
    return 0;
}

/* DLC_GEMM chooses the matrix-product library (README "Matrix products"): a
 * value dlc does not know would be ignored in silence, and the user who set
 * it to avoid oneDNN (a profiler's signals) would not be told.  0, or exit
 * status 2 with a message. */
static int check_environment(void)
{
    const char *v = getenv("DLC_GEMM");
    if (!v || !*v || strcmp(v, "openblas") == 0 || strcmp(v, "onednn") == 0)
        return 0;
    fprintf(stderr, "dlc: error: environment variable DLC_GEMM='%s': use openblas or onednn (or "
                    "leave it unset: %s)\n", v, tensor_gemm_library_name());
    return 2;
}

int main(int argc, char **argv)
{
    tensor_flush_denormals();
    /* A file-size limit (ulimit -f, RLIMIT_FSIZE) then makes the write that
     * passes it fail with EFBIG, reported as any failed write is (the last
     * whole checkpoint kept, the temporary removed, the command that resumes),
     * where SIGXFSZ's default would end dlc with a core dump and leave the
     * temporary in the run folder. */
    signal(SIGXFSZ, SIG_IGN);
    take_signals_on_own_thread();
    if (check_environment())
        return 2;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_main_help();
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        /* whether `mpirun -np N dlc train` trains as one job */
        printf("dlc %s (MPI: %s)\n", DLC_VERSION,
               dist_library() ? dist_library() : "no, built without libopenmpi-dev");
        return 0;
    }
    const char *names[16];
    int n = 0;
    for (int i = 0; commands[i]; i++) {
        names[n++] = commands[i]->name;
        if (strcmp(commands[i]->name, argv[1]) == 0) {
            cli_args a;
            int rc = parse(commands[i], argc - 2, argv + 2, &a);
            if (rc)
                return rc;
            if (cli_get(commands[i], &a, "--help")) {
                print_help(commands[i]);
                return 0;
            }
            long rank, procs = dist_launched(&rank);
            if (procs > 1 && commands[i] != &cli_train_cmd) {
                if (rank == 0) /* one message per job */
                    fprintf(stderr, "dlc: error: dlc %s was started as one of %ld processes (mpirun or "
                                    "srun); only dlc train runs as several - each would do all of the "
                                    "work and write the same files: run it as one process\n",
                            argv[1], procs);
                return 2;
            }
            return commands[i]->run(&a);
        }
    }
    names[n] = NULL;
    /* other tools' words for dlc's commands (Keras' fit, Ludwig's
     * hyperopt, W&B's sweep) */
    static const char *const foreign[][2] = {
        {"sweep", "a sweep runs as scripts/sweep.sh SWEEP.yaml (one dlc train per trial: dlc "
                  "train BASE $(dlc sample SWEEP --trial N)), ranked by dlc leaderboard"},
        {"hyperopt", "a sweep runs as scripts/sweep.sh SWEEP.yaml, ranked by dlc leaderboard"},
        {"tune", "a sweep runs as scripts/sweep.sh SWEEP.yaml, ranked by dlc leaderboard"},
        {"fit", "dlc train CONFIG trains"},
        {"evaluate", "dlc eval RUN scores a trained run"},
        {"test", "dlc eval RUN scores a trained run (--split test is its default)"},
        {"infer", "dlc predict RUN INPUT... predicts"},
        {"visualize", "RUN/report.html has the learning curves and the confusion matrix"},
    };
    for (size_t k = 0; k < sizeof foreign / sizeof foreign[0]; k++)
        if (strcmp(argv[1], foreign[k][0]) == 0) {
            fprintf(stderr, "dlc: unknown command '%s': %s\n(see 'dlc --help')\n", argv[1],
                    foreign[k][1]);
            return 2;
        }
    const char *near = dlc_nearest(argv[1], names);
    fprintf(stderr, "dlc: unknown command '%s'%s%s%s\n(see 'dlc --help')\n", argv[1],
            near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    return 2;
}
