#include "error.h"

#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

dlc_status dlc_fail(dlc_error *err, dlc_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
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
    /* the message is cut at the buffer's end rather than lost */
    int n = snprintf(err->msg, sizeof err->msg, "%s: ", prefix);
    if (n > 0 && (size_t)n < sizeof err->msg)
        dlc_strlcpy(err->msg + n, old, sizeof err->msg - (size_t)n);
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
