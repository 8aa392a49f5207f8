from accounts import demo as account_demo
from domains import demo
from domains.models import Domain


def test_it_loads_a_pending_and_a_verified_demo_domain_idempotently(db):
    account_demo.load()

    first = demo.load()
    second = demo.load()

    assert first == second
    domains = dict(Domain.objects.values_list("name", "status"))
    assert domains == {demo.PENDING_DOMAIN: "pending", demo.VERIFIED_DOMAIN: "verified"}
    verified = Domain.objects.get(name=demo.VERIFIED_DOMAIN)
    assert {r.status for r in verified.records.all()} == {"ok"}
    assert all(r.detail.startswith("Demo data:") for r in verified.records.all())
