"""Starts the real coffre binary on a loopback port with a fresh data folder.

Standard library only. COFFRE_BIN names the binary (set by ctest); tests talk to it over
real TLS, trusting the self-signed certificate that `coffre init` made.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

BIN = os.environ.get("COFFRE_BIN", os.path.join(os.path.dirname(__file__), "../../build/coffre"))


def run(*args, env=None, timeout=60):
    """Runs a coffre command; returns CompletedProcess with text output."""
    full_env = dict(os.environ)
    full_env.pop("COFFRE_DATA", None)
    if env:
        full_env.update(env)
    return subprocess.run([BIN, *args], capture_output=True, text=True, env=full_env,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A coffre data folder and, once started, a running `coffre serve`."""

    def __init__(self, init=True):
        self.tmp = tempfile.mkdtemp(prefix="coffre-e2e-")
        self.data = os.path.join(self.tmp, "data")
        self.proc = None
        self.port = None
        self._stderr = []
        self._reader = None
        if init:
            res = run("init", "--data", self.data)
            if res.returncode != 0:
                raise RuntimeError("coffre init failed: " + res.stderr)

    @property
    def cafile(self):
        return os.path.join(self.data, "tls", "cert.pem")

    def start(self, *args, env=None, sets=None, wait=True, listen=True):
        """Starts `coffre serve`; listen=False keeps the address of the configuration."""
        cmd = [BIN, "serve", "--data", self.data]
        if listen and not any(a == "--listen" for a in args):
            cmd += ["--listen", "127.0.0.1:0"]
        for k, v in (sets or {}).items():
            cmd += ["--set", f"{k}={v}"]
        cmd += list(args)
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True, env=full_env)
        self._reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self._reader.start()
        if wait:
            line = self.proc.stdout.readline()
            m = re.search(r"https://\S+:(\d+)/", line)
            if not m:
                self.proc.wait(timeout=10)
                raise RuntimeError("server did not start: " + line + self.stderr())
            self.port = int(m.group(1))
        return self

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self._stderr.append(line)

    def stderr(self):
        if self._reader is not None and self.proc is not None and self.proc.poll() is not None:
            self._reader.join(timeout=5)
        return "".join(self._stderr)

    def context(self, **kw):
        ctx = ssl.create_default_context(cafile=self.cafile)
        for k, v in kw.items():
            setattr(ctx, k, v)
        return ctx

    def connect(self, host="127.0.0.1", timeout=10, ctx=None):
        return http.client.HTTPSConnection(host, self.port, timeout=timeout,
                                           context=ctx or self.context())

    def request(self, method, path, body=None, headers=None, conn=None):
        """One request; returns (status, headers as a dict of lists, body bytes)."""
        own = conn is None
        conn = conn or self.connect()
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                headers = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            hdrs = {}
            for k, v in resp.getheaders():
                hdrs.setdefault(k.lower(), []).append(v)
            return resp.status, hdrs, data
        finally:
            if own:
                conn.close()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Sends sig and returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc.stdout.close()
        self.stderr()
        self.proc.stderr.close()
        return rc

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def raw_tls(port, cafile, timeout=10):
    """A raw TLS socket to the server, for requests written byte by byte."""
    ctx = ssl.create_default_context(cafile=cafile)
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return ctx.wrap_socket(sock, server_hostname="localhost")


def read_until_closed(sock, limit=1 << 20):
    """Reads until the peer closes (or the socket times out); returns the bytes."""
    out = b""
    try:
        while len(out) < limit:
            chunk = sock.recv(65536)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ssl.SSLError, ConnectionResetError):
        pass
    return out


def json_error(body):
    """Returns (code, message) of a JSON error body, failing loudly otherwise."""
    doc = json.loads(body)
    return doc["error"]["code"], doc["error"]["message"]


def wait_for(predicate, timeout=10.0, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return False
