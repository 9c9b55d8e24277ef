/* names.c - a set of strings with ids in insertion order: FNV-1a hashes in an
 * open-addressing table kept at most half full. */
#include "names.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t names_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    return h;
}

int data_names_find(const data_names *m, const char *s)
{
    if (!m->cap)
        return -1;
    for (size_t i = names_hash(s) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        int id = m->slot[i] - 1;
        if (id < 0)
            return -1;
        if (strcmp(m->names.v[id], s) == 0)
            return id;
    }
}

static void names_place(data_names *m, int id)
{
    size_t i = names_hash(m->names.v[id]) & (m->cap - 1);
    while (m->slot[i])
        i = (i + 1) & (m->cap - 1);
    m->slot[i] = id + 1;
}

dlc_status data_names_add(data_names *m, const char *s, int *id, dlc_error *err)
{
    if ((size_t)(m->names.n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        int *slot = calloc(cap, sizeof *slot);
        if (!slot)
            return DLC_NOMEM(err);
        free(m->slot);
        m->slot = slot;
        m->cap = cap;
        for (int k = 0; k < m->names.n; k++)
            names_place(m, k);
    }
    /* the list grows by doubling: vocabularies have many thousand entries */
    if ((size_t)m->names.n + 1 > m->vcap) {
        size_t vcap = m->vcap ? m->vcap * 2 : 16;
        char **v = realloc(m->names.v, sizeof *v * vcap);
        if (!v)
            return DLC_NOMEM(err);
        m->names.v = v;
        m->vcap = vcap;
    }
    if (!(m->names.v[m->names.n] = strdup(s)))
        return DLC_NOMEM(err);
    *id = m->names.n++;
    names_place(m, *id);
    return DLC_OK;
}

dlc_status data_names_intern(data_names *m, const char *s, int *id, dlc_error *err)
{
    *id = data_names_find(m, s);
    return *id >= 0 ? DLC_OK : data_names_add(m, s, id, err);
}

void data_names_free(data_names *m)
{
    dlc_strlist_clear(&m->names);
    free(m->slot);
    memset(m, 0, sizeof *m);
}
