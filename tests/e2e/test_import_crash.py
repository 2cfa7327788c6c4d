"""Crash safety of `muster import`: kill -9 in the middle of a large import
leaves a register that passes PRAGMA integrity_check and `muster audit
verify`, holding whole committed batches (never a half-written one), and
--resume finishes the job; an import started afresh instead closes the
interrupted run and still ends with the right register.

No timings: the test waits (polling the register read-only) until a first
transaction of two batches (--commit-rows) has committed, then kills the
importer.
"""
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import BIN, check, eq, run, run_cli, with_ctx  # noqa: E402

ROWS = 160000          # more than three batches of 50000
BATCH = 50000          # IMPORTER_BATCH_ROWS
TX = 100000            # --commit-rows: two batches a transaction
OFFICES = "id,name,region,timezone\nMOW,Moscow office,Moscow,Europe/Moscow\n"


def generate(path, n):
    """n persons, no two with the same name and birth date, not in key order."""
    fams = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров"]
    givens = ["Иван", "Пётр", "Олег", "Максим", "Сергей", "Андрей", "Илья", "Роман",
              "Егор", "Кирилл"]
    with open(path, "w", encoding="utf-8") as f:
        f.write("national_id,family_name,given_name,patronymic,birth_date,sex,region,"
                "office,address,phone,email,fitness\n")
        for i in range(n):
            k = (i * 7919) % n
            f.write("CR-%08d,%s,%s,Иванович,%04d-%02d-%02d,M,Moscow,MOW,"
                    "\"Москва, д. %d\",+7999%07d,,A\n" % (
                        k, fams[k % 6], givens[k // 6 % 10], 1970 + k // 60 % 30,
                        1 + k // 1800 % 12, 1 + k // 21600 % 28, k, k))


def query(db, sql):
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def start_and_kill(c, path):
    """Start an import, wait until a batch has committed, kill -9 it."""
    p = subprocess.Popen([BIN, "import", "persons", "--db", c.db, path,
                          "--commit-rows", str(TX)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    uri = "file:%s?mode=ro" % c.db
    deadline = time.time() + 600
    while time.time() < deadline and p.poll() is None:
        try:
            con = sqlite3.connect(uri, uri=True, timeout=5)
            got = con.execute("SELECT max(batches) FROM import_runs WHERE state = 'running'"
                              " AND kind = 'persons'").fetchone()[0]
            con.close()
        except sqlite3.Error:
            got = None
        if got:
            break
        time.sleep(0.02)
    if p.poll() is not None:
        check(False, "the import ended before it could be killed: %r" % (p.communicate(),))
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stdout.close()
    p.stderr.close()


def check_whole(c):
    eq(query(c.db, "PRAGMA integrity_check"), [("ok",)], "integrity_check")
    code, out, err = run_cli("audit", "verify", "--db", c.db)
    eq(code, 0, "audit verify after the kill: " + out + err)
    n = query(c.db, "SELECT count(*) FROM persons")[0][0]
    # every version a batch wrote names it: the persons row for a current
    # version (person_history holds only replaced ones)
    hist = query(c.db, "SELECT count(*) FROM persons p JOIN import_batches b"
                       " ON b.id = p.import_batch AND b.audit_idx >= 0")[0][0]
    eq(query(c.db, "SELECT count(*) FROM person_history")[0][0], 0, "no replaced version")
    run_row = query(c.db, "SELECT state, batches, inserted FROM import_runs"
                          " WHERE kind = 'persons' ORDER BY id DESC LIMIT 1")[0]
    eq(run_row[0], "running", "the run is left unfinished")
    check(0 < n < ROWS, "some but not all rows: %d" % n)
    # whole batches; two to a transaction (--commit-rows) unless a batch
    # took the 3 s a transaction may take (a slow sanitizer build)
    eq(n % BATCH, 0, "whole batches only (%d rows)" % n)
    eq(run_row[1], n // BATCH, "the run counts the batches of its transactions")
    eq(query(c.db, "SELECT count(*) FROM import_batches b JOIN import_runs r ON"
                   " r.id = b.run_id WHERE r.kind = 'persons' AND r.state = 'running'")[0][0],
       n // BATCH, "a record of each batch")
    eq((n, hist), (run_row[2], run_row[2]), "rows, versions and the run's count agree")
    return n


@with_ctx(serve=False)
def test_kill9_then_resume(c):
    off = os.path.join(c.dir, "offices.csv")
    with open(off, "w") as f:
        f.write(OFFICES)
    eq(run_cli("import", "offices", "--db", c.db, off)[0], 0, "offices")
    path = os.path.join(c.dir, "big.csv")
    generate(path, ROWS)
    code, out, err = run_cli("import", "persons", "--db", c.db, path, "--resume")
    eq(code, 1, "nothing to resume yet")
    check("no interrupted or failed import of this file" in err, err)
    start_and_kill(c, path)
    done = check_whole(c)
    code, out, err = run_cli("import", "persons", "--db", c.db, path, "--resume", timeout=900)
    eq(code, 0, "resume: " + err)
    check("%d rows read, %d inserted" % (ROWS, ROWS) in out, "totals over both: %r" % out)
    check("%d committed before the resume" % done in out, "skipped: %r" % out)
    eq(query(c.db, "SELECT count(*) FROM persons")[0][0], ROWS, "every row")
    eq(query(c.db, "SELECT count(*) FROM persons WHERE version = 1 AND import_batch"
                   " IS NOT NULL")[0][0], ROWS, "one version each, from a batch")
    eq(query(c.db, "SELECT state FROM import_runs WHERE kind = 'persons'"), [("done",)],
       "one run, done")
    eq(query(c.db, "PRAGMA integrity_check"), [("ok",)], "integrity_check at the end")
    eq(run_cli("audit", "verify", "--db", c.db)[0], 0, "audit verify at the end")


@with_ctx(serve=False)
def test_kill9_then_start_afresh(c):
    off = os.path.join(c.dir, "offices.csv")
    with open(off, "w") as f:
        f.write(OFFICES)
    eq(run_cli("import", "offices", "--db", c.db, off)[0], 0, "offices")
    path = os.path.join(c.dir, "big.csv")
    generate(path, ROWS)
    start_and_kill(c, path)
    done = check_whole(c)
    code, out, err = run_cli("import", "persons", "--db", c.db, path, timeout=900)
    eq(code, 0, "fresh import: " + err)
    check("is now abandoned" in err, "a note about the unfinished run: %r" % err)
    check("%d inserted, 0 updated, %d unchanged" % (ROWS - done, done) in out, out)
    eq(query(c.db, "SELECT state FROM import_runs WHERE kind = 'persons' ORDER BY id"),
       [("abandoned",), ("done",)], "runs")
    eq(query(c.db, "SELECT count(*) FROM persons")[0][0], ROWS, "every row")


run(globals())
