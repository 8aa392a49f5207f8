"""End to end on real parts: the API switch → plan → DKIM-signed mail through an aiosmtpd relay
→ Dovecot spam folders named three ways → the sweep finds, rescues, reads, flags, replies (the
reply arrives at the seeds' SMTP) and files away → placement and actions stored."""

from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes
from itertools import pairwise

import dkim
import time_machine
from django.db.models import Sum

from domains.models import DkimKey, DomainWarmupDay, DomainWarmupPlan
from engagement.models import SeedAction, SeedMailbox, WarmupMessage
from engagement.services import plan, sending, sweep

# Tomorrow morning: after the seeds were made (their sweep is due), before sessions expire.
START = datetime.combine(date.today() + timedelta(days=1), time(8), tzinfo=UTC)


def _dkim_dns(domain):
    key = DkimKey.objects.get(domain=domain, state=DkimKey.State.ACTIVE)

    def dnsfunc(name, timeout=5):
        assert name.decode().rstrip(".") == f"{key.selector}._domainkey.{domain.name}"
        return key.record_value.encode()

    return dnsfunc


def test_it_warms_a_domain_up_through_real_smtp_and_imap(
    owner_api, verified_domain, seed_boxes, junk_relay, reply_sink, dovecot, settings
):
    settings.WARMUP_RESCUE_PROBABILITY = 1.0
    settings.WARMUP_READ_PROBABILITY = 1.0
    settings.WARMUP_FLAG_PROBABILITY = 1.0
    settings.WARMUP_REPLY_PROBABILITY = 1.0
    url = f"/api/v1/domains/{verified_domain.pk}/warmup/"

    with time_machine.travel(START, tick=False) as clock:
        response = owner_api.put(url, {"enabled": True}, format="json")
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["enabled"] is True and body["state"] == "warming"
        covered = [p for p in body["providers"] if p["state"] != "not_covered"]
        assert {p["provider"] for p in covered} == {"google", "microsoft", "yahoo"}
        assert all(p["day"] == 1 and p["today_volume"] == 5 for p in covered)
        scheduled = list(WarmupMessage.objects.filter(domain=verified_domain))
        assert len(scheduled) == 15
        # Spread over the waking hours, never a burst.
        times = sorted(m.scheduled_at for m in scheduled)
        assert times[0] >= START and times[-1] <= START.replace(hour=22)
        # Each provider's five are in five slots of the window, at least half an hour apart
        # (providers are scheduled independently, so two providers may share a minute).
        for provider_id in {m.provider_id for m in scheduled}:
            own = sorted(m.scheduled_at for m in scheduled if m.provider_id == provider_id)
            gaps = [later - earlier for earlier, later in pairwise(own)]
            assert len(own) == 5 and min(gaps) >= timedelta(minutes=30)

        clock.move_to(START.replace(hour=12))
        early = sending.messages_send_due()
        assert 0 < early.sent < 15  # only what was due by noon
        clock.move_to(START.replace(hour=22))
        rest = sending.messages_send_due()
        assert early.sent + rest.sent == 15 and rest.failed == 0

        # Sent through the relay, DKIM-signed with the domain's key, our Message-IDs.
        assert len(junk_relay.messages) == 15
        recorded = {m.message_id for m in WarmupMessage.objects.filter(status="sent")}
        for envelope in junk_relay.messages:
            assert dkim.verify(envelope.content, dnsfunc=_dkim_dns(verified_domain))
            parsed = message_from_bytes(envelope.content)
            assert parsed["Message-ID"] in recorded
            assert parsed["From"] == f"hello@{verified_domain.name}"
            assert not [h for h in parsed if h.lower().startswith("x-")]
            assert b"http" not in envelope.content and b"<img" not in envelope.content
        days = DomainWarmupDay.objects.filter(plan__warmup__domain=verified_domain)
        assert days.aggregate(total=Sum("sent"))["total"] == 15

        # First sweep: every message found in its seed's spam folder, whatever its name.
        first = sweep.seeds_sweep()
        assert first.found == 15 and first.seed_errors == 0
        assert set(WarmupMessage.objects.values_list("placement", flat=True)) == {"spam"}
        remembered = dict(SeedMailbox.objects.values_list("address", "spam_folder"))
        assert remembered == {b.seed.address: b.spam_folder for b in seed_boxes}
        # Round trips per message found stay within the goal even at this small volume.
        assert first.round_trips_per_found <= 3

        # Later, like a person: rescue to the inbox, read, flag, reply.
        clock.move_to(START.replace(hour=22) + timedelta(hours=2))
        second = sweep.seeds_sweep()
        assert second.seed_errors == 0
        kinds = set(SeedAction.objects.values_list("kind", flat=True))
        assert {"found", "rescued", "read", "flagged", "replied"} <= kinds
        for box in seed_boxes:
            inbox_ids = box.folder_message_ids(dovecot, "INBOX")
            assert len(inbox_ids) == 5
            assert box.folder_message_ids(dovecot, box.spam_folder) == set()
            assert all(b"\\Seen" in f and b"\\Flagged" in f for f in box.flags(dovecot, "INBOX"))
        # The replies arrived at the seeds' SMTP, threaded under our messages.
        assert len(reply_sink.messages) == 15
        for envelope in reply_sink.messages:
            reply = message_from_bytes(envelope.content)
            assert reply["In-Reply-To"] in recorded
            assert envelope.rcpt_tos == (f"hello@{verified_domain.name}",)
        assert WarmupMessage.objects.exclude(reply_message_id="").count() == 15

        # Finally filed away into the warm-up folder.
        clock.move_to(START.replace(hour=22) + timedelta(hours=9))
        sweep.seeds_sweep()
        assert set(WarmupMessage.objects.values_list("stage", flat=True)) == {"done"}
        for box in seed_boxes:
            assert len(box.folder_message_ids(dovecot, settings.WARMUP_FOLDER)) == 5
            assert box.folder_message_ids(dovecot, "INBOX") == set()

    days = DomainWarmupDay.objects.filter(plan__warmup__domain=verified_domain)
    # Every message was found in spam and engaged with (rescued, read, flagged, replied).
    assert [(d.sent, d.spam, d.inbox, d.engaged) for d in days] == [(5, 5, 0, 5)] * 3
    plans = DomainWarmupPlan.objects.filter(warmup__domain=verified_domain)
    assert plans.exclude(state="not_covered").count() == 3

    # The next morning's step sees day 1 all in spam, but engaged with: a new domain's spam is
    # no spike, so the ramp goes on.
    with time_machine.travel(START + timedelta(days=1, hours=-3), tick=False):
        plan.warmups_step()
        response = owner_api.get(url)
    providers = [p for p in response.json()["providers"] if p["state"] != "not_covered"]
    assert all(p["day"] == 2 and p["today_volume"] == 8 for p in providers), providers
    assert all(p["reason"].startswith("Day 2: 8/day (step 2 of 7)") for p in providers)
    assert all(p["inbox_rate"] == 0.0 and p["placements"] == 5 for p in providers)
    assert WarmupMessage.objects.filter(status="scheduled").count() == 24
