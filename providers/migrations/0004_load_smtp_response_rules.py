"""Load the default SMTP-response rules, with the providers' real replies as examples.

Sources: Google's "SMTP errors and codes" (support.google.com/a/answer/3726730), Microsoft's
"Outlook.com and Exchange Online NDR codes" and postmaster.live.com, Yahoo's
postmaster.yahooinc.com/error-codes. Operators edit, disable or add rules in the admin.
"""

from django.db import migrations

# (position, name, provider slug or None, smtp_codes, enhanced_status, pattern, category, example)
RULES = [
    (
        10,
        "Rejected because of a DNS blocklist (Spamhaus, Spamcop, Barracuda)",
        None,
        "",
        "",
        r"spamhaus|spamcop|barracuda|\bblocked using\b",
        "blocklisted",
        "554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using "
        "zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.9",
    ),
    (
        20,
        "Gmail: unusual rate of unsolicited mail, rate limited (421 4.7.28)",
        "google",
        "",
        "4.7.28",
        "",
        "throttled",
        "421-4.7.28 [203.0.113.9      15] Our system has detected an unusual rate of unsolicited "
        "mail originating from your IP address. To protect our users from spam, mail sent from "
        "your IP address has been temporarily rate limited. Please visit "
        "https://support.google.com/mail/?p=UnsolicitedRateLimitError to review our Bulk Email "
        "Senders Guidelines.",
    ),
    (
        21,
        "Gmail: unusual rate of unsolicited mail, blocked (550 5.7.28)",
        "google",
        "",
        "5.7.28",
        "",
        "blocked",
        "550-5.7.28 [203.0.113.9      15] Our system has detected an unusual rate of unsolicited "
        "mail originating from your IP address. To protect our users from spam, mail sent from "
        "your IP address has been blocked.",
    ),
    (
        30,
        "Gmail: likely unsolicited or low reputation, blocked (550 5.7.1)",
        "google",
        "550",
        "5.7.1",
        "",
        "blocked",
        "550-5.7.1 [203.0.113.9      12] Our system has detected that this message is likely "
        "unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been "
        "blocked. Please visit https://support.google.com/mail/?p=UnsolicitedMessageError to "
        "review our Bulk Email Senders Guidelines.",
    ),
    (
        40,
        "Unauthenticated mail, rate limited (4.7.26)",
        None,
        "",
        "4.7.26",
        "",
        "throttled",
        "421-4.7.26 This mail has been rate limited because it is unauthenticated. Gmail "
        "requires all senders to authenticate with either SPF or DKIM.",
    ),
    (
        41,
        "Unauthenticated mail or DMARC policy, blocked (5.7.26)",
        None,
        "",
        "5.7.26",
        "",
        "blocked",
        "550-5.7.26 This mail is unauthenticated, which poses a security risk to the sender and "
        "Gmail users, and has been blocked. The sender must authenticate with at least one of "
        "SPF or DKIM.",
    ),
    (
        50,
        "Microsoft: server busy for this IP (S3140)",
        "microsoft",
        "",
        "",
        r"\bS3140\b",
        "throttled",
        "451 4.7.500 Server busy. Please try again later from [203.0.113.9]. (S3140) "
        "[VI1EUR04FT063.eop-eur04.prod.protection.outlook.com]",
    ),
    (
        51,
        "Microsoft: server busy for this IP (S3150)",
        "microsoft",
        "",
        "",
        r"\bS3150\b",
        "throttled",
        "451 4.7.500 Server busy. Please try again later from [203.0.113.9]. (S3150) "
        "[AM2EUR03FT012.eop-EUR03.prod.protection.outlook.com]",
    ),
    (
        60,
        "Microsoft: banned sending IP (5.7.606-5.7.649)",
        "microsoft",
        "",
        "5.7.606-5.7.649",
        "",
        "blocked",
        "550 5.7.606 Access denied, banned sending IP [203.0.113.9]. To request removal from this "
        "list please visit https://sender.office.com/ and follow the directions. For more "
        "information please go to http://go.microsoft.com/fwlink/?LinkID=526655 (AS16012609)",
    ),
    (
        61,
        "Microsoft: temporarily rate limited due to IP reputation (4.7.650)",
        "microsoft",
        "",
        "4.7.650",
        "",
        "throttled",
        "451 4.7.650 The mail server [203.0.113.9] has been temporarily rate limited due to IP "
        "reputation. For e-mail delivery information, see https://postmaster.live.com (S775)",
    ),
    (
        70,
        "Yahoo: deferred for unexpected volume or complaints (TSS04)",
        "yahoo",
        "",
        "",
        r"\bTSS04\b",
        "throttled",
        "421 4.7.0 [TSS04] Messages from 203.0.113.9 temporarily deferred due to unexpected "
        "volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
    ),
    (
        71,
        "Yahoo: deferred for user complaints (TS01, TS02)",
        "yahoo",
        "",
        "",
        r"\bTS0[12]\b",
        "throttled",
        "421 4.7.0 [TS01] Messages from 203.0.113.9 temporarily deferred due to user complaints "
        "- 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
    ),
    (
        72,
        "Yahoo: all messages permanently deferred (TS03)",
        "yahoo",
        "",
        "",
        r"\bTS03\b",
        "blocked",
        "553 5.7.1 [TS03] All messages from 203.0.113.9 will be permanently deferred; Retrying "
        "will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
    ),
    (
        80,
        "Unknown recipient (5.1.1): list quality, not reputation",
        None,
        "",
        "5.1.1",
        "",
        "hard_bounce",
        "550-5.1.1 The email account that you tried to reach does not exist. Please try "
        "double-checking the recipient's email address for typos or unnecessary spaces. For "
        "more information, go to https://support.google.com/mail/?p=NoSuchUser",
    ),
    (
        81,
        "Microsoft: recipient not found (5.1.10): list quality, not reputation",
        None,
        "",
        "5.1.10",
        "",
        "hard_bounce",
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    ),
    (
        90,
        "Mailbox full, temporary (4.2.2)",
        None,
        "",
        "4.2.2",
        "",
        "soft_bounce",
        "452-4.2.2 The recipient's inbox is out of storage space. Please direct the recipient to "
        "https://support.google.com/mail/?p=OverQuotaTemp",
    ),
    (
        91,
        "Mailbox full (5.2.2)",
        None,
        "",
        "5.2.2",
        "",
        "soft_bounce",
        "552-5.2.2 The recipient's inbox is out of storage space and inactive. Please direct the "
        "recipient to https://support.google.com/mail/?p=OverQuotaPerm",
    ),
]


def load(apps, schema_editor):
    MailboxProvider = apps.get_model("providers", "MailboxProvider")
    SmtpResponseRule = apps.get_model("providers", "SmtpResponseRule")
    providers = dict(MailboxProvider.objects.values_list("slug", "pk"))
    for position, name, slug, codes, status, pattern, category, example in RULES:
        if slug is not None and slug not in providers:
            continue
        SmtpResponseRule.objects.update_or_create(
            name=name,
            defaults={
                "position": position,
                "provider_id": providers.get(slug) if slug else None,
                "smtp_codes": codes,
                "enhanced_status": status,
                "pattern": pattern,
                "category": category,
                "example": example,
                "enabled": True,
            },
        )


def unload(apps, schema_editor):
    SmtpResponseRule = apps.get_model("providers", "SmtpResponseRule")
    SmtpResponseRule.objects.filter(name__in=[rule[1] for rule in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("providers", "0003_smtp_response_rules")]
    operations = [migrations.RunPython(load, unload)]
