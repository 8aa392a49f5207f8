from django.apps import AppConfig


def _spf_sending_ips(account) -> list[str]:
    from ips.selectors import account_sending_ips

    return account_sending_ips(account=account)


def _real_mail(domain, start, end):
    """The customer's own mail from a warming domain, per provider (domains' plan step holds a
    provider whose complaint, block or throttle rate is over its limit)."""
    from datetime import UTC, datetime, time

    from domains.warmup_rule import RealMail
    from ips.selectors import sender_domain_outcomes

    found = sender_domain_outcomes(
        account_id=domain.account_id,
        sender_domain=domain.name,
        start=datetime.combine(start, time(0), tzinfo=UTC),
        end=datetime.combine(end, time(0), tzinfo=UTC),
    )
    days = (end - start).days
    return {provider_id: RealMail(days=days, **counts) for provider_id, counts in found.items()}


class IpsConfig(AppConfig):
    name = "ips"
    verbose_name = "Dedicated IPs"

    def ready(self):
        from domains import spf
        from ips import checks  # noqa: F401 - registers the system checks

        # A domain's SPF record may authorise us by listing the account's dedicated IPs
        # (ip4:/ip6:/a/mx); domains asks through its hook because it must not import ips.
        if _spf_sending_ips not in spf.sending_ip_sources:
            spf.sending_ip_sources.append(_spf_sending_ips)
        # The domain warm-up's plan step reads the customer's real mail through its hook too.
        from domains.services import warmup

        if _real_mail not in warmup.real_mail_sources:
            warmup.real_mail_sources.append(_real_mail)
