"""The closed-loop controller starts every built-in provider at 1,000 a day.

The first day probes what the provider takes: a clean day grows the cap by up to
`fast_growth` (2.5×), push-back brings it to what the provider accepted. 1,000 is SendGrid's
and SparkPost's first days' order of magnitude (480 and 200) for a list worth warming, and well
under what a mailbox provider accepts from a new IP with clean mail (docs/provider-model.md).
Profiles an operator changed (a start other than the one migration 0002 loaded) are left alone.
"""

from django.db import migrations

# slug: the start_cap migration 0002 loaded
LOADED = {
    "google": 50,
    "microsoft": 50,
    "yahoo": 100,
    "apple": 100,
    "comcast": 100,
    "united_internet": 100,
    "yandex": 100,
    "mailru": 100,
    "zoho": 100,
    "proton": 100,
    "other": 200,
}
START = 1000


def forward(apps, schema_editor):
    WarmupProfile = apps.get_model("ips", "WarmupProfile")
    for slug, loaded in LOADED.items():
        WarmupProfile.objects.filter(provider__slug=slug, start_cap=loaded).update(start_cap=START)


def backward(apps, schema_editor):
    WarmupProfile = apps.get_model("ips", "WarmupProfile")
    for slug, loaded in LOADED.items():
        WarmupProfile.objects.filter(provider__slug=slug, start_cap=START).update(start_cap=loaded)


class Migration(migrations.Migration):
    dependencies = [("ips", "0008_hour_delivered")]
    operations = [migrations.RunPython(forward, backward)]
