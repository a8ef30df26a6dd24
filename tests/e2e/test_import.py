"""`coffre import --tenant SLUG PATH` end to end (K5, issue 6 items 8 and 9): a folder with
good files, bad files and path tricks becomes documents; the report says what was refused and
why; refused files leave nothing behind; a dry run creates nothing; each document is audited."""
import json
import os
import re
import shutil
import tempfile
import unittest

from test_vaults import tool, VaultCase

SECRET = "SECRET-outside-7f3a-never-imported"


def sql_text(value):
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


class ImportCase(VaultCase):
    def setUp(self):
        super().setUp()
        self.create("acme", "ada@acme.example")
        self.work = tempfile.mkdtemp(prefix="coffre-import-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)

    def write(self, rel, content):
        path = os.path.join(self.work, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
        return path

    def import_(self, *args):
        return self.coffre("import", *args)

    def assertVault(self, query, expected):
        """query (one value) on the vault IS expected. vault_tool sql prints no rows, so the
        comparison runs in SQL and a mismatch fails the statement (json() of bad text)."""
        res = tool(self.data, "acme", "sql", f"SELECT CASE WHEN ({query}) IS "
                   f"{sql_text(expected)} THEN 1 ELSE json('mismatch') END")
        self.assertEqual(res.returncode, 0, f"vault: ({query}) is not {expected!r}: "
                         f"{res.stderr.strip()}")

    def count(self, where="1"):
        return f"SELECT count(*) FROM documents WHERE {where}"

    def assertDocument(self, title, language, collection, tags, body=None):
        """The document titled title: its language, collection, tags (sorted), author
        'import' and one version by 'import'."""
        expected = json.dumps([language, collection, sorted(tags), "import", 1, 1, "import"],
                              ensure_ascii=False, separators=(",", ":"))
        self.assertVault(
            "SELECT json_array(d.language, c.name, json((SELECT json_group_array(name) FROM "
            "(SELECT t.name FROM document_tags dt JOIN tags t ON t.id = dt.tag_id WHERE "
            "dt.document_id = d.id ORDER BY t.name COLLATE BINARY))), d.author, d.version, "
            "(SELECT count(*) FROM document_versions v WHERE v.document_id = d.id), "
            "(SELECT v.author FROM document_versions v WHERE v.document_id = d.id AND "
            "v.version = 1)) FROM documents d LEFT JOIN collections c ON c.id = "
            f"d.collection_id WHERE d.title = {sql_text(title)}", expected)
        if body is not None:
            self.assertVault(f"SELECT body FROM documents WHERE title = {sql_text(title)}",
                             body)

    def audit_creates(self):
        res = self.coffre("audit", "export", "--tenant", "acme")
        self.assertEqual(res.returncode, 0, res.stderr)
        entries = [json.loads(line) for line in res.stdout.splitlines()]
        return [e for e in entries if e["event"] == "doc.create"]


class Import(ImportCase):
    def build_folder(self):
        """The test folder: good files in three folders, then every kind of bad input."""
        self.write("Welcome.md", "# Welcome to Acme\n\nFirst steps.\n")
        self.write("notes_on-things.txt", "plain text, no heading\n")
        self.write("Guides/flow.md", "---\ntitle: Démarrage rapide\ntags: [onboarding, "
                   "\"Ops, Prod\"]\nlang: fr\nauthor: ignored\n---\n\n# Not the title\n"
                   "Bienvenue.\n")
        self.write("Guides/comma.md", "---\ntags: alpha, beta\nlanguage: fr\n---\n"
                   "text\n## Second level title\n### third\n")
        self.write("Guides/block.md", "---\r\ntitle: Block list\r\nlang: fr\r\ntags:\r\n"
                   "  - gamma\r\n  - delta\r\n---\r\nbody\r\n")
        self.write("Guides/badlang.md", "---\nlang: xx\ntags: [never-created]\n---\n# L\n")
        self.write("Guides/Advanced/deep.md", "# Deep\n```\n# not a title\n```\n")
        self.write("bad-utf8.md", b"# Caf\xe9\n")
        self.write("nul.md", b"# Nul\n\x00after\n")
        self.write("control.md", "# Bell\n\x07ring\n")
        self.write("big.md", b"#" + b"a" * (512 * 1024))
        self.write(".hidden.md", "# Hidden\n")
        self.write(".git/HEAD.md", "# In a hidden folder\n")
        self.write("report.pdf", b"%PDF-1.4\n")
        self.write("new\nline.md", "# Newline\n")
        os.symlink("/etc/passwd", os.path.join(self.work, "passwd.md"))
        outside = tempfile.mkdtemp(prefix="coffre-outside-")
        self.addCleanup(shutil.rmtree, outside, ignore_errors=True)
        with open(os.path.join(outside, "secret.md"), "w") as f:
            f.write(f"# {SECRET}\n{SECRET}\n")
        os.symlink(outside, os.path.join(self.work, "outside"))
        # ".." cannot lead anywhere: a link named like a folder escape is a link.
        os.symlink("../..", os.path.join(self.work, "Guides", "up"))

    def test_import_folder(self):
        self.build_folder()
        res = self.import_("--tenant", "acme", self.work)
        self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
        lines = res.stdout.splitlines()
        ids = {}
        for line in lines:
            m = re.fullmatch(r"imported (.+) -> ([0-9a-f]{32})", line)
            if m:
                ids[m.group(1)] = m.group(2)
        # One line per entry, in byte order of the paths, the newline escaped.
        self.assertEqual([re.split(r" -> |: ", line)[0] for line in lines[:-1]], [
            "skipped .git", "skipped .hidden.md",
            "imported Guides/Advanced/deep.md", "refused Guides/badlang.md",
            "imported Guides/block.md", "imported Guides/comma.md",
            "imported Guides/flow.md", "refused Guides/up",
            "imported Welcome.md", "refused bad-utf8.md", "refused big.md",
            "refused control.md", "refused new\\nline.md", "imported notes_on-things.txt",
            "refused nul.md", "refused outside", "refused passwd.md", "skipped report.pdf"])
        self.assertEqual(lines[-1], "6 imported, 9 refused, 3 skipped")
        reasons = dict(line.split(": ", 1) for line in lines if ": " in line)
        self.assertEqual(reasons["skipped .git"], "hidden")
        self.assertEqual(reasons["skipped report.pdf"], "unsupported type")
        self.assertEqual(reasons["refused passwd.md"], "symbolic link")
        self.assertEqual(reasons["refused outside"], "symbolic link")
        self.assertEqual(reasons["refused Guides/up"], "symbolic link")
        self.assertEqual(reasons["refused bad-utf8.md"], "not valid UTF-8")
        self.assertEqual(reasons["refused nul.md"], "contains a NUL byte")
        self.assertIn("too large", reasons["refused big.md"])
        self.assertIn("control characters", reasons["refused control.md"])
        self.assertIn("ISO 639-1", reasons["refused Guides/badlang.md"])
        self.assertIn("control characters", reasons["refused new\\nline.md"])

        # What is in the vault: the six documents and nothing of the refused files.
        self.assertVault(self.count(), 6)
        self.assertDocument("Welcome to Acme", "en", None, [],
                            "# Welcome to Acme\n\nFirst steps.\n")
        self.assertDocument("notes on things", "en", None, [])
        self.assertDocument("Démarrage rapide", "fr", "Guides", ["onboarding", "Ops, Prod"],
                            "# Not the title\nBienvenue.\n")
        self.assertDocument("Second level title", "fr", "Guides", ["alpha", "beta"])
        self.assertDocument("Block list", "fr", "Guides", ["gamma", "delta"], "body\r\n")
        self.assertDocument("Deep", "en", "Guides / Advanced", [])
        self.assertVault("SELECT json_group_array(name) FROM (SELECT name FROM collections "
                         "ORDER BY name)", '["Guides","Guides / Advanced"]')
        self.assertVault("SELECT count(*) FROM tags", 6)
        self.assertVault("SELECT count(*) FROM tags WHERE name = 'never-created'", 0)
        self.assertVault(self.count(f"body LIKE '%{SECRET}%' OR title LIKE '%{SECRET}%' OR "
                                    "body LIKE '%root:%' OR title IN ('L', 'Bell', 'Nul', "
                                    "'Newline', 'Hidden', 'In a hidden folder')"), 0)
        # Each document has its id in the report and one doc.create entry by 'import'.
        self.assertEqual(len(ids), 6)
        for rel, doc_id in ids.items():
            self.assertVault(self.count(f"id = '{doc_id}'"), 1)
        creates = self.audit_creates()
        self.assertEqual(sorted(e["target"] for e in creates), sorted(ids.values()))
        self.assertEqual({e["actor"] for e in creates}, {"import"})
        self.assertEqual({e["outcome"] for e in creates}, {"success"})
        self.assertEqual(self.coffre("audit", "verify", "--tenant", "acme").returncode, 0)

        # A second import, of a clean folder, goes through and exits 0.
        clean = tempfile.mkdtemp(prefix="coffre-clean-")
        self.addCleanup(shutil.rmtree, clean, ignore_errors=True)
        with open(os.path.join(clean, "later.md"), "w") as f:
            f.write("# Later\n")
        res = self.import_("--tenant", "acme", clean)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertRegex(res.stdout, r"^imported later.md -> [0-9a-f]{32}\n"
                         r"1 imported, 0 refused, 0 skipped\n$")
        self.assertDocument("Later", "en", None, [])
        self.assertVault(self.count(), 7)
        self.assertEqual(len(self.audit_creates()), 7)

    def test_dry_run_creates_nothing(self):
        self.build_folder()
        res = self.import_("--tenant", "acme", "--dry-run", self.work)
        self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
        self.assertIn("would import Guides/flow.md\n", res.stdout)
        self.assertIn("refused passwd.md: symbolic link\n", res.stdout)
        self.assertTrue(res.stdout.endswith(
            "6 would be imported, 9 refused, 3 skipped (dry run: nothing was created)\n"))
        self.assertNotRegex(res.stdout, r"[0-9a-f]{32}")
        res = self.import_("--tenant", "acme", "--dry-run", "--json", self.work)
        self.assertEqual(res.returncode, 1, res.stderr)
        doc = json.loads(res.stdout)
        self.assertTrue(doc["dry_run"])
        self.assertEqual(len(doc["imported"]), 6)
        self.assertEqual({d["id"] for d in doc["imported"]}, {None})
        self.assertIn({"path": "Guides/flow.md", "id": None, "title": "Démarrage rapide"},
                      doc["imported"])
        self.assertIn({"path": "new\\nline.md",
                       "reason": "name is not UTF-8 or has control characters"},
                      doc["refused"])
        self.assertEqual(len(doc["refused"]), 9)
        self.assertEqual(len(doc["skipped"]), 3)
        self.assertVault(self.count(), 0)
        self.assertVault("SELECT count(*) FROM tags", 0)
        self.assertVault("SELECT count(*) FROM collections", 0)
        self.assertEqual(self.audit_creates(), [])

    def test_clean_folders(self):
        """A clean folder exits 0; importing again adds new documents (an import does not
        look for earlier ones); --language sets the default, --json reports ids."""
        self.write("Handbook/one.md", "# One\n")
        self.write("Handbook/two.markdown", "---\nlang: fr\n---\n# Deux\n")
        res = self.import_("--tenant", "acme", "--language", "de", self.work)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertTrue(res.stdout.endswith("2 imported, 0 refused, 0 skipped\n"))
        self.assertDocument("One", "de", "Handbook", [])
        self.assertDocument("Deux", "fr", "Handbook", [])
        res = self.import_("--tenant", "acme", "--json", self.work)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        doc = json.loads(res.stdout)
        self.assertEqual(doc["refused"], [])
        self.assertEqual([d["path"] for d in doc["imported"]],
                         ["Handbook/one.md", "Handbook/two.markdown"])
        for d in doc["imported"]:
            self.assertRegex(d["id"], r"^[0-9a-f]{32}$")
            self.assertVault(self.count(f"id = '{d['id']}' AND language = "
                                        f"'{'fr' if d['title'] == 'Deux' else 'en'}'"), 1)
        self.assertVault(self.count(), 4)
        self.assertVault("SELECT count(*) FROM collections", 1)
        self.assertEqual(len(self.audit_creates()), 4)

    def test_usage_errors(self):
        self.write("a.md", "# A\n")
        file_path = os.path.join(self.work, "a.md")
        for args in [(self.work,), ("--tenant", "acme"), ("--tenant", "acme", file_path),
                     ("--tenant", "acme", os.path.join(self.work, "missing")),
                     ("--tenant", "acme", self.work, self.work),
                     ("--tenant", "acme", "--language", "xx", self.work),
                     ("--tenant", "acme", "--bogus", self.work)]:
            res = self.import_(*args)
            self.assertEqual(res.returncode, 2, (args, res.stdout, res.stderr))
            self.assertEqual(res.stdout, "")
        res = self.import_("--tenant", "nobody", self.work)
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn("no tenant nobody", res.stderr)
        self.assertVault(self.count(), 0)


if __name__ == "__main__":
    unittest.main()
