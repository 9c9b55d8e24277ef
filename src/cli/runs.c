/* runs.c - what a command's RUN argument is, said plainly when it is not
 * what the command takes: a folder of word vectors from dlc embed, a config
 * file where a run was meant; and
 * whether an output's folder can be written before a long computation. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static int has_file(const char *dir, const char *name)
{
    char p[4400];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &sb) == 0;
}

static int is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

dlc_status cli_model_file(const char *cmd, const char *run, char *buf, size_t size, dlc_error *err)
{
    cli_model_path(run, buf, size);
    if (data_vectors_folder(run))
        return dlc_fail(err, DLC_EINPUT,
                        "%s holds word vectors learned by dlc embed, not a model: dlc %s takes "
                        "the run folder of a trained model (query the vectors with dlc embed %s --neighbours WORD or "
                        "--analogy A B C; an embedding layer's pretrained: key reads %s/vectors.txt)",
                        run, cmd, run, run);
    if (!is_dir(run) && (ends_with(run, ".yaml") || ends_with(run, ".yml"))) {
        char dir[4200];
        const char *slash = strrchr(run, '/');
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - run) : 1, slash ? run : ".");
        if (has_file(dir, "model.safetensors"))
            return dlc_fail(err, DLC_EINPUT, "%s is a run's config file; dlc %s takes the run "
                                             "folder: dlc %s %s", run, cmd, cmd, dir);
        return dlc_fail(err, DLC_EINPUT, "%s is a config file; dlc %s takes a run folder (the one "
                                         "dlc train %s writes, runs/NAME) or its model.safetensors",
                        run, cmd, run);
    }
    return DLC_OK;
}

int cli_check_writable(const cli_command *c, const char *opt, const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path) + (slash == path), path);
    if (access(dir, W_OK) != 0)
        return cli_usage_error(c, "%s %s: cannot write into %s: %s", opt, path, dir, strerror(errno));
    return 0;
}

int cli_check_png(const cli_command *c, const char *opt, const char *path)
{
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (dot && (!slash || dot > slash) && strcasecmp(dot, ".png") != 0)
        return cli_usage_error(c, "%s %s: dlc writes a PNG image; name it .png (%s would hold PNG "
                                  "data under another format's name)", opt, path, dot);
    return 0;
}
