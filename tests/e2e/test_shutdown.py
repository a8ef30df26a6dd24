"""SIGTERM and SIGINT: stop accepting, finish requests in flight, exit 0."""
import signal
import socket
import ssl
import time
import unittest

from harness import Server, raw_tls, read_until_closed, wait_for


class Shutdown(unittest.TestCase):
    def setUp(self):
        self.srv = Server()

    def tearDown(self):
        self.srv.close()

    def test_sigterm_and_sigint_exit_zero(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.srv.start()
            self.assertEqual(self.srv.request("GET", "/healthz")[0], 200)
            self.assertEqual(self.srv.stop(sig), 0)
            self.assertIn("stopped", self.srv.stderr())

    def test_request_in_flight_finishes(self):
        """A request whose body is still arriving when SIGTERM comes gets its answer."""
        self.srv.start()
        idle = self.srv.connect()
        self.assertEqual(self.srv.request("GET", "/healthz", conn=idle)[0], 200)
        sock = raw_tls(self.srv.port, self.srv.cafile)
        sock.sendall(b"POST /api/v1/in-flight HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"half\":")
        time.sleep(0.3)
        self.srv.proc.send_signal(signal.SIGTERM)
        self.assertTrue(wait_for(lambda: "received SIGTERM" in "".join(self.srv._stderr)))
        # No new connections are accepted while draining.
        with self.assertRaises((ConnectionRefusedError, OSError, ssl.SSLError)):
            raw_tls(self.srv.port, self.srv.cafile, timeout=2).close()
        self.assertIsNone(self.srv.proc.poll())
        # An existing keep-alive connection is told the server is no longer ready.
        st, headers, _ = self.srv.request("GET", "/readyz", conn=idle)
        self.assertEqual(st, 503)
        idle.close()
        sock.sendall(b'"1234567890"}')
        out = read_until_closed(sock)
        sock.close()
        self.assertTrue(out.startswith(b"HTTP/1.1 404"), out[:80])
        self.assertIn(b'"not_found"', out)
        self.assertEqual(self.srv.proc.wait(timeout=20), 0)
        self.assertEqual(self.srv.stop(), 0)

    def test_grace_period_bounds_the_wait(self):
        """A client that never finishes cannot hold the server: it exits after the grace."""
        self.srv.start(sets={"server.shutdown_grace": "1", "server.request_timeout": "60",
                             "server.idle_timeout": "60"})
        sock = raw_tls(self.srv.port, self.srv.cafile)
        sock.sendall(b"POST /api/v1/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 50\r\n\r\nab")
        time.sleep(0.3)
        start = time.monotonic()
        rc = self.srv.stop()
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(rc, 1)
        self.assertIn("cutting 1 request", self.srv.stderr())
        sock.close()


if __name__ == "__main__":
    unittest.main()
