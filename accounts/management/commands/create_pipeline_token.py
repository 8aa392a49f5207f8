from django.core.management.base import BaseCommand, CommandError

from accounts import services
from warmup_site.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Create a pipeline credential: the sending pipeline (an MTA serving every account) uses "
        "it to ask for routes and report delivery events for any account. Prints the key on the "
        "last line; it is not stored and cannot be shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Which pipeline holds it, e.g. 'mta-eu-1'.")

    def handle(self, *args, name, **options):
        try:
            credential, key = services.pipeline_credential_create(name=name)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Created pipeline credential {credential.name!r} ({credential.prefix}…). It may call "
            "POST /api/v1/routes/ and POST /api/v1/events/ for every account. Key:"
        )
        self.stdout.write(key)
