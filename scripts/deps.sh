#!/usr/bin/env bash
# The one list of Debian packages coffre needs to build, run, test and benchmark.
# `make run`, `make test` and .ci/run all call this; it installs only what is missing.
# `scripts/deps.sh fuzz` adds what `make fuzz` needs (clang and its libFuzzer runtime).
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config
  # libraries (see DESIGN.md, Dependencies)
  libmicrohttpd-dev libgnutls28-dev libjansson-dev libsodium-dev libsqlite3-dev libqrencode-dev
  libstemmer-dev libpcre2-dev
  # tests: unit tests, TLS probes, end-to-end client
  libcmocka-dev libcurl4-gnutls-dev gnutls-bin openssl python3 ca-certificates
  # tests: a real SMTP server, a second TOTP implementation
  python3-aiosmtpd oathtool
  # benchmarks: load generator and the reference server
  wrk nginx-light
)
# Packages needed for a command, installed only when the command is missing: a Node.js from
# NodeSource (its own nodejs package) or nvm already brings npm, and Debian's npm package
# would conflict with it or pull a second Node.js.
COMMANDS=(
  # benchmarks: node and npm run the npm PII detectors that bench/pii compares with
  node:nodejs npm:npm
)
if [ "${1:-}" = "fuzz" ]; then
  PACKAGES+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
for c in "${COMMANDS[@]}"; do
  if ! command -v "${c%%:*}" >/dev/null 2>&1; then
    missing+=("${c#*:}")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
