/* tags.h - reading a person's tags on the error sample (errors.csv) and
 * tallying them into a plan: per category the count, its share of the
 * sampled errors and the ceiling on improvement (dev error x share: how far
 * dev error would fall if that category were fixed entirely), sorted by
 * ceiling; and the dev error corrected for mislabeled examples.
 *
 * errors.csv: a header naming at least id, true and predicted; the columns
 * id, true, predicted, confidence and image are data, every other column is
 * a tag named by its header, marked in a row by x, 1, yes, y or true (empty,
 * 0, no, n, false: not marked).  The column `tags` holds free words instead,
 * separated by spaces, commas or semicolons: each word is a category.  A tag
 * named "mislabeled" (or "mislabelled") counts the errors that are really
 * label mistakes.
 */
#ifndef DLC_REPORT_TAGS_H
#define DLC_REPORT_TAGS_H

#include <stddef.h>

#include "../base/error.h"

typedef struct {
    char *name;
    int count;         /* rows with the tag */
    double share;      /* count / rows */
    double ceiling;    /* dev_error * share; NaN without a dev error */
} report_tag;

typedef struct {
    int rows;          /* sampled errors in the file */
    int untagged;      /* rows with no tag at all */
    int n_tags;
    report_tag *tags;  /* after report_tally_finish: by ceiling (count), then name */
    int mislabeled;    /* rows tagged mislabeled */
    double dev_error;  /* NaN when unknown */
    double mislabeled_share;
    double corrected_error;       /* dev_error * (1 - mislabeled_share) */
    double error_from_mislabels;  /* dev_error * mislabeled_share */
} report_tally;

/* Parses errors.csv text (name for messages: "errors.csv:7: ...").  Errors
 * (EINPUT): no header, a missing id/true/predicted column, a repeated column,
 * an unclosed quote, a row with another number of fields than the header, an
 * id that is not a whole number or appears twice, a mark that is not one of
 * the words above, NUL bytes.  ENOMEM. */
dlc_status report_tags_parse(report_tally *t, const char *name, const char *text, size_t len,
                             dlc_error *err);

/* Shares, ceilings and the corrected error for dev error dev_error (NaN when
 * unknown); sorts the tags. */
void report_tally_finish(report_tally *t, double dev_error);

void report_tally_free(report_tally *t);

#endif
