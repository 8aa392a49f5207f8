"""System checks of the engagement app's configuration."""

from django.conf import settings
from django.core.checks import Error, register

from engagement.relay import RelayConfigError, parse_smtp_url


@register()
def check_warmup_smtp_url(app_configs, **kwargs):
    # warmup.E004 checks the URL's shape for every app; this one parses it the way warm-up
    # sending will (tls= parameter, credentials), so a typo fails at start-up, not at 07:00.
    url = settings.WARMUP_SMTP_URL
    if not url:
        return []
    try:
        parse_smtp_url(url)
    except RelayConfigError as exc:
        return [
            Error(
                f"WARMUP_SMTP_URL cannot be used for warm-up mail: {exc}.",
                hint="Example: smtp://user:password@relay.example.com:587?tls=starttls "
                "(tls is starttls, ssl or none; percent-encode special characters in the "
                "password).",
                id="warmup.E006",
            )
        ]
    return []
