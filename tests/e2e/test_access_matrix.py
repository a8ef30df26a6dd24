"""Roles x permissions x tags x routes (issue 6, I7 and I8): exactly who sees what.

The real binary over real TLS. One vault (acme) holds users with built-in and custom roles,
role and user tag grants, and a document for each interesting combination of tags. The
visibility rule of docs/access.md is written once below as a Python function; every
expectation (lists, reads, counts, filters, trash) is derived from it and from the grants
the test made, so the matrix is data, not hand-copied answers. Also: every route of
src/api/routes.c against every permission, a second tenant (beta) trying to reach acme's
data, grants that apply at once, writing with hidden tags, and the roles API with the
last-admin guard. Requirement numbers are OWASP ASVS 5.0 (data/asvs/).
"""
import os
import re
import unittest
import urllib.parse

from accounts import (FAST_ARGON, Client, add_user, admin_session, create_tenant, ok, signed_in,
                      stop_cleanly, vault_query)
from harness import Server

HERE = os.path.dirname(os.path.abspath(__file__))
ROUTES_C = os.path.join(HERE, "../../src/api/routes.c")
SETS = dict(FAST_ARGON, **{"server.rate_limit": "0", "auth.address_failures": "100000"})
PW = "correct horse battery staple"
NOID = "0" * 32         # a well-formed id that names nothing

ALL_PERMS = ["documents.read", "documents.write", "documents.delete", "trash.purge",
             "tags.manage", "collections.manage", "users.manage", "roles.manage", "audit.read",
             "settings.manage", "gdpr.manage", "backups.manage", "ai.use", "pii.use"]
ALL_PAGES = ["search", "documents", "trash", "tags", "collections", "users", "roles", "audit",
             "settings", "gdpr", "backups", "ask"]

# What every route of src/api/routes.c needs (docs/access.md): the specification the route
# table is compared with, then every route is called by holders and non-holders of every
# permission. Routes open to everyone or to any signed-in caller are not listed.
ROUTE_PERMS = [
    ("POST", "/api/v1/invitations", "users.manage"),
    ("GET", "/api/v1/users", "users.manage"),
    ("PATCH", "/api/v1/users/{id}", "users.manage"),
    ("POST", "/api/v1/users/{id}/unlock", "users.manage"),
    ("GET", "/api/v1/settings/auth", "settings.manage"),
    ("PUT", "/api/v1/settings/auth", "settings.manage"),
    ("GET", "/api/v1/users/{id}/tags", "roles.manage"),
    ("PUT", "/api/v1/users/{id}/tags", "roles.manage"),
    ("GET", "/api/v1/roles", "roles.manage"),
    ("POST", "/api/v1/roles", "roles.manage"),
    ("GET", "/api/v1/roles/{id}", "roles.manage"),
    ("PUT", "/api/v1/roles/{id}", "roles.manage"),
    ("DELETE", "/api/v1/roles/{id}", "roles.manage"),
    ("GET", "/api/v1/roles/{id}/tags", "roles.manage"),
    ("PUT", "/api/v1/roles/{id}/tags", "roles.manage"),
    ("GET", "/api/v1/documents", "documents.read"),
    ("POST", "/api/v1/documents", "documents.write"),
    ("GET", "/api/v1/documents/{id}", "documents.read"),
    ("PUT", "/api/v1/documents/{id}", "documents.write"),
    ("DELETE", "/api/v1/documents/{id}", "documents.delete"),
    ("GET", "/api/v1/documents/{id}/versions", "documents.read"),
    ("GET", "/api/v1/documents/{id}/versions/{n}", "documents.read"),
    ("POST", "/api/v1/documents/{id}/versions/{n}/restore", "documents.write"),
    ("GET", "/api/v1/documents/{id}/diff", "documents.read"),
    ("POST", "/api/v1/documents/{id}/restore", "documents.delete"),
    ("GET", "/api/v1/trash", "documents.delete"),
    ("DELETE", "/api/v1/trash/{id}", "trash.purge"),
    ("GET", "/api/v1/search", "documents.read"),
    ("GET", "/api/v1/tags", "documents.read"),
    ("POST", "/api/v1/tags", "tags.manage"),
    ("PATCH", "/api/v1/tags/{id}", "tags.manage"),
    ("DELETE", "/api/v1/tags/{id}", "tags.manage"),
    ("GET", "/api/v1/collections", "documents.read"),
    ("POST", "/api/v1/collections", "collections.manage"),
    ("PATCH", "/api/v1/collections/{id}", "collections.manage"),
    ("DELETE", "/api/v1/collections/{id}", "collections.manage"),
    ("POST", "/api/v1/pii/analyze", "pii.use"),
    ("POST", "/api/v1/pii/pseudonymize", "pii.use"),
    ("POST", "/api/v1/pii/restore", "pii.use"),
    ("DELETE", "/api/v1/pii/mappings/{id}", "pii.use"),
    ("GET", "/api/v1/audit", "audit.read"),
    ("GET", "/api/v1/audit/verify", "audit.read"),
]
ROUTE_PERM_NAMES = sorted({p for _, _, p in ROUTE_PERMS})

# ---- the data of the matrix ----

TAGS = {"public": False, "hr": True, "finance": True, "draft": False}   # name -> restricted
BUILTIN_PERMS = {
    "admin": ALL_PERMS,
    "editor": ["documents.read", "documents.write", "documents.delete", "tags.manage",
               "collections.manage", "ai.use", "pii.use"],
    "reader": ["documents.read", "ai.use", "pii.use"],
}
CUSTOM_ROLES = {
    "hr-reader": ["documents.read"],
    "no-read": ["ai.use"],
    "hr-allow": ["documents.read"],
    "hr-deny": ["documents.read"],
    "trash-admin": ["documents.read", "documents.delete", "trash.purge"],
    "writer": ["documents.read", "documents.write"],
}
ROLE_GRANTS = {         # role -> (allowed tags, denied tags)
    "admin": (["hr", "finance"], []),     # admins see restricted tags only when granted
    "reader": ([], ["draft"]),            # an unrestricted tag denied to a role
    "hr-reader": (["hr"], []),
    "hr-allow": (["hr", "finance"], []),
    "hr-deny": ([], ["hr"]),
}
USERS = {               # user -> (roles, allowed tags, denied tags): grants of the user
    "admin": (["admin"], [], []),
    "editor": (["editor"], [], []),
    "reader": (["reader"], [], []),
    "hr": (["hr-reader"], [], []),
    "noread": (["no-read"], [], []),
    "eve": (["editor"], [], ["public"]),            # a user-level deny
    "dual": (["hr-allow", "hr-deny"], [], []),      # two roles: allow and deny, deny wins
    "fin": (["reader"], ["finance"], []),           # a user-level allow
    "purger": (["trash-admin"], [], []),
    "scribe": (["writer"], [], []),                 # writes, but may create no tag
}
DOCS = {                # document -> (tags, collection)
    "untagged": ([], "handbook"),
    "public": (["public"], "handbook"),
    "hr": (["hr"], "handbook"),
    "finance": (["finance"], "ledger"),
    "hr+finance": (["hr", "finance"], "ledger"),
    "draft": (["draft"], None),
    "hr+public": (["hr", "public"], "handbook"),
}


class Model:
    """What the vault holds, as the test made it; the rule of docs/access.md applies to it."""

    def __init__(self):
        self.restricted = dict(TAGS)
        self.role_perms = {**BUILTIN_PERMS, **CUSTOM_ROLES}
        self.role_grants = {r: (set(a), set(d)) for r, (a, d) in ROLE_GRANTS.items()}
        self.user_roles = {u: list(r) for u, (r, _, _) in USERS.items()}
        self.user_grants = {u: (set(a), set(d)) for u, (_, a, d) in USERS.items()}
        self.live = {}          # doc id -> (name, set of tags, collection or None)
        self.trashed = {}
        self.author = {}        # doc id -> user name

    def perms(self, user):
        return set().union(*(self.role_perms[r] for r in self.user_roles[user]))

    def hidden(self, user):
        """docs/access.md rule 1: a tag is hidden when a grant to the user or one of their
        roles denies it, or when it is restricted and no such grant allows it."""
        grants = [self.user_grants.get(user, (set(), set()))]
        grants += [self.role_grants.get(r, (set(), set())) for r in self.user_roles[user]]
        allow = set().union(*(a for a, _ in grants))
        deny = set().union(*(d for _, d in grants))
        return {t for t, restricted in self.restricted.items()
                if t in deny or (restricted and t not in allow)}

    def visible(self, user, docs=None):
        """Rule 2: a document is visible to a holder of documents.read when none of its
        tags is hidden (so an untagged one is visible to every reader)."""
        if "documents.read" not in self.perms(user):
            return set()
        hidden = self.hidden(user)
        docs = self.live if docs is None else docs
        return {i for i, (_, tags, _) in docs.items() if not tags & hidden}




def vault_count(srv, slug, from_where):
    """SELECT count(*) FROM from_where, in a tenant's vault."""
    return vault_query(srv, slug, "SELECT count(*) FROM " + from_where)[0][0]






def list_all(c, path="/api/v1/documents", limit=3, **query):
    """Every item of every page of a list, following next_cursor."""
    items, cursor = [], None
    for _ in range(1000):
        q = dict(query, limit=limit)
        if cursor is not None:
            q["cursor"] = cursor
        doc = ok(c.call("GET", path + "?" + urllib.parse.urlencode(q)))
        items += doc["items"]
        cursor = doc["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ends")


def parse_routes():
    """(method, pattern, flags, permission) of every entry of src/api/routes.c."""
    with open(ROUTES_C, encoding="utf-8") as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    out = []
    for m in re.finditer(r'\{\s*HTTP_(\w+),\s*"([^"]+)",\s*(\w+),\s*([^,]+?),\s*'
                         r'("[^"]*"|NULL|SIGNED)\s*\}', text):
        perm = m.group(5)
        out.append((m.group(1), m.group(2), m.group(4).strip(),
                    perm.strip('"') if perm.startswith('"') else perm))
    return out


class AccessMatrix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        try:
            cls.srv.start(sets=SETS)
            cls.build()
        except BaseException:
            cls.srv.close()
            raise

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.srv)

    @classmethod
    def build(cls):
        srv = cls.srv
        m = cls.model = Model()
        cls.tid, tok = create_tenant(srv, "acme", "admin@acme.example")
        admin = admin_session(srv, "acme", "admin@acme.example", PW, tok)[0]
        cls.c = {"admin": admin}
        cls.uid = {"admin": ok(admin.call("GET", "/api/v1/me"))["user"]["id"]}
        cls.role_id = {r: r for r in BUILTIN_PERMS}
        for name, perms in CUSTOM_ROLES.items():
            cls.role_id[name] = ok(admin.call("POST", "/api/v1/roles", {
                "name": name, "permissions": perms, "pages": ["documents"]}), 201)["id"]
        cls.tag_id = {}
        for name, restricted in TAGS.items():
            cls.tag_id[name] = ok(admin.call("POST", "/api/v1/tags", {
                "name": name, "restricted": restricted}), 201)["id"]
        for role, (allow, deny) in ROLE_GRANTS.items():
            ok(admin.call("PUT", f"/api/v1/roles/{cls.role_id[role]}/tags",
                          {"allow": allow, "deny": deny}))
        # One user per permission of the route table, holding only that permission.
        for perm in ROUTE_PERM_NAMES:
            role = "only-" + perm
            cls.role_id[role] = ok(admin.call("POST", "/api/v1/roles", {
                "name": role, "permissions": [perm], "pages": []}), 201)["id"]
            m.role_perms[role] = [perm]
            m.user_roles["p-" + perm] = [role]
        for user, roles in m.user_roles.items():
            if user == "admin":
                continue
            cls.add(user, roles)
            allow, deny = m.user_grants.get(user, (set(), set()))
            if allow or deny:
                ok(admin.call("PUT", f"/api/v1/users/{cls.uid[user]}/tags",
                              {"allow": sorted(allow), "deny": sorted(deny)}))
        cls.doc_id = {}
        for name, (tags, coll) in DOCS.items():
            cls.doc_id[name] = cls.create("admin", name, tags, coll)
        # The second tenant, with its own admin and document.
        cls.beta_tid, tok = create_tenant(srv, "beta", "admin@beta.example")
        cls.beta = admin_session(srv, "beta", "admin@beta.example", PW, tok)[0]
        cls.beta_doc = ok(cls.beta.call("POST", "/api/v1/documents", {
            "title": "beta plan", "body": "beta", "language": "en", "collection": "handbook",
            "tags": ["public"]}), 201)["id"]

    @classmethod
    def add(cls, user, roles):
        email = f"{user}@acme.example"
        c = signed_in(cls.srv, "acme", email, PW, add_user(cls.srv, "acme", email))
        cls.uid[user] = ok(c.call("GET", "/api/v1/me"))["user"]["id"]
        ok(cls.c["admin"].call("PATCH", f"/api/v1/users/{cls.uid[user]}",
                               {"roles": [cls.role_id[r] for r in roles]}))
        cls.c[user] = c

    @classmethod
    def create(cls, user, name, tags, coll):
        doc = ok(cls.c[user].call("POST", "/api/v1/documents", {
            "title": "doc " + name, "body": f"# {name}\n\nbody of {name}\n", "language": "en",
            "collection": coll, "tags": tags}), 201)
        cls.model.live[doc["id"]] = (name, set(tags), coll)
        cls.model.author[doc["id"]] = user
        return doc["id"]

    # ---- helpers ----

    def users(self, perm=None):
        """The users of the model, those holding perm when given."""
        return [u for u in self.model.user_roles if perm is None or perm in self.model.perms(u)]

    def name_of(self, ids):
        return sorted(self.model.live.get(i, self.model.trashed.get(i, ("?" + i,)))[0]
                      for i in ids)

    def assertStatus(self, resp, status, code=None, msg=None):
        st, doc, _ = resp
        self.assertEqual(st, status, f"{msg}: {doc}")
        if code is not None:
            self.assertEqual(doc["error"]["code"], code, msg)
        return doc

    def assertSees(self, user):
        """The user's document list, by every page, is exactly the visible set."""
        expected = self.model.visible(user)
        got = [d["id"] for d in list_all(self.c[user])]
        self.assertEqual(len(got), len(set(got)), f"{user}: a document listed twice")
        self.assertEqual(self.name_of(got), self.name_of(expected), user)
        for i in self.model.live:
            st = self.c[user].call("GET", f"/api/v1/documents/{i}")[0]
            self.assertEqual(st, 200 if i in expected else 404, (user, self.name_of([i])))

    # ---- the matrix ----

    def test_rule_expectations_are_not_trivial(self):
        # The data exercises each consequence of the rule (guards the matrix itself).
        v = {u: set(self.name_of(self.model.visible(u))) & set(DOCS) for u in self.users()}
        self.assertEqual(v["admin"], set(DOCS))
        self.assertEqual(v["editor"], {"untagged", "public", "draft"})
        self.assertEqual(v["reader"], {"untagged", "public"})
        self.assertEqual(v["eve"], {"untagged", "draft"})
        self.assertEqual(v["dual"], {"untagged", "public", "finance", "draft"})
        self.assertEqual(v["fin"], {"untagged", "public", "finance"})
        self.assertEqual(v["hr"], {"untagged", "public", "hr", "draft", "hr+public"})
        self.assertEqual(v["noread"], set())

    def test_list_and_read_show_exactly_the_visible_documents(self):
        # ASVS 8.2.2: data-specific access, enforced in the query of every list and read.
        for user in self.users():
            if "documents.read" in self.model.perms(user):
                self.assertSees(user)

    def test_list_pages_hold_exactly_the_visible_documents_in_any_order(self):
        # A page size can never reveal an invisible document: every sort, order and size.
        for user in ("reader", "dual", "hr"):
            expected = self.name_of(self.model.visible(user))
            for sort in ("updated", "created", "title"):
                for order in ("asc", "desc"):
                    for limit in (1, 2, 200):
                        got = list_all(self.c[user], limit=limit, sort=sort, order=order)
                        self.assertEqual(self.name_of(d["id"] for d in got), expected,
                                         (user, sort, order, limit))

    def test_invisible_document_is_404_on_every_route(self):
        # docs/access.md: "not found" for read, update, delete, versions, diff, restore;
        # a caller lacking the route's permission gets 403 whether or not it could see.
        routes = [("GET", "", None, "documents.read"),
                  ("GET", "/versions", None, "documents.read"),
                  ("GET", "/versions/1", None, "documents.read"),
                  ("GET", "/diff?from=1&to=1", None, "documents.read"),
                  ("PUT", "", {"version": 1, "title": "overwritten"}, "documents.write"),
                  ("POST", "/versions/1/restore", None, "documents.write"),
                  ("DELETE", "", None, "documents.delete")]
        for user in USERS:
            perms, visible = self.model.perms(user), self.model.visible(user)
            for i in list(self.model.live):
                for method, suffix, body, perm in routes:
                    where = (user, method, suffix, self.name_of([i]))
                    if perm in perms and i in visible and method != "GET":
                        continue        # a change it may make: not this test's business
                    resp = self.c[user].call(method, f"/api/v1/documents/{i}{suffix}", body)
                    if perm not in perms:
                        doc = self.assertStatus(resp, 403, "forbidden", where)
                        self.assertIn(perm, doc["error"]["message"])
                    elif i not in visible:
                        self.assertStatus(resp, 404, "not_found", where)
                    elif method == "GET":
                        self.assertStatus(resp, 200, None, where)
        # Nothing was changed by the refused calls.
        for i, (name, tags, coll) in self.model.live.items():
            doc = ok(self.c["admin"].call("GET", f"/api/v1/documents/{i}"))
            self.assertEqual((doc["version"], doc["title"], sorted(doc["tags"]),
                              doc["collection"]), (1, "doc " + name, sorted(tags), coll))

    def test_without_documents_read_no_route_finds_a_document(self):
        # docs/access.md rule 2: visible means visible to a holder of documents.read. A role
        # that may write or delete, but not read, must not read bodies through PUT, a version
        # restore or the trash.
        untagged = self.doc_id["untagged"]
        for user, method, suffix, body in (
                ("p-documents.write", "PUT", "", {"version": 1, "title": "blind"}),
                ("p-documents.write", "POST", "/versions/1/restore", None),
                ("p-documents.delete", "DELETE", "", None),
                ("p-documents.delete", "POST", "/restore", None)):
            self.assertStatus(self.c[user].call(method, f"/api/v1/documents/{untagged}{suffix}",
                                                body), 404, "not_found", (user, method))
        self.assertStatus(self.c["p-trash.purge"].call("DELETE", f"/api/v1/trash/{untagged}"),
                          404, "not_found")
        self.assertEqual(list_all(self.c["p-documents.delete"], "/api/v1/trash"), [])
        doc = ok(self.c["admin"].call("GET", f"/api/v1/documents/{untagged}"))
        self.assertEqual((doc["version"], doc["title"]), (1, "doc untagged"))

    def test_trash_respects_visibility(self):
        admin, purger = self.c["admin"], self.c["purger"]
        hr_id = self.create("admin", "trashed-hr", ["hr"], None)
        plain_id = self.create("admin", "trashed-plain", [], None)
        for i in (hr_id, plain_id):
            self.assertStatus(admin.call("DELETE", f"/api/v1/documents/{i}"), 204)
            self.model.trashed[i] = self.model.live.pop(i)
        for user in self.users("documents.delete"):
            got = [d["id"] for d in list_all(self.c[user], "/api/v1/trash")]
            self.assertEqual(self.name_of(got),
                             self.name_of(self.model.visible(user, self.model.trashed)), user)
        for user in self.users():
            if "documents.delete" not in self.model.perms(user):
                self.assertStatus(self.c[user].call("GET", "/api/v1/trash"), 403, "forbidden")
        # The purger cannot see the hr document: restore and purge are 404, nothing moves.
        self.assertStatus(purger.call("POST", f"/api/v1/documents/{hr_id}/restore"), 404,
                          "not_found")
        self.assertStatus(purger.call("DELETE", f"/api/v1/trash/{hr_id}"), 404, "not_found")
        self.assertIn(hr_id, [d["id"] for d in list_all(admin, "/api/v1/trash")])
        # Versions of a trashed document are not found, even for whoever may see it.
        self.assertStatus(admin.call("GET", f"/api/v1/documents/{hr_id}/versions"), 404)
        # What the purger sees, it purges; a reader-like user cannot restore (403).
        self.assertStatus(self.c["hr"].call("POST", f"/api/v1/documents/{hr_id}/restore"),
                          403, "forbidden")
        self.assertStatus(purger.call("DELETE", f"/api/v1/trash/{plain_id}"), 204)
        del self.model.trashed[plain_id]
        self.assertEqual(vault_count(self.srv, "acme", "document_versions WHERE "
                                     f"document_id = '{plain_id}'"), 0)
        self.assertEqual(vault_count(self.srv, "acme", "document_versions WHERE "
                                     f"document_id = '{hr_id}'"), 1)

    def test_tag_and_collection_counts_follow_visibility(self):
        for user in self.users("documents.read"):
            hidden = self.model.hidden(user)
            visible = self.model.visible(user)
            manage = "tags.manage" in self.model.perms(user)
            tags = {t["name"]: t for t in ok(self.c[user].call("GET", "/api/v1/tags"))["items"]}
            # A hidden tag is listed only to those who manage tags.
            self.assertEqual(set(tags), {t for t in self.model.restricted
                                         if manage or t not in hidden}, user)
            for name, t in tags.items():
                count = sum(1 for i in visible if name in self.model.live[i][1])
                self.assertEqual(t["documents"], count, (user, name))
                self.assertEqual(t["restricted"], self.model.restricted[name])
                self.assertEqual(t["hidden_from_you"], name in hidden, (user, name))
            colls = ok(self.c[user].call("GET", "/api/v1/collections"))["items"]
            expected = {c for (_, _, c) in [*self.model.live.values(),
                                            *self.model.trashed.values()] if c}
            self.assertEqual({c["name"] for c in colls}, expected)
            for c in colls:
                count = sum(1 for i in visible if self.model.live[i][2] == c["name"])
                self.assertEqual(c["documents"], count, (user, c["name"]))

    def test_filters_never_reveal_invisible_documents(self):
        for user in self.users("documents.read"):
            visible = self.model.visible(user)
            for tag in self.model.restricted:
                got = [d["id"] for d in list_all(self.c[user], tag=tag)]
                expected = {i for i in visible if tag in self.model.live[i][1]}
                self.assertEqual(self.name_of(got), self.name_of(expected), (user, tag))
            for coll in ("handbook", "ledger"):
                got = [d["id"] for d in list_all(self.c[user], collection=coll)]
                expected = {i for i in visible if self.model.live[i][2] == coll}
                self.assertEqual(self.name_of(got), self.name_of(expected), (user, coll))
            for author in ("admin", "scribe"):
                got = list_all(self.c[user], author=self.uid[author], language="en")
                expected = {i for i in visible if self.model.author[i] == author}
                self.assertEqual(self.name_of(d["id"] for d in got), self.name_of(expected))
            self.assertEqual(list_all(self.c[user], language="fr"), [])

    def test_without_documents_read_every_read_is_403_and_audited(self):
        # ASVS 8.2.1 (function-level access) and 16.3.2 (failed authorisation is logged).
        c = self.c["noread"]
        some = next(iter(self.model.live))
        paths = ["/api/v1/documents", f"/api/v1/documents/{some}", f"/api/v1/documents/{NOID}",
                 f"/api/v1/documents/{some}/versions", f"/api/v1/documents/{some}/versions/1",
                 f"/api/v1/documents/{some}/diff?from=1&to=1", "/api/v1/tags",
                 "/api/v1/collections", "/api/v1/documents?tag=hr"]
        for p in paths:
            doc = self.assertStatus(c.call("GET", p), 403, "forbidden", p)
            self.assertIn("documents.read", doc["error"]["message"])
        # The same answer for a document that exists and one that does not.
        self.assertEqual(c.call("GET", f"/api/v1/documents/{some}")[1],
                         c.call("GET", f"/api/v1/documents/{NOID}")[1])
        q = urllib.parse.urlencode({"event": "access.denied", "actor": self.uid["noread"],
                                    "limit": 1000})
        denied = ok(self.c["admin"].call("GET", "/api/v1/audit?" + q))["items"]
        seen = {(e["detail"]["route"], e["detail"]["permission"], e["outcome"])
                for e in denied}
        for route in ("/api/v1/documents", "/api/v1/documents/{id}",
                      "/api/v1/documents/{id}/versions", "/api/v1/documents/{id}/versions/{n}",
                      "/api/v1/documents/{id}/diff", "/api/v1/tags", "/api/v1/collections"):
            self.assertIn((route, "documents.read", "denied"), seen)

    def test_routes_need_their_permission(self):
        # ASVS 8.2.1, 8.3.1: the route table is what docs/access.md says, and each route is
        # refused (403 naming the permission) to every caller lacking its permission and
        # let through to the one holding it.
        table = parse_routes()
        self.assertGreaterEqual(len(table), 40)
        named = {(m, p, perm) for m, p, _, perm in table if perm not in ("NULL", "SIGNED")}
        self.assertEqual(named, set(ROUTE_PERMS))
        json_body = {(m, p) for m, p, flags, _ in table
                     if "J" in [f.strip() for f in flags.split("|")]}
        for method, pattern, perm in ROUTE_PERMS:
            path = pattern.replace("{id}", NOID).replace("{n}", "1")
            if pattern == "/api/v1/search":
                path += "?q=probe"
            body = {"__probe": 1} if (method, pattern) in json_body else None
            for holder in ROUTE_PERM_NAMES:
                user = "p-" + holder
                st, doc, _ = resp = self.c[user].call(method, path, body)
                where = (user, method, pattern)
                if holder != perm:
                    doc = self.assertStatus(resp, 403, "forbidden", where)
                    self.assertEqual(doc["error"]["message"],
                                     f"This needs the {perm} permission.", where)
                else:
                    self.assertNotIn(st, (401, 403), (where, doc))
                    self.assertLess(st, 500, (where, doc))
                    if method == "GET" and "{" not in pattern:
                        self.assertEqual(st, 200, (where, doc))
        # The probes changed nothing: the roles are those the test made.
        names = {r["name"] for r in ok(self.c["admin"].call("GET", "/api/v1/roles"))["items"]}
        self.assertEqual(names, set(self.model.role_perms))
        # Each denial is in the trail with the permission that was missing.
        q = urllib.parse.urlencode({"event": "access.denied", "limit": 1000,
                                    "actor": self.uid["p-audit.read"]})
        denied = ok(self.c["admin"].call("GET", "/api/v1/audit?" + q))["items"]
        self.assertEqual({(e["detail"]["method"], e["detail"]["route"],
                           e["detail"]["permission"]) for e in denied},
                         {r for r in ROUTE_PERMS if r[2] != "audit.read"})

    # ---- other tenants ----

    def test_other_tenant_cannot_reach_documents_tags_collections_or_roles(self):
        # ASVS 8.4.1: tenant isolation. Beta's admin holds every permission in beta.
        beta, admin = self.beta, self.c["admin"]
        token = ok(beta.call("POST", "/api/v1/tokens", {"name": "probe"}), 201)["token"]
        bot = Client(self.srv)
        bot.bearer = token
        hr = self.doc_id["hr"]
        for c in (beta, bot):
            for i in list(self.model.live):
                for method, suffix, body in (
                        ("GET", "", None), ("GET", "/versions", None),
                        ("GET", "/versions/1", None), ("GET", "/diff?from=1&to=1", None),
                        ("PUT", "", {"version": 1, "title": "x"}),
                        ("POST", "/versions/1/restore", None),
                        ("POST", "/restore", None), ("DELETE", "", None)):
                    self.assertStatus(c.call(method, f"/api/v1/documents/{i}{suffix}", body),
                                      404, "not_found", (method, suffix))
            self.assertStatus(c.call("DELETE", f"/api/v1/trash/{hr}"), 404, "not_found")
            self.assertEqual([d["id"] for d in list_all(c)], [self.beta_doc])
            self.assertEqual(list_all(c, "/api/v1/trash"), [])
            tags = ok(c.call("GET", "/api/v1/tags"))["items"]
            self.assertEqual([t["name"] for t in tags], ["public"])
            self.assertNotIn(tags[0]["id"], self.tag_id.values())
            colls = ok(c.call("GET", "/api/v1/collections"))["items"]
            self.assertEqual([(x["name"], x["documents"]) for x in colls], [("handbook", 1)])
            roles = ok(c.call("GET", "/api/v1/roles"))["items"]
            self.assertEqual({r["id"] for r in roles}, {"admin", "editor", "reader"})
            # Beta's admin role has beta's grants (none), not acme's.
            self.assertEqual(ok(c.call("GET", "/api/v1/roles/admin/tags")),
                             {"allow": [], "deny": []})
            self.assertStatus(c.call("GET", f"/api/v1/roles/{self.role_id['hr-reader']}"),
                              404, "not_found")
            self.assertStatus(c.call("GET", f"/api/v1/roles/{self.role_id['hr-reader']}/tags"),
                              404, "not_found")
            self.assertStatus(c.call("GET", f"/api/v1/users/{self.uid['hr']}/tags"), 404,
                              "not_found")
        for method, path, body in (
                ("PATCH", f"/api/v1/tags/{self.tag_id['hr']}", {"restricted": False}),
                ("DELETE", f"/api/v1/tags/{self.tag_id['hr']}?force=true", None),
                ("PUT", f"/api/v1/roles/{self.role_id['hr-reader']}",
                 {"name": "x", "permissions": ALL_PERMS, "pages": []}),
                ("DELETE", f"/api/v1/roles/{self.role_id['hr-reader']}", None),
                ("PUT", f"/api/v1/roles/{self.role_id['hr-reader']}/tags",
                 {"allow": [], "deny": []}),
                ("PUT", f"/api/v1/users/{self.uid['hr']}/tags", {"allow": [], "deny": []}),
                ("PATCH", f"/api/v1/users/{self.uid['hr']}", {"status": "disabled"})):
            self.assertStatus(beta.call(method, path, body), 404, "not_found", (method, path))
        colls = {x["name"]: x["id"] for x in ok(admin.call("GET", "/api/v1/collections"))["items"]}
        self.assertStatus(beta.call("PATCH", f"/api/v1/collections/{colls['ledger']}",
                                    {"name": "stolen"}), 404, "not_found")
        self.assertStatus(beta.call("DELETE", f"/api/v1/collections/{colls['ledger']}"), 404,
                          "not_found")
        # Acme's ids do not exist in beta's vault at all; beta's do not leak into acme.
        ids = ",".join(f"'{i}'" for i in self.model.live)
        self.assertEqual(vault_count(self.srv, "beta", f"documents WHERE id IN ({ids})"), 0)
        self.assertEqual(vault_count(self.srv, "acme", "documents WHERE id = "
                                     f"'{self.beta_doc}'"), 0)
        self.assertStatus(admin.call("GET", f"/api/v1/documents/{self.beta_doc}"), 404)
        # Acme was not changed by any of this.
        self.assertSees("hr")
        self.assertEqual(ok(admin.call("GET", f"/api/v1/roles/{self.role_id['hr-reader']}"))
                         ["name"], "hr-reader")

    def test_session_of_one_tenant_with_another_tenant_id_is_401(self):
        # ASVS 8.4.1: a credential names its tenant; another tenant's id finds nothing.
        admin = self.c["admin"]
        self.assertTrue(admin.cookie.startswith(self.tid + "."))
        forged = Client(self.srv)
        forged.cookie = self.beta_tid + admin.cookie[len(self.tid):]
        forged.csrf = admin.csrf
        for method, path in (("GET", "/api/v1/me"), ("GET", "/api/v1/documents"),
                             ("GET", f"/api/v1/documents/{self.beta_doc}"),
                             ("DELETE", f"/api/v1/documents/{self.beta_doc}")):
            st, doc, _ = forged.call(method, path)
            self.assertEqual(st, 401, (path, doc))
        ok(self.beta.call("GET", f"/api/v1/documents/{self.beta_doc}"))
        ok(admin.call("GET", "/api/v1/me"))

    # ---- changes apply at once ----

    def put_grants(self, kind, subject, allow, deny):
        path = (f"/api/v1/roles/{self.role_id[subject]}/tags" if kind == "role" else
                f"/api/v1/users/{self.uid[subject]}/tags")
        ok(self.c["admin"].call("PUT", path, {"allow": sorted(allow), "deny": sorted(deny)}))
        grants = self.model.role_grants if kind == "role" else self.model.user_grants
        grants[subject] = (set(allow), set(deny))

    def test_grant_changes_apply_to_the_next_call(self):
        # ASVS 8.3.2: changes to access rules apply immediately, sessions included.
        hr_doc = f"/api/v1/documents/{self.doc_id['hr']}"
        ok(self.c["hr"].call("GET", hr_doc))
        try:
            self.put_grants("role", "hr-reader", [], [])
            self.assertStatus(self.c["hr"].call("GET", hr_doc), 404, "not_found")
            self.assertSees("hr")
        finally:
            self.put_grants("role", "hr-reader", ["hr"], [])
        ok(self.c["hr"].call("GET", hr_doc))
        # The rule holds for admins too: without the grant, the admin loses hr documents.
        try:
            self.put_grants("role", "admin", ["finance"], [])
            self.assertStatus(self.c["admin"].call("GET", hr_doc), 404, "not_found")
            self.assertSees("admin")
        finally:
            self.put_grants("role", "admin", ["hr", "finance"], [])
        self.assertSees("admin")
        # A user-level deny lifted and put back.
        try:
            self.put_grants("user", "eve", [], [])
            self.assertSees("eve")
            self.assertIn("public", self.name_of(self.model.visible("eve")))
        finally:
            self.put_grants("user", "eve", [], ["public"])
        self.assertSees("eve")
        # Restricting a tag hides its documents from everyone not allowed it, at once.
        tag = f"/api/v1/tags/{self.tag_id['public']}"
        try:
            ok(self.c["admin"].call("PATCH", tag, {"restricted": True}))
            self.model.restricted["public"] = True
            for user in ("reader", "hr", "admin"):
                self.assertSees(user)
        finally:
            # Hidden from the editor now: tags.manage alone does not lift a restriction one
            # is not allowed past (docs/access.md); the admin, who could grant it to
            # themselves (roles.manage), can.
            self.assertStatus(self.c["editor"].call("PATCH", tag, {"restricted": False}), 404,
                              "not_found")
            self.assertStatus(self.c["editor"].call("DELETE", tag + "?force=true"), 404,
                              "not_found")
            ok(self.c["admin"].call("PATCH", tag, {"restricted": False}))
            self.model.restricted["public"] = False
        self.assertSees("reader")

    def test_grants_refuse_bad_input(self):
        admin = self.c["admin"]
        path = f"/api/v1/roles/{self.role_id['hr-reader']}/tags"
        for body, status, code in (({"allow": ["hr"]}, 400, "bad_request"),
                                   ({"allow": "hr", "deny": []}, 400, "bad_request"),
                                   ({"allow": [], "deny": [], "x": 1}, 400, "unknown_field"),
                                   ({"allow": ["no-such-tag"], "deny": []}, 422,
                                    "unknown_tag"),
                                   ({"allow": ["hr"], "deny": ["hr"]}, 422,
                                    "conflicting_grant"),
                                   ({"allow": ["hr", "HR"], "deny": []}, 422,
                                    "conflicting_grant")):
            self.assertStatus(admin.call("PUT", path, body), status, code, body)
            self.assertEqual(ok(admin.call("GET", path)), {"allow": ["hr"], "deny": []})
        self.assertStatus(admin.call("PUT", f"/api/v1/roles/{NOID}/tags",
                                     {"allow": [], "deny": []}), 404, "not_found")
        self.assertStatus(admin.call("GET", f"/api/v1/users/{NOID}/tags"), 404, "not_found")
        self.assertSees("hr")

    # ---- writing ----

    def test_nobody_writes_a_tag_hidden_from_them(self):
        # ASVS 8.2.2 and docs/access.md: nobody writes what they could not read back, and a
        # hidden tag's existence is not revealed.
        editor, scribe, admin = self.c["editor"], self.c["scribe"], self.c["admin"]
        before = vault_count(self.srv, "acme", "documents")
        body = {"title": "leak", "body": "x", "language": "en"}
        # The editor manages tags, yet a tag hidden from them is an unknown tag (any case).
        for tags in (["hr"], ["HR"], ["public", "finance"], ["draft", "hr"]):
            doc = self.assertStatus(editor.call("POST", "/api/v1/documents",
                                                dict(body, tags=tags)), 422, "unknown_tag")
        # For a writer without tags.manage a hidden tag and a missing one are the same answer.
        hidden = scribe.call("POST", "/api/v1/documents", dict(body, tags=["hr"]))
        missing = scribe.call("POST", "/api/v1/documents", dict(body, tags=["no-such-tag"]))
        self.assertStatus(hidden, 422, "unknown_tag")
        self.assertEqual((hidden[0], hidden[1]), (missing[0], missing[1]))
        self.assertStatus(scribe.call("POST", "/api/v1/documents",
                                      dict(body, collection="new-coll")), 422,
                          "unknown_collection")
        # Adding a hidden tag to a visible document is refused, and nothing changes.
        pub = self.doc_id["public"]
        self.assertStatus(editor.call("PUT", f"/api/v1/documents/{pub}", {
            "version": 1, "tags": ["public", "hr"]}), 422, "unknown_tag")
        self.assertStatus(self.c["eve"].call("PUT", f"/api/v1/documents/{self.doc_id['draft']}",
                                             {"version": 1, "tags": ["draft", "public"]}),
                          422, "unknown_tag")
        self.assertEqual(vault_count(self.srv, "acme", "documents"), before)
        self.assertEqual(vault_count(self.srv, "acme", "tags WHERE name IN ('no-such-tag')"), 0)
        self.assertEqual(vault_count(self.srv, "acme", "collections WHERE name = 'new-coll'"), 0)
        doc = ok(admin.call("GET", f"/api/v1/documents/{pub}"))
        self.assertEqual((doc["version"], doc["tags"]), (1, ["public"]))
        # A new tag: refused without tags.manage; with it (the custom role granted it), made.
        self.assertStatus(scribe.call("POST", "/api/v1/tags", {"name": "fresh"}), 403,
                          "forbidden")
        writer = f"/api/v1/roles/{self.role_id['writer']}"
        perms = CUSTOM_ROLES["writer"] + ["tags.manage"]
        ok(admin.call("PUT", writer, {"name": "writer", "permissions": perms,
                                      "pages": ["documents"]}))
        self.model.role_perms["writer"] = perms
        try:
            self.model.restricted["fresh"] = False
            self.create("scribe", "fresh", ["fresh"], None)
            self.assertIn("fresh", [t["name"] for t in
                                    ok(scribe.call("GET", "/api/v1/tags"))["items"]])
            # Still no hidden tag, tags.manage or not.
            self.assertStatus(scribe.call("POST", "/api/v1/documents", dict(body, tags=["hr"])),
                              422, "unknown_tag")
        finally:
            ok(admin.call("PUT", writer, {"name": "writer", "permissions": CUSTOM_ROLES["writer"],
                                          "pages": ["documents"]}))
            self.model.role_perms["writer"] = CUSTOM_ROLES["writer"]
        self.assertStatus(scribe.call("POST", "/api/v1/documents", dict(body, tags=["fresh2"])),
                          422, "unknown_tag")
        for user in ("scribe", "reader", "eve"):
            self.assertSees(user)

    # ---- the roles API ----

    def role(self, rid):
        return ok(self.c["admin"].call("GET", f"/api/v1/roles/{rid}"))

    def test_roles_create_update_delete(self):
        admin = self.c["admin"]
        doc = ok(admin.call("POST", "/api/v1/roles", {
            "name": "auditor", "permissions": ["audit.read", "audit.read"],
            "pages": ["audit"], "require_2fa": True}), 201)
        rid = doc["id"]
        self.assertRegex(rid, r"^[0-9a-f]{32}$")
        self.assertEqual((doc["name"], doc["permissions"], doc["pages"], doc["require_2fa"],
                          doc["builtin"], doc["users"]),
                         ("auditor", ["audit.read"], ["audit"], True, False, 0))
        self.assertStatus(admin.call("POST", "/api/v1/roles", {
            "name": "AUDITOR", "permissions": [], "pages": []}), 409, "name_taken")
        doc = ok(admin.call("PUT", f"/api/v1/roles/{rid}", {
            "name": "auditors", "permissions": ["audit.read", "documents.read"], "pages": []}))
        self.assertEqual((doc["name"], doc["permissions"], doc["require_2fa"]),
                         ("auditors", ["documents.read", "audit.read"], False))
        self.assertEqual(self.role(rid)["name"], "auditors")
        self.assertStatus(admin.call("PUT", f"/api/v1/roles/{rid}", {
            "name": "editor", "permissions": [], "pages": []}), 409, "name_taken")
        self.assertStatus(admin.call("DELETE", f"/api/v1/roles/{rid}"), 204)
        self.assertStatus(admin.call("GET", f"/api/v1/roles/{rid}"), 404, "not_found")
        self.assertStatus(admin.call("DELETE", f"/api/v1/roles/{rid}"), 404, "not_found")
        self.assertStatus(admin.call("PUT", f"/api/v1/roles/{NOID}", {
            "name": "x", "permissions": [], "pages": []}), 404, "not_found")
        # Unknown names, fields and types are refused, and nothing is made.
        for body, status, code in (
                ({"name": "bad", "permissions": ["documents.read", "documents.fly"],
                  "pages": []}, 422, "invalid_role"),
                ({"name": "bad", "permissions": ["DOCUMENTS.READ"], "pages": []}, 422,
                 "invalid_role"),
                ({"name": "bad", "permissions": [], "pages": ["nowhere"]}, 422,
                 "invalid_role"),
                ({"name": "bad", "permissions": "documents.read", "pages": []}, 422,
                 "invalid_role"),
                ({"name": "bad", "pages": []}, 422, "invalid_role"),
                ({"name": "", "permissions": [], "pages": []}, 422, "invalid_name"),
                ({"name": "x" * 65, "permissions": [], "pages": []}, 422, "invalid_name"),
                ({"name": "bad\u0007", "permissions": [], "pages": []}, 422, "invalid_name"),
                ({"name": "bad", "permissions": [], "pages": [], "admin": True}, 400,
                 "unknown_field"),
                ({"name": "bad", "permissions": [], "pages": [], "require_2fa": "yes"}, 400,
                 "bad_request")):
            self.assertStatus(admin.call("POST", "/api/v1/roles", body), status, code, body)
        names = {r["name"] for r in ok(admin.call("GET", "/api/v1/roles"))["items"]}
        self.assertEqual(names, set(self.model.role_perms))

    def test_builtin_roles_are_editable_not_deletable(self):
        admin = self.c["admin"]
        for rid in ("admin", "editor", "reader"):
            self.assertStatus(admin.call("DELETE", f"/api/v1/roles/{rid}"), 409, "builtin_role")
            self.assertEqual(self.role(rid)["builtin"], True)
        reader = self.role("reader")
        try:
            doc = ok(admin.call("PUT", "/api/v1/roles/reader", {
                "name": "reader", "permissions": ["documents.read"], "pages": ["documents"]}))
            self.assertEqual((doc["permissions"], doc["pages"], doc["builtin"]),
                             (["documents.read"], ["documents"], True))
            me = ok(self.c["reader"].call("GET", "/api/v1/me"))
            self.assertEqual((me["permissions"], me["pages"]), (["documents.read"],
                                                                ["documents"]))
        finally:
            ok(admin.call("PUT", "/api/v1/roles/reader", {
                "name": "reader", "permissions": reader["permissions"],
                "pages": reader["pages"], "require_2fa": reader["require_2fa"]}))
        me = ok(self.c["reader"].call("GET", "/api/v1/me"))
        self.assertEqual((me["permissions"], me["pages"]),
                         (BUILTIN_PERMS["reader"], ["search", "documents", "ask"]))

    def test_last_admin_cannot_be_removed(self):
        # ASVS 2.3.3: a refused change is rolled back whole (409 last_admin, nothing changed).
        admin = self.c["admin"]
        before = self.role("admin")
        for perms in ([p for p in ALL_PERMS if p != "users.manage"],
                      [p for p in ALL_PERMS if p != "roles.manage"], []):
            self.assertStatus(admin.call("PUT", "/api/v1/roles/admin", {
                "name": "admin", "permissions": perms, "pages": ALL_PAGES,
                "require_2fa": True}), 409, "last_admin", perms)
        self.assertEqual(self.role("admin"), before)
        me = f"/api/v1/users/{self.uid['admin']}"
        for body in ({"status": "disabled"}, {"roles": ["editor"]}, {"roles": []},
                     {"roles": [self.role_id["only-users.manage"]]}):
            self.assertStatus(admin.call("PATCH", me, body), 409, "last_admin", body)
        # Nothing changed: still active, still admin, the session still works.
        users = {u["id"]: u for u in ok(admin.call("GET", "/api/v1/users"))["items"]}
        self.assertEqual((users[self.uid["admin"]]["status"], users[self.uid["admin"]]["roles"]),
                         ("active", ["admin"]))
        self.assertEqual(ok(admin.call("GET", "/api/v1/me"))["permissions"], ALL_PERMS)
        # With users.manage and roles.manage spread over two roles of one user, the role that
        # carries roles.manage cannot lose it either.
        rid = ok(admin.call("POST", "/api/v1/roles", {
            "name": "co-admin", "permissions": ["users.manage", "roles.manage"],
            "pages": []}), 201)["id"]
        try:
            ok(admin.call("PATCH", f"/api/v1/users/{self.uid['fin']}",
                          {"roles": ["reader", rid]}))
            # Now fin is a second administrator: the admin role may lose its powers...
            ok(admin.call("PUT", "/api/v1/roles/admin", {
                "name": "admin", "permissions": ["documents.read"], "pages": ALL_PAGES,
                "require_2fa": True}))
            # ...but then the co-admin role may not, nor be deleted, nor fin be disabled.
            fin = self.c["fin"]
            self.assertStatus(admin.call("GET", "/api/v1/roles"), 403, "forbidden")
            self.assertStatus(fin.call("PUT", f"/api/v1/roles/{rid}", {
                "name": "co-admin", "permissions": ["users.manage"], "pages": []}), 409,
                "last_admin")
            self.assertStatus(fin.call("DELETE", f"/api/v1/roles/{rid}"), 409, "last_admin")
            self.assertStatus(self.c["fin"].call("PATCH", f"/api/v1/users/{self.uid['fin']}",
                                                 {"status": "disabled"}), 409, "last_admin")
        finally:
            fin = self.c["fin"]
            ok(fin.call("PUT", "/api/v1/roles/admin", {
                "name": "admin", "permissions": before["permissions"], "pages": before["pages"],
                "require_2fa": True}))
            ok(admin.call("PATCH", f"/api/v1/users/{self.uid['fin']}", {"roles": ["reader"]}))
            self.assertStatus(admin.call("DELETE", f"/api/v1/roles/{rid}"), 204)
        self.assertEqual(self.role("admin"), dict(before, updated_us=self.role("admin")
                                                  ["updated_us"]))
        self.assertSees("fin")

    def test_me_reflects_role_edits_at_once(self):
        admin, hr = self.c["admin"], self.c["hr"]
        path = f"/api/v1/roles/{self.role_id['hr-reader']}"
        me = ok(hr.call("GET", "/api/v1/me"))
        self.assertEqual((me["permissions"], me["pages"]), (["documents.read"], ["documents"]))
        try:
            ok(admin.call("PUT", path, {"name": "hr-reader",
                                        "permissions": ["documents.read", "documents.write"],
                                        "pages": ["documents", "search", "tags"]}))
            me = ok(hr.call("GET", "/api/v1/me"))
            self.assertEqual((me["permissions"], me["pages"]),
                             (["documents.read", "documents.write"],
                              ["search", "documents", "tags"]))
            # And the new permission works on the next call (a bad body, not a 403).
            self.assertStatus(hr.call("POST", "/api/v1/documents", {"title": ""}), 422)
            ok(admin.call("PUT", path, {"name": "hr-reader", "permissions": [], "pages": []}))
            me = ok(hr.call("GET", "/api/v1/me"))
            self.assertEqual((me["permissions"], me["pages"]), ([], []))
            self.assertStatus(hr.call("GET", "/api/v1/documents"), 403, "forbidden")
        finally:
            ok(admin.call("PUT", path, {"name": "hr-reader", "permissions": ["documents.read"],
                                        "pages": ["documents"]}))
        self.assertSees("hr")
        # Deleting a role takes it from its holders at once.
        rid = ok(admin.call("POST", "/api/v1/roles", {
            "name": "temp-writer", "permissions": ["documents.write"], "pages": ["trash"]}),
            201)["id"]
        ok(admin.call("PATCH", f"/api/v1/users/{self.uid['hr']}",
                      {"roles": [self.role_id["hr-reader"], rid]}))
        me = ok(hr.call("GET", "/api/v1/me"))
        self.assertEqual((me["permissions"], me["pages"]),
                         (["documents.read", "documents.write"], ["documents", "trash"]))
        self.assertEqual(self.role(rid)["users"], 1)
        self.assertStatus(admin.call("DELETE", f"/api/v1/roles/{rid}"), 204)
        me = ok(hr.call("GET", "/api/v1/me"))
        self.assertEqual((me["permissions"], me["pages"]), (["documents.read"], ["documents"]))
        users = {u["id"]: u for u in ok(admin.call("GET", "/api/v1/users"))["items"]}
        self.assertEqual(users[self.uid["hr"]]["roles"], [self.role_id["hr-reader"]])


if __name__ == "__main__":
    unittest.main()
