"""The records a domain publishes, and the checks that judge each one.

Each check is a generator (see domains/resolution.py), so that the checks of one domain — and
of a thousand domains in the daily job — share one pool of concurrent lookups.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings

from domains import dkim, dmarc, spf
from domains.findings import Finding, Status, tempfail_detail
from domains.models import Domain, DomainRecord
from domains.resolution import gather
from warmup_site.hostnames import MAX_LENGTH as MAX_DNS_NAME

Kind = DomainRecord.Kind

OWNERSHIP_PREFIX = "warmup-verification="
MAX_CNAME_HOPS = 8
# Kinds that must be ok for a domain to be verified (the return path is recommended only).
REQUIRED_KINDS = frozenset({Kind.OWNERSHIP, Kind.SPF, Kind.DKIM, Kind.DMARC})
POSITIONS = {Kind.OWNERSHIP: 0, Kind.SPF: 10, Kind.DKIM: 20, Kind.DMARC: 30, Kind.RETURN_PATH: 40}


def ownership_host(domain: str) -> str:
    return f"_warmup.{domain}"


def ownership_value(token: str) -> str:
    return f"{OWNERSHIP_PREFIX}{token}"


def return_path_host(domain: str) -> str:
    return f"{settings.WARMUP_RETURN_PATH_PREFIX}.{domain}"


def spf_default_value() -> str:
    return spf.merged_record([], settings.WARMUP_SPF_INCLUDE)


def longest_publishable_name() -> int:
    """The longest domain name whose records can all exist in DNS.

    A name in DNS has at most 253 characters (255 octets on the wire, RFC 1035 §2.3.4), and the
    records a domain publishes live under longer names than the domain itself: the DKIM
    selector's `<selector>._domainkey.` (30 characters with the default prefix) is the longest
    of `_warmup.`, `_dmarc.`, the return path's and the DKIM host's additions. Selectors have a
    fixed length (dkim.new_selector), so one sample measures them all.
    """
    hosts = (
        ownership_host(""),
        dmarc.record_host(""),
        dkim.record_host(dkim.new_selector(), ""),
        return_path_host(""),
    )
    return MAX_DNS_NAME - max(len(host) for host in hosts)


# --- single-record checks -------------------------------------------------------------------------


def check_ownership(host: str, token: str):
    (result,) = yield [(host, "TXT")]
    if result.tempfail:
        return Finding(
            Status.ERROR, "", tempfail_detail(f"the ownership record at {host}", result.error)
        )
    expected = ownership_value(token)
    if result.absent:
        return Finding(
            Status.MISSING,
            result.describe(),
            f"There is no TXT record at {host}. Publish the one shown: it proves that this "
            "domain is yours. Some DNS hosts want only _warmup as the name.",
        )
    values = [value.strip() for value in result.records]
    if any(value.lower() == expected.lower() for value in values):
        return Finding(Status.OK, "\n".join(values), "The ownership record is in place.")
    ours = [v for v in values if v.lower().startswith(OWNERSHIP_PREFIX)]
    if ours:
        detail = (
            f"The TXT record at {host} holds another token ({ours[0]}): perhaps from an "
            "earlier attempt or another account. Change it to the value shown."
        )
    else:
        detail = f"The TXT records at {host} do not hold the ownership token. Add the one shown."
    return Finding(Status.MISMATCH, "\n".join(values), detail)


def check_return_path(host: str, target: str):
    target = spf.normalise_host(target)
    chain: list[str] = []
    name = host
    for _hop in range(MAX_CNAME_HOPS):
        (result,) = yield [(name, "CNAME")]
        if result.tempfail:
            return Finding(
                Status.ERROR,
                " → ".join(chain),
                tempfail_detail(f"the return-path record at {host}", result.error),
            )
        if not result.ok:
            break
        name = result.records[0]
        chain.append(name)
        if name == target:
            return Finding(
                Status.OK,
                f"CNAME {' → '.join(chain)}",
                "Bounces come back to us under your domain, so your mail's return path (and "
                "SPF alignment) is your own domain.",
                value=target,
            )
    if not chain:
        return Finding(
            Status.MISSING,
            f"no CNAME record at {host}",
            f"There is no CNAME at {host}. It is recommended, not required: with it, bounces "
            "are addressed to your own domain, which aligns SPF for DMARC. Publish the CNAME "
            "shown.",
            value=target,
        )
    return Finding(
        Status.MISMATCH,
        f"CNAME {' → '.join(chain)}",
        f"{host} points to {chain[-1]}, not to {target}. Change the CNAME's target to the "
        "value shown (recommended; it does not block verification).",
        value=target,
    )


# --- a domain's checks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainCheck:
    """What one check of a domain found: a Finding per record id."""

    domain_id: int
    findings: dict[int, Finding]


def check_record(record: DomainRecord, domain: Domain, *, ips: Sequence[str] = ()):
    kind = record.kind
    if kind == Kind.OWNERSHIP:
        return check_ownership(record.host, domain.ownership_token)
    if kind == Kind.SPF:
        return spf.check(domain.name, include=settings.WARMUP_SPF_INCLUDE, ips=ips)
    if kind == Kind.DKIM:
        return dkim.check(record.host, record.dkim_key.public_key)
    if kind == Kind.DMARC:
        return dmarc.check(domain.name)
    return check_return_path(record.host, settings.WARMUP_RETURN_PATH_TARGET)


def check_domain(domain: Domain, records: Iterable[DomainRecord], *, ips: Sequence[str] = ()):
    """Every record of a domain at once (a generator; see domains/resolution.py)."""
    records = list(records)
    findings = yield from gather(*(check_record(r, domain, ips=ips) for r in records))
    return DomainCheck(domain.pk, {r.pk: f for r, f in zip(records, findings, strict=True)})


# --- the records to publish -----------------------------------------------------------------------


def dkim_record_fields(domain: Domain, key, *, required: bool) -> dict:
    return {
        "domain": domain,
        "kind": Kind.DKIM,
        "type": "TXT",
        "host": dkim.record_host(key.selector, domain.name),
        "value": key.record_value,
        "required": required,
        "position": POSITIONS[Kind.DKIM] + (0 if required else 1),
        "dkim_key": key,
    }


def initial_records(domain: Domain, key) -> list[DomainRecord]:
    """The records a new domain publishes (unsaved), with `key` as its active DKIM key."""
    return [
        DomainRecord(
            domain=domain,
            kind=Kind.OWNERSHIP,
            type="TXT",
            host=ownership_host(domain.name),
            value=ownership_value(domain.ownership_token),
            position=POSITIONS[Kind.OWNERSHIP],
        ),
        DomainRecord(
            domain=domain,
            kind=Kind.SPF,
            type="TXT",
            host=domain.name,
            value=spf_default_value(),
            position=POSITIONS[Kind.SPF],
        ),
        DomainRecord(**dkim_record_fields(domain, key, required=True)),
        DomainRecord(
            domain=domain,
            kind=Kind.DMARC,
            type="TXT",
            host=dmarc.record_host(domain.name),
            value=dmarc.RECOMMENDED,
            position=POSITIONS[Kind.DMARC],
        ),
        DomainRecord(
            domain=domain,
            kind=Kind.RETURN_PATH,
            type="CNAME",
            host=return_path_host(domain.name),
            value=spf.normalise_host(settings.WARMUP_RETURN_PATH_TARGET),
            required=False,
            position=POSITIONS[Kind.RETURN_PATH],
        ),
    ]
