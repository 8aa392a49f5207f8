"""Production settings plus the bench-only URLconf (bench/support/urls.py)."""

from warmup_site.settings import *  # noqa: F403

ROOT_URLCONF = "bench.support.urls"
