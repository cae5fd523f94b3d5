"""The benchmark harness behind bench/run: see bench/README.md."""

import argparse
import base64
import datetime
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATABASE = "gongzhi_bench"
GONGZHI_PORT = 18080
POSTGRAPHILE_PORT = 18081
# The operation on which each feature is measured against the same build without it.
AB_OPERATION = "first-20-open-wishes"
POOL_SIZE = 10
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Operation:
    """One kind of request, as each target expresses it."""

    name: str
    description: str
    gongzhi: str  # wrk Lua script body producing the request
    postgraphile: str | None = None
    sql: str | None = None  # pgbench script
    contested: bool = False


@dataclass
class Variant:
    """The same build with one feature off, measured against `gongzhi` on AB_OPERATION."""

    target: str
    port: int
    env: dict
    feature: str


VARIANTS = [
    Variant("gongzhi-unmetered", 18083, {"GONGZHI_BUDGETS": "false"}, "Budgets: cost accounting and the bucket check (in process)"),
    Variant(
        "gongzhi-uncached",
        18084,
        {"GONGZHI_DOCUMENT_CACHE_BYTES": "0"},
        "Document cache: a document seen before is neither parsed nor checked again",
    ),
]


@dataclass
class Measurement:
    target: str
    operation: str
    concurrency: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    server_cpu_ms_per_request: float | None = None
    postgres_cpu_ms_per_request: float | None = None
    loader_cpu_ms_per_request: float | None = None
    statements_per_request: float | None = None
    notes: dict = field(default_factory=dict)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="run every target for two seconds")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--rounds", type=int, default=2, help="A/B rounds per operation")
    parser.add_argument("--no-build", action="store_true", help="use the release binary as it is")
    parser.add_argument("--only", action="append", metavar="OPERATION", help="measure only this operation (repeatable); the report is printed, RESULTS.md is left alone")
    parser.add_argument("--soak", type=int, metavar="MINUTES", help="instead: a mixed load on two instances for MINUTES, minute by minute")
    args = parser.parse_args()
    duration, rounds = (2, 1) if args.smoke else (args.duration, args.rounds)

    ensure_tools()
    binary = release_binary() if args.no_build else build()
    admin_url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    database_url = admin_url.rsplit("/", 1)[0] + "/" + DATABASE
    workdir = Path(tempfile.mkdtemp(prefix="gongzhi-bench-"))
    processes: list[subprocess.Popen] = []
    try:
        psql(admin_url, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        psql(admin_url, f"CREATE DATABASE {DATABASE}")
        env = server_env(database_url, workdir)
        seed_seconds = timed(lambda: run([binary, "seed", "--profile", "district"], env=env, quiet=True))
        print(f"seeded the district profile in {seed_seconds:.1f} s", flush=True)
        fixtures = load_fixtures(database_url)
        if args.soak:
            section = soak(binary, env, workdir, fixtures, processes, args.soak)
            print(section)
            write_soak_section(section)
            return
        gongzhi = start(processes, [binary, "serve"], env, workdir / "gongzhi.log")
        wait_for(f"http://127.0.0.1:{GONGZHI_PORT}/health")
        postgraphile = start(processes, postgraphile_command(database_url), dict(os.environ), workdir / "postgraphile.log")
        wait_for(f"http://127.0.0.1:{POSTGRAPHILE_PORT}/graphql", post={"query": "{ __typename }"})
        fixtures["partner_tokens"] = partner_tokens(binary, env, fixtures["claiming_organizations"])
        fixtures["staff_token"] = run_output([binary, "token", "--role", "district_staff", "--unit", "411002"], env).strip()
        operations = [
            operation for operation in define_operations(fixtures) if not args.only or operation.name in args.only
        ]
        if not operations:
            sys.exit(f"no operation is named {args.only}")
        # The same build with one feature off each, to measure what the feature costs or saves.
        variants = {}
        for variant in VARIANTS:
            variant_env = dict(env, GONGZHI_LISTEN=f"127.0.0.1:{variant.port}", **variant.env)
            variants[variant.target] = start(processes, [binary, "serve"], variant_env, workdir / f"{variant.target}.log")
            wait_for(f"http://127.0.0.1:{variant.port}/health")
        check_answers(operations, fixtures, workdir)
        results = measure(operations, fixtures, workdir, database_url, gongzhi, postgraphile, variants, duration, rounds)
        peak_rss = {
            "gongzhi": peak_rss_mib(gongzhi.pid),
            "postgraphile": peak_rss_mib(postgraphile.pid),
        }
        report = render(results, peak_rss, seed_seconds, duration, rounds, args.smoke)
        print(report)
        if not args.smoke and not args.only:
            # The last soak stays at the end.
            path = BENCH / "RESULTS.md"
            previous = path.read_text().split("\n## Soak\n", 1) if path.exists() else []
            soak_section = "\n## Soak\n" + previous[1] if len(previous) == 2 else ""
            path.write_text(report + soak_section)
            print("wrote bench/RESULTS.md")
    finally:
        for process in processes:
            stop(process)
        psql(admin_url, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", check=False)
        shutil.rmtree(workdir, ignore_errors=True)


# --- setting up ---------------------------------------------------------------------------


def ensure_tools() -> None:
    if shutil.which("wrk") is None:
        run(["apt-get", "install", "-y", "wrk"], quiet=True, check=False)
        if shutil.which("wrk") is None:
            run(["apt-get", "update"], quiet=True)
            run(["apt-get", "install", "-y", "wrk"], quiet=True)
    if shutil.which("pgbench") is None:
        sys.exit("pgbench is missing: install PostgreSQL's client tools")
    if not (BENCH / "postgraphile/node_modules/postgraphile").exists():
        run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=BENCH / "postgraphile")


def build() -> Path:
    print("building the release binary …", flush=True)
    run(["cargo", "build", "--release", "--quiet", "-p", "gongzhi"], cwd=ROOT)
    return release_binary()


def release_binary() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "gongzhi"


def server_env(database_url: str, workdir: Path) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DATABASE_MAX_CONNECTIONS=str(POOL_SIZE),
        GONGZHI_LISTEN=f"127.0.0.1:{GONGZHI_PORT}",
        GONGZHI_DATA_DIR=str(workdir / "data"),
        GONGZHI_SEED_DEMO="false",
        GONGZHI_SWEEP_INTERVAL="0",
        GONGZHI_ACCESS_TOKEN_TTL="86400",
        # Claims are released at once, but many connections share a partner.
        GONGZHI_MAX_OPEN_CLAIMS="1000",
        # Budgets are kept and every request is checked against its bucket, but the load tool's
        # thousands of requests a second are never refused.
        GONGZHI_BUDGET_CAPACITY="1000000000",
        GONGZHI_BUDGET_RESTORE_RATE="1000000000",
        GONGZHI_ANONYMOUS_BUDGET_CAPACITY="1000000000",
        GONGZHI_ANONYMOUS_BUDGET_RESTORE_RATE="1000000000",
        RUST_LOG="warn",
    )
    return env


def postgraphile_command(database_url: str) -> list:
    return [
        "node",
        str(BENCH / "postgraphile/node_modules/postgraphile/cli.js"),
        "--connection", database_url,
        "--schema", "public",
        "--host", "127.0.0.1",
        "--port", str(POSTGRAPHILE_PORT),
        "--max-pool-size", str(POOL_SIZE),
        "--disable-query-log",
        "--disable-graphiql",
    ]


def load_fixtures(database_url: str) -> dict:
    communities = [int(row) for row in psql_rows(database_url, "SELECT id FROM admin_unit WHERE level = 'community' ORDER BY id")]
    organizations = [
        int(row)
        for row in psql_rows(
            database_url,
            "SELECT claimant_organization_id FROM wish_claim WHERE claimant_organization_id IS NOT NULL "
            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 64",
        )
    ]
    open_wishes = [int(row) for row in psql_rows(database_url, "SELECT id FROM micro_wish WHERE status = 'open' ORDER BY id LIMIT 400")]
    return {
        "communities": communities,
        "claiming_organizations": organizations,
        "open_wishes": open_wishes,
        "contested_wishes": open_wishes[:4],
        "uncontested_wishes": open_wishes[4:],
    }


def partner_tokens(binary: Path, env: dict, organizations: list) -> list:
    """A real API client per partner, exchanged for a token at /oauth/token."""
    tokens = []
    for organization in organizations:
        created = run_output([binary, "client", "create", "--org", str(organization), "--name", "bench", "--scopes", "wishes:read wishes:write"], env)
        client_id = re.search(r"client_id:\s*(\S+)", created).group(1)
        secret = re.search(r"client_secret:\s*(\S+)", created).group(1)
        body = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}".encode()
        request = urllib.request.Request(f"http://127.0.0.1:{GONGZHI_PORT}/oauth/token", data=body, method="POST")
        request.add_header("content-type", "application/x-www-form-urlencoded")
        with urllib.request.urlopen(request) as response:
            tokens.append(json.load(response)["access_token"])
    return tokens


# --- the operations -----------------------------------------------------------------------


def global_id(type_name: str, id: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{id}".encode()).decode().rstrip("=")


def lua_list(values) -> str:
    return "{" + ",".join(json.dumps(value) for value in values) + "}"


class GraphqlScript(str):
    """A wrk Lua script making GraphQL requests, with the calls it makes (weight, query,
    variables, token), so that the soak can mix the calls of several operations."""

    calls: list
    tables: dict


def graphql_request(query: str, variables_lua: str, token_lua: str = "nil", tables: dict | None = None) -> GraphqlScript:
    """A wrk Lua script posting `query`, with variables built by the Lua expression
    `variables_lua` and a bearer token from `token_lua`, both of which may use `tables`."""
    return graphql_script([(1, query, variables_lua, token_lua)], tables)


def graphql_script(calls: list, tables: dict | None = None) -> GraphqlScript:
    """A wrk Lua script posting one of `calls` (weight, query, variables, token) at random, each
    as often as its weight says."""
    definitions = "\n".join(f"{name} = {lua_list(values)}" for name, values in (tables or {}).items())
    entries = "\n".join(
        f"""  {{ weight = {weight}, prefix = [==[{{"query":{json.dumps(query)},"variables":]==],
    variables = function() return {variables_lua} end, token = function() return {token_lua} end }},"""
        for weight, query, variables_lua, token_lua in calls
    )
    script = GraphqlScript(f"""
{definitions}
local calls = {{
{entries}
}}
local total_weight = 0
for _, call in ipairs(calls) do total_weight = total_weight + call.weight end
local threads = {{}}
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(os.time() * 1000 + id)
  failed = 0
  won = 0
  refused = 0
end
-- Counts responses with GraphQL errors (HTTP 200 all the same) and, for claims, who won. A
-- claim that lost is refused (ALREADY_CLAIMED), and its release then finds a wish the caller may
-- not read (NOT_FOUND): both are refusals, not failures.
function response(status, headers, body)
  if body:find('"errors"', 1, true) then
    local refusal = false
    for code in body:gmatch('"extensions":{{"code":"([A-Z_]+)"') do
      refusal = code == "NOT_FOUND"
      if not refusal then break end
    end
    if not refusal then failed = failed + 1 end
  end
  if body:find('"claim":{{"userErrors":[]', 1, true) then won = won + 1
  elseif body:find("ALREADY_CLAIMED", 1, true) or body:find("NOT_FOUND", 1, true) then refused = refused + 1 end
end
function done(summary, latency, requests)
  local f, w, r = 0, 0, 0
  for _, thread in ipairs(threads) do
    f = f + thread:get("failed")
    w = w + thread:get("won")
    r = r + thread:get("refused")
  end
  io.write(string.format("GRAPHQL failed=%d won=%d refused=%d\\n", f, w, r))
end
function pick(list) return list[math.random(#list)] end
function request()
  local choice = math.random(total_weight)
  for _, call in ipairs(calls) do
    if choice <= call.weight then
      local headers = {{ ["content-type"] = "application/json", ["accept"] = "application/json" }}
      local token = call.token()
      if token then headers["authorization"] = "Bearer " .. token end
      return wrk.format("POST", "/graphql", headers, call.prefix .. call.variables() .. "}}")
    end
    choice = choice - call.weight
  end
end
""")
    script.calls = calls
    script.tables = tables or {}
    return script


def define_operations(fixtures: dict) -> list:
    tables = {
        "community_gids": [global_id("AdminUnit", id) for id in fixtures["communities"]],
        "community_ids": fixtures["communities"],
        "partners": fixtures["partner_tokens"],
        "wishes": [global_id("MicroWish", id) for id in fixtures["uncontested_wishes"]],
        "contested": [global_id("MicroWish", id) for id in fixtures["contested_wishes"]],
    }
    pick_community_gid = """string.format('{"c":"%s"}', pick(community_gids))"""
    pick_community_id = """string.format('{"c":%d}', pick(community_ids))"""
    low, high = min(fixtures["communities"]), max(fixtures["communities"])
    contiguous = high - low + 1 == len(fixtures["communities"])
    assert contiguous, "the district profile numbers its communities contiguously"
    pick_partner = "pick(partners)"
    staff = json.dumps(fixtures["staff_token"])

    first_open_wishes = Operation(
        name="first-20-open-wishes",
        description="a community's first 20 open wishes with the community's name",
        gongzhi=graphql_request(
            "query($c: ID!) { microWishes(filter: {community: $c, status: [OPEN]}, first: 20) { nodes { id title community { name } } } }",
            pick_community_gid,
            tables=tables,
        ),
        postgraphile=graphql_request(
            "query($c: BigInt!) { allMicroWishes(condition: {communityId: $c, status: \"open\"}, first: 20, orderBy: ID_ASC) { nodes { id title adminUnitByCommunityId { name } } } }",
            pick_community_id,
            tables=tables,
        ),
        sql=f"""\\set c random({low}, {high})
SELECT w.id, w.title, u.name FROM micro_wish w JOIN admin_unit u ON u.id = w.community_id
WHERE w.community_id = :c AND w.status = 'open' ORDER BY w.id LIMIT 20;
""",
    )
    grids = Operation(
        name="community-grids",
        description="a community's grids, each with its three role holders and its open-wish count (district staff)",
        gongzhi=graphql_request(
            "query($c: ID!) { node(id: $c) { ... on AdminUnit { children { name staff { role holder { name } } openWishCount } } } }",
            pick_community_gid,
            staff,
            tables,
        ),
        postgraphile=graphql_request(
            "query($c: BigInt!) { adminUnitById(id: $c) { adminUnitsByParentIdAndParentLevel { nodes { name staffAssignmentsByUnitId(condition: {endedOn: null}) { nodes { role personByPersonId { name } } } microWishesByGridIdAndCommunityId(condition: {status: \"open\"}) { totalCount } } } } }",
            pick_community_id,
            tables=tables,
        ),
        sql=f"""\\set c random({low}, {high})
SELECT g.name, s.role, p.name, (SELECT count(*) FROM micro_wish w WHERE w.grid_id = g.id AND w.status = 'open')
FROM admin_unit g JOIN staff_assignment s ON s.unit_id = g.id AND s.ended_on IS NULL JOIN person p ON p.id = s.person_id
WHERE g.parent_id = :c ORDER BY g.id;
""",
    )
    own_claims = Operation(
        name="partner-own-claims",
        description="an authenticated partner's own claims with their wishes (token check and scoping included)",
        gongzhi=graphql_request(
            "{ wishClaims(first: 20) { nodes { status dueAt wish { title status community { name } } } } }",
            "'{}'",
            pick_partner,
            tables,
        ),
    )
    claim_release = Operation(
        name="claim-release",
        description="claim then release one of 396 open wishes, in one request (two mutations)",
        gongzhi=graphql_request(
            "mutation($w: ID!) { claim: claimMicroWish(input: {wishId: $w}) { userErrors { code } } release: releaseMicroWishClaim(input: {wishId: $w}) { userErrors { code } } }",
            """string.format('{"w":"%s"}', pick(wishes))""",
            pick_partner,
            tables,
        ),
    )
    contested = Operation(
        name="claim-release-contested",
        description="claim then release, every client on the same 4 wishes: winners and refusals",
        gongzhi=graphql_request(
            "mutation($w: ID!) { claim: claimMicroWish(input: {wishId: $w}) { userErrors { code } } release: releaseMicroWishClaim(input: {wishId: $w}) { userErrors { code } } }",
            """string.format('{"w":"%s"}', pick(contested))""",
            pick_partner,
            tables,
        ),
        contested=True,
    )
    statistics_op = Operation(
        name="district-statistics",
        description="the district's wish statistics rolled up per sub-district",
        gongzhi=graphql_request(
            "{ adminUnits(filter: {level: SUBDISTRICT}) { nodes { name wishStatistics { total fulfilmentRate medianDaysToRealize byStatus { status count } } } } }",
            "'{}'",
        ),
        sql="""SELECT unit.id, w.status, count(*) FROM admin_unit unit
JOIN admin_unit below ON below.path >= unit.path AND below.path < substr(unit.path, 1, length(unit.path) - 1) || '0'
JOIN micro_wish w ON w.grid_id = below.id
WHERE unit.level = 'subdistrict' GROUP BY unit.id, w.status;
""",
    )
    return [first_open_wishes, grids, own_claims, claim_release, contested, statistics_op]


def check_answers(operations: list, fixtures: dict, workdir: Path) -> None:
    """Both servers answer each operation without errors before anything is timed."""
    community = fixtures["communities"][0]
    for operation in operations:
        for target, port, script in (
            ("gongzhi", GONGZHI_PORT, operation.gongzhi),
            ("postgraphile", POSTGRAPHILE_PORT, operation.postgraphile),
        ):
            if script is None:
                continue
            output = wrk(workdir, port, script, connections=1, duration=1, threads=1)
            if output["errors"] or not output["requests"]:
                raw = (workdir / "last-wrk.txt").read_text()
                sys.exit(f"{target} fails {operation.name}: {raw}")
    del community


# --- soaking ------------------------------------------------------------------------------

# The soak's mix: mostly reads, some writes, some of them contested.
SOAK_MIX = [
    (6, "first-20-open-wishes"),
    (2, "community-grids"),
    (2, "partner-own-claims"),
    (1, "claim-release"),
    (1, "claim-release-contested"),
]
SOAK_CONNECTIONS = 8  # per instance


def soak(binary, env, workdir, fixtures, processes, minutes) -> str:
    """Two instances on one database under the mixed load for `minutes`, each minute measured:
    throughput, errors, p99 and each instance's resident memory."""
    ports = (GONGZHI_PORT, GONGZHI_PORT + 1)
    servers = []
    for number, port in enumerate(ports, 1):
        instance_env = dict(env, GONGZHI_LISTEN=f"127.0.0.1:{port}")
        servers.append(start(processes, [binary, "serve"], instance_env, workdir / f"gongzhi-{number}.log"))
        wait_for(f"http://127.0.0.1:{port}/health/ready")
    fixtures["partner_tokens"] = partner_tokens(binary, env, fixtures["claiming_organizations"])
    fixtures["staff_token"] = run_output([binary, "token", "--role", "district_staff", "--unit", "411002"], env).strip()
    operations = {operation.name: operation for operation in define_operations(fixtures)}
    calls = [(weight, *operations[name].gongzhi.calls[0][1:]) for weight, name in SOAK_MIX]
    script_path = workdir / "soak.lua"
    script_path.write_text(graphql_script(calls, operations[SOAK_MIX[0][1]].gongzhi.tables))
    rows = []
    for minute in range(1, minutes + 1):
        runs = [
            subprocess.Popen(
                ["wrk", "-t", "1", "-c", str(SOAK_CONNECTIONS), "-d", "60s", "--latency", "-s", str(script_path), f"http://127.0.0.1:{port}"],
                stdout=subprocess.PIPE,
                text=True,
            )
            for port in ports
        ]
        outputs = [parse_wrk(run.communicate()[0]) for run in runs]
        rows.append(
            {
                "minute": minute,
                "rps": sum(output["rps"] for output in outputs),
                "requests": sum(output["requests"] for output in outputs),
                "errors": sum(output["errors"] for output in outputs),
                "p99": max(output["p99"] for output in outputs),
                "rss": [rss_mib(server.pid) for server in servers],
            }
        )
        print(f"  minute {minute}: {rows[-1]}", flush=True)
    return render_soak(rows)


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def render_soak(rows: list) -> str:
    mix = ", ".join(f"{weight}× {name}" for weight, name in SOAK_MIX)
    lines = [
        "## Soak",
        "",
        f"Two instances of the release build on one PostgreSQL database (district profile, pool "
        f"{POOL_SIZE} each), {SOAK_CONNECTIONS} wrk connections on each, for {len(rows)} minutes; "
        f"the mix: {mix}. Run on {datetime.date.today().isoformat()} with `bench/run --soak "
        f"{len(rows)}`. Errors are transport errors, non-2xx answers and GraphQL errors other than "
        "the refusals a contested claim expects; RSS is each instance's resident memory at the "
        "end of the minute.",
        "",
        "| minute | requests/s | requests | errors | p99 ms | RSS instance 1 MiB | RSS instance 2 MiB |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['minute']} | {row['rps']:.0f} | {row['requests']} | {row['errors']} | "
            f"{row['p99']:.1f} | {row['rss'][0]:.1f} | {row['rss'][1]:.1f} |"
        )
    return "\n".join(lines) + "\n"


def write_soak_section(section: str) -> None:
    """Puts the soak's section at the end of RESULTS.md, in place of an earlier one."""
    path = BENCH / "RESULTS.md"
    text = path.read_text() if path.exists() else ""
    text = text.split("\n## Soak\n", 1)[0].rstrip("\n")
    path.write_text(f"{text}\n\n{section}")
    print("wrote the soak to bench/RESULTS.md")


# --- measuring ----------------------------------------------------------------------------


def measure(operations, fixtures, workdir, database_url, gongzhi, postgraphile, variants, duration, rounds) -> list:
    results = []
    for concurrency in (16, 64):
        if concurrency == 64:
            # PostgreSQL's 100 connections hold four servers' pools or pgbench's 64 clients, not
            # both: the A/B variants are measured at c16 and stop here.
            for process in variants.values():
                stop(process)
        for operation in operations:
            targets = [("gongzhi", GONGZHI_PORT, operation.gongzhi, gongzhi)]
            if operation.name == AB_OPERATION and concurrency == 16:
                for variant in VARIANTS:
                    targets.append((variant.target, variant.port, operation.gongzhi, variants[variant.target]))
            if operation.postgraphile:
                targets.append(("postgraphile", POSTGRAPHILE_PORT, operation.postgraphile, postgraphile))
            for round_number in range(rounds):
                for target, port, script, process in targets:
                    wrk(workdir, port, script, connections=concurrency, duration=max(1, duration // 5))  # warm-up
                    results.append(
                        timed_wrk(target, operation, concurrency, workdir, port, script, process, duration)
                    )
                if operation.sql:
                    results.append(timed_pgbench(operation, concurrency, workdir, database_url, duration))
            print(f"  measured {operation.name} at concurrency {concurrency}", flush=True)
    return results


def timed_wrk(target, operation, concurrency, workdir, port, script, process, duration) -> Measurement:
    statements_before = gongzhi_statements() if target == "gongzhi" else None
    server_before, postgres_before = cpu_seconds(process.pid), postgres_cpu()
    loader_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = wrk(workdir, port, script, connections=concurrency, duration=duration)
    loader_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = cpu_seconds(process.pid) - server_before
    postgres_seconds = postgres_cpu_since(postgres_before)
    loader_cpu = (loader_after.ru_utime + loader_after.ru_stime) - (loader_before.ru_utime + loader_before.ru_stime)
    requests = max(output["requests"], 1)
    measurement = Measurement(
        target=target,
        operation=operation.name,
        concurrency=concurrency,
        requests_per_second=output["rps"],
        p50_ms=output["p50"],
        p99_ms=output["p99"],
        errors=output["errors"],
        requests=output["requests"],
        server_cpu_ms_per_request=1000 * server_cpu / requests,
        postgres_cpu_ms_per_request=1000 * postgres_seconds / requests,
        loader_cpu_ms_per_request=1000 * loader_cpu / requests,
        notes=output.get("notes", {}),
    )
    if statements_before is not None:
        measurement.statements_per_request = (gongzhi_statements() - statements_before) / requests
    return measurement


def timed_pgbench(operation, concurrency, workdir, database_url, duration) -> Measurement:
    script = workdir / f"{operation.name}.sql"
    script.write_text(operation.sql)
    logs = workdir / "pgbench-logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir()
    run(["pgbench", "-M", "prepared", "-n", "-c", str(concurrency), "-j", "2", "-T", str(max(1, duration // 5)), "-f", str(script), database_url], quiet=True)
    postgres_before = postgres_cpu()
    loader_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = run_output(
        ["pgbench", "-M", "prepared", "-n", "-c", str(concurrency), "-j", "2", "-T", str(duration), "-l", "--log-prefix", str(logs / "tx"), "-f", str(script), database_url],
        dict(os.environ),
    )
    loader_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    postgres_seconds = postgres_cpu_since(postgres_before)
    loader_cpu = (loader_after.ru_utime + loader_after.ru_stime) - (loader_before.ru_utime + loader_before.ru_stime)
    tps = float(re.search(r"tps = ([\d.]+)", output).group(1))
    transactions = int(re.search(r"number of transactions actually processed: (\d+)", output).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", output)
    latencies = sorted(int(line.split()[2]) / 1000 for path in logs.iterdir() for line in path.read_text().splitlines())
    return Measurement(
        target="pgbench",
        operation=operation.name,
        concurrency=concurrency,
        requests_per_second=tps,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        errors=int(failed.group(1)) if failed else 0,
        requests=transactions,
        postgres_cpu_ms_per_request=1000 * postgres_seconds / max(transactions, 1),
        loader_cpu_ms_per_request=1000 * loader_cpu / max(transactions, 1),
        statements_per_request=float(operation.sql.count(";")),
    )


def wrk(workdir, port, script, connections, duration, threads=2) -> dict:
    path = workdir / "script.lua"
    path.write_text(script)
    command = ["wrk", "-t", str(min(threads, connections)), "-c", str(connections), "-d", f"{duration}s", "--latency", "-s", str(path), f"http://127.0.0.1:{port}"]
    output = run_output(command, dict(os.environ))
    (workdir / "last-wrk.txt").write_text(output)
    return parse_wrk(output)


def parse_wrk(output: str) -> dict:
    """Requests, rate, errors (transport, non-2xx and GraphQL), latencies and claim counts of
    one wrk run's report."""
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = sum(int(value) for value in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    result = {"requests": requests, "rps": rps, "errors": errors, "p50": latency(output, "50%"), "p99": latency(output, "99%")}
    counted = re.search(r"GRAPHQL failed=(\d+) won=(\d+) refused=(\d+)", output)
    if counted:
        failed, won, refused = (int(value) for value in counted.groups())
        result["errors"] += failed
        if won or refused:
            result["notes"] = {"claims won": won, "refused": refused}
    return result


def latency(output: str, label: str) -> float:
    value, unit = re.search(rf"{re.escape(label)}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def percentile(values: list, p: int) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def postgres_cpu() -> dict:
    """CPU seconds so far of each PostgreSQL process, by pid, and under the key "reaped" the
    CPU seconds of the backends that have ended (their parent, the postmaster, has reaped them)."""
    seconds = {"reaped": 0.0}
    for pid in subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout.split():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue  # a backend that ended meanwhile: it is counted once reaped
        seconds[int(pid)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        if subprocess.run(["ps", "-o", "comm=", "-p", fields[1]], capture_output=True, text=True).stdout.strip() != "postgres":
            seconds["reaped"] += (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
    return seconds


def postgres_cpu_since(before: dict) -> float:
    """CPU seconds PostgreSQL spent since `before`: what the live processes spent since, plus
    what the backends that ended meanwhile spent (pgbench's all end before the second snapshot),
    less what those had spent before."""
    after = postgres_cpu()
    live = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items() if pid != "reaped")
    ended_before = sum(seconds for pid, seconds in before.items() if pid != "reaped" and pid not in after)
    return live + after["reaped"] - before["reaped"] - ended_before


def gongzhi_statements() -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{GONGZHI_PORT}/metrics") as response:
        return int(re.search(r"gongzhi_db_statements_total (\d+)", response.read().decode()).group(1))


def peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


# --- reporting ----------------------------------------------------------------------------


def render(results, peak_rss, seed_seconds, duration, rounds, smoke) -> str:
    def best(target, operation, concurrency):
        runs = [r for r in results if r.target == target and r.operation == operation and r.concurrency == concurrency]
        if not runs:
            return None
        # The median run of each target, so a single noisy run does not decide.
        return sorted(runs, key=lambda r: r.requests_per_second)[len(runs) // 2]

    def ratio(a, b):
        return f"{a / b:.2f}×" if a and b else "–"

    def cell(value, digits=2):
        return "–" if value is None else f"{value:.{digits}f}"

    lines = [
        "# Benchmark results",
        "",
        f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by `bench/run`{' --smoke' if smoke else ''} on "
        f"{platform.node()}: {os.cpu_count()} cores, {platform.machine()}, {platform.platform()}; "
        f"PostgreSQL {psql_version()}, PostGraphile 4 (node {run_output(['node', '--version'], dict(os.environ)).strip()}), wrk, pgbench -M prepared. "
        f"District profile (seeded in {seed_seconds:.1f} s); pool size {POOL_SIZE} for both servers; "
        f"{duration} s per measured run, {rounds} alternating round(s) after a warm-up each; the median run of each target is shown.",
        "",
        "Ratios: Gongzhi ÷ PostGraphile and Gongzhi ÷ pgbench on requests per second (higher is better for Gongzhi), "
        "and on p99 latency (lower is better for Gongzhi).",
        "",
        "| operation | c | Gongzhi rps | PostGraphile rps | pgbench tps | ÷ PostGraphile | ÷ pgbench | p99 ÷ PostGraphile |",
        "|---|---|---|---|---|---|---|---|",
    ]
    operations = list(dict.fromkeys(r.operation for r in results))
    for concurrency in (16, 64):
        for operation in operations:
            g, p, s = (best(t, operation, concurrency) for t in ("gongzhi", "postgraphile", "pgbench"))
            lines.append(
                f"| {operation} | {concurrency} | {cell(g and g.requests_per_second, 0)} | {cell(p and p.requests_per_second, 0)} | "
                f"{cell(s and s.requests_per_second, 0)} | {ratio(g and g.requests_per_second, p and p.requests_per_second)} | "
                f"{ratio(g and g.requests_per_second, s and s.requests_per_second)} | {ratio(g and g.p99_ms, p and p.p99_ms)} |"
            )
    for variant in VARIANTS:
        figures = []
        for concurrency in (16, 64):
            with_it, without = (best(t, AB_OPERATION, concurrency) for t in ("gongzhi", variant.target))
            if with_it and without:
                figures.append(
                    f"{ratio(with_it.requests_per_second, without.requests_per_second)} at c{concurrency} "
                    f"(server CPU {cell(with_it.server_cpu_ms_per_request, 3)} against {cell(without.server_cpu_ms_per_request, 3)} ms a request)"
                )
        if figures:
            switch = ", ".join(f"`{name}={value}`" for name, value in variant.env.items())
            lines += [
                "",
                f"{variant.feature}: {AB_OPERATION} with it ÷ the same build with {switch}, "
                f"requests per second: {'; '.join(figures)}.",
            ]
    lines += [
        "",
        "Raw figures (every run): latency in ms; CPU in ms per request of the server, of PostgreSQL (all its processes) and of the load tool; SQL statements per request from the server's own counter (pgbench: the script's).",
        "",
        "| target | operation | c | rps | p50 | p99 | errors | requests | server CPU | PostgreSQL CPU | load CPU | statements | notes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        notes = ", ".join(f"{k} {v}" for k, v in r.notes.items())
        lines.append(
            f"| {r.target} | {r.operation} | {r.concurrency} | {r.requests_per_second:.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} | {r.requests} | "
            f"{cell(r.server_cpu_ms_per_request, 3)} | {cell(r.postgres_cpu_ms_per_request, 3)} | {cell(r.loader_cpu_ms_per_request, 3)} | "
            f"{cell(r.statements_per_request, 1)} | {notes} |"
        )
    lines += [
        "",
        f"Peak RSS under load: Gongzhi {peak_rss['gongzhi']:.1f} MiB, PostGraphile {peak_rss['postgraphile']:.1f} MiB.",
        "",
    ]
    return "\n".join(lines)


# --- processes ----------------------------------------------------------------------------


def run(command, cwd=None, env=None, quiet=False, check=True):
    stdout = subprocess.DEVNULL if quiet else None
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env, stdout=stdout, check=check)


def run_output(command, env) -> str:
    done = subprocess.run([str(part) for part in command], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(str(part) for part in command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def timed(action) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def psql(url: str, sql: str, check: bool = True) -> None:
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=check, capture_output=True)


def psql_rows(url: str, sql: str) -> list:
    return subprocess.run(["psql", url, "-Atc", sql], check=True, capture_output=True, text=True).stdout.split()


def psql_version() -> str:
    admin_url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    return psql_rows(admin_url, "SHOW server_version")[0]


def start(processes: list, command: list, env: dict, log: Path) -> subprocess.Popen:
    process = subprocess.Popen([str(part) for part in command], env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    processes.append(process)
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def wait_for(url: str, post: dict | None = None, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            data = json.dumps(post).encode() if post else None
            request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
            with urllib.request.urlopen(request, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(f"{url} did not come up")
            time.sleep(0.3)


if __name__ == "__main__":
    main()
