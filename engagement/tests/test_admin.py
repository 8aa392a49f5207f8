"""Operators manage seeds in the admin: secrets write-only, the connection test, and secrets
never rendered anywhere (admin, API, pages)."""

import uuid

import pytest

from domains.models import DkimKey
from engagement.models import SeedMailbox
from engagement.tests.conftest import SEED_PASSWORD, make_seed
from providers.models import MailboxProvider
from warmup_site import crypto


@pytest.fixture
def seed_box(db, dovecot):
    return make_seed(dovecot, "google", "[Gmail]/Spam")


def test_it_never_renders_a_seeds_secret(operator_client, seed_box):
    seed = seed_box.seed
    page = operator_client.get(f"/admin/engagement/seedmailbox/{seed.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert SEED_PASSWORD not in html
    assert seed.secret not in html  # nor its ciphertext
    assert 'name="new_secret"' in html and 'type="password"' in html
    listing = operator_client.get("/admin/engagement/seedmailbox/").content.decode()
    assert seed.address in listing and SEED_PASSWORD not in listing


def _post_form(seed, **changes) -> dict:
    data = {
        "provider": seed.provider_id,
        "address": seed.address,
        "username": seed.username,
        "auth": seed.auth,
        "new_secret": "",
        "oauth_token_url": "",
        "oauth_client_id": "",
        "new_oauth_client_secret": "",
        "imap_host": seed.imap_host,
        "imap_port": seed.imap_port,
        "imap_tls": seed.imap_tls,
        "smtp_host": seed.smtp_host,
        "smtp_port": seed.smtp_port or 25,
        "smtp_tls": seed.smtp_tls,
        "state": seed.state,
        "state_reason": seed.state_reason,
    }
    data.update(changes)
    return data


def test_it_keeps_the_secret_when_the_field_is_left_blank(operator_client, seed_box):
    seed = seed_box.seed
    response = operator_client.post(
        f"/admin/engagement/seedmailbox/{seed.pk}/change/", _post_form(seed, imap_port=1143)
    )

    assert response.status_code == 302
    seed.refresh_from_db()
    assert seed.imap_port == 1143
    assert crypto.decrypt(seed.secret) == SEED_PASSWORD


def test_it_stores_a_new_secret_encrypted_and_puts_the_seed_back(operator_client, seed_box):
    seed = seed_box.seed
    SeedMailbox.objects.filter(pk=seed.pk).update(state="login_failed", state_reason="AUTH")
    seed.refresh_from_db()

    operator_client.post(
        f"/admin/engagement/seedmailbox/{seed.pk}/change/",
        _post_form(seed, new_secret="brand-new"),
    )

    seed.refresh_from_db()
    assert "brand-new" not in seed.secret
    assert crypto.decrypt(seed.secret) == "brand-new"
    assert seed.state == "active"


def test_it_adds_a_seed_only_with_a_secret(operator_client, dovecot):
    google = MailboxProvider.objects.get(slug="google")
    template = SeedMailbox(
        provider=google,
        address=f"new-{uuid.uuid4().hex[:6]}@google.test",
        username="u",
        imap_host="127.0.0.1",
        imap_port=993,
    )
    response = operator_client.post("/admin/engagement/seedmailbox/add/", _post_form(template))
    assert response.status_code == 200
    assert "needs its password or refresh token" in response.content.decode()


def test_it_tests_a_seeds_connection_and_stores_the_result(operator_client, seed_box, dovecot):
    seed = seed_box.seed
    response = operator_client.post(
        "/admin/engagement/seedmailbox/",
        {"action": "test_connection", "_selected_action": [seed.pk]},
        follow=True,
    )

    assert "Spam folder: [Gmail]/Spam" in response.content.decode()
    seed.refresh_from_db()
    assert seed.spam_folder == "[Gmail]/Spam"
    assert seed.last_checked_at is not None


def test_it_reports_a_failed_connection_test(operator_client, seed_box):
    seed = seed_box.seed
    SeedMailbox.objects.filter(pk=seed.pk).update(secret=crypto.encrypt("wrong"))

    response = operator_client.post(
        "/admin/engagement/seedmailbox/",
        {"action": "test_connection", "_selected_action": [seed.pk]},
        follow=True,
    )

    seed.refresh_from_db()
    assert seed.last_error
    assert seed.last_error in response.content.decode().replace("&#x27;", "'")


def test_it_keeps_seeds_from_staff_who_are_not_operators(owner, client, seed_box):
    owner.is_staff = True
    owner.save()
    client.force_login(owner)

    assert client.get("/admin/engagement/seedmailbox/").status_code == 403


def test_it_never_renders_the_dkim_key_or_seed_secrets_on_pages_or_the_api(
    owner_client, owner_api, verified_domain, seed_box
):
    key = DkimKey.objects.get(domain=verified_domain)
    owner_api.put(f"/api/v1/domains/{verified_domain.pk}/warmup/", {"enabled": True}, format="json")
    outputs = [
        owner_client.get(f"/domains/{verified_domain.pk}/").content.decode(),
        owner_api.get(f"/api/v1/domains/{verified_domain.pk}/").content.decode(),
        owner_api.get(f"/api/v1/domains/{verified_domain.pk}/warmup/").content.decode(),
    ]
    private = crypto.decrypt(key.private_key)
    for text in outputs:
        assert SEED_PASSWORD not in text
        assert seed_box.seed.address not in text  # the network is not the customer's business
        assert private.splitlines()[1] not in text
        assert key.private_key not in text
