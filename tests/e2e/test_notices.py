"""SMS and e-mail notices through a gateway started by the test: sent for
an issued summons, a delivery and a bar imposed and lifted; retried with
backoff when the gateway fails; idempotent by key; failing for good shows
to clerks; every text says it is not a summons."""
import http.server
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import check, eq, run, with_ctx, Ctx  # noqa: E402

NOW = "2026-03-02T06:00:00Z"


class Gateway:
    """A local HTTP receiver that fails the first `fail_first` requests for
    each key (500), then accepts."""

    def __init__(self, fail_first=0, always_fail=False):
        self.got = []
        self.fail_first = fail_first
        self.always_fail = always_fail
        self.seen = {}
        gw = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key")
                gw.seen[key] = gw.seen.get(key, 0) + 1
                ok = not gw.always_fail and gw.seen[key] > gw.fail_first
                if ok:
                    gw.got.append((key, body))
                self.send_response(200 if ok else 500)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/send" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def wait_for(cond, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.1)
    return False


def scenario(c, gw):
    c.office("MOW", "Europe/Moscow")
    c.person("NT-0001", phone="+79990001122", email="ivan@example.ru")
    clerk = c.token("clerk")
    r = c.srv.post("/v1/summonses", {"national_id": "NT-0001", "purpose": "medical_exam",
                                     "report_at": "2026-03-20T09:00:00+03:00"},
                   token=clerk, now=NOW)
    eq(r.status, 201)
    sid = r.json["id"]
    eq(c.srv.post("/v1/summonses/%s/events" % sid, {"type": "handed", "at": NOW},
                  token=clerk, now=NOW).status, 201)
    eq(c.srv.post("/v1/summonses/%s/events" % sid, {"type": "appeared",
                  "at": "2026-03-03T07:00:00Z"}, token=clerk,
                  now="2026-03-03T07:00:00Z").status, 201)
    return clerk, sid


def test_notices_retried_and_idempotent():
    gw = Gateway(fail_first=2)
    c = Ctx(extra=["--notify-url", gw.url, "--notify-backoff-ms", "100"])
    try:
        clerk, sid = scenario(c, gw)
        # issued, delivered (handed), exit imposed, exit lifted: x2 channels
        check(wait_for(lambda: len(gw.got) >= 8), "8 notices arrive: %r" % gw.got)
        kinds = sorted(b["kind"] for _, b in gw.got)
        eq(kinds, sorted(["issued", "delivered", "imposed", "lifted"] * 2))
        for key, body in gw.got:
            check("not a summons" in body["text"] or "не повестка" in body["text"],
                  "says it is not a summons: %r" % body["text"])
            eq(gw.seen[key], 3, "two failures, then success, for %s" % key)
        check({b["channel"] for _, b in gw.got} == {"sms", "email"}, "both channels")
        imposed = [b for _, b in gw.got if b["kind"] == "imposed"][0]["text"]
        check(sid in imposed, "names the summons")
        check("выезд" in imposed, "the bar in the profile's language: %r" % imposed)
        def recorded():
            r = c.srv.get("/v1/notices?national_id=NT-0001", token=clerk)
            return r.status == 200 and len(r.json["notices"]) == 8 and all(
                n["state"] == "sent" for n in r.json["notices"])
        # the gateway answers before the server records the outcome
        check(wait_for(recorded), "outcomes recorded")
        r = c.srv.get("/v1/notices?national_id=NT-0001", token=clerk)
        check(all(n["attempts"] == 3 for n in r.json["notices"]), "three attempts each: %r" % r.json)
        cit = c.token("citizen", person="NT-0001")
        mine = c.srv.get("/v1/me/notices", token=cit).json["notices"]
        eq(len(mine), 8)
        check("key" not in mine[0], "staff fields hidden from the citizen")
        # restart: nothing is sent twice
        c.srv.stop()
        from lib import Server
        c.srv = Server(c.db, extra=["--notify-url", gw.url, "--notify-backoff-ms", "100"])
        time.sleep(1.5)
        eq(len(gw.got), 8, "no duplicates after a restart")
    finally:
        c.close()
        gw.close()


def test_failed_for_good_visible_to_clerks():
    gw = Gateway(always_fail=True)
    c = Ctx(extra=["--notify-url", gw.url, "--notify-backoff-ms", "100",
                   "--notify-attempts", "2"])
    try:
        c.office("MOW", "Europe/Moscow")
        c.person("NT-0002", phone="+79990001123", email="")
        clerk = c.token("clerk")
        eq(c.srv.post("/v1/summonses", {"national_id": "NT-0002", "purpose": "medical_exam",
                                        "report_at": "2026-03-20T09:00:00+03:00"},
                      token=clerk, now=NOW).status, 201)

        def failed():
            r = c.srv.get("/v1/notices?state=failed", token=clerk)
            return r.json["notices"] if r.status == 200 else []
        check(wait_for(lambda: len(failed()) == 1), "the notice fails for good")
        n = failed()[0]
        eq(n["attempts"], 2)
        check("HTTP 500" in n["last_error"], "the error is recorded: %r" % n)
        eq(c.srv.get("/v1/notices", token=c.token("citizen", person="NT-0002")).status, 403)
    finally:
        c.close()
        gw.close()


if __name__ == "__main__":
    run(globals())
