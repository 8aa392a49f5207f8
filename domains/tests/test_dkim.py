"""DKIM keys are real RSA-2048 pairs (the one test that generates a key instead of pooling)."""

import base64

from cryptography.hazmat.primitives import serialization

from domains.dkim import KEY_BITS, generate_key_pair, new_selector, parse_tags


def test_it_generates_a_2048_bit_rsa_key_pair_whose_halves_match():
    pair = generate_key_pair()

    private = serialization.load_pem_private_key(pair.private_pem.encode(), password=None)
    public = serialization.load_der_public_key(base64.b64decode(pair.public_b64))
    assert private.key_size == KEY_BITS == 2048
    assert private.public_key().public_numbers() == public.public_numbers()
    assert len(f"v=DKIM1; k=rsa; p={pair.public_b64}") > 255  # needs several TXT strings


def test_it_keeps_the_private_key_out_of_reprs():
    pair = generate_key_pair()

    assert "PRIVATE" not in repr(pair)


def test_it_makes_a_new_selector_every_time(settings):
    settings.WARMUP_DKIM_SELECTOR_PREFIX = "acme"

    selectors = {new_selector() for _ in range(20)}

    assert len(selectors) == 20
    assert all(s.startswith("acme-") and len(s) == len("acme-yyyymm-xxxx") for s in selectors)


def test_it_reads_dkim_tags_leniently():
    assert parse_tags("V=DKIM1; k=rsa;\tp=MIIB AAAA\n BBBB ;") == {
        "v": "DKIM1",
        "k": "rsa",
        "p": "MIIBAAAABBBB",
    }
