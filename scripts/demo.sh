#!/bin/sh
# `make demo`: serve the bundled bookstore site on 127.0.0.1:8931, crawl it
# with ./scrape as the README shows, query the result, stop the site.
set -eu
cd "$(dirname "$0")/.."

PORT=8931
BASE=http://127.0.0.1:$PORT
DB=out/scrape.db
. scripts/site.sh

trap site_stop EXIT INT TERM
if ! site_start "$PORT" --pages 1000 --quote-pages 10 --robots 2; then
    echo "demo: is another program using port $PORT?" >&2
    exit 1
fi

echo "demo: local bookstore site on http://127.0.0.1:$PORT/ (1000 pages)"
echo "demo: ./scrape --depth 3 --per-host 64 --field price=... seeds/urls.txt"
./scrape --depth 3 --per-host 64 \
    --field price="//p[@class='price']" \
    --field rating="substring-after(//p[contains(@class,'star-rating')]/@class, ' ')" \
    seeds/urls.txt

RUN=$(sqlite3 "$DB" 'SELECT max(id) FROM runs')
echo
echo "demo: pages by status in run $RUN"
sqlite3 -header -column "$DB" "
    SELECT status, count(*) AS pages, coalesce(error, '') AS error
    FROM pages WHERE run_id = $RUN GROUP BY status, error ORDER BY pages DESC"
echo
echo "demo: the five most expensive books"
sqlite3 -header -column "$DB" "
    SELECT p.title, f.value AS price
    FROM pages p JOIN fields f ON f.page_id = p.id AND f.name = 'price'
    WHERE p.run_id = $RUN
    ORDER BY CAST(substr(f.value, 2) AS REAL) DESC LIMIT 5"

# Scraping: every quote on the quotes section is one item (CSS selectors,
# a list field), following only the pagination.
echo
echo "demo: ./scrape --depth 20 --item div.quote --field text=span.text::text"
echo "      --field author=small.author --field 'tags[]=div.tags a.tag::text'"
echo "      --include '/quotes/page/\\d+/\$' $BASE/quotes/page/1/"
./scrape --depth 20 --item div.quote \
    --field 'text=span.text::text' --field 'author=small.author' \
    --field 'tags[]=div.tags a.tag::text' \
    --include '/quotes/page/\d+/$' "$BASE/quotes/page/1/"
RUN=$(sqlite3 "$DB" 'SELECT max(id) FROM runs')
echo
echo "demo: the five most-tagged quotes of run $RUN"
sqlite3 -header -column "$DB" "
    SELECT json_array_length(data, '\$.tags') AS tags,
           data ->> '\$.author' AS author,
           substr(data ->> '\$.text', 1, 50) AS quote
    FROM items WHERE run_id = $RUN ORDER BY tags DESC, id LIMIT 5"
echo
echo "demo: the most used tags (a list field, one row per tag with json_each)"
sqlite3 -header -column "$DB" "
    SELECT t.value AS tag, count(*) AS quotes
    FROM items, json_each(items.data, '\$.tags') AS t
    WHERE run_id = $RUN GROUP BY t.value ORDER BY quotes DESC, tag LIMIT 5"

# A spider: rules per page type, links chosen by selectors, all in a file.
echo
echo "demo: ./scrape -K seeds/shop.scrape   (home -> category lists -> products)"
./scrape -K seeds/shop.scrape
RUN=$(sqlite3 "$DB" 'SELECT max(id) FROM runs')
echo
echo "demo: pages per rule in run $RUN (facets, reviews, cart never fetched)"
sqlite3 -header -column "$DB" "
    SELECT rule, count(*) AS pages, sum(unfollowed) AS links_left_out
    FROM pages WHERE run_id = $RUN GROUP BY rule ORDER BY min(id)"
echo
echo "demo: the cheapest products, with the list page each was found on"
sqlite3 -header -column "$DB" "
    SELECT s.value AS sku, t.value AS title, c.value AS price,
           substr(l.url, length('$BASE') + 1) AS found_on
    FROM pages p
    JOIN fields s ON s.page_id = p.id AND s.name = 'sku'
    JOIN fields t ON t.page_id = p.id AND t.name = 'title'
    JOIN fields c ON c.page_id = p.id AND c.name = 'price'
    JOIN pages l ON l.id = p.referrer
    WHERE p.run_id = $RUN AND p.rule = 'product'
    ORDER BY CAST(substr(c.value, 2) AS REAL) LIMIT 5"
echo
echo "demo: the database is $DB; try: sqlite3 $DB 'SELECT * FROM runs'"
echo "      or ./scrape export --format jsonl (one JSON object per quote)"
