/* svg.h - a small SVG writer for the HTML report: line charts, a heat map
 * and histograms, written as inline <svg> elements (no scripts, no external
 * files). */
#ifndef DLC_REPORT_SVG_H
#define DLC_REPORT_SVG_H

#include "../base/util.h"

typedef struct {
    const char *name;    /* legend text */
    const char *color;   /* CSS colour */
    const double *y;     /* (n) values; NaN leaves a gap */
    int dashed;
} svg_series;

/* A line chart of series over x (n points, ascending), y axis from the data's
 * range (from 0 when `from_zero`), as a percentage when `percent`. */
void svg_line_chart(dlc_buf *b, const char *title, const double *x, int n, const svg_series *s,
                    int ns, int from_zero, int percent);

/* The matrix m (K, K) as a heat map, rows = true class, columns = predicted;
 * each cell shaded by its share of the row, counts written when K is small.
 * names: K labels. */
void svg_heatmap(dlc_buf *b, const long *m, int K, const char *const *names);

/* Two histograms over one range [lo, hi) of `bins` equal bins, as bars of
 * each series' share of its own total (so a small series stays visible),
 * overlaid; a dashed vertical line at `mark` (NaN: none) labelled
 * mark_name.  names, colors: the two series'. */
void svg_histogram(dlc_buf *b, const char *title, double lo, double hi, int bins,
                   const long *const counts[2], const char *const names[2],
                   const char *const colors[2], double mark, const char *mark_name);

#endif
