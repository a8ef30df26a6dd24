#!/usr/bin/env bash
# bench/https: GET /healthz over TLS with keep-alive, coffre beside nginx serving a small
# static file with the same certificate and TLS settings, measured in the same run by wrk.
# Prints requests/s and latency of both and the ratios. Not a test: figures, not verdicts.
#
#   bench/https/run.sh [path/to/coffre] [seconds] [connections]
set -euo pipefail

BIN=${1:-./build/coffre}
SECS=${2:-10}
CONNS=${3:-32}
THREADS=2
command -v wrk >/dev/null || { echo "wrk missing: run scripts/deps.sh" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

tmp=$(mktemp -d /tmp/coffre-bench-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$BIN" init --data "$tmp/data" >/dev/null
CERT="$tmp/data/tls/cert.pem"
KEY="$tmp/data/tls/key.pem"

# coffre: no rate limit (one client address sends everything), logs to a file.
CPORT=$(free_port)
"$BIN" serve --data "$tmp/data" --listen "127.0.0.1:$CPORT" --set server.rate_limit=0 \
  >"$tmp/coffre.out" 2>"$tmp/coffre.log" &
pids+=($!)
COFFRE_PID=$!

# nginx: same certificate, TLS 1.2/1.3, ECDHE + AEAD only, same security headers, 2 workers.
NPORT=$(free_port)
mkdir -p "$tmp/www"
printf '{"status":"ok"}' >"$tmp/www/healthz"
cat >"$tmp/nginx.conf" <<CONF
user root;
worker_processes 2;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log $tmp/nginx-access.log;
  server_tokens off;
  server {
    listen 127.0.0.1:$NPORT ssl;
    ssl_certificate $CERT;
    ssl_certificate_key $KEY;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;
    ssl_prefer_server_ciphers on;
    ssl_session_tickets off;
    keepalive_requests 1000000;
    root $tmp/www;
    location = /healthz {
      default_type application/json;
      add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;
      add_header Content-Security-Policy "default-src 'none'; frame-ancestors 'none'" always;
      add_header X-Content-Type-Options nosniff always;
      add_header Referrer-Policy no-referrer always;
      add_header Cache-Control no-store always;
    }
  }
}
CONF
"$NGINX" -c "$tmp/nginx.conf" &
pids+=($!)

for i in $(seq 50); do
  if curl -sk "https://127.0.0.1:$CPORT/healthz" >/dev/null 2>&1 &&
     curl -sk "https://127.0.0.1:$NPORT/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
IDLE_RSS=$(rss_kib "$COFFRE_PID")

# Latencies in wrk's --latency table are printed with units; convert to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else print v }'
}

run_wrk() {
  local port=$1 out=$2
  wrk -t"$THREADS" -c"$CONNS" -d2s "https://127.0.0.1:$port/healthz" >/dev/null 2>&1 || true  # warm-up
  wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency "https://127.0.0.1:$port/healthz" >"$out"
}

run_wrk "$CPORT" "$tmp/wrk-coffre.txt"
LOAD_RSS=$(rss_kib "$COFFRE_PID")
run_wrk "$NPORT" "$tmp/wrk-nginx.txt"

field() { awk -v k="$2" '$1 == k {print $2; exit}' "$1"; }
rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
errors() { awk '/Non-2xx|Socket errors/ {print}' "$1"; }

C_RPS=$(rps "$tmp/wrk-coffre.txt"); N_RPS=$(rps "$tmp/wrk-nginx.txt")
C_P50=$(to_ms "$(field "$tmp/wrk-coffre.txt" 50%)"); N_P50=$(to_ms "$(field "$tmp/wrk-nginx.txt" 50%)")
C_P99=$(to_ms "$(field "$tmp/wrk-coffre.txt" 99%)"); N_P99=$(to_ms "$(field "$tmp/wrk-nginx.txt" 99%)")

echo "bench/https: GET /healthz, TLS, keep-alive, wrk -t$THREADS -c$CONNS -d${SECS}s, $(nproc) cores"
printf '%-8s %12s %10s %10s\n' server "req/s" "p50 ms" "p99 ms"
printf '%-8s %12s %10s %10s\n' coffre "$C_RPS" "$C_P50" "$C_P99"
printf '%-8s %12s %10s %10s\n' nginx "$N_RPS" "$N_P50" "$N_P99"
awk -v c="$C_RPS" -v n="$N_RPS" -v cp="$C_P50" -v np="$N_P50" -v c9="$C_P99" -v n9="$N_P99" 'BEGIN {
  printf "ratio coffre/nginx: throughput %.2f, p50 latency %.2f, p99 latency %.2f\n", c / n, cp / np, c9 / n9 }'
echo "coffre resident memory: idle $((IDLE_RSS / 1024)) MiB, after load $((LOAD_RSS / 1024)) MiB"
errors "$tmp/wrk-coffre.txt" | sed 's/^/coffre: /'
errors "$tmp/wrk-nginx.txt" | sed 's/^/nginx: /'
