#!/bin/sh
# A throwaway PostgreSQL server for tests and benchmarks, from Debian's
# packages (scripts/deps.sh installs them).
#
#   scripts/pg.sh start DIR PORT [ADDRESS]   initdb in DIR, start on
#                                            ADDRESS:PORT (127.0.0.1),
#                                            database 'scrape', user
#                                            'scrape', trust auth
#   scripts/pg.sh restart DIR                stop it (fast) and start it again
#   scripts/pg.sh stop DIR                   stop it and remove DIR
#
# Tests run it without fsync (throwaway data); PG_OPTS adds or overrides
# server settings (make bench-cluster turns fsync back on).
# initdb refuses to run as root: as root, the server runs as 'postgres'.
set -eu
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$PGBIN" ] || { echo "pg.sh: PostgreSQL is not installed" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "${1:-}" in
start)
    dir=$2 port=$3 addr=${4:-127.0.0.1}
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    as_owner "$PGBIN/initdb" -D "$dir/data" -A trust -U scrape -E UTF8 \
        --no-sync >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    # Nodes in the test's own network namespaces connect from its bridge.
    echo "host all all samenet trust" >>"$dir/data/pg_hba.conf"
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-p $port -k $dir -c listen_addresses='$addr' -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off ${PG_OPTS:-}" \
        start >/dev/null ||
        { cat "$dir/server.log" >&2; exit 1; }
    # Every address must be ours: a port another socket holds on one of
    # them is a start that only half worked.
    if grep -q "could not bind" "$dir/server.log"; then
        cat "$dir/server.log" >&2
        exit 1
    fi
    as_owner "$PGBIN/createdb" -h "$dir" -p "$port" -U scrape scrape
    ;;
restart)
    dir=$2
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 restart \
        >/dev/null
    ;;
stop)
    dir=$2
    if [ -d "$dir/data" ]; then
        as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop \
            >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: pg.sh start DIR PORT [ADDRESS] | restart DIR | stop DIR" >&2
    exit 2
    ;;
esac
