"""Operators in the admin: each account's automatic warm-up switch (recorded with who changed
it), the floor report across accounts, and the warm-up percentage of every IP."""

from datetime import UTC, datetime, timedelta

from ips.models import AccountIpSettings, IpWarmupDay
from ips.tests import factories as f


def test_an_operator_switches_automatic_warm_up_off_for_an_account(operator_client, account):
    response = operator_client.post(
        "/admin/ips/accountipsettings/add/", {"account": account.pk}
    )  # unticked box: off

    assert response.status_code == 302
    row = AccountIpSettings.objects.get(account=account)
    assert (row.auto_warmup_enabled, row.changed_by) == (False, "opal")
    listing = operator_client.get("/admin/ips/accountipsettings/").content.decode()
    assert account.name in listing and "Floor report" in listing


def test_the_floor_report_lists_shortfalls_first(operator_client, account, other_account):
    mine, theirs = f.pool(account=account), f.pool(account=other_account)
    short = [f.warm_ip(pool=mine, address=f"203.0.113.{n}") for n in (1, 2, 3)]
    fine = f.warm_ip(pool=theirs, address="198.51.100.1")
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    for ip, routed in [*((ip, 700) for ip in short), (fine, 5_000)]:
        IpWarmupDay.objects.create(
            warmup=f.warmup(ip, "google"), day=yesterday, cap=50_000, routed=routed * 7
        )

    page = operator_client.get("/admin/ips/accountipsettings/floor-report/").content.decode()

    assert "1 account–provider pair cannot keep every warm IP over the floor" in page
    assert page.index(account.name) < page.index(other_account.name)  # the shortfall first
    assert "2,100 a day to Google (Gmail, Workspace) keeps 2 of 3 warm IPs" in page
    assert "<td>5,000</td>" in page


def test_the_floor_report_is_for_operators_only(client, owner, account):
    client.force_login(owner)
    response = client.get("/admin/ips/accountipsettings/floor-report/")
    assert response.status_code == 302  # to the admin login


def test_the_ip_list_shows_each_ips_warm_up_percentage(
    operator_client, account, django_assert_max_num_queries
):
    pool = f.pool(account=account)
    f.warm_ip(pool=pool, address="203.0.113.1")
    f.warming_ip(pool=pool, address="203.0.113.2")

    with django_assert_max_num_queries(12):
        page = operator_client.get("/admin/ips/dedicatedip/").content.decode()

    assert '<td class="field-warmup_percentage">100%</td>' in page
    assert '<td class="field-warmup_percentage">0%</td>' in page
