from django.core.management.base import BaseCommand
from django.db import transaction

from warmup_site.demo import load_all


class Command(BaseCommand):
    help = "Load the demo account, users and data (idempotent; `make run` runs it)."

    def handle(self, *args, **options):
        with transaction.atomic():
            lines = load_all()
        for line in lines:
            self.stdout.write(line)
