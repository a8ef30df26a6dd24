#!/bin/sh
# build-person-names.sh: makes data/person-names.txt, and turns it into C at build time.
#
#   scripts/build-person-names.sh [OUT.txt]
#       Fetches @faker-js/faker 10.6.0 with `npm pack` (integrity pinned below), takes the first
#       names and last names of its locales fr, fr_BE, fr_CH and en, then those of its other
#       English and Latin-script locales (WORLD below) that are no common word: 4 letters or
#       more, and no word of Debian's wamerican or wfrench word lists (in any case); keeps
#       single words of letters (inner hyphens and apostrophes allowed, 2..40 bytes), and
#       writes one name a line as "Name<TAB>kinds" where kinds is F (first name), L (last name)
#       or FL, sorted in byte order (default data/person-names.txt). Needs node, npm and the
#       packages wamerican and wfrench; set FAKER_TGZ to a local faker-js-faker-10.6.0.tgz to
#       work offline.
#
#   scripts/build-person-names.sh --emit-c IN.txt OUT.c
#       Run by CMake: writes the list as a C table for src/pii/names.c. Needs python3 ($PYTHON3).
set -eu

FAKER_VERSION=10.6.0
FAKER_INTEGRITY='sha512-3RQHgEtvL1Frl/d1cSreo7qhJ3Gk1OdNUai/CtZ8G+wYeRQnJih3s9xJ9/kgYekPQRdwgh0HXRPqMlzWGwivIQ=='

if [ "${1:-}" = "--emit-c" ]; then
	[ $# -eq 3 ] || { echo "usage: $0 --emit-c IN.txt OUT.c" >&2; exit 2; }
	exec "${PYTHON3:-python3}" - "$2" "$3" <<'PYEOF'
import os, re, sys

src, dst = sys.argv[1], sys.argv[2]
rows = []
with open(src, "rb") as f:
    for n, line in enumerate(f.read().split(b"\n"), 1):
        if line == b"":
            continue
        try:
            name, kinds = line.decode("utf-8").split("\t")
        except (UnicodeDecodeError, ValueError):
            sys.exit(f"{src}:{n}: not UTF-8 'name<TAB>kinds'")
        if kinds not in ("F", "L", "FL") or not 2 <= len(name.encode()) <= 40 or \
                not re.fullmatch(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*", name):
            sys.exit(f"{src}:{n}: bad entry")
        flags = (1 if "F" in kinds else 0) | (2 if "L" in kinds else 0)
        rows.append((name, flags))
out = ["/* Generated from data/person-names.txt by scripts/build-person-names.sh; do not edit. */",
       '#include "pii/internal.h"', "",
       f"const size_t pii_names_count = {len(rows)};", "",
       "const struct pii_name_entry pii_names[] = {"]
for name, flags in rows:
    esc = "".join(c if c.isascii() and c not in '"\\?' else
                  "".join("\\%03o" % b for b in c.encode()) for c in name)
    out.append(f'\t{{ "{esc}", {flags} }},')
out.append("};")
tmp = dst + ".tmp"
with open(tmp, "w") as f:
    f.write("\n".join(out) + "\n")
os.replace(tmp, dst)
PYEOF
fi

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/data/person-names.txt}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

"$root/scripts/npm-fetch.sh" "@faker-js/faker" "$FAKER_VERSION" "$FAKER_INTEGRITY" "$tmp/faker.tgz" \
    "${FAKER_TGZ:-}"
tar -xzf "$tmp/faker.tgz" -C "$tmp"
for dict in /usr/share/dict/american-english /usr/share/dict/french; do
	[ -r "$dict" ] || { echo "$dict missing: apt-get install wamerican wfrench" >&2; exit 1; }
done

node --input-type=module - "$tmp/package/dist/index.js" "$tmp/out.txt" <<'JSEOF'
import fs from "fs";
const [index, dst] = process.argv.slice(2);
const m = await import(index);
const kinds = new Map();
const ok = /^\p{L}+(?:['\u2019-]\p{L}+)*$/u;
const latin = /^\p{Script=Latin}+(?:['\u2019-]\p{Script=Latin}+)*$/u;
const fold = (w) => w.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "");
/* The words of the English and French word lists: names that are also words (Rose, Hall)
 * or places and brands (Vienna, Oman, Nike) would turn ordinary capitalised words into
 * persons. */
const words = new Set();
for (const f of ["/usr/share/dict/american-english", "/usr/share/dict/french"])
	for (const w of fs.readFileSync(f, "utf8").split("\n"))
		if (w !== "")
			words.add(fold(w.replace(/'s$/, "")));
const BASE = ["fr", "fr_BE", "fr_CH", "en"];
const WORLD = ["en_AU", "en_GH", "en_HK", "en_IN", "en_NG", "en_ZA", "af_ZA", "cs_CZ", "da",
	"de", "de_AT", "de_CH", "es", "es_MX", "fi", "fr_SN", "hr", "hu", "id_ID", "it", "lv",
	"nb_NO", "nl", "nl_BE", "pl", "pt_BR", "pt_PT", "ro", "ro_MD", "sk", "sl_SI", "sr_RS_latin",
	"sv", "tr", "vi", "yo_NG", "zu_ZA"];
for (const loc of [...BASE, ...WORLD]) {
	const p = m[loc].person;
	for (const [field, k] of [["first_name", "F"], ["last_name", "L"]])
		for (const list of Object.values(p[field] || {}))
			for (const name of list) {
				const b = Buffer.byteLength(name);
				if (!ok.test(name) || b < 2 || b > 40)
					continue;
				if (!BASE.includes(loc) && !kinds.has(name) && (!latin.test(name) ||
				    fold(name).length < 4 || words.has(fold(name))))
					continue;
				kinds.set(name, (kinds.get(name) || "") + k);
			}
}
const rows = [...kinds].map(([n, k]) => [n, (k.includes("F") ? "F" : "") + (k.includes("L") ? "L" : "")]);
rows.sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
fs.writeFileSync(dst, rows.map(([n, k]) => `${n}\t${k}\n`).join(""));
process.stderr.write(`${rows.length} names\n`);
JSEOF
mv "$tmp/out.txt" "$out"
