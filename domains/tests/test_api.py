"""/api/v1/domains/ for the owner, a member and an outsider; the JSON contract; query counts."""

import pytest
from django.utils import timezone

from domains.models import Domain, DomainWarmup, DomainWarmupDay, DomainWarmupPlan
from domains.tests.factories import DomainFactory, publish
from providers.models import MailboxProvider

RECORD_FIELDS = {"kind", "type", "host", "value", "status", "found", "detail", "required"}


@pytest.fixture
def domain(account):
    return DomainFactory(account=account, name="example.com")


def url(domain=None, action=""):
    base = "/api/v1/domains/"
    if domain is None:
        return base
    return f"{base}{domain.pk}/{action}"


# --- reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "names"),
    [("owner", ["example.com"]), ("member", ["example.com"]), ("outsider", ["theirs.example"])],
)
def test_it_lists_only_the_accounts_domains(db, request, domain, other_account, who, names):
    DomainFactory(account=other_account, name="theirs.example")
    client = request.getfixturevalue(f"{who}_api")

    response = client.get(url())

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert [d["name"] for d in response.json()["results"]] == names


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("member", 200), ("outsider", 404)])
def test_it_shows_a_domain_to_its_account_only(db, request, domain, who, status):
    client = request.getfixturevalue(f"{who}_api")

    assert client.get(url(domain)).status_code == status


def test_it_requires_a_token(anon_api, domain):
    assert anon_api.get(url()).status_code == 401
    assert anon_api.get(url(domain)).status_code == 401


def test_it_answers_the_contracted_json(owner_api, account):
    domain = DomainFactory(account=account, name="xn--bcher-kva.de")

    data = owner_api.get(url(domain)).json()

    assert {"id", "name", "status", "verified_at", "warmup", "records"} <= set(data)
    assert data["warmup"] == {
        "enabled": False,
        "keep_warm": True,
        "state": "off",
        "started_at": None,
        "progress": None,
        "estimated_finish": None,
        "providers": [],
    }
    assert data["id"] == domain.pk
    assert data["name"] == "xn--bcher-kva.de"
    assert data["unicode_name"] == "bücher.de"
    assert data["status"] == "pending"
    assert data["verified_at"] is None
    assert [r["kind"] for r in data["records"]] == [
        "ownership",
        "spf",
        "dkim",
        "dmarc",
        "return_path",
    ]
    assert all(set(r) == RECORD_FIELDS for r in data["records"])
    assert {r["status"] for r in data["records"]} == {"pending"}
    assert data["records"][0]["host"] == "_warmup.xn--bcher-kva.de"


def test_it_keeps_the_list_queries_constant(owner_api, account, django_assert_num_queries):
    owner_api.get(url())  # writes the token's last_used_at (at most once a minute)

    def count_queries(expected):
        # 1 the token with its membership, account and user; 2 the page count;
        # 3 the page of domains; 4 their records (one prefetch for the whole page)
        with django_assert_num_queries(expected):
            response = owner_api.get(url())
        return response.json()["count"]

    DomainFactory(account=account)
    assert count_queries(4) == 1
    DomainFactory.create_batch(9, account=account)
    assert count_queries(4) == 10
    # With warm-ups: 5 their per-provider plans with the provider; 6 the plans' recent days.
    today = timezone.now().date()
    for domain in Domain.objects.for_account(account)[:3]:
        warmup = DomainWarmup.objects.create(domain=domain, enabled=True, state="warming")
        for slug in ("google", "yahoo"):
            plan = DomainWarmupPlan.objects.create(
                warmup=warmup,
                provider=MailboxProvider.objects.get(slug=slug),
                started_on=today,
            )
            DomainWarmupDay.objects.create(
                plan=plan, date=timezone.now().date(), day=1, volume=5, decision="start"
            )
    assert count_queries(6) == 10


# --- adding and removing --------------------------------------------------------------------------


def test_it_adds_a_domain(owner_api, account):
    response = owner_api.post(url(), {"name": "Bücher.DE."})

    assert response.status_code == 201
    data = response.json()
    assert data["name"] == "xn--bcher-kva.de"
    assert len(data["records"]) == 5
    assert Domain.objects.get(account=account).name == "xn--bcher-kva.de"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("co.uk", "co.uk is a public suffix"),
        ("example..com", "two dots in a row"),
        ("", "name: This field may not be blank."),
    ],
)
def test_it_names_the_field_and_the_rule(owner_api, name, message):
    response = owner_api.post(url(), {"name": name})

    assert response.status_code == 400
    assert response.json()["field"] == "name"
    assert message in response.json()["message"]
    assert not Domain.objects.exists()


def _name_of_length(length: int) -> str:
    """A legal domain name of exactly `length` characters: 63-character labels, then .com."""
    labels = []
    remaining = length - len(".com")
    while remaining > 0:
        size = min(63, remaining - 1 if remaining > 63 else remaining)
        labels.append("a" * size)
        remaining -= size + 1
    name = ".".join(labels) + ".com"
    assert len(name) == length, len(name)
    return name


def test_it_refuses_a_legal_name_too_long_for_its_record_hosts(owner_api):
    # 253 characters is legal in DNS, but _dmarc.<name> and the DKIM host would not be.
    response = owner_api.post(url(), {"name": _name_of_length(253)})

    assert response.status_code == 400
    assert response.json()["field"] == "name"
    assert "the longest we can publish records for is 223" in response.json()["message"]
    assert not Domain.objects.exists()


def test_it_adds_the_longest_name_it_can_publish_records_for(owner_api):
    response = owner_api.post(url(), {"name": _name_of_length(223)})

    assert response.status_code == 201
    hosts = [record["host"] for record in response.json()["records"]]
    assert max(len(host) for host in hosts) == 253


def test_it_refuses_a_duplicate(owner_api, domain):
    response = owner_api.post(url(), {"name": "EXAMPLE.com"})

    assert response.status_code == 400
    assert response.json() == {
        "message": "example.com is already one of your domains.",
        "field": "name",
    }


def test_it_lets_only_owners_and_admins_add(member_api, outsider_api, other_account):
    refused = member_api.post(url(), {"name": "example.com"})
    added = outsider_api.post(url(), {"name": "example.com"})  # into the outsider's own account

    assert refused.status_code == 403
    assert "ask an owner or admin" in refused.json()["message"]
    assert added.status_code == 201
    assert list(Domain.objects.values_list("account_id", flat=True)) == [other_account.pk]


@pytest.mark.parametrize(("who", "status"), [("owner", 204), ("member", 403), ("outsider", 404)])
def test_it_lets_only_managers_of_the_account_delete(db, request, domain, who, status):
    client = request.getfixturevalue(f"{who}_api")

    response = client.delete(url(domain))

    assert response.status_code == status
    assert Domain.objects.filter(pk=domain.pk).exists() == (status != 204)


# --- verify now -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("member", 200), ("outsider", 404)])
def test_it_lets_members_verify(db, request, dns_server, domain, who, status):
    publish(dns_server, domain)
    client = request.getfixturevalue(f"{who}_api")

    response = client.post(url(domain, "verify/"))

    assert response.status_code == status
    if status == 200:
        data = response.json()
        assert data["status"] == "verified"
        assert data["verified_at"] is not None
        assert {r["status"] for r in data["records"]} == {"ok"}
        spf = next(r for r in data["records"] if r["kind"] == "spf")
        assert "include:_spf.warmup.invalid" in spf["detail"]


def test_it_answers_429_with_retry_after_when_verified_too_often(owner_api, domain, settings):
    settings.WARMUP_VERIFY_MIN_INTERVAL = 60
    assert owner_api.post(url(domain, "verify/")).status_code == 200

    response = owner_api.post(url(domain, "verify/"))

    assert response.status_code == 429
    assert 55 <= int(response["Retry-After"]) <= 60
    assert response.json()["retry_after"] == int(response["Retry-After"])
    assert "was checked moments ago" in response.json()["message"]


def test_it_reports_missing_records_in_words(owner_api, domain):
    data = owner_api.post(url(domain, "verify/")).json()

    assert data["status"] == "pending"
    ownership = data["records"][0]
    assert ownership["status"] == "missing"
    assert ownership["found"] == "_warmup.example.com does not exist (NXDOMAIN)"
    assert "Publish the one shown: it proves that this domain is yours" in ownership["detail"]
    assert data["problem"].startswith("Required records are not right: Ownership missing")


def spf_record(data: dict) -> dict:
    return next(r for r in data["records"] if r["kind"] == "spf")


def test_it_explains_an_spf_record_that_uses_ptr(owner_api, dns_server, domain):
    publish(dns_server, domain, spf="v=spf1 ptr include:_spf.warmup.invalid ~all")

    data = owner_api.post(url(domain, "verify/")).json()

    spf = spf_record(data)
    assert spf["status"] == "ok"
    assert "Your record uses ptr, which RFC 7208 asks senders not to use" in spf["detail"]
    assert "Replace it with ip4:/ip6: ranges" in spf["detail"]


def test_it_explains_a_broken_spf_record_and_what_to_publish(owner_api, dns_server, domain):
    publish(dns_server, domain, spf="v=spf1 ip4:192.0.2.0/024\ninclude:_spf.warmup.invalid ~all")

    data = owner_api.post(url(domain, "verify/")).json()

    spf = spf_record(data)
    assert data["status"] == "pending"
    assert spf["status"] == "mismatch"
    assert spf["found"] == "v=spf1 ip4:192.0.2.0/024\ninclude:_spf.warmup.invalid ~all"
    assert "Receivers reject your SPF record as broken (permerror)" in spf["detail"]
    assert "a line feed (LF)" in spf["detail"]
    assert "Publish the record again on one line" in spf["detail"]
    assert "writes 'ip4:192.0.2.0/024' as ip4:192.0.2.0/24" in spf["detail"]
    assert spf["value"] == "v=spf1 ip4:192.0.2.0/24 include:_spf.warmup.invalid ~all"


def test_it_explains_a_txt_record_meant_as_spf_that_receivers_do_not_read(
    owner_api, dns_server, domain
):
    publish(dns_server, domain, spf='"v=spf1 mx include:_spf.warmup.invalid ~all"')

    spf = spf_record(owner_api.post(url(domain, "verify/")).json())

    assert spf["status"] == "missing"
    assert "Receivers find no SPF record at example.com (result none)" in spf["detail"]
    assert "it starts with a quote or a space" in spf["detail"]
    assert spf["value"] == "v=spf1 mx include:_spf.warmup.invalid ~all"


def test_it_explains_an_spf_lookup_that_timed_out(owner_api, dns_server, domain, settings):
    settings.WARMUP_DNS_TIMEOUT = 0.3
    publish(dns_server, domain)
    dns_server.add("example.com", "A", "192.0.2.1")
    dns_server.fail("example.com", "TIMEOUT", rtype="TXT")

    spf = spf_record(owner_api.post(url(domain, "verify/")).json())

    assert spf["status"] == "error"
    assert "the TXT lookup of example.com failed (no answer within 0.3 s)" in spf["detail"]
    assert "ask the DNS host of example.com why TXT queries fail" in spf["detail"]


# --- DKIM rotation --------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("member", 403), ("outsider", 404)])
def test_it_lets_managers_rotate_the_dkim_key(db, request, domain, who, status):
    client = request.getfixturevalue(f"{who}_api")

    response = client.post(url(domain, "dkim/rotate/"))

    assert response.status_code == status
    if status == 200:
        dkim = [r for r in response.json()["records"] if r["kind"] == "dkim"]
        assert [r["required"] for r in dkim] == [True, False]
        assert dkim[0]["host"] != dkim[1]["host"]


def test_it_explains_a_second_rotation(owner_api, domain):
    owner_api.post(url(domain, "dkim/rotate/"))

    response = owner_api.post(url(domain, "dkim/rotate/"))

    assert response.status_code == 400
    assert "A new DKIM key is already waiting" in response.json()["message"]


def test_it_documents_the_domain_endpoints(client, db):
    schema = client.get("/api/schema/").content.decode()

    for path in (
        "/api/v1/domains/",
        "/api/v1/domains/{id}/",
        "/api/v1/domains/{id}/verify/",
        "/api/v1/domains/{id}/dkim/rotate/",
    ):
        assert path in schema
