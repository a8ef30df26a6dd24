"""The command line: command table, init, configuration precedence."""
import os
import stat
import tempfile
import shutil
import unittest

from harness import Server, run, free_port


class CommandTable(unittest.TestCase):
    def test_help_lists_every_command(self):
        res = run("help")
        self.assertEqual(res.returncode, 0)
        for cmd in ("init", "serve", "help", "version"):
            self.assertRegex(res.stdout, rf"(?m)^  {cmd}\b")
        self.assertEqual(res.stderr, "")

    def test_unknown_command_is_a_usage_error(self):
        res = run("frobnicate")
        self.assertEqual(res.returncode, 2)
        self.assertIn("unknown command 'frobnicate'", res.stderr)
        self.assertIn("usage: coffre", res.stderr)
        self.assertEqual(res.stdout, "")

    def test_no_command_and_bad_flags_are_usage_errors(self):
        self.assertEqual(run().returncode, 2)
        self.assertEqual(run("init", "--bogus").returncode, 2)
        self.assertEqual(run("serve", "extra-arg").returncode, 2)

    def test_version_banner_is_local_only(self):
        res = run("version")
        self.assertEqual(res.returncode, 0)
        self.assertRegex(res.stdout, r"^coffre \d+\.\d+\.\d+")


class Init(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coffre-e2e-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_init_creates_a_private_data_folder(self):
        data = os.path.join(self.tmp, "data")
        res = run("init", "--data", data)
        self.assertEqual(res.returncode, 0, res.stderr)
        mode = lambda p: stat.S_IMODE(os.stat(os.path.join(data, p)).st_mode)
        self.assertEqual(mode("."), 0o700)
        self.assertEqual(mode("keys"), 0o700)
        self.assertEqual(mode("keys/master.key"), 0o600)
        self.assertEqual(mode("tls/key.pem"), 0o600)
        self.assertEqual(mode("coffre.conf"), 0o600)
        self.assertEqual(mode("keys/audit-signing.key"), 0o600)
        with open(os.path.join(data, "keys/audit-signing.pub")) as f:
            self.assertRegex(f.read(), r"^[0-9a-f]{64}\n$")     # Ed25519 public key
        with open(os.path.join(data, "keys/master.key")) as f:
            key = f.read()
        self.assertRegex(key, r"^[0-9a-f]{64}\n$")          # 256 bits
        self.assertNotIn(key.strip(), res.stdout + res.stderr)
        with open(os.path.join(data, "tls/key.pem")) as f:
            self.assertIn("BEGIN PRIVATE KEY", f.read())
        with open(os.path.join(data, "coffre.conf")) as f:
            conf = f.read()
        self.assertIn("[server]", conf)
        self.assertIn("#listen = 127.0.0.1:8443", conf)
        self.assertIn("COFFRE_SERVER_LISTEN", conf)

    def test_two_inits_make_different_keys(self):
        keys = []
        for name in ("a", "b"):
            data = os.path.join(self.tmp, name)
            self.assertEqual(run("init", "--data", data).returncode, 0)
            with open(os.path.join(data, "keys/master.key")) as f:
                keys.append(f.read())
        self.assertNotEqual(keys[0], keys[1])

    def test_init_refuses_an_existing_folder(self):
        data = os.path.join(self.tmp, "data")
        self.assertEqual(run("init", "--data", data).returncode, 0)
        with open(os.path.join(data, "keys/master.key")) as f:
            before = f.read()
        res = run("init", "--data", data)
        self.assertEqual(res.returncode, 1)
        self.assertIn("refusing to overwrite", res.stderr)
        self.assertEqual(len(res.stderr.strip().splitlines()), 1)
        with open(os.path.join(data, "keys/master.key")) as f:
            self.assertEqual(f.read(), before)
        # Any non-empty folder, not only a coffre one.
        other = os.path.join(self.tmp, "other")
        os.mkdir(other)
        open(os.path.join(other, "precious.txt"), "w").close()
        self.assertEqual(run("init", "--data", other).returncode, 1)
        self.assertEqual(os.listdir(other), ["precious.txt"])

    def test_init_accepts_an_empty_folder_and_tightens_it(self):
        data = os.path.join(self.tmp, "mounted")
        os.mkdir(data, 0o755)
        self.assertEqual(run("init", "--data", data).returncode, 0)
        self.assertEqual(stat.S_IMODE(os.stat(data).st_mode), 0o700)

    def test_data_folder_from_environment(self):
        data = os.path.join(self.tmp, "envdata")
        res = run("init", env={"COFFRE_DATA": data})
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertTrue(os.path.exists(os.path.join(data, "keys/master.key")))


class ServeConfiguration(unittest.TestCase):
    def setUp(self):
        self.srv = Server()

    def tearDown(self):
        self.srv.close()

    def _set_listen_in_file(self, port):
        path = os.path.join(self.srv.data, "coffre.conf")
        with open(path, "a") as f:
            f.write(f"\n[server]\nlisten = 127.0.0.1:{port}\n")

    def _serving_port(self, *args, env=None):
        self.srv.start(*args, env=env, listen=False)
        port = self.srv.port
        self.assertEqual(self.srv.stop(), 0)
        return port

    def test_file_then_environment_then_flags(self):
        p_file, p_env, p_flag = free_port(), free_port(), free_port()
        self._set_listen_in_file(p_file)
        self.assertEqual(self._serving_port(), p_file)
        env = {"COFFRE_SERVER_LISTEN": f"127.0.0.1:{p_env}"}
        self.assertEqual(self._serving_port(env=env), p_env)
        self.assertEqual(self._serving_port("--listen", f"127.0.0.1:{p_flag}", env=env), p_flag)
        self.assertEqual(self._serving_port("--set", f"server.listen=127.0.0.1:{p_flag}",
                                            env=env), p_flag)

    def _serve_fails(self, *args, env=None):
        res = run("serve", "--data", self.srv.data, *args, env=env, timeout=20)
        self.assertNotEqual(res.returncode, 0)
        self.assertEqual(len(res.stderr.strip().splitlines()), 1, res.stderr)
        return res

    def test_bad_values_are_refused_with_the_reason(self):
        res = self._serve_fails("--set", "server.threads=0")
        self.assertEqual(res.returncode, 2)
        self.assertIn("server.threads", res.stderr)
        res = self._serve_fails("--set", "server.nonsense=1")
        self.assertIn("unknown configuration key", res.stderr)
        res = self._serve_fails(env={"COFFRE_TLS_MIN_VERSION": "1.0"})
        self.assertEqual(res.returncode, 1)
        self.assertIn("COFFRE_TLS_MIN_VERSION", res.stderr)
        with open(os.path.join(self.srv.data, "coffre.conf"), "a") as f:
            f.write("\n[server]\nmax_body_bytes = lots\n")
        res = self._serve_fails()
        self.assertRegex(res.stderr, r"coffre\.conf:\d+: server\.max_body_bytes")

    def test_serve_without_init_explains(self):
        res = run("serve", "--data", os.path.join(self.srv.tmp, "nothing"))
        self.assertEqual(res.returncode, 1)
        self.assertIn("coffre init", res.stderr)

    def test_serve_refuses_a_readable_master_key(self):
        os.chmod(os.path.join(self.srv.data, "keys/master.key"), 0o644)
        res = self._serve_fails("--listen", "127.0.0.1:0")
        self.assertIn("chmod 600", res.stderr)

    def test_serve_refuses_a_readable_tls_key(self):
        os.chmod(os.path.join(self.srv.data, "tls/key.pem"), 0o640)
        res = run("serve", "--data", self.srv.data, "--listen", "127.0.0.1:0", timeout=20)
        self.assertEqual(res.returncode, 1)
        self.assertIn("refusing to use it", res.stderr)

    def test_port_in_use_fails_cleanly(self):
        self.srv.start()
        res = run("serve", "--data", self.srv.data, "--listen", f"127.0.0.1:{self.srv.port}",
                  timeout=20)
        self.assertEqual(res.returncode, 1)
        self.assertIn("cannot start", res.stderr)


if __name__ == "__main__":
    unittest.main()
