# Sourced by the benchmark scripts: the static bookstore site behind nginx
# on 127.0.0.1, with its own config, pid, logs and temp directories, so it
# never touches the system's nginx.
#   nginx_site DIR PAGES PAGE_SIZE [sitegen args...]
#                                    writes the site into DIR/site for a
#                                    free port; sets NGINX_PORT
#   nginx_start DIR LATENCY_MS       serves it (LATENCY_MS > 0: every
#                                    request waits that long first, with
#                                    the echo module's echo_sleep)
#   nginx_urls DIR PAGES             the site's URL list in DIR/urls.txt,
#                                    and DIR/curl.cfg fetching each to
#                                    /dev/null (curl -K)
#   nginx_stop                       stops it (the access log stays)
#   nginx_pages DIR                  200 responses for site pages in the
#                                    access log, then empties the log
NGINX=${NGINX:-/usr/sbin/nginx}
NGINX_ECHO=${NGINX_ECHO:-/usr/lib/nginx/modules/ngx_http_echo_module.so}
SITEGEN=${SITEGEN:-build/sitegen}
NGINX_PID=
NGINX_PORT=

# A port nothing listens on now (the pages need it before nginx starts).
nginx_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

nginx_site() {
    NGINX_PORT=$(nginx_free_port)
    _dir=$1
    _pages=$2
    _size=$3
    shift 3
    rm -rf "$_dir/site"
    "$SITEGEN" --out "$_dir/site" --port "$NGINX_PORT" --pages "$_pages" \
        --page-size "$_size" "$@"
    # nginx's workers may run as nobody: the tree must be readable.
    chmod -R a+rX "$_dir"
}

nginx_start() {
    _dir=$1
    _lat=$2
    mkdir -p "$_dir/tmp"
    if [ "$_lat" -gt 0 ]; then
        _sleep=$(awk -v ms="$_lat" 'BEGIN { printf "%.3f", ms / 1000 }')
        _loc="location / { echo_sleep $_sleep; echo_exec @static; }
        location @static { try_files \$uri \${uri}index.html =404; }"
    else
        _loc="location / { try_files \$uri \${uri}index.html =404; }"
    fi
    cat >"$_dir/nginx.conf" <<CONF
load_module $NGINX_ECHO;
worker_processes 1;
worker_rlimit_nofile 16384;
pid $_dir/nginx.pid;
error_log $_dir/error.log warn;
events { worker_connections 8192; multi_accept on; }
http {
    include /etc/nginx/mime.types;
    log_format bench '\$status \$request_uri';
    access_log $_dir/access.log bench;
    client_body_temp_path $_dir/tmp/body;
    proxy_temp_path $_dir/tmp/proxy;
    fastcgi_temp_path $_dir/tmp/fastcgi;
    uwsgi_temp_path $_dir/tmp/uwsgi;
    scgi_temp_path $_dir/tmp/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    open_file_cache max=1000 inactive=60s;
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096;
        root $_dir/site;
        $_loc
    }
}
CONF
    : >"$_dir/access.log"
    "$NGINX" -e "$_dir/error.log" -p "$_dir" -c "$_dir/nginx.conf" \
        -g 'daemon off;' &
    NGINX_PID=$!
    _i=0
    until curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/robots.txt"; do
        _i=$((_i + 1))
        if [ "$_i" -ge 100 ] || ! kill -0 "$NGINX_PID" 2>/dev/null; then
            echo "bench: nginx did not start on 127.0.0.1:$NGINX_PORT:" >&2
            cat "$_dir/error.log" >&2
            return 1
        fi
        sleep 0.05
    done
    : >"$_dir/access.log"
}

nginx_urls() {
    {
        echo "http://127.0.0.1:$NGINX_PORT/index.html"
        _i=1
        while [ "$_i" -lt "$2" ]; do
            echo "http://127.0.0.1:$NGINX_PORT/book/$_i.html"
            _i=$((_i + 1))
        done
    } >"$1/urls.txt"
    sed 's/.*/url = "&"\noutput = "\/dev\/null"/' "$1/urls.txt" >"$1/curl.cfg"
}

nginx_stop() {
    if [ -n "$NGINX_PID" ]; then
        kill "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
        NGINX_PID=
    fi
}

nginx_pages() {
    _n=$(grep -cE '^200 /(index\.html|book/[0-9]+\.html)$' "$1/access.log" ||
        true)
    : >"$1/access.log"
    echo "$_n"
}
