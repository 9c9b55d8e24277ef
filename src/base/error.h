/* error.h - status codes and the error record every fallible call fills.
 *
 * Library code never prints and never exits: a function that can fail returns
 * a dlc_status and, on failure, leaves a one-line message in a dlc_error that
 * names the place (file, line, key, layer).  Only src/cli turns that into a
 * message on stderr and an exit status (dlc_exit_code).
 */
#ifndef DLC_ERROR_H
#define DLC_ERROR_H

typedef enum {
    DLC_OK = 0,
    DLC_EINPUT,   /* bad usage, config or data: the user can fix it (exit 2) */
    DLC_EIO,      /* reading or writing a file failed at the OS level (exit 1) */
    DLC_ENOMEM,   /* an allocation failed (exit 1) */
    DLC_ERUN,     /* a failure while running, e.g. the loss became NaN (exit 1) */
    DLC_EINTR     /* stopped on request (Ctrl-C, SIGTERM) (exit 130, as a shell reports SIGINT) */
} dlc_status;

typedef struct {
    dlc_status status;
    char msg[1024];
} dlc_error;

/* Formats msg (printf style), stores status and returns it, so callers can
 * write `return dlc_fail(err, DLC_EINPUT, "%s:%d: ...", ...)`.  err may be NULL. */
dlc_status dlc_fail(dlc_error *err, dlc_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an existing message (to add context on the way up). */
void dlc_error_prefix(dlc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Exit status for a status: 0 ok, 2 bad input, 130 interrupted, 1 anything else. */
int dlc_exit_code(dlc_status status);

/* A failed allocation: records where it happened. */
#define DLC_NOMEM(err) \
    dlc_fail((err), DLC_ENOMEM, "out of memory (%s:%d)", __FILE__, __LINE__)

#endif
