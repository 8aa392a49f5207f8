"""The Verified Domains pages, without JavaScript, for the owner, a member and an outsider."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from domains.models import Domain, DomainRecord, DomainWarmup, DomainWarmupDay, DomainWarmupPlan
from domains.tests.factories import DomainFactory, publish
from providers.models import MailboxProvider


@pytest.fixture
def domain(account):
    return DomainFactory(account=account, name="example.com")


def body(response) -> str:
    return response.content.decode()


# --- list -----------------------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_log_in(client, domain):
    for path in ("/domains/", f"/domains/{domain.pk}/", "/domains/add/"):
        assert client.get(path)["Location"].startswith("/login/")


def test_it_appears_in_the_menu_as_verified_domains(owner_client):
    page = body(owner_client.get("/"))

    assert '<a class="nav-link" href="/domains/">Verified Domains</a>' in page


@pytest.mark.parametrize("who", ["owner", "member", "outsider"])
def test_it_lists_the_accounts_domains(db, request, domain, other_account, who):
    DomainFactory(account=other_account, name="theirs.example")
    client = request.getfixturevalue(f"{who}_client")

    page = body(client.get(reverse("domains:list")))

    if who == "outsider":
        assert "theirs.example" in page and "example.com" not in page
    else:
        assert "example.com" in page and "theirs.example" not in page
        assert '<span class="badge">Pending</span>' in page
        assert "0 of 4 ok" in page


def test_it_offers_managers_the_add_button_and_tells_members_what_they_may_do(
    owner_client, member_client, domain
):
    owner_page = body(owner_client.get("/domains/"))
    member_page = body(member_client.get("/domains/"))

    assert 'href="/domains/add/"' in owner_page
    assert 'href="/domains/add/"' not in member_page
    assert "you can see domains and verify them. Owners and admins add and delete" in member_page


def test_it_shows_u_labels_and_the_verified_date(owner_client, account):
    DomainFactory(
        account=account, name="xn--bcher-kva.de", status="verified", verified_at="2026-11-20T10:00Z"
    )

    page = body(owner_client.get("/domains/"))

    assert "bücher.de" in page
    assert "20 Nov 2026" in page
    assert '<span class="badge badge-ok">Verified</span>' in page


def _warming(domain: Domain, *, day: int = 4, step: int = 3) -> None:
    """Domain Warmup on, at day `day` at Google and Yahoo (last stepped today)."""
    today = timezone.now().date()
    warmup = DomainWarmup.objects.create(domain=domain, enabled=True, state="warming")
    for slug in ("google", "yahoo"):
        plan = DomainWarmupPlan.objects.create(
            warmup=warmup,
            provider=MailboxProvider.objects.get(slug=slug),
            started_on=today - timedelta(days=day - 1),
            day=day,
            step=step,
            volume=18,
            last_step_on=today,
        )
        DomainWarmupDay.objects.create(
            plan=plan, date=today, day=day, volume=18, decision="advance", sent=3, inbox=2
        )


def test_it_keeps_the_list_page_queries_constant(owner_client, account, django_assert_num_queries):
    owner_client.get("/domains/")  # warm the session

    def render():
        # 1 session, 2 user, 3 current membership (+account), 4 the page's count, 5 its domains
        # with their warm-up and record counts (one aggregate query), 6 their warm-up plans
        # with the provider, 7 the plans' recent days, 8 account choices for the switcher
        with django_assert_num_queries(8):
            return body(owner_client.get("/domains/"))

    _warming(DomainFactory(account=account, name="one.example", status="verified"))
    assert "one.example" in render()
    for domain in DomainFactory.create_batch(10, account=account):
        _warming(domain)
    page = render()
    assert page.count("of 4 ok") == 11
    assert page.count("day 4 of ~7 · warm around") == 11


def test_it_shows_each_domains_warm_up_and_its_estimate(owner_client, account):
    _warming(DomainFactory(account=account, name="news.example", status="verified"))
    DomainFactory(account=account, name="quiet.example")
    finish = timezone.now().date() + timedelta(days=4)

    page = body(owner_client.get("/domains/"))

    assert "day 4 of ~7" in page
    assert f"warm around {finish.day} {finish:%b}" in page
    assert '<span class="badge">Off</span>' in page  # quiet.example never switched on


def test_it_pages_the_list_and_keeps_the_search_in_the_links(owner_client, account):
    for n in range(60):
        DomainFactory(account=account, name=f"d{n:02}.example", with_records=False)
    DomainFactory(account=account, name="other.test", with_records=False)

    first = body(owner_client.get("/domains/"))
    second = body(owner_client.get("/domains/?page=2"))
    found = body(owner_client.get("/domains/?q=EXAMPLE&page=2"))

    assert "1–50 of 61" in first and "d00.example" in first and "other.test" not in first
    assert "51–61 of 61" in second and "other.test" in second
    assert "51–60 of 60" in found and "d59.example" in found and "other.test" not in found
    assert 'href="?q=EXAMPLE&amp;page=1"' in found


def test_it_filters_by_status_and_by_warm_up_state(owner_client, account):
    _warming(DomainFactory(account=account, name="warming.example", status="verified"))
    DomainFactory(account=account, name="verified.example", status="verified")
    DomainFactory(account=account, name="failed.example", status="failed")

    def names(state):
        page = body(owner_client.get(f"/domains/?state={state}"))
        return sorted(n for n in ("warming", "verified", "failed") if f">{n}.example<" in page)

    assert names("verified") == ["verified", "warming"]
    assert names("failed") == ["failed"]
    assert names("warming") == ["warming"]
    assert names("off") == ["failed", "verified"]
    assert names("nonsense") == ["failed", "verified", "warming"]  # an unknown state: no filter
    empty = body(owner_client.get("/domains/?state=warm"))
    assert "No domain matches in this state." in empty


# --- add ------------------------------------------------------------------------------------------


def test_it_adds_a_domain_and_shows_its_records(owner_client, account):
    response = owner_client.post("/domains/add/", {"name": "Example.COM"}, follow=True)

    domain = Domain.objects.get(account=account)
    assert response.redirect_chain == [(f"/domains/{domain.pk}/", 302)]
    page = body(response)
    assert "example.com was added. Publish the records below" in page
    assert f"warmup-verification={domain.ownership_token}" in page
    assert "v=spf1 include:_spf.warmup.invalid ~all" in page


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("co.uk", "co.uk is a public suffix"),
        ("*.example.com", "'*.example.com' is a wildcard"),
        ("", "This field is required."),
    ],
)
def test_it_shows_errors_next_to_the_field(owner_client, name, error):
    response = owner_client.post("/domains/add/", {"name": name})

    page = body(response)
    assert response.status_code == 200
    assert '<div class="field has-error">' in page
    assert f'<p class="error">{error}' in page.replace("&#x27;", "'")
    assert f'value="{name}"' in page or not name  # what was typed stays in the box
    assert not Domain.objects.exists()


def test_it_refuses_the_add_form_to_members(member_client):
    response = member_client.post("/domains/add/", {"name": "example.com"})

    assert response.status_code == 403
    assert "Your role does not allow this" in body(response)
    assert not Domain.objects.exists()


# --- detail ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("member", 200), ("outsider", 404)])
def test_it_shows_a_domain_to_its_account_only(db, request, domain, who, status):
    client = request.getfixturevalue(f"{who}_client")

    assert client.get(f"/domains/{domain.pk}/").status_code == status


def test_it_shows_each_record_with_copy_buttons(owner_client, domain):
    page = body(owner_client.get(f"/domains/{domain.pk}/"))

    for record in domain.records.all():
        assert f'<code id="host-{record.pk}">{record.host}</code>' in page
        assert f'<code id="value-{record.pk}" class="record-value">{record.value}</code>' in page
        assert f'data-copy="#host-{record.pk}"' in page
        assert f'data-copy="#value-{record.pk}"' in page
    assert "at most DNS hosts: <code>_warmup</code>" in page
    assert "at most DNS hosts: <code>@</code>" in page
    assert "Not checked yet" in page
    assert f'action="/domains/{domain.pk}/verify/"' in page


def test_it_verifies_from_the_page_and_shows_the_result(owner_client, dns_server, domain):
    publish(dns_server, domain)

    response = owner_client.post(f"/domains/{domain.pk}/verify/", follow=True)

    assert response.redirect_chain == [(f"/domains/{domain.pk}/#records", 302)]
    page = body(response)
    assert "example.com is verified." in page
    assert "Last checked" in page
    assert page.count('<span class="badge badge-ok">OK</span>') == 5


def test_it_says_what_to_change_after_a_failed_check(member_client, dns_server, domain):
    publish(dns_server, domain, skip={DomainRecord.Kind.DKIM})

    page = body(member_client.post(f"/domains/{domain.pk}/verify/", follow=True))

    assert "example.com is not verified yet: DKIM needs attention." in page
    assert "There is no DKIM record at" in page
    assert '<span class="badge badge-bad">Missing</span>' in page


def test_it_answers_429_with_retry_after_on_the_page(owner_client, domain):
    owner_client.post(f"/domains/{domain.pk}/verify/")

    response = owner_client.post(f"/domains/{domain.pk}/verify/")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "was checked moments ago" in body(response)


def test_it_refuses_verify_for_another_accounts_domain(outsider_client, domain):
    assert outsider_client.post(f"/domains/{domain.pk}/verify/").status_code == 404


def test_it_explains_a_failed_domain(owner_client, domain):
    Domain.objects.filter(pk=domain.pk).update(
        status="failed", problem="Required records are not right: DKIM missing."
    )

    page = body(owner_client.get(f"/domains/{domain.pk}/"))

    assert "Verification failed" in page
    assert "Required records are not right: DKIM missing." in page


def test_it_warns_before_a_verified_domain_fails(owner_client, domain):
    Domain.objects.filter(pk=domain.pk).update(
        status="verified", consecutive_failures=1, problem="SPF mismatch."
    )

    page = body(owner_client.get(f"/domains/{domain.pk}/"))

    assert "If they are still wrong on 2 more daily checks" in page


# --- delete and rotate ----------------------------------------------------------------------------


def test_it_asks_before_deleting(owner_client, domain):
    confirm = owner_client.get(f"/domains/{domain.pk}/delete/")

    assert confirm.status_code == 200
    assert "Remove example.com?" in body(confirm)
    assert Domain.objects.filter(pk=domain.pk).exists()

    response = owner_client.post(f"/domains/{domain.pk}/delete/", follow=True)

    assert response.redirect_chain == [("/domains/", 302)]
    assert "example.com was removed." in body(response)
    assert not Domain.objects.filter(pk=domain.pk).exists()


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("outsider", 404)])
def test_it_refuses_delete_to_members_and_outsiders(db, request, domain, who, status):
    client = request.getfixturevalue(f"{who}_client")

    assert client.get(f"/domains/{domain.pk}/delete/").status_code == status
    assert client.post(f"/domains/{domain.pk}/delete/").status_code == status
    assert Domain.objects.filter(pk=domain.pk).exists()


def test_it_hides_delete_and_rotate_from_members(member_client, domain):
    page = body(member_client.get(f"/domains/{domain.pk}/"))

    assert "/delete/" not in page
    assert "/dkim/rotate/" not in page
    assert "you can see domains and verify them" in page


def test_it_rotates_the_dkim_key_from_the_page(owner_client, domain):
    response = owner_client.post(f"/domains/{domain.pk}/dkim/rotate/", follow=True)

    page = body(response)
    assert "A new DKIM key was made under the selector" in page
    assert "Next (published, waiting to verify)" in page
    assert domain.records.filter(kind="dkim").count() == 2


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("outsider", 404)])
def test_it_refuses_rotation_to_members_and_outsiders(db, request, domain, who, status):
    client = request.getfixturevalue(f"{who}_client")

    assert client.post(f"/domains/{domain.pk}/dkim/rotate/").status_code == status
    assert domain.dkim_keys.count() == 1


def test_it_says_when_dns_did_not_answer(owner_client, dns_server, domain):
    publish(dns_server, domain)
    dns_server.fail("_dmarc.example.com", "SERVFAIL")

    page = body(owner_client.post(f"/domains/{domain.pk}/verify/", follow=True))

    assert "example.com is not verified yet. We could not check DMARC" in page
    assert "changes nothing" in page
    assert '<span class="badge badge-info">Could not check</span>' in page


def test_it_explains_spf_verdicts_in_plain_words(owner_client, dns_server, domain):
    publish(dns_server, domain, spf="v=spf1 ptr a:mail.example.com\rinclude:_spf.warmup.invalid")

    page = body(owner_client.post(f"/domains/{domain.pk}/verify/", follow=True))

    assert "example.com is not verified yet: SPF needs attention." in page
    assert "Receivers reject your SPF record as broken (permerror)" in page
    assert "it contains a carriage return (CR)" in page
    assert "Publish the record again on one line" in page
    assert "Your record uses ptr, which RFC 7208 asks senders not to use" in page
    assert "v=spf1 ptr a:mail.example.com include:_spf.warmup.invalid ~all" in page


def test_it_says_when_the_spf_lookup_timed_out(owner_client, dns_server, domain, settings):
    settings.WARMUP_DNS_TIMEOUT = 0.3
    publish(dns_server, domain)
    dns_server.fail("example.com", "TIMEOUT", rtype="TXT")

    page = body(owner_client.post(f"/domains/{domain.pk}/verify/", follow=True))

    assert "example.com is not verified yet. We could not check SPF" in page
    assert "the TXT lookup of example.com failed (no answer within 0.3 s)" in page
    assert "ask the DNS host of example.com why TXT queries fail" in page
    assert '<span class="badge badge-info">Could not check</span>' in page


def test_it_says_why_a_txt_record_is_not_read_as_spf(owner_client, dns_server, domain):
    publish(dns_server, domain, spf="v=spf1include:_spf.warmup.invalid ~all")

    page = body(owner_client.post(f"/domains/{domain.pk}/verify/", follow=True))

    assert "Receivers find no SPF record at example.com (result none)" in page
    assert "v=spf1 must be followed by a space" in page
    assert '<span class="badge badge-bad">Missing</span>' in page
