"""python manage.py simulate_ip_warmup — see what the warm-up will do, hour by hour, against a
model of the mailbox provider (docs/provider-model.md)."""

import json

from django.core.management.base import BaseCommand, CommandError

from ips.provider_model import load_model_factory
from ips.selectors import profiles_by_provider
from ips.services.controls import provider_slug
from ips.services.simulator import Forced, load_schedule, simulate
from warmup_site.errors import ApplicationError

DEFAULT_PROVIDERS = ["google", "microsoft", "yahoo"]
DEFAULT_MODEL = "ips.provider_model:default_model"


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
        "Simulate an IP warm-up hour by hour: routing's pacing, the fast back-off and the "
        "nightly controller — the code production runs — against a model of each mailbox "
        "provider, with the warm-up profiles as configured now. Prints the day-by-day table (or "
        "JSON with --json). Nothing is written to the database. Examples: "
        "simulate_ip_warmup --provider gmail --days 30 --daily-volume 200000; "
        "simulate_ip_warmup --provider gmail --schedule bench/schedules/sendgrid.csv --json; "
        "simulate_ip_warmup --provider yahoo --model mypackage.mymodel:factory --seed 7"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=45, help="How many days to simulate (default 45)."
        )
        parser.add_argument(
            "--daily-volume",
            type=int,
            default=200_000,
            help="Messages a day the sender has for the provider (default 200000), arriving "
            "evenly over the day; the IP takes what its paced cap allows, the rest overflows.",
        )
        parser.add_argument(
            "--target",
            type=int,
            help="The daily volume to reach (default: the daily volume); days_to_target is the "
            "first day that delivered 95%% of it.",
        )
        parser.add_argument(
            "--provider",
            action="append",
            help="A provider slug or alias (gmail, outlook, hotmail, aol, …); repeat for "
            "several. Default: google, microsoft and yahoo. --json takes exactly one.",
        )
        parser.add_argument(
            "--model",
            default=DEFAULT_MODEL,
            metavar="PACKAGE.MODULE:CALLABLE",
            help="The provider model's factory, called as factory(provider, seed) "
            f"(docs/provider-model.md). Default: {DEFAULT_MODEL}.",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="The model's random seed (default 1)."
        )
        parser.add_argument(
            "--schedule",
            metavar="FILE.csv",
            help="Instead of our controller, a fixed schedule without feedback: lines "
            "'day,daily_limit' (see bench/schedules/).",
        )
        parser.add_argument("--json", action="store_true", help="Print JSON (one provider).")
        self._add_what_ifs(parser)

    @staticmethod
    def _add_what_ifs(parser):
        parser.add_argument(
            "--throttle-on-day",
            default="",
            metavar="N[,N…]",
            help="Days on which the provider also defers a tenth of the mail, whatever the model "
            "says (to see a back-off).",
        )
        parser.add_argument(
            "--block-on-day",
            default="",
            metavar="N[,N…]",
            help="Days on which the provider also blocks a tenth of the mail.",
        )
        parser.add_argument(
            "--quiet-weekends",
            action="store_true",
            help="Send nothing on Saturdays and Sundays (day 1 is a Monday): they are not "
            "sending days.",
        )
        parser.add_argument(
            "--complaint-rate",
            type=float,
            help="Complaints per delivered message instead of the model's (0.0005 = 0.05%%; the "
            "alert is at the profile's limit, 0.3%% by default).",
        )
        parser.add_argument(
            "--reasons",
            action="store_true",
            help="Print each decision's full reason sentence under its row.",
        )

    def handle(self, *args, **options):
        slugs, factory, schedule = self._inputs(options)
        profiles = {p.provider.slug: p for p in profiles_by_provider().values()}
        volume = options["daily_volume"]
        if options["quiet_weekends"]:
            full = volume
            volume = lambda _n, on: 0 if on.weekday() >= 5 else full  # noqa: E731
        runs = []
        for slug in slugs:
            model = factory(slug, options["seed"])
            if options["throttle_on_day"] or options["block_on_day"] or options["complaint_rate"]:
                model = Forced(
                    model,
                    throttle_days=_day_list(options["throttle_on_day"]),
                    block_days=_day_list(options["block_on_day"]),
                    complaint_rate=options["complaint_rate"],
                )
            try:
                runs.append(
                    simulate(
                        profile=profiles[slug],
                        model=model,
                        days=options["days"],
                        daily_volume=volume,
                        target=options["target"] or options["daily_volume"],
                        schedule=schedule,
                    )
                )
            except ValueError as exc:  # a model that breaks the protocol says how
                raise CommandError(
                    f"The model {options['model']} broke the protocol: {exc}"
                ) from None
        if options["json"]:
            self.stdout.write(json.dumps(runs[0].as_json()))
            return
        for run in runs:
            self._table(run, profiles[run.provider], options)

    def _inputs(self, options):
        if not 1 <= options["days"] <= 365:
            raise CommandError("--days must be between 1 and 365.")
        if options["daily_volume"] < 0:
            raise CommandError("--daily-volume cannot be negative.")
        if options["target"] is not None and options["target"] < 1:
            raise CommandError("--target must be at least 1.")
        try:
            slugs = list(
                dict.fromkeys(provider_slug(p) for p in options["provider"] or DEFAULT_PROVIDERS)
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        if options["json"] and len(slugs) != 1:
            raise CommandError("--json prints one provider: give exactly one --provider.")
        try:
            factory = load_model_factory(options["model"])
        except ValueError as exc:
            raise CommandError(f"--model: {exc}") from None
        schedule = None
        if options["schedule"]:
            try:
                schedule = load_schedule(options["schedule"])
            except (OSError, ValueError) as exc:
                raise CommandError(f"--schedule: {exc}") from None
        return slugs, factory, schedule

    def _table(self, run, profile, options):
        write = self.stdout.write
        what = f"schedule {options['schedule']}" if options["schedule"] else "our controller"
        write("")
        write(
            f"{profile.provider.name}: {what}, {options['days']} days, "
            f"{options['daily_volume']:,} messages a day, model {options['model']} (seed "
            f"{options['seed']}). Nothing is saved."
        )
        write(
            f"{'day':>4}  {'date':<10}  {'state':<8}  {'stage':>5}  {'cap':>9}  {'offered':>9}  "
            f"{'delivered':>9}  {'deferred':>8}  {'blocked':>7}  decision"
        )
        for row in run.days:
            change = ""
            if (row.next_stage, row.next_cap) != (row.stage, row.cap) and row.kind != "—":
                change = f" → stage {row.next_stage}, cap {row.next_cap:,}"
            write(
                f"{row.day:>4}  {row.on.isoformat():<10}  {row.state:<8}  {row.stage:>5}  "
                f"{row.cap:>9,}  {row.offered:>9,}  {row.delivered:>9,}  {row.deferred:>8,}  "
                f"{row.blocked:>7,}  {row.kind}{change}"
            )
            if options["reasons"] and row.reason:
                write(f"{'':>6}{row.reason}")
        reached = run.days_to_target
        write(
            f"→ target {run.target:,} a day: "
            + (f"reached on day {reached}" if reached else f"not reached in {len(run.days)} days")
            + f"; {run.blocked_days} days with blocks, {run.deferred_days} with deferrals."
        )
