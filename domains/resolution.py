"""Checks that need DNS are written as generators, so that many of them share one lookup pool.

A check is a generator that *yields* the lookups it needs next, as a list of ``(name, type)``
pairs, receives the list of `warmup_site.dns.Result` in the same order, and finally *returns*
its verdict::

    def check_ownership(host, token):
        (result,) = yield [(host, "TXT")]
        return ...

The check never waits on the network itself. `run()` drives any number of checks together in
rounds: every lookup wanted by any check in a round goes out at once through
`warmup_site.dns.lookup_many` (a thread pool), each distinct lookup once per run. A check that
depends on an earlier answer (an SPF include chain) simply yields again and takes part in the
next round. So checking 1,000 domains costs about as many rounds as the deepest chain, not
1,000 × 5 lookups one after another — and the same code checks one domain for "verify now".

`gather()` combines sub-checks inside a check (`yield from gather(a, b)`), the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Sequence
from typing import Any, TypeVar

from warmup_site import dns

Query = tuple[str, str]
Check = Generator[list[Query], list[dns.Result], Any]
T = TypeVar("T")


def query(name: str, rdtype: str) -> Query:
    """A lookup in the canonical form checks yield (lower case, no trailing dot)."""
    return name.strip().rstrip(".").lower(), rdtype.upper()


def _advance(check: Check, answers: list[dns.Result] | None) -> tuple[bool, Any]:
    """Send answers in; (True, queries wanted next) or (False, the check's return value)."""
    try:
        wanted = check.send(answers)
        while not wanted:  # a check may yield an empty list: answer it at once
            wanted = check.send([])
    except StopIteration as stop:
        return False, stop.value
    return True, [query(name, rdtype) for name, rdtype in wanted]


def gather(*checks: Check) -> Generator[list[Query], list[dns.Result], list[Any]]:
    """Run sub-checks side by side; returns their results in order."""
    results: list[Any] = [None] * len(checks)
    pending: dict[int, list[Query]] = {}
    for index, check in enumerate(checks):
        running, value = _advance(check, None)
        if running:
            pending[index] = value
        else:
            results[index] = value
    while pending:
        wanted = list(dict.fromkeys(q for queries in pending.values() for q in queries))
        answers = dict(zip(wanted, (yield wanted), strict=True))
        for index, queries in list(pending.items()):
            running, value = _advance(checks[index], [answers[q] for q in queries])
            if running:
                pending[index] = value
            else:
                del pending[index]
                results[index] = value
    return results


Resolver = Callable[[Sequence[Query]], list[dns.Result]]


def run(checks: Iterable[Check], *, resolve: Resolver | None = None) -> list[Any]:
    """Drive checks to completion; each distinct lookup is made once per call.

    `resolve` defaults to `warmup_site.dns.lookup_many` (concurrent).
    """
    resolve = resolve or dns.lookup_many
    cache: dict[Query, dns.Result] = {}
    combined = gather(*checks)
    running, value = _advance(combined, None)
    while running:
        missing = [q for q in value if q not in cache]
        if missing:
            cache.update(zip(missing, resolve(missing), strict=True))
        running, value = _advance(combined, [cache[q] for q in value])
    return value


def run_one(check: Generator[list[Query], list[dns.Result], T]) -> T:
    return run([check])[0]
