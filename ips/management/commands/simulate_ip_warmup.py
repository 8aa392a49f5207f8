"""python manage.py simulate_ip_warmup — see what a warm-up profile will do, day by day."""

from django.core.management.base import BaseCommand, CommandError

from ips.selectors import profiles_by_provider
from ips.services.controls import provider_slug
from ips.services.simulator import simulate
from warmup_site.errors import ApplicationError

DEFAULT_PROVIDERS = ["google", "microsoft", "yahoo"]


def _day_list(text: str) -> frozenset[int]:
    try:
        days = frozenset(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise CommandError(f"{text!r}: give day numbers, comma-separated (12 or 12,20).") from None
    if any(day < 1 for day in days):
        raise CommandError("Day numbers start at 1.")
    return days


class Command(BaseCommand):
    help = (
        "Simulate an IP warm-up with the daily controller's own decision rule and the providers' "
        "warm-up profiles as configured now, and print the day-by-day table: stage, cap, routed "
        "and the decision with its reason. Nothing is written to the database. Example: "
        "simulate_ip_warmup --days 45 --daily-volume 200000 --provider gmail "
        "--throttle-on-day 12"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=45, help="How many days to simulate (default 45)."
        )
        parser.add_argument(
            "--daily-volume",
            type=int,
            default=200_000,
            help="Messages a day the sender has for each provider (default 200000); the IP "
            "sends up to its cap, the rest overflows.",
        )
        parser.add_argument(
            "--provider",
            action="append",
            help="A provider slug or alias (gmail, outlook, hotmail, aol, …); repeat for "
            "several. Default: google, microsoft and yahoo.",
        )
        parser.add_argument(
            "--throttle-on-day",
            default="",
            metavar="N[,N…]",
            help="Days on which the provider throttles a tenth of the mail (back-off).",
        )
        parser.add_argument(
            "--block-on-day",
            default="",
            metavar="N[,N…]",
            help="Days on which the provider blocks a tenth of the mail (back-off).",
        )
        parser.add_argument(
            "--quiet-weekends",
            action="store_true",
            help="Send nothing on Saturdays and Sundays (the first day is a Monday): they are "
            "not sending days.",
        )
        parser.add_argument(
            "--complaint-rate",
            type=float,
            default=0.0005,
            help="Complaints per delivered message (default 0.0005 = 0.05%%; the alert is at "
            "the profile's limit, 0.3%% by default).",
        )
        parser.add_argument(
            "--reasons",
            action="store_true",
            help="Print each decision's full reason sentence under its row.",
        )

    def handle(self, *args, **options):
        if options["days"] < 1 or options["days"] > 365:
            raise CommandError("--days must be between 1 and 365.")
        if options["daily_volume"] < 0:
            raise CommandError("--daily-volume cannot be negative.")
        try:
            slugs = [provider_slug(p) for p in options["provider"] or DEFAULT_PROVIDERS]
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        throttle = _day_list(options["throttle_on_day"])
        block = _day_list(options["block_on_day"])
        profiles = {p.provider.slug: p for p in profiles_by_provider().values()}
        write = self.stdout.write
        write(
            f"Simulated warm-up: {options['days']} days, {options['daily_volume']:,} messages a "
            f"day per provider"
            + (f", throttled on day {', '.join(map(str, sorted(throttle)))}" if throttle else "")
            + (f", blocked on day {', '.join(map(str, sorted(block)))}" if block else "")
            + (", quiet weekends" if options["quiet_weekends"] else "")
            + ". Nothing is saved."
        )
        header = f"{'day':>4}  {'date':<10}  {'provider':<10}  {'state':<8}  {'stage':>5}  "
        header += f"{'cap':>9}  {'routed':>9}  decision"
        for slug in dict.fromkeys(slugs):
            profile = profiles[slug]
            rows = simulate(
                profile=profile,
                days=options["days"],
                daily_volume=options["daily_volume"],
                throttle_days=throttle,
                block_days=block,
                quiet_weekends=options["quiet_weekends"],
                complaint_share=options["complaint_rate"],
            )
            write("")
            write(
                f"{profile.provider.name}: {profile.stage_count} stages from "
                f"{profile.start_cap:,} to {profile.target_cap:,} a day, at least "
                f"{profile.min_days} sending days"
            )
            write(header)
            warm_on = None
            for row in rows:
                change = ""
                if (row.next_stage, row.next_cap) != (row.stage, row.cap) and row.kind not in (
                    "—",
                    "cooling",
                    "recovered",
                ):
                    change = f" → stage {row.next_stage}, cap {row.next_cap:,}"
                write(
                    f"{row.day:>4}  {row.on.isoformat():<10}  {row.provider:<10}  "
                    f"{row.state:<8}  {row.stage:>5}  {row.cap:>9,}  {row.routed:>9,}  "
                    f"{row.kind}{change}"
                )
                if options["reasons"] and row.reason:
                    write(f"{'':>6}{row.reason}")
                if row.kind == "warm" and warm_on is None:
                    warm_on = row.day
            last = rows[-1]
            if warm_on:
                write(f"→ warm at {profile.provider.name} after day {warm_on}.")
            else:
                write(
                    f"→ not warm after {len(rows)} days: stage {last.next_stage} of "
                    f"{profile.stage_count}, cap {last.next_cap:,}."
                )
