"""test_due_authz.py: who may call each due-process endpoint (issue 7).

The table below is the authorisation contract, as data: for every new
endpoint, the roles that may call it. Every other role gets 403, no token
gets 401; an allowed role never gets 401 or 403 (it may get 400, 404 or 409
for the deliberately empty requests used here). Then the scopes: a citizen
reaches only their own records and an office-scoped clerk only their
office's persons, as 404 (as if absent), never a leak.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import check, eq, run, with_ctx  # noqa: E402

ROLES = ["admin", "clerk", "commissar", "medical_board", "agency", "citizen",
         "auditor", "channel"]

# (method, path, roles allowed); {nid} is a person of the register.
TABLE = [
    ("POST", "/v1/persons/{nid}/fitness", {"medical_board"}),
    ("GET", "/v1/persons/{nid}/fitness", {"admin", "clerk", "commissar", "medical_board"}),
    ("POST", "/v1/persons/{nid}/exemptions", {"clerk", "medical_board"}),
    ("GET", "/v1/persons/{nid}/exemptions", {"admin", "clerk", "commissar", "medical_board"}),
    ("POST", "/v1/persons/{nid}/exemptions/E-NONE/revoke", {"clerk", "medical_board"}),
    ("POST", "/v1/overrides", {"clerk", "commissar"}),
    ("GET", "/v1/overrides", {"admin", "commissar"}),
    ("GET", "/v1/overrides/OV-NONE", {"admin", "clerk", "commissar"}),
    ("POST", "/v1/overrides/OV-NONE/approve", {"commissar"}),
    ("POST", "/v1/overrides/OV-NONE/reject", {"commissar"}),
    ("POST", "/v1/summonses/S-NONE/excuses", {"clerk", "citizen"}),
    ("GET", "/v1/excuses/X-NONE", {"clerk", "commissar", "citizen"}),
    ("POST", "/v1/excuses/X-NONE/decision", {"clerk"}),
    ("POST", "/v1/appeals", {"clerk", "citizen"}),
    ("GET", "/v1/appeals/AP-NONE", {"clerk", "commissar", "citizen"}),
    ("POST", "/v1/appeals/AP-NONE/decision", {"clerk", "commissar"}),
    ("POST", "/v1/persons/{nid}/corrections", {"clerk", "citizen"}),
    ("GET", "/v1/corrections/overdue", {"admin", "commissar"}),
    ("GET", "/v1/corrections/C-NONE", {"admin", "clerk", "commissar", "citizen"}),
    ("POST", "/v1/corrections/C-NONE/decision", {"clerk"}),
]

NOW = "2026-03-02T09:00:00Z"


def tokens(c):
    t = {"admin": c.admin}
    for role in ROLES[1:]:
        kw = {}
        if role == "agency":
            kw["agency"] = "exit"
        if role == "citizen":
            kw["person"] = "AUT-0001"
        t[role] = c.token(role, **kw)
    return t


@with_ctx(profile="ru-2023")
def test_authorisation_table(c):
    c.office("MOW", "Europe/Moscow")
    c.person("AUT-0001")
    tok = tokens(c)
    for method, path, allowed in TABLE:
        p = path.format(nid="AUT-0001")
        body = {} if method == "POST" else None
        r = c.srv.request(method, p, body=body, now=NOW)
        eq(r.status, 401, "%s %s without a token" % (method, p))
        for role in ROLES:
            r = c.srv.request(method, p, body=body, token=tok[role], now=NOW)
            if role in allowed:
                check(r.status not in (401, 403, 405),
                      "%s %s as %s must be allowed: %r" % (method, p, role, r))
                check(r.status < 500, "%s %s as %s: %r" % (method, p, role, r))
            else:
                eq(r.status, 403, "%s %s as %s (%r)" % (method, p, role, r))


@with_ctx(profile="ru-2023")
def test_scopes_answer_404(c):
    c.office("MOW", "Europe/Moscow")
    c.office("KGD", "Europe/Kaliningrad", region="Kaliningrad")
    c.person("AUT-0001")
    c.person("AUT-0002", office="KGD", region="Kaliningrad")
    mine = c.token("citizen", person="AUT-0001")
    kgd_clerk = c.token("clerk", office="KGD")
    clerk = c.token("clerk")
    med = c.token("medical_board")
    r = c.srv.post("/v1/persons/AUT-0001/exemptions", {"kind": "deferment", "reason": "studies"},
                   token=clerk, now=NOW)
    eq(r.status, 201)
    eid = r.json["id"]
    r = c.srv.post("/v1/persons/AUT-0001/corrections",
                   {"field": "phone", "proposed_value": "+79990000009", "evidence": "bill"},
                   token=mine, now=NOW)
    eq(r.status, 201)
    cid = r.json["id"]
    r = c.srv.post("/v1/persons/AUT-0001/fitness",
                   {"category": "G", "decided_on": "2026-03-01", "reference": "VVK-1",
                    "reexamine_on": "2026-06-01"}, token=med, now=NOW)
    fid = r.json["id"]
    other = c.token("citizen", person="AUT-0002")
    for method, path, body in (
            ("POST", "/v1/persons/AUT-0001/corrections",
             {"field": "phone", "proposed_value": "+7999", "evidence": "x"}),
            ("GET", "/v1/corrections/%s" % cid, None),
            ("POST", "/v1/appeals", {"against": "fitness", "subject_id": fid, "grounds": "no way"})):
        r = c.srv.request(method, path, body=body, token=other, now=NOW)
        eq(r.status, 404, "citizen of another person: %s %s %r" % (method, path, r))
        check("AUT-0001" not in r.raw or method == "POST", "no leak: %r" % r)
    for method, path, body in (
            ("GET", "/v1/persons/AUT-0001/exemptions", None),
            ("POST", "/v1/persons/AUT-0001/exemptions/%s/revoke" % eid, {"reason": "moved"}),
            ("GET", "/v1/corrections/%s" % cid, None),
            ("POST", "/v1/corrections/%s/decision" % cid, {"decision": "accepted"}),
            ("POST", "/v1/overrides", {"national_id": "AUT-0001", "purpose": "dispatch",
                                       "reason": "a long enough written reason"})):
        r = c.srv.request(method, path, body=body, token=kgd_clerk, now=NOW)
        eq(r.status, 404, "clerk of another office: %s %s %r" % (method, path, r))
    r = c.srv.get("/v1/corrections/%s" % cid, token=mine, now=NOW)
    eq(r.status, 200, "the person sees their own request")
    # the citizen reads their own record by id, but a record of one kind
    # is not found under another kind's path
    eq(c.srv.get("/v1/appeals/%s" % cid, token=mine, now=NOW).status, 404)


if __name__ == "__main__":
    run(globals())
