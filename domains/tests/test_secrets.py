"""The DKIM private key is encrypted at rest and never rendered: not in pages, the API, the
admin or the logs."""

import logging

from domains import services
from domains.models import DkimKey
from domains.tests.factories import publish
from warmup_site import crypto


def test_it_never_shows_the_private_key(
    owner_client, owner_api, operator_client, account, dns_server, caplog
):
    caplog.set_level(logging.DEBUG)
    domain = services.domain_create(account=account, name="example.com")
    publish(dns_server, domain)
    services.domain_dkim_rotate(domain=domain)
    key = DkimKey.objects.filter(domain=domain).first()
    plaintext = crypto.decrypt(key.private_key)
    secret_line = plaintext.splitlines()[5]  # 64 characters from the middle of the key
    assert len(secret_line) == 64

    seen = {
        "list page": owner_client.get("/domains/"),
        "detail page": owner_client.get(f"/domains/{domain.pk}/"),
        "verify page": owner_client.post(f"/domains/{domain.pk}/verify/", follow=True),
        "API list": owner_api.get("/api/v1/domains/"),
        "API detail": owner_api.get(f"/api/v1/domains/{domain.pk}/"),
        "admin list": operator_client.get("/admin/domains/domain/"),
        "admin page": operator_client.get(f"/admin/domains/domain/{domain.pk}/change/"),
    }
    for where, response in seen.items():
        assert response.status_code == 200, where
        text = response.content.decode()
        assert secret_line not in text, where
        assert "PRIVATE KEY" not in text, where
        assert key.private_key[:40] not in text, where  # not even the ciphertext
        assert key.public_key[:40] in text or "list" in where, where  # the public half is shown

    logs = caplog.text
    assert "example.com" in logs  # the logs did record what happened …
    assert secret_line not in logs and "PRIVATE KEY" not in logs  # … without the key
    assert key.private_key[:40] not in logs
