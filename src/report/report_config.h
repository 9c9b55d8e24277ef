/* report_config.h - what a config's `report:` section says. */
#ifndef DLC_REPORT_CONFIG_H
#define DLC_REPORT_CONFIG_H

typedef struct {
    double human_level_error;  /* proxy for Bayes error; < 0 = not given */
    int error_samples;         /* misclassified dev examples to sample for error analysis */
} report_config;

#endif
