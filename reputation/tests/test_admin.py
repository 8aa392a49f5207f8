"""The reputation admin: every page opens for operators, feed secrets are write-only, a new
webhook's secret is shown once, staff who are not operators see their own account only."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from ips.tests import factories as f
from providers.models import MailboxProvider
from reputation.models import (
    DomainSnapshot,
    FeedConnection,
    NotificationEvent,
    WebhookEndpoint,
)
from reputation.services import feeds
from warmup_site import crypto

PAGES = [
    "domainsnapshot",
    "ipsnapshot",
    "snapshotday",
    "feedconnection",
    "postmasterdomainday",
    "sndsipday",
    "notificationpreference",
    "webhookendpoint",
    "webhookdelivery",
    "notificationevent",
]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_for_operators(operator_client, page):
    assert operator_client.get(f"/admin/reputation/{page}/").status_code == 200


def test_a_feed_secret_is_written_and_never_shown(operator_client, account):
    response = operator_client.post(
        "/admin/reputation/feedconnection/add/",
        {
            "account": account.pk,
            "kind": "snds",
            "auth": "key",
            "client_id": "",
            "delegated_user": "",
            "enabled": "on",
            "new_secret": "the-snds-key-12345",
            "new_client_secret": "",
        },
    )

    assert response.status_code == 302
    feed = FeedConnection.objects.get()
    assert crypto.decrypt(feed.secret) == "the-snds-key-12345"
    page = operator_client.get(f"/admin/reputation/feedconnection/{feed.pk}/change/")
    assert "the-snds-key-12345" not in page.content.decode()
    assert feed.secret not in page.content.decode()
    assert "key ending …2345" in page.content.decode()


def test_saving_without_a_new_secret_keeps_the_stored_one(operator_client, account):
    feed = feeds.feed_connection_set(account=account, kind="snds", secret="keep-this-key-0001")

    operator_client.post(
        f"/admin/reputation/feedconnection/{feed.pk}/change/",
        {
            "account": account.pk,
            "kind": "snds",
            "auth": "key",
            "client_id": "",
            "delegated_user": "",
            "new_secret": "",
            "new_client_secret": "",
        },
    )

    feed.refresh_from_db()
    assert crypto.decrypt(feed.secret) == "keep-this-key-0001"
    assert feed.enabled is False  # the box was unticked


def test_a_new_webhook_endpoint_shows_its_secret_once(operator_client, account):
    response = operator_client.post(
        "/admin/reputation/webhookendpoint/add/",
        {"account": account.pk, "url": "https://hooks.acme.example/warmup", "active": "on"},
        follow=True,
    )

    endpoint = WebhookEndpoint.objects.get()
    (message,) = [str(m) for m in response.context["messages"] if "secret" in str(m)]
    secret = crypto.decrypt(endpoint.secret)
    assert secret in message and message.endswith("copy it now, it is not shown again.")
    page = operator_client.get(f"/admin/reputation/webhookendpoint/{endpoint.pk}/change/")
    assert secret not in page.content.decode()


def test_staff_who_are_not_operators_see_their_own_accounts_rows(
    client, owner, account, other_account
):
    owner.is_staff = True
    owner.save()
    owner.user_permissions.add(Permission.objects.get(codename="view_notificationevent"))
    client.force_login(owner)
    for acct, title in ((account, "mine"), (other_account, "theirs"), (None, "operators'")):
        NotificationEvent.objects.create(
            account=acct, key=title, kind="test", title=title, text="", occurred_at=timezone.now()
        )

    page = client.get("/admin/reputation/notificationevent/").content.decode()

    assert "mine" in page and "theirs" not in page and "operators&#x27;" not in page


def test_snapshots_are_read_only(operator_client, account):
    domain = f.DomainFactory(account=account)
    snapshot = DomainSnapshot.objects.create(
        domain=domain,
        provider=MailboxProvider.objects.get(slug="google"),
        day=date(2026, 11, 23),
        computed_at=timezone.now(),
    )

    assert operator_client.get("/admin/reputation/domainsnapshot/add/").status_code == 403
    page = operator_client.get(f"/admin/reputation/domainsnapshot/{snapshot.pk}/change/")
    assert page.status_code == 200 and 'name="score"' not in page.content.decode()
