"""test_authz.py: who may call what, as a table.

Every route of the route table (src/http/router.c, written out here by hand,
not parsed) is called with every kind of credential: each role, clerks
scoped to the person's office and to another, agencies of the right and the
wrong check kind, citizens who are and are not the person, no token, a
malformed, an unknown and a revoked token. The expectation of each cell
follows from the role lists below:

  no / malformed / unknown / revoked token   401 (public routes: any header -> ok)
  role not in the route's list               403
  role in the list                           allowed: neither 401 nor 403
  SCOPED overrides                           the exact status (403 or 404)

Requests are chosen so that an allowed call changes nothing (a bad body, an
unknown id), and the end of the test checks that nothing changed. Bodies of
refusals must not carry the person's data.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import check, eq, run, with_ctx  # noqa: E402

P = "RU-0001"          # the person, in office OFA
Q = "RU-0002"          # another person, in office OFB
SECRET_NAME = "Тайнов"  # P's family name: must never appear in a refusal

ANYONE = "anyone"

# method, path, body, roles allowed (copied from src/http/router.c)
ROUTES = [
    ("GET", "/healthz", None, ANYONE),
    ("POST", "/v1/offices", {"id": "ZZ", "name": "z", "region": "z",
                             "timezone": "Mars/Olympus_Mons"}, {"admin"}),
    ("GET", "/v1/offices", None, {"admin", "clerk", "commissar", "medical_board"}),
    ("POST", "/v1/persons", {"national_id": "RU-0099", "family_name": "Новый",
                             "given_name": "Н", "birth_date": "2004-02-30", "sex": "M",
                             "region": "A", "office": "OFA"}, {"admin", "clerk"}),
    ("GET", "/v1/persons", None, {"admin", "clerk"}),
    ("GET", "/v1/persons/" + P, None, {"admin", "clerk"}),
    ("PATCH", "/v1/persons/" + P, {}, {"admin", "clerk"}),
    ("GET", "/v1/persons/%s/history" % P, None, {"admin", "clerk"}),
    ("POST", "/v1/persons/%s/removal" % P, {"reason": "bored", "date": "2025-01-01"},
     {"admin", "clerk"}),
    ("GET", "/v1/persons/%s/status" % P, None, {"admin", "clerk", "citizen"}),
    ("POST", "/v1/summonses", {"national_id": P, "purpose": "medical_exam",
                               "report_at": "2000-01-01T09:00:00+03:00"}, {"clerk"}),
    ("GET", "/v1/summonses/S-NOSUCHSUMMONS", None, {"clerk"}),
    ("POST", "/v1/summonses/S-NOSUCHSUMMONS/events",
     {"type": "delivered", "at": "2026-01-01T09:00:00+03:00"}, {"clerk", "channel"}),
    ("GET", "/v1/me/status", None, {"citizen"}),
    ("GET", "/v1/me/access-log", None, {"citizen"}),
    ("GET", "/v1/me/summonses/S-NOSUCHSUMMONS/receipt", None, {"citizen"}),
    ("GET", "/v1/summonses/S-NOSUCHSUMMONS/receipt", None, {"clerk"}),
    ("GET", "/v1/audit/key", None, ANYONE),
    ("GET", "/v1/audit/head", None, ANYONE),
    ("GET", "/v1/audit/proof/inclusion", None, {"auditor", "citizen"}),
    ("GET", "/v1/audit/proof/consistency", None, {"auditor", "citizen"}),
    ("GET", "/v1/audit/entries", None, {"auditor"}),
    ("GET", "/v1/checks/exit/" + P, None, {"agency"}),
    ("POST", "/v1/checks/exit", {"national_ids": [P]}, {"agency"}),
    ("GET", "/v1/feed/restrictions", None, {"agency", "admin"}),
    ("POST", "/v1/feed/restrictions/ack", {"cursor": 0}, {"agency"}),
    ("GET", "/v1/feed/lag", None, {"admin"}),
    ("GET", "/metrics", None, {"admin"}),
    ("POST", "/v1/tokens", {"role": "pope"}, {"admin"}),
    ("GET", "/v1/tokens", None, {"admin"}),
    ("GET", "/v1/whoami", None, {"admin", "clerk", "commissar", "medical_board", "agency",
                                 "citizen", "auditor", "channel"}),
    ("POST", "/v1/tokens/tNOSUCHTOKEN0000/revoke", {}, {"admin"}),
    ("POST", "/v1/campaigns", {}, {"admin"}),
    ("GET", "/v1/campaigns", None, {"admin", "commissar"}),
    ("GET", "/v1/campaigns/C-NOSUCH", None, {"admin", "commissar"}),
    ("GET", "/v1/campaigns/C-NOSUCH/members", None, {"admin", "commissar"}),
    ("POST", "/v1/campaigns/C-NOSUCH/recompute", {}, {"admin"}),
    ("POST", "/v1/campaigns/C-NOSUCH/approve", {}, {"commissar"}),
    ("POST", "/v1/campaigns/C-NOSUCH/cancel", {}, {"commissar"}),
    ("POST", "/v1/persons/%s/fitness" % P, {"category": "Z"}, {"medical_board"}),
    ("GET", "/v1/persons/%s/fitness" % P, None,
     {"admin", "clerk", "commissar", "medical_board"}),
    ("POST", "/v1/persons/%s/exemptions" % P, {"kind": "bogus", "reason": "x"},
     {"clerk", "medical_board"}),
    ("GET", "/v1/persons/%s/exemptions" % P, None,
     {"admin", "clerk", "commissar", "medical_board"}),
    ("POST", "/v1/persons/%s/exemptions/X-NOSUCH/revoke" % P, {"reason": "x"},
     {"clerk", "medical_board"}),
    ("POST", "/v1/overrides", {}, {"clerk", "commissar"}),
    ("GET", "/v1/overrides", None, {"admin", "commissar"}),
    ("GET", "/v1/overrides/O-NOSUCH", None, {"admin", "clerk", "commissar"}),
    ("POST", "/v1/overrides/O-NOSUCH/approve", {}, {"commissar"}),
    ("POST", "/v1/overrides/O-NOSUCH/reject", {}, {"commissar"}),
    ("POST", "/v1/summonses/S-NOSUCHSUMMONS/excuses", {}, {"clerk", "citizen"}),
    ("GET", "/v1/excuses/E-NOSUCH", None, {"clerk", "commissar", "citizen"}),
    ("POST", "/v1/excuses/E-NOSUCH/decision", {}, {"clerk"}),
    ("POST", "/v1/appeals", {}, {"clerk", "citizen"}),
    ("GET", "/v1/appeals/A-NOSUCH", None, {"clerk", "commissar", "citizen"}),
    ("POST", "/v1/appeals/A-NOSUCH/decision", {}, {"clerk", "commissar"}),
    ("POST", "/v1/persons/%s/corrections" % P, {"field": "shoe_size",
                                               "proposed_value": "44"},
     {"clerk", "citizen"}),
    ("GET", "/v1/corrections/overdue", None, {"admin", "commissar"}),
    ("GET", "/v1/corrections/K-NOSUCH", None, {"admin", "clerk", "commissar", "citizen"}),
    ("POST", "/v1/corrections/K-NOSUCH/decision", {}, {"clerk"}),
    ("GET", "/portal", None, ANYONE),
    ("GET", "/portal/", None, ANYONE),
    ("GET", "/portal/index.html", None, ANYONE),
    ("GET", "/console", None, ANYONE),
    ("GET", "/console/", None, ANYONE),
    ("GET", "/console/index.html", None, ANYONE),
    ("GET", "/verify", None, ANYONE),
    ("GET", "/verify/", None, ANYONE),
    ("GET", "/verify/index.html", None, ANYONE),
    ("GET", "/assets/api.js", None, ANYONE),
    ("GET", "/v1/verify/AAAAAAAAAAAAAAAAAAAA", None, ANYONE),
    ("GET", "/v1/notices", None, {"admin", "clerk"}),
    ("GET", "/v1/offices/OFA/print-batch?date=2026-01-01", None, {"clerk"}),
    ("GET", "/v1/offices/OFA/print-batch/manifest?date=2026-01-01", None, {"clerk"}),
    ("POST", "/v1/post/evidence", {}, {"clerk", "channel"}),
    ("GET", "/v1/me/notices", None, {"citizen"}),
    ("GET", "/v1/me/record", None, {"citizen"}),
    ("GET", "/v1/me/summonses", None, {"citizen"}),
    ("GET", "/v1/summonses/S-NOSUCHSUMMONS/pdf", None, {"clerk"}),
    ("POST", "/v1/persons/%s/account" % P, {"provider": "pigeon"}, {"admin", "clerk"}),
    ("POST", "/v1/persons/%s/account/close" % P, {}, {"admin", "clerk"}),
    ("POST", "/v1/me/account", {"provider": "external"}, {"citizen"}),
    ("GET", "/v1/me/summonses/S-NOSUCHSUMMONS", None, {"citizen"}),
    ("POST", "/v1/channels/portal/callback", {}, ANYONE),
]

# credential name -> (role it has, or None for no valid credential)
CREDENTIALS = {
    "admin": "admin",
    "clerk": "clerk",                  # national
    "clerk_own": "clerk",              # scoped to OFA, P's office
    "clerk_other": "clerk",            # scoped to OFB
    "commissar": "commissar",
    "medical_board": "medical_board",
    "agency": "agency",                # exit checks
    "agency_credit": "agency",         # credit checks
    "citizen": "citizen",              # P
    "citizen_other": "citizen",        # Q
    "auditor": "auditor",
    "channel": "channel",
    "none": None,
    "malformed": None,
    "unknown": None,
    "revoked": None,
}

# Scope: allowed by role, refused by scope. "An office-scoped clerk sees and
# changes only persons of their office; any other person is 403 or 404,
# never their data" (issue 2); the same holds for a citizen and another
# person, and an agency answers checks of its own kind only.
REFUSED = {403, 404}
PERSON_ROUTES = [(m, p) for m, p, _, _ in ROUTES if p.startswith("/v1/persons/" + P)]
SCOPED = {}
for m, p in PERSON_ROUTES:
    SCOPED[("clerk_other", m, p)] = REFUSED
    SCOPED[("citizen_other", m, p)] = REFUSED
SCOPED[("clerk_other", "POST", "/v1/persons")] = {403}   # a person of OFA
SCOPED[("clerk_other", "POST", "/v1/summonses")] = REFUSED  # for P
for m, p, _, _ in ROUTES:
    if p.startswith("/v1/offices/OFA/"):  # the print batch of P's office
        SCOPED[("clerk_other", m, p)] = REFUSED
SCOPED[("agency_credit", "GET", "/v1/checks/exit/" + P)] = {403}
# CONTRACT.md: "a token without the right -> 403": a citizen's token has no
# right to another person's status, known or not, so it is 403 (a 404 for
# an office-scoped clerk hides whether the person exists elsewhere)
SCOPED[("citizen_other", "GET", "/v1/persons/%s/status" % P)] = {403}
SCOPED[("agency_credit", "POST", "/v1/checks/exit")] = {403}


def expected(cred, method, path, roles):
    """'ok' (allowed), or the set of acceptable statuses."""
    role = CREDENTIALS[cred]
    if roles == ANYONE:  # the Authorization header is not looked at
        return "ok"
    if role is None:
        return {401}
    if role not in roles:
        return {403}
    return SCOPED.get((cred, method, path), "ok")


def make_world(c):
    c.office("OFA", region="A")
    c.office("OFB", region="B")
    c.person(P, office="OFA", region="A", family_name=SECRET_NAME)
    c.person(Q, office="OFB", region="B")
    toks = {
        "admin": c.admin,
        "clerk": c.token("clerk"),
        "clerk_own": c.token("clerk", office="OFA"),
        "clerk_other": c.token("clerk", office="OFB"),
        "commissar": c.token("commissar"),
        "medical_board": c.token("medical_board"),
        "agency": c.token("agency", agency="exit"),
        "agency_credit": c.token("agency", agency="credit"),
        "citizen": c.token("citizen", person=P),
        "citizen_other": c.token("citizen", person=Q),
        "auditor": c.token("auditor"),
        "channel": c.token("channel"),
        "unknown": "mu_" + "Q" * 43,
    }
    r = c.srv.post("/v1/tokens", {"role": "clerk"}, token=c.admin)
    eq(r.status, 201, "token for revocation")
    toks["revoked"] = r.json["token"]
    eq(c.srv.post("/v1/tokens/%s/revoke" % r.json["id"], {}, token=c.admin).status,
       200, "revoke")
    return toks


def call(c, toks, cred, method, path, body):
    headers = {}
    if cred == "malformed":
        headers["Authorization"] = "Bearer not-a-token"
    elif cred != "none":
        headers["Authorization"] = "Bearer " + toks[cred]
    return c.srv.request(method, path, body=body, headers=headers)


def test_table_is_consistent():
    # every SCOPED cell is a cell the role table allows
    paths = {(m, p): roles for m, p, _, roles in ROUTES}
    for (cred, m, p), statuses in SCOPED.items():
        check((m, p) in paths, "SCOPED names an unknown route %s %s" % (m, p))
        check(statuses and statuses <= REFUSED, "SCOPED statuses")
    check(len(PERSON_ROUTES) >= 8, "person routes found")
    eq(len({(m, p) for m, p, _, _ in ROUTES}), len(ROUTES), "duplicate routes")
    # every role of the system appears
    roles = {r for r in CREDENTIALS.values() if r}
    eq(roles, {"admin", "clerk", "commissar", "medical_board", "agency", "citizen",
               "auditor", "channel"}, "roles covered")


@with_ctx()
def test_every_route_every_credential(c):
    toks = make_world(c)
    before = c.srv.get("/v1/persons/" + P, token=c.admin).json
    n_tokens = len(c.srv.get("/v1/tokens", token=c.admin).json["tokens"])
    failures = []
    cells = 0
    for method, path, body, roles in ROUTES:
        for cred in CREDENTIALS:
            want = expected(cred, method, path, roles)
            r = call(c, toks, cred, method, path, body)
            cells += 1
            where = "%-13s %s %s" % (cred, method, path)
            if want == "ok":
                if r.status in (401, 403) or r.status >= 500:
                    failures.append("%s: want allowed, got %r" % (where, r))
                continue
            if r.status not in want:
                failures.append("%s: want %s, got %r" % (where, sorted(want), r))
                continue
            ctype = r.headers.get("content-type", "")
            if not ctype.startswith("application/problem+json"):
                failures.append("%s: refusal is %r" % (where, ctype))
            if SECRET_NAME in r.raw:
                failures.append("%s: refusal carries the person's data" % where)
            if r.status == 401 and "bearer" not in r.headers.get("www-authenticate", "").lower():
                failures.append("%s: 401 without a Bearer challenge" % where)
    eq(cells, len(ROUTES) * len(CREDENTIALS), "cells")
    if failures:
        raise AssertionError("%d of %d cells wrong:\n  %s" %
                             (len(failures), cells, "\n  ".join(failures)))
    # nothing the table did changed the register
    after = c.srv.get("/v1/persons/" + P, token=c.admin).json
    eq(after, before, "the person is unchanged")
    eq(len(c.srv.get("/v1/tokens", token=c.admin).json["tokens"]), n_tokens,
       "no token was made")
    eq(c.srv.get("/v1/persons/RU-0099", token=c.admin).status, 404, "no person was made")
    eq([o["id"] for o in c.srv.get("/v1/offices", token=c.admin).json["offices"]],
       ["OFA", "OFB"], "no office was made")


@with_ctx()
def test_routes_exist(c):
    # A route of the table that the server does not have would make every
    # cell above a 404 or 405; an unauthenticated call must reach the
    # route and be refused for want of a token.
    for method, path, body, roles in ROUTES:
        r = c.srv.request(method, path, body=body)
        where = "%s %s without a token (%r)" % (method, path, r)
        if roles == ANYONE:
            check(r.status not in (401, 403, 405), where)
            check(not (r.status == 404 and "no such endpoint" in r.raw), where)
            # "anyone" includes a caller with a stale or forged token
            forged = c.srv.request(method, path, body=body, token="mst_forged")
            eq(forged.status, r.status, "%s %s with a forged token" % (method, path))
        else:
            eq(r.status, 401, where)


@with_ctx()
def test_allowed_cells_do_real_work(c):
    # "Allowed" is not only "not refused": spot-check that each allowed
    # role gets the answer of its handler, with the person's data only
    # where the scope permits it.
    toks = make_world(c)
    for cred in ("admin", "clerk", "clerk_own"):
        r = c.srv.get("/v1/persons/" + P, token=toks[cred])
        eq(r.status, 200, cred)
        eq(r.json["family_name"], SECRET_NAME, cred + " reads the record")
    r = c.srv.get("/v1/persons/%s/status" % P, token=toks["citizen"])
    eq(r.status, 200, "citizen reads own status")
    r = c.srv.get("/v1/me/status", token=toks["citizen"])
    eq(r.status, 200, "me/status")
    r = c.srv.get("/v1/checks/exit/" + P, token=toks["agency"])
    eq(r.status, 200, "check")
    eq(r.json, {"permitted": True}, "check answer says nothing else")
    r = c.srv.get("/v1/persons", token=toks["clerk_other"])
    eq([p["national_id"] for p in r.json["persons"]], [Q], "other clerk's list")


@with_ctx()
def test_a_flood_of_bad_tokens_is_signalled_and_noted(c):
    """Past 300 bad tokens from one address (refilled 5 a second) a bad
    token is still 401 (a web page signs out on 401) but with Retry-After
    and a detail that says why; a good token from the same address is
    answered as always; the log notes the address once."""
    marked = None
    for i in range(340):
        r = c.srv.get("/v1/persons", token="mst_guess%04d" % i)
        eq(r.status, 401, "a bad token is 401 (%d)" % i)
        if "retry-after" in r.headers:
            marked = i
            check(int(r.headers["retry-after"]) >= 1, "Retry-After")
            check("too many bad tokens" in r.json["detail"], r.json["detail"])
            break
    check(marked is not None and 300 <= marked < 320, "marked after 300: %r" % marked)
    eq(c.srv.get("/v1/persons", token=c.admin).status, 200, "a good token is not held up")
    r = c.srv.get("/v1/persons", token="mst_more")
    eq((r.status, "retry-after" in r.headers), (401, True), "still marked")
    r = c.srv.get("/v1/persons")
    eq((r.status, "retry-after" in r.headers), (401, False), "no token at all is not a guess")
    notes = [ln for ln in c.srv.log().splitlines() if "keeps sending bad tokens" in ln]
    eq(len(notes), 1, "one note a minute: %r" % notes)
    check("127.0.0.1" in notes[0], notes[0])

run(globals())
