"""Who hears of an event and how: preferences, recipients, mail now or in the digest, webhooks."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import MANAGE_ROLES, Account, Membership
from reputation.models import (
    DEFAULT_KINDS,
    Kind,
    NotificationEvent,
    NotificationPreference,
    WebhookDelivery,
    WebhookEndpoint,
)
from reputation.services import webhooks
from warmup_site.errors import ApplicationError

logger = logging.getLogger(__name__)

# --- preferences and recipients ------------------------------------------------------------------


@dataclass(frozen=True)
class Preference:
    kinds: frozenset[str]
    email: bool
    digest: bool
    extra: tuple[str, ...]

    @classmethod
    def of(cls, row: NotificationPreference | None) -> Preference:
        if row is None:
            return cls(frozenset(DEFAULT_KINDS), True, False, ())
        return cls(frozenset(row.kinds), row.email, row.digest, tuple(row.extra_recipients))


def notification_preference_set(
    *,
    account: Account,
    kinds: list[str] | None = None,
    email: bool | None = None,
    digest: bool | None = None,
    extra_recipients: list[str] | None = None,
) -> NotificationPreference:
    pref, _ = NotificationPreference.objects.get_or_create(
        account=account, defaults={"kinds": list(DEFAULT_KINDS)}
    )
    if kinds is not None:
        unknown = sorted(set(kinds) - set(DEFAULT_KINDS))
        if unknown:
            raise ApplicationError(
                f"Unknown event kinds: {', '.join(unknown)} (known: {', '.join(DEFAULT_KINDS)}).",
                field="kinds",
            )
        pref.kinds = [k for k in DEFAULT_KINDS if k in kinds]
    if email is not None:
        pref.email = email
    if digest is not None:
        pref.digest = digest
    if extra_recipients is not None:
        cleaned = []
        for index, address in enumerate(extra_recipients):
            try:
                validate_email(address)
            except Exception:
                raise ApplicationError(
                    f"{address!r} is not an e-mail address.", field=f"extra_recipients[{index}]"
                ) from None
            cleaned.append(address.strip().lower())
        pref.extra_recipients = cleaned
    pref.save()
    return pref


def operator_emails() -> list[str]:
    """Where operator events are mailed: WARMUP_OPERATOR_EMAILS, else every active operator's
    address."""
    if settings.WARMUP_OPERATOR_EMAILS:
        return list(settings.WARMUP_OPERATOR_EMAILS)

    operate = Permission.objects.filter(content_type__app_label="accounts", codename="operate")
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(
            Q(is_superuser=True)
            | Q(is_staff=True, groups__permissions__in=operate)
            | Q(is_staff=True, user_permissions__in=operate)
        )
    )
    return sorted(set(users.values_list("email", flat=True)))


def _account_emails(account_ids) -> dict[int, list[str]]:
    emails: dict[int, set[str]] = defaultdict(set)
    for account_id, email in (
        Membership.objects.filter(account_id__in=list(account_ids), role__in=list(MANAGE_ROLES))
        .exclude(user__email="")
        .filter(user__is_active=True)
        .values_list("account_id", "user__email")
    ):
        emails[account_id].add(email)
    return {k: sorted(v) for k, v in emails.items()}


# --- mail ----------------------------------------------------------------------------------------


def _footer(account_name: str | None) -> str:
    where = f"{settings.WARMUP_SITE_URL}/admin/reputation/notificationpreference/"
    who = f"the {account_name} account" if account_name else "the operators"
    return (
        f"\n\n-- \nWarmup sent this to {who}. Choose which events you receive, and a daily "
        f"digest instead, in the notification settings ({where}) or with "
        f"PUT /api/v1/reputation/notifications/."
    )


def _event_mail(event: NotificationEvent, recipients: list[str], account_name) -> EmailMessage:
    return EmailMessage(
        subject=f"[Warmup] {event.title}",
        body=f"{event.title}\n\n{event.text}\n\n{event.occurred_at:%Y-%m-%d %H:%M} UTC"
        + _footer(account_name),
        to=recipients,
    )


# --- dispatch ------------------------------------------------------------------------------------


@dataclass
class DispatchSummary:
    events: int = 0
    emails: int = 0
    webhooks: int = 0
    stale: int = 0

    def sentence(self) -> str:
        return (
            f"dispatched {self.events} events: {self.emails} e-mails, {self.webhooks} webhook "
            f"deliveries queued, {self.stale} stale events not sent"
        )


def notifications_dispatch(*, now: datetime | None = None, limit: int = 500) -> DispatchSummary:
    """Send the events not dispatched yet: mail now (unless the account wants a digest) and a
    webhook delivery per endpoint that wants the kind. Each event is claimed with a
    conditional UPDATE, so two workers never send one twice."""
    now = now or timezone.now()
    summary = DispatchSummary()
    with transaction.atomic():
        queue = NotificationEvent.objects.filter(dispatched_at__isnull=True).order_by("created_at")
        if connection.features.has_select_for_update_skip_locked:
            # Only the events' rows: the account is an outer join (operators' events).
            queue = queue.select_for_update(skip_locked=True, of=("self",))
        events = list(queue.select_related("account")[:limit])
        if not events:
            return summary
        NotificationEvent.objects.filter(pk__in=[e.pk for e in events]).update(dispatched_at=now)
        account_ids = {e.account_id for e in events if e.account_id}
        prefs = {
            p.account_id: Preference.of(p)
            for p in NotificationPreference.objects.filter(account_id__in=account_ids)
        }
        endpoints: dict[int | None, list[WebhookEndpoint]] = defaultdict(list)
        for endpoint in WebhookEndpoint.objects.filter(active=True).filter(
            Q(account_id__in=account_ids) | Q(account__isnull=True)
        ):
            endpoints[endpoint.account_id].append(endpoint)
        emails = _account_emails(account_ids)
        operators = operator_emails() if any(e.account_id is None for e in events) else []
        mails: list[EmailMessage] = []
        emailed: list[int] = []
        deliveries: list[WebhookDelivery] = []
        for event in events:
            summary.events += 1
            if event.stale:
                summary.stale += 1
                continue
            if event.account_id is None:
                pref = Preference(frozenset(Kind.values), True, False, ())
                recipients = operators
            else:
                pref = prefs.get(event.account_id) or Preference.of(None)
                recipients = sorted({*emails.get(event.account_id, ()), *pref.extra})
            if event.kind not in pref.kinds:
                continue
            if pref.email and not pref.digest and recipients:
                mails.append(
                    _event_mail(event, recipients, event.account.name if event.account else None)
                )
                emailed.append(event.pk)
            for endpoint in endpoints.get(event.account_id, ()):
                if endpoint.wants(event.kind):
                    deliveries.append(
                        webhooks.delivery_for(endpoint=endpoint, event=event, now=now)
                    )
        if emailed:
            NotificationEvent.objects.filter(pk__in=emailed).update(emailed_at=now)
        created = WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        summary.webhooks = len(created)
        ids = list(
            WebhookDelivery.objects.filter(
                event_id__in=[e.pk for e in events], attempts=0
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: webhooks.deliveries_enqueue(ids))
    summary.emails = _send(mails)
    return summary


def _send(mails: list[EmailMessage]) -> int:
    if not mails:
        return 0
    try:
        with get_connection() as mail:
            return mail.send_messages(mails) or 0
    except Exception:
        # The events stay recorded (and are in the admin); a mail server outage must not make
        # the dispatcher send the webhooks twice.
        logger.exception("could not send %d notification e-mails", len(mails))
        return 0


def notifications_digest(*, now: datetime | None = None) -> int:
    """One mail per account that chose the digest, with the events of the last day it has not
    been mailed yet. Returns the number of mails sent."""
    now = now or timezone.now()
    prefs = list(
        NotificationPreference.objects.filter(email=True, digest=True).select_related("account")
    )
    if not prefs:
        return 0
    emails = _account_emails([p.account_id for p in prefs])
    mails, sent_ids = [], []
    pending = defaultdict(list)
    for event in NotificationEvent.objects.filter(
        account_id__in=[p.account_id for p in prefs],
        dispatched_at__isnull=False,
        emailed_at__isnull=True,
        stale=False,
        occurred_at__gte=now - timedelta(days=2),
    ).order_by("occurred_at"):
        pending[event.account_id].append(event)
    for pref_row in prefs:
        pref = Preference.of(pref_row)
        events = [e for e in pending.get(pref_row.account_id, ()) if e.kind in pref.kinds]
        recipients = sorted({*emails.get(pref_row.account_id, ()), *pref.extra})
        if not events or not recipients:
            continue
        lines = [f"- {e.occurred_at:%d %b %H:%M} UTC — {e.title}\n  {e.text}" for e in events]
        mails.append(
            EmailMessage(
                subject=f"[Warmup] Daily digest: {len(events)} events for {pref_row.account.name}",
                body="\n\n".join(lines) + _footer(pref_row.account.name),
                to=recipients,
            )
        )
        sent_ids.extend(e.pk for e in events)
    sent = _send(mails)
    if sent:
        NotificationEvent.objects.filter(pk__in=sent_ids).update(emailed_at=now)
    return sent
