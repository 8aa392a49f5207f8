"""Postfix's delivery log → delivery events: the parser on recorded lines, and the command."""

import json
from datetime import UTC, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from ips.models import DeliveryEvent, IpWarmupDay
from ips.postfix_log import PostfixLogParser
from ips.tests import factories as f

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TRANSPORTS = {"postfix-ip5": "203.0.113.5"}

# A day of a Postfix host with two per-IP transports (syslog names postfix-ip5, and
# postfix/203.0.113.6 which names its IP itself), the default smtp transport, local delivery, a
# throttling Gmail, an unknown Yahoo recipient, its DSN and a connection timeout.
LOG = """\
Nov 23 10:14:59 mta1 postfix/pickup[4100]: 3F2A1C0D12: uid=1000 from=<news@acme.example>
Nov 23 10:14:59 mta1 postfix/cleanup[4101]: 3F2A1C0D12: message-id=<20261123101459.3F2A1C0D12@acme.example>
Nov 23 10:14:59 mta1 postfix/qmgr[4000]: 3F2A1C0D12: from=<news@acme.example>, size=2048, nrcpt=4 (queue active)
Nov 23 10:15:00 mta1 postfix-ip5/smtp[4200]: 3F2A1C0D12: to=<ann@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.27.26]:25, delay=1.2, delays=0.1/0.01/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 OK  1700000000 a1si123456qkb.12 - gsmtp)
Nov 23 10:15:01 mta1 postfix-ip5/smtp[4201]: 3F2A1C0D12: to=<bob@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.27.26]:25, delay=2.1, delays=0.1/0.01/0.5/1.5, dsn=4.7.28, status=deferred (host gmail-smtp-in.l.google.com[142.250.27.26] said: 421-4.7.28 [203.0.113.5      15] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. 421 4.7.28  https://support.google.com/mail/?p=UnsolicitedRateLimitError a1si123456qkb.12 - gsmtp (in reply to end of DATA command))
Nov 23 10:15:02 mta1 postfix/203.0.113.6/smtp[4202]: 3F2A1C0D12: to=<nobody@yahoo.com>, relay=mta7.am0.yahoodns.net[67.195.204.72]:25, delay=0.8, delays=0.1/0/0.4/0.3, dsn=5.1.1, status=bounced (host mta7.am0.yahoodns.net[67.195.204.72] said: 554 5.1.1 <nobody@yahoo.com>: Recipient address rejected: User unknown (in reply to RCPT TO command))
Nov 23 10:15:02 mta1 postfix/smtp[4203]: 3F2A1C0D12: to=<dave@example.org>, relay=mx.example.org[192.0.2.25]:25, delay=0.7, delays=0.1/0/0.3/0.3, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9A8B7C6D5E)
Nov 23 10:15:02 mta1 postfix/bounce[4300]: 3F2A1C0D12: sender non-delivery notification: 5C3B2D1E0F
Nov 23 10:15:02 mta1 postfix/qmgr[4000]: 5C3B2D1E0F: from=<>, size=3010, nrcpt=1 (queue active)
Nov 23 10:15:03 mta1 postfix-ip5/smtp[4204]: 5C3B2D1E0F: to=<news@acme.example>, relay=mx.acme.example[198.51.100.7]:25, delay=0.4, delays=0/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 1F2E3D4C5B)
Nov 23 10:15:03 mta1 postfix/qmgr[4000]: 5C3B2D1E0F: removed
Nov 23 10:15:04 mta1 postfix/local[4400]: 7D6C5B4A39: to=<root@mta1.acme.example>, relay=local, delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)
2026-11-23T10:46:00.123456+00:00 mta1 postfix/203.0.113.6/smtp[4205]: 3F2A1C0D12: to=<carl@outlook.com>, relay=none, delay=1861, delays=1831/0/30/0, dsn=4.4.1, status=deferred (connect to outlook-com.olc.protection.outlook.com[52.101.68.18]:25: Connection timed out)
Nov 23 10:47:00 mta1 postfix-ip5/smtp[4206]: 0A1B2C3D4E: to=<erin@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.27.26]:25, delay=0.9, delays=0.1/0/0.4/0.4, dsn=2.0.0, status=sent (250 2.0.0 OK - gsmtp)
"""  # noqa: E501 — recorded lines


def parse(log=LOG, **kwargs):
    parser = PostfixLogParser(transports=TRANSPORTS, now=NOW, **kwargs)
    return [e for e in map(parser.feed, log.splitlines()) if e], parser


def test_it_turns_each_delivery_result_of_our_ips_into_an_event():
    events, parser = parse()

    summary = [
        (e["type"], e["ip"], e["recipient"], e["smtp_code"], e["enhanced_status"]) for e in events
    ]
    assert summary == [
        ("delivered", "203.0.113.5", "ann@gmail.com", 250, "2.0.0"),
        ("deferred", "203.0.113.5", "bob@gmail.com", 421, "4.7.28"),
        ("bounced", "203.0.113.6", "nobody@yahoo.com", 554, "5.1.1"),
        ("delivered", "203.0.113.5", "news@acme.example", 250, "2.0.0"),
        ("deferred", "203.0.113.6", "carl@outlook.com", None, ""),
    ]
    assert {e["sender_domain"] for e in events} == {"acme.example"}  # the DSN's too
    assert events[1]["response"].startswith("421-4.7.28 [203.0.113.5      15] Our system")
    assert events[1]["response"].endswith("a1si123456qkb.12 - gsmtp")
    assert events[2]["response"] == (
        "554 5.1.1 <nobody@yahoo.com>: Recipient address rejected: User unknown"
    )
    # No remote reply: Postfix's own words, no code.
    assert events[4]["response"].startswith("connect to outlook-com.olc.protection.outlook.com")
    assert events[0]["timestamp"] == "2026-11-23T10:15:00+00:00"
    assert events[4]["timestamp"] == "2026-11-23T10:46:00.123456+00:00"
    assert parser.stats["not ours"] == 1  # the default transport's dave@example.org
    assert parser.stats["sender unknown"] == 1  # erin@gmail.com: its qmgr line came earlier


def test_it_gives_each_line_one_stable_id():
    first, _ = parse()
    again, _ = parse()
    assert [e["id"] for e in first] == [e["id"] for e in again]
    assert len({e["id"] for e in first}) == len(first)
    assert first[0]["id"].startswith("pf-3F2A1C0D12-")


def test_it_reads_traditional_timestamps_in_the_given_zone_and_year():
    line = LOG.splitlines()[2:4]
    berlin, _ = parse("\n".join(line), tz=ZoneInfo("Europe/Berlin"))
    assert berlin[0]["timestamp"] == "2026-11-23T10:15:00+01:00"
    # December's lines read early in January belong to the year before.
    december = "\n".join(x.replace("Nov 23", "Dec 31") for x in line)
    parser = PostfixLogParser(transports=TRANSPORTS, now=datetime(2027, 1, 1, 0, 5, tzinfo=UTC))
    [event] = [e for e in map(parser.feed, december.splitlines()) if e]
    assert event["timestamp"] == "2026-12-31T10:15:00+00:00"


@pytest.fixture
def acme(account, settings):
    f.DomainFactory(account=account, name="acme.example")
    pool = f.pool(account=account)
    return {
        "ip5": f.warming_ip(pool=pool, address="203.0.113.5", caps={"google": 50}),
        "ip6": f.warming_ip(pool=pool, address="203.0.113.6"),
    }


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "mail.log"
    path.write_text(LOG)
    return str(path)


def ingest(*args):
    out, err = StringIO(), StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("ingest_postfix_log", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_stores_the_results_once_and_counts_them_for_the_ips(acme, log_file):
    out, _ = ingest(log_file, "--transport", "postfix-ip5=203.0.113.5")

    assert (
        "read 14 lines: 5 delivery results from our IPs (2 delivered, 2 deferred, 1 bounced)" in out
    )
    assert "stored 5 new events, 0 already known" in out
    assert "1 from transports that are not our IPs" in out
    assert "1 whose sender was logged before this input" in out
    events = DeliveryEvent.objects.order_by("timestamp")
    assert [(e.type, e.ip_id, e.category) for e in events] == [
        ("delivered", acme["ip5"].pk, ""),
        ("deferred", acme["ip5"].pk, "throttled"),
        ("bounced", acme["ip6"].pk, "hard_bounce"),
        ("delivered", acme["ip5"].pk, ""),
        ("deferred", acme["ip6"].pk, ""),
    ]
    gmail = IpWarmupDay.objects.get(warmup=f.warmup(acme["ip5"], "google"))
    assert (gmail.delivered, gmail.deferred, gmail.throttled) == (1, 1, 1)

    # The same file again (or overlapping rotated files): nothing is counted twice.
    out, _ = ingest(log_file, "--transport", "postfix-ip5=203.0.113.5")
    assert "stored 0 new events, 5 already known" in out
    gmail.refresh_from_db()
    assert (gmail.delivered, gmail.deferred, gmail.throttled) == (1, 1, 1)


def test_events_of_sender_domains_nobody_verified_are_stored_in_no_account(acme, tmp_path):
    path = tmp_path / "mail.log"
    path.write_text(LOG.replace("news@acme.example", "news@stranger.example"))

    out, _ = ingest(str(path), "--transport", "postfix-ip5=203.0.113.5")

    assert "stored 5 new events" in out
    assert "in no account: 5 events from sender domains no account has verified" in out
    assert "(stranger.example)" in out
    assert set(DeliveryEvent.objects.values_list("account_id", flat=True)) == {None}
    # As over the API: a dedicated IP counts only its own account's mail (docs/api.md).
    assert not IpWarmupDay.objects.exists()


def test_a_subdomain_belongs_to_the_account_that_verified_its_parent(acme, account, tmp_path):
    path = tmp_path / "mail.log"
    path.write_text(LOG.replace("news@acme.example", "news@mail.acme.example"))

    out, _ = ingest(str(path), "--transport", "postfix-ip5=203.0.113.5")

    assert "in no account" not in out
    assert set(DeliveryEvent.objects.values_list("account_id", flat=True)) == {account.pk}


def test_it_stores_for_the_account_given(acme, account, tmp_path):
    path = tmp_path / "mail.log"
    path.write_text(LOG.replace("news@acme.example", "news@stranger.example"))

    out, _ = ingest(str(path), "--transport", "postfix-ip5=203.0.113.5", "--account", account.slug)

    assert "stored 5 new events" in out
    assert set(DeliveryEvent.objects.values_list("account_id", flat=True)) == {account.pk}


def test_it_prints_the_events_without_storing_them_on_a_dry_run(acme, log_file):
    out, _ = ingest(log_file, "--transport", "postfix-ip5=203.0.113.5", "--dry-run")

    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert len(events) == 5
    assert events[0]["recipient"] == "ann@gmail.com"
    assert not DeliveryEvent.objects.exists()


def test_it_sets_aside_a_line_the_events_api_would_refuse(acme, tmp_path):
    path = tmp_path / "mail.log"
    path.write_text(LOG.replace("to=<ann@gmail.com>", "to=<ann>"))

    out, err = ingest(str(path), "--transport", "postfix-ip5=203.0.113.5")

    assert "events[0].recipient: 'ann' is not an email address" in err
    assert "stored 4 new events" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--transport", "postfix-ip5"], "--transport 'postfix-ip5': write SYSLOG_NAME=IP."),
        (["--transport", "ip5=mta5"], "--transport 'ip5=mta5': 'mta5' is not an IPv4 or IPv6"),
        (["--timezone", "Mars/Olympus"], "--timezone: 'Mars/Olympus' is not a time zone"),
        (["--account", "nobody"], "--account: there is no account 'nobody'."),
        (["--batch", "0"], "--batch: give a number from 1 to 10000."),
        (["/nonexistent/mail.log"], "/nonexistent/mail.log: No such file or directory"),
    ],
)
def test_it_names_the_option_at_fault(db, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace("[", r"\[")):
        ingest(*args)


def test_it_reads_a_stream_on_standard_input(acme, monkeypatch):
    monkeypatch.setattr("sys.stdin", StringIO(LOG))

    out, _ = ingest("--transport", "postfix-ip5=203.0.113.5", "--flush-seconds", "0")

    assert "stored 5 new events" in out
    assert DeliveryEvent.objects.count() == 5
