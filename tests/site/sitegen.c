/*
 * sitegen.c - writes the generated bookstore site (site.h) as static
 * files, for the benchmark's nginx (scripts/bench-site.sh).
 *
 *   sitegen --out DIR --port P [--pages N] [--fanout K] [--page-size B]
 *           [--nested 0|1] [--quote-pages Q]
 *
 * Writes DIR/index.html, DIR/book/1.html .. DIR/book/N-1.html and
 * DIR/robots.txt (allows everything), the same bytes sitesrv would serve
 * on port P (pages carry absolute links with the port in them); with
 * --quote-pages, also the quotes section's pages (quotes.h) as
 * DIR/quotes/page/K/index.html, K = 1..Q.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "quotes.h"
#include "site.h"

static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int failed;

    if (!f) {
        fprintf(stderr, "sitegen: cannot write '%s': %s\n", path,
                strerror(errno));
        return -1;
    }
    failed = fwrite(data, 1, len, f) != len;
    /* Closed once, whatever happened: a failed close is a failed write. */
    failed |= fclose(f) != 0;
    if (failed)
        fprintf(stderr, "sitegen: cannot write '%s': %s\n", path,
                strerror(errno));
    return failed ? -1 : 0;
}

/* mkdir -p for a path under an existing directory. */
static int make_dirs(char *path)
{
    char *p;

    for (p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) && errno != EEXIST) {
            *p = '/';
            return -1;
        }
        *p = '/';
    }
    return 0;
}

/* The quotes section's pages, for the items benchmark. */
static int write_quotes(const char *out, unsigned pages, unsigned port)
{
    char path[4096], rel[64];
    const char *ctype;
    unsigned k;
    size_t len;
    int gzip, rc;

    for (k = 1; k <= pages; k++) {
        char *html;
        snprintf(rel, sizeof(rel), "/quotes/page/%u/", k);
        html = quotes_render(rel, pages, port, &len, &ctype, &gzip);
        snprintf(path, sizeof(path), "%s%sindex.html", out, rel);
        if (!html || make_dirs(path)) {
            fprintf(stderr, "sitegen: cannot write '%s'\n", path);
            free(html);
            return -1;
        }
        rc = write_file(path, html, len);
        free(html);
        if (rc)
            return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct site_opts *o,
                      const char **out, unsigned *quote_pages)
{
    int i;

    for (i = 1; i + 1 < argc; i += 2) {
        char *end;
        long v;
        if (!strcmp(argv[i], "--out")) {
            *out = argv[i + 1];
            continue;
        }
        v = strtol(argv[i + 1], &end, 10);
        if (*end || v < 0)
            return -1;
        if (!strcmp(argv[i], "--port") && v >= 1 && v <= 65535)
            o->port = (unsigned)v;
        else if (!strcmp(argv[i], "--pages") && v >= 1 && v <= 10000000)
            o->pages = (unsigned)v;
        else if (!strcmp(argv[i], "--fanout") && v >= 1 && v <= 10000)
            o->fanout = (unsigned)v;
        else if (!strcmp(argv[i], "--page-size") && v <= 64L * 1024 * 1024)
            o->page_size = (size_t)v;
        else if (!strcmp(argv[i], "--nested") && v <= 1)
            o->nested = (int)v;
        else if (!strcmp(argv[i], "--quote-pages") && v <= 100000)
            *quote_pages = (unsigned)v;
        else
            return -1;
    }
    return i == argc && *out && o->port ? 0 : -1;
}

int main(int argc, char **argv)
{
    static const char robots[] = "User-agent: *\nAllow: /\n";
    struct site_opts o = {.pages = 1000, .fanout = 10, .page_size = 16 * 1024};
    const char *out = NULL;
    char path[4096], rel[64];
    unsigned i, quote_pages = 0;

    if (parse_args(argc, argv, &o, &out, &quote_pages)) {
        fprintf(stderr, "usage: sitegen --out DIR --port P [--pages N]"
                        " [--fanout K] [--page-size B] [--nested 0|1]"
                        " [--quote-pages Q]\n");
        return 2;
    }
    snprintf(path, sizeof(path), "%s/book", out);
    if ((mkdir(out, 0755) && errno != EEXIST) ||
        (mkdir(path, 0755) && errno != EEXIST)) {
        fprintf(stderr, "sitegen: cannot create '%s': %s\n", path,
                strerror(errno));
        return 1;
    }
    snprintf(path, sizeof(path), "%s/robots.txt", out);
    if (write_file(path, robots, sizeof(robots) - 1))
        return 1;
    for (i = 0; i < o.pages; i++) {
        size_t len;
        char *html = site_render(&o, i, &len);
        int rc;
        if (!html) {
            fprintf(stderr, "sitegen: out of memory\n");
            return 1;
        }
        site_path(i, rel, sizeof(rel));
        snprintf(path, sizeof(path), "%s%s", out, rel);
        rc = write_file(path, html, len);
        free(html);
        if (rc)
            return 1;
    }
    return quote_pages && write_quotes(out, quote_pages, o.port) ? 1 : 0;
}
