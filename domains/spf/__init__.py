"""SPF (RFC 7208): read a domain's record and *evaluate* it, as a receiving server would.

Two questions are asked of a customer's SPF record (`check()`, in `finding.py`):

* does it authorise our sending through ``WARMUP_SPF_INCLUDE``? — evaluated with our include as
  the target: `include:`/`redirect=` chains are followed through DNS, and the include counts as
  passing when evaluation reaches it with a pass qualifier before anything else matched;
* does it authorise the account's sending IPs? — a real `check_host()` per IP (`evaluate()`, in
  `evaluation.py`): `ip4`/`ip6` with CIDR lengths, `a`, `mx`, `ptr`, `exists`, `include`,
  `redirect` and `all`, with their qualifiers and macros.

What evaluation follows, beyond the obvious (the openspf.org RFC 7208 suite: 203 of 203 cases,
`bench/spf_conformance.py`; docs/benchmarks.md):

* **Limits** (§4.6.4): 10 DNS-querying terms (`include`, `a`, `mx`, `ptr`, `exists`,
  `redirect`, counted across the whole include tree), 10 MX hosts per `mx`, the first 10 PTR
  names per `ptr` or `%{p}`, and 2 void lookups (terms whose lookup found no record; an `mx`
  counts when the domain has no MX, not when an MX host lacks an address of the client's family).
* **Syntax** (§4.6, §5, §7.1; `record.py`): the whole record is checked first. Control
  characters (CR, LF, TAB) and non-ASCII characters, unknown mechanisms, invalid modifiers
  (also unknown ones: a valid name and a valid macro-string), prefix lengths out of range or
  with leading zeros, domain-specs that do not end in a top-level label or a macro, and two
  SPF records are each a ``permerror``. A domain-spec may hold ":" and "/" (`a:foo:bar/baz.com`):
  a prefix length is only recognised at its end.
* **`ptr`** (§5.5) is evaluated: the client's PTR names (first 10), each validated by an A/AAAA
  lookup that must return the client's address, match when the target or a subdomain of it. A
  failed PTR lookup is no match; a failed validation skips that name. RFC 7208 tells senders not
  to publish `ptr`, so the finding says so and suggests `ip4`/`ip6`, `a` or `mx` instead.
* **Client addresses**: an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is evaluated as the
  IPv4 address (§5): `ip4` can match it, `ip6` and IPv6 prefixes of `a`/`mx` cannot.
* **Macros** (§7): `%{s l o d i p h v}` with digits, reversal and any delimiters; `%{p}` is the
  validated name (the domain itself, else a subdomain of it, else any, else "unknown"); `%{h}` is
  the HELO name. `evaluate()` takes `helo` and `local_part` when it has them; a policy checked
  without a message uses the domain as HELO name and "postmaster" as local-part.
  Explanations (`exp=`) are checked for syntax and never looked up (§6.2 makes them optional).
* **Names that cannot be looked up** (§4.3): a domain with an empty label or a label over 63
  octets, or a single label, has no policy (``none``); the same name built by a macro in a
  mechanism matches nothing. A TXT lookup that fails (timeout, SERVFAIL) is ``temperror``
  whatever other record types the name has.

The account's sending IPs come from other apps through `sending_ip_sources` (the dependency
points from them to us): an app appends a callable ``(account) -> list[str]`` in its
``AppConfig.ready()``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

from domains.spf.evaluation import (
    FAIL,
    MAX_DNS_TERMS,
    MAX_MX_HOSTS,
    MAX_PTR_NAMES,
    MAX_VOID_LOOKUPS,
    NEUTRAL,
    NONE,
    PASS,
    PERMERROR,
    SOFTFAIL,
    TEMPERROR,
    Outcome,
    TempError,
    evaluate,
    name_problem,
    normalise_host,
)
from domains.spf.finding import check, merged_record
from domains.spf.record import PermError, Record, Term, is_spf_record, parse, why_not_spf

__all__ = [
    "FAIL",
    "MAX_DNS_TERMS",
    "MAX_MX_HOSTS",
    "MAX_PTR_NAMES",
    "MAX_VOID_LOOKUPS",
    "NEUTRAL",
    "NONE",
    "PASS",
    "PERMERROR",
    "SOFTFAIL",
    "TEMPERROR",
    "Outcome",
    "PermError",
    "Record",
    "TempError",
    "Term",
    "account_sending_ips",
    "check",
    "evaluate",
    "is_spf_record",
    "merged_record",
    "name_problem",
    "normalise_host",
    "parse",
    "sending_ip_sources",
    "why_not_spf",
]

# --- the hook for sending IPs ---------------------------------------------------------------------

# Callables `(account) -> list[str]` (IP addresses) appended by apps that know an account's
# sending IPs (the `ips` app). `domains` must not import them: dependencies point one way.
sending_ip_sources: list[Callable[[object], Iterable[str]]] = []


def account_sending_ips(account) -> list[str]:
    """Every IP address the registered sources say the account sends from, deduplicated."""
    found: dict[str, None] = {}
    for source in sending_ip_sources:
        for address in source(account) or ():
            found[str(ipaddress.ip_address(str(address).strip()))] = None
    return list(found)
