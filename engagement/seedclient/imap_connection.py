"""Opening an IMAP connection without round trips the server made unnecessary.

imaplib asks CAPABILITY as soon as it connects, and IMAPClient asks again after login; most
servers (Dovecot among them) already say both — in the greeting (`* OK [CAPABILITY …] ready`)
and in LOGIN's answer (`OK [CAPABILITY …] Logged in`). Taking them from there saves two round
trips per new connection; a server that does not announce them is asked, as before.
"""

from __future__ import annotations

import re

import imapclient
from imapclient import imap4, tls

_CAPABILITY_CODE = re.compile(rb"\[CAPABILITY ([^\]]+)\]", re.I)


class _GreetingCapabilities:
    """An imaplib connection that reads capabilities from the server's greeting."""

    def _get_capabilities(self):
        match = _CAPABILITY_CODE.search(self.welcome or b"")
        if match is None:
            return super()._get_capabilities()
        self.capabilities = tuple(match.group(1).decode("ascii", "replace").upper().split())
        return None


class _Imap4(_GreetingCapabilities, imap4.IMAP4WithTimeout):
    pass


class _Imap4Tls(_GreetingCapabilities, tls.IMAP4_TLS):
    pass


class SeedImapClient(imapclient.IMAPClient):
    """IMAPClient over the connections above (same arguments, same behaviour)."""

    def _create_IMAP4(self):
        connect_timeout = getattr(self._timeout, "connect", None)
        if self.ssl:
            return _Imap4Tls(self.host, self.port, self.ssl_context, connect_timeout)
        return _Imap4(self.host, self.port, connect_timeout)


def remember_capabilities(imap: imapclient.IMAPClient, answer) -> None:
    """Cache the capabilities a server put in LOGIN's answer, so IMAPClient does not ask."""
    if isinstance(answer, list | tuple):
        answer = b" ".join(a for a in answer if isinstance(a, bytes))
    if isinstance(answer, str):
        answer = answer.encode()
    match = _CAPABILITY_CODE.search(answer) if isinstance(answer, bytes) else None
    if match:
        imap._cached_capabilities = tuple(match.group(1).upper().split())
