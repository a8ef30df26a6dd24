#!/usr/bin/env bash
# Fetches one npm package tarball and checks it against its registry integrity (sha512), for
# the scripts that build data from npm packages (build-common-passwords.sh,
# build-person-names.sh). Usage: npm-fetch.sh NAME VERSION INTEGRITY DEST [LOCAL.tgz]
# A LOCAL.tgz (a copy fetched earlier) is checked the same way instead of downloading.
set -euo pipefail

name=$1 version=$2 integrity=$3 dest=$4 local=${5:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM

if [ -n "$local" ]; then
	cp "$local" "$dir/pkg.tgz"
else
	(cd "$dir" && npm pack --silent "$name@$version" >/dev/null)
	mv "$dir"/*.tgz "$dir/pkg.tgz"
fi
got=$(node -e 'const c = require("crypto"), fs = require("fs");
console.log("sha512-" + c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"))' \
    "$dir/pkg.tgz")
if [ "$got" != "$integrity" ]; then
	echo "$name $version: tarball integrity mismatch: $got" >&2
	exit 1
fi
mv "$dir/pkg.tgz" "$dest"
