"""WSGI entry point (gunicorn warmup_site.wsgi).

Refuses to start when a system check fails, and when DEBUG was left to its development default:
a production server must say DEBUG=false (or DEBUG=true, knowingly).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmup_site.settings")

application = get_wsgi_application()

from django.conf import settings  # noqa: E402
from django.core import checks  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.core.management.base import SystemCheckError  # noqa: E402

if not settings.DEBUG_EXPLICIT:
    raise ImproperlyConfigured(
        "Set DEBUG=false for production (with SECRET_KEY and WARMUP_ENCRYPTION_KEYS), or "
        "DEBUG=true to serve the development defaults on purpose."
    )
_serious = [m for m in checks.run_checks(include_deployment_checks=False) if m.is_serious()]
if _serious:
    raise SystemCheckError("\n".join(str(m) for m in _serious))
