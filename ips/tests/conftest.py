import pytest

from ips.services.routing import routing_cache_clear


@pytest.fixture(autouse=True)
def _fresh_routing_cache():
    # Routing caches each account's configuration per process for a few seconds; tests reuse
    # account ids (SQLite) and change configuration behind the services' back.
    routing_cache_clear()
    yield
    routing_cache_clear()
