"""The knowledge base end to end (issue 6, K1-K3 and K5): documents, versions, the trash,
collections, tags, limits and bad input, and the audit trail of every change.

The real binary over real TLS; what the vault holds is read back with vault_tool (query)
and the trail with `coffre audit export`. Requirement numbers are OWASP ASVS 5.0
(data/asvs/).
"""
import base64
import json
import os
import secrets
import subprocess
import time
import unittest
import urllib.parse

from accounts import (FAST_ARGON, add_user, admin_session, create_tenant, ok, signed_in,
                      stop_cleanly, vault_query)
from harness import Server, run

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.environ.get("VAULT_TOOL", os.path.join(HERE, "../../build/vault_tool"))
SETS = dict(FAST_ARGON, **{"server.rate_limit": "0", "auth.address_failures": "100000"})
PW = "correct horse battery staple"
NOID = "0" * 32
DOCS = "/api/v1/documents"




def vault_sql(srv, slug, sql):
    res = subprocess.run([TOOL, srv.data, slug, "sql", sql], capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        raise AssertionError(f"vault_tool sql {sql}: {res.stderr}")


def stored(srv, slug="acme"):
    """How many rows the knowledge-base tables hold."""
    tables = ("documents", "document_versions", "document_tags", "tags", "collections")
    row = vault_query(srv, slug, "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})"
                                                       for t in tables))[0]
    return dict(zip(tables, row))


def trail(srv, slug="acme"):
    """The tenant's audit trail through `coffre audit export` (the server may run)."""
    res = run("audit", "export", "--tenant", slug, "--data", srv.data)
    if res.returncode != 0:
        raise AssertionError("audit export: " + res.stderr)
    return res.stdout






def pages(c, path=DOCS, **query):
    """Every page of a list: [(items, next_cursor)...]."""
    out, cursor = [], None
    for _ in range(1000):
        q = dict(query)
        if cursor is not None:
            q["cursor"] = cursor
        doc = ok(c.call("GET", path + "?" + urllib.parse.urlencode(q)))
        out.append((doc["items"], doc["next_cursor"]))
        cursor = doc["next_cursor"]
        if cursor is None:
            return out
    raise AssertionError("the cursor never ends")


def listed(c, path=DOCS, **query):
    return [d["id"] for items, _ in pages(c, path, limit=200, **query) for d in items]


class KbCase(unittest.TestCase):
    SETTINGS = SETS

    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        try:
            cls.srv.start(sets=cls.SETTINGS)
            _, tok = create_tenant(cls.srv, "acme", "admin@acme.example")
            cls.admin = admin_session(cls.srv, "acme", "admin@acme.example", PW, tok)[0]
            cls.admin_id = ok(cls.admin.call("GET", "/api/v1/me"))["user"]["id"]
            cls.populate()
        except BaseException:
            cls.srv.close()
            raise

    @classmethod
    def populate(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.srv)

    def assertError(self, resp, status, code=None, msg=None):
        st, doc, _ = resp
        self.assertEqual(st, status, f"{msg}: {doc}")
        self.assertIsInstance(doc, dict, msg)
        self.assertIn("message", doc["error"], msg)
        if code is not None:
            self.assertEqual(doc["error"]["code"], code, msg)
        return doc["error"]

    def create(self, c=None, **fields):
        body = {"title": "A document", "body": "Some text.\n", "language": "en", **fields}
        return ok((c or self.admin).call("POST", DOCS, body), 201)


class Documents(KbCase):
    @classmethod
    def populate(cls):
        email = "editor@acme.example"
        cls.editor = signed_in(cls.srv, "acme", email, PW,
                               add_user(cls.srv, "acme", email, "editor"))
        cls.editor_id = ok(cls.editor.call("GET", "/api/v1/me"))["user"]["id"]

    # ---- create, read, list ----

    def test_create_and_read(self):
        before = time.time() * 1e6
        doc = self.create(title="Onboarding", body="# Welcome\n\nRead this.\n", language="fr",
                          collection="handbook", tags=["zeta", "Alpha"])
        self.assertRegex(doc["id"], r"^[0-9a-f]{32}$")
        self.assertEqual({k: doc[k] for k in ("title", "body", "language", "collection", "tags",
                                              "author", "updated_by", "version")},
                         {"title": "Onboarding", "body": "# Welcome\n\nRead this.\n",
                          "language": "fr", "collection": "handbook",
                          "tags": ["Alpha", "zeta"], "author": self.admin_id,
                          "updated_by": self.admin_id, "version": 1})
        self.assertEqual(doc["created_us"], doc["updated_us"])
        self.assertLessEqual(abs(doc["created_us"] - before), 60e6)
        self.assertNotIn("deleted_us", doc)
        self.assertEqual(ok(self.admin.call("GET", f"{DOCS}/{doc['id']}")), doc)
        self.assertEqual(ok(self.editor.call("GET", f"{DOCS}/{doc['id']}")), doc)
        # No collection and no tags are fine too.
        doc = self.create(title="Bare")
        self.assertEqual((doc["collection"], doc["tags"]), (None, []))
        self.assertError(self.admin.call("GET", f"{DOCS}/{NOID}"), 404, "not_found")

    def test_list_filters_sort_and_cursor_pagination(self):
        coll = "paging-" + secrets.token_hex(4)
        made = []
        for k in range(25):
            c = self.editor if k % 4 == 0 else self.admin
            tags = (["alpha"] if k % 3 == 0 else []) + (["beta"] if k % 5 == 0 else [])
            made.append(self.create(c, title=f"T{(k * 7) % 10}", collection=coll, tags=tags,
                                    language=("en", "fr", "de")[k % 3])["id"])
        for k in range(0, 25, 6):     # some are updated later: updated order != created order
            ok(self.admin.call("PUT", f"{DOCS}/{made[k]}", {"version": 1, "body": "again"}))
        docs = {i: ok(self.admin.call("GET", f"{DOCS}/{i}")) for i in made}
        keys = {"updated": "updated_us", "created": "created_us", "title": "title"}
        for sort, key in keys.items():
            for order in ("asc", "desc"):
                expected = sorted(made, key=lambda i: (docs[i][key], i), reverse=order == "desc")
                got = pages(self.admin, collection=coll, sort=sort, order=order, limit=7)
                self.assertEqual([len(items) for items, _ in got], [7, 7, 7, 4])
                self.assertEqual([n is None for _, n in got], [False, False, False, True])
                ids = [d["id"] for items, _ in got for d in items]
                self.assertEqual(ids, expected, (sort, order))     # each once, in order
                for items, _ in got:
                    for d in items:
                        self.assertNotIn("body", d)
                        self.assertEqual(d["title"], docs[d["id"]]["title"])
        # The default is the latest update first; a page as large as the list has no next.
        expected = sorted(made, key=lambda i: (docs[i]["updated_us"], i), reverse=True)
        self.assertEqual([d["id"] for d in ok(self.admin.call(
            "GET", f"{DOCS}?collection={coll}&limit=25"))["items"]], expected)
        self.assertIsNone(ok(self.admin.call("GET", f"{DOCS}?collection={coll}&limit=25"))
                          ["next_cursor"])
        self.assertEqual([len(i) for i, _ in pages(self.admin, collection=coll, limit=5)],
                         [5] * 5)
        # Filters, alone and together, with pages.
        for query, keep in (
                ({"language": "fr"}, lambda k: k % 3 == 1),
                ({"tag": "alpha"}, lambda k: k % 3 == 0),
                ({"tag": "ALPHA"}, lambda k: k % 3 == 0),
                ({"tag": "beta", "language": "en"}, lambda k: k % 5 == 0 and k % 3 == 0),
                ({"author": self.editor_id}, lambda k: k % 4 == 0),
                ({"author": self.editor_id, "tag": "alpha"}, lambda k: k % 12 == 0),
                ({"tag": "no-such-tag"}, lambda k: False),
                ({"author": NOID}, lambda k: False)):
            got = [d["id"] for items, _ in pages(self.admin, collection=coll, limit=2,
                                                 sort="title", order="asc", **query)
                   for d in items]
            expected = sorted((made[k] for k in range(25) if keep(k)),
                              key=lambda i: (docs[i]["title"], i))
            self.assertEqual(got, expected, query)
        self.assertEqual(listed(self.admin, collection="no-such-collection"), [])

    def test_bad_list_parameters_are_400(self):
        junk = [base64.urlsafe_b64encode(x).decode().rstrip("=") for x in (
            b'["x"]', b'[1, "zz"]', b'{"a": 1}', b'[1, "' + b"A" * 32 + b'"]', b"not json")]
        for q, code in (("sort=bogus", "bad_sort"), ("sort=TITLE", "bad_sort"),
                        ("sort=", "bad_sort"), ("order=up", "bad_order"),
                        ("order=ASC", "bad_order"), ("limit=0", "bad_limit"),
                        ("limit=201", "bad_limit"), ("limit=-1", "bad_limit"),
                        ("limit=abc", "bad_limit"), ("limit=", "bad_limit"),
                        ("limit=07", "bad_limit"), ("limit=1e3", "bad_limit"),
                        ("limit=4294967297", "bad_limit"),      # 2^32 + 1 is not 1
                        ("limit=99999999999999999999", "bad_limit"),
                        ("cursor=***", "bad_cursor"), ("cursor=", "bad_cursor"),
                        ("cursor=" + "A" * 800, "bad_cursor"),
                        *(("cursor=" + j, "bad_cursor") for j in junk)):
            self.assertError(self.admin.call("GET", f"{DOCS}?{q}"), 400, code, q)
        for q in ("limit=0", "limit=4294967297", "cursor=***"):
            self.assertError(self.admin.call("GET", f"/api/v1/trash?{q}"), 400, None, q)
        for q in ("limit=1", "limit=200", "sort=title&order=asc", "sort=created&order=desc"):
            ok(self.admin.call("GET", f"{DOCS}?{q}"))

    # ---- updates and versions ----

    def test_update_makes_a_version_and_stale_versions_conflict(self):
        doc = self.create(title="Policy", body="v1\n", collection="rules", tags=["law"])
        path = f"{DOCS}/{doc['id']}"
        time.sleep(0.002)
        new = ok(self.editor.call("PUT", path, {"version": 1, "body": "v2\n"}))
        self.assertEqual((new["version"], new["body"], new["title"], new["tags"],
                          new["collection"], new["author"], new["updated_by"]),
                         (2, "v2\n", "Policy", ["law"], "rules", self.admin_id,
                          self.editor_id))
        self.assertGreater(new["updated_us"], doc["updated_us"])
        self.assertEqual(new["created_us"], doc["created_us"])
        # Optimistic concurrency: an edit of version 1 is stale now, and changes nothing.
        err = self.assertError(self.admin.call("PUT", path, {"version": 1, "title": "Stale"}),
                               409, "version_conflict")
        self.assertEqual(err["current_version"], 2)
        self.assertError(self.admin.call("PUT", path, {"version": 3, "title": "Future"}), 409,
                         "version_conflict")
        for body in ({"title": "No version"}, {"version": "2", "title": "x"},
                     {"version": 0, "title": "x"}, {"version": -2, "title": "x"},
                     {"version": 2.0, "title": "x"}, {"version": None, "title": "x"}):
            self.assertError(self.admin.call("PUT", path, body), 400, "version_required", body)
        self.assertError(self.admin.call("PUT", path, {"version": 2, "owner": "x"}), 400,
                         "unknown_field")
        self.assertEqual(ok(self.admin.call("GET", path)), new)
        self.assertEqual(vault_query(self.srv, "acme", "SELECT version, author FROM "
                                     f"document_versions WHERE document_id = '{doc['id']}' "
                                     "ORDER BY version"),
                         [[1, self.admin_id], [2, self.editor_id]])
        # Fields left out keep their value; tags replace the list; null drops the collection.
        new = ok(self.admin.call("PUT", path, {"version": 2, "tags": ["Rules", "draft"],
                                               "collection": None, "language": "de"}))
        self.assertEqual((new["version"], new["tags"], new["collection"], new["language"],
                          new["body"], new["updated_by"]),
                         (3, ["draft", "Rules"], None, "de", "v2\n", self.admin_id))

    def test_versions_read_diff_and_restore(self):
        v1 = self.create(title="Plan v1", body="alpha\nbeta\ngamma\n", collection="C1",
                         tags=["x"])
        path = f"{DOCS}/{v1['id']}"
        ok(self.editor.call("PUT", path, {"version": 1, "title": "Plan v2",
                                          "body": "alpha\nBETA\ngamma\ndelta\n",
                                          "collection": "C2", "tags": ["x", "y"]}))
        ok(self.admin.call("PUT", path, {"version": 2, "language": "fr", "tags": [],
                                         "body": "alpha\nBETA\ngamma\ndelta\nepsilon\n"}))
        items = ok(self.admin.call("GET", path + "/versions"))["items"]
        self.assertEqual([(v["version"], v["title"], v["author"], v["note"]) for v in items],
                         [(3, "Plan v2", self.admin_id, ""), (2, "Plan v2", self.editor_id, ""),
                          (1, "Plan v1", self.admin_id, "")])
        times = [v["created_us"] for v in items]
        self.assertEqual(times, sorted(times, reverse=True))
        self.assertEqual(times[-1], v1["created_us"])
        want = {1: ("Plan v1", "alpha\nbeta\ngamma\n", "en", "C1", ["x"], self.admin_id),
                2: ("Plan v2", "alpha\nBETA\ngamma\ndelta\n", "en", "C2", ["x", "y"],
                    self.editor_id),
                3: ("Plan v2", "alpha\nBETA\ngamma\ndelta\nepsilon\n", "fr", "C2", [],
                    self.admin_id)}
        for n, fields in want.items():
            v = ok(self.admin.call("GET", f"{path}/versions/{n}"))
            self.assertEqual((v["title"], v["body"], v["language"], v["collection"], v["tags"],
                              v["author"], v["version"], v["id"]), fields + (n, v1["id"]))
        for n in ("0", "4", "99", "abc", "-1", "01", "1.0", "9" * 19):
            self.assertError(self.admin.call("GET", f"{path}/versions/{n}"), 404, "not_found", n)
        # A line diff, shaped like diff -u.
        d = ok(self.admin.call("GET", f"{path}/diff?from=1&to=2"))
        self.assertEqual((d["from"], d["to"], d["title_from"], d["title_to"]),
                         (1, 2, "Plan v1", "Plan v2"))
        self.assertEqual([[(ln["op"], ln["text"]) for ln in h["lines"]]
                          for h in d["diff"]["hunks"]],
                         [[(" ", "alpha"), ("-", "beta"), ("+", "BETA"), (" ", "gamma"),
                           ("+", "delta")]])
        self.assertEqual((d["diff"]["added"], d["diff"]["removed"]), (2, 1))
        back = ok(self.admin.call("GET", f"{path}/diff?from=3&to=1"))["diff"]
        self.assertEqual([(ln["op"], ln["text"]) for h in back["hunks"] for ln in h["lines"]
                          if ln["op"] != " "],
                         [("-", "BETA"), ("+", "beta"), ("-", "delta"), ("-", "epsilon")])
        self.assertEqual(ok(self.admin.call("GET", f"{path}/diff?from=2&to=2"))["diff"]["hunks"],
                         [])
        for q in ("", "from=1", "to=1", "from=0&to=1", "from=a&to=1", "from=-1&to=2"):
            self.assertError(self.admin.call("GET", f"{path}/diff?{q}"), 400, None, q)
        self.assertError(self.admin.call("GET", f"{path}/diff?from=1&to=9"), 404, "not_found")
        # Restoring version 1 makes version 4, equal to version 1, with a note.
        r = ok(self.editor.call("POST", f"{path}/versions/1/restore"))
        self.assertEqual((r["version"], r["title"], r["body"], r["language"], r["collection"],
                          r["tags"], r["updated_by"]),
                         (4, "Plan v1", "alpha\nbeta\ngamma\n", "en", "C1", ["x"],
                          self.editor_id))
        top = ok(self.admin.call("GET", path + "/versions"))["items"][0]
        self.assertEqual((top["version"], top["note"], top["author"]),
                         (4, "restored from version 1", self.editor_id))
        v4 = ok(self.admin.call("GET", f"{path}/versions/4"))
        self.assertEqual((v4["title"], v4["body"], v4["tags"], v4["collection"]),
                         want[1][:2] + (["x"], "C1"))
        self.assertEqual(ok(self.admin.call("GET", f"{path}/diff?from=1&to=4"))["diff"]["hunks"],
                         [])
        for n in ("99", "0", "x"):
            self.assertError(self.admin.call("POST", f"{path}/versions/{n}/restore"), 404,
                             "not_found", n)
        self.assertEqual(ok(self.admin.call("GET", path))["version"], 4)
        # A tag deleted since a version is not brought back by restoring it.
        tag = next(t for t in ok(self.admin.call("GET", "/api/v1/tags"))["items"]
                   if t["name"] == "y")
        self.assertEqual(self.admin.call("DELETE", f"/api/v1/tags/{tag['id']}?force=true")[0],
                         204)
        r = ok(self.admin.call("POST", f"{path}/versions/2/restore"))
        self.assertEqual((r["version"], r["tags"], r["collection"]), (5, ["x"], "C2"))
        self.assertEqual(ok(self.admin.call("GET", f"{path}/versions/2"))["tags"], ["x", "y"])

    # ---- the trash ----

    def test_trash_restore_and_purge(self):
        doc = self.create(title="Old memo", tags=["memo"], collection="memos")
        path, tid = f"{DOCS}/{doc['id']}", doc["id"]
        ok(self.admin.call("PUT", path, {"version": 1, "body": "second\n"}))
        self.assertEqual(self.editor.call("DELETE", path)[0], 204)
        self.assertError(self.admin.call("GET", path), 404, "not_found")
        self.assertNotIn(tid, listed(self.admin))
        for method, suffix, body in (("GET", "/versions", None), ("GET", "/versions/1", None),
                                     ("GET", "/diff?from=1&to=2", None),
                                     ("PUT", "", {"version": 2, "title": "x"}),
                                     ("POST", "/versions/1/restore", None),
                                     ("DELETE", "", None)):
            self.assertError(self.admin.call(method, path + suffix, body), 404, "not_found",
                             (method, suffix))
        trash = {d["id"]: d for d in
                 ok(self.editor.call("GET", "/api/v1/trash"))["items"]}
        self.assertIn(tid, trash)
        self.assertEqual((trash[tid]["deleted_by"], trash[tid]["title"], trash[tid]["version"]),
                         (self.editor_id, "Old memo", 2))
        self.assertNotIn("body", trash[tid])
        self.assertGreaterEqual(trash[tid]["deleted_us"], trash[tid]["updated_us"])
        # The tag and collection counts leave it out while it is in the trash.
        tags = {t["name"]: t["documents"] for t in
                ok(self.admin.call("GET", "/api/v1/tags"))["items"]}
        self.assertEqual(tags["memo"], 0)
        # Restored with its versions.
        r = ok(self.editor.call("POST", path + "/restore"))
        self.assertEqual((r["version"], r["body"], r["tags"], r["collection"]),
                         (2, "second\n", ["memo"], "memos"))
        self.assertNotIn("deleted_us", r)
        self.assertEqual([v["version"] for v in
                          ok(self.admin.call("GET", path + "/versions"))["items"]], [2, 1])
        self.assertNotIn(tid, listed(self.admin, "/api/v1/trash"))
        self.assertError(self.admin.call("POST", path + "/restore"), 404, "not_found")
        # A live document cannot be purged; purging needs trash.purge (editors lack it).
        self.assertError(self.admin.call("DELETE", f"/api/v1/trash/{tid}"), 404, "not_found")
        ok(self.admin.call("GET", path))
        self.assertEqual(self.admin.call("DELETE", path)[0], 204)
        err = self.assertError(self.editor.call("DELETE", f"/api/v1/trash/{tid}"), 403,
                               "forbidden")
        self.assertIn("trash.purge", err["message"])
        # Purged: gone with every version and tag link.
        self.assertEqual(self.admin.call("DELETE", f"/api/v1/trash/{tid}")[0], 204)
        self.assertNotIn(tid, listed(self.admin, "/api/v1/trash"))
        self.assertError(self.admin.call("GET", path), 404, "not_found")
        self.assertError(self.admin.call("POST", path + "/restore"), 404, "not_found")
        self.assertError(self.admin.call("DELETE", f"/api/v1/trash/{tid}"), 404, "not_found")
        for table, col in (("documents", "id"), ("document_versions", "document_id"),
                           ("document_tags", "document_id")):
            self.assertEqual(vault_query(self.srv, "acme", f"SELECT count(*) FROM {table} "
                                         f"WHERE {col} = '{tid}'"), [[0]], table)

    def test_trash_lists_newest_first_in_pages(self):
        made = [self.create(title=f"bin {k}")["id"] for k in range(5)]
        for i in made:
            self.assertEqual(self.admin.call("DELETE", f"{DOCS}/{i}")[0], 204)
        got = [d["id"] for items, _ in pages(self.admin, "/api/v1/trash", limit=2)
               for d in items]
        self.assertEqual([i for i in got if i in made], list(reversed(made)))
        self.assertEqual(len(got), len(set(got)))
        for i in made:
            self.assertEqual(self.admin.call("DELETE", f"/api/v1/trash/{i}")[0], 204)

    # ---- collections and tags ----

    def test_collections(self):
        c = self.admin
        proj = ok(c.call("POST", "/api/v1/collections", {"name": "Projects"}), 201)
        self.assertEqual(proj["name"], "Projects")
        self.assertRegex(proj["id"], r"^[0-9a-f]{32}$")
        self.assertError(c.call("POST", "/api/v1/collections", {"name": "projects"}), 409,
                         "name_taken")
        arch = ok(c.call("POST", "/api/v1/collections", {"name": "Archive"}), 201)
        # A document names a collection in any case; it is the same collection.
        a = self.create(collection="projects")
        b = self.create(collection="Projects")
        self.assertEqual((a["collection"], b["collection"]), ("Projects", "Projects"))
        # Renaming: a taken name (in any case) is 409, and nothing changes.
        for name in ("ARCHIVE", "archive"):
            self.assertError(c.call("PATCH", f"/api/v1/collections/{proj['id']}",
                                    {"name": name}), 409, "name_taken", name)
        for body, status, code in (({"name": ""}, 422, "invalid_name"),
                                   ({"name": "   "}, 422, "invalid_name"),
                                   ({"name": "x" * 101}, 422, "invalid_name"),
                                   ({"name": "a\u0007b"}, 422, "invalid_name"),
                                   ({"name": 5}, 422, "invalid_name"),
                                   ({"restricted": True}, 400, "unknown_field")):
            self.assertError(c.call("PATCH", f"/api/v1/collections/{proj['id']}", body),
                             status, code, body)
        self.assertError(c.call("PATCH", f"/api/v1/collections/{NOID}", {"name": "x"}), 404,
                         "not_found")
        self.assertError(c.call("PATCH", "/api/v1/collections/nope", {"name": "x"}), 404,
                         "not_found")
        r = ok(c.call("PATCH", f"/api/v1/collections/{proj['id']}", {"name": "Current work"}))
        self.assertEqual(r["name"], "Current work")
        self.assertEqual(ok(c.call("GET", f"{DOCS}/{a['id']}"))["collection"], "Current work")
        self.assertEqual(sorted(listed(c, collection="Current work")), sorted([a["id"], b["id"]]))
        counts = {x["name"]: x["documents"] for x in
                  ok(c.call("GET", "/api/v1/collections"))["items"]}
        self.assertEqual((counts["Current work"], counts["Archive"]), (2, 0))
        self.assertNotIn("Projects", counts)
        # Deleting a collection: its documents live on without one.
        self.assertEqual(c.call("DELETE", f"/api/v1/collections/{proj['id']}")[0], 204)
        for d in (a, b):
            got = ok(c.call("GET", f"{DOCS}/{d['id']}"))
            self.assertEqual((got["collection"], got["version"]), (None, 1))
        names = [x["name"] for x in ok(c.call("GET", "/api/v1/collections"))["items"]]
        self.assertNotIn("Current work", names)
        self.assertError(c.call("DELETE", f"/api/v1/collections/{proj['id']}"), 404,
                         "not_found")
        self.assertEqual(c.call("DELETE", f"/api/v1/collections/{arch['id']}")[0], 204)

    def test_tags(self):
        c = self.admin
        urgent = ok(c.call("POST", "/api/v1/tags", {"name": "Urgent"}), 201)
        self.assertEqual((urgent["name"], urgent["restricted"]), ("Urgent", False))
        self.assertError(c.call("POST", "/api/v1/tags", {"name": "urgent"}), 409, "name_taken")
        secret = ok(c.call("POST", "/api/v1/tags", {"name": "Sealed", "restricted": True}),
                    201)
        self.assertTrue(secret["restricted"])
        for body, status, code in (({"name": "x" * 65}, 422, "invalid_name"),
                                   ({"name": ""}, 422, "invalid_name"),
                                   ({"name": " lead"}, 422, "invalid_name"),
                                   ({"name": "a\nb"}, 422, "invalid_name"),
                                   ({}, 400, None), ({"name": "ok", "colour": "red"}, 400,
                                                     "unknown_field"),
                                   ({"name": "ok", "restricted": "yes"}, 400, "bad_request")):
            self.assertError(c.call("POST", "/api/v1/tags", body), status, code, body)
        a = self.create(tags=["urgent"])
        b = self.create(tags=["Urgent", "Other"])
        self.assertEqual((a["tags"], b["tags"]), (["Urgent"], ["Other", "Urgent"]))

        def counts():
            return {t["name"]: t for t in ok(c.call("GET", "/api/v1/tags"))["items"]}
        got = counts()
        self.assertEqual((got["Urgent"]["documents"], got["Other"]["documents"],
                          got["Sealed"]["documents"]), (2, 1, 0))
        # A restricted tag nobody granted is hidden even from the admin, who manages tags.
        self.assertEqual((got["Sealed"]["hidden_from_you"], got["Urgent"]["hidden_from_you"]),
                         (True, False))
        self.assertError(c.call("PATCH", f"/api/v1/tags/{urgent['id']}", {"name": "OTHER"}),
                         409, "name_taken")
        r = ok(c.call("PATCH", f"/api/v1/tags/{urgent['id']}", {"name": "Pressing"}))
        self.assertEqual((r["name"], r["restricted"]), ("Pressing", False))
        self.assertEqual(ok(c.call("GET", f"{DOCS}/{a['id']}"))["tags"], ["Pressing"])
        self.assertEqual(sorted(listed(c, tag="pressing")), sorted([a["id"], b["id"]]))
        # A tag in use goes only with force=true, which takes it off the documents.
        err = self.assertError(c.call("DELETE", f"/api/v1/tags/{urgent['id']}"), 409,
                               "tag_in_use")
        self.assertEqual(err["documents"], 2)
        for q in ("force=false", "force=maybe", "force=1"):
            resp = c.call("DELETE", f"/api/v1/tags/{urgent['id']}?{q}")
            self.assertIn(resp[0], (400, 409), q)
        self.assertEqual(ok(c.call("GET", f"{DOCS}/{b['id']}"))["tags"], ["Other", "Pressing"])
        self.assertEqual(c.call("DELETE", f"/api/v1/tags/{urgent['id']}?force=true")[0], 204)
        self.assertEqual(ok(c.call("GET", f"{DOCS}/{a['id']}"))["tags"], [])
        self.assertEqual(ok(c.call("GET", f"{DOCS}/{b['id']}"))["tags"], ["Other"])
        self.assertNotIn("Pressing", counts())
        self.assertError(c.call("DELETE", f"/api/v1/tags/{urgent['id']}"), 404, "not_found")
        self.assertEqual(c.call("DELETE", f"/api/v1/tags/{secret['id']}")[0], 204)
        # Counts leave out trashed documents.
        self.assertEqual(c.call("DELETE", f"{DOCS}/{b['id']}")[0], 204)
        self.assertEqual(counts()["Other"]["documents"], 0)

    # ---- limits and bad input ----

    def test_limits_and_bad_input_store_nothing(self):
        # ASVS 2.2.1 and 2.2.2: input is validated on the server against a positive model;
        # ASVS 2.3.3: a refusal stores nothing.
        base = {"title": "Fine", "body": "fine\n", "language": "en"}
        cases = [
            (dict(base, title="t" * 301), 422, "invalid_title"),
            (dict(base, title="é" * 150 + "x"), 422, "invalid_title"),     # 301 bytes
            (dict(base, title=""), 422, "invalid_title"),
            (dict(base, title="   "), 422, "invalid_title"),
            ({"body": "b", "language": "en"}, 422, "invalid_title"),
            (dict(base, title="bell\u0007"), 422, "invalid_title"),
            (dict(base, title="two\nlines"), 422, "invalid_title"),
            (dict(base, title="tab\there"), 422, "invalid_title"),
            (dict(base, title="del\u007f"), 422, "invalid_title"),
            (dict(base, body="b" * (512 * 1024 + 1)), 413, "body_too_large"),
            (dict(base, body="esc \u001b[31m red"), 422, "invalid_body"),
            (dict(base, body="bell \u0007"), 422, "invalid_body"),
            (dict(base, body="nul \u0000 byte"), 400, None),
            (dict(base, title="nul \u0000"), 400, None),
            (dict(base, tags=[f"t{k}" for k in range(33)]), 422, "too_many_tags"),
            (dict(base, tags=["x" * 65]), 422, "invalid_tag"),
            (dict(base, tags=["é" * 32 + "x"]), 422, "invalid_tag"),         # 65 bytes
            (dict(base, tags=[""]), 422, "invalid_tag"),
            (dict(base, tags=["a\u0007"]), 422, "invalid_tag"),
            (dict(base, tags=["Dup", "dup"]), 422, "duplicate_tag"),
            (dict(base, tags=["same", "same"]), 422, "duplicate_tag"),
            (dict(base, language="xx"), 422, "invalid_language"),
            (dict(base, language="EN"), 422, "invalid_language"),
            (dict(base, language="eng"), 422, "invalid_language"),
            ({"title": "t", "body": "b"}, 422, "invalid_language"),
            (dict(base, collection="  "), 422, "invalid_collection"),
            (dict(base, collection="c" * 101), 422, "invalid_collection"),
            (dict(base, owner="x"), 400, "unknown_field"),
            (dict(base, version=1), 400, "unknown_field"),
            (dict(base, tags="a"), 400, "bad_request"),
            (dict(base, tags=[1]), 400, "bad_request"),
            (dict(base, tags=None), 400, "bad_request"),
            (dict(base, title=5), 400, "bad_request"),
            (dict(base, body=None), 400, "bad_request"),
            (dict(base, language=["en"]), 400, "bad_request"),
            (dict(base, collection=5), 400, "bad_request"),
            ([base], 400, "bad_request"),
        ]
        before = stored(self.srv)
        for body, status, code in cases:
            shown = json.dumps(body)[:80]
            err = self.assertError(self.editor.call("POST", DOCS, body), status, code, shown)
            self.assertLess(len(json.dumps(err)), 1000, shown)
        # Raw bytes: invalid UTF-8, broken JSON, duplicate keys, an empty body.
        h = {"Content-Type": "application/json"}
        for raw in (b'{"title": "\xff\xfe", "body": "b", "language": "en"}',
                    b'{"title": "ok", "body": "\xc3\x28", "language": "en"}',
                    b'{"title": "ed\xed\xa0\x80", "body": "b", "language": "en"}',
                    b'{"title": "t", "body": "b", "language": "en"',
                    b'{"title": "t", "title": "u", "body": "b", "language": "en"}',
                    b'"just a string"', b"null", b""):
            self.assertError(self.editor.call("POST", DOCS, raw, headers=h), 400, None, raw)
        self.assertError(self.editor.call("POST", DOCS, b'{"title": "\xff", "body": "b", '
                                          b'"language": "en"}', headers=h), 400,
                         "malformed_json")
        self.assertEqual(stored(self.srv), before)
        # Updates refuse the same, and the document keeps its version.
        doc = self.create()
        path = f"{DOCS}/{doc['id']}"
        before = stored(self.srv)
        for body, status, code in (
                ({"title": "t" * 301}, 422, "invalid_title"), ({"title": ""}, 422,
                                                               "invalid_title"),
                ({"title": "bell\u0007"}, 422, "invalid_title"),
                ({"body": "b" * (512 * 1024 + 1)}, 413, "body_too_large"),
                ({"body": "esc \u001b"}, 422, "invalid_body"),
                ({"body": "nul \u0000"}, 400, None),
                ({"tags": [f"t{k}" for k in range(33)]}, 422, "too_many_tags"),
                ({"tags": ["x" * 65]}, 422, "invalid_tag"),
                ({"tags": ["Dup", "dup"]}, 422, "duplicate_tag"),
                ({"language": "xx"}, 422, "invalid_language"),
                ({"collection": "  "}, 422, "invalid_collection"),
                ({"owner": "x"}, 400, "unknown_field"), ({"tags": "a"}, 400, "bad_request"),
                ({"title": 5}, 400, "bad_request"), ({"title": None}, 400, "bad_request")):
            self.assertError(self.editor.call("PUT", path, dict(body, version=1)), status, code,
                             json.dumps(body)[:80])
        self.assertEqual(stored(self.srv), before)
        self.assertEqual(ok(self.admin.call("GET", path)), doc)

    def test_limits_are_inclusive(self):
        big = "b" * (512 * 1024 - 3) + "\n\t\n"
        doc = self.create(title="é" * 150, body=big, tags=[f"t{k}" for k in range(31)] +
                          ["x" * 64], collection="c" * 100)
        self.assertEqual((len(doc["title"].encode()), len(doc["body"]), len(doc["tags"])),
                         (300, 512 * 1024, 32))
        self.assertEqual(ok(self.admin.call("GET", f"{DOCS}/{doc['id']}"))["body"], big)
        self.assertEqual(self.admin.call("DELETE", f"{DOCS}/{doc['id']}")[0], 204)
        self.assertEqual(self.admin.call("DELETE", f"/api/v1/trash/{doc['id']}")[0], 204)

    def test_path_tricks_are_404_or_400_never_500(self):
        doc = self.create()
        for raw in ("..%2f..%2fetc%2fpasswd", "..%2F..%2Fetc", "a" * 33, doc["id"].upper(),
                    doc["id"][:31], "%2e%2e", "%00", "' OR 1=1 --", doc["id"] + "%20",
                    doc["id"] + "%0a", "x" * 5000):
            seg = urllib.parse.quote(raw, safe="%")
            for method, suffix, body in (("GET", "", None), ("GET", "/versions", None),
                                         ("GET", "/versions/1", None),
                                         ("PUT", "", {"version": 1, "title": "x"}),
                                         ("DELETE", "", None),
                                         ("POST", "/restore", None)):
                st, d, _ = self.admin.call(method, f"{DOCS}/{seg}{suffix}", body)
                self.assertIn(st, (400, 404, 414, 431), (raw[:40], method, suffix, d))
                if st in (400, 404):
                    self.assertIn("error", d)
        for path in (f"{DOCS}/../../etc/passwd", f"{DOCS}/{doc['id']}/../../trash",
                     f"/api/v1/trash/{doc['id'].upper()}", "/api/v1/tags/..%2f",
                     "/api/v1/collections/" + "f" * 33):
            for method in ("GET", "DELETE"):
                st, d, _ = self.admin.call(method, path)
                self.assertIn(st, (400, 404, 405), (path, method, d))
        self.assertEqual(ok(self.admin.call("GET", f"{DOCS}/{doc['id']}")), doc)

    def test_nul_in_a_path_is_not_cut_off(self):
        # The server keeps %00 (and other control bytes) encoded when it decodes a path, so
        # /documents/ID%00anything can never be read as /documents/ID.
        doc = self.create()
        for method, suffix in (("GET", "%00"), ("GET", "%00/../../trash"),
                               ("GET", "%00/versions")):
            st, d, _ = self.admin.call(method, f"{DOCS}/{doc['id']}{suffix}")
            self.assertIn(st, (400, 404), (suffix, d))

    # ---- the audit trail ----

    def test_every_change_is_audited_without_titles_or_bodies(self):
        # ASVS 16.2.1 and 16.3.3: who did what to which object; 16.2.5: no document text in
        # the trail.
        mark = secrets.token_hex(8)
        title, body = f"Salary review TITLE{mark}", f"Confidential BODY{mark}\n"
        a, e = self.admin, self.editor
        doc = self.create(e, title=title, body=body, tags=[f"newtag{mark}"],
                          collection=f"newcoll{mark}")
        path, did = f"{DOCS}/{doc['id']}", doc["id"]
        ok(a.call("PUT", path, {"version": 1, "title": title + " v2", "body": body * 2}))
        ok(e.call("POST", f"{path}/versions/1/restore"))
        self.assertEqual(e.call("DELETE", path)[0], 204)
        ok(e.call("POST", f"{path}/restore"))
        self.assertEqual(a.call("DELETE", path)[0], 204)
        self.assertEqual(a.call("DELETE", f"/api/v1/trash/{did}")[0], 204)
        tag = ok(a.call("POST", "/api/v1/tags", {"name": f"tag{mark}"}), 201)["id"]
        ok(a.call("PATCH", f"/api/v1/tags/{tag}", {"name": f"tag2{mark}", "restricted": True}))
        rid = ok(a.call("POST", "/api/v1/roles", {"name": f"role{mark}",
                                                  "permissions": ["documents.read"],
                                                  "pages": []}), 201)["id"]
        ok(a.call("PUT", f"/api/v1/roles/{rid}", {"name": f"role{mark}",
                                                  "permissions": ["documents.write"],
                                                  "pages": []}))
        ok(a.call("PUT", f"/api/v1/roles/{rid}/tags", {"allow": [f"tag2{mark}"], "deny": []}))
        ok(a.call("PUT", f"/api/v1/users/{self.editor_id}/tags",
                  {"allow": [], "deny": [f"tag2{mark}"]}))
        ok(a.call("PUT", f"/api/v1/users/{self.editor_id}/tags", {"allow": [], "deny": []}))
        self.assertEqual(a.call("DELETE", f"/api/v1/roles/{rid}")[0], 204)
        self.assertEqual(a.call("DELETE", f"/api/v1/tags/{tag}")[0], 204)
        coll = ok(e.call("POST", "/api/v1/collections", {"name": f"coll{mark}"}), 201)["id"]
        ok(e.call("PATCH", f"/api/v1/collections/{coll}", {"name": f"coll2{mark}"}))
        self.assertEqual(e.call("DELETE", f"/api/v1/collections/{coll}")[0], 204)
        tags = {t["name"]: t["id"] for t in ok(a.call("GET", "/api/v1/tags"))["items"]}
        colls = {x["name"]: x["id"] for x in ok(a.call("GET", "/api/v1/collections"))["items"]}
        text = trail(self.srv)
        entries = [json.loads(line) for line in text.splitlines()]
        got = [(x["event"], x["actor"], x["target"], x["outcome"]) for x in entries]
        A, E = self.admin_id, self.editor_id
        for expected in [("doc.create", E, did), ("doc.update", A, did),
                         ("doc.version.restore", E, did), ("doc.delete", E, did),
                         ("doc.restore", E, did), ("doc.delete", A, did),
                         ("doc.purge", A, did), ("tag.create", A, tag), ("tag.update", A, tag),
                         ("tag.delete", A, tag), ("role.create", A, rid),
                         ("role.update", A, rid), ("role.grants.update", A, rid),
                         ("user.grants.update", A, E), ("role.delete", A, rid),
                         ("collection.create", E, coll), ("collection.update", E, coll),
                         ("collection.delete", E, coll)]:
            self.assertIn(expected + ("success",), got, expected)
        # Tags and collections made by writing a document are audited too.
        self.assertIn(("tag.create", E, tags[f"newtag{mark}"], "success"), got)
        self.assertIn(("collection.create", E, colls[f"newcoll{mark}"], "success"), got)
        detail = {x["event"]: x["detail"] for x in entries if x["target"] == did}
        self.assertEqual(detail["doc.version.restore"]["from_version"], 1)
        self.assertEqual(detail["doc.purge"]["reason"], "admin")
        self.assertNotIn(f"TITLE{mark}", text)
        self.assertNotIn(f"BODY{mark}", text)
        self.assertNotIn(f"BODY{mark}", self.srv.stderr())


class TrashRetention(KbCase):
    # The background job purges what stayed in the trash beyond kb.trash_retention_days.
    SETTINGS = dict(SETS, **{"kb.trash_retention_days": "1", "audit.purge_interval": "5"})

    def test_trash_is_purged_after_retention(self):
        old = self.create(title="Expired", tags=["gone"])
        young = self.create(title="Recent")
        for d in (old, young):
            self.assertEqual(self.admin.call("DELETE", f"{DOCS}/{d['id']}")[0], 204)
        # Two days ago, while the server runs.
        vault_sql(self.srv, "acme", "UPDATE documents SET deleted = deleted - "
                  f"{2 * 86400 * 1000000} WHERE id = '{old['id']}'")
        end = time.monotonic() + 20
        while time.monotonic() < end:
            if old["id"] not in listed(self.admin, "/api/v1/trash"):
                break
            time.sleep(0.5)
        trash = listed(self.admin, "/api/v1/trash")
        self.assertNotIn(old["id"], trash)
        self.assertIn(young["id"], trash)           # within its retention: kept
        self.assertEqual(vault_query(self.srv, "acme", "SELECT count(*) FROM document_versions "
                                     f"WHERE document_id = '{old['id']}'"), [[0]])
        self.assertEqual(vault_query(self.srv, "acme", "SELECT count(*) FROM document_tags "
                                     f"WHERE document_id = '{old['id']}'"), [[0]])
        entries = [json.loads(line) for line in trail(self.srv).splitlines()]
        purges = [x for x in entries if x["event"] == "doc.purge"]
        self.assertEqual([(x["target"], x["actor"], x["detail"]["reason"]) for x in purges],
                         [(old["id"], "system", "retention")])


if __name__ == "__main__":
    unittest.main()
