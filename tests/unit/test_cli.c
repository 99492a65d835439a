/* Unit tests for cli.c: defaults, range checks, --field. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/cli.h"

#include "cliparse.h"

Test(cli, defaults)
{
    char *argv[] = {"scrape", "seeds.txt", NULL};
    struct config cfg;
    char *msg;

    cr_assert_eq(cliparse(&cfg, &msg, 2, argv), CLI_RUN);
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

    cr_assert_eq(cliparse(&cfg, &msg, 17, argv), CLI_RUN, "%s", msg);
    cr_assert_eq(cfg.concurrency, 500);
    cr_assert_eq(cfg.per_host, 64);
    cr_assert_eq(cfg.depth, 3);
    cr_assert(cfg.any_host);
    cr_assert(cfg.quiet);
    cr_assert_eq(cfg.max_pages, 10);
    cr_assert_eq(cfg.spider.rules[0].spec.nfields, 2);
    cr_assert_str_eq(cfg.spider.rules[0].spec.fields[0].name, "price");
    cr_assert_str_eq(cfg.spider.rules[0].spec.fields[0].xpath,
                     "//p[@class='price']");
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
        cr_assert_eq(cliparse(&cfg, &msg, argc, bad[i]), CLI_USAGE, "case %zu",
                     i);
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

    cr_assert_eq(cliparse(&cfg, &msg, 1, argv), CLI_USAGE);
    cr_assert_not_null(strstr(msg, "no SEEDS file or URL given"));
    cli_release(&cfg);
    free(msg);
}

/* The documented rule for selectors without css:/xpath:, and the
 * prefixes: CSS is translated (descendant-or-self::...), XPath kept. */
Test(cli, selector_kind_rule_and_prefixes)
{
    static const struct {
        const char *sel, *xpath; /* NULL: CSS, translated */
    } cases[] = {
        {"//p", "//p"},
        {"./span", "./span"},
        {"../x", "../x"},
        {"(//a)[1]", "(//a)[1]"},
        {"@href", "@href"},
        {".", "."},
        {"normalize-space(.//b)", "normalize-space(.//b)"},
        {"count (//a)", "count (//a)"},
        {"text()", "text()"},
        {"xpath:span", "span"},
        {"css://weird", NULL},
        {"a::attr(href)", NULL},
        {"div.quote", NULL},
        {"*", NULL},
        {"a[href^='/']", NULL},
        {"li:nth-child(2)", NULL},
    };
    char arg[128];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[] = {"scrape", "--field", arg, "s", NULL};
        struct config cfg;
        char *msg;
        snprintf(arg, sizeof(arg), "f=%s", cases[i].sel);
        if (!strncmp(cases[i].sel, "css://", 6)) {
            /* CSS that is not CSS: a usage error naming the position. */
            cr_assert_eq(cliparse(&cfg, &msg, 4, argv), CLI_USAGE);
            cr_assert_not_null(strstr(msg, "at position 1"), "%s", msg);
        } else {
            cr_assert_eq(cliparse(&cfg, &msg, 4, argv), CLI_RUN, "%s: %s",
                         cases[i].sel, msg);
            if (cases[i].xpath)
                cr_assert_str_eq(cfg.spider.rules[0].spec.fields[0].xpath,
                                 cases[i].xpath);
            else
                cr_assert_eq(strncmp(cfg.spider.rules[0].spec.fields[0].xpath,
                                     "descendant-or-self::", 20),
                             0, "%s -> %s", cases[i].sel,
                             cfg.spider.rules[0].spec.fields[0].xpath);
            cr_assert_str_eq(cfg.spider.rules[0].spec.fields[0].selector,
                             cases[i].sel);
        }
        cli_release(&cfg);
        free(msg);
    }
}

/* NAME[]= is a list field; names that cannot be JSON keys are refused;
 * with --item, url and idx are the item's own keys. */
Test(cli, list_fields_and_names)
{
    char *ok[] = {"scrape", "--item", "li", "--field", "tags[]=a", "s", NULL};
    char *quote[] = {"scrape", "--field", "a\"b=p", "s", NULL};
    char *url[] = {"scrape", "--item", "li", "--field", "url=a", "s", NULL};
    char *twice[] = {"scrape", "--item", "li", "--item", "p", "s", NULL};
    struct config cfg;
    char *msg;

    cr_assert_eq(cliparse(&cfg, &msg, 6, ok), CLI_RUN, "%s", msg);
    cr_assert_str_eq(cfg.spider.rules[0].spec.fields[0].name, "tags");
    cr_assert(cfg.spider.rules[0].spec.fields[0].list);
    cr_assert_str_eq(cfg.spider.rules[0].spec.item_selector, "li");
    cli_release(&cfg);
    free(msg);
    cr_assert_eq(cliparse(&cfg, &msg, 4, quote), CLI_USAGE);
    cli_release(&cfg);
    free(msg);
    cr_assert_eq(cliparse(&cfg, &msg, 6, url), CLI_USAGE);
    cr_assert_not_null(strstr(msg, "'url'"), "%s", msg);
    cli_release(&cfg);
    free(msg);
    cr_assert_eq(cliparse(&cfg, &msg, 6, twice), CLI_USAGE);
    cli_release(&cfg);
    free(msg);
}

/* The command line kept for --resume survives the round trip through
 * JSON, whatever its arguments hold. */
Test(cli, args_json_round_trip)
{
    char *in[] = {
        "--field", "q=\"a\\b\"", "x\ny\tz\rw\x01", "caf\xC3\xA9 \xE6\x97\xA5",
        "",        NULL};
    char **out = NULL, *json = cli_args_to_json(5, in);
    int argc = 0, i;

    cr_assert_not_null(json);
    cr_assert_eq(cli_args_from_json(json, &argc, &out), ERR_OK, "%s", json);
    cr_assert_eq(argc, 6);
    cr_assert_str_eq(out[0], "scrape");
    for (i = 0; i < 5; i++)
        cr_assert_str_eq(out[i + 1], in[i], "argument %d", i);
    cr_assert_null(out[6]);
    cli_args_free(argc, out);
    free(json);
}

/* --repeat belongs to --compare and is range-checked. */
Test(cli, repeat_is_for_compare)
{
    char *ok[] = {"scrape", "--compare", "--repeat", "5", "s.txt", NULL};
    char *alone[] = {"scrape", "--repeat", "3", "s.txt", NULL};
    char *zero[] = {"scrape", "--compare", "--repeat", "0", "s.txt", NULL};
    struct config cfg;
    char *msg;

    cr_assert_eq(cliparse(&cfg, &msg, 5, ok), CLI_RUN);
    cr_assert(cfg.compare);
    cr_assert_eq(cfg.repeat, 5);
    cli_release(&cfg);
    free(msg);
    cr_assert_eq(cliparse(&cfg, &msg, 4, alone), CLI_USAGE);
    cr_assert(strstr(msg, "--repeat N is for --compare"), "%s", msg);
    cli_release(&cfg);
    free(msg);
    cr_assert_eq(cliparse(&cfg, &msg, 5, zero), CLI_USAGE);
    cr_assert(strstr(msg, "--repeat wants a number from 1 to 99"), "%s", msg);
    cli_release(&cfg);
    free(msg);
}

/* A run --compare spawned: the engine its hidden option names wins over
 * the comparison's own engine options, it is no comparison itself, and
 * the option stays out of the command line the run stores. */
Test(cli, a_compare_run_is_one_engine)
{
    char *argv[] = {"scrape",    CONFIG_COMPARE_RUN_ARG "=7,1234,threads",
                    "--compare", "--threads",
                    "8",         "--procs",
                    "2",         "s.txt",
                    NULL};
    char *bad[] = {"scrape", CONFIG_COMPARE_RUN_ARG "=7,1234,fibers", "s.txt",
                   NULL};
    struct config cfg;
    char *msg;

    cr_assert_eq(cliparse(&cfg, &msg, 8, argv), CLI_RUN);
    cr_assert_not(cfg.compare);
    cr_assert_str_eq(cfg.engine, "threads");
    cr_assert_eq(cfg.threads, 8);
    cr_assert_eq(cfg.procs, 2);
    cr_assert_eq(cfg.compare_id, 7);
    cr_assert_eq(cfg.compare_parent, 1234);
    cr_assert_str_eq(cfg.args_json,
                     "[\"--compare\",\"--threads\",\"8\",\"--procs\",\"2\","
                     "\"s.txt\"]");
    cli_release(&cfg);
    free(msg);
    cr_assert_eq(cliparse(&cfg, &msg, 3, bad), CLI_USAGE);
    cli_release(&cfg);
    free(msg);
}

/* Secrets stay out of the stored command line: a secret header's value
 * and -u's password, in every spelling; other headers and the user stay;
 * a stored run gets them back from the command line given now, or is
 * refused naming what is missing. */
Test(cli, secrets_are_not_stored)
{
    char *argv[] = {"scrape",
                    "-H",
                    "Authorization: Bearer t0k",
                    "--header=Cookie: a=b",
                    "-HX-Api: 1",
                    "-u",
                    "alice:pw1",
                    "--user=bob:pw2",
                    "--user-agent",
                    "ua",
                    "http://h/",
                    NULL};
    char *given_argv[] = {
        "scrape", "--resume",  "-H", "authorization: Bearer t",
        "-u",     "carol:pw3", NULL};
    struct config cfg, stored, given;
    char *msg, *msg2, **sargv = NULL;
    int sargc = 0;

    cr_assert_eq(cliparse(&cfg, &msg, 11, argv), CLI_RUN, "%s", msg);
    cr_assert_null(strstr(cfg.args_json, "t0k"), "%s", cfg.args_json);
    cr_assert_null(strstr(cfg.args_json, "a=b"), "%s", cfg.args_json);
    cr_assert_null(strstr(cfg.args_json, "pw1"), "%s", cfg.args_json);
    cr_assert_null(strstr(cfg.args_json, "pw2"), "%s", cfg.args_json);
    cr_assert_not_null(strstr(cfg.args_json, "\"-HX-Api: 1\""), "%s",
                       cfg.args_json);
    cr_assert_not_null(strstr(cfg.args_json, "\"alice:" CONFIG_SECRET "\""),
                       "%s", cfg.args_json);
    cr_assert_not_null(
        strstr(cfg.args_json, "\"--user=bob:" CONFIG_SECRET "\""), "%s",
        cfg.args_json);
    cr_assert_not_null(strstr(cfg.args_json, "\"ua\""), "%s", cfg.args_json);
    /* Parsed again, as --resume does: the secrets come from `given`;
     * Cookie is missing there. */
    cr_assert_eq(cli_args_from_json(cfg.args_json, &sargc, &sargv), ERR_OK);
    cr_assert_eq(cliparse(&stored, &msg2, sargc, sargv), CLI_RUN, "%s", msg2);
    free(msg2);
    cr_assert_eq(cliparse(&given, &msg2, 6, given_argv), CLI_RUN, "%s", msg2);
    free(msg2);
    {
        size_t len;
        FILE *err = open_memstream(&msg2, &len);
        cr_assert_not(cli_restore_secrets(&stored, &given, err));
        fclose(err);
    }
    cr_assert_not_null(strstr(msg2, "-H 'Cookie: ...'"), "%s", msg2);
    free(msg2);
    cr_assert_str_eq(stored.user, "carol:pw3");
    cr_assert_str_eq(stored.headers[0], "authorization: Bearer t");
    cli_release(&stored);
    cli_release(&given);
    cli_args_free(sargc, sargv);
    cli_release(&cfg);
    free(msg);
}
