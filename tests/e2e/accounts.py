"""Accounts for end-to-end tests: tenants, invitations, sign-in, two-factor codes.

Standard library only. A Client keeps one user's session cookie and CSRF token and talks
to a harness.Server over real TLS.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import struct
import subprocess
import time

from harness import Server, run

# Cheap Argon2id for tests that sign in many times; test_identity checks the defaults too.
FAST_ARGON = {"password.argon2_memory_kib": "8192", "password.argon2_passes": "1"}


def totp(secret_b32, at=None, step=30, digits=6):
    """RFC 6238 code of a base32 secret at time at (now by default)."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return str(code).zfill(digits)


def link_token(text):
    """The token of the first invitation or reset link in text."""
    m = re.search(r"https://\S+#token=([0-9a-f]{32}\.[A-Za-z0-9_-]{43})", text)
    if not m:
        raise AssertionError("no link in: " + text)
    return m.group(1)


def create_tenant(srv, slug, admin_email, *extra):
    """`coffre tenant create`; returns (tenant id, the first admin's invitation token)."""
    res = run("tenant", "create", slug, "--admin-email", admin_email, "--data", srv.data,
              *extra)
    if res.returncode != 0:
        raise AssertionError("tenant create failed: " + res.stderr)
    tid = re.search(r"^id: ([0-9a-f]{32})$", res.stdout, re.M).group(1)
    return tid, link_token(res.stdout)


def add_user(srv, slug, email, role="reader"):
    """`coffre user add`; returns the invitation token."""
    res = run("user", "add", "--tenant", slug, "--email", email, "--role", role,
              "--data", srv.data)
    if res.returncode != 0:
        raise AssertionError("user add failed: " + res.stderr)
    return link_token(res.stdout)


class Client:
    """One user agent: keeps the session cookie and CSRF token it is given."""

    def __init__(self, srv):
        self.srv = srv
        self.cookie = None
        self.csrf = None
        self.bearer = None

    def call(self, method, path, body=None, headers=None, csrf=True):
        """Returns (status, parsed JSON or None, headers)."""
        h = dict(headers or {})
        if self.bearer:
            h.setdefault("Authorization", "Bearer " + self.bearer)
        elif self.cookie:
            h.setdefault("Cookie", "__Host-coffre_session=" + self.cookie)
            if csrf and self.csrf and method not in ("GET", "HEAD"):
                h.setdefault("X-CSRF-Token", self.csrf)
        status, hdrs, data = self.srv.request(method, path, body, h)
        for c in hdrs.get("set-cookie", []):
            m = re.match(r"__Host-coffre_session=([^;]*)", c)
            if m:
                self.cookie = m.group(1) or None
        doc = json.loads(data) if data else None
        if isinstance(doc, dict) and "csrf_token" in doc:
            self.csrf = doc["csrf_token"]
        return status, doc, hdrs

    def login(self, tenant, email, password, **extra):
        return self.call("POST", "/api/v1/auth/login",
                         {"tenant": tenant, "email": email, "password": password, **extra})

    def accept(self, token, password):
        return self.call("POST", "/api/v1/invitations/accept",
                         {"token": token, "password": password})

    def enrol_totp(self):
        """Enrols and confirms TOTP; returns (secret, recovery codes)."""
        st, doc, _ = self.call("POST", "/api/v1/auth/totp/enroll")
        if st != 200:
            raise AssertionError(f"enroll: {st} {doc}")
        secret = doc["secret"]
        st, doc, _ = self.call("POST", "/api/v1/auth/totp/confirm", {"code": totp(secret)})
        if st != 200:
            raise AssertionError(f"confirm: {st} {doc}")
        return secret, doc["recovery_codes"]


def wait_next_step(step=30):
    """Sleeps into the next TOTP step when the current one is about to end."""
    left = step - time.time() % step
    if left < 3:
        time.sleep(left + 0.2)


def signed_in(srv, tenant, email, password, token):
    """Accepts an invitation and signs in; returns the Client."""
    c = Client(srv)
    st, doc, _ = c.accept(token, password)
    if st != 200:
        raise AssertionError(f"accept: {st} {doc}")
    st, doc, _ = c.login(tenant, email, password)
    if st != 200:
        raise AssertionError(f"login: {st} {doc}")
    return c


def admin_session(srv, tenant, email, password, token):
    """The first admin, signed in with TOTP enrolled (admins must have it); returns
    (client, totp secret, recovery codes)."""
    c = signed_in(srv, tenant, email, password, token)
    wait_next_step()
    secret, codes = c.enrol_totp()
    return c, secret, codes


def vault_query(srv, slug, sql):
    """The rows of a query on a tenant's vault (vault_tool query: a JSON array a line)."""
    tool = os.environ.get("VAULT_TOOL", os.path.join(os.path.dirname(__file__),
                                                     "../../build/vault_tool"))
    res = subprocess.run([tool, srv.data, slug, "query", sql], capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        raise AssertionError(f"vault_tool query {sql}: {res.stderr}")
    return [json.loads(line) for line in res.stdout.splitlines()]


def ok(resp, status=200):
    """The JSON of a Client.call answer that must have this status."""
    st, doc, _ = resp
    if st != status:
        raise AssertionError(f"expected {status}, got {st}: {doc}")
    return doc


def stop_cleanly(srv):
    """Stops srv; fails when it did not exit 0 or a sanitizer spoke (build-asan)."""
    try:
        rc = srv.stop()
        log = srv.stderr()
    finally:
        srv.close()
    for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        if bad in log:
            raise AssertionError(log[-4000:])
    if rc != 0:
        raise AssertionError(f"coffre serve exited with {rc}: {log[-2000:]}")
