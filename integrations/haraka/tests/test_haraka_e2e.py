"""End to end with real processes: Haraka asks Warmup which IP each recipient leaves from, sends
from exactly that IP, and reports every outcome — across a provider's throttling, an API outage
and a Haraka restart.

The parts, all real and all on this machine:

- Warmup's API on a socket in this process (warmup_site/testing/api_server.py), recording every
  request and answer: the routes log;
- Haraka (npm, integrations/haraka/node_modules) with the plugin installed as an operator does;
- the account's dedicated and shared IPs are loopback addresses 127.0.0.11-14 (Linux routes all
  of 127.0.0.0/8 to the loopback interface), with PTR and A records;
- "Gmail", "Outlook", "Yahoo" and the sender's own MX are aiosmtpd servers on 127.0.0.21-24 that
  record, for each recipient of each attempt, the peer address the connection came from;
- MX, A and PTR records come from the DNS test server (conftest `dns_server`).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from ips.models import DeliveryEvent, IpWarmup, IpWarmupDay, IpWarmupDecision, WarmupProfile
from ips.tests import factories as f
from warmup_site.testing import load_reference_data
from warmup_site.testing.api_server import ApiServer
from warmup_site.testing.haraka import HarakaServer, ProviderSet, require_haraka, wait_until

# Transactional: the API answers from another thread. Serialized rollback puts the reference
# data (providers, reply rules, profiles) back for each test, as in the browser tests.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SENDER = "news@acme.example"
# The sending IPs and their PTR names (what each must say in EHLO).
PTR = {
    "127.0.0.11": "mta11.acme-mail.test",
    "127.0.0.12": "mta12.acme-mail.test",
    "127.0.0.13": "mta13.acme-mail.test",
    "127.0.0.14": "mta14.shared.test",
}
# Each recipient domain's MX, one loopback address per "provider".
MX = {
    "gmail.com": "127.0.0.21",
    "outlook.com": "127.0.0.22",
    "yahoo.com": "127.0.0.23",
    "acme.example": "127.0.0.24",  # the sender's own domain: where DSNs go
}
PROVIDER = {"gmail.com": "google", "outlook.com": "microsoft", "yahoo.com": "yahoo"}
THROTTLED = (
    "421 4.7.28 [127.0.0.12      15] Our system has detected an unusual rate of unsolicited mail "
    "originating from your IP address. To protect our users from spam, mail sent from your IP "
    "address has been temporarily rate limited."
)
BUSY = "451 4.7.500 Server busy. Please try again later from [{peer}]. (S3140)"
UNKNOWN = "550 5.1.1 <nobody@yahoo.com>: Recipient address rejected: User unknown"
# Gmail suspends an IP after this many throttling replies in an hour (the profile's figure,
# lowered from 20 so that the test sends a handful).
SUSPEND_AFTER = 3


def addresses(domain: str, prefix: str, start: int, count: int) -> list[str]:
    return [f"{prefix}{n}@{domain}" for n in range(start, start + count)]


@pytest.fixture
def pipeline_token(pipeline_credential) -> str:
    # The operators' pipeline credential (`manage.py create_pipeline_token NAME`): it routes and
    # reports for every account, which Warmup finds from the verified sender domain.
    return pipeline_credential[1]


@pytest.fixture
def world(account, dns_server, settings):
    """Acme's pools: two warming IPs, an overflow pool with a warm IP, a shared pool."""
    settings.WARMUP_ALLOW_LOOPBACK_IPS = True
    load_reference_data()
    f.DomainFactory(account=account, name="acme.example")
    # (The IPs are added last, through the services, which empty routing's configuration cache.)
    # Every warming cap open from the first hour (no pacing), so the test needs no clock.
    WarmupProfile.objects.update(pacing_hours=1)
    WarmupProfile.objects.filter(provider__slug="google").update(suspend_after=SUSPEND_AFTER)
    # A small floor, so that the overflow pool's warm IP takes only 2 Outlook recipients and the
    # shared pool is used too.
    WarmupProfile.objects.filter(provider__slug="microsoft").update(floor=2)
    overflow = f.pool(account=account, name="acme-overflow", is_default=False)
    main = f.pool(account=account, name="acme", overflow_pool=overflow, is_default=True)
    caps = {"microsoft": 3, "yahoo": 3, "other": 10}
    f.warming_ip(pool=main, address="127.0.0.11", caps={**caps, "google": 4})
    f.warming_ip(pool=main, address="127.0.0.12", caps={**caps, "google": 30})
    f.warm_ip(pool=overflow, address="127.0.0.13", caps={"microsoft": 2})
    f.warm_ip(pool=f.shared_pool(), address="127.0.0.14", caps={"microsoft": 1000})

    for ip, name in PTR.items():
        dns_server.add(ipaddress.ip_address(ip).reverse_pointer, "PTR", name)
        dns_server.add(name, "A", ip)
    for domain, ip in MX.items():
        host = f"mx.{domain}"
        dns_server.add(domain, "MX", (10, host))
        dns_server.add(host, "A", ip)
    return account


@pytest.fixture
def providers():
    providers = ProviderSet(list(MX.values())).start()
    gmail, outlook, yahoo = (providers[MX[d]] for d in ("gmail.com", "outlook.com", "yahoo.com"))
    # Gmail throttles one IP, at the end of DATA, as it does.
    gmail.data_rules.append(lambda peer, rcpt: THROTTLED if peer == "127.0.0.12" else None)
    # Outlook is busy once for one recipient (a per-recipient deferral inside a delivery).
    busy = {"left": 1}

    def busy_once(peer, rcpt):
        if rcpt == "busy@outlook.com" and busy["left"]:
            busy["left"] -= 1
            return BUSY.format(peer=peer)
        return None

    outlook.rcpt_rules.append(busy_once)
    # Yahoo does not know one recipient (a bounce, and a DSN back to the sender).
    yahoo.rcpt_rules.append(lambda peer, rcpt: UNKNOWN if rcpt == "nobody@yahoo.com" else None)
    yield providers
    providers.stop()


@pytest.fixture
def api():
    server = ApiServer().start()
    yield server
    server.close()


def warmup_ini(
    *, api_url: str, token: str, dns: str, mx_port: int, spool: Path, routing: str = ""
) -> str:
    return f"""\
[api]
url={api_url}
token={token}
; Generous: an answer that comes after the plugin gave up would be counted but not used, and
; the comparison with the routes log would fail on a busy machine (timeouts have unit tests).
routes_timeout=10
events_timeout=5

[routing]
{routing or "no_route=defer"}
retry_after=1

[events]
batch_size=50
batch_wait=0.2
spool_dir={spool}
retry_min=0.2
retry_max=1

[dns]
nameservers={dns}
timeout=2
mx_port={mx_port}
"""


def spooled(spool: Path) -> list[dict]:
    """The events on disk, not yet accepted by Warmup."""
    events = []
    for path in spool.glob("*.*"):
        if path.suffix in (".open", ".ready"):
            events.extend(json.loads(line) for line in path.read_text().splitlines() if line)
    return events


def test_it_sends_from_the_routed_ips_and_reports_every_outcome_exactly_once(
    world, pipeline_token, providers, api, dns_server, tmp_path
):
    require_haraka()
    spool = tmp_path / "spool"
    haraka = HarakaServer(
        tmp_path / "haraka",
        plugins=["relay_loopback", "warmup"],
        files={
            "warmup.ini": warmup_ini(
                api_url=api.url,
                token=pipeline_token,
                dns=dns_server.address,
                mx_port=providers.port,
                spool=spool,
            ),
            # Retries after 5 seconds (the least Haraka accepts) instead of minutes.
            "outbound.ini": "local_mx_ok=true\nenable_tls=false\ntemp_fail_intervals=5s*60\n",
        },
    )
    try:
        run(haraka, providers, api, spool)
    except BaseException:
        print(haraka.log_tail(200))
        raise
    finally:
        haraka.stop()


def run(haraka, providers, api, spool):
    haraka.start()
    gmail = addresses("gmail.com", "g", 1, 12)
    outlook = [*addresses("outlook.com", "o", 1, 10), "busy@outlook.com"]
    yahoo = [*addresses("yahoo.com", "y", 1, 6), "nobody@yahoo.com"]

    # --- 1. Routing, caps, overflow, a throttling provider -----------------------------------
    messages = [
        [*gmail[:3], *outlook[:2], yahoo[0]],  # one message, three domains, several per domain
        gmail[3:7],
        [*outlook[2:6], "busy@outlook.com"],
        [*yahoo[1:3], "nobody@yahoo.com"],
        *[[g] for g in gmail[7:]],
        outlook[6:10],
        yahoo[3:6],
    ]
    for rcpts in messages:
        haraka.send(SENDER, rcpts)
    first = {*gmail, *outlook, *yahoo, SENDER}  # SENDER: the DSN for nobody@yahoo.com
    wait_until(lambda: first <= finished(providers), timeout=45, what="every recipient's outcome")
    wait_until(lambda: events_match(api, providers), timeout=15, what="every outcome's event")

    check_suspension(api)

    # --- 2. The API goes away while mail is in flight; Haraka restarts ------------------------
    providers.hold()
    second = ["g13@gmail.com", "o11@outlook.com", "y7@yahoo.com", "g14@gmail.com"]
    haraka.send(SENDER, second[:3])
    haraka.send(SENDER, second[3:])
    # Routed and connected: each recipient's DATA reply is being held back by its provider.
    wait_until(lambda: providers.waiting == len(second), timeout=20, what="deliveries in flight")
    api.stop()
    providers.release()
    wait_until(
        lambda: set(second) <= {e["recipient"] for e in spooled(spool)},
        timeout=20,
        what="the outcomes spooled to disk while the API is down",
    )
    # New mail meanwhile cannot be routed: it waits (policy defer), nothing is sent.
    third = ["g15@gmail.com", "o12@outlook.com"]
    log_mark = len(haraka.log_text())
    haraka.send(SENDER, third)
    wait_until(
        lambda: haraka.log_text()[log_mark:].count("routing unavailable") >= 2,
        timeout=20,
        what="the plugin to hold back mail it cannot route",
    )
    haraka.stop()
    haraka.start()  # a new process: it must find the spool and the queued mail
    assert set(second) <= {e["recipient"] for e in spooled(spool)}
    assert not set(third) & {o.recipient for o in providers.outcomes}

    # --- 3. The API is back; the first events answer is lost on the way ----------------------
    api.lose_answers = 1
    api.start()
    wait_until(
        lambda: {*second, *third} <= finished(providers), timeout=30, what="the waiting mail"
    )
    wait_until(lambda: events_match(api, providers), timeout=20, what="every outcome's event")
    wait_until(lambda: not spooled(spool), timeout=10, what="an empty spool")

    # --- what it proved ----------------------------------------------------------------------
    check_routes_log(api, providers)
    check_caps(api, providers)
    # The lost answer's batch came again and was counted once.
    answers = [e.response for e in api.served("/api/v1/events/") if e.status == 200]
    assert any(a["duplicates"] > 0 for a in answers)
    assert not list((spool / "rejected").glob("*"))


def finished(providers) -> set[str]:
    """Recipients with a final outcome (delivered or bounced)."""
    return {o.recipient for o in providers.outcomes if o.type != "deferred"}


def outcome_keys(providers) -> Counter:
    # Haraka does not hand the delivered hook the enhanced code of the reply to DATA.
    return Counter(
        (o.type, o.peer, o.recipient, o.code, "" if o.type == "delivered" else o.status)
        for o in providers.outcomes
    )


def event_keys(api) -> Counter:
    with api.lock:
        rows = DeliveryEvent.objects.values_list(
            "type", "ip_address", "recipient", "smtp_code", "enhanced_status"
        )
        return Counter(tuple(row) for row in rows)


def events_match(api, providers) -> bool:
    return event_keys(api) == outcome_keys(providers)


def routes_log(api) -> list[tuple[float, dict]]:
    """(when, route) of every route answered, in the order answered."""
    return [
        (exchange.at, route)
        for exchange in api.served("/api/v1/routes/")
        if exchange.status == 200
        for route in exchange.response["routes"]
    ]


def check_routes_log(api, providers):
    """Recipient by recipient, each attempt left from the IP routing answered, in order; and
    every IP a provider saw was one routing chose."""
    routed = defaultdict(list)
    for _, route in routes_log(api):
        if route["ip"]:
            routed[route["recipient"]].append(route["ip"])
    seen = defaultdict(list)
    for outcome in sorted(providers.outcomes, key=lambda o: o.at):
        seen[outcome.recipient].append(outcome.peer)
    assert seen == routed
    # Each IP announced its PTR name.
    assert {(o.peer, o.helo) for o in providers.outcomes} <= set(PTR.items())
    reasons = Counter(route["reason"] for _, route in routes_log(api))
    assert {"warming", "overflow", "shared"} <= set(reasons), reasons
    # One request per queue item at most, never one per recipient.
    requests = [e for e in api.served("/api/v1/routes/") if e.status == 200]
    assert len(requests) < sum(len(r) for r in routed.values())


def check_caps(api, providers):
    """No warming IP sent more than its cap to any provider, and Warmup counted each attempt
    once: routed equals the attempts the providers saw, and every IP's day counters (the shared
    pool's too: the pipeline credential reports for every IP) equal their outcomes."""
    attempts = Counter(
        (o.peer, PROVIDER.get(o.recipient.split("@")[1], "other")) for o in providers.outcomes
    )
    types = Counter(
        (o.peer, PROVIDER.get(o.recipient.split("@")[1], "other"), o.type)
        for o in providers.outcomes
    )
    with api.lock:
        rows = IpWarmupDay.objects.filter(routed__gt=0)
        days = list(rows.select_related("warmup__ip__pool", "warmup__provider"))
    for day in days:
        key = (day.warmup.ip.address, day.warmup.provider.slug)
        assert day.routed == attempts[key], key
        assert (day.delivered, day.deferred, day.bounced) == (
            types[(*key, "delivered")],
            types[(*key, "deferred")],
            types[(*key, "bounced")],
        ), key
        if day.warmup.state == IpWarmup.State.WARMING:
            assert day.routed <= day.cap, key
    assert sum(d.routed for d in days) == len(providers.outcomes)


def check_suspension(api):
    """Gmail's 4.7.28 replies suspended 127.0.0.12 at Google; every later Gmail route avoided
    it, though its cap had room; and the throttled recipients left again from other IPs."""
    with api.lock:
        warmup = IpWarmup.objects.get(ip__address="127.0.0.12", provider__slug="google")
        # The first one: later throttled replies in the same hour may extend the suspension.
        decision = IpWarmupDecision.objects.filter(
            warmup=warmup, kind=IpWarmupDecision.Kind.SUSPEND
        ).earliest("created_at")
        day = IpWarmupDay.objects.get(warmup=warmup)
    assert warmup.suspended_until is not None
    assert re.search(r"\d+ throttling/blocking replies from Google", decision.reason)
    assert day.routed < day.cap
    gmail = [(at, r) for at, r in routes_log(api) if r["provider"] == "google"]
    after = [r["ip"] for at, r in gmail if at > decision.created_at.timestamp()]
    assert after and "127.0.0.12" not in after
    throttled = {r["recipient"] for at, r in gmail if r["ip"] == "127.0.0.12"}
    retried = {r["recipient"] for at, r in gmail if at > decision.created_at.timestamp()}
    assert throttled and throttled <= retried


def test_it_sends_what_routing_cannot_place_from_the_fallback_ip_and_says_so(
    account, pipeline_token, providers, api, dns_server, tmp_path, settings
):
    require_haraka()
    settings.WARMUP_ALLOW_LOOPBACK_IPS = True
    load_reference_data()
    f.DomainFactory(account=account, name="acme.example")
    WarmupProfile.objects.update(pacing_hours=1)
    # One warming IP that may send one message to Gmail today, and nothing else to overflow to.
    f.warming_ip(
        pool=f.pool(account=account, name="acme"), address="127.0.0.11", caps={"google": 1}
    )
    dns_server.add("gmail.com", "MX", (10, "mx.gmail.com"))
    dns_server.add("mx.gmail.com", "A", MX["gmail.com"])
    dns_server.add(ipaddress.ip_address("127.0.0.11").reverse_pointer, "PTR", PTR["127.0.0.11"])
    spool = tmp_path / "spool"
    haraka = HarakaServer(
        tmp_path / "haraka",
        plugins=["relay_loopback", "warmup"],
        files={
            "warmup.ini": warmup_ini(
                api_url=api.url,
                token=pipeline_token,
                dns=dns_server.address,
                mx_port=providers.port,
                spool=spool,
                routing="no_route=fallback\nfallback_ip=127.0.0.15\n"
                "fallback_helo=fallback.acme-mail.test",
            )
        },
    )
    try:
        haraka.start()
        haraka.send(SENDER, ["ann@gmail.com", "bob@gmail.com"])
        gmail = providers[MX["gmail.com"]]
        wait_until(lambda: len(gmail.outcomes) == 2, timeout=20, what="both deliveries")
        wait_until(lambda: events_match(api, providers), timeout=10, what="their events")
    except BaseException:
        print(haraka.log_tail(200))
        raise
    finally:
        haraka.stop()

    [answer] = api.served("/api/v1/routes/")
    routes = {r["recipient"]: (r["ip"], r["reason"]) for r in answer.response["routes"]}
    assert routes == {
        "ann@gmail.com": ("127.0.0.11", "warming"),
        "bob@gmail.com": (None, "no_route"),
    }
    sent = {o.recipient: (o.peer, o.helo) for o in gmail.outcomes}
    assert sent == {
        "ann@gmail.com": ("127.0.0.11", PTR["127.0.0.11"]),
        "bob@gmail.com": ("127.0.0.15", "fallback.acme-mail.test"),
    }
    assert "1 of 2 recipient(s) sent from the fallback IP 127.0.0.15" in haraka.log_text()
    with api.lock:
        # Both reported; only the dedicated IP's delivery counts towards its warm-up.
        ips = dict(DeliveryEvent.objects.values_list("recipient", "ip__address"))
    assert ips == {"ann@gmail.com": "127.0.0.11", "bob@gmail.com": None}
