from django.core.management.base import BaseCommand, CommandError

from accounts import services
from warmup_site.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Create a customer account and its owner (the user is created if missing), and print "
        "the owner's API token on the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Account name, e.g. 'Acme Mail'.")
        parser.add_argument("--owner", required=True, metavar="USERNAME", help="Owner's username.")
        parser.add_argument(
            "--password",
            required=True,
            metavar="PW",
            help="Password for the owner when the user is new (an existing user keeps theirs).",
        )
        parser.add_argument(
            "--staff",
            action="store_true",
            help="Also make the owner an operator (staff, in the Operators group: sees every "
            "account in the admin).",
        )

    def handle(self, *args, name, owner, password, staff, **options):
        try:
            account, membership, key = services.account_create(
                name=name, owner_username=owner, password=password, staff=staff
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Created account {account.name!r} (slug {account.slug}) with owner "
            f"{membership.user.username!r}{' (operator)' if staff else ''}."
        )
        self.stdout.write("API token:")
        self.stdout.write(key)
