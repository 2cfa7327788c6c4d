# bench/lib.sh: helpers the benchmarks share (sourced, never run).

# A TCP port free on 127.0.0.1 now.
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# Wait up to 30 s for URL to answer 2xx.
wait_up() { for _ in $(seq 300); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "not up: $1" >&2; return 1; }
