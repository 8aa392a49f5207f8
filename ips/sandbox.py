"""The sandbox's simulated sending pipeline: what an MTA would do with the demo account's mail,
against the provider model instead of real mailbox providers.

Every tick it asks routing where each recipient's message leaves from, offers each (IP,
provider) group to that pair's provider model (ips.provider_model: the same model the
simulator and bench/efficacy.py use), and reports what the model answered as delivery events —
delivered, deferred and bounced with the providers' real reply texts, complaints — so that
ingestion, the SMTP-response rules, the fast back-off, the nightly controller and the
reputation snapshots all run on the demo as they would in production. Deferred messages are
retried at the next tick, as an MTA retries (routing may send them elsewhere).

Two transports, one code path for the rest:

- `HttpTransport`: POST /api/v1/routes/ and /api/v1/events/ with a pipeline credential, as a
  real MTA does. `manage.py serve` (make run, sandbox mode) starts `start()`: a thread that sends
  the demo account's DAILY_VOLUME spread over the day, one tick a minute.
- `ServiceTransport`: the services those endpoints call (the same validation, the same
  routing and ingestion), at a moment in the past: the demo's history (ips/demo.py) runs the
  past days through it, with the nightly controller after each.

The models live in memory, one per (IP, provider), seeded from the IP's address; a model for a
pair that is already warm (or part of the way) starts with the reputation that fits, so that a
restart of `make run` does not treat a warm IP as new.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import urllib.error
import urllib.request
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db import close_old_connections
from django.utils import timezone

from accounts.demo import DEMO_ACCOUNT
from accounts.models import Account, PipelineCredential
from accounts.services import pipeline_credential_create, pipeline_credential_revoke
from domains.models import Domain
from ips import inputs, services
from ips.models import IpWarmup
from ips.provider_model import default_model
from ips.provider_model.replies import reply_for
from ips.selectors import ip_warmup_rows
from ips.services.controller import controller_run
from ips.types import Recipient

logger = logging.getLogger(__name__)

# The demo account's mail per provider and day (a mid-sized sender; Gmail the largest share).
DAILY_VOLUME = {"google": 6000, "microsoft": 4000, "yahoo": 2500, "apple": 800, "comcast": 300}
# One consumer domain per provider (the registry knows them: no DNS lookup to classify).
RECIPIENT_DOMAIN = {
    "google": "gmail.com",
    "microsoft": "outlook.com",
    "yahoo": "yahoo.com",
    "apple": "icloud.com",
    "comcast": "comcast.net",
    "united_internet": "gmx.de",
    "yandex": "yandex.ru",
    "mailru": "mail.ru",
    "zoho": "zoho.com",
    "proton": "proton.me",
}
TICK_SECONDS = 60
# An MTA gives up on a message deferred this many times (the sandbox's queue stays small).
MAX_ATTEMPTS = 4
CREDENTIAL_NAME = "sandbox pipeline"
BATCH = 5000  # recipients per /routes/ request and events per /events/ request


@dataclass
class SendResult:
    """What one tick sent and what the models answered."""

    routed: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    events: int = 0

    def sentence(self) -> str:
        parts = ", ".join(f"{n:,} {kind}" for kind, n in sorted(self.outcomes.items()) if n)
        return f"routed {self.routed:,}: {parts or 'nothing'}; {self.events:,} events reported"


class ServiceTransport:
    """Routing and ingestion through the services the API calls, at a given moment."""

    def route(self, *, sender_domain: str, recipients: list[str], now: datetime) -> list[dict]:
        routes = services.routes_decide_for_pipeline(
            sender_domain=sender_domain,
            recipients=[Recipient(address) for address in recipients],
            now=now,
        )
        return [{"recipient": r.recipient, "provider": r.provider, "ip": r.ip} for r in routes]

    def report(self, *, events: list[dict], now: datetime) -> None:
        parsed = inputs.events_parse({"events": events}, now=now)
        services.events_ingest(account=None, events=parsed, now=now, pipeline=True)


class HttpTransport:
    """Routing and ingestion over the HTTP API with a pipeline credential, as an MTA does."""

    def __init__(self, *, api_url: str, key: str, timeout: float = 30.0) -> None:
        self.api_url, self.key, self.timeout = api_url.rstrip("/"), key, timeout

    def _post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(
            f"{self.api_url}{path}",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Token {self.key}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.loads(response.read() or b"{}")

    # `now` is the server's clock over HTTP: the transports share one signature.
    def route(self, *, sender_domain: str, recipients: list[str], now: datetime) -> list[dict]:  # noqa: ARG002
        body = {"sender_domain": sender_domain, "recipients": recipients}
        return self._post("/api/v1/routes/", body)["routes"]

    def report(self, *, events: list[dict], now: datetime) -> None:  # noqa: ARG002
        self._post("/api/v1/events/", {"events": events})


class SandboxSender:
    """One sender's mail through routing, the provider models and the events API."""

    def __init__(
        self,
        *,
        transport,
        sender_domain: str,
        epoch: date,
        model_factory=default_model,
        seed: int = 1,
    ) -> None:
        self.transport = transport
        self.sender_domain = sender_domain
        self.epoch = epoch  # the models' day 1
        self.model_factory, self.seed = model_factory, seed
        self.models: dict[tuple[str, str], object] = {}
        self.retries: list[tuple[str, int]] = []  # (recipient, attempts so far)
        self.carry: dict[str, float] = defaultdict(float)
        self.sequence = 0

    # -- one tick --

    def due(self, *, daily_volume: dict[str, int], seconds: float) -> list[str]:
        """New recipients for `seconds` of the day's volume (fractions carry over)."""
        recipients = []
        for provider, volume in daily_volume.items():
            self.carry[provider] += volume * seconds / 86400
            count = math.floor(self.carry[provider])
            self.carry[provider] -= count
            domain = RECIPIENT_DOMAIN[provider]
            for _ in range(count):
                self.sequence += 1
                recipients.append(f"reader{self.sequence}@{domain}")
        return recipients

    def send(self, *, now: datetime, recipients: list[str]) -> SendResult:
        """Route the deferred messages again and `recipients`; let the models answer; report."""
        attempts = {address: tries for address, tries in self.retries}
        attempts.update({address: 0 for address in recipients})
        self.retries = []
        result = SendResult()
        if not attempts:
            return result
        addresses = list(attempts)
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for start in range(0, len(addresses), BATCH):
            chunk = addresses[start : start + BATCH]
            for route in self.transport.route(
                sender_domain=self.sender_domain, recipients=chunk, now=now
            ):
                if route["ip"] is not None:
                    groups[(route["ip"], route["provider"])].append(route["recipient"])
        events: list[dict] = []
        for (ip, provider), group in groups.items():
            result.routed += len(group)
            answer = self._model(ip, provider).offer(
                day=(now.date() - self.epoch).days + 1, hour=now.hour, messages=len(group)
            )
            events += self._events(ip, provider, group, answer, attempts, now, result)
        for start in range(0, len(events), BATCH):
            self.transport.report(events=events[start : start + BATCH], now=now)
        result.events = len(events)
        return result

    # -- the models --

    def _model(self, ip: str, provider: str):
        key = (ip, provider)
        if key not in self.models:
            seed = zlib.crc32(f"{self.seed}/{ip}".encode())
            model = self.model_factory(provider, seed)
            _start_from_history(model, ip=ip, provider=provider)
            self.models[key] = model
        return self.models[key]

    # -- what the MTA reports --

    def _events(self, ip, provider, group, answer, attempts, now, result) -> list[dict]:
        """The outcome counts, dealt to the group's recipients in order: delivered (some of
        whom complain), deferred (queued for a retry), blocked, hard bounced."""
        events, position = [], 0
        stamp = now.isoformat()
        for kind in ("delivered", "deferred", "blocked", "hard_bounced"):
            count = answer.get(kind, 0)
            result.outcomes[kind] += count
            for recipient in group[position : position + count]:
                self.sequence += 1
                event = {
                    "id": f"sandbox-{now:%Y%m%d%H%M%S}-{self.sequence}",
                    "ip": ip,
                    "sender_domain": self.sender_domain,
                    "recipient": recipient,
                    "timestamp": stamp,
                }
                if kind == "delivered":
                    event.update(type="delivered", smtp_code=250, response="250 2.0.0 OK")
                else:
                    code, status, text = reply_for(provider, kind, ip=ip, recipient=recipient)
                    event.update(
                        type="deferred" if code < 500 else "bounced",
                        smtp_code=code,
                        enhanced_status=status,
                        response=text,
                    )
                    if code < 500 and attempts[recipient] + 1 < MAX_ATTEMPTS:
                        self.retries.append((recipient, attempts[recipient] + 1))
                events.append(event)
            if kind == "delivered":
                complaints = answer.get("complaints", 0)
                result.outcomes["complaints"] += complaints
                for recipient in group[position : position + complaints]:
                    self.sequence += 1
                    events.append(
                        {
                            "id": f"sandbox-{now:%Y%m%d%H%M%S}-{self.sequence}",
                            "type": "complaint",
                            "ip": ip,
                            "sender_domain": self.sender_domain,
                            "recipient": recipient,
                            "timestamp": stamp,
                        }
                    )
            position += count
        return events


def _start_from_history(model, *, ip: str, provider: str) -> None:
    """A pair that is warm, or part of the way, starts with the reputation that fits and a
    history of days at its cap (the default model's state; another model keeps its own)."""
    if not hasattr(model, "reputation") or not hasattr(model, "history"):
        return
    warmup = (
        IpWarmup.objects.filter(ip__address=ip, provider__slug=provider)
        .values("ip_id", "state", "daily_cap")
        .first()
    )
    if warmup is None or warmup["state"] in (IpWarmup.State.PENDING, IpWarmup.State.WARMING):
        percent = 0
        if warmup is not None:
            rows = ip_warmup_rows(ip_ids=[warmup["ip_id"]]).get(warmup["ip_id"], [])
            percent = next((r.warmup_percentage for r in rows if r.provider == provider), 0)
        if not percent:
            return
        share = percent / 100
    else:
        share = 1.0
    start = model.reputation
    model.reputation = start + (0.9 - start) * share
    model.history = [warmup["daily_cap"]] * 7


# --- make run ------------------------------------------------------------------------------------


class LivePipeline:
    """The thread `manage.py serve` runs in sandbox mode: a tick a minute of DAILY_VOLUME from
    the demo account's verified domain (looked up at each tick until the demo data is in)."""

    def __init__(self, *, api_url: str, key: str) -> None:
        self.api_url, self.key = api_url, key
        self.sender: SandboxSender | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-pipeline", daemon=True)

    def start(self) -> LivePipeline:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def describe(self) -> str:
        total = sum(DAILY_VOLUME.values())
        return (
            f"Sandbox sending pipeline: {total:,} messages a day from the demo account through "
            f"{self.api_url}/api/v1/routes/ and /events/, answered by the provider model"
        )

    def tick(self, *, seconds: float, now: datetime | None = None) -> SendResult | None:
        """One tick: `seconds` of the day's volume (and the retries), sent now."""
        if self.sender is None:
            domain = demo_sender_domain()
            if domain is None:
                return None
            self.sender = SandboxSender(
                transport=HttpTransport(api_url=self.api_url, key=self.key),
                sender_domain=domain,
                epoch=timezone.now().date(),
            )
        recipients = self.sender.due(daily_volume=DAILY_VOLUME, seconds=seconds)
        return self.sender.send(now=now or timezone.now(), recipients=recipients)

    def _run(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                result = self.tick(seconds=TICK_SECONDS)
                if result is not None:
                    logger.info("sandbox pipeline: %s", result.sentence())
            except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
                # The web server is starting or restarting: the next tick tries again.
                logger.warning("sandbox pipeline: %s; retrying at the next tick", exc)
            finally:
                close_old_connections()


def demo_sender_domain() -> str | None:
    """The demo account's first verified domain, if the demo data is loaded."""
    return (
        Domain.objects.filter(account__name=DEMO_ACCOUNT, status=Domain.Status.VERIFIED)
        .order_by("pk")
        .values_list("name", flat=True)
        .first()
    )


def start(*, api_url: str) -> LivePipeline:
    """For `manage.py serve` in sandbox mode (warmup_site.demo.SANDBOX_SERVICES): a fresh
    pipeline credential (the previous sandbox one revoked) and the thread."""
    for old in PipelineCredential.objects.filter(name=CREDENTIAL_NAME, revoked_at__isnull=True):
        pipeline_credential_revoke(credential=old)
    _credential, key = pipeline_credential_create(name=CREDENTIAL_NAME)
    close_old_connections()
    return LivePipeline(api_url=api_url, key=key).start()


def history(*, account: Account, days: int, end: date, daily_volume: dict[str, int]) -> None:
    """Run `days` past days up to `end` (exclusive) through routing, the models, ingestion and
    the nightly controller, eight sending slots a day (ips/demo.py)."""
    domain = (
        Domain.objects.filter(account=account, status=Domain.Status.VERIFIED)
        .order_by("pk")
        .values_list("name", flat=True)
        .first()
    )
    if domain is None:
        return
    first = end - timedelta(days=days)
    sender = SandboxSender(transport=ServiceTransport(), sender_domain=domain, epoch=first)
    for offset in range(days):
        midnight = datetime.combine(first + timedelta(days=offset), time.min, tzinfo=UTC)
        for hour in range(1, 24, 3):
            recipients = sender.due(daily_volume=daily_volume, seconds=3 * 3600)
            sender.send(now=midnight + timedelta(hours=hour, minutes=30), recipients=recipients)
        controller_run(now=midnight + timedelta(days=1, minutes=10))
