#include "error.h"

#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* src (n bytes) into dst: whole when it fits, else its start and its end
 * with " ... " between, each cut at a character's start.  A message quoting
 * a long argument (a path of 3,000 characters) kept the argument and lost
 * what was wrong with it, which messages say last. */
static void keep_ends(char *dst, size_t size, const char *src, size_t n)
{
    static const char gap[] = " ... ";
    if (n < size) {
        memcpy(dst, src, n + 1);
        return;
    }
    size_t head = size / 4, tail = size - 1 - head - (sizeof gap - 1);
    while (head > 0 && ((unsigned char)src[head] & 0xC0) == 0x80)
        head--;
    size_t from = n - tail;
    while (from < n && ((unsigned char)src[from] & 0xC0) == 0x80)
        from++;
    memcpy(dst, src, head);
    memcpy(dst + head, gap, sizeof gap - 1);
    memcpy(dst + head + sizeof gap - 1, src + from, n - from + 1);
}

static void set_message(dlc_error *err, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    if (n >= (int)sizeof err->msg) {
        char *all = malloc((size_t)n + 1);
        if (all) {
            vsnprintf(all, (size_t)n + 1, fmt, again);
            keep_ends(err->msg, sizeof err->msg, all, (size_t)n);
            free(all);
        }
    }
    va_end(again);
}

dlc_status dlc_fail(dlc_error *err, dlc_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        set_message(err, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

void dlc_error_prefix(dlc_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[256], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* the message keeps its end, what went wrong, when the two are too long */
    char all[sizeof prefix + sizeof old + 2];
    int n = snprintf(all, sizeof all, "%s: %s", prefix, old);
    if (n > 0)
        keep_ends(err->msg, sizeof err->msg, all, strlen(all));
}

int dlc_exit_code(dlc_status status)
{
    switch (status) {
    case DLC_OK:
        return 0;
    case DLC_EINPUT:
        return 2;
    case DLC_EINTR:
        return 130;
    default:
        return 1;
    }
}
