"""Secrets at rest: Fernet with rotation."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from domains.models import DkimKey
from domains.tests.factories import DomainFactory
from warmup_site import crypto


def test_it_round_trips_and_never_stores_plaintext():
    ciphertext = crypto.encrypt("app-password-123")

    assert "app-password-123" not in ciphertext
    assert crypto.decrypt(ciphertext) == "app-password-123"


def test_it_decrypts_with_an_older_key_after_rotation(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.WARMUP_ENCRYPTION_KEYS = [old]
    ciphertext = crypto.encrypt("secret")

    settings.WARMUP_ENCRYPTION_KEYS = [new, old]

    assert crypto.decrypt(ciphertext) == "secret"


def test_it_explains_a_secret_made_with_a_removed_key(settings):
    settings.WARMUP_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    ciphertext = crypto.encrypt("secret")
    settings.WARMUP_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(crypto.DecryptionError, match="no longer in WARMUP_ENCRYPTION_KEYS"):
        crypto.decrypt(ciphertext)


def test_it_rotates_every_stored_secret_to_the_newest_key(settings, account, capsys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.WARMUP_ENCRYPTION_KEYS = [old]
    domain = DomainFactory(account=account)
    private_pem = crypto.decrypt(DkimKey.objects.get(domain=domain).private_key)

    settings.WARMUP_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_encryption_keys")
    settings.WARMUP_ENCRYPTION_KEYS = [new]  # the old key is gone now

    assert crypto.decrypt(DkimKey.objects.get(domain=domain).private_key) == private_pem
    assert "domains.DkimKey: 1 rows re-encrypted" in capsys.readouterr().out
