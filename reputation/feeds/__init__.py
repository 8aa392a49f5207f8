"""Clients of the providers' own feeds, with their parsers as pure functions.

- postmaster.py — Google Postmaster Tools API v2 (domainStats:query, getComplianceStatus)
- snds.py       — Microsoft SNDS automated data access (data.aspx CSV, ipStatus.aspx)
- google_auth.py — OAuth2 access tokens: a refresh token, or a service account's signed JWT
- http.py       — one small urllib wrapper (no HTTP library is added for a few GETs and POSTs)
- sandbox.py    — a local server speaking both formats, for tests and `make run`

Every failure is a `FeedError` whose message is written for an operator ("Google refused the
refresh token: …"); `AuthError` means a person must act (revoked token, wrong key).
"""


class FeedError(Exception):
    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class AuthError(FeedError):
    """The credentials were refused: retrying will not help until someone fixes them."""
