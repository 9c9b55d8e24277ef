/* svg.c - line charts and heat maps as inline SVG (see svg.h). */
#include "svg.h"

#include <math.h>
#include <stdio.h>

#include "report_internal.h"

#define CHART_W 460
#define CHART_H 260
#define M_LEFT 58
#define M_RIGHT 14
#define M_TOP 30
#define M_BOTTOM 52

/* A "nice" tick step (1, 2 or 5 times a power of ten) for about n ticks. */
static double nice_step(double range, int n)
{
    double raw = range / n, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static void tick_label(char *buf, size_t size, double v, int percent)
{
    if (percent)
        snprintf(buf, size, "%g%%", round(v * 1000) / 10);
    else
        snprintf(buf, size, "%.3g", v);
}

/* <svg ...><title>title</title> and the title written at the top left. */
static void chart_begin(dlc_buf *b, const char *title)
{
    dlc_buf_printf(b, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
                      "xmlns=\"http://www.w3.org/2000/svg\"><title>",
                   CHART_W, CHART_H, CHART_W, CHART_H);
    report_html_text(b, title);
    dlc_buf_printf(b, "</title><text x=\"%d\" y=\"18\" class=\"ct\">", M_LEFT);
    report_html_text(b, title);
    dlc_buf_printf(b, "</text>");
}

void svg_line_chart(dlc_buf *b, const char *title, const double *x, int n, const svg_series *s,
                    int ns, int from_zero, int percent)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < ns; k++)
        for (int i = 0; i < n; i++)
            if (isfinite(s[k].y[i])) {
                lo = fmin(lo, s[k].y[i]);
                hi = fmax(hi, s[k].y[i]);
            }
    chart_begin(b, title);
    if (n == 0 || !isfinite(lo)) {
        dlc_buf_printf(b, "<text x=\"%d\" y=\"%d\">no data</text></svg>\n", M_LEFT, CHART_H / 2);
        return;
    }
    if (from_zero && lo > 0)
        lo = 0;
    if (hi - lo < 1e-12) {
        double pad = fabs(hi) > 0 ? fabs(hi) * 0.1 : 1;
        lo -= pad;
        hi += pad;
    }
    double step = nice_step(hi - lo, 5);
    lo = floor(lo / step) * step;
    hi = ceil(hi / step) * step;
    double x0 = x[0], x1 = n > 1 ? x[n - 1] : x[0] + 1;
    int pw = CHART_W - M_LEFT - M_RIGHT, ph = CHART_H - M_TOP - M_BOTTOM;
#define PX(v) (M_LEFT + pw * ((v) - x0) / (x1 - x0))
#define PY(v) (M_TOP + ph * (1 - ((v) - lo) / (hi - lo)))
    char lab[32];
    /* grid and y ticks */
    for (double v = lo; v <= hi + step / 2; v += step) {
        tick_label(lab, sizeof lab, v, percent);
        dlc_buf_printf(b, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                          "<text class=\"yt\" x=\"%d\" y=\"%.1f\">%s</text>",
                       M_LEFT, CHART_W - M_RIGHT, PY(v), PY(v), M_LEFT - 6, PY(v) + 4, lab);
    }
    /* x ticks: about 8 whole epochs */
    double xs = x1 - x0 > 8 ? ceil(nice_step(x1 - x0, 8)) : 1;
    for (double v = ceil(x0 / xs) * xs; v <= x1 + 1e-9; v += xs)
        dlc_buf_printf(b, "<text class=\"xt\" x=\"%.1f\" y=\"%d\">%g</text>", PX(v), CHART_H - M_BOTTOM + 16, v);
    dlc_buf_printf(b, "<text class=\"xt\" x=\"%d\" y=\"%d\">epoch</text>", M_LEFT + pw / 2,
                   CHART_H - M_BOTTOM + 32);
    /* series */
    for (int k = 0; k < ns; k++) {
        int open = 0;
        for (int i = 0; i < n; i++) {
            double v = s[k].y[i];
            if (!isfinite(v)) {
                if (open)
                    dlc_buf_printf(b, "\"/>");
                open = 0;
                continue;
            }
            if (!open)
                dlc_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
                               s[k].color, s[k].dashed ? " stroke-dasharray=\"5 3\"" : "");
            dlc_buf_printf(b, "%s%.1f,%.1f", open ? " " : "", PX(x[i]), PY(v));
            open = 1;
        }
        if (open)
            dlc_buf_printf(b, "\"/>");
        if (n == 1 && isfinite(s[k].y[0]))
            dlc_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", PX(x[0]),
                           PY(s[k].y[0]), s[k].color);
        /* legend */
        int lx = M_LEFT + k * 180, ly = CHART_H - 8;
        dlc_buf_printf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>"
                          "<text x=\"%d\" y=\"%d\">",
                       lx, lx + 20, ly - 4, ly - 4, s[k].color,
                       s[k].dashed ? " stroke-dasharray=\"5 3\"" : "", lx + 25, ly);
        report_html_text(b, s[k].name);
        dlc_buf_printf(b, "</text>");
    }
#undef PX
#undef PY
    dlc_buf_printf(b, "</svg>\n");
}

void svg_heatmap(dlc_buf *b, const long *m, int K, const char *const *names)
{
    int cell = K <= 10 ? 40 : K <= 20 ? 24 : 360 / K > 6 ? 360 / K : 6;
    int labels = K <= 40, counts = K <= 15;
    int left = labels ? 110 : 20, top = labels ? 100 : 20;
    int w = left + K * cell + (labels ? 70 : 10), h = top + K * cell + 30;
    dlc_buf_printf(b, "<svg class=\"heat\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
                      "xmlns=\"http://www.w3.org/2000/svg\"><title>confusion matrix</title>",
                   w, h, w, h);
    for (int a = 0; a < K; a++) {
        long row = 0;
        for (int p = 0; p < K; p++)
            row += m[(size_t)a * K + p];
        for (int p = 0; p < K; p++) {
            long c = m[(size_t)a * K + p];
            double f = row > 0 ? (double)c / (double)row : 0;
            int r, g, bl;
            if (a == p) { /* the diagonal in blue, mistakes in red */
                r = (int)lround(255 - f * (255 - 33));
                g = (int)lround(255 - f * (255 - 102));
                bl = (int)lround(255 - f * (255 - 172));
            } else {
                double e = fmin(1.0, 2 * f);
                r = (int)lround(255 - e * (255 - 203));
                g = (int)lround(255 - e * (255 - 24));
                bl = (int)lround(255 - e * (255 - 29));
            }
            dlc_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,%d)\" "
                              "stroke=\"#ddd\"><title>",
                           left + p * cell, top + a * cell, cell, cell, r, g, bl);
            report_html_text(b, names[a]);
            dlc_buf_printf(b, " predicted as ");
            report_html_text(b, names[p]);
            dlc_buf_printf(b, ": %ld</title></rect>", c);
            if (counts && c > 0)
                dlc_buf_printf(b, "<text x=\"%d\" y=\"%d\" class=\"hc\"%s>%ld</text>",
                               left + p * cell + cell / 2, top + a * cell + cell / 2 + 4,
                               a == p && f > 0.6 ? " style=\"fill:#fff\"" : "", c);
        }
    }
    if (labels)
        for (int k = 0; k < K; k++) {
            dlc_buf_printf(b, "<text class=\"hl\" x=\"%d\" y=\"%d\">", left - 6, top + k * cell + cell / 2 + 4);
            report_html_text(b, names[k]);
            dlc_buf_printf(b, "</text><text class=\"hv\" transform=\"translate(%d,%d) rotate(-45)\">",
                           left + k * cell + cell / 2, top - 6);
            report_html_text(b, names[k]);
            dlc_buf_printf(b, "</text>");
        }
    dlc_buf_printf(b, "<text x=\"%d\" y=\"%d\" class=\"ax\">rows: true class, columns: predicted "
                      "(shade: share of the row)</text></svg>\n",
                   left, top + K * cell + 20);
}

void svg_histogram(dlc_buf *b, const char *title, double lo, double hi, int bins,
                   const long *const counts[2], const char *const names[2],
                   const char *const colors[2], double mark, const char *mark_name)
{
    double total[2] = {0, 0}, top = 0;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < bins; i++)
            total[k] += (double)counts[k][i];
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < bins && total[k] > 0; i++)
            top = fmax(top, (double)counts[k][i] / total[k]);
    chart_begin(b, title);
    if (!(top > 0) || !(hi > lo) || bins < 1) {
        dlc_buf_printf(b, "<text x=\"%d\" y=\"%d\">no data</text></svg>\n", M_LEFT, CHART_H / 2);
        return;
    }
    int pw = CHART_W - M_LEFT - M_RIGHT, ph = CHART_H - M_TOP - M_BOTTOM;
    double step = nice_step(top, 4), ytop = ceil(top / step) * step;
#define PX(v) (M_LEFT + pw * ((v) - lo) / (hi - lo))
#define PY(v) (M_TOP + ph * (1 - (v) / ytop))
    char lab[32];
    for (double v = 0; v <= ytop + step / 2; v += step) {
        tick_label(lab, sizeof lab, v, 1);
        dlc_buf_printf(b, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                          "<text class=\"yt\" x=\"%d\" y=\"%.1f\">%s</text>",
                       M_LEFT, CHART_W - M_RIGHT, PY(v), PY(v), M_LEFT - 6, PY(v) + 4, lab);
    }
    double xs = nice_step(hi - lo, 6);
    for (double v = ceil(lo / xs) * xs; v <= hi + 1e-12; v += xs) {
        tick_label(lab, sizeof lab, v, 0);
        dlc_buf_printf(b, "<text class=\"xt\" x=\"%.1f\" y=\"%d\">%s</text>", PX(v),
                       CHART_H - M_BOTTOM + 16, lab);
    }
    dlc_buf_printf(b, "<text class=\"xt\" x=\"%d\" y=\"%d\">distance</text>", M_LEFT + pw / 2,
                   CHART_H - M_BOTTOM + 32);
    double bw = (hi - lo) / bins;
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < bins && total[k] > 0; i++) {
            double f = (double)counts[k][i] / total[k];
            if (f <= 0)
                continue;
            dlc_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                              "fill-opacity=\"0.55\"><title>",
                           PX(lo + i * bw), PY(f), PX(lo + (i + 1) * bw) - PX(lo + i * bw),
                           PY(0) - PY(f), colors[k]);
            report_html_text(b, names[k]);
            dlc_buf_printf(b, ": %ld pairs</title></rect>", counts[k][i]);
        }
        int lx = M_LEFT + k * 180, ly = CHART_H - 8;
        dlc_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"16\" height=\"10\" fill=\"%s\" "
                          "fill-opacity=\"0.55\"/><text x=\"%d\" y=\"%d\">",
                       lx, ly - 9, colors[k], lx + 21, ly);
        report_html_text(b, names[k]);
        dlc_buf_printf(b, "</text>");
    }
    if (isfinite(mark) && mark >= lo && mark <= hi) {
        dlc_buf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#333\" "
                          "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%d\" class=\"yt\">",
                       PX(mark), PX(mark), M_TOP, M_TOP + ph, PX(mark) - 4, M_TOP + 12);
        report_html_text(b, mark_name);
        dlc_buf_printf(b, "</text>");
    }
#undef PX
#undef PY
    dlc_buf_printf(b, "</svg>\n");
}
