"""test_openapi.py: the documentation agrees with the code.

- docs/openapi.yaml has every route of src/http/router.c exactly once, no
  other operation, and the same roles (x-roles) as the route table;
- every operation is complete (operationId, roles in its description,
  401/403 where a token is needed, a success response) and every $ref
  points at something that exists;
- docs/api.md mentions every route;
- `muster help COMMAND` names every option the command's getopt table
  accepts (src/cli/*.c), and docs/cli.md documents every option that
  `muster help COMMAND` names, in that command's section.

No new dependency: the YAML is read with regular expressions over its
`paths:` and `components:` sections (indentation is two spaces a level).
When python3-yaml happens to be installed the file is also fully parsed.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Failure, check, eq, run, run_cli  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
ROUTER = os.path.join(ROOT, "src", "http", "router.c")
OPENAPI = os.path.join(ROOT, "docs", "openapi.yaml")
API_MD = os.path.join(ROOT, "docs", "api.md")
CLI_MD = os.path.join(ROOT, "docs", "cli.md")
CLI_DIR = os.path.join(ROOT, "src", "cli")

METHODS = ("get", "post", "put", "patch", "delete", "head", "options")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def norm(path):
    """/v1/persons/{national_id} and /v1/persons/{id} are the same route."""
    return re.sub(r"\{[^}/]*\}", "{}", path)


def router_routes():
    """[(METHOD, path, frozenset(roles))] from the api_routes table."""
    src = read(ROUTER)
    m = re.search(r"api_routes\[\]\s*=\s*\{(.*?)\n\};", src, re.S)
    check(m, "router.c: cannot find the api_routes table")
    routes = []
    for line in m.group(1).splitlines():
        r = re.match(r'\s*\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*(\w+)\s*,\s*([^}]*)\}\s*,', line)
        if not r:
            continue
        roles_src = r.group(4).strip()
        if roles_src == "ROLES_ANYONE":
            roles = frozenset()
        else:
            roles = frozenset(x.lower() for x in re.findall(r"R\(\s*(\w+)\s*\)", roles_src))
            check(roles, "router.c: cannot read the roles of %s %s: %r"
                  % (r.group(1), r.group(2), roles_src))
        routes.append((r.group(1), r.group(2), roles))
    check(len(routes) >= 10, "router.c: only %d routes found; has the table's format changed?"
          % len(routes))
    return routes


def top_section(text, key):
    """The lines of the top-level YAML section `key:`."""
    lines = text.splitlines()
    out, inside = [], False
    for ln in lines:
        if re.match(r"^%s:\s*$" % re.escape(key), ln):
            inside = True
            continue
        if inside and re.match(r"^\S", ln):
            break
        if inside:
            out.append(ln)
    return out


def openapi_operations():
    """{(METHOD, normpath): [op dict]} and the raw list of path keys."""
    text = read(OPENAPI)
    ops, paths = {}, []
    path = None
    cur = None
    for ln in top_section(text, "paths"):
        m = re.match(r"^  (/\S*):\s*$", ln)
        if m:
            path = m.group(1)
            paths.append(path)
            cur = None
            continue
        m = re.match(r"^    (%s):\s*$" % "|".join(METHODS), ln)
        if m and path:
            cur = {"method": m.group(1).upper(), "path": path, "roles": None,
                   "security_none": False, "operationId": None, "description": "",
                   "responses": set(), "lines": []}
            ops.setdefault((cur["method"], norm(path)), []).append(cur)
            continue
        if re.match(r"^    \S", ln):
            cur = None  # path-level key (parameters, ...)
            continue
        if not cur:
            continue
        cur["lines"].append(ln)
        m = re.match(r"^      x-roles:\s*\[(.*)\]\s*$", ln)
        if m:
            cur["roles"] = frozenset(x.strip() for x in m.group(1).split(",") if x.strip())
        if re.match(r"^      security:\s*\[\]\s*$", ln):
            cur["security_none"] = True
        m = re.match(r"^      operationId:\s*(\S+)\s*$", ln)
        if m:
            cur["operationId"] = m.group(1)
        m = re.match(r"^        '?(\d{3}|default)'?:\s*$", ln)
        if m:
            cur["responses"].add(m.group(1))
    for op_list in ops.values():
        for op in op_list:
            body = "\n".join(op["lines"])
            d = re.search(r"^      description:\s*\|\n((?:        .*\n?|\s*\n)+)", body + "\n", re.M)
            op["description"] = d.group(1) if d else ""
    return ops, paths


def test_openapi_has_every_route_exactly_once():
    routes = router_routes()
    ops, paths = openapi_operations()
    eq(len(paths), len(set(paths)), "a path appears twice under paths:")
    want = {(m, norm(p)) for m, p, _ in routes}
    eq(len(want), len(routes), "router.c has a duplicate route")
    for m, p, _ in routes:
        got = ops.get((m, norm(p)), [])
        check(len(got) == 1, "route %s %s appears %d times in docs/openapi.yaml"
              % (m, p, len(got)))
    extra = sorted("%s %s" % k for k in ops if k not in want)
    check(not extra, "docs/openapi.yaml documents operations that router.c does not have: %s"
          % ", ".join(extra))


def test_openapi_roles_match_router():
    ops, _ = openapi_operations()
    for m, p, roles in router_routes():
        op = ops.get((m, norm(p)), [None])[0]
        check(op, "%s %s missing" % (m, p))
        check(op["roles"] is not None, "%s %s has no x-roles" % (m, p))
        eq(op["roles"], roles, "x-roles of %s %s" % (m, p))
        if not roles:
            check(op["security_none"], "%s %s is public: it needs security: []" % (m, p))
        else:
            check(not op["security_none"], "%s %s needs a token but says security: []" % (m, p))
        desc = op["description"]
        check(desc.lstrip().startswith("Roles:"),
              "%s %s: the description must start with 'Roles:'" % (m, p))
        first = desc.split(".")[0]
        for role in roles:
            check(re.search(r"\b%s\b" % role, first),
                  "%s %s: description does not name role %s" % (m, p, role))


def test_openapi_operations_complete():
    ops, _ = openapi_operations()
    ids = []
    for (m, p), lst in sorted(ops.items()):
        op = lst[0]
        check(op["operationId"], "%s %s has no operationId" % (m, p))
        ids.append(op["operationId"])
        check(any(r.startswith("2") for r in op["responses"]),
              "%s %s has no success response" % (m, p))
        if op["roles"]:
            for code in ("401", "403"):
                check(code in op["responses"], "%s %s lacks a %s response" % (m, p, code))
        check("default" in op["responses"] or not op["roles"],
              "%s %s lacks a default (problem) response" % (m, p))
    eq(len(ids), len(set(ids)), "operationIds are not unique")


def test_openapi_refs_resolve():
    text = read(OPENAPI)
    comp = top_section(text, "components")
    defined = set()
    group = None
    for ln in comp:
        m = re.match(r"^  (\w+):\s*$", ln)
        if m:
            group = m.group(1)
            continue
        m = re.match(r"^    ([\w-]+):\s*$", ln)
        if m and group:
            defined.add((group, m.group(1)))
    refs = re.findall(r"\$ref:\s*'#/components/(\w+)/([\w-]+)'", text)
    check(refs, "no $ref found")
    missing = sorted({"%s/%s" % r for r in refs if r not in defined})
    check(not missing, "unresolved $ref: %s" % ", ".join(missing))
    check(re.search(r"^openapi:\s*3\.0\.3\s*$", text, re.M), "openapi: 3.0.3 expected")
    check(("securitySchemes", "bearer") in defined, "no bearer security scheme")
    check(("schemas", "Problem") in defined, "no Problem schema")
    problem = re.search(r"^    Problem:\n((?:      .*\n)+)", text, re.M)
    for k in ("type", "title", "status", "detail", "field", "request_id"):
        check(re.search(r"^        %s:" % k, problem.group(1), re.M),
              "the Problem schema lacks %s" % k)


def test_openapi_parses_as_yaml_when_yaml_is_installed():
    try:
        import yaml  # noqa: F401  (optional: python3-yaml)
    except ImportError:
        print("     (python3-yaml not installed: full YAML parse skipped)")
        return
    doc = yaml.safe_load(read(OPENAPI))
    eq(doc.get("openapi"), "3.0.3", "openapi version")
    got = {(m.upper(), norm(p)) for p, item in doc["paths"].items()
           for m in item if m in METHODS}
    ops, _ = openapi_operations()
    eq(got, set(ops), "the regex reading and the YAML parse of paths differ")
    for p, item in doc["paths"].items():
        for m, op in item.items():
            if m not in METHODS:
                continue
            eq(set(op.get("x-roles", ["?"])), set(ops[(m.upper(), norm(p))][0]["roles"]),
               "x-roles of %s %s" % (m, p))


def test_api_md_mentions_every_route():
    text = read(API_MD)
    seen = {(m, norm(p.rstrip(".,;:"))) for m, p in
            re.findall(r"\b(GET|POST|PUT|PATCH|DELETE) (/[A-Za-z0-9_/{}.-]*)", text)}
    missing = ["%s %s" % (m, p) for m, p, _ in router_routes() if (m, norm(p)) not in seen]
    check(not missing, "docs/api.md does not mention: %s" % ", ".join(missing))


def help_text(cmd):
    code, out, err = run_cli("help", cmd)
    eq(code, 0, "muster help %s: %s" % (cmd, err))
    return out


def commands():
    code, out, err = run_cli("help")
    eq(code, 0, "muster help")
    cmds = re.findall(r"^  (\w+)\s", out, re.M)
    check(len(cmds) >= 7, "muster help lists too few commands: %r" % cmds)
    return cmds


# Options of subcommands kept out of the help on purpose: `muster audit
# bench` (src/cli/audit.c) is a developers' benchmark.
HIDDEN = {"audit": {"entries", "batch", "existing"}}  # audit bench: bench/audit.sh only (docs/cli.md)


def accepted_options(cmd):
    """Long options in the getopt table of src/cli/CMD.c (empty if none)."""
    path = os.path.join(CLI_DIR, cmd + ".c")
    if not os.path.exists(path):
        return set()
    src = read(path)
    return set(re.findall(r'\{\s*"([a-z][a-z0-9-]*)"\s*,\s*(?:no|required|optional)_argument',
                          src))


def test_help_names_every_option_a_command_accepts():
    for cmd in commands():
        text = help_text(cmd)
        for opt in sorted(accepted_options(cmd) - HIDDEN.get(cmd, set())):
            check(re.search(r"--%s\b" % re.escape(opt), text),
                  "src/cli/%s.c accepts --%s but `muster help %s` does not name it"
                  % (cmd, opt, cmd))


def cli_md_sections():
    text = read(CLI_MD)
    parts = re.split(r"^## +`?muster (\w+)`?.*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_cli_md_documents_every_command_and_option():
    sections = cli_md_sections()
    for cmd in commands():
        check(cmd in sections, "docs/cli.md has no section '## muster %s'" % cmd)
        text = help_text(cmd)
        for opt in sorted(set(re.findall(r"--([a-z][a-z0-9-]*)", text))):
            check(re.search(r"--%s\b" % re.escape(opt), sections[cmd]),
                  "`muster help %s` names --%s but docs/cli.md's section does not"
                  % (cmd, opt))
        first = text.splitlines()[0]
        summary = first.split(":", 1)[1].strip() if ":" in first else ""
        check(summary, "muster help %s: no summary line" % cmd)


if __name__ == "__main__":
    run(globals())
