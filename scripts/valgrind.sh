#!/bin/sh
# `make valgrind`: a full crawl of the local site, plus its error pages,
# items and sitemaps, and scrape serve answering on the result,
# under valgrind; fails on any invalid access or leak.
set -eu
cd "$(dirname "$0")/.."
. scripts/site.sh
command -v valgrind >/dev/null || { echo "valgrind: not installed" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'site_stop; rm -rf "$tmp"' EXIT INT TERM
site_start 0 --pages 300 --page-size 8000
base="http://127.0.0.1:$SITE_PORT"
cat >"$tmp/seeds.txt" <<SEEDS
$base/index.html
$base/status/404
$base/loop
$base/big?bytes=3000000
$base/charset/header
$base/charset/sjis
$base/data.json
$base/gzip?bytes=30000000
$base/reset
$base/bigheader
$base/stall
$base/flaky?id=7&fail=1&status=429&after=1
$base/trap/1
http://127.0.0.1:1/closed
not a url
SEEDS
# Every engine; --procs workers are forked, not traced (they run the same
# parse code the other two engines run in-process).
for engine in --multi "--threads 8" "--procs 2"; do
    # shellcheck disable=SC2086
    valgrind --quiet --error-exitcode=99 --leak-check=full \
        --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible \
        ./scrape -q $engine -d 3 --max-bytes 1000000 --timeout 3 \
        --field price="//p[@class='price']" \
        --db "$tmp/v.db" "$tmp/seeds.txt" 2>>"$tmp/err" || {
        cat "$tmp/err" >&2
        exit 1
    }
done
pages=$(sqlite3 "$tmp/v.db" 'SELECT count(*) FROM pages')
echo "valgrind: clean for --multi, --threads and --procs; $pages pages recorded"
[ "$pages" -eq 948 ]

# Scraping: items with CSS and XPath fields, list fields, URL filters and
# every kind of broken sitemap (the site restarted with --robots 3).
site_stop
site_start 0 --pages 300 --page-size 8000 --robots 3 --quote-pages 10
base="http://127.0.0.1:$SITE_PORT"
valgrind --quiet --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible \
    ./scrape -q --sitemaps -d 20 --max-bytes 4000000 --item div.quote \
    --field 'text=span.text::text' --field 'tags[]=a.tag::text' \
    --field 'author=normalize-space(.//small)' \
    --include '/quotes/page/\d+/$' --exclude '/book/[1-4]' \
    --db "$tmp/s.db" "$base/quotes/page/1/" "$base/index.html" \
    2>>"$tmp/err" || {
    cat "$tmp/err" >&2
    exit 1
}
items=$(sqlite3 "$tmp/s.db" 'SELECT count(*) FROM items')
maps=$(sqlite3 "$tmp/s.db" 'SELECT count(*) FROM sitemaps')
echo "valgrind: clean for items and sitemaps; $items items, $maps sitemaps"
[ "$items" -eq 100 ]

# scrape serve on that database: every endpoint, good and bad requests,
# then SIGTERM; valgrind's verdict is the server's exit status.
valgrind --quiet --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible \
    ./scrape serve --db "$tmp/s.db" --listen 127.0.0.1:0 \
    >"$tmp/serve.out" 2>>"$tmp/err" &
srv=$!
port=
for _ in $(seq 1 200); do
    port=$(sed -n 's|^serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' \
        "$tmp/serve.out")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/err" >&2; exit 1; }
page=$(sqlite3 "$tmp/s.db" 'SELECT min(page_id) FROM items')
codes=""
for path in /api/runs /api/runs/1 "/api/runs/1/pages?limit=3&status=200" \
    "/api/pages/$page" "/api/runs/1/items?field.tags=love&limit=2" \
    "/api/runs/1/items?field.nope=1" "/api/runs/1/pages?limit=0" \
    /api/runs/77 /nothing; do
    codes="$codes $(curl -s -o /dev/null -w '%{http_code}' \
        "http://127.0.0.1:$port$path")"
done
kill -TERM "$srv"
wait "$srv" || { cat "$tmp/err" >&2; exit 1; }
echo "valgrind: clean for scrape serve; answers:$codes"
[ "$codes" = " 200 200 200 200 200 400 400 404 404" ]

# Kept bodies: a crawl that keeps them, a recrawl (304s and a changed
# page), extract on the worker pool, a damaged body, the WARC export.
site_stop
site_start 0 --pages 150 --validators 1
base="http://127.0.0.1:$SITE_PORT"
vg() {
    valgrind --quiet --error-exitcode=99 --leak-check=full \
        --child-silent-after-fork=yes \
        --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible "$@" \
        2>>"$tmp/err" || {
        cat "$tmp/err" >&2
        exit 1
    }
}
vg ./scrape -q -d 3 --keep-bodies --field 'h=css:h1::text' \
    --db "$tmp/b.db" "$base/"
curl -s "$base/change?page=9" >/dev/null
vg ./scrape -q --recrawl 1 --db "$tmp/b.db"
sqlite3 "$tmp/b.db" "UPDATE bodies SET data = x'28b52ffd00' WHERE rowid = 3"
vg ./scrape extract -q --procs 2 --run 1 --field 'h=css:h1::text' \
    --db "$tmp/b.db"
vg ./scrape export --db "$tmp/b.db" --run 1 --format warc -o "$tmp/b.warc.gz"
rows=$(sqlite3 "$tmp/b.db" "SELECT count(*) FILTER (WHERE run_id = 2 AND change = 'changed') || ' ' || count(*) FILTER (WHERE run_id = 3 AND error LIKE 'stored body%') FROM pages")
echo "valgrind: clean for --keep-bodies, --recrawl, extract and WARC; changed, corrupt: $rows"
[ "${rows%% *}" = 1 ] && [ "${rows##* }" -ge 1 ]
