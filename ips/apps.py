from django.apps import AppConfig


def _spf_sending_ips(account) -> list[str]:
    from ips.selectors import account_sending_ips

    return account_sending_ips(account=account)


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
