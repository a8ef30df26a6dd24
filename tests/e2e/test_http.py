"""HTTP behaviour of the real server: headers, errors, limits, probes, metrics, access log."""
import json
import re
import socket
import ssl
import time
import unittest

from harness import Server, raw_tls, read_until_closed, json_error, wait_for

SECURITY_HEADERS = {
    # ASVS 3.4.1: HSTS on every response, at least a year.
    "strict-transport-security": re.compile(r"^max-age=(\d+); includeSubDomains$"),
    # ASVS 3.4.3 and 3.4.6: a strict CSP with frame-ancestors 'none'.
    "content-security-policy": re.compile(r"default-src 'none'.*frame-ancestors 'none'"),
    # ASVS 3.4.4
    "x-content-type-options": re.compile(r"^nosniff$"),
    # ASVS 3.4.5
    "referrer-policy": re.compile(r"^no-referrer$"),
    "permissions-policy": re.compile(r"camera=\(\).*microphone=\(\)"),
}


class Http(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start(sets={"server.max_body_bytes": "4096",
                                       "server.rate_limit": "0"})

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        cls.srv.close()
        assert rc == 0, rc

    def assertSecurityHeaders(self, headers):
        for name, pattern in SECURITY_HEADERS.items():
            self.assertIn(name, headers, name)
            self.assertRegex(headers[name][0], pattern, name)
        self.assertGreaterEqual(
            int(SECURITY_HEADERS["strict-transport-security"].match(
                headers["strict-transport-security"][0]).group(1)), 31536000)
        self.assertNotIn("server", headers)      # no version banner (ASVS 13.4.6)
        self.assertNotIn("x-powered-by", headers)

    def assertJsonError(self, resp, status, code):
        st, headers, body = resp
        self.assertEqual(st, status, body)
        self.assertEqual(headers["content-type"][0], "application/json")
        got, message = json_error(body)
        self.assertEqual(got, code)
        self.assertTrue(message)
        self.assertSecurityHeaders(headers)
        return headers

    def test_health_and_readiness(self):
        st, headers, body = self.srv.request("GET", "/healthz")
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body), {"status": "ok"})
        self.assertSecurityHeaders(headers)
        self.assertEqual(headers["cache-control"][0], "no-store")
        st, _, body = self.srv.request("GET", "/readyz")
        self.assertEqual(st, 200)
        doc = json.loads(body)
        self.assertEqual(doc["status"], "ready")
        self.assertTrue(all(doc["checks"].values()))
        st, headers, body = self.srv.request("HEAD", "/healthz")
        self.assertEqual(st, 200)
        self.assertEqual(body, b"")

    def test_unknown_route_404_and_wrong_method_405(self):
        self.assertJsonError(self.srv.request("GET", "/api/v1/nope"), 404, "not_found")
        self.assertJsonError(self.srv.request("GET", "/"), 404, "not_found")
        headers = self.assertJsonError(self.srv.request("DELETE", "/healthz"), 405,
                                       "method_not_allowed")
        self.assertEqual(headers["allow"][0], "GET, HEAD")
        # ASVS 13.4.4: TRACE is not supported.
        self.assertJsonError(self.srv.request("TRACE", "/healthz"), 405, "method_not_allowed")
        self.assertJsonError(self.srv.request("GET", "/api/v1/../healthz"), 400, "bad_path")

    def test_oversized_body_413(self):
        resp = self.srv.request("POST", "/api/v1/anything", body=b"x" * 5000,
                                headers={"Content-Type": "application/json"})
        self.assertJsonError(resp, 413, "body_too_large")
        # Chunked: the size is only known while it arrives.
        conn = self.srv.connect()
        conn.putrequest("POST", "/api/v1/anything")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        for _ in range(10):
            conn.send(b"400\r\n" + b"y" * 1024 + b"\r\n")
        conn.send(b"0\r\n\r\n")
        resp = conn.getresponse()
        body = resp.read()
        self.assertEqual(resp.status, 413)
        self.assertEqual(json_error(body)[0], "body_too_large")
        conn.close()

    def test_invalid_content_length_400(self):
        sock = raw_tls(self.srv.port, self.srv.cafile)
        sock.sendall(b"POST /api/v1/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: -5\r\n\r\n")
        out = read_until_closed(sock)
        sock.close()
        self.assertTrue(out.startswith(b"HTTP/1.1 400"), out[:100])

    def test_oversized_headers_431(self):
        resp = self.srv.request("GET", "/healthz", headers={"X-Padding": "a" * 20000})
        self.assertJsonError(resp, 431, "headers_too_large")
        # Far past the connection's memory, libmicrohttpd refuses on its own, still 431.
        resp = self.srv.request("GET", "/healthz", headers={"X-Padding": "a" * 60000})
        self.assertEqual(resp[0], 431)

    def test_metrics(self):
        self.srv.request("GET", "/healthz")
        self.srv.request("GET", "/api/v1/missing")
        st, headers, body = self.srv.request("GET", "/metrics")
        self.assertEqual(st, 200)
        self.assertTrue(headers["content-type"][0].startswith("text/plain; version=0.0.4"))
        text = body.decode()
        m = re.search(r'^coffre_http_requests_total\{route="/healthz",method="GET",'
                      r'status="200"\} (\d+)$', text, re.M)
        self.assertTrue(m and int(m.group(1)) >= 1, text)
        self.assertRegex(text, r'(?m)^coffre_http_requests_total\{route="unmatched",'
                               r'method="any",status="404"\} \d+$')
        self.assertRegex(text, r'(?m)^coffre_http_request_duration_seconds_bucket\{'
                               r'route="/healthz",method="GET",le="\+Inf"\} \d+$')
        self.assertRegex(text, r'(?m)^coffre_http_request_duration_seconds_count\{'
                               r'route="/healthz",method="GET"\} \d+$')
        # This very connection is open while the metrics are rendered.
        m = re.search(r"(?m)^coffre_http_open_connections (\d+)$", text)
        self.assertGreaterEqual(int(m.group(1)), 1)
        self.assertRegex(text, r"(?m)^process_resident_memory_bytes [1-9]\d*$")

    def test_keep_alive(self):
        conn = self.srv.connect()
        for _ in range(5):
            st, _, _ = self.srv.request("GET", "/healthz", conn=conn)
            self.assertEqual(st, 200)
        conn.close()


class AccessLog(unittest.TestCase):
    def test_one_line_per_request_without_secrets(self):
        """ASVS 16.2.1 metadata in each line; secrets in URL, headers and body never logged."""
        srv = Server().start()
        try:
            srv.request("GET", "/healthz?token=SECRET-IN-QUERY",
                        headers={"Authorization": "Bearer SECRET-IN-HEADER",
                                 "Cookie": "__Host-coffre_session=SECRET-IN-COOKIE"})
            srv.request("POST", "/api/v1/auth/SECRET-IN-PATH",
                        body=b'{"password":"SECRET-IN-BODY"}',
                        headers={"Content-Type": "application/json"})
            self.assertEqual(srv.stop(), 0)
            log = srv.stderr()
            self.assertNotIn("SECRET", log)
            lines = sorted(l for l in log.splitlines() if " access " in l)
            self.assertEqual(len(lines), 2, log)
            # Completion order across connections is not fixed: match each line on its own.
            get = [l for l in lines if "method=GET" in l]
            post = [l for l in lines if "method=POST" in l]
            self.assertEqual(len(get), 1, log)
            self.assertRegex(get[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info access "
                                     r"method=GET route=/healthz status=200 "
                                     r"duration_ms=\d+\.\d{3} remote=127\.0\.0\.1$")
            self.assertEqual(len(post), 1, log)
            self.assertRegex(post[0], r"method=POST route=unmatched status=404 ")
        finally:
            srv.close()


class Limits(unittest.TestCase):
    def test_rate_limit_429_per_address(self):
        srv = Server().start(sets={"server.rate_limit": "1", "server.rate_limit_burst": "5"})
        try:
            conn = srv.connect()
            statuses = [srv.request("GET", "/metrics", conn=conn)[0] for _ in range(5)]
            self.assertEqual(statuses, [200] * 5)
            st, headers, body = srv.request("GET", "/metrics", conn=srv.connect())
            self.assertEqual(st, 429)
            self.assertEqual(json_error(body)[0], "rate_limited")
            self.assertGreaterEqual(int(headers["retry-after"][0]), 1)
            self.assertIn("strict-transport-security", headers)
            # Liveness probes are not throttled.
            self.assertEqual(srv.request("GET", "/healthz")[0], 200)
            time.sleep(1.2)
            self.assertEqual(srv.request("GET", "/metrics")[0], 200)
        finally:
            srv.close()

    def test_idle_connection_is_closed(self):
        """A client that sends half a request line and goes quiet is cut off."""
        srv = Server().start(sets={"server.idle_timeout": "1"})
        try:
            sock = raw_tls(srv.port, srv.cafile, timeout=10)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: loc")
            start = time.monotonic()
            out = read_until_closed(sock)
            elapsed = time.monotonic() - start
            sock.close()
            self.assertEqual(out, b"")
            self.assertLess(elapsed, 8)
        finally:
            srv.close()

    def test_slow_body_is_cut_off(self):
        """A body dribbled slower than server.request_timeout allows never completes."""
        srv = Server().start(sets={"server.request_timeout": "1", "server.idle_timeout": "30"})
        try:
            sock = raw_tls(srv.port, srv.cafile, timeout=10)
            sock.sendall(b"POST /api/v1/x HTTP/1.1\r\nHost: localhost\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n")
            closed = False
            start = time.monotonic()
            for _ in range(60):
                try:
                    sock.sendall(b" ")
                except (OSError, ssl.SSLError):
                    closed = True
                    break
                time.sleep(0.1)
            out = read_until_closed(sock) if not closed else b""
            sock.close()
            self.assertFalse(out.startswith(b"HTTP/1.1 404"), out[:80])
            self.assertLess(time.monotonic() - start, 5.5)
            self.assertEqual(srv.stop(), 0)
            self.assertIn("status=408", srv.stderr())
        finally:
            srv.close()

    def test_connections_per_address_are_limited(self):
        srv = Server().start(sets={"server.max_connections_per_address": "2"})
        try:
            held = [raw_tls(srv.port, srv.cafile) for _ in range(2)]
            with self.assertRaises((OSError, ssl.SSLError)):
                extra = raw_tls(srv.port, srv.cafile, timeout=5)
                extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                if not extra.recv(100):
                    raise ConnectionResetError("closed")
            for s in held:
                s.close()
            self.assertTrue(wait_for(lambda: self._healthy(srv)))
        finally:
            srv.close()

    def test_total_connections_are_limited(self):
        srv = Server().start(sets={"server.max_connections": "3",
                                   "server.max_connections_per_address": "0"})
        try:
            held = [raw_tls(srv.port, srv.cafile) for _ in range(3)]
            with self.assertRaises((OSError, ssl.SSLError)):
                extra = raw_tls(srv.port, srv.cafile, timeout=5)
                try:
                    extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    if not extra.recv(100):
                        raise ConnectionResetError("closed")
                finally:
                    extra.close()
            for s in held:
                s.close()
            self.assertTrue(wait_for(lambda: self._healthy(srv)))
        finally:
            srv.close()

    @staticmethod
    def _healthy(srv):
        try:
            return srv.request("GET", "/healthz")[0] == 200
        except (OSError, ssl.SSLError):
            return False


if __name__ == "__main__":
    unittest.main()
