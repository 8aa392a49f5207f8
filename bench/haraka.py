#!/usr/bin/env python
"""The Haraka plugin's overhead: messages per second through Haraka to a local sink, with the
Warmup plugin and without it, in the same run.

    .venv/bin/python bench/haraka.py [--messages 2000] [--injectors 4] [--rounds 5] [--workers 2]

Needs node and `npm ci` in integrations/haraka (Haraka comes from there), and the PostgreSQL
database named by BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/wt_ips_bench),
whose IP and event tables it EMPTIES. Warmup runs under gunicorn (DEBUG=false) on a free port in
18000-18099; the account has two warm dedicated IPs, 127.0.0.11 and .12 (loopback addresses:
WARMUP_ALLOW_LOOPBACK_IPS), PTR records from a DNS test server, and MX gmail.com → 127.0.0.21,
where a minimal SMTP sink (its own process) accepts everything and counts messages by peer.

Each round submits the same MESSAGES one-recipient messages to Haraka over INJECTORS parallel
SMTP connections and times from the first submission to the sink's last delivery:

- without the plugin: Haraka with a get_mx plugin that looks the MX up in the same DNS server,
  keeping answers and sharing lookups as the plugin does (so the runs differ only by Warmup);
- with the plugin: one POST /api/v1/routes/ per message, MX and PTR lookups, the bind to the
  routed IP, and an event per delivery into the spool, sent in batches to POST /api/v1/events/.

Goal: the rate with the plugin ≥ 0.7 of the rate without it — the median over the rounds of each
round's ratio (a round runs both back to back, which the machine's other load disturbs least).
Afterwards it checks that every message left from a routed IP and that Warmup stored one
delivered event per message.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import smtplib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.support.server import Gunicorn, configure_environment, require_database
from bench.support.tables import empty_ip_tables

configure_environment()
os.environ["WARMUP_ALLOW_LOOPBACK_IPS"] = "true"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts import services as account_services  # noqa: E402
from accounts.models import Account  # noqa: E402
from domains.models import Domain  # noqa: E402
from ips import services  # noqa: E402
from ips.models import DeliveryEvent, IpWarmup  # noqa: E402
from warmup_site.testing.dns_server import DnsTestServer  # noqa: E402
from warmup_site.testing.haraka import HARAKA_BIN, HarakaServer, free_port  # noqa: E402

IPS = {"127.0.0.11": "mta11.bench.test", "127.0.0.12": "mta12.bench.test"}
SINK = "127.0.0.21"
SENDER = "news@bench.example"

# Without the plugin: the MX from the same DNS server, with the plugin's own lookup discipline
# (answers kept 60 s, a lookup under way shared), so that the two runs differ by what Warmup adds
# (routing, the bind, the events) and not by how often they ask the DNS.
BENCH_MX = """\
const { Resolver } = require('node:dns').promises

exports.register = function () {
    const cfg = this.config.get('bench_mx.ini').main
    this.resolver = new Resolver({ timeout: 5000, tries: 2 })
    this.resolver.setServers([cfg.nameserver])
    this.port = Number(cfg.port)
    this.cache = new Map()
    this.inFlight = new Map()
}

exports.lookup = async function (domain) {
    const mxs = (await this.resolver.resolveMx(domain)).sort((a, b) => a.priority - b.priority)
    const out = []
    for (const mx of mxs) {
        for (const address of await this.resolver.resolve4(mx.exchange)) {
            const { priority, exchange } = mx
            out.push({ exchange: address, priority, port: this.port, from_dns: exchange })
        }
    }
    return out
}

exports.hook_get_mx = async function (next, hmail, domain) {
    try {
        const hit = this.cache.get(domain)
        if (hit && hit.expires > Date.now()) return next(OK, hit.mxs.map((m) => ({ ...m })))
        if (!this.inFlight.has(domain)) {
            const lookup = this.lookup(domain).finally(() => this.inFlight.delete(domain))
            this.inFlight.set(domain, lookup)
        }
        const mxs = await this.inFlight.get(domain)
        this.cache.set(domain, { mxs, expires: Date.now() + 60000 })
        next(OK, mxs.map((m) => ({ ...m })))
    } catch (err) {
        next(DENYSOFT, err.message)
    }
}
"""


# --- the sink (its own process) -----------------------------------------------------------------


def sink_main(host: str, port: int, count, bound, last, ready) -> None:
    """Accept every message; count them (and those from our IPs), note the last one's time."""
    ours = set(IPS)

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")[0]
        writer.write(b"220 sink.bench.test ESMTP\r\n")
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                writer.write(b"250-sink.bench.test\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                while (await reader.readline()) not in (b".\r\n", b""):
                    pass
                with count.get_lock():
                    count.value += 1
                    if peer in ours:
                        bound.value += 1
                    last.value = time.time()
                writer.write(b"250 2.0.0 OK queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()
        writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(session, host, port, backlog=512)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


# --- the injectors (processes) ------------------------------------------------------------------


def inject(port: int, recipients: list[str], start) -> None:
    body = (
        f"From: {SENDER}\r\nSubject: bench\r\nMessage-ID: <{os.getpid()}@bench.example>\r\n\r\n"
        "A message through Haraka.\r\n"
    )
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        start.wait()
        for rcpt in recipients:
            smtp.sendmail(SENDER, [rcpt], body)


def run_round(haraka: HarakaServer, messages: int, injectors: int, sink) -> float:
    count, bound, last = sink
    with count.get_lock():
        count.value = bound.value = 0
    recipients = [f"user{n}@gmail.com" for n in range(messages)]
    start = multiprocessing.Barrier(injectors + 1)
    processes = [
        multiprocessing.Process(target=inject, args=(haraka.port, recipients[i::injectors], start))
        for i in range(injectors)
    ]
    for process in processes:
        process.start()
    start.wait()
    began = time.time()
    deadline = time.monotonic() + 600
    while count.value < messages:
        if time.monotonic() > deadline:
            sys.exit(f"only {count.value} of {messages} messages arrived:\n{haraka.log_tail()}")
        time.sleep(0.02)
    for process in processes:
        process.join()
    return messages / (last.value - began)


# --- set-up --------------------------------------------------------------------------------------


def setup() -> str:
    call_command("migrate", verbosity=0)
    empty_ip_tables()
    Domain.objects.filter(name="bench.example").delete()
    _account, _membership, token = account_services.account_create(
        name="Bench Haraka", owner_username="bench-haraka", password="bench-password-1"
    )
    account = Account.objects.get(slug="bench-haraka")
    Domain.objects.create(account=account, name="bench.example", status=Domain.Status.VERIFIED)
    pool = services.ip_pool_create(name="bench", account=account)
    for address in IPS:
        ip = services.ip_create(pool=pool, address=address, warm=True, check=False)
        for warmup in IpWarmup.objects.filter(ip=ip, provider__slug="google"):
            services.ip_warmup_cap_set(warmup=warmup, daily_cap=10_000_000)
    connection.close()
    return token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="per round and setup")
    parser.add_argument("--injectors", type=int, default=4, help="parallel SMTP submissions")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each, alternating")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--routes-concurrency",
        type=int,
        default=None,
        help="the plugin's [api] routes_concurrency (default: the plugin's own)",
    )
    args = parser.parse_args()

    if not shutil.which("node"):
        sys.exit("node is not installed: the bench needs node >= 20.19 and `make haraka`.")
    if not HARAKA_BIN.exists():
        sys.exit("Haraka is not installed: run `make haraka` (npm ci in integrations/haraka).")
    require_database()
    token = setup()

    dns = DnsTestServer().start()
    port = free_port([SINK])
    dns.add("gmail.com", "MX", (10, "mx.gmail.com"))
    dns.add("mx.gmail.com", "A", SINK)
    for ip, name in IPS.items():
        dns.add(".".join(reversed(ip.split("."))) + ".in-addr.arpa", "PTR", name)
        dns.add(name, "A", ip)

    count, bound, last = (
        multiprocessing.Value("i", 0),
        multiprocessing.Value("i", 0),
        multiprocessing.Value("d", 0.0),
    )
    ready = multiprocessing.Event()
    sink = multiprocessing.Process(
        target=sink_main, args=(SINK, port, count, bound, last, ready), daemon=True
    )
    sink.start()
    ready.wait(10)

    work = Path(tempfile.mkdtemp(prefix="bench-haraka-"))
    rates: dict[str, list[float]] = {"without": [], "with": []}
    with Gunicorn(workers=args.workers) as api:
        routes_concurrency = (
            f"routes_concurrency={args.routes_concurrency}\n" if args.routes_concurrency else ""
        )
        warmup_ini = (
            f"[api]\nurl={api.url}\ntoken={token}\n{routes_concurrency}"
            f"[events]\nspool_dir={work / 'spool'}\n"
            f"[dns]\nnameservers={dns.address}\nmx_port={port}\n"
        )
        setups = {
            "without": dict(
                plugins=["relay_loopback", "bench_mx"],
                files={"bench_mx.ini": f"nameserver={dns.address}\nport={port}\n"},
                local_plugins={"bench_mx": BENCH_MX},
            ),
            "with": dict(plugins=["relay_loopback", "warmup"], files={"warmup.ini": warmup_ini}),
        }
        delivered_with = 0
        for round_number in range(args.rounds):
            for name, setup_kwargs in setups.items():
                haraka = HarakaServer(work / f"{name}-{round_number}", **setup_kwargs)
                with haraka:
                    run_round(haraka, 50, args.injectors, (count, bound, last))  # warm it up
                    rate = run_round(haraka, args.messages, args.injectors, (count, bound, last))
                    if name == "with":
                        assert bound.value == args.messages, (bound.value, args.messages)
                        delivered_with += args.messages + 50
                        # Every delivery's event reaches Warmup (the spool sends in batches).
                        deadline = time.monotonic() + 60
                        while DeliveryEvent.objects.count() < delivered_with:
                            if time.monotonic() > deadline:
                                sys.exit("not every delivery's event reached Warmup")
                            time.sleep(0.2)
                        connection.close()
                rates[name].append(rate)
                print(f"round {round_number + 1}, {name} the plugin: {rate:,.0f} messages/s")
    dns.stop()
    sink.terminate()

    events = DeliveryEvent.objects.filter(type="delivered", ip__isnull=False).count()
    assert events == delivered_with, (events, delivered_with)
    # Each round runs both set-ups back to back: the ratio within a round is what the machine's
    # other load disturbs least. The median of those is the figure.
    ratios = [w / wo for w, wo in zip(rates["with"], rates["without"], strict=True)]
    print(
        f"\n{args.messages:,} one-recipient messages a round, {args.injectors} injectors, "
        f"{args.rounds} rounds; Haraka in one process (nodes=0), gunicorn {args.workers} "
        "workers, PostgreSQL"
    )
    print(
        f"without the plugin: median {statistics.median(rates['without']):,.0f} messages/s "
        f"(best {max(rates['without']):,.0f})"
    )
    print(
        f"with the plugin:    median {statistics.median(rates['with']):,.0f} messages/s "
        f"(best {max(rates['with']):,.0f})"
    )
    print("ratio per round: " + ", ".join(f"{r:.2f}" for r in ratios))
    print(f"ratio: {statistics.median(ratios):.2f}, median of the rounds (goal: at least 0.7)")
    print(f"{events:,} delivered events stored, one per message, every one from a routed IP")


if __name__ == "__main__":
    main()
