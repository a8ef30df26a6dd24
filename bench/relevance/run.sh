#!/usr/bin/env bash
# bench/relevance: ranking quality of coffre's search on the Cranfield and CISI collections
# of ../shared/data (read in place, never copied), indexed and searched THROUGH coffre over
# HTTPS, beside a plain BM25 computed in the same run and the README's reference figures.
# Prints MAP@100, nDCG@10 and P@10 (coffre, BM25 this run, reference, ratios), the indexing
# and query rates, and the queries the parser's 32-term cap cut. Not a test: figures, not
# verdicts; it fails only when the benchmark itself fails. See bench/relevance/README.md.
#
#   bench/relevance/run.sh [path/to/coffre] [relevance.py options: --only cisi, --variants...]
set -euo pipefail

BIN=${1:-./build/coffre}
shift || true
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${COFFRE_EVAL_DATA:-$HERE/../../../shared/data}

if [[ ! -x "$BIN" ]]; then
  echo "bench/relevance: $BIN not found or not executable; build coffre first" >&2
  exit 1
fi
for f in cranfield/cran.all.1400 cranfield/cran.qry cranfield/cranqrel cisi/CISI.ALL \
         cisi/CISI.QRY cisi/CISI.REL; do
  if [[ ! -r "$DATA/$f" ]]; then
    echo "bench/relevance: $DATA/$f missing (set COFFRE_EVAL_DATA to the shared data folder)" >&2
    exit 1
  fi
done

# The server, its data folder (under /tmp) and the tenants are made and removed by the script.
exec /usr/bin/python3 "$HERE/relevance.py" --bin "$BIN" --data "$DATA" "$@"
