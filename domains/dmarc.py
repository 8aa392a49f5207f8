"""DMARC (RFC 7489): the policy record at `_dmarc.<domain>`, with the organisational-domain
fallback for subdomains (§6.6.3), found through the bundled Public Suffix List."""

from __future__ import annotations

from functools import lru_cache

from publicsuffixlist import PublicSuffixList

from domains.findings import Finding, Status, tempfail_detail

POLICIES = {
    "none": "none: receivers only report, they take no action on mail that fails",
    "quarantine": "quarantine: receivers put mail that fails into spam",
    "reject": "reject: receivers refuse mail that fails",
}
RECOMMENDED = "v=DMARC1; p=none"


@lru_cache(maxsize=1)
def public_suffix_list() -> PublicSuffixList:
    # The list bundled with the package: nothing is fetched at run time.
    return PublicSuffixList()


def organisational_domain(domain: str) -> str:
    """`mail.example.co.uk` → `example.co.uk` (the domain itself when it is one)."""
    return public_suffix_list().privatesuffix(domain) or domain


def record_host(domain: str) -> str:
    return f"_dmarc.{domain}"


def is_dmarc_record(text: str) -> bool:
    # Receivers take only records that start with v=DMARC1; one that merely contains it is
    # still meant as DMARC, and telling its owner why it does not count helps more.
    return "v=dmarc1" in "".join(text.split()).lower()


def parse(text: str) -> dict[str, str]:
    """Tags of a DMARC record; ValueError with the reason when it is not valid."""
    tags: dict[str, str] = {}
    for index, part in enumerate(p for p in text.split(";") if p.strip()):
        name, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"{part.strip()!r} is not a tag=value pair")
        name, value = name.strip().lower(), value.strip()
        if index == 0 and (name != "v" or value.upper() != "DMARC1"):
            raise ValueError("it must start with v=DMARC1")
        tags.setdefault(name, value)
    if "p" not in tags:
        raise ValueError("it has no p= tag (the policy: none, quarantine or reject)")
    if tags["p"].lower() not in POLICIES:
        raise ValueError(f"p={tags['p']} is not a policy; use none, quarantine or reject")
    if "sp" in tags and tags["sp"].lower() not in POLICIES:
        raise ValueError(f"sp={tags['sp']} is not a policy; use none, quarantine or reject")
    return tags


def check(domain: str):
    """Finding for the domain's DMARC policy (a generator: yields lookups)."""
    host = record_host(domain)
    (result,) = yield [(host, "TXT")]
    if result.tempfail:
        return Finding(
            Status.ERROR, "", tempfail_detail(f"the DMARC record at {host}", result.error)
        )
    records = [r for r in result.records if is_dmarc_record(r)] if result.ok else []
    if records:
        return _judge(records, host, applies_to=domain, inherited=False)

    organisational = organisational_domain(domain)
    if organisational != domain:
        org_host = record_host(organisational)
        (org_result,) = yield [(org_host, "TXT")]
        if org_result.tempfail:
            return Finding(
                Status.ERROR,
                "",
                tempfail_detail(f"the DMARC record at {org_host}", org_result.error),
            )
        org_records = [r for r in org_result.records if is_dmarc_record(r)] if org_result.ok else []
        if org_records:
            return _judge(org_records, org_host, applies_to=domain, inherited=True)
        where = f"at {host} nor at {org_host} (your organisational domain)"
    else:
        where = f"at {host}"
    return Finding(
        Status.MISSING,
        f"no DMARC record {where}",
        f"There is no DMARC record {where}. Gmail, Yahoo and Microsoft expect one from bulk "
        f"senders. Publish the TXT record shown at {host}: p=none only asks for reports and "
        "changes nothing for your mail. Add rua=mailto:you@yourdomain to receive the reports, "
        "and move to p=quarantine once they look clean.",
        value=RECOMMENDED,
    )


def _judge(records: list[str], host: str, *, applies_to: str, inherited: bool) -> Finding:
    found = "\n".join(records) + (
        " (inherited from the organisational domain)" if inherited else ""
    )
    if len(records) > 1:
        return Finding(
            Status.MISMATCH,
            found,
            f"There are {len(records)} DMARC records at {host}; receivers then ignore DMARC "
            "altogether. Keep exactly one.",
            value=records[0] if not inherited else RECOMMENDED,
        )
    try:
        tags = parse(records[0])
    except ValueError as exc:
        return Finding(
            Status.MISMATCH,
            found,
            f"The DMARC record at {host} is not valid: {exc}. Replace it with the record shown.",
            value=RECOMMENDED,
        )
    policy = tags["p"].lower()
    if inherited:
        policy = tags.get("sp", policy).lower()
        where = f"{host} applies to {applies_to}, as a subdomain"
        tag = "sp" if "sp" in tags else "p"
        return Finding(
            Status.OK,
            found,
            f"{where}: {tag}={POLICIES[policy]}. You need no record of your own.",
        )
    return Finding(
        Status.OK,
        found,
        f"Your DMARC policy is p={POLICIES[policy]}.",
        value=records[0],
    )
