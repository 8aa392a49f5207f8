#!/usr/bin/env python
"""Domain warm-up, day by day in the sandbox world, through the real code: how many days until
each provider graduates, at three levels of seed engagement.

    .venv/bin/python bench/domain_warmup.py [--levels default,weak,none] [--days 16] [--seed 1]
                                            [--seeds-per-provider 3] [--tick-minutes 20]

What runs, all in-process against the database named by BENCH_DATABASE_URL (default: a
throw-away SQLite file):

* a DNS test server (warmup_site/testing/dns_server.py) publishing the domain's SPF, DKIM and
  DMARC records, the app's resolver pointed at it;
* the sandbox world (engagement/sandbox) on a real SMTP port: it verifies DKIM, records
  SPF/DKIM/DMARC, places each message by the per-provider model (WARMUP_SANDBOX_MODEL_FILE) and
  delivers into maildirs;
* the sending IP: warm-up mail reaches the world from 127.0.0.1, which stands for a shared-pool
  IP. Its standing at each provider comes from the IP warm-up's provider model
  (ips.provider_model, the default model): a month of steady clean mail before day 1, then the
  same each simulated day; the world reads the model's R every day;
* `SEEDS` sandbox seed mailboxes at every provider with consumer mailboxes, read by the built-in
  store client (the same sweep code as over IMAP);
* the scheduled jobs' services, on a simulated clock (time-machine): the plan step at 04:30 UTC,
  then every `--tick-minutes` the send job, the seeds' sweep and the world's scan, until the next
  morning.

Engagement levels set the seeds' probabilities (rescue from spam, read, flag, reply):
default = the settings' defaults (1.0, 0.9, 0.35, 0.25); weak = 0.5, 0.5, 0.1, 0.05;
none = 0, 0, 0, 0. Goal (issue #15): default — the median provider graduates by day 7 and every
provider by day 9; weak — every provider by day 12; none — the plan stops by itself and says why.
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DEBUG", "true")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmup_site.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["WARMUP_SANDBOX"] = "false"  # the bench starts its own world

import django

django.setup()

import time_machine  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from accounts.models import Account  # noqa: E402
from domains.models import (  # noqa: E402
    DkimKey,
    Domain,
    DomainRecord,
    DomainWarmup,
    DomainWarmupDay,
    DomainWarmupPlan,
)
from domains.services import domain_create, domain_warmup_set  # noqa: E402
from engagement.models import SeedAction, SeedMailbox, WarmupMessage  # noqa: E402
from engagement.sandbox import PROVIDERS, seed_endpoint_defaults  # noqa: E402
from engagement.sandbox.world import SandboxWorld  # noqa: E402
from engagement.services import plan, sending, sweep  # noqa: E402
from engagement.services.seeds import seed_create  # noqa: E402
from ips.provider_model import default_model  # noqa: E402
from providers.models import MailboxProvider  # noqa: E402
from warmup_site.testing.dns_server import DnsTestServer  # noqa: E402

LEVELS = {
    "default": None,  # the settings' own values
    "weak": (0.5, 0.5, 0.1, 0.05),
    "none": (0.0, 0.0, 0.0, 0.0),
}
GOALS = {"default": (7, 9), "weak": (None, 12)}  # (median by, every provider by)
DOMAIN = "news.bench-warmup.example"
# How the per-day trace marks a plan's state after the morning's step.
MARKS = {"warming": "", "warm": "W", "needs_attention": "!", "not_covered": "-"}
SENDING_IP = "127.0.0.1"
# The shared IP's own traffic at each provider (messages a day), before and during the bench.
IP_DAILY_VOLUME = 20_000
IP_HISTORY_DAYS = 30


class SendingIp:
    """One shared-pool IP at every provider, as the IP warm-up's provider model sees it."""

    def __init__(self, slugs: list[str], seed: int):
        self.models = {slug: default_model(slug, seed) for slug in slugs}
        self.day = 0
        for _ in range(IP_HISTORY_DAYS):
            self.live_day(extra={})

    def live_day(self, extra: dict[str, int]) -> None:
        self.day += 1
        for slug, model in self.models.items():
            per_hour = (IP_DAILY_VOLUME + extra.get(slug, 0)) // 24
            for hour in range(24):
                model.offer(day=self.day, hour=hour, messages=per_hour)

    def reputation(self) -> dict[str, float]:
        return {slug: round(model.reputation, 3) for slug, model in self.models.items()}


def reset_database() -> None:
    for model in (SeedAction, WarmupMessage, SeedMailbox):
        model.objects.all().delete()
    Domain.objects.filter(name=DOMAIN).delete()


def setup_domain(dns: DnsTestServer) -> Domain:
    account, _ = Account.objects.get_or_create(name="Bench", defaults={"slug": "bench"})
    domain = domain_create(account=account, name=DOMAIN)
    Domain.objects.filter(pk=domain.pk).update(status=Domain.Status.VERIFIED)
    DomainRecord.objects.filter(domain=domain).update(status=DomainRecord.Status.OK)
    key = DkimKey.objects.get(domain=domain, state=DkimKey.State.ACTIVE)
    dns.add(f"{key.selector}._domainkey.{DOMAIN}", "TXT", key.record_value)
    dns.add(DOMAIN, "TXT", f"v=spf1 ip4:{SENDING_IP} -all")
    dns.add(f"_dmarc.{DOMAIN}", "TXT", "v=DMARC1; p=quarantine")
    return Domain.objects.get(pk=domain.pk)


def setup_seeds(per_provider: int) -> list[str]:
    providers = {p.slug: p for p in MailboxProvider.objects.all()}
    slugs = []
    for mail_domain, sandbox in PROVIDERS.items():
        for n in range(1, per_provider + 1):
            seed_create(
                provider=providers[sandbox.slug],
                address=f"seed{n}@{mail_domain}",
                secret="sandbox",
                **seed_endpoint_defaults(),
            )
        slugs.append(sandbox.slug)
    return slugs


def run_level(level: str, args, dns: DnsTestServer) -> dict:
    reset_database()
    probabilities = LEVELS[level]
    if probabilities is not None:
        (
            settings.WARMUP_RESCUE_PROBABILITY,
            settings.WARMUP_READ_PROBABILITY,
            settings.WARMUP_FLAG_PROBABILITY,
            settings.WARMUP_REPLY_PROBABILITY,
        ) = probabilities
    directory = Path(tempfile.mkdtemp(prefix="bench-world-"))
    settings.WARMUP_SANDBOX_DIR = directory
    world = SandboxWorld(directory=directory, scan_interval=0).start()
    settings.WARMUP_SANDBOX_SMTP_PORT = world.port
    settings.WARMUP_SMTP_URL = f"smtp://127.0.0.1:{world.port}?tls=none"
    rng = random.Random(args.seed)
    try:
        domain = setup_domain(dns)
        slugs = setup_seeds(args.seeds_per_provider)
        ip = SendingIp(slugs, seed=args.seed)
        first = date.today() + timedelta(days=1)
        graduated: dict[str, int] = {}
        stopped: dict[str, str] = {}
        trace: dict[str, list[str]] = {slug: [] for slug in slugs}
        moment = datetime.combine(first, clock_time(4, 30), tzinfo=UTC)
        with time_machine.travel(moment, tick=False) as clock:
            domain_warmup_set(domain=domain, enabled=True, actor="bench")
            for day in range(1, args.days + 1):
                today = first + timedelta(days=day - 1)
                clock.move_to(datetime.combine(today, clock_time(4, 30), tzinfo=UTC))
                for slug, r in ip.reputation().items():
                    world.ip_reputation_set(SENDING_IP, slug, r)
                if day > 1:
                    plan.warmups_step(rng=rng)
                plans = {
                    p.provider.slug: p
                    for p in DomainWarmupPlan.objects.filter(warmup__domain=domain).select_related(
                        "provider"
                    )
                }
                for slug, p in plans.items():
                    if p.state == "warm" and slug not in graduated:
                        graduated[slug] = p.day
                    if p.state == "needs_attention" and slug not in stopped:
                        stopped[slug] = p.reason
                    trace[slug].append(f"{p.volume}{MARKS.get(p.state, '?')}")
                if all(s in graduated or s in stopped for s in slugs):
                    break
                end = datetime.combine(today + timedelta(days=1), clock_time(4, 30), tzinfo=UTC)
                tick = datetime.combine(today, clock_time(4, 30), tzinfo=UTC)
                while tick < end:
                    tick += timedelta(minutes=args.tick_minutes)
                    clock.move_to(tick)
                    sending.messages_send_due(rng=rng)
                    world.scan()
                    sweep.seeds_sweep(rng=rng)
                    world.scan()
                sent = dict(
                    DomainWarmupDay.objects.filter(
                        plan__warmup__domain=domain, date=today
                    ).values_list("plan__provider__slug", "sent")
                )
                ip.live_day(extra=sent)
        days = (
            DomainWarmupDay.objects.filter(plan__warmup__domain=domain)
            .exclude(volume=0)
            .values_list("plan__provider__slug", "inbox", "spam", "missing", "engaged")
        )
        totals: dict[str, list[int]] = {}
        for slug, inbox, spam, missing, engaged in days:
            row = totals.setdefault(slug, [0, 0, 0, 0])
            for i, v in enumerate((inbox, spam, missing, engaged)):
                row[i] += v
        return {
            "graduated": graduated,
            "stopped": stopped,
            "slugs": slugs,
            "totals": totals,
            "trace": trace,
            "ip": ip.reputation(),
            "world": {slug: round(world.score(DOMAIN, slug), 1) for slug in slugs},
            "state": DomainWarmup.objects.get(domain=domain).state,
        }
    finally:
        world.stop()
        shutil.rmtree(directory, ignore_errors=True)


def report(level: str, result: dict, days: int) -> bool:
    graduated, stopped = result["graduated"], result["stopped"]
    print(f"\n== engagement: {level}")
    print(
        f"{'provider':<16} {'graduated':>9} {'inbox':>6} {'spam':>5} {'missing':>8} "
        f"{'engaged':>8} {'IP R':>5}"
    )
    for slug in result["slugs"]:
        inbox, spam, missing, engaged = result["totals"].get(slug, [0, 0, 0, 0])
        when = graduated.get(slug)
        shown = f"day {when}" if when else ("stopped" if slug in stopped else "—")
        print(
            f"{slug:<16} {shown:>9} {inbox:>6} {spam:>5} {missing:>8} {engaged:>8} "
            f"{result['ip'][slug]:>5}"
        )
    print("volume planned each day (W: warm, !: stopped, needs attention):")
    for slug in result["slugs"]:
        print(f"  {slug:<16} " + " ".join(result["trace"][slug]))
    goal = GOALS.get(level)
    if level == "none":
        ok = len(stopped) == len(result["slugs"]) and not graduated
        reasons = sorted(set(stopped.values()))
        print(f"stopped by itself: {len(stopped)} of {len(result['slugs'])} providers")
        for reason in reasons[:2]:
            print(f"  reason: {reason}")
        print(f"goal (the plan stops by itself and says why): {'met' if ok else 'NOT met'}")
        return ok
    every = [graduated.get(slug) for slug in result["slugs"]]
    if None in every:
        print(f"not every provider graduated within {days} days")
        print(f"goal: NOT met (domain state: {result['state']})")
        return False
    median = statistics.median(every)
    latest = max(every)
    median_goal, every_goal = goal
    ok = latest <= every_goal and (median_goal is None or median <= median_goal)
    print(f"median provider graduated on day {median:g}, the last on day {latest}")
    wanted = f"median by day {median_goal}, " if median_goal else ""
    print(f"goal ({wanted}every provider by day {every_goal}): {'met' if ok else 'NOT met'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="default,weak,none")
    parser.add_argument("--days", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds-per-provider", type=int, default=3)
    parser.add_argument("--tick-minutes", type=int, default=20)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    dns = DnsTestServer().start()
    settings.WARMUP_DNS_NAMESERVERS = [dns.address]
    started = time.perf_counter()
    ok = True
    try:
        print(f"database: {django.db.connection.vendor}")
        print(f"model: {settings.WARMUP_SANDBOX_MODEL_FILE}")
        for level in args.levels.split(","):
            ok &= report(level, run_level(level, args, dns), args.days)
    finally:
        dns.stop()
    print(f"\n{time.perf_counter() - started:.0f} s")
    if os.environ["DATABASE_URL"].startswith("sqlite:///"):
        shutil.rmtree(
            Path(os.environ["DATABASE_URL"].removeprefix("sqlite:///")).parent, ignore_errors=True
        )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
