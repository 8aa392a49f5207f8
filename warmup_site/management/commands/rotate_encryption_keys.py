from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from warmup_site import crypto


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key of WARMUP_ENCRYPTION_KEYS. Run it "
        "after putting a new key in front; then the old keys can be removed."
    )

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            fields = [
                f.name for f in model._meta.get_fields() if isinstance(f, crypto.EncryptedTextField)
            ]
            if not fields:
                continue
            count = 0
            with transaction.atomic():
                rows = model._default_manager.select_for_update().only("pk", *fields)
                for row in rows.iterator(chunk_size=500):
                    try:
                        for name in fields:
                            value = getattr(row, name)
                            if value:
                                setattr(row, name, crypto.rotate(value))
                    except crypto.DecryptionError as exc:
                        raise CommandError(f"{model._meta.label} #{row.pk}: {exc}") from None
                    row.save(update_fields=fields)
                    count += 1
            self.stdout.write(f"{model._meta.label}: {count} rows re-encrypted")
            total += count
        self.stdout.write(f"Done: {total} rows.")
