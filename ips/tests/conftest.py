import pytest

from ips.routing_cache import forget as routing_cache_forget


@pytest.fixture(autouse=True)
def _fresh_routing_cache():
    # Routing caches each account's configuration per process for a few seconds; tests reuse
    # account ids (SQLite) and change configuration behind the services' back.
    routing_cache_forget()
    yield
    routing_cache_forget()
