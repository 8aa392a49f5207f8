"""IP address input: one normal form for IPv4 and IPv6, and the names DNS checks query."""

import ipaddress

from django.conf import settings

from warmup_site import dns


def normalise_ip(value: str) -> str:
    """`2001:DB8:0::1` → `2001:db8::1`; ValueError with a reason that completes "<value> …".

    Addresses that can never be a mail server's source address are refused; private and
    documentation ranges are accepted (labs, tests and the demo use them), and loopback ones
    when WARMUP_ALLOW_LOOPBACK_IPS is on (an MTA integration test on one machine).
    """
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError("is not an IPv4 or IPv6 address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        raise ValueError(f"is an IPv4-mapped IPv6 address; give {address.ipv4_mapped} instead")
    loopback = address.is_loopback and not settings.WARMUP_ALLOW_LOOPBACK_IPS
    if address.is_unspecified or loopback or address.is_multicast:
        raise ValueError("is not a unicast address a mail server can send from")
    if address.is_link_local:
        raise ValueError("is a link-local address, which cannot send mail to the internet")
    return address.compressed


def dnsbl_name(address: str, zone: str) -> str:
    """The name to query at a DNS blocklist: reversed octets (IPv4) or nibbles (IPv6) + zone.

    `192.0.2.99` at zen.spamhaus.org → `99.2.0.192.zen.spamhaus.org`;
    `2001:db8::1` → `1.0.0.0.…8.b.d.0.1.0.0.2.zen.spamhaus.org` (32 nibbles).
    """
    reverse = dns.reverse_name(address)
    for suffix in (".in-addr.arpa", ".ip6.arpa"):
        if reverse.endswith(suffix):
            return f"{reverse[: -len(suffix)]}.{zone.strip().rstrip('.').lower()}"
    raise ValueError(f"{address!r} has no reverse name")  # pragma: no cover - ipaddress forms only
