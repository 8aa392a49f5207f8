"""Fixtures every app's tests share.

People (STYLE.md): `owner` and `member` belong to account A (`account`), `outsider` owns account
B (`other_account`); `owner_api` / `member_api` / `outsider_api` are API clients authenticated
with each one's token, `pipeline_api` one with a pipeline credential (the sending pipeline's,
serving every account), `owner_client` / … are logged-in browser sessions (Django test client).

DNS: every test resolves against the real DNS test server (warmup_site/testing/dns_server.py),
empty unless the test fills it through the `dns_server` fixture — no test reaches the network.
"""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import sync_playwright
from rest_framework.test import APIClient

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.models import Role
from accounts.tests.factories import PASSWORD, AccountFactory, MembershipFactory, UserFactory
from engagement.seedclient import pool as seed_connections
from providers import registry
from warmup_site.testing import require_binary
from warmup_site.testing.dns_server import DnsTestServer
from warmup_site.testing.dovecot import DovecotServer
from warmup_site.testing.smtp import SmtpSink

# --- infrastructure -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _dns_test_server():
    server = DnsTestServer().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def dns_server(_dns_test_server, settings):
    """The DNS test server, emptied, with the app pointed at it (1 s lookup lifetime)."""
    _dns_test_server.clear()
    _dns_test_server.latency = 0.0
    settings.WARMUP_DNS_NAMESERVERS = [_dns_test_server.address]
    settings.WARMUP_DNS_TIMEOUT = 1.0
    return _dns_test_server


@pytest.fixture(scope="session")
def dovecot():
    """A throw-away Dovecot IMAP server for the session (warmup_site/testing/dovecot.py).

    Add mailboxes with `dovecot.add_user(address, password, folders=(...))`; use unique
    addresses per test (the server lives for the whole session).
    """
    require_binary("dovecot", package="dovecot-imapd", path="/usr/sbin/dovecot")

    server = DovecotServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_sink():
    """An aiosmtpd server on 127.0.0.1 that keeps every message it receives."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests log in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_process_state():
    # Process-local caches must not carry one test's rows into the next (rolled back) test.
    registry.invalidate()
    account_selectors.credential_cache_clear()
    cache.clear()
    yield
    registry.invalidate()
    account_selectors.credential_cache_clear()
    # Seed connections kept between sweeps belong to one test's mailboxes.
    seed_connections.close_all()


# --- people ---------------------------------------------------------------------------------------
# A test that picks people by name with request.getfixturevalue() must also ask for `db`:
# pytest-django orders tests by the fixtures they name, and runs tests that seem not to use the
# database after the transactional (browser) tests, which empty it.


@pytest.fixture
def account(db):
    return AccountFactory(name="Acme Mail", slug="acme-mail")


@pytest.fixture
def other_account(db):
    return AccountFactory(name="Other Corp", slug="other-corp")


@pytest.fixture
def owner(account):
    return MembershipFactory(account=account, user__username="olivia", role=Role.OWNER).user


@pytest.fixture
def member(account):
    return MembershipFactory(account=account, user__username="mike", role=Role.MEMBER).user


@pytest.fixture
def outsider(other_account):
    return MembershipFactory(account=other_account, user__username="oscar", role=Role.OWNER).user


@pytest.fixture
def operator(db):
    user = UserFactory(username="opal")
    account_services.user_make_operator(user=user)
    return user


@pytest.fixture
def password():
    return PASSWORD


def _api_client(user) -> APIClient:
    membership = user.memberships.select_related("account").first()
    key = account_services.api_token_issue(membership=membership)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def owner_api(owner):
    return _api_client(owner)


@pytest.fixture
def member_api(member):
    return _api_client(member)


@pytest.fixture
def outsider_api(outsider):
    return _api_client(outsider)


@pytest.fixture
def anon_api():
    return APIClient()


@pytest.fixture
def pipeline_credential(db):
    """The sending pipeline's credential (operator-made; serves every account) and its key."""
    return account_services.pipeline_credential_create(name="mta-test")


@pytest.fixture
def pipeline_api(pipeline_credential):
    """An API client authenticated with a pipeline credential (routes and events only)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {pipeline_credential[1]}")
    return client


def _logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner):
    return _logged_in(owner)


@pytest.fixture
def member_client(member):
    return _logged_in(member)


@pytest.fixture
def outsider_client(outsider):
    return _logged_in(outsider)


@pytest.fixture
def operator_client(operator):
    return _logged_in(operator)


# --- browser --------------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (no browser download)."""
    path = require_binary("chromium", package="chromium", path=CHROMIUM)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Reported as console errors, so that the check below sees them whatever Chromium's own wording.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


def watch_console(page) -> list[str]:
    """A list that collects the page's console errors, uncaught exceptions and (with the init
    script above in its context) Content-Security-Policy violations as they happen."""
    problems: list[str] = []

    def on_console(message):
        if message.type == "error":
            problems.append(f"console error: {message.text} ({message.location})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught exception: {error}"))
    return problems


@pytest.fixture
def page(browser, request):
    """A fresh browser page. The test fails if the page logs any console error, an uncaught
    exception or a Content-Security-Policy violation — except messages the test expects, given
    as regular expressions with `@pytest.mark.console_errors("…")` (e.g. the 404 of a page it
    opens on purpose)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    problems = watch_console(page)
    yield page
    context.close()
    expected = [
        re.compile(pattern)
        for marker in request.node.iter_markers("console_errors")
        for pattern in marker.args
    ]
    unexpected = [p for p in problems if not any(e.search(p) for e in expected)]
    assert not unexpected, "the page reported errors:\n" + "\n".join(unexpected)
