"""lib.py: the end-to-end harness.

Starts the real build/muster binary on a random port against a temporary
register, speaks HTTP to it, and runs test functions. Nothing is mocked: a
real SQLite file, the real binary, real sockets.

A test file defines functions named test_* taking a Ctx, then calls run().
The last line printed is "N passed, N failed".
"""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

BIN = os.environ.get("MUSTER_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "muster")
SANITIZED = os.environ.get("MUSTER_SANITIZE", "0") in ("1", "ON", "TRUE", "true")


class Failure(AssertionError):
    pass


def check(cond, msg="check failed"):
    if not cond:
        raise Failure(msg)


def eq(got, want, msg=""):
    if got != want:
        raise Failure("%s: got %r, want %r" % (msg or "values differ", got, want))


def run_cli(*args, env=None, stdin=None, timeout=120):
    """Run the muster binary; return (exit code, stdout, stderr)."""
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run([BIN] + [str(a) for a in args], capture_output=True,
                       text=True, env=e, input=stdin, timeout=timeout)
    assert_clean(p.stderr, "muster " + " ".join(str(a) for a in args))
    return p.returncode, p.stdout, p.stderr


def assert_clean(stderr, what):
    for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        if bad in stderr:
            raise Failure("%s: sanitizer report:\n%s" % (what, stderr[-4000:]))
    # what muster itself reports as a bug (store_reads_done: a read left open)
    bugs = [line for line in stderr.splitlines() if "(bug)" in line]
    if bugs:
        raise Failure("%s reported a bug:\n%s" % (what, "\n".join(bugs[:10])))


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.raw[:300])


class Server:
    """A muster serve process on a random port."""

    def __init__(self, db, test_clock=True, extra=()):
        self.db = db
        args = [BIN, "serve", "--db", db, "--listen", "127.0.0.1:0"]
        if test_clock:
            args.append("--test-clock")
        args += list(extra)
        self.proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.port = None
        self._ready = threading.Event()
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()
        if not self._ready.wait(30):
            self.proc.kill()
            raise Failure("server did not start:\n" + "".join(self.lines))
        self.conn = None

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line)
            m = re.search(r"listening on http://[\d.]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                self._ready.set()
        self._ready.set()

    def log(self):
        return "".join(self.lines)

    def request(self, method, path, body=None, token=None, headers=None, now=None,
                raw=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if now:
            h["Muster-Test-Now"] = now
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                out = r.read().decode("utf-8", "replace")
                resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, out)
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return resp
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn = None
                if attempt:
                    raise
        raise Failure("unreachable")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.conn:
            self.conn.close()
            self.conn = None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Failure("server did not stop on %s" % sig)
        self._t.join(5)
        if sig != signal.SIGKILL:
            assert_clean(self.log(), "muster serve")
        return code


class Ctx:
    """One test's world: a temp dir, a register, tokens, and a server."""

    def __init__(self, profile="ru-2023", serve=True, test_clock=True, extra=()):
        self.dir = tempfile.mkdtemp(prefix="muster-e2e-")
        self.db = os.path.join(self.dir, "reg.db")
        code, out, err = run_cli("init", "--db", self.db, "--profile", profile)
        eq(code, 0, "init exit code: " + err)
        self.admin = out.strip().splitlines()[-1]
        self.srv = Server(self.db, test_clock=test_clock, extra=extra) if serve else None
        self.tokens = {}

    def token(self, role, **kw):
        """Create a token through the API (admin) and return the secret."""
        body = {"role": role}
        body.update(kw)
        r = self.srv.post("/v1/tokens", body, token=self.admin)
        eq(r.status, 201, "token create %r: %r" % (body, r))
        return r.json["token"]

    def office(self, oid="MOW", tz="Europe/Moscow", region="Moscow", name=None):
        r = self.srv.post("/v1/offices", {"id": oid, "name": name or (oid + " office"),
                                          "region": region, "timezone": tz},
                          token=self.admin)
        eq(r.status, 201, "office create: %r" % r)
        return r.json

    def person(self, nid, office="MOW", region="Moscow", token=None, **kw):
        body = {"national_id": nid, "family_name": "Иванов", "given_name": "Иван",
                "patronymic": "Иванович", "birth_date": "2004-05-17", "sex": "M",
                "region": region, "office": office, "address": "Москва, ул. Ленина, 1",
                "phone": "+79990000000", "email": "ivan@example.ru", "fitness": "A"}
        body.update(kw)
        r = self.srv.post("/v1/persons", body, token=token or self.admin)
        eq(r.status, 201, "person create: %r" % r)
        return r.json

    def close(self):
        code = None
        if self.srv:
            code = self.srv.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        if code is not None and code != 0:
            raise Failure("server exit code after SIGTERM: got %r, want 0\n--- server log (tail) ---\n%s"
                          % (code, self.srv.log()[-3000:]))


def run(module_globals):
    tests = sorted((k, v) for k, v in module_globals.items()
                   if k.startswith("test_") and callable(v))
    only = sys.argv[1:]
    passed = failed = 0
    for name, fn in tests:
        if only and name not in only:
            continue
        t0 = time.time()
        try:
            fn()
            passed += 1
            print("ok   %s (%.1fs)" % (name, time.time() - t0), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s\n%s" % (name, traceback.format_exc()), flush=True)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed or not passed else 0)


def with_ctx(**kw):
    """Decorator: give the test a fresh Ctx and close it afterwards (the
    server must then exit 0 with a clean sanitizer report)."""
    def deco(fn):
        def wrapper():
            c = Ctx(**kw)
            try:
                fn(c)
            except Exception:
                try:
                    c.close()
                except Exception:
                    pass
                if c.srv:
                    sys.stderr.write("--- server log (tail) ---\n" + c.srv.log()[-3000:])
                raise
            c.close()
        wrapper.__name__ = fn.__name__
        return wrapper
    return deco
