"""System checks of the engagement app's configuration."""

from django.conf import settings
from django.core.checks import Error, register

from engagement.relay import RelayConfigError, parse_smtp_url
from engagement.sandbox.model import load_params


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


@register()
def check_sandbox_model_file(app_configs, **kwargs):
    # The sandbox world reads its reputation model from a data file; a typo in an operator's
    # copy should fail at start-up with the key it names, not at the first message.
    if not settings.WARMUP_SANDBOX:
        return []
    try:
        load_params(settings.WARMUP_SANDBOX_MODEL_FILE)
    except ValueError as exc:
        return [
            Error(
                f"WARMUP_SANDBOX_MODEL_FILE cannot be used: {exc}",
                hint="Start from engagement/sandbox/reputation.toml; docs/sandbox.md explains "
                "every parameter.",
                id="warmup.E030",
            )
        ]
    return []
