/* report_print.h - a report on the terminal (report_print.c). */
#ifndef DLC_CLI_REPORT_PRINT_H
#define DLC_CLI_REPORT_PRINT_H

#include "../report/report.h"

/* Prints the split table, the per-class table of split focus_kind, the
 * metric and the diagnosis; with run_dir, where the error sample and the
 * HTML report are. */
void cli_print_report(const report *rep, int focus_kind, const char *run_dir);

#endif
