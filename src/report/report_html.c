/* report_html.c - runs/<name>/report.html (placeholder) */
#include "report.h"

dlc_status report_write_html(const report *rep, const dlc_config *cfg, const report_run_info *run,
                             const char *run_dir, dlc_error *err)
{
    return DLC_OK;
}
