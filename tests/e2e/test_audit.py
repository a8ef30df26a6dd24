"""The tamper-evident audit trail end to end (A1-A4): what is recorded, `coffre audit verify`
finding tampering at the right entry, retention purge, export, webhook alerts."""
import http.server
import json
import threading
import time
import unittest

from harness import free_port
from test_vaults import tool, VaultCase


class Receiver:
    """A webhook receiver on loopback that records what it is sent."""

    def __init__(self):
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((self.path, self.headers.get("X-Coffre-Event"),
                                 self.headers.get("Content-Type"), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class AuditCase(VaultCase):
    def export(self, *args):
        res = self.coffre("audit", "export", *args)
        self.assertEqual(res.returncode, 0, res.stderr)
        return [json.loads(line) for line in res.stdout.splitlines()]

    def verify(self, *args):
        return self.coffre("audit", "verify", *args)


class Recording(AuditCase):
    def test_platform_and_tenant_events(self):
        self.assertEqual(self.coffre("tenant", "create", "acme", "--admin-email",
                                     "ada@acme.example").returncode, 0)
        self.assertEqual(self.coffre("tenant", "rotate-key", "acme").returncode, 0)
        self.assertEqual(self.coffre("tenant", "create", "gone", "--admin-email",
                                     "x@gone.example").returncode, 0)
        self.assertEqual(self.coffre("tenant", "delete", "gone").returncode, 0)
        self.srv.start()
        self.assertEqual(self.srv.stop(), 0)
        platform = self.export()
        events = [(e["event"], e["target"]) for e in platform]
        for expected in [("tenant.create", "acme"), ("key.rotate", "acme"),
                         ("tenant.create", "gone"), ("tenant.delete", "gone"),
                         ("server.start", ""), ("server.stop", "")]:
            self.assertIn(expected, events)
        self.assertEqual([e["seq"] for e in platform], list(range(1, len(platform) + 1)))
        for e in platform:
            self.assertRegex(e["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
            self.assertEqual(e["actor"], "system")
            self.assertIn(e["outcome"], ("success", "failure"))
        # No personal data or key material in the platform trail.
        text = json.dumps(platform)
        self.assertNotIn("ada@acme.example", text)
        self.assertNotIn("wrapped", text)
        res = self.verify()
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn("intact", res.stdout)
        tenant = self.export("--tenant", "acme")
        # tenant create also invites the first admin (a single-use link it prints)
        self.assertEqual([e["event"] for e in tenant], ["vault.create", "user.invite",
                                                         "key.rotate"])
        self.assertEqual(self.verify("--tenant", "acme").returncode, 0)
        # Filters: event prefix, outcome, actor, time range.
        self.assertEqual({e["event"] for e in self.export("--event", "tenant.")},
                         {"tenant.create", "tenant.delete"})
        self.assertEqual(self.export("--outcome", "denied"), [])
        self.assertEqual(self.export("--actor", "nobody"), [])
        self.assertEqual(len(self.export("--from", "2000-01-01T00:00:00Z",
                                         "--to", "2999-01-01T00:00:00Z")), len(platform))
        self.assertEqual(self.export("--to", "2000-01-01T00:00:00Z"), [])
        self.assertEqual(self.coffre("audit", "export", "--outcome", "maybe").returncode, 2)


class Tampering(AuditCase):
    def setUp(self):
        super().setUp()
        self.assertEqual(self.coffre("tenant", "create", "acme", "--admin-email",
                                     "a@acme.example").returncode, 0)
        for _ in range(3):      # each rotation adds a signed entry to the tenant's trail
            self.assertEqual(self.coffre("tenant", "rotate-key", "acme").returncode, 0)

    def tamper(self, statement):
        res = tool(self.data, "acme", "sql", statement)
        self.assertEqual(res.returncode, 0, res.stderr)

    def assertBrokenAt(self, seq, word=None):
        res = self.verify("--tenant", "acme")
        self.assertEqual(res.returncode, 1, res.stdout)
        self.assertIn(f"BROKEN at entry {seq}:", res.stdout)
        if word:
            self.assertIn(word, res.stdout)

    def test_modified_entry(self):
        self.tamper("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
        self.assertBrokenAt(2, "modified")

    def test_deleted_entry(self):
        self.tamper("DELETE FROM audit_log WHERE seq = 2")
        self.assertBrokenAt(2, "missing")

    def test_reordered_entries(self):
        self.tamper("UPDATE audit_log SET seq = -1 WHERE seq = 2; "
                    "UPDATE audit_log SET seq = 2 WHERE seq = 3; "
                    "UPDATE audit_log SET seq = 3 WHERE seq = -1")
        self.assertBrokenAt(2, "reordered")

    def test_truncated_tail_is_caught_by_the_platform_checkpoint(self):
        # Cut the last entry and every checkpoint the vault holds: system.db remembers.
        self.tamper("DELETE FROM audit_log WHERE seq = 5; DELETE FROM audit_checkpoints")
        self.assertBrokenAt(5, "truncated")


class Retention(AuditCase):
    def test_purge_keeps_the_trail_verifiable(self):
        self.assertEqual(self.coffre("tenant", "create", "acme", "--admin-email",
                                     "a@acme.example").returncode, 0)
        self.assertEqual(self.coffre("tenant", "rotate-key", "acme").returncode, 0)
        time.sleep(1.1)
        cut = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        time.sleep(1.1)
        self.assertEqual(self.coffre("tenant", "rotate-key", "acme").returncode, 0)
        res = self.coffre("audit", "purge", "--tenant", "acme", "--before", cut)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("purged 3 audit entries", res.stdout)  # vault.create, user.invite, rotate
        entries = self.export("--tenant", "acme")
        self.assertEqual([e["event"] for e in entries], ["key.rotate", "audit.purge"])
        self.assertEqual(entries[0]["seq"], 4)
        self.assertEqual(self.verify("--tenant", "acme").returncode, 0)
        # The platform trail purges the same way.
        res = self.coffre("audit", "purge", "--before", "2999-01-01T00:00:00Z")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(self.verify().returncode, 0)
        self.assertEqual([e["event"] for e in self.export()], ["audit.purge"])
        res = self.coffre("audit", "purge", "--before", "yesterday")
        self.assertEqual(res.returncode, 2)


class Alerts(AuditCase):
    def test_webhook_receives_security_events(self):
        rx = Receiver()
        try:
            env = {"COFFRE_ALERTS_WEBHOOKS":
                   f"http://127.0.0.1:{rx.port}/hook|tenant.,key. "
                   f"http://127.0.0.1:{rx.port}/all|*"}
            res = self.coffre("tenant", "create", "acme", "--admin-email", "a@acme.example",
                              env=env)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(self.coffre("audit", "checkpoint", env=env).returncode, 0)
            paths = sorted((p, e) for p, e, _, _ in rx.received)
            self.assertIn(("/hook", "tenant.create"), paths)
            self.assertIn(("/all", "tenant.create"), paths)
            path, event, ctype, body = next(r for r in rx.received if r[0] == "/hook")
            self.assertEqual(ctype, "application/json")
            self.assertEqual(body["event"], "tenant.create")
            self.assertEqual(body["target"], "acme")
            self.assertEqual(body["scope"], "platform")
        finally:
            rx.close()

    def test_dead_webhook_never_fails_the_action(self):
        dead = free_port()
        env = {"COFFRE_ALERTS_WEBHOOKS": f"http://127.0.0.1:{dead}/x|*",
               "COFFRE_ALERTS_RETRIES": "1"}
        start = time.monotonic()
        res = self.coffre("tenant", "create", "acme", "--admin-email", "a@acme.example",
                          env=env)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(self.verify().returncode, 0)

    def test_webhook_urls_must_be_https_or_loopback(self):
        env = {"COFFRE_ALERTS_WEBHOOKS": "http://hooks.example.com/x|*"}
        res = self.coffre("tenant", "list", env=env)
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("alerts.webhooks", res.stderr)


if __name__ == "__main__":
    unittest.main()
