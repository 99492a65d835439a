/*
 * spider1.h - a spider of one rule (the pages no --rule matches) around
 * an extract spec, for the tests that extract without rules.
 */
#ifndef TESTS_SPIDER1_H
#define TESTS_SPIDER1_H

#include "scrape/parse.h"

struct spider1 {
    struct rule_spec rule;
    struct spider spider;
};

/* `s` (the caller's, living as long as the parser or store that borrows
 * the spider) made a spider of one rule around `spec`. */
static inline const struct spider *spider1_of(struct spider1 *s,
                                              const struct extract_spec *spec)
{
    s->rule = (struct rule_spec){.spec = *spec};
    s->spider = (struct spider){&s->rule, 1};
    return &s->spider;
}

#endif
