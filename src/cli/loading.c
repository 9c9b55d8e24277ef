/* loading.c - what dlc is reading while a command loads its data.
 *
 * Loading a CSV file of a million rows, or a folder of 50,000 images, takes
 * from seconds to minutes, and the data layer reports nothing until it is
 * done (it never prints).  So the command says what it reads, with the
 * files' size, and on a terminal a thread redraws that line with the seconds
 * so far, once a second, until the first thing the command prints after the
 * load (cli_loading_stop). */
#include "cli.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Off a terminal, the line is said only for data this large: a small run's
 * output stays as it was. */
#define LOADING_SAY_BYTES ((long long)64 << 20)
#define LOADING_SAY_FILES 10000   /* ... or folders of this many files */

struct cli_loading {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stopped;
    int drawn;          /* a live line is on screen */
    double started;
    char what[600];     /* "big.csv (819 MB)" */
};

/* Files in the folder dir and its subfolders (class folders), counted up
 * to LOADING_SAY_FILES. */
static int loading_count(const char *dir, int depth, int count)
{
    DIR *d = opendir(dir);
    if (!d)
        return count;
    struct dirent *e;
    char sub[4200];
    while (count < LOADING_SAY_FILES && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (depth > 0 && e->d_type == DT_DIR &&
            snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name) < (int)sizeof sub)
            count = loading_count(sub, depth - 1, count);
        else
            count++;
    }
    closedir(d);
    return count;
}

static void loading_add(char *what, size_t size, int *shown, long long *bytes, int *files,
                        const char *path)
{
    if (!path[0])
        return;
    struct stat st;
    int dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    if (!dir && stat(path, &st) == 0)
        *bytes += (long long)st.st_size;
    if (dir && *files < LOADING_SAY_FILES)
        *files = loading_count(path, 1, *files);
    size_t used = strlen(what);
    if (*shown == 3)
        snprintf(what + used, size - used, ", ...");
    else if (*shown < 3)
        snprintf(what + used, size - used, "%s%.160s%s", *shown ? ", " : "", path, dir ? "/" : "");
    (*shown)++;
}

static void *loading_main(void *arg)
{
    cli_loading *l = arg;
    pthread_mutex_lock(&l->lock);
    while (!l->stopped) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&l->wake, &l->lock, &until);
        if (l->stopped)
            break;
        fprintf(stderr, "\r\033[Kreading data: %s ... %.0f s", l->what, dlc_now() - l->started);
        fflush(stderr);
        l->drawn = 1;
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

cli_loading *cli_loading_start(const data_config *d, int tty, int quiet)
{
    if (quiet)
        return NULL;
    cli_loading *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    long long bytes = 0;
    int shown = 0, files = 0;
    const data_source *src[] = {&d->train, &d->dev, &d->test};
    for (int k = 0; k < 3 + d->n_sources; k++) {
        const data_source *s = k < 3 ? src[k] : &d->sources[k - 3].files;
        loading_add(l->what, sizeof l->what, &shown, &bytes, &files, s->file);
        loading_add(l->what, sizeof l->what, &shown, &bytes, &files, s->images);
        loading_add(l->what, sizeof l->what, &shown, &bytes, &files, s->dir);
    }
    size_t used = strlen(l->what);
    if (bytes > 0)
        snprintf(l->what + used, sizeof l->what - used, " (%.0f MB)", (double)bytes / 1e6);
    else if (files >= LOADING_SAY_FILES)
        snprintf(l->what + used, sizeof l->what - used, " (%d files or more)", LOADING_SAY_FILES);
    if (!tty) {
        if (bytes >= LOADING_SAY_BYTES || files >= LOADING_SAY_FILES)
            fprintf(stderr, "reading data: %s\n", l->what);
        free(l);
        return NULL;
    }
    l->started = dlc_now();
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->wake, NULL);
    if (pthread_create(&l->thread, NULL, loading_main, l) != 0) {
        pthread_mutex_destroy(&l->lock);
        pthread_cond_destroy(&l->wake);
        free(l);
        return NULL;
    }
    return l;
}

void cli_loading_stop(cli_loading *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->lock);
    l->stopped = 1;
    pthread_cond_signal(&l->wake);
    pthread_mutex_unlock(&l->lock);
    pthread_join(l->thread, NULL);
    if (l->drawn)
        fprintf(stderr, "\r\033[K");
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->wake);
    free(l);
}

dlc_status cli_load_data(data_bundle *b, const dlc_config *cfg, int quiet, dlc_error *err)
{
    cli_loading *l = cli_loading_start(&cfg->data, isatty(STDERR_FILENO), quiet);
    dlc_status st = model_load_data(b, cfg, err);
    cli_loading_stop(l);
    return st;
}
