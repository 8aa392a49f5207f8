"""Load the built-in mailbox providers. Operators edit and extend them in the admin."""

from django.db import migrations

PROVIDERS = [
    (
        "google",
        "Google (Gmail, Workspace)",
        ["gmail.com", "googlemail.com"],
        [".google.com", ".googlemail.com", ".smtp.goog"],
    ),
    (
        "microsoft",
        "Microsoft (Outlook.com, Microsoft 365)",
        [
            "outlook.com",
            "hotmail.com",
            "live.com",
            "msn.com",
            "passport.com",
            "windowslive.com",
            "outlook.de",
            "outlook.fr",
            "outlook.es",
            "outlook.it",
            "hotmail.co.uk",
            "hotmail.fr",
            "hotmail.de",
            "hotmail.it",
            "hotmail.es",
            "live.co.uk",
            "live.fr",
            "live.de",
            "live.it",
            "live.nl",
        ],
        [".olc.protection.outlook.com", ".mail.protection.outlook.com", ".mx.microsoft"],
    ),
    (
        "yahoo",
        "Yahoo (incl. AOL)",
        [
            "yahoo.com",
            "yahoo.co.uk",
            "yahoo.fr",
            "yahoo.de",
            "yahoo.it",
            "yahoo.es",
            "yahoo.ca",
            "yahoo.com.au",
            "yahoo.co.in",
            "yahoo.com.br",
            "ymail.com",
            "rocketmail.com",
            "aol.com",
            "aol.co.uk",
            "aim.com",
            "verizon.net",
        ],
        [".yahoodns.net"],
    ),
    ("apple", "Apple iCloud", ["icloud.com", "me.com", "mac.com"], [".mail.icloud.com"]),
    ("comcast", "Comcast (Xfinity)", ["comcast.net"], [".comcast.net"]),
    (
        "united_internet",
        "United Internet (GMX, WEB.DE)",
        ["gmx.de", "gmx.net", "gmx.com", "gmx.at", "gmx.ch", "web.de", "mail.com"],
        [".gmx.net", ".gmx.com", ".web.de", ".mail.com", ".kundenserver.de", ".ionos.de"],
    ),
    (
        "yandex",
        "Yandex",
        ["yandex.ru", "yandex.com", "ya.ru", "yandex.ua", "yandex.by", "yandex.kz"],
        [".yandex.ru", ".yandex.net"],
    ),
    ("mailru", "Mail.ru", ["mail.ru", "bk.ru", "inbox.ru", "list.ru", "internet.ru"], [".mail.ru"]),
    (
        "zoho",
        "Zoho Mail",
        ["zoho.com", "zohomail.com"],
        [".zoho.com", ".zoho.eu", ".zoho.in", ".zoho.com.au", ".zohomail.com"],
    ),
    (
        "proton",
        "Proton Mail",
        ["proton.me", "protonmail.com", "protonmail.ch", "pm.me"],
        [".protonmail.ch"],
    ),
    ("other", "Other", [], []),
]


def load(apps, schema_editor):
    MailboxProvider = apps.get_model("providers", "MailboxProvider")
    for position, (slug, name, domains, suffixes) in enumerate(PROVIDERS, start=1):
        MailboxProvider.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "consumer_domains": domains,
                "mx_suffixes": suffixes,
                "position": position * 10,
            },
        )


def unload(apps, schema_editor):
    MailboxProvider = apps.get_model("providers", "MailboxProvider")
    MailboxProvider.objects.filter(slug__in=[p[0] for p in PROVIDERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
