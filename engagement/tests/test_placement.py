"""Placement tests end to end on real parts: the API gives seed addresses and a token; the
customer's campaign is sent with smtplib straight to the sandbox world (no warm-up code), which
records SPF/DKIM/DMARC and delivers into Dovecot's maildirs; the seeds' sweep finds each copy
over IMAP without touching it; the API and the page report inbox / spam / missing per provider
with the authentication results; the test expires after 24 hours."""

from __future__ import annotations

import pwd
import smtplib
import uuid
from datetime import timedelta
from email.message import EmailMessage

import dkim
import pytest
import time_machine
from django.utils import timezone

from domains.dkim import generate_key_pair
from domains.tests.factories import DomainFactory
from engagement.models import PlacementTest, SeedAction
from engagement.sandbox import maildirs
from engagement.sandbox.model import Reputation
from engagement.sandbox.world import SandboxWorld
from engagement.services import sweep
from engagement.services.seeds import seed_create
from engagement.tests.conftest import SEED_PASSWORD
from providers.models import MailboxProvider
from warmup_site import dns

SEEDS = (
    ("google", "gmail.test", "[Gmail]/Spam"),
    ("microsoft", "outlook.test", "Junk Email"),
    ("yahoo", "yahoo.test", "Bulk"),
)
URL = "/api/v1/placement-tests/"


def _dns_only(name: bytes, timeout: int = 5) -> bytes | None:
    """The world's DKIM key lookup through the app's resolver only (the customer's own key is
    published in DNS, not among the app's keys)."""
    result = dns.lookup(name.decode().rstrip("."), "TXT")
    return result.records[0].encode() if result.ok and result.records else None


@pytest.fixture
def seeds(db, dovecot):
    addresses = {}
    for slug, host, spam in SEEDS:
        address = f"seed-{uuid.uuid4().hex[:8]}@{host}"
        dovecot.add_user(address, SEED_PASSWORD, folders=(spam,))
        seed_create(
            provider=MailboxProvider.objects.get(slug=slug),
            address=address,
            secret=SEED_PASSWORD,
            imap_host=dovecot.host,
            imap_port=dovecot.port,
            imap_tls="none",
        )
        addresses[slug] = address
    return addresses


@pytest.fixture
def world(dovecot, tmp_path):
    user = pwd.getpwnam("dovecot")
    world = SandboxWorld(
        directory=tmp_path / "world",
        mail_root=dovecot.dir / "mail",
        owner=(user.pw_uid, user.pw_gid),
        scan_interval=0,
        dnsfunc=_dns_only,
    ).start()
    yield world
    world.stop()


@pytest.fixture
def published(verified_domain, dns_server):
    """The customer's own DNS: SPF for the sending host, a DKIM key of their own, DMARC."""
    key = generate_key_pair()
    name = verified_domain.name
    dns_server.add(name, "TXT", "v=spf1 ip4:127.0.0.1 -all")
    dns_server.add(f"s1._domainkey.{name}", "TXT", f"v=DKIM1; k=rsa; p={key.public_b64}")
    dns_server.add(f"_dmarc.{name}", "TXT", "v=DMARC1; p=none")
    return key


def campaign(domain: str, key, to: str, *, header: str = "", subject: str = "Spring sale") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Acme News <news@{domain}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@{domain}>"
    msg["Date"] = "Tue, 03 Mar 2026 09:00:00 +0000"
    if header:
        msg["X-Warmup-Test"] = header
    msg.set_content("Twenty percent off everything this week.\n")
    raw = msg.as_bytes()
    signature = dkim.sign(
        raw,
        b"s1",
        domain.encode(),
        key.private_pem.encode(),
        include_headers=[b"from", b"to", b"subject", b"message-id", b"date"],
    )
    return signature + raw


def send(world, mail_from: str, to: str, raw: bytes) -> None:
    # The customer's own MTA: plain smtplib, outside the warm-up code path.
    with smtplib.SMTP(world.host, world.port, local_hostname="mta.customer.example") as smtp:
        smtp.sendmail(mail_from, [to], raw)


def test_a_placement_test_reports_where_the_customers_own_campaign_landed(
    owner_api, member_api, outsider_api, owner_client, verified_domain, seeds, world, published
):
    domain = verified_domain.name
    world.state["reputation"][f"{domain}|google"] = Reputation(base=100).to_dict()
    world.state["reputation"][f"{domain}|microsoft"] = Reputation(base=0).to_dict()

    response = owner_api.post(URL, {"domain": verified_domain.pk}, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    token = created["token"]
    assert created["header"] == "X-Warmup-Test"
    assert sorted(created["seeds"]) == sorted(seeds.values())
    assert created["status"] == "waiting" and created["pending"] == 3
    assert token in created["instructions"]

    # The campaign: the token in the header for Gmail, in the subject for Outlook.com; nothing
    # is sent to the Yahoo seed.
    send(
        world,
        f"bounces@{domain}",
        seeds["google"],
        campaign(domain, published, seeds["google"], header=token),
    )
    send(
        world,
        f"bounces@{domain}",
        seeds["microsoft"],
        campaign(domain, published, seeds["microsoft"], subject=f"Spring sale [{token}]"),
    )

    summary = sweep.seeds_sweep()
    assert summary.test_copies == 2 and summary.seed_errors == 0, summary.errors

    report = owner_api.get(f"{URL}{created['id']}/").json()
    assert (report["inbox"], report["spam"], report["missing"], report["pending"]) == (1, 1, 0, 1)
    rows = {p["provider"]: p for p in report["providers"]}
    google, microsoft, yahoo = rows["google"], rows["microsoft"], rows["yahoo"]
    assert (google["inbox"], microsoft["spam"], yahoo["pending"]) == (1, 1, 1)
    copy = google["copies"][0]
    assert (copy["placement"], copy["folder"]) == ("inbox", "INBOX")
    assert (copy["spf"], copy["dkim"], copy["dmarc"]) == ("pass", "pass", "pass")
    assert "dkim=pass header.d=" + domain in copy["authentication_results"]
    assert microsoft["copies"][0]["folder"] == "Junk Email"

    # The seeds only looked: nothing read, flagged, rescued or answered.
    assert not SeedAction.objects.exists()
    assert world.scan() == 0  # no engagement signal for the world to reward
    junk = list(maildirs.messages(world.mailbox(seeds["microsoft"]), "Junk Email"))
    inbox = list(maildirs.messages(world.mailbox(seeds["google"]), "INBOX"))
    assert [m.flags for m in junk] == [""] and [m.flags for m in inbox] == [""]

    # Members may read and run tests; another account sees nothing.
    assert member_api.get(f"{URL}{created['id']}/").status_code == 200
    assert outsider_api.get(f"{URL}{created['id']}/").status_code == 404
    refused = outsider_api.post(URL, {"domain": verified_domain.pk}, format="json")
    assert refused.status_code == 400 and refused.json()["field"] == "domain"
    page = owner_client.get(f"/placement-tests/{created['id']}/").content.decode()
    assert page.count('class="placement-copy') == 3
    assert "1 inbox, 1 spam, 0 missing, 1 not found yet" in page

    # After 24 hours what was never found is missing, and the test is complete.
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        sweep.seeds_sweep()
        final = owner_api.get(f"{URL}{created['id']}/").json()
    assert (final["status"], final["expired"], final["missing"]) == ("complete", True, 1)
    assert {p["provider"]: p["missing"] for p in final["providers"]}["yahoo"] == 1


def test_it_refuses_an_unverified_or_foreign_domain_and_names_the_field(owner_api, account, seeds):
    pending = DomainFactory(account=account, name="pending.example")
    response = owner_api.post(URL, {"domain": pending.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "domain" and "not verified" in response.json()["message"]

    missing = owner_api.post(URL, {}, format="json")
    assert missing.status_code == 400 and missing.json()["field"] == "domain"
    assert not PlacementTest.objects.exists()


def test_the_page_starts_a_test_without_javascript(owner_client, verified_domain, seeds):
    page = owner_client.get("/placement-tests/").content.decode()
    assert f'<option value="{verified_domain.pk}">' in page

    response = owner_client.post("/placement-tests/", {"domain": verified_domain.pk}, follow=True)

    test = PlacementTest.objects.get()
    assert response.redirect_chain == [(f"/placement-tests/{test.pk}/", 302)]
    body = response.content.decode()
    assert f"X-Warmup-Test: {test.token}" in body
    assert all(address in body for address in seeds.values())


def test_other_accounts_do_not_see_the_test_page(
    outsider_client, owner_api, verified_domain, seeds
):
    created = owner_api.post(URL, {"domain": verified_domain.pk}, format="json").json()
    assert outsider_client.get(f"/placement-tests/{created['id']}/").status_code == 404
    assert created["token"] not in outsider_client.get("/placement-tests/").content.decode()


def test_the_list_costs_the_same_queries_for_any_number_of_tests(
    owner_api, verified_domain, seeds, django_assert_num_queries
):
    for _ in range(2):
        owner_api.post(URL, {"domain": verified_domain.pk}, format="json")
    # 1 the token with its membership, account and user; 2 count for the page; 3 the tests
    # joined with their domain; 4 their seeds with their provider
    with django_assert_num_queries(4):
        few = owner_api.get(URL).json()
    for _ in range(3):
        owner_api.post(URL, {"domain": verified_domain.pk}, format="json")
    with django_assert_num_queries(4):
        many = owner_api.get(URL).json()
    assert (few["count"], many["count"]) == (2, 5)


def test_the_api_schema_describes_placement_tests(client):
    schema = client.get("/api/schema/").content.decode()
    for text in (
        "/api/v1/placement-tests/",
        "/api/v1/placement-tests/{id}/",
        "Start a placement test of a verified domain",
        "Where each copy of the campaign landed, per provider",
    ):
        assert text in schema


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("member", 200), ("outsider", 404)])
def test_the_test_page_is_for_the_accounts_members(
    request, owner_api, verified_domain, seeds, who, status
):
    created = owner_api.post(URL, {"domain": verified_domain.pk}, format="json").json()
    client = request.getfixturevalue(f"{who}_client")
    assert client.get(f"/placement-tests/{created['id']}/").status_code == status
    assert client.get("/placement-tests/").status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client, anon_api):
    assert client.get("/placement-tests/").status_code == 302
    assert anon_api.get(URL).status_code == 401


def test_a_member_may_start_a_test(member_api, verified_domain, seeds):
    response = member_api.post(URL, {"domain": verified_domain.pk}, format="json")
    assert response.status_code == 201


def test_the_list_page_costs_the_same_queries_for_any_number_of_tests(
    owner_client, owner_api, verified_domain, seeds, django_assert_num_queries
):
    owner_client.get("/placement-tests/")  # warm the session

    def render(expected: int) -> str:
        # 1 session, 2 user, 3 current membership, 4 the tests joined with their domain,
        # 5 their seeds with their provider, 6 the verified domains for the form, 7 account
        # choices for the switcher
        with django_assert_num_queries(expected):
            return owner_client.get("/placement-tests/").content.decode()

    owner_api.post(URL, {"domain": verified_domain.pk}, format="json")
    few = render(7)
    for _ in range(3):
        owner_api.post(URL, {"domain": verified_domain.pk}, format="json")
    many = render(7)
    assert few.count("<tr>") + 3 == many.count("<tr>")
