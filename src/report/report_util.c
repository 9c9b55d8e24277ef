/* report_util.c - small text writers shared by the report files. */
#include <stdio.h>
#include <string.h>

#include "../io/io.h"
#include "report_internal.h"

void report_csv_field(dlc_buf *b, const char *s)
{
    size_t n = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL || (n > 0 && (s[0] == ' ' || s[n - 1] == ' '));
    if (!quote) {
        dlc_buf_append(b, s, n);
        return;
    }
    dlc_buf_append(b, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            dlc_buf_append(b, "\"", 1);
        dlc_buf_append(b, p, 1);
    }
    dlc_buf_append(b, "\"", 1);
}

void report_base64(dlc_buf *b, const unsigned char *d, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4];
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)d[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)d[i + 1] << 8;
        if (i + 2 < n)
            v |= d[i + 2];
        out[0] = tab[(v >> 18) & 63];
        out[1] = tab[(v >> 12) & 63];
        out[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[3] = i + 2 < n ? tab[v & 63] : '=';
        dlc_buf_append(b, out, 4);
    }
}

void report_html_text(dlc_buf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&':
            dlc_buf_printf(b, "&amp;");
            break;
        case '<':
            dlc_buf_printf(b, "&lt;");
            break;
        case '>':
            dlc_buf_printf(b, "&gt;");
            break;
        case '"':
            dlc_buf_printf(b, "&quot;");
            break;
        case '\'':
            dlc_buf_printf(b, "&#39;");
            break;
        default:
            dlc_buf_append(b, p, 1);
        }
    }
}

void report_path(char *buf, size_t size, const char *dir, const char *file)
{
    snprintf(buf, size, "%s/%s", dir, file);
}

dlc_status report_write_buf(const char *path, dlc_buf *b, dlc_error *err)
{
    dlc_status st = b->failed ? DLC_NOMEM(err) : io_write_file(path, b->s ? b->s : "", b->len, err);
    dlc_buf_free(b);
    return st;
}
