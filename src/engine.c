/*
 * engine.c - the engine registry.
 */
#include "scrape/engine.h"

#include <string.h>

extern const struct engine_ops engine_multi;
extern const struct engine_ops engine_threads;
extern const struct engine_ops engine_procs;

static const struct engine_ops *const engines[] = {
    &engine_multi,
    &engine_threads,
    &engine_procs,
};

const struct engine_ops *engine_find(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
        if (!strcmp(engines[i]->name, name))
            return engines[i];
    return NULL;
}
