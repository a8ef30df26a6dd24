#!/usr/bin/env bash
# bench/search: full-text search over 100k generated documents in one tenant, through coffre
# over HTTPS with keep-alive (wrk on loopback, a read-only API token of a reader), beside the
# floor measured in the same run: the same queries' FTS5 expressions run directly on the same
# encrypted index by bench_search (no HTTP, no access control, no count, facets or snippets).
# Prints p50, p99 and requests/s of both, the ratios, where search_run's time goes, and the
# budget of DESIGN.md (p50 <= 5 ms, p99 <= 20 ms server time, >= 2000 req/s on 2 cores).
# Not a test: figures and verdicts on the budget, exit 0 unless the benchmark itself fails.
#
#   bench/search/run.sh [coffre] [bench_search] [documents] [seconds] [keep-folder]
#
# Setup (not measured) creates the documents with kb_document_create, one transaction each,
# at a few hundred documents/s: 3-4 minutes for 100k. Give keep-folder to populate it once
# and reuse it in later runs with the same number of documents. BENCH_SEARCH_PASSES (5): passes
# of the in-process measures (each stops after 20 s once one pass is done). See README.md.
set -euo pipefail

BIN=${1:-./build/coffre}
BENCH=${2:-./build/bench_search}
DOCS=${3:-100000}
SECS=${4:-10}
KEEP=${5:-}
THREADS=2
CONNS=16
PASSES=${BENCH_SEARCH_PASSES:-5}
SLUG=bench
command -v wrk >/dev/null || { echo "wrk missing: run scripts/deps.sh" >&2; exit 1; }
for b in "$BIN" "$BENCH"; do
  [[ -x "$b" ]] || { echo "bench/search: $b not found or not executable" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/coffre-bench-search-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- setup: a tenant with DOCS documents (reused from keep-folder when it has them) ----
if [[ -n "$KEEP" ]]; then
  mkdir -p "$KEEP"
  DATA="$KEEP/data"
else
  DATA="$tmp/data"
fi
SETUP="reused $DATA"
if [[ -z "$KEEP" || "$(cat "$KEEP/populated" 2>/dev/null || true)" != "$DOCS" ]]; then
  rm -rf "$DATA" "${KEEP:+$KEEP/populated}"
  "$BIN" init --data "$DATA" >/dev/null
  "$BIN" tenant create "$SLUG" --admin-email "admin@$SLUG.example" --data "$DATA" >/dev/null
  echo "bench/search: creating $DOCS documents (not measured; progress every 5 s)" >&2
  "$BENCH" populate "$DATA" "$SLUG" "$DOCS" >"$tmp/populate.txt"
  SETUP=$(head -1 "$tmp/populate.txt")
  if [[ -n "$KEEP" ]]; then echo "$DOCS" >"$KEEP/populated"; fi
fi
"$BENCH" queries "$DOCS" "$tmp/queries.txt" >/dev/null
NQ=$(wc -l <"$tmp/queries.txt")

# ---- the floor, and search_run without HTTP, while nothing else runs ----
echo "bench/search: floor and search_run ($PASSES passes)" >&2
"$BENCH" floor "$DATA" "$SLUG" "$tmp/queries.txt" "$PASSES" >"$tmp/floor.txt"
"$BENCH" profile "$DATA" "$SLUG" "$tmp/queries.txt" 1 >"$tmp/profile.txt"
key() { awk -v k="$2" '$1 == k {print $2; exit}' "$1"; }

# ---- coffre over HTTPS ----
PW="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
EMAIL="reader-$$-$RANDOM@$SLUG.example"
INVITE=$("$BIN" user add --tenant "$SLUG" --email "$EMAIL" --role reader --data "$DATA" |
  grep -o '#token=[^ ]*' | head -1 | cut -d= -f2-)
PORT=$(free_port)
"$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" --set server.threads=$THREADS \
  --set server.rate_limit=0 --set password.argon2_memory_kib=8192 \
  --set password.argon2_passes=1 >"$tmp/coffre.out" 2>"$tmp/coffre.log" &
pids+=($!)
for i in $(seq 100); do
  curl -sk "https://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# Accept the invitation, sign in, create a read-only API token (wrk sends it as Bearer).
TOKEN=$(python3 - "$PORT" "$SLUG" "$EMAIL" "$PW" "$INVITE" <<'PY'
import http.client, json, re, ssl, sys
port, slug, email, pw, invite = sys.argv[1:]
ctx = ssl._create_unverified_context()
def call(method, path, body=None, headers=None):
    c = http.client.HTTPSConnection("127.0.0.1", int(port), context=ctx, timeout=30)
    h = {"Content-Type": "application/json", **(headers or {})}
    c.request(method, path, json.dumps(body) if body is not None else None, h)
    r = c.getresponse()
    data = r.read()
    return r.status, r.getheader("Set-Cookie") or "", json.loads(data) if data else None
st, _, doc = call("POST", "/api/v1/invitations/accept", {"token": invite, "password": pw})
assert st == 200, ("accept", st, doc)
st, cookie, doc = call("POST", "/api/v1/auth/login",
                       {"tenant": slug, "email": email, "password": pw})
assert st == 200, ("login", st, doc)
session = re.match(r"(__Host-coffre_session=[^;]*)", cookie).group(1)
st, _, doc = call("POST", "/api/v1/tokens", {"name": "bench/search", "read_only": True},
                  {"Cookie": session, "X-CSRF-Token": doc["csrf_token"]})
assert st == 201, ("token", st, doc)
print(doc["token"])
PY
)

# The queries as request paths, rotated by a wrk script (each thread starts elsewhere).
python3 - "$tmp/queries.txt" "$TOKEN" >"$tmp/search.lua" <<'PY'
import sys, urllib.parse
paths = ["/api/v1/search?" + urllib.parse.urlencode({"q": q.rstrip("\n"), "limit": "10"})
         for q in open(sys.argv[1], encoding="utf-8") if q.strip()]
print("local paths = {")
for p in paths:
    print('  "%s",' % p)
print("}")
print('local headers = { ["Authorization"] = "Bearer %s" }' % sys.argv[2])
print("""local n = 0
function setup(thread)
  thread:set("start", n * 61)
  n = n + 1
end
local i = nil
request = function()
  i = ((i or start or 0) % #paths) + 1
  return wrk.format("GET", paths[i], headers)
end""")
PY

first=$(sed -n 2p "$tmp/search.lua" | tr -d ' ",')
curl -sk -o "$tmp/first.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
  "https://127.0.0.1:$PORT$first" >"$tmp/first.code"
if [[ "$(cat "$tmp/first.code")" != 200 ]] || ! grep -q '"hits"' "$tmp/first.json"; then
  echo "bench/search: a search through coffre failed: $(cat "$tmp/first.code") $(head -c 300 "$tmp/first.json")" >&2
  exit 1
fi

to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else print v }'
}
field() { awk -v k="$2" '$1 == k {print $2; exit}' "$1"; }
rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
# Server time: duration_ms of the search requests coffre logged during one wrk run.
server_pct() {
  sed -n "$(($2 + 1)),$3p" "$tmp/coffre.log" | grep 'route=/api/v1/search ' |
    sed -n 's/.*duration_ms=\([0-9.]*\).*/\1/p' | sort -n |
    awk -v p="$4" '{v[NR] = $1} END { if (NR == 0) { print "nan"; exit }
      i = int(p / 100 * NR + 0.999999); if (i < 1) i = 1; printf "%.3f", v[i] }'
}
run_wrk() {  # threads connections output
  local from to
  from=$(wc -l <"$tmp/coffre.log")
  wrk -t"$1" -c"$2" -d"${SECS}s" --timeout 60s --latency -s "$tmp/search.lua" \
    "https://127.0.0.1:$PORT" >"$3"
  to=$(wc -l <"$tmp/coffre.log")
  echo "$from $to" >"$3.lines"
}

# The first search starts the vault's in-memory index (search/live.h) in the background;
# searches use the FTS5 tables until it is built. Measure what a running server serves.
curl -sk -o /dev/null -H "Authorization: Bearer $TOKEN" \
  "https://127.0.0.1:$PORT/api/v1/search?q=warm" || true
waited=0
while ! grep -q 'in-memory index built' "$tmp/coffre.log"; do
  if [ "$waited" -ge 600 ]; then echo "bench/search: no in-memory index after 600 s" >&2; break; fi
  sleep 1; waited=$((waited + 1))
done
grep 'in-memory index built' "$tmp/coffre.log" | sed 's/^.*search: /coffre: /' >&2 || true
echo "bench/search: wrk, ${SECS}s at $CONNS connections, then ${SECS}s at 1" >&2
wrk -t"$THREADS" -c"$CONNS" -d3s --timeout 60s -s "$tmp/search.lua" "https://127.0.0.1:$PORT" \
  >/dev/null 2>&1 || true
run_wrk "$THREADS" "$CONNS" "$tmp/wrk-load.txt"
run_wrk 1 1 "$tmp/wrk-one.txt"
read -r L0 L1 <"$tmp/wrk-load.txt.lines"
read -r O0 O1 <"$tmp/wrk-one.txt.lines"

W_RPS=$(rps "$tmp/wrk-load.txt")
W_P50=$(to_ms "$(field "$tmp/wrk-load.txt" 50%)"); W_P99=$(to_ms "$(field "$tmp/wrk-load.txt" 99%)")
S_P50=$(server_pct x "$L0" "$L1" 50); S_P99=$(server_pct x "$L0" "$L1" 99)
O_RPS=$(rps "$tmp/wrk-one.txt")
O_P50=$(to_ms "$(field "$tmp/wrk-one.txt" 50%)"); O_P99=$(to_ms "$(field "$tmp/wrk-one.txt" 99%)")
F1_P50=$(key "$tmp/floor.txt" floor1_p50_ms); F1_P99=$(key "$tmp/floor.txt" floor1_p99_ms)
F1_QPS=$(key "$tmp/floor.txt" floor1_qps)
F2_P50=$(key "$tmp/floor.txt" floor2_p50_ms); F2_P99=$(key "$tmp/floor.txt" floor2_p99_ms)
F2_QPS=$(key "$tmp/floor.txt" floor2_qps)
D1_P50=$(key "$tmp/floor.txt" direct1_p50_ms); D1_P99=$(key "$tmp/floor.txt" direct1_p99_ms)
D1_QPS=$(key "$tmp/floor.txt" direct1_qps)
D2_P50=$(key "$tmp/floor.txt" direct2_p50_ms); D2_P99=$(key "$tmp/floor.txt" direct2_p99_ms)
D2_QPS=$(key "$tmp/floor.txt" direct2_qps)

echo
echo "bench/search: $DOCS documents, $NQ queries (limit=10), $(nproc) cores; setup: $SETUP"
head -1 "$tmp/floor.txt"
printf '%-44s %9s %9s %10s\n' "" "p50 ms" "p99 ms" "req/s"
printf '%-44s %9s %9s %10s\n' "floor: FTS5 on the vault, 1 thread" "$F1_P50" "$F1_P99" "$F1_QPS"
printf '%-44s %9s %9s %10s\n' "floor: FTS5 on the vault, 2 threads" "$F2_P50" "$F2_P99" "$F2_QPS"
printf '%-44s %9s %9s %10s\n' "search_run (no HTTP), 1 thread" "$D1_P50" "$D1_P99" "$D1_QPS"
printf '%-44s %9s %9s %10s\n' "search_run (no HTTP), 2 threads" "$D2_P50" "$D2_P99" "$D2_QPS"
printf '%-44s %9s %9s %10s\n' "coffre HTTPS, 1 connection (client)" "$O_P50" "$O_P99" "$O_RPS"
printf '%-44s %9s %9s %10s\n' "coffre HTTPS, $CONNS connections (client)" "$W_P50" "$W_P99" "$W_RPS"
printf '%-44s %9s %9s %10s\n' "coffre HTTPS, $CONNS connections (server time)" "$S_P50" "$S_P99" "-"
awk -v o50="$O_P50" -v o99="$O_P99" -v f50="$F1_P50" -v f99="$F1_P99" -v w="$W_RPS" \
  -v f2="$F2_QPS" 'BEGIN {
  printf "ratio coffre/floor: latency p50 %.1fx, p99 %.1fx (1 connection vs 1 thread); " \
    "throughput %.3fx (%s connections vs 2 threads)\n", o50 / f50, o99 / f99, w / f2, '"$CONNS"' }'
awk -v p50="$S_P50" -v p99="$S_P99" -v rps="$W_RPS" 'BEGIN {
  printf "budget p50 <= 5 ms (server time under load): %s ms %s\n", p50, (p50 + 0 <= 5) ? "PASS" : "FAIL"
  printf "budget p99 <= 20 ms (server time under load): %s ms %s\n", p99, (p99 + 0 <= 20) ? "PASS" : "FAIL"
  printf "budget >= 2000 req/s: %s %s\n", rps, (rps + 0 >= 2000) ? "PASS" : "FAIL" }'
awk '/Non-2xx|Socket errors/ {print "coffre: " $0}' "$tmp/wrk-load.txt" "$tmp/wrk-one.txt"
echo
echo "where search_run's time goes (SQLite profile trace, 1 thread):"
cat "$tmp/profile.txt"
