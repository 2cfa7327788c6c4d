# bench/lib.sh: helpers the benchmarks share (sourced, never run).

# A scratch directory in TMP, and PIDS: processes to stop at exit, when TMP
# goes too. PREFIX names the directory (default muster-bench).
bench_setup() {
	TMP=$(mktemp -d "/tmp/${1:-muster-bench}.XXXXXX")
	PIDS=()
	trap bench_cleanup EXIT
}
bench_cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }

# A TCP port free on 127.0.0.1 now.
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# Wait up to 30 s for URL to answer 2xx.
wait_up() { for _ in $(seq 300); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "not up: $1" >&2; return 1; }

# The baseline: nginx on 127.0.0.1:PORT answering every path with FILE,
# served as the static file $TMP/www/NAME (one rewrite), so that it gets
# the very requests muster gets from the same wrk settings. Uses TMP; adds
# nginx's pid to PIDS.
nginx_serving() { # FILE NAME PORT
	mkdir -p "$TMP/www" && cp "$1" "$TMP/www/$2"
	# nginx workers drop root: let them read the 0700 mktemp directory.
	chmod a+rx "$TMP" "$TMP/www" && chmod a+r "$TMP/www/$2"
	cat > "$TMP/nginx.conf" <<CONF
worker_processes auto;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log;
daemon off;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$3;
        root $TMP/www;
        default_type application/json;
        rewrite ^ /$2 break;
    }
}
CONF
	nginx -c "$TMP/nginx.conf" -p "$TMP" &
	PIDS+=($!)
	wait_up "http://127.0.0.1:$3/$2"
}
