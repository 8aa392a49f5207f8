"""Every row has a readable name (admin titles, breadcrumbs, foreign-key choices): no raw ids,
no "None"; and the admin's headings are spelt right."""

import re

import pytest
from django.apps import apps
from django.core.management import call_command

from domains.models import DomainWarmup, DomainWarmupPlan
from ips.models import IpWarmup, IpWarmupDecision

APPS = ("accounts", "providers", "domains", "ips", "engagement", "reputation")


@pytest.fixture
def demo(db):
    call_command("load_demo")


def test_every_row_of_the_demo_has_a_readable_name(demo):
    named = 0
    for model in apps.get_models():
        if model._meta.app_label not in APPS or model._meta.proxy:
            continue
        for row in model.objects.all()[:3]:
            name = str(row)
            # A leading number is an id, unless it is a date ("26 Nov 2026, …").
            raw_id = re.match(r"^\d+(?=\s|$)(?! [A-Z][a-z]{2} \d{4})", name)
            assert not raw_id, f"{model.__name__}: {name!r} starts with an id"
            assert "None" not in name, f"{model.__name__}: {name!r}"
            assert not re.search(r"\b(?:warm-up of|→) \d+\b", name), f"{model.__name__}: {name!r}"
            named += 1
    assert named > 40


def test_the_rows_the_issue_named_read_as_sentences(demo):
    warmup = IpWarmup.objects.filter(ip__address="198.51.100.20", provider__slug="google").get()
    decision = IpWarmupDecision.objects.filter(warmup=warmup).order_by("day").first()

    assert str(warmup) == "198.51.100.20 at Google (Gmail, Workspace): Warming up"
    assert str(decision).startswith("198.51.100.20 at Google (Gmail, Workspace), ")
    assert str(DomainWarmup.objects.get()) == "Domain Warmup of news.demo-sender.example (on)"
    plan = DomainWarmupPlan.objects.filter(provider__slug="google").get()
    assert str(plan).startswith("news.demo-sender.example at Google (Gmail, Workspace): day ")


@pytest.mark.parametrize(
    ("label", "plural"),
    [
        ("engagement.SeedMailbox", "seed mailboxes"),
        ("accounts.ApiToken", "API tokens"),
        ("ips.IpPool", "IP pools"),
        ("providers.SmtpResponseRule", "SMTP response rules"),
        ("ips.IpWarmupDay", "IP days at a provider"),
        ("domains.DkimKey", "DKIM keys"),
        ("ips.WarmupProfile", "warm-up profiles"),
    ],
)
def test_the_admin_headings_are_spelt_right(label, plural):
    assert apps.get_model(label)._meta.verbose_name_plural == plural
