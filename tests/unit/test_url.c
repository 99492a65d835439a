/* Unit tests for url.c: RFC 3986 resolution and canonicalisation. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/url.h"

static void check_resolve(const char *base, const char *ref, const char *want)
{
    char *got = NULL;
    enum err e = url_resolve(base, ref, &got);

    cr_assert_eq(e, ERR_OK, "resolve '%s': %s", ref, err_str(e));
    cr_assert_str_eq(got, want, "resolve '%s'", ref);
    free(got);
}

/* RFC 3986 section 5.4.1 and 5.4.2 with base http://a/b/c/d;p?q.
 * Fragments are dropped by canonicalisation, so "#s" targets lose them. */
Test(url, rfc3986_normal_examples)
{
    static const char *const cases[][2] = {
        {"g", "http://a/b/c/g"},
        {"./g", "http://a/b/c/g"},
        {"g/", "http://a/b/c/g/"},
        {"/g", "http://a/g"},
        {"//g", "http://g/"},
        {"?y", "http://a/b/c/d;p?y"},
        {"g?y", "http://a/b/c/g?y"},
        {"#s", "http://a/b/c/d;p?q"},
        {"g#s", "http://a/b/c/g"},
        {"g?y#s", "http://a/b/c/g?y"},
        {";x", "http://a/b/c/;x"},
        {"g;x", "http://a/b/c/g;x"},
        {"g;x?y#s", "http://a/b/c/g;x?y"},
        {"", "http://a/b/c/d;p?q"},
        {".", "http://a/b/c/"},
        {"./", "http://a/b/c/"},
        {"..", "http://a/b/"},
        {"../", "http://a/b/"},
        {"../g", "http://a/b/g"},
        {"../..", "http://a/"},
        {"../../", "http://a/"},
        {"../../g", "http://a/g"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_resolve("http://a/b/c/d;p?q", cases[i][0], cases[i][1]);
}

Test(url, rfc3986_abnormal_examples)
{
    static const char *const cases[][2] = {
        {"../../../g", "http://a/g"},
        {"../../../../g", "http://a/g"},
        {"/./g", "http://a/g"},
        {"/../g", "http://a/g"},
        {"g.", "http://a/b/c/g."},
        {".g", "http://a/b/c/.g"},
        {"g..", "http://a/b/c/g.."},
        {"..g", "http://a/b/c/..g"},
        {"./../g", "http://a/b/g"},
        {"./g/.", "http://a/b/c/g/"},
        {"g/./h", "http://a/b/c/g/h"},
        {"g/../h", "http://a/b/c/h"},
        {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
        {"g;x=1/../y", "http://a/b/c/y"},
        {"g?y/./x", "http://a/b/c/g?y/./x"},
        {"g?y/../x", "http://a/b/c/g?y/../x"},
        {"g#s/./x", "http://a/b/c/g"},
        {"g#s/../x", "http://a/b/c/g"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_resolve("http://a/b/c/d;p?q", cases[i][0], cases[i][1]);
}

/* "http:g" is strict-parser territory: an http URL with no host. */
Test(url, scheme_relative_without_host_is_rejected)
{
    char *got = NULL;

    cr_assert_eq(url_resolve("http://a/b/c/d;p?q", "http:g", &got),
                 ERR_BAD_URL);
    cr_assert_null(got);
}

Test(url, equivalent_spellings_canonicalise_equal)
{
    static const char *const spellings[] = {
        "http://example.com/a/b.html",      "HTTP://EXAMPLE.COM/a/b.html",
        "http://example.com:80/a/b.html",   "http://example.com/a/./b.html",
        "http://example.com/a/x/../b.html", "http://example.com/%61/b.html",
        "http://example.com/a/b.html#frag", "  http://example.com/a/b.html\n",
        "http://exa\tmple.com/a/b.html",    "http://example.com/a/%2e/b.html",
    };
    size_t i;

    for (i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++)
        check_resolve(NULL, spellings[i], "http://example.com/a/b.html");
}

Test(url, percent_encoding_normalised)
{
    check_resolve(NULL, "http://h/a%2fb%7e%zz", "http://h/a%2Fb~%25zz");
    check_resolve(NULL, "http://h/caf\xC3\xA9 x?q=a b",
                  "http://h/caf%C3%A9%20x?q=a%20b");
    check_resolve(NULL, "https://h:443", "https://h/");
    check_resolve(NULL, "https://h:8443/", "https://h:8443/");
    /* A default port is dropped only for its own scheme. */
    check_resolve(NULL, "http://h:80/", "http://h/");
    check_resolve(NULL, "https://h:80/", "https://h:80/");
    check_resolve(NULL, "http://h:443/", "http://h:443/");
    check_resolve(NULL, "HTTPS://h:443/x", "https://h/x");
    check_resolve(NULL, "http://h:/x", "http://h/x");
    check_resolve(NULL, "http://[::1]:8080/x", "http://[::1]:8080/x");
}

Test(url, relative_links_resolve_against_pages)
{
    check_resolve("http://h/book/7.html", "71.html", "http://h/book/71.html");
    check_resolve("http://h/book/7.html", "../book/./../index.html",
                  "http://h/index.html");
    check_resolve("http://h/book/7.html", "//other/x", "http://other/x");
    check_resolve("https://h/a/", "?p=2", "https://h/a/?p=2");
}

Test(url, non_http_schemes_are_refused)
{
    static const char *const refs[] = {
        "mailto:a@b.c",       "javascript:void(0)", "data:text/html,hi",
        "file:///etc/passwd", "ftp://h/x",          "tel:123",
    };
    size_t i;
    char *got = NULL;

    for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        cr_assert_eq(url_resolve("http://h/", refs[i], &got), ERR_SCHEME, "%s",
                     refs[i]);
        cr_assert_null(got);
    }
}

Test(url, malformed_urls_are_refused)
{
    char *got = NULL;

    cr_assert_eq(url_canon("http://h:99999/", &got), ERR_BAD_URL);
    cr_assert_eq(url_canon("http://:80/", &got), ERR_BAD_URL);
    cr_assert_eq(url_canon("http://a b/", &got), ERR_BAD_URL);
    cr_assert_eq(url_canon("not a url", &got), ERR_BAD_URL);
    cr_assert_eq(url_canon("/relative/without/base", &got), ERR_BAD_URL);
    /* Found by fuzz_url: a colon inside the host, bytes that are not
     * UTF-8 in the host. */
    cr_assert_eq(url_resolve("http://h/", "//other:0080p://a", &got),
                 ERR_BAD_URL);
    cr_assert_eq(url_canon("http://\xff\xffa/b", &got), ERR_BAD_URL);
    cr_assert_eq(url_canon("http://[::1/", &got), ERR_BAD_URL);
    cr_assert_null(got);
}

Test(url, overlong_urls_are_refused)
{
    size_t n = 100 * 1024;
    char *u = malloc(n + 1), *got = NULL;

    memcpy(u, "http://h/", 9);
    memset(u + 9, 'a', n - 9);
    u[n] = '\0';
    cr_assert_eq(url_canon(u, &got), ERR_TOO_LARGE);
    u[URL_MAX + 100] = '\0';
    cr_assert_eq(url_canon(u, &got), ERR_TOO_LARGE);
    cr_assert_null(got);
    free(u);
}

Test(url, host_and_hostport)
{
    const char *h;
    size_t n;

    n = url_host("http://user@example.com:8080/x", &h);
    cr_assert_eq(n, 11);
    cr_assert_eq(strncmp(h, "example.com", n), 0);
    n = url_hostport("http://user@example.com:8080/x", &h);
    cr_assert_eq(n, 16);
    cr_assert_eq(strncmp(h, "example.com:8080", n), 0);
    n = url_host("http://[::1]:80/", &h);
    cr_assert_eq(n, 5);
    cr_assert_eq(strncmp(h, "[::1]", n), 0);
}

/* The key of per-host tables: host[:port] alone, and nothing when it
 * does not fit. */
Test(url, hostport_key_is_host_and_port)
{
    char key[32], tiny[8];

    cr_assert(
        url_hostport_key("http://user@Example.com:8080/a?b", key, sizeof(key)));
    cr_assert_str_eq(key, "Example.com:8080");
    cr_assert(url_hostport_key("https://h/", key, sizeof(key)));
    cr_assert_str_eq(key, "h");
    cr_assert_not(url_hostport_key("http://example.com/", tiny, sizeof(tiny)));
    cr_assert_not(url_hostport_key("no scheme", key, sizeof(key)));
}

static bool drop_tracking(void *ctx, const char *name, size_t n)
{
    (void)ctx;
    return (n >= 4 && !strncmp(name, "utm_", 4)) ||
           (n == 6 && !strncmp(name, "fbclid", 6));
}

/* --strip-params: matched parameters go, the others stay in order, an
 * empty query goes with its '?'. */
Test(url, strip_params)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"http://h/a?utm_source=x", "http://h/a"},
        {"http://h/a?id=1&utm_source=x&b=2", "http://h/a?id=1&b=2"},
        {"http://h/a?utm_a=1&utm_b&fbclid=z", "http://h/a"},
        {"http://h/a?fbclid", "http://h/a"},
        {"http://h/a?id=1", "http://h/a?id=1"},
        {"http://h/a", "http://h/a"},
        {"http://h/a?utm=1&xutm_a=2", "http://h/a?utm=1&xutm_a=2"},
        {"http://h/a?&&id=1&", "http://h/a?id=1"},
    };
    char out[64];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_assert(url_strip_params(cases[i].in, drop_tracking, NULL, out,
                                   sizeof(out)));
        cr_assert_str_eq(out, cases[i].out, "%zu", i);
    }
    cr_assert_not(
        url_strip_params("http://h/a?id=1", drop_tracking, NULL, out, 12));
}
