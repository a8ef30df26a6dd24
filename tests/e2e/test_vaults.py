"""Encrypted vaults end to end (T1, T2, T3, E1): the real coffre CLI on a real data folder,
and a vault driven from outside by tests/tools/vault_tool (crashes, kill -9)."""
import json
import os
import random
import shutil
import signal
import subprocess
import time
import unittest

from harness import Server, run

TOOL = os.environ.get("VAULT_TOOL", os.path.join(os.path.dirname(__file__),
                                                 "../../build/vault_tool"))
CANARY = "CANARY-e2e-5b7c1d-never-plaintext"


def tool(data, slug, *args, env=None, timeout=60):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([TOOL, data, slug, *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, stdin=subprocess.DEVNULL)


def grep_tree(root, needle):
    """Files under root whose bytes contain needle (any encoding a careless writer might use)."""
    hits = []
    forms = [needle.encode(), needle.encode("utf-16-le"), needle.encode().hex().encode()]
    for d, _, files in os.walk(root):
        for name in files:
            path = os.path.join(d, name)
            with open(path, "rb") as f:
                data = f.read()
            if any(form in data for form in forms):
                hits.append(path)
    return hits


class VaultCase(unittest.TestCase):
    def setUp(self):
        self.srv = Server()
        self.data = self.srv.data

    def tearDown(self):
        self.srv.close()

    def coffre(self, *args, env=None):
        return run(*args, "--data", self.data, env=env)

    def create(self, slug, email="admin@example.org", *extra):
        res = self.coffre("tenant", "create", slug, "--admin-email", email, *extra)
        self.assertEqual(res.returncode, 0, res.stderr)
        return res

    def tenants(self):
        res = self.coffre("tenant", "list", "--json")
        self.assertEqual(res.returncode, 0, res.stderr)
        return {t["slug"]: t for t in json.loads(res.stdout)}

    def check(self, slug):
        res = tool(self.data, slug, "check")
        self.assertEqual(res.returncode, 0, res.stderr)
        return json.loads(res.stdout)

    def vault_dirs(self):
        return sorted(os.listdir(os.path.join(self.data, "vaults")))


class Confidentiality(VaultCase):
    def test_canary_never_on_disk(self):
        """E1: a canary in tenant name, admin e-mail, a row and a blob is nowhere in plain
        text under the data folder: WAL before checkpoint, after it, after both rotations."""
        self.create("acme", f"{CANARY}@acme.example", "--name", f"Acme {CANARY}")
        res = tool(self.data, "acme", "put-blob", CANARY * 2500)
        self.assertEqual(res.returncode, 0, res.stderr)
        blob_id = res.stdout.strip()
        res = tool(self.data, "acme", "put-row", CANARY * 20, "--keep-wal")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertRegex(blob_id, r"^[0-9a-f]{32}$")
        vault = os.path.join(self.data, "vaults", self.tenants()["acme"]["id"])
        self.assertGreater(os.path.getsize(os.path.join(vault, "vault.db-wal")), 0)
        self.assertEqual(grep_tree(self.data, CANARY), [])
        self.assertEqual(grep_tree(self.data, "Acme"), [])
        # After checkpoint (the next open and close), after key rotation, after master rotation.
        self.assertEqual(self.check("acme")["notes"], 1)
        self.assertEqual(grep_tree(self.data, CANARY), [])
        self.assertEqual(self.coffre("tenant", "rotate-key", "acme").returncode, 0)
        self.assertEqual(grep_tree(self.data, CANARY), [])
        self.assertEqual(self.coffre("key", "rotate-master").returncode, 0)
        self.assertEqual(grep_tree(self.data, CANARY), [])
        # ...and everything still reads back.
        state = self.check("acme")
        self.assertEqual(state["admin_email"], f"{CANARY}@acme.example")
        self.assertEqual(state["notes"], 1)
        res = tool(self.data, "acme", "get-blob", blob_id)
        self.assertEqual(res.stdout, CANARY * 2500)
        self.assertEqual(self.tenants()["acme"]["name"], f"Acme {CANARY}")

    def test_wrong_master_key_opens_nothing(self):
        self.create("acme")
        other = "ab" * 32
        res = self.coffre("tenant", "list", env={"COFFRE_MASTER_KEY": other})
        self.assertEqual(res.returncode, 1)
        self.assertIn("master key", res.stderr)
        res = tool(self.data, "acme", "check", env={"COFFRE_MASTER_KEY": other})
        self.assertEqual(res.returncode, 1)
        # The right key from the environment works as well as the file.
        with open(os.path.join(self.data, "keys", "master.key")) as f:
            right = f.read().strip()
        os.rename(os.path.join(self.data, "keys", "master.key"),
                  os.path.join(self.srv.tmp, "master.key"))
        res = self.coffre("tenant", "list", env={"COFFRE_MASTER_KEY": right})
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("acme", res.stdout)
        # Rotation refuses to run on an environment key rather than half-do it.
        res = self.coffre("key", "rotate-master", env={"COFFRE_MASTER_KEY": right})
        self.assertEqual(res.returncode, 1)

    def test_vault_of_one_tenant_does_not_open_as_another(self):
        """T1: swapping two tenants' vault files gives integrity errors, never the other's data."""
        self.create("alpha")
        self.create("beta")
        t = self.tenants()
        a = os.path.join(self.data, "vaults", t["alpha"]["id"], "vault.db")
        b = os.path.join(self.data, "vaults", t["beta"]["id"], "vault.db")
        tmp = a + ".swap"
        os.rename(a, tmp)
        os.rename(b, a)
        os.rename(tmp, b)
        self.assertEqual(tool(self.data, "alpha", "check").returncode, 1)
        self.assertEqual(tool(self.data, "beta", "check").returncode, 1)


class Deletion(VaultCase):
    def test_delete_is_crypto_shredding(self):
        """T3: after `tenant delete`, a copy of the vault folder taken before cannot be opened."""
        self.create("doomed")
        self.assertEqual(tool(self.data, "doomed", "put-row", CANARY).returncode, 0)
        tid = self.tenants()["doomed"]["id"]
        vault = os.path.join(self.data, "vaults", tid)
        stolen = os.path.join(self.srv.tmp, "stolen")
        shutil.copytree(vault, stolen)
        res = self.coffre("tenant", "delete", "doomed")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertFalse(os.path.exists(vault))
        self.assertNotIn("doomed", self.tenants())
        # Put the copy back where it was: nothing in the platform can open it.
        shutil.copytree(stolen, vault)
        res = tool(self.data, tid, "check")
        self.assertEqual(res.returncode, 1)
        self.assertIn("not found", res.stderr)
        # A new tenant of the same name gets a new id and key, not the old vault.
        self.create("doomed")
        self.assertNotEqual(self.tenants()["doomed"]["id"], tid)
        self.assertEqual(self.check("doomed")["notes"], 0)
        res = self.coffre("tenant", "delete", "nobody")
        self.assertEqual(res.returncode, 1)


class KeyRotation(VaultCase):
    def test_rotate_key_keeps_data(self):
        self.create("rot")
        self.assertEqual(tool(self.data, "rot", "put-row", "kept").returncode, 0)
        blob = tool(self.data, "rot", "put-blob", "blob kept").stdout.strip()
        for version in (2, 3):
            res = self.coffre("tenant", "rotate-key", "rot")
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(self.tenants()["rot"]["key_version"], version)
        self.assertEqual(self.check("rot")["notes"], 1)
        self.assertEqual(tool(self.data, "rot", "get-blob", blob).stdout, "blob kept")
        self.assertEqual(self.vault_dirs(), sorted([self.tenants()["rot"]["id"],
                                                    self.tenants()["rot"]["id"] + ".lock"]))

    def test_crash_at_every_step_of_rotation_leaves_a_usable_vault(self):
        points = ["rotate-key.after-pending", "rotate-key.after-copy",
                  "rotate-key.between-renames", "rotate-key.before-commit",
                  "rotate-key.after-commit"]
        self.create("crash")
        blob = tool(self.data, "crash", "put-blob", "survives").stdout.strip()
        self.assertEqual(tool(self.data, "crash", "put-row", "survives").returncode, 0)
        tid = self.tenants()["crash"]["id"]
        for point in points:
            before = self.tenants()["crash"]["key_version"]
            res = self.coffre("tenant", "rotate-key", "crash", env={"COFFRE_FAULT": point})
            self.assertEqual(res.returncode, 70, point)         # died at that point
            state = self.check("crash")                          # recovers, then opens
            self.assertEqual(state["notes"], 1, point)
            self.assertEqual(state["integrity"], "ok", point)
            self.assertEqual(tool(self.data, "crash", "get-blob", blob).stdout, "survives",
                             point)
            after = self.tenants()["crash"]["key_version"]
            self.assertIn(after, (before, before + 1), point)
            self.assertEqual(self.vault_dirs(), [tid, tid + ".lock"], point)
        # And a clean rotation still works afterwards.
        self.assertEqual(self.coffre("tenant", "rotate-key", "crash").returncode, 0)
        self.assertEqual(self.check("crash")["notes"], 1)

    def test_crash_during_master_rotation(self):
        self.create("m1")
        self.assertEqual(tool(self.data, "m1", "put-row", "survives").returncode, 0)
        keyfile = os.path.join(self.data, "keys", "master.key")
        for point in ("rotate-master.before-switch", "rotate-master.between-renames"):
            with open(keyfile) as f:
                old = f.read()
            res = self.coffre("key", "rotate-master", env={"COFFRE_FAULT": point})
            self.assertEqual(res.returncode, 70, point)
            res = self.coffre("tenant", "list")
            self.assertEqual(res.returncode, 0, point + res.stderr)
            self.assertEqual(self.check("m1")["notes"], 1, point)
            with open(keyfile) as f:
                now = f.read()
            # Before the switch the old key stays; between the renames the new one wins.
            self.assertEqual(now == old, point.endswith("before-switch"), point)
            keys = os.listdir(os.path.join(self.data, "keys"))
            self.assertIn("master.key", keys, point)
            self.assertNotIn("master.key.new", keys, point)     # nothing half-done left
            self.assertFalse(os.path.exists(os.path.join(self.data, "system.db.new")), point)
        self.assertEqual(self.coffre("key", "rotate-master").returncode, 0)
        self.assertEqual(self.check("m1")["notes"], 1)

    def test_master_rotation_refused_while_serving(self):
        self.create("srv")
        self.srv.start()
        res = self.coffre("key", "rotate-master")
        self.assertEqual(res.returncode, 1)
        self.assertIn("stop the server", res.stderr)
        self.assertEqual(self.srv.stop(), 0)
        self.assertEqual(self.coffre("key", "rotate-master").returncode, 0)


class Byok(VaultCase):
    def test_tenant_key_encryption_key(self):
        kek = os.path.join(self.srv.tmp, "tenant.kek")
        with open(kek, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        os.chmod(kek, 0o644)
        res = self.coffre("tenant", "create", "own", "--admin-email", "a@own.example",
                          "--kek-file", kek)
        self.assertEqual(res.returncode, 1)                  # readable by others: refused
        os.chmod(kek, 0o600)
        self.create("own", "a@own.example", "--kek-file", kek)
        self.assertTrue(self.tenants()["own"]["byok"])
        self.assertEqual(self.check("own")["admin_email"], "a@own.example")
        hidden = kek + ".away"
        os.rename(kek, hidden)
        self.assertEqual(tool(self.data, "own", "check").returncode, 1)
        with open(kek, "w") as f:                            # another key in its place
            f.write(os.urandom(32).hex() + "\n")
        os.chmod(kek, 0o600)
        self.assertEqual(tool(self.data, "own", "check").returncode, 1)
        os.replace(hidden, kek)
        self.assertEqual(self.check("own")["admin_email"], "a@own.example")
        # Master rotation re-wraps without needing the tenant's key.
        os.rename(kek, hidden)
        self.assertEqual(self.coffre("key", "rotate-master").returncode, 0)
        os.replace(hidden, kek)
        self.assertEqual(self.check("own")["admin_email"], "a@own.example")


class Durability(VaultCase):
    def test_kill_9_during_writes(self):
        """Every acknowledged commit survives kill -9, 25 times over; integrity stays ok."""
        self.create("dur")
        rnd = random.Random(20261123)
        acked = 0
        for i in range(25):
            p = subprocess.Popen([TOOL, self.data, "dur", "write"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            time.sleep(0.02 + rnd.random() * 0.3)
            p.send_signal(signal.SIGKILL)
            out, _ = p.communicate(timeout=30)
            lines = out.split()
            # The tool continues from the highest id: the last printed id was acknowledged.
            self.assertEqual(p.returncode, -signal.SIGKILL)
            if lines:
                acked = max(acked, int(lines[-1]))
            state = self.check("dur")
            self.assertEqual(state["integrity"], "ok", i)
            self.assertGreaterEqual(state["max"], acked, i)
            self.assertEqual(state["rows"], state["max"], i)     # no gaps
        self.assertGreater(acked, 0)


if __name__ == "__main__":
    unittest.main()
