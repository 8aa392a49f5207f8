"""Demo data loaded by `make run` (`manage.py load_demo`). Each app adds its own loader here.

Loaders are idempotent and return lines worth printing (logins, what to look at).
"""

from importlib import import_module

LOADERS = [
    "accounts.demo.load",
    "domains.demo.load",
    "ips.demo.load",
    "engagement.demo.load",
]


def load_all() -> list[str]:
    lines: list[str] = []
    for path in LOADERS:
        module, _, func = path.rpartition(".")
        lines.extend(getattr(import_module(module), func)())
    return lines
