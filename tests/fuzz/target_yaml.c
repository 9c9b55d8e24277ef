/* target_yaml.c - config_load_string on untrusted bytes.
 *
 * Beyond "no crash, no leak": a config that loads must write itself out
 * (config_to_yaml) as text that loads again and writes out identically, so
 * the fuzzer also hunts strings and numbers the writer gets wrong.  A first
 * line "#set key=value" (a YAML comment) is applied as an override, so the
 * override code is fuzzed too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/config/config.h"
#include "targets.h"

int fuzz_yaml(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char override[256];
    const char *ov[1] = {override};
    int n_ov = 0;
    if (size > 5 && memcmp(data, "#set ", 5) == 0) {
        size_t n = 0;
        while (5 + n < size && data[5 + n] != '\n' && data[5 + n] != '\0' && n < sizeof override - 1)
            n++;
        memcpy(override, data + 5, n);
        override[n] = '\0';
        n_ov = 1;
    }

    dlc_config c;
    dlc_error err;
    if (config_load_string(&c, "fuzz.yaml", text, size, ov, n_ov, &err) != DLC_OK)
        return 0;
    char *y1 = NULL, *y2 = NULL;
    if (config_to_yaml(&c, &y1, &err) != DLC_OK) {
        fprintf(stderr, "config_to_yaml failed: %s\n", err.msg);
        abort();
    }
    dlc_config back;
    if (config_load_string(&back, "resolved.yaml", y1, strlen(y1), NULL, 0, &err) != DLC_OK) {
        fprintf(stderr, "resolved config does not load: %s\n%s\n", err.msg, y1);
        abort();
    }
    if (config_to_yaml(&back, &y2, &err) != DLC_OK || strcmp(y1, y2) != 0) {
        fprintf(stderr, "resolved config changes on reload:\n%s\n---\n%s\n", y1, y2 ? y2 : "");
        abort();
    }
    free(y1);
    free(y2);
    config_free(&back);
    config_free(&c);
    return 0;
}
