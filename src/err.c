/*
 * err.c - messages for `enum err`.
 */
#include "scrape/err.h"

static const char *const messages[ERR__COUNT] = {
    [ERR_OK] = "success",
    [ERR_NOMEM] = "out of memory",
    [ERR_IO] = "input/output error",
    [ERR_TOO_LARGE] = "too large",
    [ERR_TIMEOUT] = "timed out",
    [ERR_BAD_URL] = "malformed URL",
    [ERR_SCHEME] = "not an http or https URL",
    [ERR_INVALID] = "invalid input",
    [ERR_DB] = "database error",
    [ERR_NETWORK] = "network error",
    [ERR_PARSE] = "cannot parse document",
    [ERR_STOPPED] = "interrupted",
};

const char *err_str(enum err e)
{
    if ((unsigned)e >= ERR__COUNT || !messages[e])
        return "unknown error";
    return messages[e];
}
