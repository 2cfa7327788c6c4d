"""What an operator meets: the wrong file given as --db, and a register
whose write lock another process holds while reads wait to be audited.

The real binary on a real SQLite file; another process's lock is a real
SQLite write transaction held from Python.
"""
import os
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import BIN, Ctx, check, eq, run, run_cli  # noqa: E402


def test_a_foreign_sqlite_file_is_left_as_it_was():
    c = Ctx(serve=False)
    try:
        path = os.path.join(c.dir, "other.db")
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE accounts(id INTEGER PRIMARY KEY, owner TEXT)")
            db.execute("INSERT INTO accounts(owner) VALUES ('someone')")
        before = open(path, "rb").read()
        p = subprocess.run([BIN, "serve", "--db", path, "--listen", "127.0.0.1:0"],
                           capture_output=True, text=True, timeout=30)
        eq(p.returncode, 1, "serve refuses it: %s" % p.stderr)
        check("is not a muster register" in p.stderr and "nothing was changed" in p.stderr,
              p.stderr)
        code, out, err = run_cli("status", "--db", path, "RU-0001")
        eq(code, 1, "status refuses it too: %s" % err)
        eq(open(path, "rb").read(), before, "not a byte of the file changed")
        check(not os.path.exists(path + "-wal"), "and it was not switched to WAL")
        empty = os.path.join(c.dir, "empty.db")
        open(empty, "w").close()
        code, out, err = run_cli("status", "--db", empty, "RU-0001")
        eq(code, 1, "an empty file is not a register: %s" % err)
        check("is empty" in err, err)
        eq((os.path.getsize(empty), os.path.exists(empty + "-gen")), (0, False),
           "and it stays empty")
    finally:
        c.close()


def test_a_write_behind_unflushable_read_audits_fails_instead_of_hanging():
    """Another process holds the write lock past the busy timeout (10 s):
    a read is answered and its audit record waits; a write behind it gets
    503 and the server keeps answering, instead of every worker hanging;
    further reads are refused and /healthz says why. Once the lock is gone
    the record commits, reads are answered again, and SIGTERM stops
    cleanly."""
    c = Ctx()
    try:
        c.office("MOW", "Europe/Moscow")
        c.person("OP-0001")
        clerk = c.token("clerk")
        auditor = c.token("auditor")
        holding, release = threading.Event(), threading.Event()

        def hold():
            db = sqlite3.connect(c.db, timeout=30, isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            holding.set()
            release.wait(40)
            db.execute("COMMIT")
            db.close()
        t = threading.Thread(target=hold)
        t.start()
        try:
            check(holding.wait(30), "the other process took the lock")
            eq(c.srv.get("/v1/persons/OP-0001", token=clerk).status, 200, "a read")
            r = c.srv.post("/v1/offices", {"id": "KGD", "name": "K", "region": "West",
                                           "timezone": "Europe/Kaliningrad"}, token=c.admin)
            eq(r.status, 503, "the write behind it: %r" % r)
            # the server still answers, and says the log cannot be written;
            # no further read is answered meanwhile (refused, not unaudited)
            h = c.srv.get("/healthz")
            eq((h.status, h.json.get("status")), (503, "failing"), "healthz: %r" % h)
            eq(c.srv.get("/v1/persons/OP-0001", token=clerk).status, 503, "a read now")
        finally:
            release.set()
            t.join()
        deadline = time.time() + 30
        seen = []
        while time.time() < deadline:
            r = c.srv.get("/v1/audit/entries?person=OP-0001&limit=100", token=auditor)
            seen = [e["action"] for e in r.json.get("entries", [])] if r.status == 200 else []
            if "person.read" in seen:
                break
            time.sleep(0.2)
        check("person.read" in seen, "the read's record committed once the lock was gone: %r"
              % seen)
        eq(c.srv.get("/healthz").json, {"status": "ok"}, "healthy again")
        eq(c.srv.get("/v1/persons/OP-0001", token=clerk).status, 200, "reads again")
        offices = [o["id"] for o in c.srv.get("/v1/offices", token=c.admin).json["offices"]]
        eq(offices, ["MOW"], "the refused write wrote nothing")
    finally:
        c.close()


def test_an_auditor_verifies_a_register_they_cannot_write():
    """A backup in a directory the auditor may read but not write: SQLite
    cannot make the -shm file of a WAL register there; verify still reads
    it (as it is), and says the log is intact."""
    import shutil
    import tempfile
    if os.geteuid() != 0 or not shutil.which("runuser"):
        print("skip: needs root and runuser to act as an unprivileged auditor")
        return
    c = Ctx(serve=False)
    d = tempfile.mkdtemp(prefix="muster-ro-")
    try:
        code, out, err = run_cli("token", "create", "--db", c.db, "--role", "clerk")
        eq(code, 0, err)
        os.chmod(d, 0o755)
        shutil.copy(c.db, os.path.join(d, "reg.db"))
        shutil.copy(BIN, os.path.join(d, "muster"))
        os.chmod(os.path.join(d, "reg.db"), 0o644)
        p = subprocess.run(["runuser", "-u", "nobody", "--", os.path.join(d, "muster"),
                            "audit", "verify", "--db", os.path.join(d, "reg.db")],
                           capture_output=True, text=True, timeout=60)
        eq(p.returncode, 0, "verify as nobody: %s %s" % (p.stdout, p.stderr))
        check("intact" in p.stdout, p.stdout)
        eq(sorted(os.listdir(d)), ["muster", "reg.db"], "nothing was written beside it")
    finally:
        shutil.rmtree(d, ignore_errors=True)
        c.close()


if __name__ == "__main__":
    run(globals())
