#!/bin/sh
# make test-pg: a shared run on PostgreSQL, crawled by several scrape
# nodes, each in a network namespace of its own (ip netns + veth on a
# bridge; PostgreSQL and the local site listen on the bridge).  A
# throwaway PostgreSQL server is started and removed (scripts/pg.sh).
#
# What it proves, each against a single-node SQLite crawl of the same
# site with the same options:
#   1. three nodes: every page exactly once, the same URLs and records
#      (export --format sqlite, compared row by row), every node took a
#      share, the site never saw more than --per-host requests at once,
#      robots.txt was fetched once; stats works on the database directly
#   1c. a spider (rules, --follow, referrers) through two nodes: the
#      same rules, fields and items as one node
#   2. one node killed with SIGKILL mid-crawl: the others finish after its
#      leases run out, nothing lost or duplicated; one frozen (SIGSTOP)
#      past its lease: its claims are taken over and its late records
#      refused
#   2c. a node stopped with Ctrl-C gives its claims back at once
#   3. every connection to PostgreSQL cut mid-crawl (twice), then the
#      server restarted: the nodes reconnect and finish, nothing lost or
#      duplicated
#   4. --max-pages across nodes: exactly that many pages
#   5. --join of an unknown run, --resume with PostgreSQL, a dead server,
#      a database with tables scrape did not make: a clear error
#   6. --delay holds for the run, not per node
#
# Needs root for the namespaces; without them (no CAP_NET_ADMIN) the
# nodes run on loopback and the script says so.
set -eu
cd "$(dirname "$0")/../.."
SCRAPE=${SCRAPE_BIN:-build/scrape}
SITESRV=${SITESRV_BIN:-build/sitesrv}
ID=$$
T=$(mktemp -d "${TMPDIR:-/tmp}/scrape-cluster.XXXXXX")
chmod 755 "$T" # the server runs as postgres when we are root
NET=$((ID % 250 + 1))
BR=scb$ID
# Below the ephemeral range (32768-60999 on Linux): no client socket or
# server on port 0 can have taken it.
PGPORT=$((20000 + ID % 12000))
NS=""
PIDS=""
fails=0

cleanup() {
    for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
    for n in $NS; do ip netns del "$n" 2>/dev/null || true; done
    ip link del "$BR" 2>/dev/null || true
    scripts/pg.sh stop "$T/pg" 2>/dev/null || true
    [ -n "${KEEP:-}" ] && echo "# kept $T" || rm -rf "$T"
}
trap cleanup EXIT INT TERM

ok() { echo "ok   - $*"; }
fail() {
    echo "FAIL - $*"
    fails=$((fails + 1))
}
check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok "$1 ($3)"; else fail "$1: expected '$2', got '$3'"; fi
}

# ---- network: a bridge and three namespaces ------------------------------
HOST=127.0.0.1
if ip link add "$BR" type bridge 2>/dev/null; then
    HOST=10.213.$NET.1
    ip addr add "$HOST/24" dev "$BR"
    ip link set "$BR" up
    for i in 1 2 3; do
        n=scrape-$ID-$i
        ip netns add "$n"
        NS="$NS $n"
        ip link add "sv$ID$i" type veth peer name eth0 netns "$n"
        ip link set "sv$ID$i" master "$BR" up
        ip -n "$n" addr add "10.213.$NET.$((10 + i))/24" dev eth0
        ip -n "$n" link set eth0 up
        ip -n "$n" link set lo up
    done
    echo "# nodes in network namespaces$NS, servers on $HOST"
else
    echo "# cannot make network namespaces here (not root?): nodes on loopback"
fi

# $(in_ns NODE) CMD...: runs CMD in node NODE's namespace (or here); ip
# execs CMD, so $! of a node started in the background is its pid.
in_ns() {
    [ "$HOST" = 127.0.0.1 ] || echo "ip netns exec scrape-$ID-$1"
}

# ---- servers --------------------------------------------------------------
scripts/pg.sh start "$T/pg" "$PGPORT" "$HOST,127.0.0.1"
URI=postgresql://scrape@$HOST:$PGPORT/scrape
LOCAL=postgresql://scrape@127.0.0.1:$PGPORT/scrape
"$SITESRV" --bind "$HOST" --port 0 --pages 500 --latency 30 --robots 1 \
    --lifetime 600 >"$T/site" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/site" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
SITE=http://$HOST:$(head -1 "$T/site")
sql() { psql -X -qAt "$LOCAL" -c "$1"; }

OPTS="-q -d 4 --per-host 4 --lease 3 -c 8 --field h1=css:h1::text"

# start_run NAME EXTRA...: the first node makes the run; its id goes to
# $RUN.  (Not through $(...): the node would be the substitution's.)
start_run() {
    name=$1
    shift
    # shellcheck disable=SC2086
    $(in_ns 1) "$SCRAPE" --db "$URI" $OPTS "$@" "$SITE/" >"$T/$name.1" 2>"$T/$name.1.err" &
    PIDS="$PIDS $!"
    echo $! >"$T/$name.pid1"
    i=0
    while [ ! -s "$T/$name.1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    RUN=$(head -1 "$T/$name.1")
}
# join NAME RUN NODE: another node joins.
join() {
    $(in_ns "$3") "$SCRAPE" --db "$URI" -q --join "$2" >"$T/$1.$3" 2>"$T/$1.$3.err" &
    PIDS="$PIDS $!"
    echo $! >"$T/$1.pid$3"
}
# wait_for NAME NODE...: waits for the nodes (bounded), returns their
# worst exit status.
wait_for() {
    name=$1
    shift
    worst=0
    for node in "$@"; do
        pid=$(cat "$T/$name.pid$node")
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 1200 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid"
            echo "# node $node of $name did not finish in 120 s" >&2
            worst=99
        fi
        wait "$pid" 2>/dev/null && st=0 || st=$?
        [ "$st" -gt "$worst" ] && worst=$st
    done
    return "$worst"
}
# exactly_once RUN EXPECTED: pages rows, distinct URLs.
exactly_once() {
    check "run $1: pages rows" "$2" "$(sql "SELECT count(*) FROM pages WHERE run_id = $1")"
    check "run $1: distinct URLs" "$2" "$(sql "SELECT count(DISTINCT url) FROM pages WHERE run_id = $1")"
    check "run $1: nothing left claimed or queued" "0" \
        "$(sql "SELECT count(*) FROM frontier WHERE run_id = $1 AND state < 2")"
}

# ---- reference: one node, SQLite -----------------------------------------
# shellcheck disable=SC2086
$(in_ns 1) "$SCRAPE" --db "$T/single.db" $OPTS "$SITE/"
curl -s "$SITE/conn-report" >/dev/null
N=$(sqlite3 "$T/single.db" "SELECT count(*) FROM pages")
echo "# single node: $N pages"

# ---- 1. three nodes --------------------------------------------------------
ROBOTS0=$(curl -s "$SITE/robots-count")
start_run three
join three "$RUN" 2
join three "$RUN" 3
wait_for three 1 2 3 && check "three nodes exit 0" 0 0 || fail "a node failed: $(cat "$T"/three.*.err)"
exactly_once "$RUN" "$N"
check "run $RUN is done" done "$(sql "SELECT status FROM runs WHERE id = $RUN")"
busy=$(sql "SELECT count(*) FROM nodes WHERE run_id = $RUN AND pages > 0")
check "every node fetched pages" 3 "$busy"
peak=$(curl -s "$SITE/conn-report" | awk '{print $2}')
if [ "$peak" -le 4 ] && [ "$peak" -ge 2 ]; then ok "site saw at most --per-host 4 requests at once (peak $peak)"; else fail "site peak $peak with --per-host 4"; fi
check "robots.txt fetched once for the run" 1 $(($(curl -s "$SITE/robots-count") - ROBOTS0))
"$SCRAPE" export --db "$LOCAL" --run "$RUN" --format sqlite -o "$T/three.db" 2>/dev/null
# cols SCHEMA: a page's record in the file attached as SCHEMA.
cols() {
    echo "url, depth, status, title, h1, words, outlinks, simhash, body_hash, error IS NULL,
 (SELECT group_concat(name || '=' || coalesce(value, ''), ';') FROM $1.fields f WHERE f.page_id = p.id)"
}
diff=$(sqlite3 "$T/three.db" "ATTACH '$T/single.db' AS s;
  SELECT (SELECT count(*) FROM (SELECT $(cols main) FROM main.pages p EXCEPT SELECT $(cols s) FROM s.pages p))
       + (SELECT count(*) FROM (SELECT $(cols s) FROM s.pages p EXCEPT SELECT $(cols main) FROM main.pages p));" | tail -1)
fields=$(sqlite3 "$T/three.db" "SELECT count(*) FROM fields")
check "the records' --field values came along" "$N" "$fields"
check "exported run equals the single-node crawl (records differing)" 0 "$diff"
skips=$(sqlite3 "$T/three.db" "ATTACH '$T/single.db' AS s;
  SELECT (SELECT count(*) FROM (SELECT url, reason FROM main.skipped EXCEPT SELECT url, reason FROM s.skipped))
       + (SELECT count(*) FROM (SELECT url, reason FROM s.skipped EXCEPT SELECT url, reason FROM main.skipped));" | tail -1)
check "same skipped URLs and reasons" 0 "$skips"
# The columns the export maps rather than copies by name: the frontier's
# done mark (state = 2 on PostgreSQL) and the search text (pages_text ->
# the FTS5 index, rowid = the page's id).
check "exported frontier: every page's URL done" "$N" \
    "$(sqlite3 "$T/three.db" "SELECT count(*) FROM frontier f JOIN pages p ON p.url = f.url WHERE f.done = 1")"
check "exported search text: one entry per page, on its id" "$N" \
    "$(sqlite3 "$T/three.db" "SELECT count(*) FROM pages_fts x JOIN pages p ON p.id = x.rowid")"
"$SCRAPE" stats --db "$T/three.db" --run "$RUN" >"$T/stats.file"
"$SCRAPE" stats --db "$LOCAL" --run "$RUN" >"$T/stats.pg"
if grep -q "pages $N:" "$T/stats.pg" && cmp -s "$T/stats.file" "$T/stats.pg"; then ok "stats on PostgreSQL = stats on the exported file"; else fail "stats differ or miss 'pages $N:'"; fi
"$SCRAPE" search --db "$T/three.db" --run "$RUN" book >"$T/search" && [ -s "$T/search" ] &&
    ok "search works on the exported file" || fail "search on the exported file"

# two_nodes NAME ARGS...: scrape ARGS (options and seeds) crawled by one
# node into $T/NAME1.db (SQLite) and by two into a shared run, which is
# exported to $T/NAME.db; the run's id goes to $RUN.
two_nodes() {
    name=$1
    shift
    $(in_ns 1) "$SCRAPE" -q --db "$T/${name}1.db" "$@"
    $(in_ns 1) "$SCRAPE" -q --db "$URI" "$@" >"$T/$name.1" 2>"$T/$name.1.err" &
    echo $! >"$T/$name.pid1"
    PIDS="$PIDS $!"
    i=0
    while [ ! -s "$T/$name.1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    RUN=$(head -1 "$T/$name.1")
    join "$name" "$RUN" 2
    wait_for "$name" 1 2 || fail "$name: the nodes failed"
    "$SCRAPE" export --db "$LOCAL" --run "$RUN" --format sqlite -o "$T/$name.db" 2>/dev/null
}
# differ NAME QUERY: rows of QUERY (its tables written X.t) in $T/NAME.db
# and not in $T/NAME1.db, and the other way round.
differ() {
    sqlite3 "$T/$1.db" "ATTACH '$T/${1}1.db' AS s;
  SELECT (SELECT count(*) FROM ($(echo "$2" | sed s/X/main/g) EXCEPT $(echo "$2" | sed s/X/s/g)))
       + (SELECT count(*) FROM ($(echo "$2" | sed s/X/s/g) EXCEPT $(echo "$2" | sed s/X/main/g)));" | tail -1
}

# ---- 1b. items (--item, list fields) through two nodes ---------------------
two_nodes items -d 20 --item div.quote --field text=span.text::text \
    --field 'tags[]=a.tag::text' --include /quotes/page/ "$SITE/quotes/page/1/"
idiff=$(differ items "SELECT p.url, i.idx, i.data FROM X.items i JOIN X.pages p ON p.id = i.page_id")
check "items through two nodes" "$(sqlite3 "$T/items1.db" "SELECT count(*) FROM items")" "$(sqlite3 "$T/items.db" "SELECT count(*) FROM items")"
check "the same items, field by field" 0 "$idiff"

# ---- 1c. a spider (rules, --follow, referrers) through two nodes ----------
# The shop spider of seeds/shop.scrape, pointed at this site: rules,
# items and fields per rule, links chosen per page and each page's
# referrer as in a single-node crawl.
sed "s|^http://127.0.0.1:8931/|$SITE/|" seeds/shop.scrape >"$T/shop.scrape"
two_nodes shop -K "$T/shop.scrape" --per-host 4
# A page's rule, links left out, fields, items and the rule of each.
sdiff=$(differ shop "SELECT p.url, p.rule, p.unfollowed, (SELECT group_concat(name || '=' || value, ';') FROM (SELECT * FROM X.fields WHERE page_id = p.id ORDER BY name)), (SELECT group_concat(idx || rule || data, ';') FROM (SELECT * FROM X.items WHERE page_id = p.id ORDER BY idx)) FROM X.pages p")
check "spider: the pages of a single-node crawl" "$(sqlite3 "$T/shop1.db" "SELECT count(*) FROM pages")" "$(sqlite3 "$T/shop.db" "SELECT count(*) FROM pages")"
check "spider: the same rules, fields and items, page by page" 0 "$sdiff"
check "spider: pages per rule" "home 1,list 12,product 60" \
    "$(sql "SELECT string_agg(rule || ' ' || n, ',' ORDER BY rule) FROM (SELECT rule, count(*) AS n FROM pages WHERE run_id = $RUN GROUP BY rule) r")"
check "spider: every product's referrer is a list page showing it" 60 \
    "$(sql "SELECT count(*) FROM pages p JOIN pages l ON l.id = p.referrer JOIN items i ON i.page_id = l.id AND i.data::json ->> 'name' = (SELECT value FROM fields WHERE page_id = p.id AND name = 'title') WHERE p.run_id = $RUN AND p.rule = 'product' AND l.rule = 'list'")"
check "spider: selectors name their rules" 3 \
    "$(sql "SELECT count(*) FROM selectors WHERE run_id = $RUN AND kind = 'rule' AND rule = name")"

# ---- 2. a node killed with SIGKILL ----------------------------------------
start_run killed
join killed "$RUN" 2
join killed "$RUN" 3
# Killed while it holds claims: they must be taken over when its
# leases run out, not lost.
victim=$(cat "$T/killed.pid2")
held_sql="SELECT count(*) FROM frontier f JOIN nodes n ON n.run_id = f.run_id AND n.node = f.owner WHERE f.run_id = $RUN AND f.state = 1 AND n.pid = $victim"
i=0
while [ "$(sql "SELECT count(*) FROM pages WHERE run_id = $RUN")" -lt 60 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
# Stopped before it is looked at: a node that is checked and then killed
# may finish its claims in between (seen under ASan on CI).
held=0
i=0
while [ $i -lt 400 ]; do
    kill -STOP "$victim" 2>/dev/null || break
    held=$(sql "$held_sql")
    [ "$held" -ge 1 ] && break
    kill -CONT "$victim"
    sleep 0.01
    i=$((i + 1))
done
kill -9 "$victim"
if [ "$held" -ge 1 ]; then ok "node 2 killed holding $held claims"; else fail "node 2 held no claims when killed"; fi
wait_for killed 1 3 && ok "the other nodes finish" || fail "nodes failed after a kill"
exactly_once "$RUN" "$N"
check "run $RUN is done" done "$(sql "SELECT status FROM runs WHERE id = $RUN")"

# ---- 2b. a node frozen past its lease: its late record is refused --------
# /book/1.html of a second site takes 6 s.  The node fetching it is
# frozen (SIGSTOP) for 5 s, past --lease 3: the other node takes the
# claim over; the thawed node's record of the page must be refused.
"$SITESRV" --bind "$HOST" --port 0 --pages 100 --latency 5 --slow 6000 \
    --slow-levels 1 --lifetime 600 >"$T/slowsite" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/slowsite" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
SLOW=http://$HOST:$(head -1 "$T/slowsite")
SITE_SAVED=$SITE
SITE=$SLOW
start_run frozen
join frozen "$RUN" 2
SITE=$SITE_SAVED
owner_sql="SELECT n.pid FROM frontier f JOIN nodes n ON n.run_id = f.run_id AND n.node = f.owner WHERE f.run_id = $RUN AND f.state = 1 AND f.url = '$SLOW/book/1.html'"
i=0
victim=""
while [ -z "$victim" ] && [ $i -lt 400 ]; do victim=$(sql "$owner_sql"); sleep 0.01; i=$((i + 1)); done
if [ -n "$victim" ]; then
    kill -STOP "$victim"
    sleep 5
    kill -CONT "$victim"
fi
wait_for frozen 1 2 && ok "a frozen node finishes after it thaws" || fail "nodes failed after a freeze: $(cat "$T"/frozen.*.err)"
check "frozen run: pages rows = distinct URLs" \
    "$(sql "SELECT count(DISTINCT url) FROM pages WHERE run_id = $RUN")" \
    "$(sql "SELECT count(*) FROM pages WHERE run_id = $RUN")"
check "frozen run: every URL done has its row" \
    "$(sql "SELECT count(*) FROM frontier WHERE run_id = $RUN AND state = 2 AND url NOT IN (SELECT url FROM skipped WHERE run_id = $RUN)")" \
    "$(sql "SELECT count(*) FROM pages WHERE run_id = $RUN")"
refused=$(sql "SELECT coalesce(sum(refused), 0) FROM nodes WHERE run_id = $RUN AND pid = ${victim:-0}")
if [ "$refused" -ge 1 ]; then ok "the thawed node's late record was refused ($refused), not duplicated"; else
    fail "no refused record after a freeze past the lease (victim '${victim}')"
    sql "SELECT pid, pages, refused, status FROM nodes WHERE run_id = $RUN"
    sql "SELECT f.url, f.state, n.pid FROM frontier f LEFT JOIN nodes n ON n.run_id = f.run_id AND n.node = f.owner WHERE f.run_id = $RUN AND f.url = '$SLOW/book/1.html'"
    cat "$T"/frozen.*.err
fi

# ---- 2c. Ctrl-C gives the claims back ---------------------------------------
start_run intr
join intr "$RUN" 2
victim=$(cat "$T/intr.pid2")
held_sql="SELECT count(*) FROM frontier f JOIN nodes n ON n.run_id = f.run_id AND n.node = f.owner WHERE f.run_id = $RUN AND f.state = 1 AND n.pid = $victim"
i=0
while [ "$(sql "$held_sql")" -lt 1 ] && [ $i -lt 400 ]; do sleep 0.01; i=$((i + 1)); done
kill -INT "$victim"
wait "$victim" 2>/dev/null && st=0 || st=$?
check "the interrupted node exits 130" 130 "$st"
check "its claims were given back" 0 "$(sql "$held_sql")"
check "its nodes row says interrupted" interrupted "$(sql "SELECT status FROM nodes WHERE run_id = $RUN AND pid = $victim")"
wait_for intr 1 && ok "the other node finishes" || fail "node 1 failed after node 2's Ctrl-C"
exactly_once "$RUN" "$N"

# ---- 3. connections to PostgreSQL cut mid-crawl, then a restart --------------
start_run cut
join cut "$RUN" 2
for k in 1 2 3; do
    i=0
    while [ "$(sql "SELECT count(*) FROM pages WHERE run_id = $RUN")" -lt $((k * 80)) ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    if [ $k -lt 3 ]; then
        sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'scrape'" >/dev/null
    else
        scripts/pg.sh restart "$T/pg"
    fi
done
wait_for cut 1 2 && ok "nodes survive lost connections" || fail "a node failed after lost connections: $(cat "$T"/cut.*.err)"
if grep -q "reconnect" "$T/cut.1.err" "$T/cut.2.err"; then ok "the lost connection is reported"; else fail "no reconnect message"; fi
exactly_once "$RUN" "$N"

# ---- 4. --max-pages -------------------------------------------------------
start_run max --max-pages 70
join max "$RUN" 2
wait_for max 1 2 || fail "--max-pages nodes failed"
check "--max-pages 70 across nodes" 70 "$(sql "SELECT count(*) FROM pages WHERE run_id = $RUN")"
check "--max-pages: distinct" 70 "$(sql "SELECT count(DISTINCT url) FROM pages WHERE run_id = $RUN")"

# ---- 5. bad use -----------------------------------------------------------
if "$SCRAPE" --db "$LOCAL" --join 999999 2>"$T/err" >/dev/null; then fail "--join of an unknown run succeeded"; else
    grep -q "no run 999999" "$T/err" && ok "--join of an unknown run: $(cat "$T/err")" || fail "unclear: $(cat "$T/err")"; fi
if "$SCRAPE" --db "$LOCAL" --resume 2>"$T/err" >/dev/null; then fail "--resume with PostgreSQL succeeded"; else
    ok "--resume with PostgreSQL: $(cat "$T/err")"; fi
if "$SCRAPE" --db "postgresql://scrape@127.0.0.1:1/none" "$SITE/" 2>"$T/err" >/dev/null; then fail "a dead server succeeded"; else
    grep -q "cannot connect" "$T/err" && ok "dead server: $(head -1 "$T/err")" || fail "unclear: $(cat "$T/err")"; fi
psql -X -q "$LOCAL" -c "CREATE DATABASE other" && psql -X -q "postgresql://scrape@127.0.0.1:$PGPORT/other" -c "CREATE TABLE runs(x int)"
if "$SCRAPE" --db "postgresql://scrape@127.0.0.1:$PGPORT/other" "$SITE/" 2>"$T/err" >/dev/null; then fail "a foreign database was written to"; else
    grep -q "did not create" "$T/err" && ok "foreign database: $(head -1 "$T/err")" || fail "unclear: $(cat "$T/err")"; fi

# ---- 6. --delay for the whole run --------------------------------------------
# 16 pages, 200 ms apart on the site whichever node fetches them: at least
# 3 s (each node keeping its own delay would take half that).
start_run delay --max-pages 16 --delay 200
join delay "$RUN" 2
wait_for delay 1 2 || fail "--delay nodes failed"
ms=$(sql "SELECT wall_ms FROM runs WHERE id = $RUN")
check "--delay: pages" 16 "$(sql "SELECT count(*) FROM pages WHERE run_id = $RUN")"
if [ "$ms" -ge 2900 ]; then ok "--delay 200 held across two nodes (16 pages in $ms ms)"; else fail "--delay 200 across two nodes: 16 pages in $ms ms"; fi

echo "# $fails failure(s)"
[ "$fails" -eq 0 ]
