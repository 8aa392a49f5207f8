from django.core.management.base import BaseCommand, CommandError

from providers import services
from providers.registry import get_registry


class Command(BaseCommand):
    help = (
        "Tell which mailbox provider each recipient domain belongs to (known consumer domain, "
        "else its MX hosts), using and filling the classification cache."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "domains", nargs="+", metavar="DOMAIN", help="e.g. gmail.com example.org bücher.de"
        )

    def handle(self, *args, domains, **options):
        try:
            results = services.domain_classify_inputs(values=domains)
        except ValueError as exc:
            raise CommandError(f"domain {exc}") from None
        names = get_registry().names
        width = max(len(r.domain) for r in results)
        for r in results:
            how = {
                services.Source.KNOWN_DOMAIN: "known consumer domain",
                services.Source.MX: "MX " + ", ".join(r.mx_hosts),
                services.Source.NO_MX: r.detail or "no MX (cached briefly)",
                services.Source.DNS_ERROR: f"DNS error, not cached: {r.detail}",
            }[r.source]
            self.stdout.write(
                f"{r.domain:<{width}}  {r.provider:<16} {names.get(r.provider, '')} — {how}"
            )
