"""`load_reference_data()` (for transactional tests on a flushed database) loads exactly what the
data migrations ship: the same providers, SMTP-response rules and warm-up profiles."""

from django.forms.models import model_to_dict

from ips.models import WarmupProfile
from providers.models import MailboxProvider, SmtpResponseRule
from warmup_site.testing import load_reference_data


def rows(model, key):
    return {
        key(row): {
            k: v for k, v in model_to_dict(row).items() if k not in ("id", "provider", "updated_at")
        }
        for row in model.objects.all()
    }


def snapshot():
    return (
        rows(MailboxProvider, lambda p: p.slug),
        rows(SmtpResponseRule, lambda r: (r.provider_id and r.provider.slug, r.name)),
        rows(WarmupProfile, lambda p: p.provider.slug),
    )


def test_it_reloads_what_the_migrations_loaded(db):
    migrated = snapshot()
    assert all(migrated)
    WarmupProfile.objects.all().delete()
    SmtpResponseRule.objects.all().delete()

    load_reference_data()
    load_reference_data()  # idempotent

    assert snapshot() == migrated
