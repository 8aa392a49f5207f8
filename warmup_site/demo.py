"""Demo data loaded by `make run` (`manage.py load_demo`). Each app adds its own loader here.

Loaders are idempotent and return lines worth printing (logins, what to look at).
"""

import inspect
from importlib import import_module

LOADERS = [
    "accounts.demo.load",
    "domains.demo.load",
    "ips.demo.load",
    "engagement.demo.load",
    "reputation.demo.load",
]

# Local stand-ins for outside services that `manage.py serve` starts in sandbox mode, before the
# loaders run (a loader may use them). Each is a callable returning an object with `stop()` and
# `describe()`; one that takes an `api_url` argument gets the web server's URL (it may call the
# API once the server answers).
SANDBOX_SERVICES = [
    "reputation.feeds.sandbox.start",
    "ips.sandbox.start",
]


def _callable(path: str):
    module, _, func = path.rpartition(".")
    return getattr(import_module(module), func)


def load_all() -> list[str]:
    lines: list[str] = []
    for path in LOADERS:
        lines.extend(_callable(path)())
    return lines


def start_sandbox_services(*, api_url: str) -> list:
    services = []
    for path in SANDBOX_SERVICES:
        start = _callable(path)
        takes_url = "api_url" in inspect.signature(start).parameters
        services.append(start(api_url=api_url) if takes_url else start())
    return services
