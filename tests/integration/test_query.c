/*
 * Integration tests for the query subcommands (stats, dupes, export) on a
 * database made by a real crawl of the local site.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static struct site site;
static struct sandbox sb;

/* Crawls a 300-page site with two --field values into sb.db. */
static void crawl(void)
{
    static const char *const args[] = {"--pages", "300", NULL};
    const char *const run[] = {"-q",
                               "-d",
                               "3",
                               "--per-host",
                               "16",
                               "--field",
                               "price=//p[@class='price']",
                               "--field",
                               "note=//p[@class='missing']",
                               "--db",
                               sb.db,
                               sb.seeds,
                               NULL};
    char text[128];

    sandbox_init(&sb);
    site_start(&site, args);
    snprintf(text, sizeof(text), "http://127.0.0.1:%u/index.html\n", site.port);
    write_seeds(&sb, text);
    cr_assert_eq(run_scrape(&sb, run, 60, 0), 0);
}

static void finish(void)
{
    site_stop(&site);
    sandbox_release(&sb);
}

/* Runs a subcommand; its stdout is sb.dir/stdout.txt. */
static int sub(const char *const *args)
{
    return run_scrape(&sb, args, 60, 0);
}

TestSuite(query, .init = crawl, .fini = finish);

Test(query, stats_figures_equal_sql_counts)
{
    const char *const args[] = {"stats", "--db", sb.db, NULL};
    char want[200], *out;

    cr_assert_eq(sub(args), 0);
    out = read_file_text(&sb, "stdout.txt");
    snprintf(want, sizeof(want), "pages %lld: 2xx %lld, 3xx 0, 4xx 0",
             db_int(&sb, "SELECT count(*) FROM pages"),
             db_int(&sb, "SELECT count(*) FROM pages WHERE status = 200"));
    cr_assert_not_null(strstr(out, want), "%s\n---\n%s", want, out);
    snprintf(want, sizeof(want), "%6lld  127.0.0.1:%u",
             db_int(&sb, "SELECT count(*) FROM pages"), site.port);
    cr_assert_not_null(strstr(out, want), "%s\n---\n%s", want, out);
    cr_assert_not_null(strstr(out, "run 1: multi"), "%s", out);
    free(out);
}

Test(query, dupes_groups_the_sites_near_copies)
{
    const char *const args[] = {"dupes", "--distance", "10",
                                "--db",  sb.db,        NULL};
    char *out;

    cr_assert_eq(sub(args), 0);
    out = read_file_text(&sb, "stdout.txt");
    cr_assert_not_null(strstr(out, "3 clusters of near-duplicates (within"
                                   " 10 bits) among 300 pages"),
                       "%s", out);
    cr_assert_not_null(strstr(out, "/book/98.html"), "%s", out);
    cr_assert_not_null(strstr(out, "/book/99.html"), "%s", out);
    cr_assert_not_null(strstr(out, "/book/298.html"), "%s", out);
    free(out);
}

Test(query, export_jsonl_is_valid_json_lines)
{
    char out[192], cmd[600], line[64] = "";
    const char *const args[] = {"export", "--format", "jsonl", "-o",
                                out,      "--db",     sb.db,   NULL};
    FILE *p;

    snprintf(out, sizeof(out), "%s/pages.jsonl", sb.dir);
    cr_assert_eq(sub(args), 0);
    /* jq parses every line; count the records and the prices. */
    snprintf(cmd, sizeof(cmd),
             "jq -e -s 'length == 300 and (map(select(.price | startswith("
             "\"\\u00a3\"))) | length) == 300 and all(.[]; .note == null)'"
             " %s",
             out);
    p = popen(cmd, "r");
    cr_assert_not_null(p);
    if (!fgets(line, sizeof(line), p))
        line[0] = '\0';
    cr_assert_eq(pclose(p), 0, "jq: %s", line);
    cr_assert_str_eq(line, "true\n");
}

/* Counts RFC 4180 records and checks every one has `cols` fields. */
static long csv_records(const char *text, int cols)
{
    long records = 0;
    int fields = 1;
    bool quoted = false;
    const char *p;

    for (p = text; *p; p++) {
        if (quoted) {
            if (*p == '"' && p[1] == '"')
                p++;
            else if (*p == '"')
                quoted = false;
        } else if (*p == '"') {
            quoted = true;
        } else if (*p == ',') {
            fields++;
        } else if (*p == '\r' && p[1] == '\n') {
            cr_assert_eq(fields, cols, "record %ld", records);
            records++;
            fields = 1;
            p++;
        }
    }
    return records;
}

Test(query, export_csv_round_trips)
{
    char out[192];
    const char *const args[] = {"export", "--format", "csv", "-o",
                                out,      "--db",     sb.db, NULL};
    char *text;

    snprintf(out, sizeof(out), "%s/pages.csv", sb.dir);
    cr_assert_eq(sub(args), 0);
    text = read_file_text(&sb, "pages.csv");
    /* 18 page columns + price (note never matched: no column). */
    cr_assert_eq(csv_records(text, 19), 301);
    cr_assert_eq(strncmp(text, "url,final_url,depth,", 20), 0);
    cr_assert_not_null(strstr(text, ",\"Crimson River, volume 1 | Scrape"
                                    " Books\","),
                       "titles with commas are quoted");
    free(text);
}

Test(query, clear_errors_and_read_only)
{
    const char *const missing[] = {"stats", "--db", "/nonexistent/x.db", NULL};
    const char *const badrun[] = {"stats", "--run", "99", "--db", sb.db, NULL};
    const char *const badfmt[] = {"export", "--format", "xml",
                                  "--db",   sb.db,      NULL};
    const char *const dupes[] = {"dupes", "--db", sb.db, NULL};
    struct stat before, after;
    char *err;

    cr_assert_eq(stat(sb.db, &before), 0);
    cr_assert_eq(sub(missing), 1);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "scrape stats: cannot open"), "%s", err);
    free(err);
    cr_assert_eq(sub(badrun), 1);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "no run 99"), "%s", err);
    free(err);
    cr_assert_eq(sub(badfmt), 2);
    cr_assert_eq(sub(dupes), 0);
    cr_assert_eq(stat(sb.db, &after), 0);
    cr_assert_eq(before.st_size, after.st_size);
    cr_assert_eq(before.st_mtime, after.st_mtime, "the database was written");
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs"), 1);
}

/* Runs headless Chromium (Debian's, from scripts/deps.sh) on `file`:
 * with `what` "--dump-dom" its DOM goes to `out`; "--screenshot=PATH"
 * writes a PNG.  Bounded to 90 s. */
static int chromium(const char *what, const char *file, const char *out)
{
    char cmd[1200];

    snprintf(cmd, sizeof(cmd),
             "timeout 90 chromium --headless --no-sandbox --disable-gpu"
             " --no-first-run --disable-background-networking"
             " --disable-component-update --disable-sync"
             " --user-data-dir=%s/chromium --window-size=1280,800 %s"
             " file://%s > %s 2>/dev/null",
             sb.dir, what, file, out);
    return system(cmd);
}

Test(query, report_renders_the_runs_real_figures)
{
    char html[192], dom[192], png[192], shot[220], want[200];
    const char *const args[] = {"report", "-o", html, "--db", sb.db, NULL};
    char *text, *v;
    struct stat st;

    snprintf(html, sizeof(html), "%s/report.html", sb.dir);
    snprintf(dom, sizeof(dom), "%s/dom.html", sb.dir);
    snprintf(png, sizeof(png), "%s/report.png", sb.dir);
    cr_assert_eq(sub(args), 0);
    text = read_file_text(&sb, "report.html");
    cr_assert_eq(strncmp(text, "<!DOCTYPE html>", 15), 0);
    cr_assert_not_null(strstr(text, "</html>"));
    /* Self-contained: nothing is loaded from anywhere. */
    cr_assert_null(strstr(text, "src="));
    cr_assert_null(strstr(text, "<link"));
    cr_assert_null(strstr(text, "@import"));
    free(text);
    /* Chromium's DOM holds the charts with the run's real figures. */
    cr_assert_eq(chromium("--dump-dom", html, dom), 0);
    text = read_file_text(&sb, "dom.html");
    /* Formatted by C's printf, as the report is: SQLite's printf rounds
     * a half (300 pages in 192 ms: 1562.5) the other way. */
    v = db_text(&sb, "SELECT printf('%%.17g', pages * 1000.0 /"
                     " max(wall_ms, 1)) FROM runs");
    snprintf(want, sizeof(want), "data-label=\"multi\" data-value=\"%.0f\"",
             strtod(v, NULL));
    free(v);
    cr_assert_not_null(strstr(text, want), "%s not in the DOM", want);
    snprintf(want, sizeof(want), "data-label=\"2xx\" data-value=\"%lld\"",
             db_int(&sb, "SELECT count(*) FROM pages WHERE status = 200"));
    cr_assert_not_null(strstr(text, want), "%s not in the DOM", want);
    cr_assert_not_null(strstr(text, "<svg id=\"latency\""));
    cr_assert_not_null(strstr(text, "<table id=\"runs\">"));
    free(text);
    /* And it draws: a 1280x800 screenshot with real content. */
    snprintf(shot, sizeof(shot), "--screenshot=%s", png);
    cr_assert_eq(chromium(shot, html, "/dev/null"), 0);
    cr_assert_eq(stat(png, &st), 0);
    cr_assert_gt(st.st_size, 10000, "screenshot of %lld bytes",
                 (long long)st.st_size);
}

Test(query, search_finds_and_ranks)
{
    const char *const unique[] = {"search", "--db", sb.db, "zanzibar", NULL};
    const char *const title[] = {"search", "--limit", "3", "--db",
                                 sb.db,    "42",      NULL};
    const char *const bad[] = {"search", "--db", sb.db, "AND (", NULL};
    char *out, *first;

    cr_assert_eq(sub(unique), 0);
    out = read_file_text(&sb, "stdout.txt");
    cr_assert_not_null(strstr(out, "/book/42.html"), "%s", out);
    cr_assert_not_null(strstr(out, "[zanzibar]"), "highlighted: %s", out);
    cr_assert_not_null(strstr(out, "\n1 page\n"), "only that page: %s", out);
    free(out);
    /* "42" is in page 42's title, and in prices and stock counts
     * elsewhere: the title hit ranks first. */
    cr_assert_eq(sub(title), 0);
    out = read_file_text(&sb, "stdout.txt");
    first = strstr(out, "http://");
    cr_assert_not_null(first, "%s", out);
    cr_assert_eq(strncmp(strchr(first + 7, '/'), "/book/42.html ", 14), 0, "%s",
                 out);
    free(out);
    cr_assert_eq(sub(bad), 1);
    out = read_stderr(&sb);
    cr_assert_not_null(strstr(out, "bad query 'AND (': expected a word before"
                                   " the operator at position 0"),
                       "%s", out);
    free(out);
    /* Every parsed page is in the index. */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages_fts"),
                 db_int(&sb, "SELECT count(*) FROM pages WHERE title IS NOT"
                             " NULL"));
}

/* True when the NUL-separated lower-case words `words` (n of them)
 * follow each other in `t`, tokenized independently of scrape (runs of
 * ASCII letters and digits; the site's text is ASCII words; '|' stands
 * between columns and breaks a phrase). */
static bool has_phrase(const char *t, const char *const *words, size_t n)
{
    size_t k = 0;

    while (*t) {
        char w[64];
        size_t len = 0;
        if (!isalnum((unsigned char)*t)) {
            if (*t++ == '|')
                k = 0;
            continue;
        }
        while (isalnum((unsigned char)*t)) {
            if (len + 1 < sizeof(w))
                w[len++] = (char)tolower((unsigned char)*t);
            t++;
        }
        w[len] = '\0';
        if (!strcmp(w, words[k]))
            k++;
        else
            k = !strcmp(w, words[0]);
        if (k == n)
            return true;
    }
    return false;
}

/* Indexed pages holding phrase a, or phrase b when nb > 0. */
static long pages_with(const char *const *a, size_t na, const char *const *b,
                       size_t nb)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long n = 0;

    cr_assert_eq(sqlite3_open_v2(sb.db, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT coalesce(title, '') || ' | ' ||"
                                    " coalesce(body, '') FROM pages_fts",
                                    -1, &st, NULL),
                 SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        n += has_phrase(t, a, na) || (nb && has_phrase(t, b, nb));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* `scrape search QUERY` over every page: the count on its last line. */
static long search_count(const char *query)
{
    const char *const args[] = {"search", "--limit", "100000", "--db",
                                sb.db,    query,     NULL};
    char *out, *last;
    long n;

    cr_assert_eq(sub(args), 0, "search %s", query);
    out = read_file_text(&sb, "stdout.txt");
    out[strlen(out) - 1] = '\0';
    last = strrchr(out, '\n');
    n = strtol(last ? last + 1 : out, NULL, 10);
    free(out);
    return n;
}

/* Phrases, NEAR and ^ work on the column-detail index: exactly the pages
 * with the words in that order, next to each other (or first). */
Test(query, phrase_and_near_queries_find_exactly_the_adjacent_words)
{
    static const char *const fwd[] = {"hidden", "under"};
    static const char *const rev[] = {"under", "hidden"};
    static const char *const three[] = {"a", "story", "old"};
    const char *const hl[] = {"search", "--db", sb.db, "\"hidden under\"",
                              NULL};
    long n, words;

    n = pages_with(fwd, 2, NULL, 0);
    words = search_count("hidden under");
    cr_assert_gt(n, 0);
    cr_assert_lt(n, words, "the phrase must be rarer than the two words");
    cr_assert_eq(search_count("\"hidden under\""), n);
    cr_assert_eq(search_count("\"under hidden\""), pages_with(rev, 2, NULL, 0));
    /* NEAR with no word between: either order. */
    cr_assert_eq(search_count("NEAR(hidden under, 0)"),
                 pages_with(fwd, 2, rev, 2));
    cr_assert_eq(search_count("NEAR(hidden under, 100000)"), words);
    /* Punctuation and spacing inside the quotes split as the index does;
     * + joins words into one phrase. */
    cr_assert_eq(search_count("\"A  story-old\""),
                 pages_with(three, 3, NULL, 0));
    cr_assert_eq(search_count("a + \"story\" + old"),
                 pages_with(three, 3, NULL, 0));
    /* A phrase in a boolean query, and a column filter. */
    cr_assert_eq(search_count("\"hidden under\" OR \"under hidden\""),
                 pages_with(fwd, 2, rev, 2));
    cr_assert_eq(search_count("title:\"hidden under\""), 0);
    /* ^: the first word of a column (title or text). */
    cr_assert_eq(search_count("^crimson"),
                 db_int(&sb, "SELECT count(*) FROM pages_fts WHERE"
                             " ltrim(body, ' ' || char(10)) LIKE 'crimson %%'"
                             " OR title LIKE 'crimson %%'"));
    cr_assert_eq(search_count("body:^crimson"),
                 db_int(&sb, "SELECT count(*) FROM pages_fts WHERE"
                             " ltrim(body, ' ' || char(10)) LIKE"
                             " 'crimson %%'"));
    cr_assert_gt(search_count("^crimson"), 0);
    cr_assert_gt(search_count("river"), 0);
    cr_assert_eq(search_count("^river"), 0);
    /* Highlighted in the snippet. */
    cr_assert_eq(sub(hl), 0);
    {
        char *out = read_file_text(&sb, "stdout.txt");
        cr_assert_not_null(strstr(out, "[hidden] [under]"), "%s", out);
        free(out);
    }
}

/* A whole file as a string (caller frees). */
static char *slurp_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text;
    size_t n;

    cr_assert_not_null(f, "%s missing", path);
    text = calloc(1, 1 << 20);
    n = fread(text, 1, (1 << 20) - 1, f);
    fclose(f);
    cr_assert_gt(n, 0, "%s is empty", path);
    return text;
}

/* --help and the man page stay in step: every long option --help lists
 * is documented in docs/scrape.1, the one reference. */
Test(docs, every_option_in_help_is_in_the_man_page)
{
    const char *bin =
        getenv("SCRAPE_BIN") ? getenv("SCRAPE_BIN") : "build/scrape";
    char cmd[512], opt[64], *man = slurp_file("docs/scrape.1");
    FILE *p;
    int c, found = 0;

    snprintf(cmd, sizeof(cmd),
             "%s --help | grep -o -- '--[a-z][a-z-]*' | sort -u", bin);
    p = popen(cmd, "r");
    cr_assert_not_null(p);
    while (fscanf(p, "%63s", opt) == 1) {
        char roff[160];
        size_t i, k = 0;
        /* In roff every '-' is written '\-'. */
        for (i = 0; opt[i] && k + 3 < sizeof(roff); i++) {
            if (opt[i] == '-')
                roff[k++] = '\\';
            roff[k++] = opt[i];
        }
        roff[k] = '\0';
        cr_expect_not_null(strstr(man, roff), "%s not in docs/scrape.1", opt);
        found++;
    }
    c = pclose(p);
    cr_assert_eq(c, 0);
    cr_assert_gt(found, 20, "only %d options found in --help", found);
    free(man);
}

/* The README is a front page (at most 300 lines) that points to the
 * documents holding the rest, and every one of them exists. */
Test(docs, the_readme_is_a_front_page_and_its_links_exist)
{
    static const char *const docs[] = {
        "docs/scrape.1", "docs/guide.md", "docs/architecture.md",
        "docs/performance.md", "tests/site/README.md"};
    char *readme = slurp_file("README.md"), *p;
    int lines = 0;
    size_t i;

    for (p = readme; *p; p++)
        lines += *p == '\n';
    cr_assert_leq(lines, 300, "README.md has %d lines", lines);
    cr_assert_not_null(strstr(readme, "make demo"));
    cr_assert_not_null(strstr(readme, "make test"));
    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        cr_assert_not_null(strstr(readme, docs[i]), "README: no %s", docs[i]);
        cr_assert_eq(access(docs[i], R_OK), 0, "%s missing", docs[i]);
    }
    free(readme);
}

/* Comments, tests, scripts and docs say what a thing is, never which
 * tracker entry asked for it. */
Test(docs, nothing_refers_to_an_issue_number)
{
    char line[512] = "";
    /* ("iss" "ue": this line must not find itself.) */
    FILE *p = popen("grep -rnIiE '(issue|issues) ?#?[0-9]+|the iss"
                    "ue|#[0-9]+"
                    " (target|issue)' src include tests/unit"
                    " tests/integration tests/site tests/bench tests/cluster"
                    " scripts docs README.md Makefile .ci | head -n 1",
                    "r");

    cr_assert_not_null(p);
    if (!fgets(line, sizeof(line), p))
        line[0] = '\0';
    pclose(p);
    cr_assert_str_eq(line, "", "%s", line);
}

/* make install / uninstall into a staging directory: the binary runs from
 * there, and the man page renders with man(1) and documents the schema,
 * the subcommands and the exit status. */
Test(docs, make_install_stages_binary_and_man_page)
{
    char dir[] = "/tmp/scrape-install-XXXXXX", cmd[512], path[300];
    char line[512], *man = NULL;
    size_t cap = 0, len = 0;
    struct stat st;
    FILE *p;

    cr_assert_not_null(mkdtemp(dir));
    /* A clean environment: the make running this test may have exported
     * its variables (test-san's BUILD and SANFLAGS would install, and
     * leave as ./scrape, the sanitizer build). */
    snprintf(cmd, sizeof(cmd),
             "env -i PATH=\"$PATH\" make -s install BUILD=build DESTDIR=%s"
             " PREFIX=/opt/scrape >/dev/null 2>&1",
             dir);
    cr_assert_eq(system(cmd), 0, "make install failed");
    snprintf(path, sizeof(path), "%s/opt/scrape/bin/scrape", dir);
    cr_assert_eq(stat(path, &st), 0, "no %s", path);
    cr_assert(st.st_mode & S_IXUSR);
    snprintf(cmd, sizeof(cmd), "%s --version", path);
    p = popen(cmd, "r");
    cr_assert_not_null(p);
    cr_assert_not_null(fgets(line, sizeof(line), p));
    cr_assert_eq(pclose(p), 0);
    cr_assert_eq(strncmp(line, "scrape ", 7), 0, "%s", line);
    snprintf(cmd, sizeof(cmd),
             "MANWIDTH=80 man -l %s/opt/scrape/share/man/man1/scrape.1"
             " 2>&1 | col -b",
             dir);
    p = popen(cmd, "r");
    cr_assert_not_null(p);
    while (fgets(line, sizeof(line), p)) {
        size_t n = strlen(line);
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            man = realloc(man, cap);
        }
        memcpy(man + len, line, n + 1);
        len += n;
    }
    cr_assert_eq(pclose(p), 0);
    cr_assert_not_null(man, "man printed nothing");
    cr_assert_not_null(strstr(man, "SUBCOMMANDS"), "%s", man);
    cr_assert_not_null(strstr(man, "EXIT STATUS"));
    cr_assert_not_null(strstr(man, "DATABASE"));
    cr_assert_not_null(strstr(man, "pages_fts"));
    free(man);
    snprintf(cmd, sizeof(cmd),
             "env -i PATH=\"$PATH\" make -s uninstall BUILD=build DESTDIR=%s"
             " PREFIX=/opt/scrape >/dev/null 2>&1",
             dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_neq(stat(path, &st), 0, "uninstall left %s", path);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
