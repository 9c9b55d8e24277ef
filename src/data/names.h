/* names.h - a set of strings with ids in insertion order (open addressing),
 * for CSV headers and labels, vocabularies and tag sets.  Private to src/data. */
#ifndef DLC_DATA_NAMES_H
#define DLC_DATA_NAMES_H

#include <stddef.h>

#include "../base/util.h"

typedef struct {
    dlc_strlist names;   /* id -> name, owned */
    int *slot;           /* (cap) id + 1, 0 = empty */
    size_t cap;
    size_t vcap;         /* capacity of names.v */
} data_names;

/* Id of s, -1 if absent. */
int data_names_find(const data_names *m, const char *s);
/* Adds s (must be absent) and returns its id in *id. */
dlc_status data_names_add(data_names *m, const char *s, int *id, dlc_error *err);
/* The id of s, adding it when absent. */
dlc_status data_names_intern(data_names *m, const char *s, int *id, dlc_error *err);
void data_names_free(data_names *m);

#endif
