import pytest

from domains import dkim
from domains.tests.factories import pooled_key_pair


@pytest.fixture(autouse=True)
def _pooled_dkim_keys(monkeypatch):
    # Real RSA-2048 generation is tested once (test_dkim.py); elsewhere it only costs time.
    monkeypatch.setattr(dkim, "generate_key_pair", pooled_key_pair)
