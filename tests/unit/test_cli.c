/* Unit tests for cli.c: defaults, range checks, --field. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/cli.h"

static enum cli_result parse(struct config *cfg, char **msg, int argc,
                             char **argv)
{
    size_t len;
    FILE *err = open_memstream(msg, &len);
    FILE *out = fopen("/dev/null", "w");
    enum cli_result r = cli_parse(argc, argv, cfg, out, err);

    fclose(err);
    fclose(out);
    return r;
}

Test(cli, defaults)
{
    char *argv[] = {"scrape", "seeds.txt", NULL};
    struct config cfg;
    char *msg;

    cr_assert_eq(parse(&cfg, &msg, 2, argv), CLI_RUN);
    cr_assert_eq(cfg.ninputs, 1);
    cr_assert_str_eq(cfg.inputs[0], "seeds.txt");
    cr_assert_str_eq(cfg.db_path, "out/scrape.db");
    cr_assert_str_eq(cfg.engine, "multi");
    cr_assert_eq(cfg.concurrency, 100);
    cr_assert_eq(cfg.per_host, 8);
    cr_assert_eq(cfg.depth, 0);
    cr_assert_eq(cfg.timeout_s, 30);
    cr_assert_eq(cfg.connect_timeout_s, 10);
    cr_assert_eq(cfg.max_bytes, 10485760);
    cr_assert_str_eq(cfg.user_agent, "scrape/" SCRAPE_VERSION);
    cli_release(&cfg);
    cli_release(&cfg);
    free(msg);
}

Test(cli, options_and_fields)
{
    char *argv[] = {"scrape",
                    "-c",
                    "500",
                    "--per-host=64",
                    "-d",
                    "3",
                    "--any-host",
                    "--max-pages",
                    "10",
                    "--field",
                    "price=//p[@class='price']",
                    "--field",
                    "t=//title",
                    "--db",
                    "x.db",
                    "-q",
                    "-",
                    NULL};
    struct config cfg;
    char *msg;

    cr_assert_eq(parse(&cfg, &msg, 17, argv), CLI_RUN, "%s", msg);
    cr_assert_eq(cfg.concurrency, 500);
    cr_assert_eq(cfg.per_host, 64);
    cr_assert_eq(cfg.depth, 3);
    cr_assert(cfg.any_host);
    cr_assert(cfg.quiet);
    cr_assert_eq(cfg.max_pages, 10);
    cr_assert_eq(cfg.spec.nfields, 2);
    cr_assert_str_eq(cfg.spec.fields[0].name, "price");
    cr_assert_str_eq(cfg.spec.fields[0].xpath, "//p[@class='price']");
    cr_assert_str_eq(cfg.db_path, "x.db");
    cr_assert_str_eq(cfg.inputs[0], "-");
    cli_release(&cfg);
    free(msg);
}

Test(cli, usage_errors_are_one_line)
{
    char *bad[][4] = {
        {"scrape", "-c", "0", "s"},        {"scrape", "-c", "12x", "s"},
        {"scrape", "--depth", "-1", "s"},  {"scrape", "--field", "x", "s"},
        {"scrape", "--bogus", "s", NULL},  {"scrape", "-", "-", NULL},
        {"scrape", "--timeout", "0", "s"},
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct config cfg;
        char *msg;
        int argc = bad[i][3] ? 4 : 3;
        cr_assert_eq(parse(&cfg, &msg, argc, bad[i]), CLI_USAGE, "case %zu", i);
        cr_assert_eq(strncmp(msg, "scrape: ", 8), 0, "%s", msg);
        cr_assert_eq(strchr(msg, '\n'), msg + strlen(msg) - 1, "%s", msg);
        cli_release(&cfg);
        free(msg);
    }
}

Test(cli, no_seeds_is_a_usage_error)
{
    char *argv[] = {"scrape", NULL};
    struct config cfg;
    char *msg;

    cr_assert_eq(parse(&cfg, &msg, 1, argv), CLI_USAGE);
    cr_assert_not_null(strstr(msg, "no SEEDS file or URL given"));
    cli_release(&cfg);
    free(msg);
}
