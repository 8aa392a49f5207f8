"""SMTP-response rules: which deferral and bounce replies mean throttling, blocking or a listing.

The rules live in the database (`SmtpResponseRule`, edited in the admin). Code that classifies
many replies loads them once with `rules_load()` and calls `response_classify()` per reply: the
regular expressions are compiled once per load, and a reply is matched against the rules in
their order, first match wins.

Reply codes come from the event when the sending pipeline gives them, or are read from the start
of the reply text (`421-4.7.28 …`): only there, because the rest of a reply is full of IP
addresses and version numbers that look like enhanced status codes (`203.0.113.9`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from providers.models import SmtpResponseRule

Status = tuple[int, int, int]

_STATUS = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})$")
# "421-4.7.28 [203.0.113.9 15] Our system…", "550 5.1.1 <a@b>: …", "451 4.7.500 Server busy…"
_REPLY_START = re.compile(r"^\s*([2-5]\d\d)(?:[ -]+([245]\.\d{1,3}\.\d{1,3})(?![\d.]))?")
_CODE = re.compile(r"^[2-5]\d\d$")


def parse_status(text: str) -> Status | None:
    """`4.7.28` → (4, 7, 28); None when the text is not an enhanced status code."""
    match = _STATUS.match(text.strip())
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3])


def parse_status_range(text: str) -> tuple[Status, Status] | None:
    """`5.7.606-5.7.649` or `4.7.28` → (low, high); None for blank. ValueError if malformed."""
    text = text.strip()
    if not text:
        return None
    low_text, dash, high_text = text.partition("-")
    low = parse_status(low_text)
    high = parse_status(high_text) if dash else low
    if low is None or high is None:
        raise ValueError(
            f"{text!r} is not an enhanced status code (4.7.28) or a range (5.7.606-5.7.649)"
        )
    if high < low:
        raise ValueError(f"{text!r} is a range whose end comes before its start")
    return low, high


def parse_codes(text: str) -> frozenset[int]:
    """`421, 450` → {421, 450}; blank → empty (any). ValueError if an item is not a reply code."""
    codes = set()
    for item in text.replace(" ", ",").split(","):
        if not item:
            continue
        if not _CODE.match(item):
            raise ValueError(f"{item!r} is not an SMTP reply code (200-599)")
        codes.add(int(item))
    return frozenset(codes)


def compile_pattern(text: str) -> re.Pattern | None:
    if not text.strip():
        return None
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"{text!r} is not a valid regular expression ({exc})") from None


def reply_parts(response: str) -> tuple[int | None, str]:
    """The reply code and enhanced status code at the start of a reply text, when present."""
    match = _REPLY_START.match(response or "")
    if match is None:
        return None, ""
    return int(match[1]), match[2] or ""


@dataclass(frozen=True)
class CompiledRule:
    id: int
    name: str
    provider: str | None  # provider slug, None for every provider
    codes: frozenset[int]
    statuses: tuple[Status, Status] | None
    regex: re.Pattern | None
    category: str

    def matches(self, *, provider: str, code: int | None, status: Status | None, text: str) -> bool:
        if self.provider is not None and self.provider != provider:
            return False
        if self.codes and code not in self.codes:
            return False
        if self.statuses is not None and (
            status is None or not self.statuses[0] <= status <= self.statuses[1]
        ):
            return False
        return self.regex is None or self.regex.search(text) is not None


def rules_load() -> list[CompiledRule]:
    """The enabled rules, compiled, in order (one query). A rule that no longer compiles — the
    admin refuses to save one, so only a hand-edited row — is skipped rather than failing
    ingestion."""
    rules = []
    rows = (
        SmtpResponseRule.objects.filter(enabled=True)
        .order_by("position", "pk")
        .values_list(
            "id", "name", "provider__slug", "smtp_codes", "enhanced_status", "pattern", "category"
        )
    )
    for rule_id, name, provider, codes, statuses, pattern, category in rows:
        try:
            compiled = CompiledRule(
                id=rule_id,
                name=name,
                provider=provider,
                codes=parse_codes(codes),
                statuses=parse_status_range(statuses),
                regex=compile_pattern(pattern),
                category=category,
            )
        except ValueError:
            continue
        rules.append(compiled)
    return rules


def response_classify(
    *,
    rules: Sequence[CompiledRule],
    provider: str,
    smtp_code: int | None,
    enhanced_status: str,
    response: str,
) -> CompiledRule | None:
    """The first rule that matches a reply, or None. Missing codes are read from the text."""
    text_code, text_status = reply_parts(response)
    code = smtp_code if smtp_code is not None else text_code
    status = parse_status(enhanced_status or text_status)
    for rule in rules:
        if rule.matches(provider=provider, code=code, status=status, text=response):
            return rule
    return None
