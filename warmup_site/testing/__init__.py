"""Test helpers shared by every app's tests and by bench/ (needs requirements-dev.txt)."""

import os
import shutil

import pytest


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
