#!/usr/bin/env python3
"""A real SMTP server on 127.0.0.1 that keeps what it receives, for coffre's tests.

In a test:

    sink = SmtpSink()            # or SmtpSink(tls_cert=..., tls_key=..., mode="starttls")
    sink.start()
    ... configure coffre with smtp.url = f"smtp://127.0.0.1:{sink.port}" ...
    [msg] = sink.wait_for("alice@example.com")
    url = sink.links(msg)[0]
    sink.stop()

As a script (the C unit tests, or by hand), each message is also written to a folder:

    python3 smtp_sink.py --port 2525 --dir /tmp/mail [--tls-cert C --tls-key K [--smtps]]

NNNN.eml holds the message as received (after the SMTP dot-unstuffing), NNNN.json the
envelope and the fields as Python's email package (policy.default) reads them; it is
written last, by a rename, so a reader that sees it sees both files complete.
With a certificate the server requires STARTTLS before MAIL (or, with --smtps, speaks TLS
from the first byte). Needs aiosmtpd (Debian: python3-aiosmtpd).
"""

import argparse
import email
import email.policy
import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time

try:
    from aiosmtpd.controller import Controller
except ImportError:  # pragma: no cover - reported to the caller, who must fail, not skip
    Controller = None

# Stops by itself: a test that forgets it must not leave a server behind.
DEFAULT_LIFETIME = 600
# Messages kept at most; a runaway sender must not fill the memory or the disk.
MAX_MESSAGES = 1000
_LINK_RE = re.compile(r"https://[^\s<>\"']+")


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        transport = getattr(server, "transport", None)
        # session.ssl is set after STARTTLS only; with implicit TLS the transport tells.
        tls = session.ssl is not None or (
            transport is not None and transport.get_extra_info("ssl_object") is not None)
        self.sink._received(session, envelope, tls)
        return "250 OK stored"


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 in its own thread, keeping every message."""

    def __init__(self, port=0, directory=None, tls_cert=None, tls_key=None, mode="starttls"):
        if Controller is None:
            raise RuntimeError("aiosmtpd is missing (Debian: apt-get install python3-aiosmtpd)")
        if mode not in ("starttls", "smtps"):
            raise ValueError("mode must be starttls or smtps")
        self.port = port
        self.directory = directory
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.mode = mode
        self._raw = []          # (bytes, info dict), arrival order
        self._cond = threading.Condition()
        self._controller = None

    def start(self):
        """Binds 127.0.0.1 (a free port when port is 0) and serves until stop()."""
        kwargs = {}
        if self.tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.tls_cert, self.tls_key)
            if self.mode == "smtps":
                kwargs["ssl_context"] = ctx
            else:
                kwargs["tls_context"] = ctx
                kwargs["require_starttls"] = True
        # Bind now so that the port is ours; a port picked earlier could have been taken.
        if self.port == 0:
            self.port = free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                      **kwargs)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _received(self, session, envelope, tls):
        raw = envelope.original_content
        if raw is None:
            raw = envelope.content if isinstance(envelope.content, bytes) else b""
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = None
        part = msg.get_body(preferencelist=("plain",))
        if part is not None:
            try:
                body = part.get_content().replace("\r\n", "\n")
            except (LookupError, ValueError) as e:
                body = None
                msg.defects.append(str(e))
        info = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "helo": session.host_name,
            "tls": tls,
            "from": str(msg.get("From", "")),
            "to": str(msg.get("To", "")),
            "subject": str(msg.get("Subject", "")),
            "message_id": str(msg.get("Message-ID", "")),
            "content_type": msg.get_content_type(),
            "charset": msg.get_content_charset(),
            "cte": str(msg.get("Content-Transfer-Encoding", "")),
            "body": body,
            "defects": [str(d) for d in msg.defects] +
                       ([str(d) for d in part.defects] if part is not None and part is not msg
                        else []),
        }
        with self._cond:
            if len(self._raw) >= MAX_MESSAGES:
                return
            self._raw.append((raw, info))
            n = len(self._raw)
            if self.directory:
                self._write(n, raw, info)
            self._cond.notify_all()

    def _write(self, n, raw, info):
        base = os.path.join(self.directory, "%04d" % n)
        for ext, data in ((".eml", raw), (".json", json.dumps(info).encode())):
            tmp = base + ext + ".tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.rename(tmp, base + ext)

    def messages(self):
        """Every message received so far, in arrival order, parsed with policy.default."""
        with self._cond:
            raws = [r for r, _ in self._raw]
        return [email.message_from_bytes(r, policy=email.policy.default) for r in raws]

    def envelopes(self):
        """The envelope and parsed fields of every message, as written to NNNN.json."""
        with self._cond:
            return [dict(i) for _, i in self._raw]

    def _matching(self, to):
        to = to.lower()
        return [r for r, i in self._raw if to in (a.lower() for a in i["rcpt_tos"])]

    def wait_for(self, to, timeout=10, count=1):
        """The messages to address to (envelope recipient) once there are count of them;
        raises TimeoutError after timeout seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._matching(to)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("%d message(s) to %s after %ss, wanted %d" %
                                       (len(self._matching(to)), to, timeout, count))
                self._cond.wait(left)
            raws = self._matching(to)
        return [email.message_from_bytes(r, policy=email.policy.default) for r in raws]

    @staticmethod
    def links(msg):
        """The https URLs in the text body of msg, in order."""
        part = msg.get_body(preferencelist=("plain",))
        if part is None:
            return []
        return [u.rstrip(".,;:!?)]") for u in _LINK_RE.findall(part.get_content())]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--dir", required=True, help="folder for NNNN.eml and NNNN.json")
    p.add_argument("--tls-cert", help="PEM certificate: require STARTTLS with it")
    p.add_argument("--tls-key", help="PEM key of --tls-cert")
    p.add_argument("--smtps", action="store_true", help="implicit TLS instead of STARTTLS")
    p.add_argument("--lifetime", type=float, default=DEFAULT_LIFETIME,
                   help="seconds before the server stops by itself (0: never)")
    a = p.parse_args(argv)
    if bool(a.tls_cert) != bool(a.tls_key) or (a.smtps and not a.tls_cert):
        p.error("--tls-cert and --tls-key go together; --smtps needs them")
    if Controller is None:
        print("smtp_sink: aiosmtpd is missing (Debian: apt-get install python3-aiosmtpd)",
              file=sys.stderr)
        return 3
    os.makedirs(a.dir, exist_ok=True)
    sink = SmtpSink(port=a.port, directory=a.dir, tls_cert=a.tls_cert, tls_key=a.tls_key,
                    mode="smtps" if a.smtps else "starttls")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sink.start()
    print("smtp_sink: listening on 127.0.0.1:%d" % sink.port, flush=True)
    try:
        stop.wait(a.lifetime if a.lifetime > 0 else None)
    finally:
        sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
