"""Start-up checks for the domains app's settings (registered in DomainsConfig.ready)."""

import re

from django.conf import settings
from django.core.checks import Error, register

from domains.warmup_plan import load_rules

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


@register()
def check_domain_plan_file(app_configs, **kwargs):
    # The plan's per-provider rules are read at every step; a typo in an operator's copy must
    # fail at start-up, naming the key, rather than stop the 04:30 plan step.
    try:
        load_rules(settings.WARMUP_DOMAIN_PLAN_FILE)
    except ValueError as exc:
        return [
            Error(
                f"WARMUP_DOMAIN_PLAN_FILE cannot be used: {exc}",
                hint="Start from domains/warmup_plan.toml; docs/operations.md explains each key.",
                id="warmup.E031",
            )
        ]
    return []
