"""The French PII evaluation set (tests/data/pii_fr) and the scorer of bench/pii.

No server: the set is data that bench/pii and the engine's tests rely on, so its labels are
checked here with check-digit code of its own (not the generator's): offsets, known types,
valid check digits for every positive, failing ones for the look-alike negatives, the formats
the set promises, counts per type, and that the committed file is exactly what the generator
writes. The scorer's self-test runs too, so a scoring bug fails the suite.
"""
import datetime
import ipaddress
import json
import os
import re
import subprocess
import sys
import unittest
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SET_DIR = os.path.join(ROOT, "tests", "data", "pii_fr")
SET = os.path.join(SET_DIR, "pii_fr.json")
SCORE = os.path.join(ROOT, "bench", "pii", "score.py")

TYPES = {"EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "CREDIT_CARD", "FR_NIR", "FR_SIREN",
         "FR_SIRET", "IP_ADDRESS", "URL", "DATE_TIME", "STREET_ADDRESS", "PERSON"}
MIN_SENTENCES = 300
MIN_PER_TYPE = 20
IBAN_LENGTHS = {"FR": 27, "DE": 22, "BE": 16, "ES": 24, "IT": 27, "LU": 20, "CH": 21}
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre"]


def luhn(digits):
    s = 0
    for i, c in enumerate(digits[::-1]):
        d = int(c)
        if i & 1:
            d = d * 2 - 9 if d > 4 else d * 2
        s += d
    return s % 10 == 0


def iban_valid(v):
    s = v.replace(" ", "")
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", s) or IBAN_LENGTHS.get(s[:2]) != len(s):
        return False
    n = 0
    for c in s[4:] + s[:4]:             # mod 97 one character at a time
        n = (n * (100 if c.isalpha() else 10) + int(c, 36)) % 97
    return n == 1


def card_valid(v):
    d = re.sub(r"[ -]", "", v)
    return d.isdigit() and 13 <= len(d) <= 19 and luhn(d)


def nir_valid(v):
    s = v.replace(" ", "")
    m = re.fullmatch(r"([12])(\d\d)(0[1-9]|1[0-2])(\d\d|2A|2B)(\d{6})(\d\d)", s)
    if not m:
        return False
    body = s[:13].replace("2A", "19").replace("2B", "18")
    return int(m.group(6)) == 97 - int(body) % 97


def siren_valid(v):
    d = v.replace(" ", "")
    return len(d) == 9 and d.isdigit() and luhn(d)


def siret_valid(v):
    d = v.replace(" ", "")
    if len(d) != 14 or not d.isdigit():
        return False
    if d.startswith("356000000") and d != "35600000000048":
        return sum(map(int, d)) % 5 == 0   # La Poste's establishments but the head office
    return luhn(d)


def phone_valid(v):
    s = re.sub(r"[ .\-]", "", v).replace("(0)", "")
    if re.fullmatch(r"0[1-79]\d{8}", s):
        return True
    if re.fullmatch(r"(\+|00)33[1-79]\d{8}", s):
        return True
    if re.fullmatch(r"\+(262|590|594|596)(262|269|590|594|596|639|69[0-7])\d{6}", s):
        return True
    return bool(re.fullmatch(r"\+(1|32|41|44|49|212)\d{7,11}", s))


def date_valid(v):
    m = re.fullmatch(r"(1er|\d{1,2}) (%s)(?: (\d{4}))?" % "|".join(MONTHS), v)
    if m:
        day = 1 if m.group(1) == "1er" else int(m.group(1))
        datetime.date(int(m.group(3) or 2024), MONTHS.index(m.group(2)) + 1, day)
        return True
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            datetime.datetime.strptime(v, fmt)
            return True
        except ValueError:
            pass
    return False


def url_valid(v):
    u = urllib.parse.urlsplit(v if "://" in v else "http://" + v)
    return u.scheme in ("http", "https") and "." in u.netloc and not v.endswith((".", ","))


def ip_valid(v):
    try:
        ipaddress.ip_address(v)
        return True
    except ValueError:
        return False


VALID = {
    "EMAIL_ADDRESS": lambda v: bool(re.fullmatch(r"[a-z0-9._+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}", v)),
    "PHONE_NUMBER": phone_valid,
    "IBAN_CODE": iban_valid,
    "CREDIT_CARD": card_valid,
    "FR_NIR": nir_valid,
    "FR_SIREN": siren_valid,
    "FR_SIRET": siret_valid,
    "IP_ADDRESS": ip_valid,
    "URL": url_valid,
    "DATE_TIME": date_valid,
    "STREET_ADDRESS": lambda v: bool(re.search(r"\b\d{5} [A-ZÀ-Ý]", v)),
    "PERSON": lambda v: bool(re.fullmatch(r"[A-ZÀ-Ý][\w'\-]*( [A-ZÀ-Ý][\w'\-]*)*", v))
    and not re.search(r"\d", v),
}
# Look-alike negatives and the check they must fail.
INVALID = {"invalid_iban": iban_valid, "invalid_card": card_valid, "invalid_nir": nir_valid,
           "invalid_siren": siren_valid, "invalid_siret": siret_valid,
           "pdl": siret_valid}    # a 14-digit meter number must not pass as a SIRET


def load():
    with open(SET, encoding="utf-8") as f:
        return json.load(f)


class FrenchSet(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.items = load()
        cls.spans = [(it, s) for it in cls.items for s in it["spans"]]

    def test_committed_file_is_what_the_generator_writes(self):
        res = subprocess.run([sys.executable, os.path.join(SET_DIR, "generate.py"), "--stdout"],
                             capture_output=True, timeout=120)
        self.assertEqual(res.returncode, 0, res.stderr.decode())
        with open(SET, "rb") as f:
            committed = f.read()
        self.assertTrue(res.stdout == committed,
                        "pii_fr.json differs from generate.py's output: run "
                        "python3 tests/data/pii_fr/generate.py and commit both")

    def test_size_and_counts_per_type(self):
        self.assertGreaterEqual(len(self.items), MIN_SENTENCES)
        counts = {t: 0 for t in TYPES}
        for _, s in self.spans:
            counts[s["entity_type"]] += 1
        low = {t: n for t, n in counts.items() if n < MIN_PER_TYPE}
        self.assertEqual(low, {}, "types under %d spans" % MIN_PER_TYPE)
        self.assertGreaterEqual(sum(len(it["metadata"]["negatives"]) for it in self.items), 150)
        self.assertGreaterEqual(sum(1 for it in self.items if not it["spans"]), 20,
                                "sentences without personal data measure precision")

    def test_offsets_are_exact_code_points(self):
        for it in self.items:
            text = it["full_text"]
            marks = []
            for s in it["spans"]:
                a, b = s["start_position"], s["end_position"]
                self.assertIn(s["entity_type"], TYPES)
                self.assertTrue(0 <= a < b <= len(text), s)
                self.assertEqual(text[a:b], s["entity_value"], text)
                self.assertEqual(s["entity_value"], s["entity_value"].strip(), s)
                marks.append((a, b))
            for n in it["metadata"]["negatives"]:
                self.assertEqual(text[n["start"]:n["end"]], n["value"], text)
                marks.append((n["start"], n["end"]))
            marks.sort()
            for (a1, b1), (a2, b2) in zip(marks, marks[1:]):
                self.assertLessEqual(b1, a2, "overlapping labels in %r" % text)
            self.assertEqual(it["metadata"]["language"], "fr")

    def test_positives_pass_their_checks(self):
        bad = [(s["entity_type"], s["entity_value"]) for _, s in self.spans
               if not VALID[s["entity_type"]](s["entity_value"])]
        self.assertEqual(bad, [])

    def test_look_alike_negatives_fail_their_checks(self):
        seen = set()
        for it in self.items:
            for n in it["metadata"]["negatives"]:
                if n["kind"] in INVALID:
                    seen.add(n["kind"])
                    self.assertFalse(INVALID[n["kind"]](n["value"]), n)
        self.assertEqual(seen, set(INVALID))

    def test_the_promised_formats_are_there(self):
        values = {}
        for _, s in self.spans:
            values.setdefault(s["entity_type"], []).append(s["entity_value"])

        def some(typ, pattern, n=1):
            hits = [v for v in values[typ] if re.search(pattern, v)]
            self.assertGreaterEqual(len(hits), n, "%s matching %r" % (typ, pattern))

        some("PHONE_NUMBER", r"^0[67]( \d\d){4}$")             # 06 12 34 56 78
        some("PHONE_NUMBER", r"^\+33 [67]( \d\d){4}$")         # +33 6 12 34 56 78
        some("PHONE_NUMBER", r"^0590")                         # overseas department
        some("PHONE_NUMBER", r"^\+262 ")
        some("PHONE_NUMBER", r"^\+(32|41|44|1) ")               # abroad
        some("IBAN_CODE", r"^FR76( \d{4}){5} \d{3}$")
        some("IBAN_CODE", r"^FR\d{25}$")
        some("IBAN_CODE", r"^(DE|BE|ES|IT|LU|CH)")
        some("CREDIT_CARD", r"^3[47]")                         # 15-digit Amex layout too
        some("FR_NIR", r"2A", 3)
        some("FR_NIR", r"2B", 3)
        some("FR_NIR", r"^\d \d\d \d\d ")
        some("FR_SIRET", r"^356 ?000 ?000", 3)                 # La Poste
        some("IP_ADDRESS", r":", 5)                            # IPv6
        some("IP_ADDRESS", r"^\d+\.\d+\.\d+\.\d+$", 10)
        some("DATE_TIME", r"^\d{1,2} [a-zéû]+ \d{4}$", 10)     # 12 mars 2024
        some("DATE_TIME", r"^\d\d/\d\d/\d{4}$", 5)            # 12/03/1985
        some("DATE_TIME", r"^1er ")
        some("STREET_ADDRESS", r"\bbis\b")
        some("STREET_ADDRESS", r"\b(BP|CS|TSA) \d+")
        some("STREET_ADDRESS", r"Cedex", 3)
        some("STREET_ADDRESS", r"\n")                          # on two lines
        some("STREET_ADDRESS", r"\b97\d{3} ")                  # overseas
        some("PERSON", r"-", 5)                                # Jean-Pierre, Ozier-Lafontaine
        some("PERSON", r"^[A-ZÉ' \-]{3,} [A-Z][a-zé]")         # DUBOIS Marie
        texts = [it["full_text"] for it in self.items]
        self.assertTrue(any("je m'appelle" in t for t in texts))
        self.assertTrue(any(re.search(r"\bMme [A-Z]", t) for t in texts))
        self.assertTrue(any(re.search(r"\bM\. [A-Z]", t) for t in texts))
        self.assertTrue(any(re.search(r"née? le", t) for t in texts))
        # Offsets counted in UTF-16 units or in bytes instead of code points must show.
        before = lambda it, pred: any(pred(c) for s in it["spans"]
                                      for c in it["full_text"][:s["start_position"]])
        self.assertGreaterEqual(sum(before(it, lambda c: ord(c) > 0xffff) for it in self.items),
                                3, "spans after a character outside the BMP")
        self.assertGreaterEqual(sum(before(it, lambda c: ord(c) > 0x7f) for it in self.items),
                                100, "spans after a non-ASCII character")

    def test_names_that_are_also_common_words(self):
        # "Mme Petit a commandé le petit modèle": the name labelled, the word a negative.
        pairs = 0
        for it in self.items:
            for n in it["metadata"]["negatives"]:
                if n["kind"] != "common_word":
                    continue
                self.assertTrue(n["value"].islower(), n)
                names = [s["entity_value"] for s in it["spans"] if s["entity_type"] == "PERSON"]
                pairs += any(n["value"].capitalize() in re.split(r"[ \-]", v) for v in names)
        self.assertGreaterEqual(pairs, 8)


class Validators(unittest.TestCase):
    """The checks above must be right for the set's verdicts to mean anything."""

    def test_known_answers(self):
        self.assertTrue(iban_valid("FR76 3000 6000 0112 3456 7890 189"))
        self.assertTrue(iban_valid("DE89 3704 0044 0532 0130 00"))
        self.assertFalse(iban_valid("FR76 3000 6000 0112 3456 7890 188"))
        self.assertTrue(card_valid("4111 1111 1111 1111"))
        self.assertTrue(card_valid("378282246310005"))
        self.assertFalse(card_valid("4111 1111 1111 1112"))
        self.assertTrue(nir_valid("2 55 08 14 168 025 38"))
        self.assertFalse(nir_valid("2 55 08 14 168 025 39"))
        self.assertTrue(nir_valid("1 80 01 2A 004 012 " + "%02d" % (97 - 1800119004012 % 97)))
        self.assertTrue(nir_valid("2 80 01 2B 004 012 " + "%02d" % (97 - 2800118004012 % 97)))
        self.assertTrue(siren_valid("732 829 320"))
        self.assertFalse(siren_valid("732 829 321"))
        self.assertTrue(siret_valid("732 829 320 00074"))
        self.assertTrue(siret_valid("356 000 000 00048"))      # La Poste's head office: Luhn
        self.assertTrue(siret_valid("356 000 000 49837"))      # 45: a multiple of 5
        self.assertFalse(siret_valid("356 000 000 49838"))
        self.assertTrue(phone_valid("+33 (0)6 12 34 56 78"))
        self.assertTrue(phone_valid("+262 692 12 34 56"))
        self.assertFalse(phone_valid("12 34 56 78"))
        self.assertTrue(date_valid("1er avril 2025"))
        self.assertFalse(date_valid("31/02/2024"))
        self.assertFalse(date_valid("14h30"))


class Scorer(unittest.TestCase):
    def test_scorer_selftest(self):
        res = subprocess.run([sys.executable, SCORE, "--selftest"], capture_output=True,
                             text=True, timeout=120)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn("selftest: ok", res.stdout)

    def test_scorer_reads_the_set(self):
        # One labelled set, scored against its own gold spans: every figure is 1.
        import tempfile
        items = load()
        with tempfile.TemporaryDirectory() as d:
            pred = os.path.join(d, "gold.jsonl")
            with open(pred, "w", encoding="utf-8") as f:
                for it in items:
                    hits = [{"type": s["entity_type"], "start": s["start_position"],
                             "end": s["end_position"]} for s in it["spans"]]
                    f.write(json.dumps({"hits": hits}) + "\n")
            out = os.path.join(d, "figures.json")
            res = subprocess.run([sys.executable, SCORE, "report", "--set", "fr=" + SET,
                                  "--pred", "gold:fr=" + pred, "--json", out],
                                 capture_output=True, text=True, timeout=120)
            self.assertEqual(res.returncode, 0, res.stderr)
            with open(out) as f:
                fig = json.load(f)["fr"]["gold"]
        for key in ("all", "any"):
            for m in ("precision", "recall", "f2", "precision_exact", "recall_exact"):
                self.assertEqual(fig[key][m], 1.0, (key, m))
        self.assertEqual(fig["all"]["gold"], sum(len(it["spans"]) for it in items))
        self.assertEqual(sum(v[1] for v in fig["negatives"].values()), 0)


if __name__ == "__main__":
    unittest.main()
