"""Test helpers shared by every app's tests and by bench/ (needs requirements-dev.txt)."""

import os
import shutil
from importlib import import_module

import pytest
from django.apps import apps


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_binary(name: str, *, package: str, path: str | None = None) -> str:
    """The path of a system program a test needs.

    Missing locally: the test is skipped with the command that installs it. Missing in CI
    (CI=true): the test fails — CI must never pass by skipping.
    """
    found = path if path and os.path.exists(path) else shutil.which(name)
    if found:
        return found
    reason = (
        f"missing system package: {name} not found; install it with `apt-get install -y {package}`"
    )
    if in_ci():
        pytest.fail(reason + " (CI=true: tests may not skip for this)", pytrace=False)
    pytest.skip(reason)


def load_reference_data() -> None:
    """Load the rows the data migrations ship (mailbox providers, SMTP-response rules, IP
    warm-up profiles) again, idempotently.

    A transactional test (`django_db(transaction=True)`) runs on a database that earlier
    transactional tests may have flushed, and Django's serialized rollback does not always
    restore it (it depends on which tests ran before). Such a test calls this first.
    """
    for module, function in (
        ("providers.migrations.0002_load_providers", "load"),
        ("providers.migrations.0004_load_smtp_response_rules", "load"),
        ("providers.migrations.0005_more_smtp_response_rules", "load"),
        ("ips.migrations.0002_load_warmup_profiles", "load"),
        ("ips.migrations.0009_closed_loop_profiles", "forward"),
    ):
        getattr(import_module(module), function)(apps, None)
