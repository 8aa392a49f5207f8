"""Notifications: the scan reads what the other apps store (each event once, keyed), and the
dispatcher mails the right people, honours preferences and the digest, and never sends stale
events or secrets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from accounts.models import Role
from accounts.tests.factories import MembershipFactory
from domains.models import DomainWarmup, DomainWarmupPlan
from engagement.models import SeedMailbox
from ips.models import IpCheck, IpWarmup, IpWarmupDecision
from ips.tests import factories as f
from providers.models import MailboxProvider
from reputation.models import Kind, NotificationCursor, NotificationEvent, WebhookDelivery
from reputation.services import notifications, webhooks
from reputation.services.notifications import notifications_dispatch, notifications_scan
from warmup_site.errors import ApplicationError

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ip(account):
    return f.warming_ip(pool=f.pool(account=account), address="203.0.113.5")


def decide(ip, kind: str, *, provider="google", at=NOW - timedelta(hours=2), reason="Because."):
    pair = IpWarmup.objects.get(ip=ip, provider__slug=provider)
    return IpWarmupDecision.objects.create(
        warmup=pair,
        day=at.date(),
        kind=kind,
        from_state="warming",
        to_state="backoff" if kind == "backoff" else "warming",
        from_stage=3,
        to_stage=2,
        from_cap=300,
        to_cap=150,
        reason=reason,
        created_at=at,
    )


def kinds() -> list[tuple[str, str]]:
    return list(NotificationEvent.objects.order_by("kind", "key").values_list("kind", "title"))


def test_ip_decisions_become_events_once_each(ip):
    backoff = decide(ip, "backoff", reason="Backed off to stage 2: 40 throttling replies (4%).")
    decide(ip, "suspend", provider="yahoo")
    decide(ip, "unsuspend", provider="yahoo")
    decide(ip, "warm", provider="microsoft")
    decide(ip, "advance")  # routine: no event

    first = notifications_scan(now=NOW)
    again = notifications_scan(now=NOW)

    assert (first.new, again.new) == (4, 0)
    assert kinds() == [
        ("ip.warmup_backed_off", "203.0.113.5: warm-up backed off at Google"),
        ("ip.warmup_resumed", "203.0.113.5: warm-up resumed at Yahoo"),
        ("ip.warmup_suspended", "203.0.113.5: warm-up suspended at Yahoo"),
        ("ip.warmup_warm", "203.0.113.5 is warm at Microsoft"),
    ]
    event = NotificationEvent.objects.get(key=f"ipdecision:{backoff.pk}")
    assert event.text == "Backed off to stage 2: 40 throttling replies (4%)."
    assert event.data == {
        "ip": "203.0.113.5",
        "provider": "google",
        "decision": "backoff",
        "day": "2026-11-23",
        "state": "backoff",
        "stage": 2,
        "daily_cap": 150,
    }


def test_the_decision_mark_stays_behind_recent_decisions(ip):
    settled = decide(ip, "backoff", at=NOW - timedelta(hours=3))
    decide(ip, "warm", at=NOW - timedelta(minutes=10))

    notifications_scan(now=NOW)

    # A decision committed late by a long transaction may still get an id below the newest.
    assert NotificationCursor.objects.get(source="ips.decisions").position == settled.pk
    late = decide(ip, "suspend", at=NOW - timedelta(minutes=20))
    assert notifications_scan(now=NOW).new == 1
    assert NotificationEvent.objects.filter(key=f"ipdecision:{late.pk}").exists()


def test_old_decisions_are_recorded_as_stale(ip):
    decide(ip, "backoff", at=NOW - timedelta(days=5))

    notifications_scan(now=NOW)

    assert NotificationEvent.objects.get().stale is True


def test_a_blocklist_listing_is_an_event_for_the_ips_account_or_the_operators(ip, account):
    IpCheck.objects.create(
        ip=ip,
        name="dnsbl:zen.spamhaus.org",
        kind="dnsbl",
        status="fail",
        detail="127.0.0.2: SBL (Spamhaus Block List)",
        changed_at=NOW - timedelta(minutes=5),
    )
    shared = f.warm_ip(pool=f.shared_pool(), address="192.0.2.50")
    IpCheck.objects.create(
        ip=shared, name="dnsbl:bl.spamcop.net", kind="dnsbl", status="fail", changed_at=NOW
    )

    notifications_scan(now=NOW)

    events = {e.title: e.account for e in NotificationEvent.objects.all()}
    assert events == {
        "203.0.113.5 is listed on zen.spamhaus.org": account,
        "192.0.2.50 is listed on bl.spamcop.net": None,
    }


def test_a_domain_about_to_be_unverified_and_an_unverified_one(account):
    f.DomainFactory(
        account=account,
        name="warn.example",
        consecutive_failures=2,
        last_failure_on=date(2026, 11, 23),
        problem="SPF: the record does not include _spf.warmup.invalid.",
    )
    f.DomainFactory(
        account=account, name="gone.example", status="failed", failed_at=NOW - timedelta(hours=1)
    )
    f.DomainFactory(account=account, name="fine.example", consecutive_failures=1)

    notifications_scan(now=NOW)

    assert kinds() == [
        ("domain.unverified", "gone.example is no longer verified"),
        (
            "domain.unverify_warning",
            "warn.example will be unverified if its records stay wrong tomorrow",
        ),
    ]
    warning = NotificationEvent.objects.get(kind=Kind.DOMAIN_UNVERIFY_WARNING)
    assert warning.text == (
        "Its DNS records were wrong on 2 days in a row; on 3 it is unverified. "
        "SPF: the record does not include _spf.warmup.invalid."
    )


def test_domain_warm_up_graduations_and_plans_needing_attention(account):
    domain = f.DomainFactory(account=account, name="news.acme.example")
    warmup = DomainWarmup.objects.create(domain=domain, enabled=True)
    google, yahoo = (MailboxProvider.objects.get(slug=s) for s in ("google", "yahoo"))
    DomainWarmupPlan.objects.create(
        warmup=warmup,
        provider=google,
        started_on=date(2026, 11, 1),
        state="warm",
        graduated_on=date(2026, 11, 23),
        reason="Warm since 23 Nov 2026: inbox rate 94% on 75 placements.",
    )
    DomainWarmupPlan.objects.create(
        warmup=warmup,
        provider=yahoo,
        started_on=date(2026, 11, 1),
        state="needs_attention",
        last_step_on=date(2026, 11, 23),
        reason="Not warm after 21 days.",
    )

    notifications_scan(now=NOW)

    assert kinds() == [
        ("domain.warmup_graduated", "news.acme.example graduated at Google"),
        (
            "domain.warmup_needs_attention",
            "news.acme.example: the warm-up at Yahoo needs attention",
        ),
    ]


def test_a_failing_seed_is_an_operator_event(db):
    SeedMailbox.objects.create(
        provider=MailboxProvider.objects.get(slug="microsoft"),
        address="seed1@outlook.test",
        username="seed1@outlook.test",
        imap_host="imap.example",
        state="login_failed",
        state_reason="AUTHENTICATE failed: invalid credentials",
        last_error_at=NOW - timedelta(minutes=3),
    )

    notifications_scan(now=NOW)

    event = NotificationEvent.objects.get()
    assert (event.kind, event.account) == (Kind.SEED_FAILING, None)
    assert event.title == "Seed mailbox seed1@outlook.test (Microsoft) is out of rotation"


def test_a_provider_that_warm_ups_cannot_reach_is_an_operator_event(account, settings):
    settings.WARMUP_SEEDS_PER_PROVIDER = 3
    yandex = MailboxProvider.objects.get(slug="yandex")
    for name in ("a.acme.example", "b.acme.example"):
        warmup = DomainWarmup.objects.create(
            domain=f.DomainFactory(account=account, name=name), enabled=True
        )
        DomainWarmupPlan.objects.create(
            warmup=warmup, provider=yandex, started_on=date(2026, 11, 20), state="not_covered"
        )

    notifications_scan(now=NOW)
    notifications_scan(now=NOW + timedelta(hours=1))  # the same gap: no second event

    event = NotificationEvent.objects.get()
    assert (event.kind, event.account) == (Kind.SEED_COVERAGE, None)
    assert event.title == "Yandex has no active seed mailbox: add 3"
    assert event.text.startswith("2 domain warm-ups cannot reach Yandex")
    assert event.data == {"provider": "yandex", "seeds_needed": 3, "warmups": 2}

    # Seeds came and failed: a new gap is a new event.
    SeedMailbox.objects.create(
        provider=yandex,
        address="seed1@yandex.test",
        username="seed1@yandex.test",
        imap_host="imap.example",
        state="disabled",
    )
    notifications_scan(now=NOW + timedelta(hours=2))
    assert NotificationEvent.objects.filter(kind=Kind.SEED_COVERAGE).count() == 2


def test_a_warm_provider_back_in_warm_up_is_an_event_for_the_account(account):
    domain = f.DomainFactory(account=account, name="news.acme.example")
    warmup = DomainWarmup.objects.create(domain=domain, enabled=True)
    plan = DomainWarmupPlan.objects.create(
        warmup=warmup,
        provider=MailboxProvider.objects.get(slug="google"),
        started_on=date(2026, 11, 1),
        state="warming",
        graduated_on=date(2026, 11, 10),
    )
    plan.days.create(
        date=date(2026, 11, 23),
        day=23,
        volume=8,
        decision="rewarm",
        reason="Back in warm-up at Google: only 33% of the 9 maintenance messages …",
    )

    notifications_scan(now=NOW)
    notifications_scan(now=NOW)

    event = NotificationEvent.objects.get()
    assert (event.kind, event.account) == (Kind.DOMAIN_REWARM, account)
    assert event.title == "news.acme.example is back in warm-up at Google"
    assert event.text.startswith("Back in warm-up at Google: only 33%")


# --- dispatch ------------------------------------------------------------------------------------


@pytest.fixture
def people(account, owner, member, settings):
    owner.email = "olivia@acme.example"
    owner.save()
    member.email = "mike@acme.example"
    member.save()
    admin = MembershipFactory(account=account, role=Role.ADMIN, user__username="ada").user
    admin.email = "ada@acme.example"
    admin.save()
    settings.WARMUP_OPERATOR_EMAILS = ["ops@warmup.example"]


def test_it_mails_each_event_to_the_owners_and_admins(ip, people):
    decide(ip, "backoff", reason="Backed off: 40 throttling replies.")
    notifications_scan(now=NOW)

    summary = notifications_dispatch(now=NOW)
    again = notifications_dispatch(now=NOW)

    assert (summary.events, summary.emails, again.events) == (1, 1, 0)
    (message,) = mail.outbox
    assert message.to == ["ada@acme.example", "olivia@acme.example"]
    assert message.subject == "[Warmup] 203.0.113.5: warm-up backed off at Google"
    assert "Backed off: 40 throttling replies." in message.body
    assert NotificationEvent.objects.get().emailed_at == NOW


def test_operator_events_go_to_the_operators(people):
    SeedMailbox.objects.create(
        provider=MailboxProvider.objects.get(slug="google"),
        address="seed2@gmail.test",
        username="seed2@gmail.test",
        imap_host="imap.example",
        state="spam_folder_unknown",
        last_error_at=NOW,
    )
    notifications_scan(now=NOW)

    notifications_dispatch(now=NOW)

    assert [m.to for m in mail.outbox] == [["ops@warmup.example"]]


def test_an_account_receives_only_the_kinds_it_chose(ip, account, people):
    notifications.notification_preference_set(account=account, kinds=[Kind.IP_WARM])
    decide(ip, "backoff")
    decide(ip, "warm", provider="yahoo")
    notifications_scan(now=NOW)

    notifications_dispatch(now=NOW)

    assert [m.subject for m in mail.outbox] == ["[Warmup] 203.0.113.5 is warm at Yahoo"]


def test_the_digest_mails_the_days_events_at_once(ip, account, people):
    notifications.notification_preference_set(account=account, digest=True)
    decide(ip, "backoff")
    decide(ip, "warm", provider="yahoo")
    notifications_scan(now=NOW)
    notifications_dispatch(now=NOW)
    assert mail.outbox == []

    with time_machine.travel(NOW + timedelta(hours=22), tick=False):
        assert notifications.notifications_digest() == 1
        assert notifications.notifications_digest() == 0

    (digest,) = mail.outbox
    assert digest.subject == "[Warmup] Daily digest: 2 events for Acme Mail"
    assert "203.0.113.5: warm-up backed off at Google" in digest.body
    assert "203.0.113.5 is warm at Yahoo" in digest.body


def test_stale_events_are_kept_and_not_sent(ip, people):
    decide(ip, "backoff", at=NOW - timedelta(days=3))
    notifications_scan(now=NOW)

    summary = notifications_dispatch(now=NOW)

    assert (summary.events, summary.stale, summary.emails) == (1, 1, 0)
    assert mail.outbox == []


def test_dispatch_queues_a_webhook_delivery_per_endpoint_that_wants_it(ip, account, people):
    everything, _ = webhooks.webhook_endpoint_create(account=account, url="https://a.example/h")
    webhooks.webhook_endpoint_create(
        account=account, url="https://b.example/h", kinds=[Kind.IP_WARM]
    )
    webhooks.webhook_endpoint_create(account=None, url="https://ops.example/h")
    decide(ip, "backoff")
    notifications_scan(now=NOW)

    summary = notifications_dispatch(now=NOW)

    assert summary.webhooks == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint, delivery.kind, delivery.status) == (
        everything,
        Kind.IP_BACKED_OFF,
        "pending",
    )
    assert delivery.next_attempt_at == NOW + webhooks.FIRST_ATTEMPT_GRACE


def test_preferences_refuse_unknown_kinds_and_addresses(account):
    with pytest.raises(ApplicationError, match=r"Unknown event kinds: ip\.on_fire"):
        notifications.notification_preference_set(account=account, kinds=["ip.on_fire"])
    with pytest.raises(ApplicationError) as error:
        notifications.notification_preference_set(
            account=account, extra_recipients=["ok@example.com", "nope"]
        )
    assert error.value.field == "extra_recipients[1]"
