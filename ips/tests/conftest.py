import pytest

from ips.models import WarmupProfile
from ips.routing_cache import forget as routing_cache_forget


@pytest.fixture(autouse=True)
def _fresh_routing_cache():
    # Routing caches each account's configuration per process for a few seconds; tests reuse
    # account ids (SQLite) and change configuration behind the services' back.
    routing_cache_forget()
    yield
    routing_cache_forget()


@pytest.fixture
def long_google_table(db):
    """Google's profile as a long stage table: stages 50, 70, 98, 138, 193, …, 20,000 (19 of
    them); stages 1–4 ask for 3 sending days each, the others for 2; growth ×2 in the fast lane,
    ×1.25 near trouble. Tests of the stage machinery use it to have many small, known steps
    (the built-in profiles start at 1,000 and have ten stages)."""
    WarmupProfile.objects.filter(provider__slug="google").update(
        start_cap=50, fast_growth=2, cautious_growth=1.25
    )
