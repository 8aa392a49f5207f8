"""Validation of the two hot API payloads: routes and delivery events.

These run for up to 10,000 items per request, so they are plain functions instead of DRF
serializers (which cost tens of microseconds per item). They check field by field and raise
`ApplicationError` naming the first bad input by path (`events[3].type`), the same shape as
every other API error; the serializers in ips/api.py describe the payloads for the OpenAPI
schema only. Repeated values (the same sender domain or IP in every event) are validated once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ips.addresses import normalise_ip
from ips.models import DeliveryEvent
from ips.types import EventInput, Recipient
from providers.responses import parse_status
from warmup_site.errors import ApplicationError
from warmup_site.hostnames import normalise_domain

MAX_RECIPIENTS = 10_000
MAX_EVENTS = 10_000
MAX_ADDRESS = 320  # RFC 5321: 64 for the local part + @ + 255 for the domain
MAX_LOCAL_PART = 64
MAX_EVENT_ID = 200
MAX_RESPONSE = 10_000
# Clocks drift; an event further in the future than this is a broken clock, not an event.
FUTURE_TOLERANCE = timedelta(hours=1)
EVENT_TYPES = frozenset(DeliveryEvent.Type.values)


def _fail(field: str, message: str):
    raise ApplicationError(f"{field}: {message}", field=field)


def _list(data, key: str, limit: int) -> list:
    if not isinstance(data, dict):
        _fail("non_field_errors", "Send a JSON object.")
    if key not in data:
        _fail(key, "This field is required.")
    items = data[key]
    if not isinstance(items, list):
        _fail(key, "Expected a list of items.")
    if not items:
        _fail(key, "This list may not be empty.")
    if len(items) > limit:
        _fail(key, f"Ensure this field has no more than {limit} elements (got {len(items)}).")
    return items


# Control characters and spaces have no place in an address (RFC 5321 allows them only quoted,
# and no mailbox provider accepts such local parts).
_ADDRESS_BAD = re.compile(r"[\x00-\x20\x7f]")


def _text_problem(value: str) -> str | None:
    """Why a string cannot be stored as text: a NUL (PostgreSQL refuses it) or a lone
    surrogate (not encodable as UTF-8, e.g. JSON's "\\ud800")."""
    if "\x00" in value:
        return "contains a NUL character (\\u0000)."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (it holds a lone surrogate such as \\ud800)."
    return None


def _address_problem(value, domains: dict[str, bool]) -> str | None:
    """Why `value` is not an email address routing can use; `domains` caches the verdict on
    each domain part (a batch repeats them)."""
    if not isinstance(value, str):
        return "Give the address as a string."
    if len(value) > MAX_ADDRESS:
        return f"An address has at most {MAX_ADDRESS} characters."
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        return f"{value!r} is not an email address."
    if len(local) > MAX_LOCAL_PART:
        return f"{value!r}: the part before the @ has at most {MAX_LOCAL_PART} characters."
    if _ADDRESS_BAD.search(value):
        return f"{value!r} contains a space or a control character."
    problem = _text_problem(value)
    if problem:
        return f"The address {problem}"
    known = domains.get(domain)
    if known is None:
        try:
            normalise_domain(domain)
            known = domains[domain] = True
        except ValueError as exc:
            domains[domain] = False
            return f"{value!r}: the domain {domain!r} {exc}."
    if not known:
        return f"{value!r}: {domain!r} is not a valid domain name."
    return None


def _domain(value, field: str, cache: dict) -> str:
    if not isinstance(value, str):
        _fail(field, "Give the domain as a string.")
    problem = _text_problem(value)
    if problem:
        _fail(field, f"The domain {problem}")
    try:
        return cache[value]
    except KeyError:
        pass
    try:
        cache[value] = normalise_domain(value)
    except ValueError as exc:
        _fail(field, f"{value!r} {exc}.")
    return cache[value]


# --- POST /api/v1/routes/ -------------------------------------------------------------------------


def routes_parse(data) -> tuple[str, list[Recipient]]:
    """(normalised sender domain, recipients). Recipients are strings or {address,
    engaged_days}."""
    items = _list(data, "recipients", MAX_RECIPIENTS)
    if "sender_domain" not in data:
        _fail("sender_domain", "This field is required.")
    sender_domain = _domain(data["sender_domain"], "sender_domain", {})
    recipients = []
    append = recipients.append
    domains: dict[str, bool] = {}
    for index, item in enumerate(items):
        if type(item) is str:
            problem = _address_problem(item, domains)
            if problem:
                _fail(f"recipients[{index}]", problem)
            append(Recipient(item))
        elif isinstance(item, dict):
            problem = _address_problem(item.get("address"), domains)
            if problem:
                _fail(f"recipients[{index}].address", problem)
            days = item.get("engaged_days")
            if days is not None and (type(days) is not int or days < 0):
                _fail(
                    f"recipients[{index}].engaged_days",
                    "Give the days since the recipient last engaged as a whole number ≥ 0, "
                    "or null.",
                )
            append(Recipient(item["address"], days))
        else:
            _fail(
                f"recipients[{index}]",
                "Give an address, or an object {address, engaged_days}.",
            )
    return sender_domain, recipients


# --- POST /api/v1/events/ -------------------------------------------------------------------------


def _timestamp(value, field: str, latest: datetime) -> datetime:
    if not isinstance(value, str):
        _fail(field, "Give an ISO 8601 date and time with a time zone, e.g. 2026-11-23T10:15:00Z.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        _fail(field, f"{value!r} is not an ISO 8601 date and time.")
    if moment.tzinfo is None:
        _fail(field, f"{value!r} has no time zone; add Z for UTC or an offset like +01:00.")
    try:
        in_utc = moment.astimezone(UTC)
    except OverflowError:
        _fail(field, f"{value!r} is out of range once converted to UTC.")
    if in_utc > latest:
        _fail(field, f"{value!r} is in the future; check the sending host's clock.")
    # Stored in UTC: PostgreSQL takes offsets up to ±15:59 only, Python's go to ±23:59.
    return in_utc


def events_parse(data, *, now: datetime) -> list[EventInput]:
    items = _list(data, "events", MAX_EVENTS)
    parser = _EventParser(latest=now + FUTURE_TOLERANCE)
    return [parser.parse(item, f"events[{index}]") for index, item in enumerate(items)]


class _EventParser:
    """Checks one event after another; values that repeat across a batch are checked once."""

    def __init__(self, *, latest: datetime):
        self.latest = latest
        self.domains: dict = {}
        self.ips: dict = {}
        self.moments: dict = {}
        self.statuses: set = set()
        self.recipient_domains: dict[str, bool] = {}

    def parse(self, item, where: str) -> EventInput:
        if not isinstance(item, dict):
            _fail(where, "Give each event as an object.")
        return EventInput(
            self._id(item.get("id"), f"{where}.id"),
            self._type(item.get("type"), f"{where}.type"),
            self._ip(item.get("ip"), f"{where}.ip"),
            self._sender_domain(item, f"{where}.sender_domain"),
            self._recipient(item.get("recipient"), f"{where}.recipient", self.recipient_domains),
            self._code(item.get("smtp_code"), f"{where}.smtp_code"),
            self._status(item.get("enhanced_status") or "", f"{where}.enhanced_status"),
            self._response(item.get("response") or "", f"{where}.response"),
            self._timestamp(item, f"{where}.timestamp"),
        )

    @staticmethod
    def _id(event_id, field: str) -> str:
        if type(event_id) is int and not isinstance(event_id, bool):
            event_id = str(event_id)
        if not isinstance(event_id, str) or not event_id.strip():
            _fail(field, "Give the event's id (a string, unique in your account).")
        if len(event_id) > MAX_EVENT_ID:
            _fail(field, f"An id has at most {MAX_EVENT_ID} characters.")
        problem = _text_problem(event_id)
        if problem:
            _fail(field, f"The id {problem}")
        return event_id

    @staticmethod
    def _type(kind, field: str) -> str:
        # A list or an object is unhashable: check the type before the set lookup.
        if not isinstance(kind, str) or kind not in EVENT_TYPES:
            _fail(
                field,
                f"{kind!r} is not a valid choice; use one of {', '.join(sorted(EVENT_TYPES))}.",
            )
        return kind

    def _ip(self, ip_text, field: str) -> str:
        try:
            return self.ips[ip_text]
        except (KeyError, TypeError):
            if not isinstance(ip_text, str):
                _fail(field, "Give the IP address the message left from.")
            try:
                ip = self.ips[ip_text] = normalise_ip(ip_text)
            except ValueError as exc:
                _fail(field, f"{ip_text!r} {exc}.")
            return ip

    def _sender_domain(self, item: dict, field: str) -> str:
        if "sender_domain" not in item:
            _fail(field, "This field is required.")
        return _domain(item["sender_domain"], field, self.domains)

    @staticmethod
    def _recipient(recipient, field: str, domains: dict[str, bool]) -> str:
        problem = _address_problem(recipient, domains)
        if problem:
            _fail(field, problem)
        return recipient

    @staticmethod
    def _code(code, field: str) -> int | None:
        if code is None:
            return None
        if isinstance(code, str) and code.isascii() and code.isdigit():
            code = int(code)  # "²" is a digit to str.isdigit, not to int()
        if type(code) is not int or not 200 <= code <= 599:
            _fail(field, f"{code!r} is not an SMTP reply code (200-599).")
        return code

    def _status(self, status, field: str) -> str:
        if not isinstance(status, str):
            _fail(field, "Give the enhanced status code as a string such as 4.7.28.")
        if status and status not in self.statuses:
            if parse_status(status) is None:
                _fail(field, f"{status!r} is not an enhanced status code such as 4.7.28.")
            self.statuses.add(status)
        return status.strip()

    @staticmethod
    def _response(response, field: str) -> str:
        if not isinstance(response, str):
            _fail(field, "Give the SMTP reply as a string.")
        if len(response) > MAX_RESPONSE:
            _fail(field, f"A reply has at most {MAX_RESPONSE} characters.")
        problem = _text_problem(response)
        if problem:
            _fail(field, f"The reply {problem}")
        return response

    def _timestamp(self, item: dict, field: str) -> datetime:
        if "timestamp" not in item:
            _fail(field, "This field is required.")
        raw = item["timestamp"]
        moment = self.moments.get(raw) if isinstance(raw, str) else None
        if moment is None:
            moment = self.moments[raw] = _timestamp(raw, field, self.latest)
        return moment
