/*
 * login.h - log in through a site's own form before a crawl
 * (--login-url, --login-data).
 *
 * Fetch the login page; choose the form that has every field the data
 * names (else the first form with a password input); submit it as a
 * browser would: by its own method to its own action (resolved against
 * the page and <base>), with its hidden inputs (a CSRF token) and the
 * other inputs' values, the data's values in place of theirs.  The
 * session's cookies land in the transfer options' cookie store (the
 * engine's share), which the crawl then uses.  A login fails when a
 * request fails, an answer is an HTTP error, no form fits, or the answer
 * shows the login form again (a password input and the same fields):
 * the reason is one line.
 */
#ifndef SCRAPE_LOGIN_H
#define SCRAPE_LOGIN_H

#include <stddef.h>

#include "scrape/err.h"
#include "scrape/http.h"

/* Logs in at `url` with `data` ("name=value&name2=value2"; values may be
 * percent-encoded, '+' is a space) through transfers made with `o`.
 * ERR_OK, or ERR_INVALID with the reason in `why` (n bytes), ERR_NOMEM. */
enum err login_run(const struct http_opts *o, const char *url, const char *data,
                   char *why, size_t n);

#endif
