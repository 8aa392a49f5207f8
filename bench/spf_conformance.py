#!/usr/bin/env python
"""SPF conformance: `domains.spf.evaluate` against the openspf.org RFC 7208 test suite.

    .venv/bin/python bench/spf_conformance.py [PATH] [--timeout 0.5] [--goal 98] [--verbose]

PATH is the suite's YAML (default: ../shared/testdata/rfc7208-tests.yml next to the checkout;
the format is described in the README beside it). Every section's zone data is served by the
real DNS test server (warmup_site/testing/dns_server.py) and every case is evaluated through
`warmup_site.dns` and `domains.resolution`, as Verified Domains does. The script prints
passed/total per section and overall, lists each failing case with the reason evaluation gave,
and exits non-zero when fewer than --goal percent of the results are right.

Only results are compared: the `explanation` field needs `exp=` texts, which Warmup does not
evaluate (RFC 7208 §6.2 makes them optional; it does check their syntax).

Zone data follows pyspf's test driver, whose suite this is: an `SPF` entry stands for a TXT
record when the name has no `TXT` entry; `TXT: NONE` means no TXT record; `TIMEOUT` makes every
query for the name time out, except queries of a type listed before it. Type SPF (99) itself is
not served: RFC 7208 retired it and receivers no longer ask for it.
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmup_site.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import yaml  # noqa: E402
from django.conf import settings  # noqa: E402

from domains import spf  # noqa: E402
from domains.resolution import run_one  # noqa: E402
from warmup_site.testing.dns_server import DnsTestServer  # noqa: E402

DEFAULT_PATH = ROOT.parent / "shared" / "testdata" / "rfc7208-tests.yml"
# Every type evaluation may ask for; TIMEOUT applies to those not listed before it.
QUERY_TYPES = ("A", "AAAA", "MX", "TXT", "PTR", "CNAME")


def serve_zone(server: DnsTestServer, zonedata: dict) -> None:
    for name, entries in (zonedata or {}).items():
        has_txt = any(isinstance(entry, dict) and "TXT" in entry for entry in entries)
        served: list[tuple[str, object]] = []
        generated: list[tuple[str, object]] = []  # TXT records standing in for SPF entries
        timeout = False
        for entry in entries:
            if entry == "TIMEOUT":
                timeout = True
                break  # pyspf never serves what follows a TIMEOUT
            ((rtype, value),) = entry.items()
            if value == "NONE":
                continue
            if rtype == "SPF":
                if not has_txt:
                    generated.append(("TXT", value))
                continue
            served.append((rtype, value))
        if not timeout:
            served += generated  # pyspf appends them after everything else
        for rtype, value in served:
            server.add(name, rtype, tuple(value) if rtype == "MX" else value)
        if timeout:
            listed = {rtype for rtype, _value in served}
            for rtype in QUERY_TYPES:
                if rtype not in listed:
                    server.fail(name, "TIMEOUT", rtype=rtype)


def identity(case: dict) -> tuple[str, str]:
    """(local-part, domain) of MAIL FROM; the HELO name when it is empty (RFC 7208 §2.4)."""
    mailfrom = case.get("mailfrom") or ""
    if not mailfrom:
        return "postmaster", case["helo"]
    local, at, domain = mailfrom.rpartition("@")
    if not at:
        return "postmaster", mailfrom
    return local or "postmaster", domain


def evaluate(case: dict) -> spf.Outcome:
    local, domain = identity(case)
    return run_one(spf.evaluate(domain, ip=case["host"], helo=case["helo"], local_part=local))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, help=f"default: {DEFAULT_PATH}")
    parser.add_argument("--timeout", type=float, default=0.5, help="seconds per DNS lookup")
    parser.add_argument("--goal", type=float, default=98.0, help="percent of results right")
    parser.add_argument("--verbose", action="store_true", help="list passing cases too")
    args = parser.parse_args()

    path = args.path or DEFAULT_PATH
    if not path.exists():
        message = f"{path} not found: pass the path of rfc7208-tests.yml (the openspf.org suite)"
        if args.path:
            sys.exit(message)
        print(f"skipped: {message}")
        return
    sections = [s for s in yaml.safe_load_all(path.read_text(encoding="utf-8")) if s]

    server = DnsTestServer().start()
    settings.WARMUP_DNS_NAMESERVERS = [server.address]
    settings.WARMUP_DNS_TIMEOUT = args.timeout
    passed = total = 0
    failures: list[str] = []
    try:
        for section in sections:
            server.clear()
            serve_zone(server, section.get("zonedata"))
            right = 0
            for name, case in section["tests"].items():
                expected = case["result"]
                expected = expected if isinstance(expected, list) else [expected]
                outcome = evaluate(case)
                ok = outcome.result in expected
                right += ok
                line = (
                    f"  {name} (§{case.get('spec', '?')}): expected {'/'.join(expected)}, "
                    f"got {outcome.result}" + (f" — {outcome.reason}" if outcome.reason else "")
                )
                if not ok:
                    failures.append(f"[{section['description']}]{line}")
                elif args.verbose:
                    print(f"ok{line}")
            count = len(section["tests"])
            passed, total = passed + right, total + count
            print(f"{section['description']:<45} {right:>3}/{count}")
    finally:
        server.stop()

    percent = 100 * passed / total
    print(f"\npassed {passed}/{total} ({percent:.1f}%; goal: at least {args.goal:g}%)")
    if failures:
        print("failures:")
        print("\n".join(failures))
    if percent < args.goal:
        sys.exit("below the goal")


if __name__ == "__main__":
    main()
