"""System checks for the dedicated-IP settings."""

from django.conf import settings
from django.core.checks import Error, register

from warmup_site.hostnames import normalise_domain


@register()
def check_dnsbl_zones(app_configs, **kwargs):
    errors = []
    for zone in settings.WARMUP_DNSBL_ZONES:
        try:
            normalise_domain(zone)
        except ValueError as exc:
            errors.append(
                Error(
                    f"WARMUP_DNSBL_ZONES: {zone!r} {exc}.",
                    hint="Use comma-separated DNS zone names, e.g. "
                    "'zen.spamhaus.org,bl.spamcop.net'.",
                    id="warmup.E007",
                )
            )
    return errors
