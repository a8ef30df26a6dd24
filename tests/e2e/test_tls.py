"""Transport security (E2): what the server accepts and refuses, over real handshakes.

Every refusal is checked against a control: the same client offer succeeds against a
deliberately permissive Python server, so a refusal cannot come from the client itself.
ASVS 12.1.1 (TLS versions), ASVS 12.1.2 (cipher suites).
"""
import os
import socket
import ssl
import subprocess
import threading
import time
import unittest

from harness import Server

AEAD_ECDSA_TLS12 = {
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
}


def client_ctx(max_version=None, min_version=ssl.TLSVersion.MINIMUM_SUPPORTED, ciphers=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = min_version
    if max_version is not None:
        ctx.maximum_version = max_version
    ctx.set_ciphers((ciphers or "ALL") + ":@SECLEVEL=0")
    return ctx


def handshake(port, ctx, timeout=5):
    """Returns (version, cipher) on success, raises ssl.SSLError / OSError on refusal."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.version(), tls.cipher()[0], tls.compression()


class PermissiveServer:
    """A Python TLS server that accepts anything OpenSSL can still speak (the control)."""

    def __init__(self, cert, key):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        self.ctx.set_ciphers("ALL:@SECLEVEL=0")
        self.ctx.load_cert_chain(cert, key)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                conn.settimeout(5)
                with self.ctx.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


class Tls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        key = os.path.join(cls.srv.data, "tls", "key.pem")
        cls.control = PermissiveServer(cls.srv.cafile, key)

    @classmethod
    def tearDownClass(cls):
        cls.control.close()
        rc = cls.srv.stop()
        cls.srv.close()
        assert rc == 0, rc

    def assertRefused(self, ctx):
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            handshake(self.srv.port, ctx)
        # The control accepts the very same offer.
        handshake(self.control.port, ctx)

    def test_tls13_with_verified_certificate(self):
        for host in ("localhost", "127.0.0.1"):
            ctx = self.srv.context()
            with socket.create_connection(("127.0.0.1", self.srv.port), timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname=host) as tls:
                    self.assertEqual(tls.version(), "TLSv1.3")
                    self.assertIn(tls.cipher()[0], {"TLS_AES_256_GCM_SHA384",
                                                     "TLS_CHACHA20_POLY1305_SHA256",
                                                     "TLS_AES_128_GCM_SHA256"})
                    self.assertIsNone(tls.compression())

    def test_certificate_does_not_cover_other_names(self):
        ctx = self.srv.context()
        with self.assertRaises(ssl.SSLCertVerificationError):
            with socket.create_connection(("127.0.0.1", self.srv.port), timeout=5) as raw:
                ctx.wrap_socket(raw, server_hostname="example.com")

    def test_tls12_only_ecdhe_aead_suites(self):
        """Offer every TLS 1.2 suite OpenSSL knows, one at a time: exactly ECDHE+AEAD pass."""
        probe = client_ctx(max_version=ssl.TLSVersion.TLSv1_2)
        names = sorted({c["name"] for c in probe.get_ciphers()
                        if c["protocol"] in ("TLSv1.2", "TLSv1.0", "SSLv3")})
        self.assertGreater(len(names), 20)
        accepted = set()
        for name in names:
            ctx = client_ctx(max_version=ssl.TLSVersion.TLSv1_2, ciphers=name)
            try:
                version, cipher, comp = handshake(self.srv.port, ctx)
            except (ssl.SSLError, OSError):
                continue
            self.assertEqual(version, "TLSv1.2")
            self.assertIsNone(comp)
            accepted.add(cipher)
        self.assertEqual(accepted, AEAD_ECDSA_TLS12)

    def test_tls11_and_tls10_refused(self):
        for v in (ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1):
            ctx = client_ctx(max_version=v)
            self.assertRefused(ctx)
            # The control really negotiated the old version.
            self.assertEqual(handshake(self.control.port, ctx)[0],
                             "TLSv1.1" if v == ssl.TLSVersion.TLSv1_1 else "TLSv1")

    def test_cbc_only_offer_refused(self):
        ctx = client_ctx(max_version=ssl.TLSVersion.TLSv1_2,
                         ciphers="ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:"
                                 "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384")
        self.assertRefused(ctx)
        self.assertIn("SHA", handshake(self.control.port, ctx)[1])

    def test_client_renegotiation_refused(self):
        """TLS 1.2 client-initiated renegotiation ends the connection; without it, a request works."""
        def session(renegotiate):
            p = subprocess.Popen(
                ["openssl", "s_client", "-connect", f"127.0.0.1:{self.srv.port}", "-tls1_2",
                 "-crlf", "-servername", "localhost"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True)
            time.sleep(0.5)
            if renegotiate:
                p.stdin.write("R\n")
                p.stdin.flush()
                time.sleep(0.5)
            try:
                p.stdin.write("GET /healthz HTTP/1.1\nHost: localhost\nConnection: close\n\n")
                p.stdin.flush()
                time.sleep(0.5)
            except BrokenPipeError:
                pass
            try:
                p.stdin.close()     # s_client quits at end of input
            except BrokenPipeError:
                pass
            out = p.stdout.read()
            p.stdout.close()
            p.wait(timeout=15)
            return out
        plain = session(False)
        self.assertIn("HTTP/1.1 200", plain)
        reneg = session(True)
        self.assertIn("RENEGOTIATING", reneg)
        self.assertNotIn("HTTP/1.1 200", reneg)


class TlsMinimumVersion(unittest.TestCase):
    def test_min_version_13_refuses_tls12(self):
        srv = Server().start(sets={"tls.min_version": "1.3"})
        try:
            with self.assertRaises((ssl.SSLError, OSError)):
                handshake(srv.port, client_ctx(max_version=ssl.TLSVersion.TLSv1_2))
            self.assertEqual(handshake(srv.port, client_ctx())[0], "TLSv1.3")
        finally:
            self.assertEqual(srv.stop(), 0)
            srv.close()


class TlsRsaCertificate(unittest.TestCase):
    """With an RSA certificate, RSA key exchange is still refused; ECDHE-RSA works."""

    def test_rsa_key_exchange_refused(self):
        srv = Server()
        try:
            cert = os.path.join(srv.tmp, "rsa.pem")
            key = os.path.join(srv.tmp, "rsa.key")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                           check=True, capture_output=True)
            os.chmod(key, 0o600)
            srv.start(sets={"tls.cert": cert, "tls.key": key})
            control = PermissiveServer(cert, key)
            try:
                rsa_kx = client_ctx(max_version=ssl.TLSVersion.TLSv1_2,
                                    ciphers="AES256-GCM-SHA384:AES128-GCM-SHA256")
                with self.assertRaises((ssl.SSLError, OSError)):
                    handshake(srv.port, rsa_kx)
                self.assertEqual(handshake(control.port, rsa_kx)[1], "AES256-GCM-SHA384")
                ecdhe = client_ctx(max_version=ssl.TLSVersion.TLSv1_2,
                                   ciphers="ECDHE-RSA-AES256-GCM-SHA384")
                self.assertEqual(handshake(srv.port, ecdhe)[1], "ECDHE-RSA-AES256-GCM-SHA384")
                dhe = client_ctx(max_version=ssl.TLSVersion.TLSv1_2,
                                 ciphers="DHE-RSA-AES256-GCM-SHA384")
                with self.assertRaises((ssl.SSLError, OSError)):
                    handshake(srv.port, dhe)
            finally:
                control.close()
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.close()


if __name__ == "__main__":
    unittest.main()
