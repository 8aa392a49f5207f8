#!/usr/bin/env python
"""Routing throughput: POST /api/v1/routes/ under gunicorn + PostgreSQL, load from wrk.

    .venv/bin/python bench/routes.py [--duration 10] [--rounds 5] [--workers 4] [--connections 8]

Uses the PostgreSQL database named by BENCH_DATABASE_URL (default postgres://postgres@
127.0.0.1:5432/wt_ips_bench; created when missing)
and EMPTIES ITS IP AND EVENT TABLES. Serves the app with gunicorn on a free port in
18000-18099 with DEBUG=false, a fresh SECRET_KEY and encryption key, and loads it with wrk
(Debian package `wrk`) from a second process.

1. Single-recipient requests/s, as a ratio to the floor measured in the same run: a bare DRF
   POST endpoint without authentication, served by the same gunicorn with the same settings
   and the same wrk load (bench/support/urls.py) — the least any DRF endpoint does. Routing
   pays token authentication on top of its own work (the same endpoint with the project's
   authentication is printed for reference). Rounds alternate the endpoints; the figure is
   the median of the rounds' ratios. A run whose floor varies by more than 15% between
   rounds is refused (the machine was busy with something else): rerun it. Goal: at least
   0.5.
2. Batched: 1,000 recipients a request, 4 connections: recipient decisions/s. Goal: 50,000.

The database also holds 200 other accounts with 2 IPs each (4,400 per-provider rows), so that
queries run against tables with more than the bench account's rows.

The account routes through warming IPs (small paced caps), warm IPs, then the shared pool, so
the run exhausts caps and overflows. Afterwards it asserts that no (IP, provider) went over its
cap (or, for warming IPs, over the pace of the hour) and that caps were reached exactly.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.support.server import Gunicorn, configure_environment, require_database
from bench.support.tables import empty_ip_tables

configure_environment()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F, Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import services as account_services  # noqa: E402
from accounts.models import Account  # noqa: E402
from domains import services as domain_services  # noqa: E402
from ips import services  # noqa: E402
from ips.models import (  # noqa: E402
    DedicatedIp,
    IpWarmup,
    IpWarmupDay,
)
from providers.models import RecipientDomain  # noqa: E402

CONSUMER = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "gmx.de", "yandex.ru"]
COMPANY_MX = [["aspmx.l.google.com"], ["corp.mail.protection.outlook.com"], ["mx.corp.example"]]
WARMING = ["203.0.113.1", "203.0.113.2"]
WARM = ["203.0.113.3", "2001:db8::3"]
SHARED = ["192.0.2.1", "2001:db8:ffff::1"]
WARMING_CAP, WARM_CAP, SHARED_CAP = 3_000, 30_000, 100_000
FILLER_ACCOUNTS = 200


def setup() -> str:
    """A clean bench account with pools and IPs; returns its API token."""
    call_command("migrate", verbosity=0)
    empty_ip_tables()
    for n in range(FILLER_ACCOUNTS):
        other = Account.objects.create(name=f"Bench filler {n}", slug=f"bench-filler-{n}")
        pool = services.ip_pool_create(name="main", account=other)
        for k in (1, 2):
            services.ip_create(
                pool=pool, address=f"10.{n // 200}.{n % 200}.{k}", warm=True, check=False
            )
    _account, _membership, token = account_services.account_create(
        name="Bench Sender", owner_username="bench", password="bench-password-1"
    )
    account = Account.objects.get(slug="bench-sender")
    # The sender domain is the account's own, as a customer token requires.
    domain_services.domain_create(account=account, name="bench.example")
    shared = services.ip_pool_create(name="bench-shared", account=None)
    pool = services.ip_pool_create(name="bench", account=account)
    for address in SHARED:
        ip = services.ip_create(pool=shared, address=address, warm=True, check=False)
        _caps(ip, SHARED_CAP)
    for address in WARM:
        ip = services.ip_create(pool=pool, address=address, warm=True, check=False)
        _caps(ip, WARM_CAP)
    for address in WARMING:
        ip = services.ip_create(pool=pool, address=address, check=False)
        DedicatedIp.objects.filter(pk=ip.pk).update(readiness=DedicatedIp.Readiness.PASSED)
        ip = services.ip_warmup_start(ip=DedicatedIp.objects.get(pk=ip.pk))
        _caps(ip, WARMING_CAP)
    now = timezone.now()
    RecipientDomain.objects.filter(domain__endswith=".bench.example").delete()
    RecipientDomain.objects.bulk_create(
        RecipientDomain(
            domain=f"company{n}.bench.example",
            source="mx",
            mx_hosts=COMPANY_MX[n % len(COMPANY_MX)],
            checked_at=now,
            expires_at=now + timezone.timedelta(days=1),
        )
        for n in range(100)
    )
    return token


def _caps(ip: DedicatedIp, cap: int) -> None:
    for warmup in IpWarmup.objects.filter(ip=ip):
        services.ip_warmup_cap_set(warmup=warmup, daily_cap=cap)


def domains() -> list[str]:
    return CONSUMER * 10 + [f"company{n}.bench.example" for n in range(100)]


def body(recipients: list[str]) -> str:
    return json.dumps({"sender_domain": "bench.example", "recipients": recipients})


def lua_script(path: Path, token: str, endpoint: str, bodies: list[str]) -> None:
    quoted = ",\n".join("[==[" + b + "]==]" for b in bodies)
    path.write_text(
        f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Token {token}"
local bodies = {{
{quoted}
}}
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "{endpoint}", nil, bodies[(n % #bodies) + 1])
end
"""
    )


def wrk(url: str, script: Path, *, connections: int, duration: int) -> float:
    threads = min(2, connections)
    output = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "-s",
            str(script),
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if bad:
        sys.exit(f"wrk saw {bad[1]} error responses:\n{output}")
    errors = re.search(r"Socket errors: (.*)", output)
    if errors and "timeout" in errors[1] and not errors[1].endswith("timeout 0"):
        print(f"  (wrk socket errors: {errors[1]})")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])


def probe(url: str, token: str) -> None:
    request = urllib.request.Request(
        f"{url}/api/v1/routes/",
        data=body(["a@gmail.com", {"address": "b@outlook.com", "engaged_days": 2}]).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
    )
    routes = json.loads(urllib.request.urlopen(request).read())["routes"]
    assert [r["reason"] for r in routes] == ["warming", "warming"], routes
    assert {r["ip"] for r in routes} <= set(WARMING), routes


def check_caps(hours: set[int]) -> dict[str, int]:
    """No cap exceeded; warming IPs within the pace of the hour; caps reached exactly."""
    over = IpWarmupDay.objects.filter(routed__gt=F("cap")).count()
    assert over == 0, f"{over} day rows went over their cap"
    rows = list(
        IpWarmupDay.objects.filter(day=timezone.now().date()).values_list(
            "warmup__state",
            "warmup__provider__warmup_profile__pacing_hours",
            "cap",
            "routed",
        )
    )
    full = 0
    for state, pacing, cap, routed in rows:
        if state == "warming":
            allowed = [-(-cap * min(h + 1, pacing) // pacing) for h in hours]
            assert routed <= max(allowed), (cap, routed, allowed)
            full += routed in allowed
        else:
            full += routed == cap
    total = IpWarmupDay.objects.aggregate(total=Sum("routed"))["total"] or 0
    assert full > 0, "no cap was reached: the run did not exercise overflow"
    return {"rows": len(rows), "full": full, "routed": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections, single")
    parser.add_argument(
        "--rounds", type=int, default=5, help="alternating rounds, single (at least 5)"
    )
    args = parser.parse_args()
    if args.rounds < 5:
        parser.error("--rounds must be at least 5 (the figure is a median)")

    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: install it with `apt-get install -y wrk`.")
    require_database()
    token = setup()
    names = domains()
    single = [body([f"user{n}@{names[n % len(names)]}"]) for n in range(2000)]
    batches = [
        body([f"b{b}-{n}@{names[(b * 7 + n) % len(names)]}" for n in range(1000)])
        for b in range(20)
    ]
    hours = {timezone.now().hour}
    with tempfile.TemporaryDirectory() as tmp, Gunicorn(workers=args.workers) as server:
        scripts = {
            "bare": Path(tmp, "bare.lua"),
            "bare_auth": Path(tmp, "bare_auth.lua"),
            "single": Path(tmp, "single.lua"),
            "batch": Path(tmp, "batch.lua"),
        }
        lua_script(scripts["bare"], token, "/bench/bare/", single)
        lua_script(scripts["bare_auth"], token, "/bench/bare-auth/", single)
        lua_script(scripts["single"], token, "/api/v1/routes/", single)
        lua_script(scripts["batch"], token, "/api/v1/routes/", batches)
        probe(server.url, token)

        # Warm every worker up (connections, registry snapshot, code paths).
        for name in ("bare", "bare_auth", "single"):
            wrk(server.url, scripts[name], connections=args.connections, duration=2)
        # Each round measures every endpoint once, one after another, so that a slow spell of
        # the machine hits all of them alike.
        runs: dict[str, list[float]] = {"bare": [], "single": [], "bare_auth": []}
        for _ in range(args.rounds):
            for name in runs:
                runs[name].append(
                    wrk(
                        server.url,
                        scripts[name],
                        connections=args.connections,
                        duration=args.duration,
                    )
                )
        wrk(server.url, scripts["batch"], connections=4, duration=2)
        batched = wrk(server.url, scripts["batch"], connections=4, duration=args.duration)
    hours.add(timezone.now().hour)
    connection.close()
    caps = check_caps(hours)

    ratios = [single / bare for single, bare in zip(runs["single"], runs["bare"], strict=True)]
    ratio = statistics.median(ratios)
    floor = statistics.median(runs["bare"])
    spread = (max(runs["bare"]) - min(runs["bare"])) / floor
    decisions = batched * 1000

    def listed(name: str) -> str:
        return ", ".join(f"{run:,.0f}" for run in runs[name])

    print(
        f"database: {connection.vendor}; gunicorn --workers {args.workers}; wrk {args.duration} s"
    )
    print(f"single recipient, {args.connections} connections, {args.rounds} alternating rounds")
    print(
        f"  floor: bare DRF POST, no auth:      {floor:>7,.0f} req/s (median)  "
        f"runs: {listed('bare')}"
    )
    print(
        f"  POST /api/v1/routes/:               {statistics.median(runs['single']):>7,.0f} req/s "
        f"(median)  runs: {listed('single')}"
    )
    print(
        f"  ratio: {ratio:.2f} of the floor, median of the rounds' ratios "
        f"({', '.join(f'{r:.2f}' for r in ratios)}; goal: at least 0.5)"
    )
    auth = statistics.median(runs["bare_auth"])
    print(
        f"  for reference, bare DRF POST with token authentication: {auth:,.0f} req/s "
        f"({auth / floor:.2f} of the floor)  runs: {listed('bare_auth')}"
    )
    print(f"  floor spread between rounds: {spread:.0%} (a run is refused above 15%)")
    print("batched, 1,000 recipients a request, 4 connections")
    print(f"  {batched:,.1f} requests/s = {decisions:>10,.0f} recipient decisions/s (goal: 50,000)")
    print(
        f"caps: {caps['rows']} (IP, provider) rows today, none over its cap; {caps['full']} "
        f"reached it exactly; {caps['routed']:,} recipients routed in all"
    )
    if spread > 0.15:
        sys.exit(
            f"refused: the floor varied by {spread:.0%} between rounds (more than 15%), so the "
            "machine was busy with other work; rerun when it is quiet"
        )
    failures = []
    if ratio < 0.5:
        failures.append(f"single-recipient ratio {ratio:.2f} < 0.5")
    if decisions < 50_000:
        failures.append(f"batched {decisions:,.0f} decisions/s < 50,000")
    if failures:
        sys.exit("below the goal: " + "; ".join(failures))


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parent.parent)
    main()
