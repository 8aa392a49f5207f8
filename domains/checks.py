"""Start-up checks for the domains app's settings (registered in DomainsConfig.ready)."""

import re

from django.conf import settings
from django.core.checks import Error, register

# The selector gets "-yyyymm-xxxx" (12 characters) appended and must stay one DNS label.
_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,49}[a-z0-9])?$")


@register()
def check_domain_prefixes(app_configs, **kwargs):
    errors = []
    for name, limit in (("WARMUP_DKIM_SELECTOR_PREFIX", 51), ("WARMUP_RETURN_PATH_PREFIX", 63)):
        value = getattr(settings, name)
        if not _PREFIX.match(value) or len(value) > limit:
            errors.append(
                Error(
                    f"{name} is {value!r}; it must be one DNS label of letters, digits and "
                    f"hyphens, at most {limit} characters, not starting or ending with a hyphen.",
                    hint="Customers publish records under it. Example: 'warmup' or 'bounces'.",
                    id="warmup.E005",
                )
            )
    return errors
