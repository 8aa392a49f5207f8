"""Rows for domain tests, and a helper that publishes a domain's records on the DNS test server.

Generating an RSA-2048 key takes about 0.1 s, so factories (and, through domains/tests/conftest.py,
the services under test) take keys from a small pool made once per test session.
"""

import itertools
from functools import lru_cache

import factory
from django.conf import settings

from accounts.tests.factories import AccountFactory
from domains import dkim, verification
from domains.dkim import generate_key_pair
from domains.models import DkimKey, Domain, DomainRecord
from warmup_site import crypto

POOL_SIZE = 4


@lru_cache(maxsize=1)
def key_pool() -> tuple[dkim.KeyPair, ...]:
    return tuple(generate_key_pair() for _ in range(POOL_SIZE))


_next_key = itertools.count()


def pooled_key_pair() -> dkim.KeyPair:
    return key_pool()[next(_next_key) % POOL_SIZE]


class DomainFactory(factory.django.DjangoModelFactory):
    """A domain with its active DKIM key and its five records (pass with_records=False to skip)."""

    class Meta:
        model = Domain
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"sender{n}.example")

    @factory.post_generation
    def with_records(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        pair = pooled_key_pair()
        key = DkimKey.objects.create(
            domain=obj,
            selector=dkim.new_selector(),
            public_key=pair.public_b64,
            private_key=crypto.encrypt(pair.private_pem),
            state=DkimKey.State.ACTIVE,
        )
        DomainRecord.objects.bulk_create(verification.initial_records(obj, key))


def publish(dns_server, domain: Domain, *, skip=(), spf: str | None = None) -> None:
    """Put every record the domain should publish on the DNS test server (except `skip` kinds).

    The DKIM value is served split into 255-byte character-strings, as DNS hosts do.
    """
    for record in domain.records.all():
        if record.kind in skip:
            continue
        if record.kind == DomainRecord.Kind.SPF:
            dns_server.add(record.host, "TXT", spf or record.value)
        elif record.type == "CNAME":
            dns_server.add(record.host, "CNAME", record.value)
        else:
            dns_server.add(record.host, "TXT", record.value)
    include = settings.WARMUP_SPF_INCLUDE
    dns_server.add(include, "TXT", "v=spf1 ip4:192.0.2.0/24 -all")
