"""The client's IP address, trusting forwarded headers only from our own proxies.

`X-Forwarded-For` is written by whoever sends the request; only a reverse proxy we run can be
believed about who its client was. So: the address of the TCP peer (`REMOTE_ADDR`), unless it
is one of `WARMUP_TRUSTED_PROXIES`; then `X-Forwarded-For` is read from the right (each proxy
appends the address it saw) and the first address that is not a trusted proxy is the client.
Used by the API's throttles and by the login lockout (django-axes), so neither can be dodged
by sending a made-up header.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: list[str] | tuple[str, ...]) -> tuple[Network, ...]:
    """`["10.0.0.5", "10.1.0.0/16", "::1"]` → networks; ValueError names a bad entry."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network") from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _trusted(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.split(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket (::ffff:192.0.2.1) is that IPv4 client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_ip(request) -> str:
    """The client's address as text (the peer's, or what our proxies say it was)."""
    meta = request.META
    peer = meta.get("REMOTE_ADDR", "")
    trusted = _trusted(tuple(settings.WARMUP_TRUSTED_PROXIES))
    address = _address(peer)
    if address is None:
        return peer
    if not trusted or not any(address in network for network in trusted):
        return str(address)
    client = address
    for hop in reversed(meta.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        if not hop.strip():
            continue
        hop_address = _address(hop)
        if hop_address is None:
            break  # garbage: believe nothing further left than the last proxy we trust
        client = hop_address
        if not any(hop_address in network for network in trusted):
            break
    return str(client)
