"""test_channels.py: delivery channels (docs/channels.md).

The channel plan of a summons with and without a portal account; the
built-in inbox (placement at issue, viewing once, and what placement means
in ru-2023 and ru-2025); the push to an external portal received by a local
HTTP receiver that checks the HMAC signature; the portal's callback with a
good, a forged and a replayed request; the in-person channel; and who may
open and close accounts."""
import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import check, eq, run, with_ctx, Ctx  # noqa: E402

NOW = "2026-03-02T06:00:00Z"
NOW_TS = 1772431200  # NOW in Unix seconds
REPORT = "2026-03-20T09:00:00+03:00"
SECRET = "s3cret-shared-with-the-portal"


def issue(c, clerk, nid, now=NOW, **extra):
    body = {"national_id": nid, "purpose": "medical_exam", "report_at": REPORT}
    body.update(extra)
    r = c.srv.post("/v1/summonses", body, token=clerk, now=now)
    eq(r.status, 201, "issue: %r" % r)
    return r.json["id"]


def summons(c, clerk, sid, now=NOW):
    r = c.srv.get("/v1/summonses/" + sid, token=clerk, now=now)
    eq(r.status, 200, "get summons: %r" % r)
    return r.json


def channel(s, name):
    got = [x for x in s["channels"] if x["channel"] == name]
    return got[0] if got else None


def types(s):
    return [e["type"] for e in s["events"]]


def world(c, nid="CH-0001"):
    c.office("MOW", "Europe/Moscow")
    c.person(nid)
    return c.token("clerk")


@with_ctx()
def test_plan_without_account_is_post_only(c):
    clerk = world(c)
    sid = issue(c, clerk, "CH-0001")
    s = summons(c, clerk, sid)
    eq(s["channels"], [{"channel": "post", "state": "planned", "reference": ""}])
    check("placed_in_account" not in types(s), "no placement without an account")
    eq(s["delivered_at"], None, "not delivered at issue")
    # deemed delivery (published + 7 days, Rule D) is unchanged
    s = summons(c, clerk, sid, now="2026-03-12T06:00:00Z")
    eq(s["delivered_by"], "published")
    # postal evidence shows on the post channel with its tracking number
    r = c.srv.post("/v1/summonses/%s/events" % sid, {"type": "post_sent", "at": NOW,
                   "reference": "RA123456789RU"}, token=clerk, now=NOW)
    eq(r.status, 201, "post_sent: %r" % r)
    eq(channel(summons(c, clerk, sid), "post"),
       {"channel": "post", "state": "sent", "reference": "RA123456789RU"})
    cit = c.token("citizen", person="CH-0001")
    mine = c.srv.get("/v1/me/summonses", token=cit, now=NOW).json["summonses"]
    eq(mine[0]["channels"][0]["state"], "sent", "the inbox shows the plan too")
    # opening it does not record `viewed`: it was never placed in an account
    eq(c.srv.get("/v1/me/summonses/" + sid, token=cit, now=NOW).status, 200)
    check("viewed" not in types(summons(c, clerk, sid)), "no viewing without placement")


@with_ctx()
def test_builtin_account_placement_and_viewing_ru2023(c):
    clerk = world(c)
    r = c.srv.post("/v1/persons/CH-0001/account", {"provider": "builtin"}, token=c.admin,
                   now=NOW)
    eq(r.status, 201, "open account: %r" % r)
    sid = issue(c, clerk, "CH-0001", in_person=True)
    s = summons(c, clerk, sid)
    eq([x["channel"] for x in s["channels"]], ["account", "post", "in_person"])
    eq(channel(s, "account"), {"channel": "account", "state": "placed",
                               "reference": "inbox:" + sid})
    eq(channel(s, "in_person")["state"], "planned")
    placed = [e for e in s["events"] if e["type"] == "placed_in_account"]
    eq(len(placed), 1)
    eq(placed[0]["at"], NOW, "placed at the issue instant")
    eq(placed[0].get("reference"), "inbox:" + sid)
    eq(s["delivered_at"], NOW, "ru-2023: placement delivers at once")
    eq(s["delivered_by"], "placed_in_account")
    cit = c.token("citizen", person="CH-0001")
    later = "2026-03-03T08:00:00Z"
    r = c.srv.get("/v1/me/summonses/" + sid, token=cit, now=later)
    eq(r.status, 200, "open in the inbox: %r" % r)
    eq(channel(r.json, "account")["state"], "viewed")
    eq(c.srv.get("/v1/me/summonses/" + sid, token=cit, now="2026-03-04T08:00:00Z").status,
       200)
    s = summons(c, clerk, sid, now="2026-03-04T08:00:00Z")
    viewed = [e for e in s["events"] if e["type"] == "viewed"]
    eq(len(viewed), 1, "viewed once, however often it is opened")
    eq(viewed[0]["at"], later)
    eq(channel(s, "account")["reference"], "inbox:" + sid)
    # handed over in person: the in-person channel shows it
    eq(c.srv.post("/v1/summonses/%s/events" % sid, {"type": "handed", "at": later},
                  token=clerk, now=later).status, 201)
    eq(channel(summons(c, clerk, sid, now=later), "in_person")["state"], "handed")
    # another citizen cannot open it
    c.person("CH-0002")
    other = c.token("citizen", person="CH-0002")
    eq(c.srv.get("/v1/me/summonses/" + sid, token=other, now=later).status, 404)
    # closed account: the next summons goes by post only
    eq(c.srv.post("/v1/persons/CH-0001/account/close", {}, token=clerk, now=later).status, 200)
    eq(c.srv.post("/v1/persons/CH-0001/account/close", {}, token=clerk, now=later).status, 404)
    s2 = summons(c, clerk, issue(c, clerk, "CH-0001", now=later, purpose="training"),
                 now=later)
    eq([x["channel"] for x in s2["channels"]], ["post"])
    check("placed_in_account" not in types(s2), "no placement after closing")
    # audited
    r = c.srv.get("/v1/me/access-log", token=cit, now=later)
    eq(r.status, 200)


@with_ctx(profile="ru-2025")
def test_builtin_placement_ru2025_delivers_seven_days_later(c):
    clerk = world(c)
    cit = c.token("citizen", person="CH-0001")
    r = c.srv.post("/v1/me/account", {}, token=cit, now=NOW)
    eq(r.status, 201, "citizen opens own account: %r" % r)
    eq(r.json["provider"], "builtin")
    eq(c.srv.post("/v1/me/account", {"provider": "external"}, token=cit, now=NOW).status, 400)
    sid = issue(c, clerk, "CH-0001")
    s = summons(c, clerk, sid)
    check("placed_in_account" in types(s), "placed")
    eq(s["delivered_at"], None, "ru-2025: not delivered at placement")
    # placed 2026-03-02 (local date in Moscow); 7 days by Rule D: 2026-03-10 00:00+03
    s = summons(c, clerk, sid, now="2026-03-10T06:00:00Z")
    eq(s["delivered_at"], "2026-03-09T21:00:00Z")


class Portal:
    """A local external portal: records pushes and checks their signature."""

    def __init__(self):
        self.got = []
        portal = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                ts = self.headers.get("X-Muster-Timestamp", "")
                want = "sha256=" + hmac.new(SECRET.encode(), ts.encode() + b"." + raw,
                                            hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(want, self.headers.get("X-Muster-Signature", ""))
                portal.got.append((ok, ts, json.loads(raw)))
                self.send_response(200 if ok else 401)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/push" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def signed(body, ts=NOW_TS, secret=SECRET):
    raw = json.dumps(body).encode()
    sig = hmac.new(secret.encode(), str(ts).encode() + b"." + raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Muster-Timestamp": str(ts),
                 "X-Muster-Signature": "sha256=" + sig}


def callback(c, body, **kw):
    raw, h = signed(body, **kw)
    return c.srv.request("POST", "/v1/channels/portal/callback", raw=raw, headers=h, now=NOW)


def test_external_portal_push_and_callbacks():
    portal = Portal()
    c = Ctx(extra=["--portal-url", portal.url, "--portal-secret", SECRET,
                   "--notify-backoff-ms", "100"])
    try:
        clerk = world(c)
        eq(c.srv.post("/v1/persons/CH-0001/account", {"provider": "external"},
                      token=clerk, now=NOW).status, 201)
        sid = issue(c, clerk, "CH-0001")
        end = time.time() + 20
        while not portal.got and time.time() < end:
            time.sleep(0.1)
        check(portal.got, "the summons is pushed to the portal")
        ok, ts, body = portal.got[0]
        check(ok, "the push carries a valid signature")
        eq(int(ts), NOW_TS, "timestamp from the server's clock")
        eq(body["summons_id"], sid)
        eq(body["national_id"], "CH-0001")
        eq(body["report_at"], "2026-03-20T06:00:00Z")
        eq(sorted(body), ["national_id", "office", "purpose", "report_at", "summons_id",
                          "verification_code"])
        s = summons(c, clerk, sid)
        eq(channel(s, "account"), {"channel": "account", "state": "planned", "reference": ""})
        check("placed_in_account" not in types(s), "a push is not a placement")
        ev = {"summons_id": sid, "type": "placed_in_account", "at": NOW,
              "message_id": "msg-0001"}
        # forged: wrong secret, tampered body, no signature
        eq(callback(c, ev, secret="not-the-secret").status, 401)
        raw, h = signed(ev)
        eq(c.srv.request("POST", "/v1/channels/portal/callback",
                         raw=raw.replace(b"msg-0001", b"msg-0002"), headers=h,
                         now=NOW).status, 401)
        eq(c.srv.request("POST", "/v1/channels/portal/callback", raw=raw,
                         headers={"Content-Type": "application/json"}, now=NOW).status, 401)
        check("placed_in_account" not in types(summons(c, clerk, sid)), "forgeries record nothing")
        # good
        r = callback(c, ev)
        eq(r.status, 201, "good callback: %r" % r)
        s = summons(c, clerk, sid)
        eq(channel(s, "account"), {"channel": "account", "state": "placed",
                                   "reference": "msg-0001"})
        eq(s["delivered_by"], "placed_in_account")
        # replayed: the same message again, and a stale timestamp
        r = callback(c, ev)
        eq(r.status, 409)
        check("replayed" in r.raw, "says replayed: %r" % r)
        r = callback(c, dict(ev, message_id="msg-0003"), ts=NOW_TS - 301)
        eq(r.status, 409, "stale timestamp: %r" % r)
        eq(types(summons(c, clerk, sid)).count("placed_in_account"), 1)
        # viewing evidence
        eq(callback(c, dict(ev, type="viewed", message_id="msg-0001")).status, 201)
        eq(channel(summons(c, clerk, sid), "account")["state"], "viewed")
        # a type the portal may not testify to
        eq(callback(c, dict(ev, type="handed", message_id="msg-9")).status, 400)
    finally:
        c.close()
        portal.close()


@with_ctx()
def test_callback_refused_without_a_configured_portal(c):
    world(c)
    r = callback(c, {"summons_id": "S-X", "type": "viewed", "at": NOW, "message_id": "m"})
    eq(r.status, 404)


@with_ctx()
def test_account_endpoints_authorisation(c):
    c.office("MOW", "Europe/Moscow")
    c.office("SPB", "Europe/Moscow", region="SPb")
    c.person("CH-0001")
    own = c.token("clerk", office="MOW")
    other = c.token("clerk", office="SPB")
    cit = c.token("citizen", person="CH-0001")
    path = "/v1/persons/CH-0001/account"
    eq(c.srv.post(path, {"provider": "builtin"}).status, 401)
    eq(c.srv.post(path, {"provider": "builtin"}, token=cit).status, 403)
    eq(c.srv.post(path, {"provider": "builtin"}, token=c.token("channel")).status, 403)
    eq(c.srv.post(path, {"provider": "builtin"}, token=other).status, 404)
    eq(c.srv.post(path, {"provider": "pigeon"}, token=own).status, 400)
    eq(c.srv.post("/v1/persons/CH-9999/account", {"provider": "builtin"},
                  token=c.admin).status, 404)
    eq(c.srv.post(path, {"provider": "builtin"}, token=own).status, 201)
    eq(c.srv.post(path + "/close", {}, token=other).status, 404)
    eq(c.srv.post(path + "/close", {}, token=cit).status, 403)
    eq(c.srv.post(path + "/close", {}, token=own).status, 200)
    eq(c.srv.post("/v1/me/account", {}, token=own).status, 403)
    eq(c.srv.get("/v1/me/summonses/S-NOSUCH", token=own).status, 403)
    r = c.srv.get("/v1/audit/entries?action=account.open", token=c.token("auditor"))
    eq(r.status, 200)
    check(any(e.get("action") == "account.open" for e in r.json.get("entries", [])),
          "account opening audited: %r" % r.json)


if __name__ == "__main__":
    run(globals())
