"""Feed connections (the customer's own Postmaster Tools and SNDS access) and the fetch job.

`feeds_fetch_due()` (scheduled hourly) claims the connections whose next fetch is due
(`next_fetch_at`, with a lease: several workers never fetch one connection at once) and
fetches each:

* Postmaster Tools: for every verified domain of the account, the days since the last fetch
  (the last three days again: Google revises them) with `domainStats:query`, then
  `getComplianceStatus`. A domain Google does not know (404) or will not show (403) is noted on
  that domain; the others still count.
* SNDS: the data CSV of each day since the last fetch, then the blocked-IP list.

Success schedules the next fetch WARMUP_FEED_INTERVAL_HOURS later and reopens the snapshot days
that received data (the snapshot job recomputes them). A failure is retried with backoff (15 min
doubling, at most the interval); refused credentials, or three failures in a row, turn the
connection *failing* — shown to operators and customers with the provider's own words, and a
`feed.failing` notification. Nothing here ever raises to the scheduler.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from ips.models import utc_day
from reputation import sources
from reputation.feeds import AuthError, FeedError, google_auth
from reputation.feeds.postmaster import Denied, NotRegistered, PostmasterClient
from reputation.feeds.snds import SndsClient
from reputation.models import (
    FeedConnection,
    PostmasterDomain,
    PostmasterDomainDay,
    SndsBlockedRange,
    SndsIpDay,
)
from reputation.services.snapshots import snapshot_days_reopen
from warmup_site import bulk_sql, crypto
from warmup_site.errors import ApplicationError
from warmup_site.jobs import due_batches

logger = logging.getLogger(__name__)

Kind, Auth, Status = FeedConnection.Kind, FeedConnection.Auth, FeedConnection.Status
FAILING_AFTER = 3  # transient failures in a row before a connection counts as failing
RETRY_FIRST = timedelta(minutes=15)
CLAIM_LEASE = timedelta(minutes=15)
REFETCH_DAYS = 3  # providers revise their last days; read them again each time
NO_POSTMASTER_DATA = (
    "no data yet — Postmaster Tools shows a domain's figures only once it sends enough mail to "
    "Gmail users each day (a few hundred messages or more)"
)
NO_SNDS_DATA = (
    "no data yet — SNDS reports an IP only on days it sends mail to Microsoft users, and only "
    "IPs registered to your SNDS account"
)


@dataclass
class FetchResult:
    status: str
    detail: str
    days: set[date]


# --- connections ---------------------------------------------------------------------------------


def feed_connection_set(
    *,
    account: Account | None,
    kind: str,
    secret: str,
    auth: str | None = None,
    client_id: str = "",
    client_secret: str = "",
    delegated_user: str = "",
) -> FeedConnection:
    """Connect (or reconnect) an account's feed. The secret is stored encrypted and never
    shown again; the next fetch is due at once."""
    secret = (secret or "").strip()
    if kind not in Kind.values:
        raise ApplicationError(f"Unknown feed {kind!r} (postmaster or snds).", field="kind")
    if not secret:
        raise ApplicationError("Give the secret (refresh token, key file or key).", field="secret")
    if kind == Kind.POSTMASTER:
        if account is None:
            raise ApplicationError(
                "Postmaster Tools reports on an account's own domains: connect it for an account.",
                field="account",
            )
        auth = auth or Auth.REFRESH_TOKEN
        if auth == Auth.SERVICE_ACCOUNT:
            try:
                identity = google_auth.service_account_email(secret)
            except ValueError as exc:
                raise ApplicationError(f"The service account key {exc}.", field="secret") from None
        elif auth == Auth.REFRESH_TOKEN:
            if not client_id.strip() or not client_secret.strip():
                raise ApplicationError(
                    "A refresh token needs the OAuth client's id and secret it was issued to.",
                    field="client_id" if not client_id.strip() else "client_secret",
                )
            identity = f"OAuth client {client_id.strip()[:40]}"
        else:
            raise ApplicationError(
                "Postmaster Tools takes a refresh_token or a service_account.", field="auth"
            )
    else:
        auth = Auth.KEY
        identity = f"key ending …{secret[-4:]}" if len(secret) >= 12 else "key"
    now = timezone.now()
    values = {
        "auth": auth,
        "secret": crypto.encrypt(secret),
        "client_id": client_id.strip(),
        "client_secret": crypto.encrypt(client_secret.strip()) if client_secret.strip() else "",
        "delegated_user": delegated_user.strip(),
        "identity": identity,
        "enabled": True,
        "status": Status.NEW,
        "status_detail": "",
        "last_error": "",
        "error_since": None,
        "failures": 0,
        "next_fetch_at": now,
    }
    with transaction.atomic():
        feed = FeedConnection.objects.select_for_update().filter(account=account, kind=kind).first()
        if feed is None:
            return FeedConnection.objects.create(account=account, kind=kind, **values)
        for name, value in values.items():
            setattr(feed, name, value)
        feed.save()
    return feed


def feed_connection_delete(*, feed: FeedConnection) -> None:
    """Disconnect; the figures already fetched stay in the snapshots."""
    feed.delete()


# --- fetching ------------------------------------------------------------------------------------


def _window(feed: FeedConnection, today: date) -> tuple[date, date]:
    end = today - timedelta(days=1)
    if feed.fetched_through:
        start = feed.fetched_through - timedelta(days=REFETCH_DAYS - 1)
    else:
        start = today - timedelta(days=settings.WARMUP_FEED_LOOKBACK_DAYS)
    return max(start, today - timedelta(days=settings.WARMUP_FEED_LOOKBACK_DAYS)), end


def _credentials(feed: FeedConnection) -> google_auth.GoogleCredentials:
    try:
        secret = crypto.decrypt(feed.secret)
        client_secret = crypto.decrypt(feed.client_secret) if feed.client_secret else ""
    except crypto.DecryptionError:
        raise AuthError(
            "the stored secret cannot be decrypted (encryption key rotated away?): connect again"
        ) from None
    return google_auth.GoogleCredentials(
        kind=feed.auth,
        secret=secret,
        token_url=settings.WARMUP_GOOGLE_TOKEN_URL,
        client_id=feed.client_id,
        client_secret=client_secret,
        delegated_user=feed.delegated_user,
    )


def _fetch_postmaster(feed: FeedConnection, now: datetime) -> FetchResult:
    today = utc_day(now)
    start, end = _window(feed, today)
    credentials = _credentials(feed)
    timeout = settings.WARMUP_FEED_TIMEOUT
    client = PostmasterClient(
        base_url=settings.WARMUP_POSTMASTER_API_URL,
        token=lambda: google_auth.access_token(credentials, timeout=timeout),
        timeout=timeout,
    )
    domains = sources.verified_domains(account_id=feed.account_id)
    if not domains:
        return FetchResult(
            Status.NO_DATA, "no verified domain to ask Postmaster Tools about", set()
        )
    rows, notes, days = [], [], set()
    with_data = 0
    for domain_id, name in domains:
        state = {"connection": feed, "fetched_at": now}
        try:
            try:
                stats = client.domain_stats(name, start, end) if start <= end else {}
            except AuthError:
                # A cached access token can be revoked before it expires: get a new one once.
                google_auth.forget(credentials)
                stats = client.domain_stats(name, start, end) if start <= end else {}
            compliance = client.compliance(name)
        except NotRegistered as exc:
            state.update(status=PostmasterDomain.Status.NOT_FOUND, detail=exc.message)
            notes.append(exc.message)
        except Denied as exc:
            state.update(status=PostmasterDomain.Status.DENIED, detail=exc.message)
            notes.append(exc.message)
        else:
            for day, values in stats.items():
                rows.append(
                    [
                        domain_id,
                        day.isoformat(),
                        *(values.get(m) for m in _PM_FIELDS),
                        bulk_sql.stamp(now),
                    ]
                )
                days.add(day)
            if stats:
                with_data += 1
            state.update(
                status=PostmasterDomain.Status.OK if stats else PostmasterDomain.Status.NO_DATA,
                detail=f"{len(stats)} days of data" if stats else NO_POSTMASTER_DATA,
                compliance=compliance.status,
                compliance_failing=compliance.failing,
                compliance_checked_at=now,
            )
        PostmasterDomain.objects.update_or_create(domain_id=domain_id, defaults=state)
    with db.cursor() as cursor:
        bulk_sql.upsert(
            cursor,
            table=PostmasterDomainDay._meta.db_table,
            columns=_PM_COLUMNS,
            conflict=["domain_id", "day"],
            rows=rows,
        )
    if with_data:
        detail = f"{len(days)} days of data for {with_data} of {len(domains)} domains"
        if notes:
            detail += "; " + "; ".join(notes)
        return FetchResult(Status.OK, detail, days)
    return FetchResult(Status.NO_DATA, "; ".join(notes) or NO_POSTMASTER_DATA, days)


_PM_FIELDS = ("spam_rate", "spf_rate", "dkim_rate", "dmarc_rate", "delivery_error_rate", "tls_rate")
_PM_COLUMNS = [
    ("domain_id", "bigint"),
    ("day", "date"),
    *[(name, "double precision") for name in _PM_FIELDS],
    ("fetched_at", "timestamptz"),
]
_SNDS_COLUMNS = [
    ("connection_id", "bigint"),
    ("address", "inet"),
    ("day", "date"),
    ("activity_start", "timestamptz"),
    ("activity_end", "timestamptz"),
    ("rcpt", "integer"),
    ("data", "integer"),
    ("recipients", "integer"),
    ("filter_result", "text"),
    ("complaint_rate", "double precision"),
    ("complaint_text", "text"),
    ("trap_hits", "integer"),
    ("trap_start", "timestamptz"),
    ("trap_end", "timestamptz"),
    ("sample_helo", "text"),
    ("sample_mail_from", "text"),
    ("comments", "text"),
    ("fetched_at", "timestamptz"),
]


def _fetch_snds(feed: FeedConnection, now: datetime) -> FetchResult:
    today = utc_day(now)
    start, end = _window(feed, today)
    try:
        key = crypto.decrypt(feed.secret)
    except crypto.DecryptionError:
        raise AuthError(
            "the stored key cannot be decrypted (encryption key rotated away?): set it again"
        ) from None
    client = SndsClient(
        base_url=settings.WARMUP_SNDS_URL, key=key, timeout=settings.WARMUP_FEED_TIMEOUT
    )
    rows, days, addresses = [], set(), set()
    day = start
    while day <= end:
        for r in client.data(day):
            rows.append(
                [
                    feed.pk,
                    r.address,
                    day.isoformat(),
                    *(bulk_sql.stamp(t) if t else None for t in (r.activity_start, r.activity_end)),
                    r.rcpt,
                    r.data,
                    r.recipients,
                    r.filter_result,
                    r.complaint_rate,
                    r.complaint_text,
                    r.trap_hits,
                    *(bulk_sql.stamp(t) if t else None for t in (r.trap_start, r.trap_end)),
                    r.sample_helo,
                    r.sample_mail_from,
                    r.comments,
                    bulk_sql.stamp(now),
                ]
            )
            days.add(day)
            addresses.add(r.address)
        day += timedelta(days=1)
    blocked = client.ip_status()
    with transaction.atomic():
        with db.cursor() as cursor:
            bulk_sql.upsert(
                cursor,
                table=SndsIpDay._meta.db_table,
                columns=_SNDS_COLUMNS,
                conflict=["connection_id", "address", "day"],
                rows=rows,
            )
        SndsBlockedRange.objects.filter(connection=feed).delete()
        SndsBlockedRange.objects.bulk_create(
            SndsBlockedRange(
                connection=feed,
                first=r.first,
                last=r.last,
                blocked=r.blocked,
                detail=r.detail,
                fetched_at=now,
            )
            for r in blocked
        )
    listed = sum(1 for r in blocked if r.blocked)
    if not rows:
        detail = NO_SNDS_DATA + (f"; {listed} blocked ranges" if listed else "")
        return FetchResult(Status.NO_DATA, detail, days)
    ours = set(sources.account_ips(account_id=feed.account_id)) if feed.account_id else addresses
    detail = (
        f"{len(days)} days of data for {len(addresses)} IPs ({len(addresses & ours)} of them "
        f"ours); {listed} blocked ranges"
    )
    return FetchResult(Status.OK, detail, days)


def feed_fetch(*, feed: FeedConnection, now: datetime | None = None) -> FeedConnection:
    """Fetch one connection now and record the outcome on it (never raises a FeedError)."""
    now = now or timezone.now()
    feed.last_attempt_at = now
    try:
        if feed.kind == Kind.POSTMASTER:
            result = _fetch_postmaster(feed, now)
        else:
            result = _fetch_snds(feed, now)
    except AuthError as exc:
        _failed(feed, exc.message, now=now, permanent=True)
    except FeedError as exc:
        _failed(feed, exc.message, now=now, permanent=False)
    except Exception as exc:
        # A payload no parser foresaw must not stop the job (nor the other connections): it is
        # recorded like any failure, and logged with its traceback for us.
        logger.exception("feed %s (%s): unexpected error", feed.pk, feed.kind)
        _failed(
            feed, f"unexpected error ({type(exc).__name__}): {exc}"[:500], now=now, permanent=False
        )
    else:
        feed.status = result.status
        feed.status_detail = result.detail
        feed.last_error = ""
        feed.error_since = None
        feed.failures = 0
        feed.last_success_at = now
        feed.fetched_through = utc_day(now) - timedelta(days=1)
        feed.next_fetch_at = now + timedelta(hours=settings.WARMUP_FEED_INTERVAL_HOURS)
        past = {d for d in result.days if d < utc_day(now)}
        if past:
            snapshot_days_reopen(days=past)
    feed.save()
    return feed


def _failed(feed: FeedConnection, message: str, *, now: datetime, permanent: bool) -> None:
    feed.failures += 1
    feed.last_error = message
    feed.error_since = feed.error_since or now
    if permanent or feed.failures >= FAILING_AFTER:
        feed.status = Status.FAILING
    interval = timedelta(hours=settings.WARMUP_FEED_INTERVAL_HOURS)
    feed.next_fetch_at = now + min(RETRY_FIRST * 2 ** (feed.failures - 1), interval)
    logger.warning("feed %s (%s) failed: %s", feed.pk, feed.kind, message)


def feeds_fetch_due(*, now: datetime | None = None) -> dict[str, int]:
    """Fetch every connection that is due (see the module docstring)."""
    counts = {"fetched": 0, "ok": 0, "no_data": 0, "failed": 0}
    due = FeedConnection.objects.filter(enabled=True)
    for keys in due_batches(
        due, due_field="next_fetch_at", lease=CLAIM_LEASE, batch_size=20, max_batches=50
    ):
        for feed in FeedConnection.objects.filter(pk__in=keys).select_related("account"):
            feed_fetch(feed=feed, now=now)
            counts["fetched"] += 1
            if feed.last_error:
                counts["failed"] += 1
            elif feed.status == Status.NO_DATA:
                counts["no_data"] += 1
            else:
                counts["ok"] += 1
    return counts
