"""The operators' admin: every account's domains, search and status filter, read-only records,
and the "verify now" action."""

from django.contrib.auth.models import Permission

from accounts.tests.factories import MembershipFactory, UserFactory
from domains.models import Domain
from domains.tests.factories import DomainFactory, publish

CHANGELIST = "/admin/domains/domain/"


def test_it_shows_operators_every_accounts_domains(operator_client, account, other_account):
    DomainFactory(account=account, name="ours.example")
    DomainFactory(account=other_account, name="theirs.example")

    page = operator_client.get(CHANGELIST).content.decode()

    assert "ours.example" in page and "theirs.example" in page


def test_it_searches_and_filters_by_status(operator_client, account):
    DomainFactory(account=account, name="alpha.example", status="verified")
    DomainFactory(account=account, name="beta.example")

    searched = operator_client.get(CHANGELIST, {"q": "alpha"}).content.decode()
    filtered = operator_client.get(CHANGELIST, {"status__exact": "pending"}).content.decode()

    assert "alpha.example" in searched and "beta.example" not in searched
    assert "beta.example" in filtered and "alpha.example" not in filtered


def test_it_shows_records_read_only(operator_client, account):
    domain = DomainFactory(account=account, name="example.com")

    page = operator_client.get(f"{CHANGELIST}{domain.pk}/change/").content.decode()

    assert "_warmup.example.com" in page
    assert domain.dkim_keys.get().selector in page
    assert 'name="records-0-value"' not in page  # no inputs: facts are not edited by hand
    assert 'name="name"' not in page
    assert 'name="records-MAX_NUM_FORMS" value="0"' in page  # nothing can be added


def test_it_scopes_non_operator_staff_to_their_accounts(client, account, other_account):
    staff = UserFactory(username="helper", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_domain"))
    MembershipFactory(user=staff, account=account)
    DomainFactory(account=account, name="ours.example")
    theirs = DomainFactory(account=other_account, name="theirs.example")
    client.force_login(staff)

    page = client.get(CHANGELIST).content.decode()

    assert "ours.example" in page and "theirs.example" not in page
    assert client.get(f"{CHANGELIST}{theirs.pk}/change/").status_code == 302


def test_it_verifies_selected_domains_now_and_respects_the_rate_limit(
    operator_client, dns_server, account
):
    good = DomainFactory(account=account, name="good.example")
    bad = DomainFactory(account=account, name="bad.example")
    publish(dns_server, good)
    action = {"action": "verify_now", "_selected_action": [good.pk, bad.pk]}

    first = operator_client.post(CHANGELIST, action, follow=True).content.decode()
    second = operator_client.post(CHANGELIST, action, follow=True).content.decode()

    assert "Checked 2 domains: 1 ok, 1 with problems" in first
    assert "1 newly verified" in first
    assert Domain.objects.get(pk=good.pk).status == "verified"
    assert Domain.objects.get(pk=bad.pk).last_checked_at is not None
    assert "2 domains were checked on demand moments ago and skipped" in second


def test_it_lets_operators_delete_a_domain(operator_client, account):
    domain = DomainFactory(account=account, name="example.com")

    response = operator_client.post(f"{CHANGELIST}{domain.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Domain.objects.exists()
