"""Secrets at rest: seed-mailbox passwords, SMTP credentials, DKIM private keys, API tokens.

Values are encrypted with Fernet under the keys in WARMUP_ENCRYPTION_KEYS, newest first
(MultiFernet): the first key encrypts, every key decrypts, so a key is rotated by putting a new
one in front and running `manage.py rotate_encryption_keys` before the old one is removed.

Models keep ciphertext in an `EncryptedTextField`. The field never decrypts on its own, so a
secret cannot leak into a page, a serializer or the admin by accident: code that needs the
plaintext calls `decrypt()` where it uses it.
"""

import base64
import binascii
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class DecryptionError(Exception):
    """The ciphertext was made with a key that is no longer configured, or is damaged."""


def validate_key(key: str) -> None:
    """Raise ValueError unless `key` is a Fernet key (32 bytes, url-safe base64)."""
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ValueError("is not url-safe base64") from None
    if len(raw) != 32:
        raise ValueError(f"decodes to {len(raw)} bytes, a Fernet key has 32")


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError(
            "WARMUP_ENCRYPTION_KEYS is not set; generate a key with "
            "`python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`."
        )
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.WARMUP_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(ciphertext: str) -> str:
    try:
        return _current().decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise DecryptionError(
            "A secret could not be decrypted: it was encrypted with a key that is no longer in "
            "WARMUP_ENCRYPTION_KEYS."
        ) from None


def rotate(ciphertext: str) -> str:
    """Re-encrypt under the newest key (no-op in meaning, new bytes)."""
    try:
        return _current().rotate(ciphertext.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise DecryptionError("A secret could not be decrypted with any configured key.") from None


class EncryptedTextField(models.TextField):
    """Holds Fernet ciphertext made by `encrypt()`. Never decrypts by itself (see module doc)."""

    def formfield(self, **_kwargs):
        # Ciphertext is meaningless to edit by hand; services set these fields.
        return None
