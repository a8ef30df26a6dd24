#!/usr/bin/env bash
# bench/pii: coffre's PII engine beside two npm detectors (redact-pii, openredaction) run in
# the same run on the same texts: span-level precision, recall and F2 per entity type on
# presidio-research's English set (../shared/data/pii) and coffre's French set
# (tests/data/pii_fr), then throughput in MB/s per core on a generated corpus of several MB,
# with the budget of DESIGN.md (>= 50 MB/s per core) as a PASS/FAIL line.
# Not a test: figures and verdicts, exit 0 unless the benchmark itself fails. A coffre built
# without the engine (no `pii analyze`) only loses its rows. See bench/pii/README.md.
#
#   bench/pii/run.sh [coffre] [bench_pii]
#
# coffre (./build/coffre) is run as `coffre pii analyze --jsonl`; its rows are labelled with
# the program's file name (bench/pii/selftest/standin-coffre is a stand-in for trying the
# harness, not the engine). bench_pii (beside coffre) times pii_analyze in process.
# Environment: BENCH_PII_MB (8) size of the throughput corpus, BENCH_PII_PASSES (5) passes of
# bench_pii, BENCH_PII_NPM_SECONDS (20) cap on each npm detector's timed run, BENCH_PII_JSON
# a file to keep the accuracy figures in, COFFRE_EVAL_DATA the shared data folder.
set -euo pipefail

BIN=${1:-./build/coffre}
BENCH=${2:-$(dirname "$BIN")/bench_pii}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=${COFFRE_EVAL_DATA:-$ROOT/../shared/data}
PRESIDIO=$DATA/pii/presidio_generated_small.json
FRENCH=$ROOT/tests/data/pii_fr/pii_fr.json
MB=${BENCH_PII_MB:-8}
PASSES=${BENCH_PII_PASSES:-5}
NPM_SECONDS=${BENCH_PII_NPM_SECONDS:-20}
BUDGET=50
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
SCORE=("$PY" "$HERE/score.py")
TOOL=$(basename "$BIN")

for f in "$PRESIDIO" "$FRENCH"; do
  [[ -r $f ]] || { echo "bench/pii: $f missing (set COFFRE_EVAL_DATA to the shared data folder)" >&2; exit 1; }
done
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "bench/pii: node and npm are needed: run scripts/deps.sh" >&2; exit 1; }

tmp=$(mktemp -d /tmp/coffre-bench-pii-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# ---- the npm packages, pinned by package-lock.json, installed beside this script ----
NODE_DIR=$HERE/node
if [[ ! -f $NODE_DIR/node_modules/.package-lock.json ||
      $NODE_DIR/package-lock.json -nt $NODE_DIR/node_modules/.package-lock.json ]]; then
  echo "bench/pii: npm ci in $NODE_DIR" >&2
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
npm_version() { node -p "require('$NODE_DIR/node_modules/$1/package.json').version"; }
RP_VERSION=$(npm_version redact-pii)
OR_VERSION=$(npm_version openredaction)

# ---- is the engine there? ----
ENGINE=0
if [[ -x $BIN ]] &&
   printf '{"text":"Mme Dubois, 06 12 34 56 78","language":"fr"}\n' |
     "$BIN" pii analyze --jsonl >"$tmp/probe.out" 2>"$tmp/probe.err" &&
   grep -q '"hits"' "$tmp/probe.out"; then
  ENGINE=1
else
  why=$(head -c 200 "$tmp/probe.err" 2>/dev/null | head -1 || true)
  echo "bench/pii: $BIN has no working 'pii analyze --jsonl'${why:+ ($why)}: its rows are skipped" >&2
fi

# ---- accuracy: every detector on both sets ----
"${SCORE[@]}" inputs "$PRESIDIO" "$tmp/en.jsonl" en
"${SCORE[@]}" inputs "$FRENCH" "$tmp/fr.jsonl" fr
preds=()
for set in en fr; do
  if [[ $ENGINE == 1 ]]; then
    "$BIN" pii analyze --jsonl --lang "$set" <"$tmp/$set.jsonl" >"$tmp/$TOOL-$set.jsonl"
    preds+=(--pred "$TOOL:$set=$tmp/$TOOL-$set.jsonl")
  fi
  for npmtool in redact-pii openredaction; do
    node "$HERE/npm_pii.js" detect "$npmtool" <"$tmp/$set.jsonl" >"$tmp/$npmtool-$set.jsonl"
    preds+=(--pred "$npmtool:$set=$tmp/$npmtool-$set.jsonl")
  done
done

echo
echo "bench/pii: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores; $TOOL $([[ $ENGINE == 1 ]] && echo "$BIN" || echo "absent"), redact-pii $RP_VERSION, openredaction $OR_VERSION, node $(node --version)"
echo "sets: en = presidio-research generated_small (English, MIT), fr = tests/data/pii_fr (French, this project)"
"${SCORE[@]}" report --set "en=$PRESIDIO" --set "fr=$FRENCH" "${preds[@]}" \
  ${BENCH_PII_JSON:+--json "$BENCH_PII_JSON"}

# ---- throughput ----
echo
echo "bench/pii: throughput corpus of $MB MB (not measured)" >&2
BYTES=$("${SCORE[@]}" corpus --set "fr=$FRENCH" --set "en=$PRESIDIO" --out "$tmp/corpus" --mb "$MB")
NDOCS=$(wc -l <"$tmp/corpus/docs.jsonl")
key() { awk -v k="$2" '$1 == k {print $2; exit}' "$1"; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.2f", b / 1e6 / s; else print "nan" }'; }

echo "throughput: $(awk -v b="$BYTES" 'BEGIN {printf "%.2f", b / 1e6}') MB of text in $NDOCS documents (help-centre prose, 60% French, labelled sentences sprinkled in), one thread each"
printf '%-58s %12s %12s %s\n' "" "MB/s (CPU)" "MB/s (wall)" "covered"
SPEED=""
if [[ $ENGINE == 1 && -x $BENCH ]]; then
  echo "bench/pii: bench_pii, $PASSES passes" >&2
  "$BENCH" "$tmp/corpus/docs.txt" "$PASSES" >"$tmp/bench.txt"
  SPEED=$(key "$tmp/bench.txt" mb_s_cpu)
  printf '%-58s %12.2f %12.2f %s\n' "$TOOL pii_analyze (bench_pii, in process)" \
    "$SPEED" "$(key "$tmp/bench.txt" mb_s)" "all, $(key "$tmp/bench.txt" hits) hits"
elif [[ $ENGINE == 1 ]]; then
  echo "bench/pii: $BENCH not built (it needs src/pii/pii.h): the command line only" >&2
fi
if [[ $ENGINE == 1 ]]; then
  echo "bench/pii: $TOOL pii analyze --jsonl, best of 3" >&2
  head -1 "$tmp/corpus/docs.jsonl" >"$tmp/one.jsonl"
  "${SCORE[@]}" timecmd "$tmp/one.jsonl" 3 "$BIN" pii analyze --jsonl >"$tmp/cli-one.txt"
  "${SCORE[@]}" timecmd "$tmp/corpus/docs.jsonl" 3 "$BIN" pii analyze --jsonl >"$tmp/cli.txt"
  CPU=$(awk -v a="$(key "$tmp/cli.txt" cpu_seconds)" -v b="$(key "$tmp/cli-one.txt" cpu_seconds)" 'BEGIN {print a - b}')
  WALL=$(awk -v a="$(key "$tmp/cli.txt" seconds)" -v b="$(key "$tmp/cli-one.txt" seconds)" 'BEGIN {print a - b}')
  CLI=$(rate "$BYTES" "$CPU")
  "$BIN" pii analyze --jsonl <"$tmp/corpus/docs.jsonl" >"$tmp/cli-hits.jsonl"
  CLI_HITS=$("$PY" -c 'import json, sys; print(sum(len(json.loads(l)["hits"]) for l in open(sys.argv[1]) if l.strip()))' "$tmp/cli-hits.jsonl")
  printf '%-58s %12s %12s %s\n' "$TOOL CLI --jsonl (JSON in/out, start-up removed)" \
    "$CLI" "$(rate "$BYTES" "$WALL")" "all, $CLI_HITS hits"
  if [[ -f $tmp/bench.txt ]]; then
    awk -v a="$(key "$tmp/bench.txt" hits)" -v b="$CLI_HITS" 'BEGIN {
      if (a < 0.8 * b || a > 1.25 * b)
        printf "warning: bench_pii found %d hits, the CLI %d: do bench_pii.c'"'"'s options (entities, threshold) still mean what the CLI does?\n", a, b }'
  fi
  SPEED=${SPEED:-$CLI}
fi
declare -A NPM
for npmtool in redact-pii openredaction; do
  echo "bench/pii: $npmtool, up to ${NPM_SECONDS}s" >&2
  node "$HERE/npm_pii.js" time "$npmtool" "$tmp/corpus/docs.jsonl" "$NPM_SECONDS" >"$tmp/$npmtool.txt"
  NPM[$npmtool]=$(key "$tmp/$npmtool.txt" mb_s_cpu)
  printf '%-58s %12.2f %12.2f %s\n' "$npmtool (node, default settings)" "${NPM[$npmtool]}" \
    "$(key "$tmp/$npmtool.txt" mb_s)" \
    "$(key "$tmp/$npmtool.txt" docs)/$NDOCS documents in $(key "$tmp/$npmtool.txt" seconds) s"
done
if [[ -n $SPEED ]]; then
  awk -v c="$SPEED" -v r="${NPM[redact-pii]}" -v o="${NPM[openredaction]}" -v t="$TOOL" 'BEGIN {
    printf "ratio %s/redact-pii %.1fx, %s/openredaction %.1fx (CPU time)\n", t, c / r, t, c / o }'
  awk -v c="$SPEED" -v b="$BUDGET" 'BEGIN {
    printf "budget >= %d MB/s per core: %.2f MB/s %s\n", b, c, (c + 0 >= b) ? "PASS" : "FAIL" }'
else
  echo "budget >= $BUDGET MB/s per core: not measured (no engine in $BIN)"
fi
