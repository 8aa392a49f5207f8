"""Sending what is due: compose, DKIM-sign with the domain's active key, hand to the relay.

A message is never sent twice. Workers claim due messages by switching them from `scheduled` to
`sending` in a transaction that skips rows another worker holds (SKIP LOCKED on PostgreSQL;
SQLite serialises writers). A message left in `sending` by a worker that died is marked failed,
not retried: the relay may already have taken it, and a duplicate is worse than a gap.
"""

from __future__ import annotations

import contextlib
import logging
import random
import smtplib
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from domains.models import DkimKey, Domain
from domains.services import warmup_day_add
from engagement import compose
from engagement.models import SeedMailbox, WarmupMessage
from engagement.relay import configured_relay
from warmup_site import crypto

logger = logging.getLogger(__name__)

Status = WarmupMessage.Status
BATCH_SIZE = 200
STALE_SENDING = timedelta(minutes=30)


@dataclass
class SendSummary:
    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    requeued: int = 0
    interrupted: int = 0

    def sentence(self) -> str:
        return (
            f"sent {self.sent} warm-up messages, {self.failed} failed, {self.cancelled} "
            f"cancelled, {self.requeued} back in the queue (relay unreachable), "
            f"{self.interrupted} interrupted earlier marked failed"
        )


def _claim(*, now, batch_size: int) -> list[int]:
    with transaction.atomic():
        ids = list(
            WarmupMessage.objects.filter(status=Status.SCHEDULED, scheduled_at__lte=now)
            .order_by("scheduled_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return []
        WarmupMessage.objects.filter(pk__in=ids, status=Status.SCHEDULED).update(
            status=Status.SENDING, claimed_at=now
        )
    return ids


def messages_send_due(
    *, batch_size: int = BATCH_SIZE, max_batches: int = 50, rng: random.Random | None = None
) -> SendSummary:
    """Send every message whose time has come (every few minutes; safe on several workers)."""
    now = timezone.now()
    summary = SendSummary()
    summary.interrupted = WarmupMessage.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - STALE_SENDING
    ).update(
        status=Status.FAILED,
        error="Interrupted while sending; not retried so that the seed never gets it twice.",
    )
    for _ in range(max_batches):
        ids = _claim(now=now, batch_size=batch_size)
        if not ids:
            break
        _send_batch(ids=ids, summary=summary, rng=rng or random.Random())
        if len(ids) < batch_size:
            break
    return summary


def _send_batch(*, ids: list[int], summary: SendSummary, rng: random.Random) -> None:
    messages = list(
        WarmupMessage.objects.filter(pk__in=ids, status=Status.SENDING)
        .select_related("domain", "domain__warmup", "seed", "parent")
        .order_by("scheduled_at")
    )
    keys = {
        key.domain_id: key
        for key in DkimKey.objects.filter(
            domain_id__in={m.domain_id for m in messages}, state=DkimKey.State.ACTIVE
        )
    }
    active_seeds: dict[int, list[SeedMailbox]] = {}
    for seed in SeedMailbox.objects.filter(
        state=SeedMailbox.State.ACTIVE, provider_id__in={m.provider_id for m in messages}
    ):
        active_seeds.setdefault(seed.provider_id, []).append(seed)

    to_send = []
    for message in messages:
        problem = _cannot_send(message, keys)
        if problem is None and not message.seed.in_rotation:
            # The seed left rotation after scheduling: another seed of the provider takes it.
            choices = active_seeds.get(message.provider_id)
            if choices:
                message.seed = rng.choice(choices)
                message.parent = None  # threads belong to one seed
            else:
                problem = f"No active seed at {message.provider_id} any more."
        if problem:
            message.status = Status.CANCELLED
            message.error = problem
            summary.cancelled += 1
        else:
            to_send.append(message)

    sent_per_day: Counter[int] = Counter()
    if to_send:
        try:
            relay = configured_relay()
            connection = relay.connect()
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            # Nothing was handed over: the messages go back in the queue for the next run.
            logger.warning("warm-up relay unreachable: %s", exc)
            WarmupMessage.objects.filter(pk__in=[m.pk for m in to_send]).update(
                status=Status.SCHEDULED, claimed_at=None, error=f"Relay unreachable: {exc}"
            )
            summary.requeued += len(to_send)
            to_send_ids = {m.pk for m in to_send}
            messages = [m for m in messages if m.pk not in to_send_ids]
            to_send = []
        else:
            try:
                for position, message in enumerate(to_send):
                    connection_ok = _send_one(connection, message, keys[message.domain_id], rng)
                    if message.status == Status.SENT:
                        summary.sent += 1
                        if message.day_id:
                            sent_per_day[message.day_id] += 1
                    else:
                        summary.failed += 1
                    if not connection_ok:
                        # The relay never saw the rest: back in the queue for the next run.
                        rest = to_send[position + 1 :]
                        for waiting in rest:
                            waiting.status = Status.SCHEDULED
                            waiting.claimed_at = None
                            waiting.error = f"Relay connection lost: {message.error}"
                        summary.requeued += len(rest)
                        break
            finally:
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    connection.quit()
    WarmupMessage.objects.bulk_update(
        messages,
        ["status", "claimed_at", "error", "sent_at", "subject", "dkim_selector", "seed", "parent"],
    )
    for day_id, count in sent_per_day.items():
        warmup_day_add(day_id=day_id, sent=count)


def _cannot_send(message: WarmupMessage, keys: dict[int, DkimKey]) -> str | None:
    domain = message.domain
    warmup = getattr(domain, "warmup", None)
    if warmup is None or not warmup.enabled:
        return "Domain Warmup was switched off."
    if domain.status != Domain.Status.VERIFIED:
        return f"{domain.unicode_name} is no longer verified."
    if message.domain_id not in keys:
        return f"{domain.unicode_name} has no active DKIM key."
    return None


def _send_one(connection, message: WarmupMessage, key: DkimKey, rng: random.Random) -> bool:
    """Hand one message to the relay; False when the connection broke and cannot go on."""
    now = timezone.now()
    parent = message.parent
    references = ""
    if parent is not None and parent.reply_message_id:
        references = f"{parent.message_id} {parent.reply_message_id}"
    composed = compose.compose_warmup(
        sender=message.sender,
        to=message.seed.address,
        domain=message.domain.name,
        date=now,
        rng=rng,
        parent_subject=parent.subject if parent else "",
        in_reply_to=parent.reply_message_id if parent else "",
        references=references,
        message_id=message.message_id,
    )
    signed = compose.dkim_sign(
        composed.raw,
        domain=message.domain.name,
        selector=key.selector,
        private_key_pem=crypto.decrypt(key.private_key),
    )
    message.subject = composed.subject
    message.dkim_selector = key.selector
    try:
        connection.sendmail(message.sender, [message.seed.address], signed)
    except smtplib.SMTPRecipientsRefused as exc:
        message.status = Status.FAILED
        message.error = f"Relay refused the recipient: {exc.recipients}"
    except smtplib.SMTPResponseException as exc:
        message.status = Status.FAILED
        message.error = f"Relay answered {exc.smtp_code}: {exc.smtp_error.decode(errors='replace')}"
        if exc.smtp_code == 421:  # the relay is closing the connection
            return False
    except (OSError, smtplib.SMTPException) as exc:
        # The outcome is unknown (the connection broke mid-transaction): never retried.
        message.status = Status.FAILED
        message.error = f"Sending failed: {exc}"
        return False
    else:
        message.status = Status.SENT
        message.sent_at = now
        message.error = ""
    return True
