"""What a person sees, in headless Chromium: logging in and landing on the overview."""

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_it_logs_in_and_shows_the_overview(page, live_server, owner, password):
    page.goto(f"{live_server.url}/")
    assert page.title() == "Log in · Warmup"

    page.fill("#id_username", "olivia")
    page.fill("#id_password", password)
    page.click("button[type=submit]")

    page.wait_for_selector("h1:has-text('Acme Mail')")
    assert page.locator(".sidebar").inner_text().startswith("Overview")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

    page.click(".user-menu summary")
    page.click("text=Log out")
    page.wait_for_selector("text=Log in to Warmup")
