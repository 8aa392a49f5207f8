"""Rows for the schema contract test (test_api_contract.py), written into the served database
by `manage.py shell` so that the operations' answers carry real objects: a verified domain, a
pending one, pools, a warming IP with a readiness override, a warm IP, a shared IP, a
webhook. Prints the ids the run needs as JSON on its last line."""

import json

from django.contrib.auth.models import User

from accounts.models import Account
from domains import services as domain_services
from domains.models import Domain
from ips import services as ip_services
from reputation.services import webhooks

account = Account.objects.get(slug="acme")
verified = domain_services.domain_create(account=account, name="acme.example")
Domain.objects.filter(pk=verified.pk).update(status=Domain.Status.VERIFIED)
pending = domain_services.domain_create(account=account, name="news.acme.example")
pool = ip_services.ip_pool_create(name="acme main", account=account)
shared = ip_services.ip_pool_create(name="shared", account=None)
# Overriding its (unrun) checks starts its warm-up, and gives it a readiness_override.
warming = ip_services.ip_create(pool=pool, address="203.0.113.1", check=False)
operator = User.objects.get(username="olivia")
ip_services.ip_readiness_override(ip=warming, actor=operator, reason="PTR published later")
ip_services.ip_create(pool=pool, address="2001:db8::3", warm=True, check=False)
ip_services.ip_create(pool=shared, address="192.0.2.1", warm=True, check=False)
endpoint, _secret = webhooks.webhook_endpoint_create(
    account=account, url="https://hooks.acme.example/warmup"
)
print(json.dumps({"domain": verified.pk, "pending_domain": pending.pk, "webhook": endpoint.pk}))
