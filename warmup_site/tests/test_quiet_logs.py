"""The console stays readable: a 404 or 403 is one line, a routine PermissionDenied has no
traceback, the API schema loads without warnings, aiosmtpd does not narrate every SMTP command,
and the sandbox's ports follow `make run PORT=…`."""

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


class Recorder(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def console():
    """What reaches the console: every handler of the root logger, and any other left on the
    loggers that requests go through (a second handler would print a line twice)."""
    recorder = Recorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    yield recorder
    root.removeHandler(recorder)


def test_django_has_no_console_of_its_own():
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django.request").handlers == []


def test_a_404_is_logged_once(client, db, console):
    assert client.get("/no-such-page/").status_code == 404

    lines = [r for r in console.records if r.name == "django.request"]
    assert [r.getMessage() for r in lines] == ["Not Found: /no-such-page/"]


def test_a_permission_denied_is_one_line_without_a_traceback(operator_client, console):
    # The IP warm-up rows cannot be added by hand: the admin raises PermissionDenied.
    assert operator_client.get("/admin/ips/ipwarmup/add/").status_code == 403

    (line,) = [r for r in console.records if r.name == "django.request"]
    assert line.getMessage().startswith("Forbidden (Permission denied): /admin/ips/ipwarmup/add/")
    assert line.exc_info is None


def test_smtp_commands_stay_off_the_console():
    assert logging.getLogger("mail.log").getEffectiveLevel() == logging.WARNING


def test_the_api_schema_loads_without_warnings(db, tmp_path):
    # --fail-on-warn raises on any warning drf-spectacular would print on every schema load.
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))


@pytest.mark.parametrize(
    ("env", "smtp", "feeds"),
    [
        ({}, 2525, 2526),
        ({"PORT": "8001"}, 2527, 2528),
        ({"PORT": "8010"}, 2545, 2546),
        ({"PORT": "5000"}, 2525, 2526),
        ({"PORT": "8001", "WARMUP_SANDBOX_SMTP_PORT": "3000"}, 3000, 2528),
    ],
)
def test_the_sandbox_ports_follow_the_web_port(env, smtp, feeds):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.WARMUP_SANDBOX_SMTP_PORT, s.WARMUP_SANDBOX_FEEDS_PORT, s.WARMUP_SMTP_URL, "
        "s.WARMUP_SNDS_URL)"
    )
    base = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "warmup_site.settings",
        "DEBUG": "true",
        "WARMUP_SANDBOX": "true",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    found_smtp, found_feeds, smtp_url, snds_url = result.stdout.split()
    assert (int(found_smtp), int(found_feeds)) == (smtp, feeds)
    assert smtp_url == f"smtp://127.0.0.1:{smtp}?tls=none"
    assert snds_url.startswith(f"http://127.0.0.1:{feeds}/")
