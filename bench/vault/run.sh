#!/usr/bin/env bash
# bench/vault: the cost of coffre's encrypting SQLite VFS against plain SQLite, measured in
# the same run (inserts with FTS5, point reads, FTS queries; best of two runs per mode).
# Prints times, operations per second and the ratios encrypted/plain against the 1.15x
# budget. Not a test: figures, not verdicts; it fails only when the benchmark itself fails.
#
#   bench/vault/run.sh [path/to/bench_vault] [rows]
set -euo pipefail

BIN=${1:-./build/bench_vault}
ROWS=${2:-100000}

if [[ ! -x "$BIN" ]]; then
  echo "bench/vault: $BIN not found or not executable; build the bench_vault target" >&2
  exit 1
fi

# bench_vault makes (and removes) its own folder under /tmp.
"$BIN" "$ROWS"
