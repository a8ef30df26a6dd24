"""`coffre pii analyze|redact|restore`: standard input to standard output, no server, no data folder."""
import json
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

from harness import BIN

TEXT = ("Bonjour, je m'appelle Jean Dupont, né le 12/03/1985. Écrivez à jean.dupont@exemple.fr "
        "ou appelez le 06 12 34 56 78. IBAN FR76 3000 6000 0112 3456 7890 189.\n")


def pii(*args, stdin=b"", env=None):
    full_env = dict(os.environ)
    full_env.pop("COFFRE_DATA", None)
    full_env.update(env or {})
    if isinstance(stdin, str):
        stdin = stdin.encode()
    return subprocess.run([BIN, "pii", *args], input=stdin, capture_output=True,
                          env=full_env, timeout=60, cwd=tempfile.gettempdir())


class Analyze(unittest.TestCase):
    def test_hits_with_code_point_offsets(self):
        res = pii("analyze", stdin=TEXT)
        self.assertEqual(res.returncode, 0, res.stderr)
        doc = json.loads(res.stdout)
        self.assertEqual(doc["language"], "fr")
        types = [h["type"] for h in doc["hits"]]
        for t in ("PERSON", "DATE_TIME", "EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE"):
            self.assertIn(t, types)
        for h in doc["hits"]:
            # start/end count code points (é is one), so Python's str slicing finds the text.
            self.assertEqual(TEXT[h["start"]:h["end"]], h["text"])
            self.assertGreaterEqual(h["score"], 0.5)
            self.assertLessEqual(h["score"], 1.0)

    def test_options(self):
        res = pii("analyze", "--lang", "en", "--entities", "EMAIL_ADDRESS,PHONE_NUMBER",
                  "--threshold", "0.8", stdin=TEXT)
        self.assertEqual(res.returncode, 0, res.stderr)
        doc = json.loads(res.stdout)
        self.assertEqual(doc["language"], "en")
        self.assertEqual({h["type"] for h in doc["hits"]}, {"EMAIL_ADDRESS", "PHONE_NUMBER"})

    def test_jsonl_one_line_per_input_in_order(self):
        lines = [json.dumps({"text": "Call John Smith at +44 20 7946 0958.", "language": "en"}),
                 json.dumps({"text": "Rien à signaler."}),
                 "not json",
                 json.dumps({"text": "Mme Martin, 1 85 05 78 006 084 91", "language": None}),
                 json.dumps({"text": "Zoé ☕ zoé@exemple.fr", "language": "fr"})]
        res = pii("analyze", "--jsonl", stdin="\n".join(lines) + "\n")
        self.assertEqual(res.returncode, 1)     # the bad line makes the exit status 1
        out = [json.loads(l) for l in res.stdout.decode().splitlines()]
        self.assertEqual(len(out), 5)
        self.assertEqual(out[0]["language"], "en")
        self.assertEqual({h["type"] for h in out[0]["hits"]}, {"PERSON", "PHONE_NUMBER"})
        self.assertEqual(out[1]["hits"], [])
        self.assertIn("error", out[2])
        self.assertEqual({h["type"] for h in out[3]["hits"]}, {"PERSON", "FR_NIR"})
        email = out[4]["hits"][0]
        self.assertEqual(email["type"], "EMAIL_ADDRESS")
        self.assertEqual((email["start"], email["end"]), (6, 20))

    def test_refuses_invalid_utf8_nul_and_oversize(self):
        for data in (b"caf\xc3 au lait", b"a\x00b"):
            res = pii("analyze", stdin=data)
            self.assertEqual(res.returncode, 1)
            self.assertIn(b"UTF-8", res.stderr)
            self.assertEqual(res.stdout, b"")
        res = pii("analyze", stdin=b"a" * (10 * 1024 * 1024 + 1))
        self.assertEqual(res.returncode, 1)
        self.assertIn(b"10 MiB", res.stderr)

    def test_usage_errors(self):
        for args in (("frobnicate",), ("analyze", "--lang", "de"), ("analyze", "--threshold", "2"),
                     ("analyze", "--entities", "NAME"), ("redact", "--operator", "shred"),
                     ("redact", "--operator", "hash"), ("restore",), ("analyze", "extra")):
            res = pii(*args)
            self.assertEqual(res.returncode, 2, args)


class RedactRestore(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coffre-e2e-pii-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_pseudonymize_then_restore(self):
        mapping = os.path.join(self.tmp, "mapping.json")
        res = pii("redact", "--mapping-out", mapping, stdin=TEXT)
        self.assertEqual(res.returncode, 0, res.stderr)
        out = res.stdout.decode()
        self.assertIn("<PERSON_1>", out)
        self.assertIn("<EMAIL_ADDRESS_1>", out)
        self.assertNotIn("Dupont", out)
        self.assertNotIn("06 12 34 56 78", out)
        self.assertEqual(stat.S_IMODE(os.stat(mapping).st_mode), 0o600)
        with open(mapping) as f:
            self.assertIn("Jean Dupont", f.read())
        # A model's answer with mangled tokens comes back with the real values.
        answer = out.replace("<PERSON_1>", "[person_1]").replace("<EMAIL_ADDRESS_1>",
                                                                 "EMAIL_ADDRESS_1")
        res = pii("restore", "--mapping", mapping, stdin=answer)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout.decode(), TEXT)

    def test_other_operators(self):
        res = pii("redact", "--operator", "redact", stdin="Appelez Jean Dupont au 06 12 34 56 78.")
        self.assertEqual(res.stdout.decode(), "Appelez <PERSON> au <PHONE_NUMBER>.")
        res = pii("redact", "--operator", "mask", "--mask-keep", "2",
                  stdin="Appelez le 06 12 34 56 78.")
        self.assertEqual(res.stdout.decode(), "Appelez le ************78.")
        key = os.path.join(self.tmp, "key")
        with open(key, "w") as f:
            f.write("ab" * 32 + "\n")
        outs = [pii("redact", "--operator", "hash", "--hash-key-file", key,
                    stdin="Jean Dupont et Jean Dupont").stdout.decode() for _ in range(2)]
        self.assertEqual(outs[0], outs[1])
        self.assertRegex(outs[0], r"^<PERSON_[0-9a-f]{8}> et <PERSON_[0-9a-f]{8}>$")


if __name__ == "__main__":
    unittest.main()
