#!/bin/sh
# build-common-passwords.sh: makes data/common-passwords.txt, and turns it into C at build time.
#
#   scripts/build-common-passwords.sh [OUT.txt]
#       Fetches zxcvbn 4.4.2 with `npm pack` (integrity pinned below), takes its 30,000 most
#       common passwords in frequency order, appends John the Ripper's password.lst when it is
#       installed (/usr/share/john/password.lst, or $JOHN_LIST), lower-cases (ASCII), keeps
#       entries of 1..64 bytes of valid UTF-8 without control characters, drops duplicates
#       (first occurrence wins) and writes one entry a line (default data/common-passwords.txt).
#       Needs node and npm; set ZXCVBN_TGZ to a local zxcvbn-4.4.2.tgz to work offline.
#
#   scripts/build-common-passwords.sh --emit-c IN.txt OUT.c
#       Run by CMake: writes the list sorted in byte order as one NUL-separated blob plus an
#       offsets array, for the binary search in src/auth/password.c. Needs python3 ($PYTHON3).
set -eu

ZXCVBN_VERSION=4.4.2
ZXCVBN_INTEGRITY='sha512-Bq0B+ixT/DMyG8kgX2xWcI5jUvCwqrMxSFam7m0lAf78nf04hv6lNCsyLYdyYTrCVMqNDY/206K7eExYCeSyUQ=='

if [ "${1:-}" = "--emit-c" ]; then
	[ $# -eq 3 ] || { echo "usage: $0 --emit-c IN.txt OUT.c" >&2; exit 2; }
	exec "${PYTHON3:-python3}" - "$2" "$3" <<'EOF'
import os, sys

src, dst = sys.argv[1], sys.argv[2]
words = set()
with open(src, "rb") as f:
    for n, line in enumerate(f.read().split(b"\n"), 1):
        if line == b"":
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            sys.exit(f"{src}:{n}: not UTF-8")
        if len(line) > 64 or any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f or c in "\u2028\u2029"
                                 for c in text):
            sys.exit(f"{src}:{n}: longer than 64 bytes or has control characters")
        words.add(line.lower())            # bytes.lower() is ASCII only, as in the C lookup
words = sorted(words)                      # byte order, as memcmp compares
safe = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#$%&'()*+,-./:;<=>@[]^_`{|}~")
out = ["/* Generated from data/common-passwords.txt by scripts/build-common-passwords.sh; do not edit. */",
       '#include "auth/password.h"', "",
       f"const size_t password_common_nentries = {len(words)};", "",
       "const char password_common_blob[] ="]
offsets, pos = [], 0
for w in words:
    offsets.append(pos)
    pos += len(w) + 1
    # Octal escapes are always three digits, so a following digit cannot extend them; '?' is
    # escaped because C17 still has trigraphs.
    out.append('\t"' + "".join(chr(b) if b in safe else "\\%03o" % b for b in w) + '\\000"')
out.append("\t;")
out.append("")
out.append(f"const uint32_t password_common_offsets[{len(words)}] = {{")
for i in range(0, len(offsets), 10):
    out.append("\t" + " ".join(f"{o}," for o in offsets[i:i + 10]))
out.append("};")
tmp = dst + ".tmp"
with open(tmp, "w") as f:
    f.write("\n".join(out) + "\n")
os.replace(tmp, dst)
EOF
fi

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/data/common-passwords.txt}
john=${JOHN_LIST:-/usr/share/john/password.lst}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

"$root/scripts/npm-fetch.sh" "zxcvbn" "$ZXCVBN_VERSION" "$ZXCVBN_INTEGRITY" "$tmp/zxcvbn.tgz" \
    "${ZXCVBN_TGZ:-}"
tar -xzf "$tmp/zxcvbn.tgz" -C "$tmp"
[ -r "$john" ] || { echo "note: $john not found, zxcvbn only" >&2; john=; }

node - "$tmp/package/lib/frequency_lists.js" "$john" "$tmp/out.txt" <<'EOF'
const fs = require("fs");
const [listsJs, john, dst] = process.argv.slice(2);
const utf8 = new TextDecoder("utf-8", { fatal: true });
const seen = new Set(), out = [];
let zx = 0, jr = 0;

function add(buf) {
	let s;
	if (buf.length < 1 || buf.length > 64)
		return false;
	try { s = utf8.decode(buf); } catch (e) { return false; }
	if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(s))
		return false;
	s = s.replace(/[A-Z]/g, (c) => c.toLowerCase());   // ASCII only, as the C lookup does
	if (seen.has(s))
		return false;
	seen.add(s);
	out.push(s);
	return true;
}

for (const p of require(listsJs).passwords)
	zx += add(Buffer.from(p, "utf8"));
if (john) {
	const data = fs.readFileSync(john);
	let start = 0;
	for (let i = 0; i <= data.length; i++) {
		if (i < data.length && data[i] !== 0x0a)
			continue;
		let line = data.subarray(start, i);
		start = i + 1;
		if (line.length && line[line.length - 1] === 0x0d)
			line = line.subarray(0, line.length - 1);
		if (line.subarray(0, 9).toString("latin1") === "#!comment")
			continue;
		jr += add(line);
	}
}
fs.writeFileSync(dst, out.join("\n") + "\n");
process.stderr.write(`zxcvbn ${zx}, john new ${jr}, total ${out.length}\n`);
EOF
mv "$tmp/out.txt" "$out"
