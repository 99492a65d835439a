# Sourced by the demo, bench and valgrind scripts: start and stop the local
# site server (build/sitesrv) on 127.0.0.1.
#   site_start PORT [sitesrv args...]   PORT 0 = a free port; sets SITE_PORT
#   site_stop
SITESRV=${SITESRV:-build/sitesrv}
SITE_PID=
SITE_PORT=

site_start() {
    _port=$1
    shift
    _portfile=$(mktemp)
    "$SITESRV" --port "$_port" --lifetime 1800 "$@" >"$_portfile" &
    SITE_PID=$!
    _i=0
    while [ ! -s "$_portfile" ]; do
        _i=$((_i + 1))
        if [ "$_i" -ge 100 ] || ! kill -0 "$SITE_PID" 2>/dev/null; then
            echo "site: the local site did not start on 127.0.0.1:$_port" >&2
            rm -f "$_portfile"
            return 1
        fi
        sleep 0.05
    done
    SITE_PORT=$(head -n 1 "$_portfile")
    rm -f "$_portfile"
}

site_stop() {
    if [ -n "$SITE_PID" ]; then
        kill "$SITE_PID" 2>/dev/null || true
        wait "$SITE_PID" 2>/dev/null || true
        SITE_PID=
    fi
}
