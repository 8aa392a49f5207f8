"""The Content-Security-Policy in Chromium: Swagger UI, the admin and plotly charts work under
it, and the check in conftest's `page` fixture really sees a violation."""

import re

import pytest

from accounts.models import PipelineCredential
from conftest import REPORT_CSP_VIOLATIONS, watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def log_in(page, live_server, username, password, path="/login/"):
    page.goto(f"{live_server.url}{path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("[type=submit]")


def test_swagger_ui_works_under_the_policy(page, live_server, owner, password):
    log_in(page, live_server, "olivia", password)
    page.wait_for_selector("h1:has-text('Acme Mail')")

    response = page.goto(f"{live_server.url}/api/docs/")

    assert "script-src 'self'" in response.headers["content-security-policy"]
    # Swagger UI ran: it fetched the schema and drew an operation per endpoint.
    page.wait_for_selector("text=/api/v1/routes/", timeout=15_000)
    page.click(".opblock-summary-path[data-path='/api/v1/account/']")
    page.click("text=Try it out")
    page.click("text=Execute")
    page.wait_for_selector(".live-responses-table .response-col_status:has-text('200')")


def test_the_admin_works_under_the_policy(page, live_server, operator, password):
    log_in(page, live_server, "opal", password, path="/admin/login/")
    page.wait_for_selector("text=Operate domains, IPs, seeds and providers")

    page.goto(f"{live_server.url}/admin/accounts/pipelinecredential/add/")
    page.fill("#id_name", "mta-eu-1")
    page.click("[name=_save]")

    key = page.locator("#pipeline-key").inner_text()
    assert key.startswith("wup_")
    assert PipelineCredential.objects.get().prefix == key[:12]
    page.goto(f"{live_server.url}/admin/accounts/pipelinecredential/")
    page.check("input[name=_selected_action]")
    page.select_option("select[name=action]", "revoke")
    page.click("button[name=index]")
    page.wait_for_selector("text=Revoked 1 credential")


@pytest.mark.urls("warmup_site.tests.browser_urls")
def test_plotly_charts_work_under_the_policy(page, live_server, db):
    response = page.goto(f"{live_server.url}/test/chart/")

    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector("body[data-plotted=yes]", timeout=15_000)
    assert page.locator("#chart .main-svg").count() >= 1
    assert page.locator("#chart .trace.bars").count() == 1
    page.hover("#chart .modebar")  # the toolbar, drawn with inline style attributes


@pytest.mark.urls("warmup_site.tests.browser_urls")
def test_the_console_check_sees_a_policy_violation(browser, live_server, db):
    context = browser.new_context()
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    problems = watch_console(page)

    page.goto(f"{live_server.url}/test/violation/")
    page.wait_for_timeout(300)
    title = page.title()
    context.close()

    assert title == "bad"  # the inline script did not run
    assert any(re.search(r"CSP violation: script-src", p) for p in problems), problems
