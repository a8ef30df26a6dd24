"""The PII API end to end (issue 8, points 3 and 4; DESIGN.md P1 and G3).

The real binary over real TLS: analysis with offsets in code points, pseudonymization with
stable tokens and a mapping kept sealed in the vault, restore (mangled tokens included), who
may use a mapping (its creator only: others, other tenants, unknown and expired ids all get the
same 404), expiry at access and by the background job, early erasure, read-only tokens, the
pii.use permission, bad input (nothing stored), and the values kept out of the audit trail, the
server's log and the data folder. What the vault holds is read with vault_tool.
"""
import json
import os
import time
import unittest

from accounts import (FAST_ARGON, Client, add_user, admin_session, create_tenant, ok, signed_in,
                      stop_cleanly, vault_query)
from harness import Server, json_error, raw_tls, read_until_closed, wait_for

PW = "correct horse battery staple"
NOID = "0" * 32
API = "/api/v1/pii"
MAX_BODY = 2 * 1024 * 1024
SETS = dict(FAST_ARGON, **{
    "server.rate_limit": "0", "auth.address_failures": "100000", "log.level": "debug",
    "audit.purge_interval": "3600",
    "server.max_body_bytes": str(MAX_BODY),
    # Lifetimes from the configuration: 5 minutes by default, 10 at most; the job every second.
    "pii.mapping_ttl": "300", "pii.mapping_ttl_max": "600", "pii.expiry_interval": "1"})

# Texts and what they hold, as (type, the text between start and end in code points).
FR = ("Bonjour, je m'appelle Élodie Lefèvre 😀 et mon e-mail est élodie.lefevre@exemple.fr. "
      "Rappelez-moi au 06 12 34 56 78 ou écrivez à élodie.lefevre@exemple.fr. IBAN : "
      "FR76 3000 6000 0112 3456 7890 189. Mme Élodie Lefèvre habite 12 bis rue de la Paix, "
      "75002 Paris.")
FR_HITS = [("PERSON", "Élodie Lefèvre"), ("EMAIL_ADDRESS", "élodie.lefevre@exemple.fr"),
           ("PHONE_NUMBER", "06 12 34 56 78"), ("EMAIL_ADDRESS", "élodie.lefevre@exemple.fr"),
           ("IBAN_CODE", "FR76 3000 6000 0112 3456 7890 189"), ("PERSON", "Élodie Lefèvre"),
           ("STREET_ADDRESS", "12 bis rue de la Paix, 75002 Paris")]
EN = ("Hi 👋🏽 — my name is John Smith, call me at (202) 555-0123 or mail "
      "john.smith@example.com; card 4111 1111 1111 1111. Thanks, John Smith 🎉 from "
      "192.168.1.20")
EN_HITS = [("PERSON", "John Smith"), ("PHONE_NUMBER", "(202) 555-0123"),
           ("EMAIL_ADDRESS", "john.smith@example.com"), ("CREDIT_CARD", "4111 1111 1111 1111"),
           ("PERSON", "John Smith"), ("IP_ADDRESS", "192.168.1.20")]
# Values that must never be found outside the vault's sealed mappings and the answers.
CANARIES = ["élodie.lefevre@exemple.fr", "Lefèvre", "06 12 34 56 78", "FR76 3000",
            "john.smith@example.com", "4111 1111 1111 1111", "Zoé Canary-Quintal",
            "zoe.canary7f3a@exemple.fr"]
CANARY_TEXT = ("Bonjour, je suis Zoé Canary-Quintal, écrivez-moi à zoe.canary7f3a@exemple.fr ; "
               "Zoé Canary-Quintal.")


class PiiApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = srv = Server()
        try:
            srv.start(sets=SETS)
            cls.started = time.monotonic()
            cls.tid, tok = create_tenant(srv, "acme", "admin@acme.example")
            cls.admin = admin_session(srv, "acme", "admin@acme.example", PW, tok)[0]
            cls.reader = signed_in(srv, "acme", "rita@acme.example", PW,
                                   add_user(srv, "acme", "rita@acme.example", "reader"))
            # A role without pii.use, and its holder.
            ok(cls.admin.call("POST", "/api/v1/roles", {
                "name": "no-pii", "permissions": ["documents.read", "ai.use"],
                "pages": ["documents"]}), 201)
            cls.nopii = signed_in(srv, "acme", "nina@acme.example", PW,
                                  add_user(srv, "acme", "nina@acme.example", "reader"))
            roles = {r["name"]: r["id"] for r in
                     ok(cls.admin.call("GET", "/api/v1/roles"))["items"]}
            cls.uid = {u["email"].split("@")[0]: u["id"] for u in
                       ok(cls.admin.call("GET", "/api/v1/users"))["items"]}
            ok(cls.admin.call("PATCH", f"/api/v1/users/{cls.uid['nina']}",
                              {"roles": [roles["no-pii"]]}))
            _, tok = create_tenant(srv, "beta", "admin@beta.example")
            cls.beta = admin_session(srv, "beta", "admin@beta.example", PW, tok)[0]
        except BaseException:
            srv.close()
            raise

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.srv)

    # ---- helpers ----

    def assertError(self, resp, status, code, msg=None):
        st, doc, _ = resp
        self.assertEqual(st, status, f"{msg}: {doc}")
        self.assertEqual(doc["error"]["code"], code, msg)
        self.assertIsInstance(doc["error"]["message"], str)
        return doc["error"]

    def mappings(self, slug="acme", where="1"):
        return vault_query(self.srv, slug, "SELECT id, user_id, entries, hex(sealed), created, "
                                           f"expires FROM pii_mappings WHERE {where}")

    def pii_events(self, slug="acme"):
        return vault_query(self.srv, slug, "SELECT event, actor, target, outcome, detail "
                                           "FROM audit_log WHERE event LIKE 'pii.%' ORDER BY seq")

    def pseudonymize(self, c, text, **extra):
        return ok(c.call("POST", f"{API}/pseudonymize", {"text": text, **extra}))

    def restore(self, c, text, mapping_id):
        return c.call("POST", f"{API}/restore", {"text": text, "mapping_id": mapping_id})

    def spans(self, text, hits):
        """(type, text[start:end]) of each hit: offsets are code points (Python's str)."""
        return [(h["type"], text[h["start"]:h["end"]]) for h in hits]

    # ---- analyze ----

    def test_analyze_french_and_english_offsets_in_code_points(self):
        for c in (self.admin, self.reader):
            doc = ok(c.call("POST", f"{API}/analyze", {"text": FR}))
            self.assertEqual(doc["language"], "fr")
            self.assertEqual(self.spans(FR, doc["hits"]), FR_HITS)
            for h in doc["hits"]:
                self.assertEqual(set(h), {"type", "start", "end", "score"})
                self.assertTrue(0 < h["score"] <= 1, h)
        # The emoji (1 code point, 4 bytes; then 2 code points for the skin tone) come before
        # the English hits: byte or UTF-16 offsets would not slice them out.
        doc = ok(self.admin.call("POST", f"{API}/analyze", {"text": EN}))
        self.assertEqual(doc["language"], "en")
        self.assertEqual(self.spans(EN, doc["hits"]), EN_HITS)
        self.assertEqual(doc["hits"][0]["start"], EN.index("John"))
        self.assertNotEqual(EN.encode().index(b"John"), EN.index("John"))
        # Options: the language forced, only some entities, the threshold.
        doc = ok(self.admin.call("POST", f"{API}/analyze", {
            "text": EN, "language": "fr-FR", "entities": ["email_address", "IP_ADDRESS"]}))
        self.assertEqual(doc["language"], "fr")
        self.assertEqual(self.spans(EN, doc["hits"]),
                         [("EMAIL_ADDRESS", "john.smith@example.com"),
                          ("IP_ADDRESS", "192.168.1.20")])
        low = ok(self.admin.call("POST", f"{API}/analyze", {"text": EN, "threshold": 0}))
        high = ok(self.admin.call("POST", f"{API}/analyze", {"text": EN, "threshold": 0.99}))
        self.assertGreaterEqual(len(low["hits"]), len(EN_HITS))
        self.assertEqual({h["type"] for h in high["hits"]},
                         {"PERSON", "EMAIL_ADDRESS", "CREDIT_CARD"})
        self.assertEqual(ok(self.admin.call("POST", f"{API}/analyze", {"text": ""}))["hits"],
                         [])
        # Analysis stores nothing and records nothing.
        self.assertEqual(vault_query(self.srv, "acme", "SELECT count(*) FROM audit_log WHERE "
                                     "event = 'pii.analyze'"), [[0]])

    def test_cookie_calls_need_the_csrf_token(self):
        for path, body in ((f"{API}/analyze", {"text": "x"}),
                           (f"{API}/pseudonymize", {"text": "x"}),
                           (f"{API}/restore", {"text": "x", "mapping_id": NOID})):
            self.assertError(self.reader.call("POST", path, body, csrf=False), 403,
                             "csrf_failed", path)

    # ---- pseudonymize and restore ----

    def test_pseudonymize_restore_round_trip(self):
        before = time.time()
        doc = self.pseudonymize(self.reader, FR)
        mid = doc["mapping_id"]
        self.assertRegex(mid, r"^[0-9a-f]{32}$")
        self.assertEqual(doc["language"], "fr")
        text = doc["text"]
        # Stable tokens: each distinct value once, repeated values the same token.
        self.assertEqual(text, (
            "Bonjour, je m'appelle <PERSON_1> 😀 et mon e-mail est <EMAIL_ADDRESS_1>. "
            "Rappelez-moi au <PHONE_NUMBER_1> ou écrivez à <EMAIL_ADDRESS_1>. IBAN : "
            "<IBAN_CODE_1>. Mme <PERSON_1> habite <STREET_ADDRESS_1>."))
        self.assertEqual(doc["entities"], {"PERSON": 2, "EMAIL_ADDRESS": 2, "PHONE_NUMBER": 1,
                                           "IBAN_CODE": 1, "STREET_ADDRESS": 1})
        # The default lifetime comes from pii.mapping_ttl (300 s here).
        self.assertAlmostEqual(doc["expires_us"] / 1e6, before + 300, delta=30)
        # Stored for rita, sealed: five values, none of them readable in the row.
        rows = self.mappings(where=f"id = '{mid}'")
        self.assertEqual(len(rows), 1)
        _, user, entries, sealed_hex, created, expires = rows[0]
        self.assertEqual((user, entries), (self.uid["rita"], 5))
        self.assertEqual(expires, doc["expires_us"])
        self.assertLess(created, expires)
        sealed = bytes.fromhex(sealed_hex)
        for value in ("Lefèvre", "lefevre@exemple", "06 12 34", "FR76"):
            self.assertNotIn(value.encode(), sealed)
        # Restore, as a model may have mangled the tokens.
        self.assertEqual(ok(self.restore(self.reader, text, mid))["text"], FR)
        answer = ("Bien reçu PERSON_1 ! J'écris à [EMAIL_ADDRESS_1] et j'appelle "
                  "<phone_number_1>, pas PERSON_10 ni <PERSON_2>.")
        self.assertEqual(ok(self.restore(self.reader, answer, mid))["text"], (
            "Bien reçu Élodie Lefèvre ! J'écris à élodie.lefevre@exemple.fr et j'appelle "
            "06 12 34 56 78, pas PERSON_10 ni <PERSON_2>."))
        # The trail: the mapping id and counts, by rita, never a value.
        events = [e for e in self.pii_events() if e[2] == mid]
        self.assertEqual([e[0] for e in events],
                         ["pii.pseudonymize", "pii.restore", "pii.restore"])
        self.assertEqual({(e[1], e[3]) for e in events}, {(self.uid["rita"], "success")})
        detail = json.loads(events[0][4])
        self.assertEqual(detail["entities"], doc["entities"])
        self.assertEqual((detail["values"], detail["extended"]), (5, False))
        self.assertEqual(json.loads(events[1][4]), {"values": 5})
        everything = json.dumps(vault_query(self.srv, "acme", "SELECT * FROM audit_log"),
                                ensure_ascii=False)
        for value in CANARIES[:4]:
            self.assertNotIn(value, everything)

    def test_a_conversation_extends_its_mapping(self):
        first = self.pseudonymize(self.admin, "Mon client Jean Dupont (jean.dupont@exemple.fr) "
                                              "a écrit.", ttl_seconds=60)
        mid = first["mapping_id"]
        self.assertEqual(first["text"], "Mon client <PERSON_1> (<EMAIL_ADDRESS_1>) a écrit.")
        second = self.pseudonymize(self.admin, "Jean Dupont répond à Marie Curie, "
                                               "marie.curie@exemple.fr.", mapping_id=mid,
                                   ttl_seconds=120)
        self.assertEqual(second["mapping_id"], mid)
        self.assertEqual(second["text"],
                         "<PERSON_1> répond à <PERSON_2>, <EMAIL_ADDRESS_2>.")
        self.assertEqual(second["entities"], {"PERSON": 2, "EMAIL_ADDRESS": 1})
        # Extending moved the expiry forward, within pii.mapping_ttl_max (600 s).
        self.assertGreater(second["expires_us"], first["expires_us"])
        self.assertLessEqual(second["expires_us"] - first["expires_us"], 65 * 10**6)
        self.assertEqual(self.mappings(where=f"id = '{mid}'")[0][2], 4)
        self.assertEqual(ok(self.restore(self.admin, "<PERSON_2> et <EMAIL_ADDRESS_1>",
                                         mid))["text"],
                         "Marie Curie et jean.dupont@exemple.fr")
        detail = json.loads([e for e in self.pii_events() if e[2] == mid][1][4])
        self.assertEqual((detail["values"], detail["extended"]), (4, True))
        # Beyond pii.mapping_ttl_max, a ttl is refused, and a refused call changes nothing.
        self.assertError(self.admin.call("POST", f"{API}/pseudonymize", {
            "text": "Paul Martin", "mapping_id": mid, "ttl_seconds": 601}), 400, "bad_ttl")
        self.assertEqual(self.mappings(where=f"id = '{mid}'")[0][2], 4)

    # ---- who may use a mapping ----

    def test_only_its_creator_uses_a_mapping(self):
        doc = self.pseudonymize(self.reader, "Appelez Jean Dupont au 06 98 76 54 32.")
        mid, text = doc["mapping_id"], doc["text"]
        unknown = self.restore(self.reader, text, NOID)
        self.assertError(unknown, 404, "not_found")
        # Another user of the tenant (an admin), another tenant's admin, and a token of
        # theirs: the very same answer as for an unknown id, so no oracle.
        beta_token = ok(self.beta.call("POST", "/api/v1/tokens", {"name": "probe"}), 201)
        bot = Client(self.srv)
        bot.bearer = beta_token["token"]
        for c in (self.admin, self.beta, bot):
            resp = self.restore(c, text, mid)
            self.assertError(resp, 404, "not_found")
            self.assertEqual(resp[1], unknown[1])
            self.assertEqual(c.call("POST", f"{API}/pseudonymize", {
                "text": "Marie Curie", "mapping_id": mid})[1], unknown[1])
            self.assertEqual(c.call("DELETE", f"{API}/mappings/{mid}")[1], unknown[1])
        for bad in ("nope", mid.upper(), mid + "0", ""):
            self.assertEqual(self.restore(self.reader, text, bad)[1], unknown[1], bad)
        # Still there, untouched, and still rita's.
        row = self.mappings(where=f"id = '{mid}'")
        self.assertEqual([(r[1], r[2]) for r in row], [(self.uid["rita"], 2)])
        self.assertEqual(ok(self.restore(self.reader, text, mid))["text"],
                         "Appelez Jean Dupont au 06 98 76 54 32.")
        self.assertEqual(self.mappings("beta"), [])
        # The attempts are recorded as failures of whoever tried.
        failures = vault_query(self.srv, "acme", "SELECT actor, target FROM audit_log WHERE "
                               f"event = 'pii.restore' AND outcome = 'failure' AND target = "
                               f"'{mid}'")
        self.assertEqual(failures, [[self.uid["admin"], mid]])
        beta_failures = vault_query(self.srv, "beta", "SELECT count(*) FROM audit_log WHERE "
                                    f"event = 'pii.restore' AND target = '{mid}'")
        self.assertEqual(beta_failures, [[2]])

    def test_delete_erases_a_mapping_early(self):
        doc = self.pseudonymize(self.reader, "Écrivez à paul.martin@exemple.fr.")
        mid = doc["mapping_id"]
        self.assertEqual(self.reader.call("DELETE", f"{API}/mappings/{mid}")[0], 204)
        self.assertEqual(self.mappings(where=f"id = '{mid}'"), [])
        self.assertError(self.restore(self.reader, doc["text"], mid), 404, "not_found")
        self.assertError(self.reader.call("DELETE", f"{API}/mappings/{mid}"), 404, "not_found")
        self.assertError(self.reader.call("DELETE", f"{API}/mappings/not-an-id"), 404,
                         "not_found")
        events = [e[:4] for e in self.pii_events() if e[2] == mid]
        self.assertEqual(events[1], ["pii.mapping.delete", self.uid["rita"], mid, "success"])

    # ---- expiry ----

    def test_expired_mappings_are_404_and_erased(self):
        # At access: the first call after expiry erases the row and answers 404.
        lazy = self.pseudonymize(self.reader, "Jean Dupont", ttl_seconds=1)
        # By the job (pii.expiry_interval = 1 s): nobody touches this one.
        job = self.pseudonymize(self.reader, "Marie Curie", ttl_seconds=1)
        kept = self.pseudonymize(self.reader, "Paul Martin", ttl_seconds=600)
        time.sleep(1.2)
        self.assertError(self.restore(self.reader, lazy["text"], lazy["mapping_id"]), 404,
                         "not_found")
        self.assertError(self.reader.call("POST", f"{API}/pseudonymize", {
            "text": "x", "mapping_id": job["mapping_id"]}), 404, "not_found")
        self.assertTrue(wait_for(lambda: self.mappings(
            where=f"id IN ('{lazy['mapping_id']}', '{job['mapping_id']}')") == [], timeout=15))
        self.assertEqual(len(self.mappings(where=f"id = '{kept['mapping_id']}'")), 1)
        for mid in (lazy["mapping_id"], job["mapping_id"]):
            expired = [e for e in self.pii_events() if e[2] == mid and
                       e[0] == "pii.mapping.expire"]
            self.assertEqual(len(expired), 1, mid)
            self.assertEqual(expired[0][1], "system")
            self.assertEqual(json.loads(expired[0][4]), {"reason": "expired", "values": 1})

    def test_the_job_erases_without_any_call(self):
        # The retention sweep (which erases expired mappings too) runs 5 s after the start,
        # then every audit.purge_interval (an hour): past it, only the PII job can do this.
        time.sleep(max(0.0, self.started + 7 - time.monotonic()))
        doc = self.pseudonymize(self.admin, "Bonjour Madame Curie", ttl_seconds=1)
        mid = doc["mapping_id"]
        self.assertEqual(len(self.mappings(where=f"id = '{mid}'")), 1)
        self.assertTrue(wait_for(lambda: self.mappings(where=f"id = '{mid}'") == [],
                                 timeout=10))
        self.assertIn(["pii.mapping.expire", "system", mid, "success"],
                      [e[:4] for e in self.pii_events()])
        self.assertError(self.restore(self.admin, doc["text"], mid), 404, "not_found")

    # ---- tokens and permissions ----

    def test_read_only_tokens_analyze_and_restore_but_store_nothing(self):
        # Decision (docs/pii.md): analysis and restore change no data, so a read-only token
        # may call them; pseudonymize stores personal data and DELETE erases it: refused.
        mine = self.pseudonymize(self.reader, "Jean Dupont")
        ro = ok(self.reader.call("POST", "/api/v1/tokens", {"name": "ro", "read_only": True}),
                201)
        rw = ok(self.reader.call("POST", "/api/v1/tokens", {"name": "rw"}), 201)
        t = Client(self.srv)
        t.bearer = ro["token"]
        count = len(self.mappings())
        self.assertEqual(self.spans(EN, ok(t.call("POST", f"{API}/analyze",
                                                  {"text": EN}))["hits"]), EN_HITS)
        self.assertEqual(ok(t.call("POST", f"{API}/restore", {
            "text": mine["text"], "mapping_id": mine["mapping_id"]}))["text"], "Jean Dupont")
        self.assertError(t.call("POST", f"{API}/pseudonymize", {"text": "Jean Dupont"}), 403,
                         "read_only_token")
        self.assertError(t.call("DELETE", f"{API}/mappings/{mine['mapping_id']}"), 403,
                         "read_only_token")
        self.assertEqual(len(self.mappings()), count)
        # A full token of the same user does all of it, on the same mappings.
        t.bearer = rw["token"]
        doc = ok(t.call("POST", f"{API}/pseudonymize", {"text": "Marie Curie et Jean Dupont",
                                                        "mapping_id": mine["mapping_id"]}))
        self.assertEqual(doc["text"], "<PERSON_2> et <PERSON_1>")
        self.assertEqual(t.call("DELETE", f"{API}/mappings/{mine['mapping_id']}")[0], 204)

    def test_without_pii_use_every_route_is_403_and_audited(self):
        me = ok(self.nopii.call("GET", "/api/v1/me"))
        self.assertNotIn("pii.use", me["permissions"])
        self.assertIn("pii.use", ok(self.reader.call("GET", "/api/v1/me"))["permissions"])
        routes = [("POST", f"{API}/analyze", {"text": "Jean Dupont"}),
                  ("POST", f"{API}/pseudonymize", {"text": "Jean Dupont"}),
                  ("POST", f"{API}/restore", {"text": "x", "mapping_id": NOID}),
                  ("DELETE", f"{API}/mappings/{NOID}", None)]
        for method, path, body in routes:
            err = self.assertError(self.nopii.call(method, path, body), 403, "forbidden", path)
            self.assertEqual(err["message"], "This needs the pii.use permission.")
        denied = vault_query(self.srv, "acme", "SELECT detail FROM audit_log WHERE event = "
                             f"'access.denied' AND actor = '{self.uid['nina']}'")
        seen = {(d["method"], d["route"], d["permission"]) for d in
                (json.loads(r[0]) for r in denied)}
        self.assertEqual(seen, {("POST", f"{API}/analyze", "pii.use"),
                                ("POST", f"{API}/pseudonymize", "pii.use"),
                                ("POST", f"{API}/restore", "pii.use"),
                                ("DELETE", f"{API}/mappings/{{id}}", "pii.use")})
        self.assertEqual(self.mappings(where=f"user_id = '{self.uid['nina']}'"), [])
        # Unauthenticated: 401.
        self.assertError(Client(self.srv).call("POST", f"{API}/analyze", {"text": "x"}), 401,
                         "unauthenticated")

    # ---- bad input ----

    def test_bad_input_is_a_json_error_and_stores_nothing(self):
        c = self.reader
        rows = len(self.mappings())
        seq = vault_query(self.srv, "acme", "SELECT max(seq) FROM audit_log")[0][0]
        json_headers = {"Content-Type": "application/json"}
        # Invalid UTF-8, as raw bytes in the body (inside the string and as a lone byte).
        for raw in (b'{"text": "Jean \xff Dupont"}', b'{"text": "caf\xc3"}',
                    b'{"text": "\xed\xa0\x80"}', '{"text": "x\\u0000y"}'.encode()):
            for path in ("analyze", "pseudonymize"):
                self.assertError(c.call("POST", f"{API}/{path}", raw, headers=json_headers),
                                 400, "malformed_json", raw)
        cases = [
            ("analyze", {"text": "x", "entities": ["PERSON", "PASSPORT"]}, 400,
             "unknown_entity"),
            ("pseudonymize", {"text": "x", "entities": ["person", "EMAIL"]}, 400,
             "unknown_entity"),
            ("analyze", {"text": "x", "entities": []}, 400, "bad_entities"),
            ("analyze", {"text": "x", "entities": "PERSON"}, 400, "bad_entities"),
            ("analyze", {"text": "x", "threshold": 2}, 400, "bad_threshold"),
            ("pseudonymize", {"text": "x", "threshold": 2}, 400, "bad_threshold"),
            ("pseudonymize", {"text": "x", "threshold": -1}, 400, "bad_threshold"),
            ("analyze", {"text": "x", "threshold": "high"}, 400, "bad_threshold"),
            ("analyze", {"text": "x", "lang": "fr"}, 400, "unknown_field"),
            ("pseudonymize", {"text": "Jean Dupont", "operator": "mask"}, 400,
             "unknown_field"),
            ("restore", {"text": "x", "mapping_id": NOID, "ttl_seconds": 5}, 400,
             "unknown_field"),
            ("analyze", {"text": "x", "language": "de"}, 400, "bad_language"),
            ("analyze", {}, 400, "bad_text"),
            ("analyze", {"text": ["x"]}, 400, "bad_text"),
            ("pseudonymize", {"text": None}, 400, "bad_text"),
            ("pseudonymize", {"text": "x", "ttl_seconds": 0}, 400, "bad_ttl"),
            ("pseudonymize", {"text": "x", "ttl_seconds": "60"}, 400, "bad_ttl"),
            ("pseudonymize", {"text": "x", "mapping_id": 12}, 400, "bad_mapping_id"),
            ("restore", {"text": "x"}, 400, "bad_mapping_id"),
            ("analyze", ["text"], 400, "bad_request"),
        ]
        for path, body, status, code in cases:
            err = self.assertError(c.call("POST", f"{API}/{path}", body), status, code,
                                   (path, body))
            for word in ("PASSPORT", "EMAIL\"", "Dupont", "high"):
                self.assertNotIn(word, err["message"], (path, body))
        # Too large: a text over 1 MiB in a body the server accepts, and a body over
        # server.max_body_bytes.
        big = "Jean Dupont " * (1024 * 1024 // 12 + 1)
        self.assertGreater(len(big.encode()), 1024 * 1024)
        for path in ("analyze", "pseudonymize"):
            self.assertError(c.call("POST", f"{API}/{path}", {"text": big}), 413,
                             "text_too_large")
        self.assertError(c.call("POST", f"{API}/restore", {"text": big, "mapping_id": NOID}),
                         413, "text_too_large")
        # (Announced, not sent: the answer comes at once from Content-Length, and a client
        # still writing megabytes may see the connection closed under it.)
        sock = raw_tls(self.srv.port, self.srv.cafile)
        sock.sendall(f"POST {API}/analyze HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                     f"application/json\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n"
                     .encode() + b'{"text": "')
        out = read_until_closed(sock)
        sock.close()
        self.assertTrue(out.startswith(b"HTTP/1.1 413"), out[:100])
        self.assertEqual(json_error(out.split(b"\r\n\r\n", 1)[1])[0], "body_too_large")
        self.assertError(c.call("POST", f"{API}/analyze", "text=x",
                                headers={"Content-Type": "text/plain"}), 415,
                         "unsupported_media_type")
        # At the limit it works: 1 MiB of UTF-8 (2 bytes per é), in a body written as UTF-8.
        body = json.dumps({"text": "é" * (512 * 1024)}, ensure_ascii=False).encode()
        ok(c.call("POST", f"{API}/analyze", body, headers=json_headers))
        # Nothing stored, nothing recorded.
        self.assertEqual(len(self.mappings()), rows)
        self.assertEqual(vault_query(self.srv, "acme", "SELECT count(*) FROM audit_log WHERE "
                                     f"seq > {seq} AND event LIKE 'pii.%'"), [[0]])

    # ---- values stay inside ----

    def test_values_never_reach_the_log_the_trail_or_the_files(self):
        doc = self.pseudonymize(self.admin, CANARY_TEXT + " " + FR + " " + EN)
        self.assertNotIn("Canary", doc["text"])
        restored = ok(self.restore(self.admin, doc["text"], doc["mapping_id"]))["text"]
        self.assertEqual(restored, CANARY_TEXT + " " + FR + " " + EN)
        ok(self.admin.call("POST", f"{API}/analyze", {"text": CANARY_TEXT}))
        # Refusals that carry the values do not echo them.
        self.assertError(self.admin.call("POST", f"{API}/analyze", {
            "text": CANARY_TEXT, "threshold": 7}), 400, "bad_threshold")
        self.assertError(self.admin.call("POST", f"{API}/restore", {
            "text": CANARY_TEXT, "mapping_id": NOID}), 404, "not_found")
        self.assertEqual(self.admin.call("DELETE", f"{API}/mappings/{doc['mapping_id']}")[0],
                         204)
        time.sleep(0.3)
        log = self.srv.stderr()
        self.assertIn("/api/v1/pii/restore", log)       # the access log did see the calls
        trail = json.dumps(vault_query(self.srv, "acme", "SELECT * FROM audit_log"),
                           ensure_ascii=False)
        for value in CANARIES:
            self.assertNotIn(value, log)
            self.assertNotIn(value, trail)
        # The data folder (databases, WAL, everything) never holds them in clear text.
        needles = [v.encode() for v in CANARIES]
        for root, _, files in os.walk(self.srv.data):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    data = f.read()
                for n in needles:
                    self.assertNotIn(n, data, os.path.join(root, name))


if __name__ == "__main__":
    unittest.main()
