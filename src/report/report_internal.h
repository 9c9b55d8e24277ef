/* report_internal.h - helpers shared by the files of src/report only. */
#ifndef DLC_REPORT_INTERNAL_H
#define DLC_REPORT_INTERNAL_H

#include <stddef.h>

#include "../base/error.h"
#include "../base/util.h"

/* Appends s as one CSV field: quoted (with "" for ") when it holds a comma,
 * quote, CR or LF, or starts or ends with a space. */
void report_csv_field(dlc_buf *b, const char *s);

/* Appends the base64 form of n bytes. */
void report_base64(dlc_buf *b, const unsigned char *data, size_t n);

/* Appends s with & < > " ' escaped for HTML text and attributes. */
void report_html_text(dlc_buf *b, const char *s);

/* Writes b to path atomically and frees b; ENOMEM when b ran out of memory. */
dlc_status report_write_buf(const char *path, dlc_buf *b, dlc_error *err);

/* "dir/file" into buf. */
void report_path(char *buf, size_t size, const char *dir, const char *file);

#endif
