"""Accounts end to end with real mail (I1-I6 of issue 5, audit routes of issue 4).

The real binary over real TLS, and a real SMTP server on loopback (aiosmtpd, through
smtp_sink.SmtpSink) that receives coffre's invitation, reset and lockout mail: the tests
follow the links in the received messages as a user would. Covered: invitations from the
command line and the API, the password policy with the rule each refusal names, renewal,
self-service reset, the lockout notice, the shape of the mail on the wire, running without
mail, GET /api/v1/audit and /api/v1/audit/verify, and that every flow is audited with no
secret in the trail or the log. Requirement numbers are OWASP ASVS 5.0 (data/asvs/).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
from datetime import datetime, timedelta, timezone

try:
    import aiosmtpd  # noqa: F401  (only whether it is there)
except ImportError:
    # ctest may run a python3 (pyenv, a venv) that does not see Debian's python3-aiosmtpd.
    sys.path.append("/usr/lib/python3/dist-packages")

from accounts import FAST_ARGON, Client, admin_session, link_token, signed_in
from harness import Server, run, wait_for
from smtp_sink import SmtpSink

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.environ.get("VAULT_TOOL", os.path.join(HERE, "../../build/vault_tool"))
COMMON_LIST = os.path.join(HERE, "../../data/common-passwords.txt")

PUBLIC = "https://vault.acme.example"
FROM = "coffre@acme.example"
# Every test here comes from 127.0.0.1, quickly, and fails on purpose (wrong passwords, dead
# links, reset requests): the per-address limits, tested elsewhere, must not answer 429.
SETS = {"smtp.from": FROM, "server.public_url": PUBLIC, **FAST_ARGON,
        "auth.address_failures": "100000", "server.rate_limit": "0",
        "log.level": "debug"}        # the log scans below read every line coffre can write
# The command line reads its settings from the data folder and the environment.
CLI_ENV = {"COFFRE_SERVER_PUBLIC_URL": PUBLIC,
           "COFFRE_PASSWORD_ARGON2_MEMORY_KIB": FAST_ARGON["password.argon2_memory_kib"],
           "COFFRE_PASSWORD_ARGON2_PASSES": FAST_ARGON["password.argon2_passes"]}

PW = "correct horse battery staple"
PW2 = "quiet lantern over seven hills"
WRONG = "definitely not the password"
CRED_RE = re.compile(r"[0-9a-f]{32}\.[A-Za-z0-9_-]{43}")
LINK_RE = r"https://vault\.acme\.example/{}#token=([0-9a-f]{{32}})\.([A-Za-z0-9_-]{{43}})"
MAIL_HEADERS = ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type",
                "Content-Transfer-Encoding", "Auto-Submitted"]
EDITOR_PERMS = ["documents.read", "documents.write", "documents.delete", "tags.manage",
                "collections.manage", "ai.use", "pii.use"]
READER_PERMS = ["documents.read", "ai.use", "pii.use"]
DEFAULT_POLICY = {"password": {"min_length": 12, "max_length": 128, "require_classes": False,
                               "history": 5, "check_common": True},
                  "lockout_threshold": 5, "password_renewal_days": 0}

SINK = SRV = MAILDIR = None


def setUpModule():
    global SINK, SRV, MAILDIR
    MAILDIR = tempfile.mkdtemp(prefix="coffre-mail-")
    SINK = SmtpSink(directory=MAILDIR).start()
    SRV = Server()
    SRV.start(sets={"smtp.url": f"smtp://127.0.0.1:{SINK.port}", **SETS})


def stop_cleanly(srv):
    """Stops srv; raises when it did not exit 0 or a sanitizer spoke (ASan/UBSan builds)."""
    rc = srv.stop()
    log = srv.stderr()
    srv.close()
    if rc != 0 or "Sanitizer" in log or "runtime error:" in log:
        raise AssertionError(f"server exit status {rc}; log ends with:\n{log[-4000:]}")


def tearDownModule():
    try:
        if SRV is not None:
            stop_cleanly(SRV)
    finally:
        if SINK is not None:
            SINK.stop()
        if MAILDIR is not None:
            shutil.rmtree(MAILDIR, ignore_errors=True)


# ---- helpers ----

def cli(*args, srv=None):
    return run(*args, "--data", (srv or SRV).data, env=CLI_ENV)


def sql(slug, statement, srv=None):
    """Runs SQL on a tenant's vault with the vault tool (tamper tests)."""
    res = subprocess.run([TOOL, (srv or SRV).data, slug, "sql", statement], capture_output=True,
                         text=True, timeout=60, stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        raise AssertionError("vault_tool sql failed: " + res.stderr)


def user_sql(email):
    return f"(SELECT id FROM users WHERE email_key = '{email.lower()}')"


def new_tenant(slug, admin_email, *extra, srv=None):
    """`coffre tenant create`; returns (tenant id, the first admin's invitation token)."""
    res = cli("tenant", "create", slug, "--admin-email", admin_email, *extra, srv=srv)
    if res.returncode != 0:
        raise AssertionError("tenant create failed: " + res.stderr)
    tid = re.search(r"^id: ([0-9a-f]{32})$", res.stdout, re.M).group(1)
    return tid, link_token(res.stdout)


def invite_cli(slug, email, role="reader", srv=None):
    res = cli("user", "add", "--tenant", slug, "--email", email, "--role", role, srv=srv)
    if res.returncode != 0:
        raise AssertionError("user add failed: " + res.stderr)
    return link_token(res.stdout)


def tenant_admin(slug, *extra, srv=None):
    """A new tenant and its first admin, signed in with TOTP enrolled (admins need it)."""
    srv = srv or SRV
    email = f"admin@{slug}.example"
    tid, token = new_tenant(slug, email, *extra, srv=srv)
    c, secret, codes = admin_session(srv, slug, email, PW, token)
    c.tid, c.email, c.slug, c.totp_secret, c.recovery = tid, email, slug, secret, codes
    c.user_id = me(c)["user"]["id"]
    return c


def member(slug, email, role="reader", password=PW, srv=None):
    """A user invited from the command line who accepted and signed in."""
    c = signed_in(srv or SRV, slug, email, password, invite_cli(slug, email, role, srv=srv))
    c.email, c.slug, c.password = email, slug, password
    c.user_id = me(c)["user"]["id"]
    return c


def me(c):
    st, doc, _ = c.call("GET", "/api/v1/me")
    if st != 200:
        raise AssertionError(f"/me: {st} {doc}")
    return doc


def mails_to(addr):
    return [e for e in SINK.envelopes() if addr.lower() in (a.lower() for a in e["rcpt_tos"])]


def next_mail(addr, action, timeout=10):
    """Runs action, then returns (its result, the next message to addr)."""
    n = len(mails_to(addr))
    result = action()
    return result, SINK.wait_for(addr, timeout=timeout, count=n + 1)[n]


def envelope(msg):
    [env] = [e for e in SINK.envelopes() if e["message_id"] == msg["Message-ID"]]
    return env


def raw_message(msg):
    """The bytes the SMTP server received for msg (smtp_sink writes NNNN.eml)."""
    envs = SINK.envelopes()
    [i] = [k for k, e in enumerate(envs) if e["message_id"] == msg["Message-ID"]]
    with open(os.path.join(MAILDIR, "%04d.eml" % (i + 1)), "rb") as f:
        return f.read()


def body(msg):
    return msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


_barriers = [0]


def mail_barrier(admin):
    """Has admin invite a fresh address and waits for that mail. One thread sends coffre's
    mail in order, so every message queued before has been delivered by then."""
    _barriers[0] += 1
    addr = f"barrier{_barriers[0]}@{admin.slug}.example"
    st, doc, _ = admin.call("POST", "/api/v1/invitations", {"email": addr, "role": "reader"})
    if st != 201:
        raise AssertionError(f"barrier invitation: {st} {doc}")
    SINK.wait_for(addr)


def audit_pages(c, limit=1000, **filters):
    """Every page of GET /api/v1/audit with filters; returns the list of pages."""
    pages, cursor = [], None
    for _ in range(10000):
        q = dict(filters, limit=limit)
        if cursor is not None:
            q["cursor"] = cursor
        st, doc, _ = c.call("GET", "/api/v1/audit?" + urllib.parse.urlencode(q))
        if st != 200:
            raise AssertionError(f"audit query {q}: {st} {doc}")
        pages.append(doc)
        cursor = doc["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("the cursor never ends")


def audit_all(c, **filters):
    return [e for p in audit_pages(c, **filters) for e in p["items"]]


def utc(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def log_sync(srv):
    """Waits until the server's log has caught up with a request made now."""
    n = srv.stderr().count("route=/healthz ")
    srv.request("GET", "/healthz")
    wait_for(lambda: srv.stderr().count("route=/healthz ") > n, timeout=5)
    return srv.stderr()


def common_password(min_len=12):
    with open(COMMON_LIST, encoding="utf-8", errors="replace") as f:
        for line in f:
            w = line.rstrip("\n")
            if len(w) >= min_len and w.isascii() and w.isalnum() and not w.isdigit():
                return w
    raise AssertionError("no common password of %d characters in the list" % min_len)


class MailCase(unittest.TestCase):
    def assertRefused(self, st, doc, rule, pw=None):
        self.assertEqual(st, 422, doc)
        self.assertEqual(doc["error"]["code"], "password_rejected", doc)
        self.assertEqual(doc["error"].get("rule"), rule, doc)
        if pw:
            self.assertNotIn(pw, doc["error"]["message"])   # a refusal never quotes it

    def assertError(self, st, doc, status, code):
        self.assertEqual((st, (doc or {}).get("error", {}).get("code")), (status, code), doc)

    def invite(self, admin, addr, role="reader"):
        """Invites addr over the API; returns (answer, the mail received)."""
        n = len(mails_to(addr))
        st, doc, _ = admin.call("POST", "/api/v1/invitations", {"email": addr, "role": role})
        self.assertEqual(st, 201, doc)
        return doc, SINK.wait_for(addr, count=n + 1)[n]

    def reset_mail(self, slug, addr):
        """Asks for a reset link for addr; returns its token from the mail."""
        n = len(mails_to(addr))
        st, doc, _ = Client(SRV).call("POST", "/api/v1/auth/password/reset-request",
                                      {"tenant": slug, "email": addr})
        self.assertEqual(st, 202, doc)
        return link_token(body(SINK.wait_for(addr, count=n + 1)[n]))


# ---- 1. the command line prints the first links ----

class CliInvitations(MailCase):
    def test_tenant_create_prints_a_single_use_admin_link(self):
        # ASVS 6.4.1: the activation link is random, single use and expires.
        res = cli("tenant", "create", "initrode", "--admin-email", "boss@initrode.example")
        self.assertEqual(res.returncode, 0, res.stderr)
        tid = re.search(r"^id: ([0-9a-f]{32})$", res.stdout, re.M).group(1)
        links = [ln for ln in res.stdout.splitlines() if "#token=" in ln]
        self.assertEqual(len(links), 1, res.stdout)
        m = re.fullmatch(LINK_RE.format("invitation"), links[0])
        self.assertIsNotNone(m, links[0])
        self.assertEqual(m.group(1), tid)
        self.assertIn("boss@initrode.example (role admin)", res.stdout)
        self.assertIn("single use", res.stdout)
        token = link_token(res.stdout)
        self.assertNotIn(token, res.stderr)
        c = Client(SRV)
        st, doc, _ = c.accept(token, PW)
        self.assertEqual((st, doc["email"]), (200, "boss@initrode.example"), doc)
        st, doc, _ = c.login("initrode", "boss@initrode.example", PW)
        self.assertEqual(st, 200, doc)
        self.assertTrue(doc["two_factor_required"])     # admins must enrol (ASVS 6.3.3)
        info = me(c)
        self.assertEqual(info["user"]["roles"], ["admin"])
        self.assertIn("users.manage", info["permissions"])
        # The link works once: a replay is refused and sets nothing.
        st, doc, _ = Client(SRV).accept(token, PW2)
        self.assertError(st, doc, 400, "invalid_token")
        self.assertEqual(Client(SRV).login("initrode", "boss@initrode.example", PW2)[0], 401)

    def test_user_add_prints_a_link_with_the_role(self):
        tenant_tid, _ = new_tenant("vandelay", "art@vandelay.example")
        for email, role, perms in (("ed@vandelay.example", "editor", EDITOR_PERMS),
                                   ("rd@vandelay.example", None, READER_PERMS)):
            args = ["user", "add", "--tenant", "vandelay", "--email", email]
            if role:
                args += ["--role", role]
            res = cli(*args)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertIn(f"{email} (role {role or 'reader'})", res.stdout)
            links = [ln for ln in res.stdout.splitlines() if "#token=" in ln]
            self.assertEqual(len(links), 1, res.stdout)
            m = re.fullmatch(LINK_RE.format("invitation"), links[0])
            self.assertIsNotNone(m, links[0])
            self.assertEqual(m.group(1), tenant_tid)
            token = link_token(res.stdout)
            c = signed_in(SRV, "vandelay", email, PW, token)
            info = me(c)
            self.assertEqual(info["user"]["roles"], [role or "reader"])
            self.assertEqual(info["permissions"], perms)
            self.assertError(*Client(SRV).accept(token, PW2)[:2], 400, "invalid_token")

    def test_user_add_refusals(self):
        new_tenant("kramerica", "k@kramerica.example")
        res = cli("user", "add", "--tenant", "kramerica", "--email", "bob@kramerica.example",
                  "--role", "wizard")
        self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
        self.assertIn("wizard", res.stderr)
        self.assertIn("role", res.stderr)
        self.assertNotIn("#token=", res.stdout)
        # Nothing was left half made: the same address can be invited with a real role.
        res = cli("user", "add", "--tenant", "kramerica", "--email", "bob@kramerica.example",
                  "--role", "editor")
        self.assertEqual(res.returncode, 0, res.stderr)
        signed_in(SRV, "kramerica", "bob@kramerica.example", PW, link_token(res.stdout))
        # An active account cannot be invited again; an unknown tenant is named.
        res = cli("user", "add", "--tenant", "kramerica", "--email", "BOB@kramerica.example")
        self.assertEqual(res.returncode, 1, res.stdout)
        self.assertIn("exists", res.stderr)
        self.assertNotIn("#token=", res.stdout)
        res = cli("user", "add", "--tenant", "no-such-tenant", "--email", "x@kramerica.example")
        self.assertEqual(res.returncode, 1, res.stdout)
        self.assertIn("no-such-tenant", res.stderr)
        for bad in ("not-an-address", "x@kramerica.example\r\nBcc: m@evil.example"):
            res = cli("user", "add", "--tenant", "kramerica", "--email", bad)
            self.assertEqual(res.returncode, 1, res.stdout)
            self.assertIn("e-mail", res.stderr)
            self.assertNotIn("#token=", res.stdout)

    def test_usage_errors_exit_2(self):
        for args in (["user"], ["user", "add"], ["user", "remove", "--tenant", "x"],
                     ["user", "add", "--tenant", "kramerica"],
                     ["user", "add", "--email", "a@kramerica.example"],
                     ["user", "add", "--tenant", "kramerica", "--email", "a@kramerica.example",
                      "--bogus"],
                     ["user", "add", "--tenant", "kramerica", "--email", "a@kramerica.example",
                      "extra"],
                     ["tenant", "create", "nomail"]):
            res = cli(*args)
            self.assertEqual(res.returncode, 2, (args, res.stdout, res.stderr))
            self.assertIn("usage", res.stderr, args)
            self.assertNotIn("#token=", res.stdout)


# ---- 2. invitations over the API, with the mail ----

class ApiInvitations(MailCase):
    @classmethod
    def setUpClass(cls):
        cls.admin = tenant_admin("globex")

    def test_invitation_mail_carries_a_single_use_link(self):
        addr = "dana@globex.example"
        doc, msg = self.invite(self.admin, addr, "editor")
        self.assertEqual((doc["email"], doc["role"]), (addr, "editor"))
        self.assertEqual(msg["From"], FROM)
        self.assertEqual(msg["To"], addr)
        self.assertEqual(msg["Subject"], "You are invited to coffre")
        env = envelope(msg)
        self.assertEqual((env["mail_from"], env["rcpt_tos"]), (FROM, [addr]))
        self.assertIn("72 hours", body(msg))
        self.assertIn(self.admin.email, body(msg))      # who invited
        links = SINK.links(msg)
        self.assertEqual(len(links), 1, body(msg))
        self.assertTrue(links[0].startswith(PUBLIC + "/invitation#token="), links)
        token = link_token(body(msg))
        self.assertEqual(token.split(".")[0], self.admin.tid)
        c = Client(SRV)
        st, doc, _ = c.accept(token, PW2)
        self.assertEqual((st, doc.get("email")), (200, addr), doc)
        st, doc, _ = c.login("globex", addr, PW2)
        self.assertEqual(st, 200, doc)
        info = me(c)
        self.assertEqual(info["user"]["status"], "active")
        self.assertEqual(info["user"]["roles"], ["editor"])
        self.assertEqual(info["permissions"], EDITOR_PERMS)
        # ASVS 6.4.1: used once, the link is dead; the replay changed nothing.
        st, doc, _ = Client(SRV).accept(token, "a replayed new passphrase")
        self.assertError(st, doc, 400, "invalid_token")
        self.assertEqual(Client(SRV).login("globex", addr, "a replayed new passphrase")[0], 401)
        self.assertEqual(Client(SRV).login("globex", addr, PW2)[0], 200)

    def test_expired_invitation_is_refused(self):
        # ASVS 6.4.1: activation links expire.
        addr = "erin@globex.example"
        _, msg = self.invite(self.admin, addr)
        token = link_token(body(msg))
        sql("globex", "UPDATE auth_links SET expires = created + 1 WHERE kind = 'invitation' "
                      f"AND user_id = {user_sql(addr)}")
        self.assertError(*Client(SRV).accept(token, PW)[:2], 400, "invalid_token")
        self.assertEqual(Client(SRV).login("globex", addr, PW)[0], 401)
        # A new invitation works: only the old link was dead.
        _, msg = self.invite(self.admin, addr)
        self.assertEqual(Client(SRV).accept(link_token(body(msg)), PW)[0], 200)

    def test_inviting_an_active_address_is_a_conflict(self):
        addr = "frank@globex.example"
        _, msg = self.invite(self.admin, addr)
        self.assertEqual(Client(SRV).accept(link_token(body(msg)), PW)[0], 200)
        for variant in (addr, addr.upper(), "Frank@Globex.Example"):
            st, doc, _ = self.admin.call("POST", "/api/v1/invitations",
                                         {"email": variant, "role": "admin"})
            self.assertError(st, doc, 409, "user_exists")
        mail_barrier(self.admin)
        self.assertEqual(len(mails_to(addr)), 1)
        self.assertEqual(Client(SRV).login("globex", addr, PW)[0], 200)

    def test_reinviting_invalidates_the_first_link(self):
        addr = "gina@globex.example"
        _, first = self.invite(self.admin, addr, "reader")
        _, second = self.invite(self.admin, addr, "editor")
        t1, t2 = link_token(body(first)), link_token(body(second))
        self.assertNotEqual(t1, t2)
        self.assertError(*Client(SRV).accept(t1, PW)[:2], 400, "invalid_token")
        c = Client(SRV)
        self.assertEqual(c.accept(t2, PW)[0], 200)
        self.assertEqual(c.login("globex", addr, PW)[0], 200)
        self.assertEqual(me(c)["user"]["roles"], ["editor"])      # the new invitation's role

    def test_a_reader_cannot_invite_and_the_denial_is_audited(self):
        # ASVS 8.2.1 (function-level access), 16.3.2 (failed authorization logged).
        reader = member("globex", "hank@globex.example", "reader")
        st, doc, _ = reader.call("POST", "/api/v1/invitations",
                                 {"email": "ivan@globex.example", "role": "admin"})
        self.assertError(st, doc, 403, "forbidden")
        denied = audit_all(self.admin, event="access.denied", actor=reader.user_id)
        self.assertEqual(len(denied), 1, denied)
        self.assertEqual(denied[0]["outcome"], "denied")
        self.assertEqual(denied[0]["detail"], {"permission": "users.manage", "method": "POST",
                                               "route": "/api/v1/invitations"})
        mail_barrier(self.admin)
        self.assertEqual(mails_to("ivan@globex.example"), [])
        st, doc, _ = self.admin.call("GET", "/api/v1/users")
        self.assertNotIn("ivan@globex.example", [u["email"] for u in doc["items"]])

    def test_invalid_and_header_injecting_addresses_are_refused(self):
        # ASVS 1.3.11: nothing from the request reaches the SMTP dialogue or the headers
        # unchecked; 2.2.1: the address is validated.
        before = {u["email"] for u in self.admin.call("GET", "/api/v1/users")[1]["items"]}
        n = len(SINK.envelopes())
        bad = ["", "not-an-address", "a@b", "two@@globex.example", "jo hn@globex.example",
               "x@globex.example\r\nBcc: mallory@evil.example",
               "x@globex.example\nSubject: pwned",
               "x@globex.example\r",
               "x@globex.example>\r\nRCPT TO:<mallory@evil.example",
               "x\r\n.\r\nMAIL FROM:<m@evil.example>@globex.example",
               "x@globex.example%0d%0aBcc:mallory@evil.example",
               "\u00e9milie@globex.example", "x@globex.example\u2028Bcc: m@evil.example"]
        for addr in bad:
            st, doc, _ = self.admin.call("POST", "/api/v1/invitations",
                                         {"email": addr, "role": "reader"})
            self.assertError(st, doc, 400, "invalid_email")
        st, doc, _ = self.admin.call("POST", "/api/v1/invitations",
                                     {"email": "y@globex.example",
                                      "role": "reader\r\nBcc: mallory@evil.example"})
        self.assertIn(st, (400, 422), doc)
        mail_barrier(self.admin)
        sent = SINK.envelopes()[n:]
        self.assertEqual(len(sent), 1, sent)        # the barrier's, nothing else
        self.assertNotIn("evil.example", json.dumps(SINK.envelopes()))
        self.assertNotIn("pwned", json.dumps(SINK.envelopes()))
        after = {u["email"] for u in self.admin.call("GET", "/api/v1/users")[1]["items"]}
        self.assertEqual(after - before, {sent[0]["rcpt_tos"][0]})


# ---- 3. the password policy ----

class PasswordPolicy(MailCase):
    @classmethod
    def setUpClass(cls):
        # The slug and the name are both context words (ASVS 6.1.2, 6.2.11).
        cls.admin = tenant_admin("initech", "--name", "Umbrella Works")
        cls.common = common_password(12)

    def cases(self, email):
        local = email.split("@")[0]
        return [
            ("Tr0ub4dor&3x"[:11], "too_short"),                         # ASVS 6.2.1
            ("k" + "q7vz-mlp2wx" * 11 + "abcdefg", "too_long"),         # 129 characters
            (self.common, "common_password"),                           # ASVS 6.2.4, 6.2.12
            (self.common.upper(), "common_password"),
            (f"my {local} forever and ever", "contains_email"),
            (f"{email.upper()}!", "contains_email"),
            ("at initech all day long", "contains_tenant"),             # the slug
            ("umbrellaworks is my home", "contains_tenant"),            # the name, compacted
        ]

    def test_rules_on_accept_reset_and_change(self):
        addr = "carol.smith@initech.example"
        cases = self.cases(addr)
        self.assertEqual(len(cases[1][0]), 129)
        _, msg = self.invite(self.admin, addr)
        token = link_token(body(msg))
        # On accept: each refusal names its rule and leaves the link usable.
        for pw, rule in cases:
            st, doc, _ = Client(SRV).accept(token, pw)
            self.assertRefused(st, doc, rule, pw)
        c = Client(SRV)
        self.assertEqual(c.accept(token, PW)[0], 200)
        self.assertEqual(c.login("initech", addr, PW)[0], 200)
        # On change (ASVS 6.2.2, 6.2.3: the current password is required).
        for pw, rule in cases + [(PW, "reused")]:
            st, doc, _ = c.call("POST", "/api/v1/auth/password", {"current": PW, "new": pw})
            self.assertRefused(st, doc, rule, pw)
        st, doc, _ = c.call("POST", "/api/v1/auth/password", {"current": WRONG, "new": PW2})
        self.assertError(st, doc, 403, "wrong_password")
        # On reset (ASVS 6.4.3): the same rules, the history too.
        token = self.reset_mail("initech", addr)
        for pw, rule in cases + [(PW, "reused")]:
            st, doc, _ = Client(SRV).call("POST", "/api/v1/auth/password/reset",
                                          {"token": token, "password": pw})
            self.assertRefused(st, doc, rule, pw)
        st, doc, _ = Client(SRV).call("POST", "/api/v1/auth/password/reset",
                                      {"token": token, "password": PW2})
        self.assertEqual(st, 200, doc)
        self.assertEqual(Client(SRV).login("initech", addr, PW2)[0], 200)

    def test_length_limits_count_characters_and_never_truncate(self):
        c = member("initech", "quinn@initech.example", "reader")
        cur = PW

        def change(new):
            nonlocal cur
            st, doc, _ = c.call("POST", "/api/v1/auth/password", {"current": cur, "new": new})
            if st == 200:
                cur = new
            return st, doc

        self.assertRefused(*change("kq7vz-mlp2w"), "too_short")           # 11 (ASVS 6.2.1)
        self.assertEqual(change("kq7vz-mlp2wx")[0], 200)                   # 12
        long128 = ("kq7vz-mlp2wx" * 11 + "abcdefghijklmnop")[:128]
        self.assertEqual(len(long128), 128)
        self.assertRefused(*change(long128 + "Q"), "too_long")             # 129
        self.assertEqual(change(long128)[0], 200)                          # ASVS 6.2.9
        # ASVS 6.2.8: verified exactly as typed, never truncated: the last character counts.
        self.assertEqual(Client(SRV).login("initech", c.email, long128[:-1] + "Z")[0], 401)
        self.assertEqual(Client(SRV).login("initech", c.email, long128)[0], 200)
        # Characters, not bytes: 64 two-, three- and four-byte characters are fine, and 128
        # four-byte characters (512 bytes) too; 129 of them are one too many.
        for pw in ("\u00e9\u00e8\u00e0\u00fc" * 16, "\u65e5\u672c\u8a9e\u5b57" * 16,
                   "\U0001F600\U0001F680\U0001F40D\U0001F511" * 16,
                   "\U0001F510\U0001F511" * 64):
            self.assertEqual(change(pw)[0], 200, len(pw))
            self.assertEqual(Client(SRV).login("initech", c.email, pw)[0], 200)
        self.assertRefused(*change("\U0001F512" * 129), "too_long")

    def test_the_last_five_passwords_are_refused(self):
        # Issue 5: refused when it is one of the last 5 (the current one among them).
        c = member("initech", "kim@initech.example", "reader")
        pws = [PW] + [f"history step {n} of the walk" for n in range(1, 6)]
        for old, new in zip(pws, pws[1:]):
            st, doc, _ = c.call("POST", "/api/v1/auth/password", {"current": old, "new": new})
            self.assertEqual(st, 200, doc)
        cur = pws[-1]
        for old in reversed(pws[1:]):
            st, doc, _ = c.call("POST", "/api/v1/auth/password", {"current": cur, "new": old})
            self.assertRefused(st, doc, "reused", old)
        st, doc, _ = c.call("POST", "/api/v1/auth/password", {"current": cur, "new": pws[0]})
        self.assertEqual(st, 200, doc)              # the sixth most recent is allowed again
        self.assertEqual(Client(SRV).login("initech", c.email, pws[0])[0], 200)

    def test_composition_rules_only_when_the_tenant_turns_them_on(self):
        # ASVS 6.2.5: off by default; a tenant may depart from it.
        admin = tenant_admin("soylent")
        c = member("soylent", "sol@soylent.example", "reader")
        cur = PW

        def change(new):
            nonlocal cur
            st, doc, _ = c.call("POST", "/api/v1/auth/password", {"current": cur, "new": new})
            if st == 200:
                cur = new
            return st, doc

        self.assertEqual(change("only lower case words here")[0], 200)
        st, doc, _ = admin.call("PUT", "/api/v1/settings/auth",
                                {"password": {"require_classes": True}})
        self.assertEqual(st, 200, doc)
        self.assertTrue(doc["password"]["require_classes"])
        self.assertRefused(*change("just lower case words again"), "composition")
        self.assertRefused(*change("ALLUPPERCASEANDSPACES"), "composition")
        self.assertEqual(change("Mixed Case words 4 you")[0], 200)
        st, doc, _ = admin.call("PUT", "/api/v1/settings/auth",
                                {"password": {"require_classes": False}})
        self.assertEqual(st, 200, doc)
        self.assertEqual(change("just lower case words again")[0], 200)

    def test_policy_settings_are_validated(self):
        admin = tenant_admin("cyberdyne")
        c = member("cyberdyne", "miles@cyberdyne.example", "reader")

        def get():
            st, doc, _ = admin.call("GET", "/api/v1/settings/auth")
            self.assertEqual(st, 200, doc)
            return doc

        self.assertEqual(get(), DEFAULT_POLICY)     # renewal off by default (ASVS 6.2.10)
        st, doc, _ = admin.call("PUT", "/api/v1/settings/auth",
                                {"password": {"min_length": 14}, "lockout_threshold": 7})
        self.assertEqual(st, 200, doc)
        stored = get()
        self.assertEqual(doc, stored)
        self.assertEqual((stored["password"]["min_length"], stored["lockout_threshold"]),
                         (14, 7))
        # Fields left out keep their values, at both levels.
        st, doc, _ = admin.call("PUT", "/api/v1/settings/auth",
                                {"password": {"require_classes": True}})
        self.assertEqual(st, 200, doc)
        stored = get()
        self.assertEqual(stored, {**DEFAULT_POLICY, "lockout_threshold": 7,
                                  "password": {**DEFAULT_POLICY["password"], "min_length": 14,
                                               "require_classes": True}})
        # Unknown fields are bad input (400) as in every body; values out of range are 422.
        for bad in ({"bogus": 1}, {"password": {"bogus": 1}},
                    {"lockout_threshold": 9, "password": {"min_length": 16}, "x": 1},
                    {"password": {"min_length": 16, "minlength": 16}}):
            st, doc, _ = admin.call("PUT", "/api/v1/settings/auth", bad)
            self.assertError(st, doc, 400, "unknown_field")
            self.assertEqual(get(), stored, bad)       # nothing changed, not even in part
        for bad in ({"password": {"min_length": 7}},
                    {"password": {"min_length": 300}}, {"password": {"max_length": 63}},
                    {"password": {"max_length": 257}}, {"password": {"history": 25}},
                    {"password": {"min_length": 100, "max_length": 64}},
                    {"password": {"history": -1}}, {"password": {"min_length": 12.5}},
                    {"password": {"require_classes": "yes"}}, {"password": None},
                    {"password": {"check_common": 0}}, {"lockout_threshold": 0},
                    {"lockout_threshold": 101}, {"password_renewal_days": -1},
                    {"password_renewal_days": 3651}, {"password_renewal_days": "90"},
                    {"lockout_threshold": 9, "password": {"min_length": 16, "history": 99}}):
            st, doc, _ = admin.call("PUT", "/api/v1/settings/auth", bad)
            self.assertError(st, doc, 422, "invalid_policy")
            self.assertEqual(get(), stored, bad)       # nothing changed, not even in part
        # What GET shows is what is enforced: 13 characters are now too short.
        st, doc, _ = c.call("POST", "/api/v1/auth/password",
                            {"current": PW, "new": "Thirteen ch4r"})
        self.assertRefused(st, doc, "too_short")
        st, doc, _ = c.call("POST", "/api/v1/auth/password",
                            {"current": PW, "new": "Fourteen char5"})
        self.assertEqual(st, 200, doc)
        # A reader cannot read or change the policy.
        self.assertError(*c.call("GET", "/api/v1/settings/auth")[:2], 403, "forbidden")
        self.assertError(*c.call("PUT", "/api/v1/settings/auth",
                                 {"lockout_threshold": 100})[:2], 403, "forbidden")
        self.assertEqual(get(), stored)

    def test_renewal_restricts_an_expired_password_to_setting_a_new_one(self):
        # Issue 5 item 4 (off by default, ASVS 6.2.10; a tenant may demand it).
        admin = tenant_admin("tyrell")
        c = member("tyrell", "rachael@tyrell.example", "editor")
        st, doc, _ = admin.call("PUT", "/api/v1/settings/auth", {"password_renewal_days": 1})
        self.assertEqual((st, doc.get("password_renewal_days")), (200, 1), doc)
        self.assertEqual(c.call("GET", "/api/v1/tokens")[0], 200)
        sql("tyrell", "UPDATE users SET password_changed = 1000000 "
                      f"WHERE id = {user_sql(c.email)}")
        # The session already open is restricted at once.
        self.assertError(*c.call("GET", "/api/v1/tokens")[:2], 403, "password_expired")
        c = Client(SRV)
        st, doc, _ = c.login("tyrell", "rachael@tyrell.example", PW)
        self.assertEqual(st, 200, doc)
        self.assertTrue(doc["password_expired"])
        blocked = [("GET", "/api/v1/tokens", None),
                   ("POST", "/api/v1/tokens", {"name": "x"}),
                   ("DELETE", "/api/v1/auth/totp", {"password": PW}),
                   ("GET", "/api/v1/users", None),
                   ("POST", "/api/v1/invitations", {"email": "z@tyrell.example",
                                                    "role": "reader"}),
                   ("GET", "/api/v1/settings/auth", None),
                   ("GET", "/api/v1/audit", None),
                   ("GET", "/api/v1/audit/verify", None)]
        for method, path, b in blocked:
            st, doc, _ = c.call(method, path, b)
            self.assertError(st, doc, 403, "password_expired")
        info = me(c)
        self.assertTrue(info["password_expired"])
        self.assertEqual(c.call("POST", "/api/v1/auth/totp/enroll")[0], 200)
        st, doc, _ = c.call("POST", "/api/v1/auth/totp/confirm", {"code": "000000"})
        self.assertNotEqual((doc or {}).get("error", {}).get("code"), "password_expired", doc)
        self.assertNotEqual(st, 200, doc)
        other = Client(SRV)
        self.assertEqual(other.login("tyrell", "rachael@tyrell.example", PW)[0], 200)
        self.assertEqual(other.call("POST", "/api/v1/auth/logout")[0], 204)
        # A new password lifts the restriction.
        st, doc, _ = c.call("POST", "/api/v1/auth/password", {"current": PW, "new": PW2})
        self.assertEqual(st, 200, doc)
        self.assertEqual(c.call("GET", "/api/v1/tokens")[0], 200)
        self.assertFalse(me(c)["password_expired"])
        st, doc, _ = Client(SRV).login("tyrell", "rachael@tyrell.example", PW2)
        self.assertEqual((st, doc.get("password_expired")), (200, False), doc)


# ---- 4 and 5. self-service reset and the lockout notice ----

class SelfServiceReset(MailCase):
    @classmethod
    def setUpClass(cls):
        cls.admin = tenant_admin("hooli")

    def reset_request(self, tenant, email):
        return SRV.request("POST", "/api/v1/auth/password/reset-request",
                           {"tenant": tenant, "email": email})

    def test_reset_request_answers_alike_and_mails_only_an_account(self):
        # ASVS 6.3.8: the answer does not tell whether the account exists.
        rita = member("hooli", "rita@hooli.example")
        invite_cli("hooli", "ivy@hooli.example")     # invited, no password yet
        answers = [self.reset_request(t, e) for t, e in (
            ("hooli", "nobody@hooli.example"), ("no-such-tenant", "rita@hooli.example"),
            ("hooli", "ivy@hooli.example"), ("hooli", "RITA@hooli.example"))]
        for st, hdrs, data in answers:
            self.assertEqual(st, 202, data)
            self.assertEqual(data, answers[0][2])
            hdrs.pop("date", None)
            self.assertEqual(hdrs, answers[0][1])
        msg = SINK.wait_for(rita.email)[0]
        self.assertEqual(msg["Subject"], "Reset your coffre password")
        self.assertEqual(msg["From"], FROM)
        self.assertIn("60 minutes", body(msg))
        [link] = SINK.links(msg)
        self.assertIsNotNone(re.fullmatch(LINK_RE.format("reset"), link), link)
        mail_barrier(self.admin)
        self.assertEqual(mails_to("nobody@hooli.example"), [])
        self.assertEqual(mails_to("ivy@hooli.example"), [])
        self.assertEqual(len(mails_to(rita.email)), 1)

    def test_lockout_notice_then_reset_unlocks_and_ends_sessions(self):
        lou = member("hooli", "lou@hooli.example", "editor")
        self.assertEqual(me(lou)["user"]["status"], "active")
        attacker = Client(SRV)
        # ASVS 6.3.1: five wrong passwords lock the account.
        (results, notice) = next_mail(lou.email, lambda: [
            attacker.login("hooli", lou.email, WRONG + str(i))[0] for i in range(5)])
        self.assertEqual(results, [401] * 5)
        # 5. The owner learns of it (ASVS 6.3.5) with no secret in the mail.
        self.assertEqual(notice["Subject"], "Your coffre account was locked")
        self.assertEqual(notice["From"], FROM)
        text = body(notice)
        self.assertIn("locked", text)
        self.assertIn('"hooli"', text)
        self.assertEqual(SINK.links(notice), [PUBLIC + "/reset"])
        self.assertNotIn("token", text)
        self.assertIsNone(CRED_RE.search(text))
        for secret in [PW] + [WRONG + str(i) for i in range(5)]:
            self.assertNotIn(secret, text)
        st, doc, _ = Client(SRV).login("hooli", lou.email, PW)
        self.assertError(st, doc, 401, "invalid_credentials")      # locked, same answer
        # The reset link from the mail sets a new password, unlocks, ends every session.
        token = self.reset_mail("hooli", lou.email)
        self.assertEqual(lou.call("GET", "/api/v1/me")[0], 200)
        st, doc, _ = Client(SRV).call("POST", "/api/v1/auth/password/reset",
                                      {"token": token, "password": PW2})
        self.assertEqual((st, doc.get("email")), (200, lou.email), doc)
        self.assertError(*lou.call("GET", "/api/v1/me")[:2], 401, "unauthenticated")  # 7.4.3
        self.assertEqual(Client(SRV).login("hooli", lou.email, PW)[0], 401)
        c = Client(SRV)
        st, doc, _ = c.login("hooli", lou.email, PW2)
        self.assertEqual(st, 200, doc)
        self.assertEqual(me(c)["user"]["status"], "active")
        # Single use.
        st, doc, _ = Client(SRV).call("POST", "/api/v1/auth/password/reset",
                                      {"token": token, "password": "yet another passphrase"})
        self.assertError(st, doc, 400, "invalid_token")
        self.assertEqual(Client(SRV).login("hooli", lou.email, PW2)[0], 200)
        # The admin saw the lock come and go.
        users = {u["email"]: u for u in self.admin.call("GET", "/api/v1/users")[1]["items"]}
        self.assertEqual(users[lou.email]["status"], "active")

    def test_reset_does_not_bypass_two_factor(self):
        # ASVS 6.4.3: a new password through the mailed link still needs the second factor.
        admin = tenant_admin("pied-piper")
        token = self.reset_mail("pied-piper", admin.email)
        st, doc, _ = Client(SRV).call("POST", "/api/v1/auth/password/reset",
                                      {"token": token, "password": PW2})
        self.assertEqual(st, 200, doc)
        self.assertError(*admin.call("GET", "/api/v1/me")[:2], 401, "unauthenticated")
        c = Client(SRV)
        st, doc, _ = c.login("pied-piper", admin.email, PW2)
        self.assertError(st, doc, 401, "totp_required")
        self.assertIsNone(c.cookie)
        st, doc, _ = c.login("pied-piper", admin.email, PW2, recovery_code=admin.recovery[0])
        self.assertEqual(st, 200, doc)
        self.assertTrue(me(c)["two_factor"]["enabled"])

    def test_an_expired_reset_link_is_refused(self):
        mx = member("hooli", "max@hooli.example")
        token = self.reset_mail("hooli", mx.email)
        sql("hooli", "UPDATE auth_links SET expires = created + 1 WHERE kind = 'reset' "
                     f"AND user_id = {user_sql(mx.email)}")
        st, doc, _ = Client(SRV).call("POST", "/api/v1/auth/password/reset",
                                      {"token": token, "password": PW2})
        self.assertError(st, doc, 400, "invalid_token")
        self.assertEqual(mx.call("GET", "/api/v1/me")[0], 200)     # nothing happened
        self.assertEqual(Client(SRV).login("hooli", mx.email, PW)[0], 200)

    def test_at_most_three_live_reset_links(self):
        nina = member("hooli", "nina@hooli.example")
        for _ in range(4):
            st, _, data = self.reset_request("hooli", nina.email)
            self.assertEqual(st, 202, data)
        msgs = SINK.wait_for(nina.email, count=3)
        mail_barrier(self.admin)
        self.assertEqual(len(mails_to(nina.email)), 3)     # the fourth request sent nothing
        tokens = [link_token(body(m)) for m in msgs[:3]]
        self.assertEqual(len(set(tokens)), 3)
        st, doc, _ = Client(SRV).call("POST", "/api/v1/auth/password/reset",
                                      {"token": tokens[1], "password": PW2})
        self.assertEqual(st, 200, doc)
        for t in (tokens[0], tokens[2]):        # the others die with the one used
            st, doc, _ = Client(SRV).call("POST", "/api/v1/auth/password/reset",
                                          {"token": t, "password": "a third passphrase"})
            self.assertError(st, doc, 400, "invalid_token")
        self.assertEqual(Client(SRV).login("hooli", nina.email, PW2)[0], 200)
        # A spent link frees its place: a new request mails again.
        self.assertEqual(self.reset_request("hooli", nina.email)[0], 202)
        SINK.wait_for(nina.email, count=4)


# ---- 6. mail on the wire, and no mail at all ----

class MailDelivery(MailCase):
    def test_messages_are_well_formed(self):
        # ASVS 1.3.11: CRLF line ends only, the fixed header set, nothing smuggled in.
        admin = tenant_admin("wayne")
        addr = "bruce@wayne.example"
        _, invitation = self.invite(admin, addr, "editor")
        Client(SRV).accept(link_token(body(invitation)), PW)
        _, lockout = next_mail(addr, lambda: [Client(SRV).login("wayne", addr, WRONG)
                                              for _ in range(5)])
        _, reset = next_mail(addr, lambda: Client(SRV).call(
            "POST", "/api/v1/auth/password/reset-request", {"tenant": "wayne", "email": addr}))
        for msg, subject in ((invitation, "You are invited to coffre"),
                             (lockout, "Your coffre account was locked"),
                             (reset, "Reset your coffre password")):
            raw = raw_message(msg)
            head, sep, text = raw.partition(b"\r\n\r\n")
            self.assertEqual(sep, b"\r\n\r\n")
            self.assertIsNone(re.search(rb"(?<!\r)\n|\r(?!\n)", raw), raw)
            self.assertTrue(all(len(ln) <= 998 for ln in raw.split(b"\r\n")))
            self.assertTrue(raw.isascii(), raw)     # 7bit; a UTF-8 subject would be encoded
            names = [ln.split(b":", 1)[0].decode() for ln in head.split(b"\r\n")
                     if not ln[:1].isspace()]
            self.assertEqual(names, MAIL_HEADERS)
            self.assertEqual(msg["Subject"], subject)
            self.assertEqual(msg["To"], addr)
            self.assertEqual(msg.get_content_type(), "text/plain")
            self.assertEqual(msg.get_content_charset(), "utf-8")
            self.assertEqual(msg["Auto-Submitted"], "auto-generated")
            self.assertTrue(msg["Message-ID"].endswith("@acme.example>"), msg["Message-ID"])
            env = envelope(msg)
            self.assertEqual((env["mail_from"], env["rcpt_tos"], env["defects"]),
                             (FROM, [addr], []))
            self.assertEqual(env["helo"], "vault.acme.example")     # named after public_url
            self.assertTrue(body(msg).startswith("Hello,\n"))
            for link in SINK.links(msg):
                self.assertTrue(link.startswith(PUBLIC + "/"), link)


class WithoutMail(MailCase):
    """smtp.url empty: coffre works, and says in its log which mail it did not send."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        cls.srv.start(sets=SETS)

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.srv)

    def test_server_works_and_logs_unsent_mail_without_links(self):
        srv = self.srv
        admin = tenant_admin("stark", srv=srv)
        st, doc, _ = admin.call("POST", "/api/v1/invitations",
                                {"email": "zoe@stark.example", "role": "reader"})
        self.assertEqual(st, 201, doc)
        st, _, data = srv.request("POST", "/api/v1/auth/password/reset-request",
                                  {"tenant": "stark", "email": admin.email})
        self.assertEqual(st, 202, data)
        pepper = member("stark", "pepper@stark.example", srv=srv)
        for i in range(5):
            self.assertEqual(Client(srv).login("stark", pepper.email, WRONG)[0], 401)
        self.assertEqual(srv.request("GET", "/healthz")[0], 200)
        self.assertEqual(admin.call("GET", "/api/v1/me")[0], 200)
        log = log_sync(srv)
        for line in ('mail not configured: "You are invited to coffre" to z***@stark.example '
                     'not sent',
                     'mail not configured: "Reset your coffre password" to a***@stark.example '
                     'not sent',
                     'mail not configured: "Your coffre account was locked" to '
                     'p***@stark.example not sent'):
            self.assertIn(line, log)
        # ASVS 16.2.5: no link secret in the log, and recipients only masked.
        self.assertNotIn("#token=", log)
        self.assertIsNone(CRED_RE.search(log), log)
        for addr in ("zoe@stark.example", "pepper@stark.example", admin.email):
            self.assertNotIn(addr, log)


# ---- 7. the audit routes ----

class AuditApi(MailCase):
    @classmethod
    def setUpClass(cls):
        cls.admin = tenant_admin("wonka")
        cls.reader = member("wonka", "charlie@wonka.example", "reader")
        for _ in range(2):
            Client(SRV).login("wonka", cls.reader.email, WRONG)
        cls.reader.call("GET", "/api/v1/users")                       # denied
        for n in range(4):
            cls.admin.call("POST", "/api/v1/invitations",
                           {"email": f"oompa{n}@wonka.example", "role": "reader"})
        st, doc, _ = cls.admin.call("POST", "/api/v1/tokens",
                                    {"name": "auditor", "read_only": True})
        assert st == 201, doc
        cls.token = doc["token"]

    def test_query_filters_and_cursor_pagination(self):
        # Issue 4 item 5.
        pages = audit_pages(self.admin)
        self.assertEqual(len(pages), 1)
        full = pages[0]["items"]
        self.assertGreaterEqual(len(full), 15)
        seqs = [e["seq"] for e in full]
        self.assertEqual(seqs, list(range(1, len(full) + 1)))         # all, oldest first
        for e in full:
            self.assertEqual(e["tenant"], self.admin.tid)
            self.assertRegex(e["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        # Walking pages of 4: each entry once, none missing, next_cursor null at the end.
        pages = audit_pages(self.admin, limit=4)
        self.assertEqual(len(pages), (len(full) + 3) // 4)
        for p in pages[:-1]:
            self.assertEqual(len(p["items"]), 4)
            self.assertEqual(str(p["next_cursor"]), str(p["items"][-1]["seq"]))
        self.assertIsNone(pages[-1]["next_cursor"])
        self.assertEqual([e for p in pages for e in p["items"]], full)

        def expect(pred, **filters):
            want = [e for e in full if pred(e)]
            self.assertEqual(audit_all(self.admin, **filters), want, filters)
            self.assertEqual(audit_all(self.admin, limit=3, **filters), want, filters)
            return want

        self.assertTrue(expect(lambda e: e["actor"] == self.reader.user_id,
                               actor=self.reader.user_id))
        self.assertTrue(expect(lambda e: e["actor"] == "system", actor="system"))
        self.assertEqual(expect(lambda e: False, actor="nobody"), [])
        self.assertTrue(expect(lambda e: e["event"].startswith("auth.login"),
                               event="auth.login"))
        self.assertTrue(expect(lambda e: e["event"].startswith("user."), event="user."))
        self.assertTrue(expect(lambda e: e["outcome"] == "failure", outcome="failure"))
        self.assertTrue(expect(lambda e: e["outcome"] == "denied", outcome="denied"))
        self.assertTrue(expect(lambda e: e["outcome"] == "failure" and
                               e["actor"] == self.reader.user_id, outcome="failure",
                               actor=self.reader.user_id))
        # Time range: from inclusive, to exclusive, in UTC.
        mid = full[len(full) // 2]["time"]
        after = expect(lambda e: utc(e["time"]) >= utc(mid), **{"from": mid})
        before = expect(lambda e: utc(e["time"]) < utc(mid), to=mid)
        self.assertEqual(before + after, full)
        first = utc(full[0]["time"]).replace(microsecond=0)
        last = utc(full[-1]["time"]).replace(microsecond=0) + timedelta(seconds=1)
        fmt = "%Y-%m-%dT%H:%M:%SZ"          # the 2026-11-23T10:00:00Z form
        expect(lambda e: True, **{"from": first.strftime(fmt), "to": last.strftime(fmt)})
        expect(lambda e: False, to="2000-01-01T00:00:00Z")
        expect(lambda e: False, **{"from": "2999-01-01T00:00:00Z"})
        expect(lambda e: e["event"].startswith("user.") and utc(e["time"]) >= utc(mid),
               event="user.", **{"from": mid})

    def test_bad_parameters_are_refused(self):
        for q, code in (("from=yesterday", "bad_time"), ("to=2026-11-23", "bad_time"),
                        ("from=2026-11-23T10:00:00%2B01:00", "bad_time"),
                        ("from=2026-11-23T10:00:00", "bad_time"),
                        ("to=2026-11-23T10:00:00.5Z", "bad_time"),
                        ("from=2026-13-45T10:00:00Z", "bad_time"),
                        ("limit=0", "bad_limit"), ("limit=5000", "bad_limit"),
                        ("limit=-1", "bad_limit"), ("limit=ten", "bad_limit"),
                        ("limit=", "bad_limit"),
                        ("cursor=abc", "bad_cursor"), ("cursor=-1", "bad_cursor"),
                        ("cursor=1e3", "bad_cursor"),
                        ("outcome=maybe", "bad_outcome"), ("outcome=SUCCESS", "bad_outcome"),
                        ("actor=" + "a" * 129, "bad_filter")):
            st, doc, _ = self.admin.call("GET", "/api/v1/audit?" + q)
            self.assertError(st, doc, 400, code)
        for q in ("from=2026-11-23T10:00:00Z", "to=2026-11-23T10:00:00.000001Z", "limit=1000",
                  "limit=1", "cursor=0", "outcome=denied"):
            self.assertEqual(self.admin.call("GET", "/api/v1/audit?" + q)[0], 200, q)

    def test_routes_need_the_audit_permission(self):
        for path in ("/api/v1/audit", "/api/v1/audit/verify"):
            self.assertError(*self.reader.call("GET", path)[:2], 403, "forbidden")     # 8.2.1
            st, _, data = SRV.request("GET", path)
            self.assertEqual(st, 401, data)
            st, _, data = SRV.request("GET", path, headers={
                "Authorization": "Bearer cfr1." + self.admin.tid + "." + "A" * 43})
            self.assertEqual(st, 401, data)
            st, _, data = SRV.request("GET", path + "?access_token=" + self.token)
            self.assertEqual(st, 401, data)         # never from the query (ASVS 14.2.1)
        denied = audit_all(self.admin, event="access.denied", actor=self.reader.user_id)
        self.assertEqual({(e["detail"]["route"], e["detail"]["permission"]) for e in denied},
                         {("/api/v1/users", "users.manage"), ("/api/v1/audit", "audit.read"),
                          ("/api/v1/audit/verify", "audit.read")})
        # The admin's read-only API token reads the trail, and changes nothing.
        bot = Client(SRV)
        bot.bearer = self.token
        st, doc, _ = bot.call("GET", "/api/v1/audit?limit=5")
        self.assertEqual((st, len(doc["items"])), (200, 5), doc)
        st, doc, _ = bot.call("GET", "/api/v1/audit/verify")
        self.assertEqual((st, doc["ok"]), (200, True), doc)
        st, doc, _ = bot.call("POST", "/api/v1/invitations",
                              {"email": "slugworth@wonka.example", "role": "admin"})
        self.assertError(st, doc, 403, "read_only_token")

    def test_verify_reports_the_tampered_entry(self):
        # Issue 4 item 3; ASVS 16.4.2.
        admin = tenant_admin("oscorp")
        st, doc, _ = admin.call("GET", "/api/v1/audit/verify")
        self.assertEqual(st, 200, doc)
        self.assertEqual((doc["ok"], doc["bad_seq"], doc["first_seq"]), (True, 0, 1), doc)
        self.assertGreaterEqual(doc["entries"], 4)
        self.assertEqual(doc["last_seq"], doc["entries"])
        sql("oscorp", "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
        st, doc, _ = admin.call("GET", "/api/v1/audit/verify")
        self.assertEqual(st, 200, doc)
        self.assertEqual((doc["ok"], doc["bad_seq"]), (False, 2), doc)
        self.assertTrue(doc["problem"], doc)
        # Another tenant's trail is its own, and intact.
        self.assertTrue(self.admin.call("GET", "/api/v1/audit/verify")[1]["ok"])


# ---- 8. everything is audited, and no secret is kept ----

class EverythingAudited(MailCase):
    def test_trail_names_every_flow_and_holds_no_secret(self):
        # ASVS 16.3.1 (authentication operations), 16.3.3, 16.2.1 (who, what, when).
        admin = tenant_admin("umbrella")
        secrets = [PW, PW2, WRONG, admin.totp_secret, admin.cookie, admin.csrf,
                   *admin.recovery]
        st, doc, _ = admin.call("PUT", "/api/v1/settings/auth", {"lockout_threshold": 5})
        self.assertEqual(st, 200, doc)
        addr = "alice@umbrella.example"
        _, msg = self.invite(admin, addr, "editor")
        token = link_token(body(msg))
        alice = Client(SRV)
        self.assertEqual(alice.accept(token, PW)[0], 200)
        self.assertEqual(alice.login("umbrella", addr, PW)[0], 200)
        secrets += [token, alice.cookie, alice.csrf]
        for _ in range(5):
            self.assertEqual(Client(SRV).login("umbrella", addr, WRONG)[0], 401)
        SINK.wait_for(addr, count=2)        # the lockout notice
        token = self.reset_mail("umbrella", addr)
        self.assertEqual(Client(SRV).call("POST", "/api/v1/auth/password/reset",
                                          {"token": token, "password": PW2})[0], 200)
        secrets.append(token)
        alice = Client(SRV)
        self.assertEqual(alice.login("umbrella", addr, PW2)[0], 200)
        new = "third passphrase of hers"
        secrets += [new, alice.cookie]
        self.assertEqual(alice.call("POST", "/api/v1/auth/password",
                                    {"current": WRONG, "new": new})[0], 403)
        self.assertEqual(alice.call("POST", "/api/v1/auth/password",
                                    {"current": PW2, "new": new})[0], 200)
        st, doc, _ = alice.call("POST", "/api/v1/tokens", {"name": "cli"})
        self.assertEqual(st, 201, doc)
        secrets += [doc["token"], alice.csrf]
        alice_id = me(alice)["user"]["id"]

        trail = audit_all(admin)
        seen = {(e["event"], e["actor"], e["outcome"]) for e in trail}
        for want in [("user.invite", "system", "success"),           # tenant create
                     ("user.invitation.accept", admin.user_id, "success"),
                     ("auth.login", admin.user_id, "success"),
                     ("auth.totp.enroll", admin.user_id, "success"),
                     ("auth.totp.confirm", admin.user_id, "success"),
                     ("settings.auth_policy.update", admin.user_id, "success"),
                     ("user.invite", admin.user_id, "success"),
                     ("user.invitation.accept", alice_id, "success"),
                     ("auth.login", alice_id, "success"),
                     ("auth.login.failed", alice_id, "failure"),
                     ("auth.lockout", "system", "success"),
                     ("auth.reset.request", alice_id, "success"),
                     ("auth.password.reset", alice_id, "success"),
                     ("auth.password.change", alice_id, "failure"),
                     ("auth.password.change", alice_id, "success"),
                     ("auth.token.create", alice_id, "success")]:
            self.assertIn(want, seen)
        failed = [e for e in trail if e["event"] == "auth.login.failed"]
        self.assertEqual(len(failed), 5)
        [lockout] = [e for e in trail if e["event"] == "auth.lockout"]
        self.assertEqual(lockout["target"], alice_id)
        [invite] = [e for e in trail if e["event"] == "user.invite" and
                    e["actor"] == admin.user_id]
        self.assertEqual(invite["detail"]["role"], "editor")
        for e in trail:
            self.assertEqual(e["source"], "" if e["actor"] == "system" and
                             e["event"] != "auth.lockout" else "127.0.0.1", e)
        # ASVS 16.2.5: no password, link, cookie, CSRF, TOTP or API token secret anywhere.
        text = json.dumps(trail, ensure_ascii=False)
        log = log_sync(SRV)
        secrets = [s for s in secrets if s]
        parts = [s.split(".")[-1] for s in secrets if CRED_RE.search(s or "")]
        for s in secrets + parts:
            self.assertNotIn(s, text)
            self.assertNotIn(s, log)
        self.assertNotIn("#token=", log)
        self.assertIsNone(CRED_RE.search(log))
        self.assertNotIn("cfr1.", log)


if __name__ == "__main__":
    unittest.main()
