#!/bin/sh
# make bench-cluster: one shared run crawled by 1, 2 and 4 nodes through
# a throwaway PostgreSQL server, against the same crawl by one node on
# SQLite.  The site is the I/O-bound profile behind nginx (4000 pages of
# ~20 KB, 50 ms per request); every node runs -c 25, --per-host 100 (so
# the per-host cap, which holds for the whole run, is not the limit).
# Prints pages/s (run wall time from the first node's start to the last
# node's end), the nodes' CPU seconds, and the database server's CPU
# seconds (the postmaster, its exited backends and the live ones), and
# the ratios to one node.  RUNS (default 1) repeats each and takes
# the median.
set -eu
cd "$(dirname "$0")/../.."
. scripts/nginx.sh
SCRAPE=${SCRAPE_BIN:-build/scrape}
RUNS=${RUNS:-1}
PAGES=${PAGES:-4000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/scrape-bench-cluster.XXXXXX")
chmod 755 "$tmp"
# Below the ephemeral range (32768-60999): no socket on port 0 has it.
PGPORT=$((20000 + $$ % 12000))
URI=postgresql://scrape@127.0.0.1:$PGPORT/scrape
cleanup() {
    nginx_stop 2>/dev/null || true
    scripts/pg.sh stop "$tmp/pg" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

nginx_site "$tmp" "$PAGES" 20000
nginx_start "$tmp" 50
SEED=http://127.0.0.1:$NGINX_PORT/index.html
OPTS="-q -d 4 -c 25 --per-host 100"
# A server as it would run in production: fsync on.  (scrape's sessions
# do not wait for each commit to reach the disk; see README.)
PG_OPTS="-c fsync=on -c full_page_writes=on -c synchronous_commit=on" \
    scripts/pg.sh start "$tmp/pg" "$PGPORT"
PM=$(head -1 "$tmp/pg/data/postmaster.pid")

# The database server's CPU seconds so far: the postmaster with its
# reaped children (cutime, cstime) and the backends alive now.
db_cpu() {
    {
        awk '{ print $14 + $15 + $16 + $17 }' "/proc/$PM/stat"
        for c in $(cat "/proc/$PM/task/$PM/children" 2>/dev/null); do
            awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || true
        done
    } | awk -v hz="$(getconf CLK_TCK)" '{ s += $1 } END { printf "%.2f", s / hz }'
}

sqlite_run() {
    rm -f "$tmp/s.db"*
    "$SCRAPE" $OPTS --db "$tmp/s.db" "$SEED"
    sqlite3 "$tmp/s.db" "SELECT printf('%d %.0f %.2f -', pages,
        pages * 1000.0 / wall_ms, (cpu_user_ms + cpu_sys_ms) / 1000.0) FROM runs"
}

# cluster_run N: N nodes on one shared run; prints
# "pages pages/s nodes_cpu_s db_cpu_s".
cluster_run() {
    n=$1
    before=$(db_cpu)
    rm -f "$tmp/run"
    "$SCRAPE" --db "$URI" $OPTS "$SEED" >"$tmp/run" &
    pids=$!
    i=0
    while [ ! -s "$tmp/run" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
    run=$(head -1 "$tmp/run")
    k=2
    while [ $k -le "$n" ]; do
        "$SCRAPE" --db "$URI" -q --join "$run" >/dev/null &
        pids="$pids $!"
        k=$((k + 1))
    done
    for p in $pids; do wait "$p"; done
    after=$(db_cpu)
    psql -X -qAt "$URI" -c "SELECT r.pages || ' ' || round(r.pages * 1000.0 / r.wall_ms) || ' ' ||
        round((r.cpu_user_ms + r.cpu_sys_ms) / 1000.0, 2) FROM runs r WHERE r.id = $run" |
        awk -v d="$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }')" '{ print $0, d }'
}

median() { sort -k2 -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'; }

echo "bench: cluster: $PAGES pages of ~20 KB, 50 ms latency, -c 25 per node, median of $RUNS"
printf '%-22s %7s %9s %10s %10s\n' setup pages pages/s node_cpu_s db_cpu_s
r=0; : >"$tmp/sq"
while [ $r -lt "$RUNS" ]; do sqlite_run >>"$tmp/sq"; r=$((r + 1)); done
set -- $(median <"$tmp/sq")
sq_rate=$2
printf '%-22s %7s %9s %10s %10s\n' "1 node, SQLite" "$1" "$2" "$3" "-"
for n in 1 2 4; do
    r=0; : >"$tmp/c$n"
    while [ $r -lt "$RUNS" ]; do cluster_run "$n" >>"$tmp/c$n"; r=$((r + 1)); done
    set -- $(median <"$tmp/c$n")
    eval "rate$n=$2"
    printf '%-22s %7s %9s %10s %10s\n' "$n node(s), PostgreSQL" "$1" "$2" "$3" "$4"
done
awk -v a="$rate1" -v b="$rate4" -v s="$sq_rate" 'BEGIN {
    printf "4 nodes / 1 node: %.2fx (goal >= 3)\n", (a > 0 ? b / a : 0)
    printf "1 node PostgreSQL / SQLite: %.2fx (goal >= 0.8)\n", (s > 0 ? a / s : 0) }'
