"""Load a warm-up profile for every built-in provider. Operators tune them in the admin.

Gmail and Microsoft judge new IPs slowest (six weeks minimum, a gentle ramp and a long pacing
window), Yahoo in four weeks, the others in two (Amazon's dedicated-IP guide: "around two weeks
… up to six weeks"). After warm-up every IP should keep about 1,000 messages a day to each
provider and grow by at most 20% a day over its recent peak.
"""

from django.db import migrations

# slug: (start_cap, growth, target_cap, min_days, pacing_hours)
PROFILES = {
    "google": (50, "1.40", 20000, 42, 16),
    "microsoft": (50, "1.40", 20000, 42, 16),
    "yahoo": (100, "1.50", 20000, 28, 12),
    "apple": (100, "1.60", 10000, 14, 12),
    "comcast": (100, "1.60", 10000, 14, 12),
    "united_internet": (100, "1.60", 10000, 14, 12),
    "yandex": (100, "1.60", 10000, 14, 12),
    "mailru": (100, "1.60", 10000, 14, 12),
    "zoho": (100, "1.60", 10000, 14, 12),
    "proton": (100, "1.60", 10000, 14, 12),
    "other": (200, "1.60", 50000, 14, 12),
}


def load(apps, schema_editor):
    MailboxProvider = apps.get_model("providers", "MailboxProvider")
    WarmupProfile = apps.get_model("ips", "WarmupProfile")
    for provider in MailboxProvider.objects.filter(slug__in=PROFILES):
        start, growth, target, min_days, pacing = PROFILES[provider.slug]
        WarmupProfile.objects.get_or_create(
            provider=provider,
            defaults={
                "start_cap": start,
                "growth": growth,
                "target_cap": target,
                "min_days": min_days,
                "pacing_hours": pacing,
                "floor": 1000,
                # max_daily_growth (since removed, 0006) took its default, 0.20.
                "engaged_days_start": 30,
                "engaged_days_step": 15,
            },
        )


def unload(apps, schema_editor):
    WarmupProfile = apps.get_model("ips", "WarmupProfile")
    WarmupProfile.objects.filter(provider__slug__in=PROFILES).delete()


class Migration(migrations.Migration):
    dependencies = [("ips", "0001_initial"), ("providers", "0002_load_providers")]
    operations = [migrations.RunPython(load, unload)]
