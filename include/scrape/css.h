/*
 * css.h - CSS selectors translated to XPath 1.0, once, at start-up.
 *
 * scrape has one selector engine, libxml2's XPath; a CSS selector is
 * turned into the equivalent XPath text before any page is fetched and
 * compiled like any --field XPath.  Supported: Selectors Level 3 -- type,
 * '*', #id, .class, [a], [a=v], [a~=v], [a|=v], [a^=v], [a$=v], [a*=v],
 * the descendant, '>', '+' and '~' combinators, groups with ',',
 * :first-child, :last-child, :only-child, :nth-child(an+b),
 * :nth-last-child(), :first-of-type, :last-of-type, :only-of-type,
 * :nth-of-type(), :nth-last-of-type(), :not(), :empty, :root -- plus
 * parsel's pseudo-elements ::text (the element's text nodes) and
 * ::attr(NAME) (an attribute's value), which may end a selector.
 *
 * Like parsel (Scrapy), the result is relative to a context node and
 * starts with descendant-or-self::, so "span.text" evaluated on an item
 * finds the item's own spans.  Element and attribute names match
 * case-insensitively, as HTML requires: libxml2's HTML parser lowercases
 * them, so the selector's names are lowercased too.  Attribute values
 * match case-sensitively.  The *-of-type pseudo-classes need an element
 * name (XPath 1.0 cannot compare a sibling's name with the context's).
 *
 * Pure; no global state.
 */
#ifndef SCRAPE_CSS_H
#define SCRAPE_CSS_H

#include <stddef.h>

#include "scrape/err.h"

/* Room for the message of a rejected selector. */
#define CSS_WHY_MAX 160

/* Translates selector `css` to XPath 1.0.  On success *xpath is a new
 * string (caller frees).  A malformed or unsupported selector returns
 * ERR_INVALID with *pos the 0-based byte offset of the problem and a
 * one-line reason in `why` (n bytes); ERR_NOMEM otherwise. */
enum err css_to_xpath(const char *css, char **xpath, size_t *pos, char *why,
                      size_t n);

#endif
