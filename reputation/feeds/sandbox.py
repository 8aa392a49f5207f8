"""A local stand-in for Google's and Microsoft's feeds, speaking their documented formats.

    server = FeedServer().start()
    server.add_client("client-id", "client-secret")
    token = server.add_refresh_token()
    server.data.domains["example.com"] = {date(2026, 11, 20): {"spam_rate": 0.002}}
    server.data.snds["key"] = {date(2026, 11, 20): [["192.0.2.1", …14 cells…]]}
    server.token_url, server.postmaster_url, server.snds_url
    server.stop()

Endpoints: ``POST /token`` (OAuth2 refresh-token and JWT-bearer grants, RFC 6749 / 7523),
``POST /postmaster/v2/domains/{d}/domainStats:query``, ``GET /postmaster/v2/domains/{d}/
complianceStatus`` (Postmaster Tools API v2, Google's error shape), ``GET /snds/data.aspx`` and
``GET /snds/ipStatus.aspx`` (SNDS automated access CSV). `respond()` makes the next requests to a
path get a canned answer (a recorded payload, an error); `requests` records every request.

Tests fill `MemoryFeedData`; `make run` (manage.py serve, through warmup_site.demo.
SANDBOX_SERVICES) starts one with `SandboxFeedData`, which invents plausible figures for every
domain and for the IPs of the account that owns an SNDS key. Standard library only: `make run`
installs no test packages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings
from django.db import connection as db

from ips.models import DedicatedIp
from reputation.models import FeedConnection
from warmup_site import crypto

SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"
SANDBOX_REFRESH_TOKEN = "sandbox-refresh-token"

# The metric a domainStats:query definition asks for → the key in the data's day dicts.
_METRIC_KEYS = {
    ("SPAM_RATE", ""): "spam_rate",
    ("AUTH_SUCCESS_RATE", "spf"): "spf_rate",
    ("AUTH_SUCCESS_RATE", "dkim"): "dkim_rate",
    ("AUTH_SUCCESS_RATE", "dmarc"): "dmarc_rate",
    ("DELIVERY_ERROR_RATE", ""): "delivery_error_rate",
    ("TLS_ENCRYPTION_RATE", "inbound"): "tls_rate",
}


def _google_error(code: int, status: str, message: str) -> tuple[int, dict]:
    return code, {"error": {"code": code, "message": message, "status": status}}


@dataclass
class MemoryFeedData:
    """What the server answers, filled by tests."""

    domains: dict[str, dict[date, dict[str, float]]] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)
    compliance: dict[str, dict] = field(default_factory=dict)
    snds: dict[str, dict[date, list[list[str]]]] = field(default_factory=dict)
    blocked: dict[str, list[list[str]]] = field(default_factory=dict)

    def postmaster_access(self, domain: str) -> str:
        if domain in self.denied:
            return "denied"
        return "ok" if domain in self.domains else "unknown"

    def postmaster_stats(self, domain: str, day: date) -> dict[str, float] | None:
        return self.domains.get(domain, {}).get(day)

    def postmaster_compliance(self, domain: str) -> dict:
        return self.compliance.get(domain, {"name": f"domains/{domain}/complianceStatus"})

    def snds_rows(self, key: str, day: date) -> list[list[str]] | None:
        if key not in self.snds:
            return None
        return self.snds[key].get(day, [])

    def snds_blocked(self, key: str) -> list[list[str]] | None:
        if key not in self.snds:
            return None
        return self.blocked.get(key, [])


class FeedServer:
    def __init__(self, *, data=None, host: str = "127.0.0.1", port: int = 0):
        self.data = data if data is not None else MemoryFeedData()
        self.host = host
        self.port = port
        self.clients: dict[str, str] = {}
        self.refresh_tokens: set[str] = set()
        self.service_accounts: dict[str, object] = {}  # client_email → RSA public key
        self.access_tokens: dict[str, float] = {}  # token → expiry (time.time())
        self.requests: list[tuple[str, str]] = []
        self._failures: list[list] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- what tests set up ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    @property
    def postmaster_url(self) -> str:
        return f"{self.base_url}/postmaster"

    @property
    def snds_url(self) -> str:
        return f"{self.base_url}/snds"

    def add_client(self, client_id: str, client_secret: str) -> None:
        self.clients[client_id] = client_secret

    def add_refresh_token(self, token: str | None = None) -> str:
        token = token or "1//" + secrets.token_urlsafe(24)
        with self._lock:
            self.refresh_tokens.add(token)
        return token

    def revoke(self, token: str) -> None:
        with self._lock:
            self.refresh_tokens.discard(token)
            self.access_tokens.clear()

    def add_service_account(self, client_email: str, public_key) -> None:
        self.service_accounts[client_email] = public_key

    def respond(
        self, path_fragment: str, status: int, body: bytes | str | dict = b"", *, times: int = 1
    ) -> None:
        """The next `times` requests whose path contains `path_fragment` get this answer (a
        recorded payload, an error) instead of the data's."""
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        with self._lock:
            self._failures.append([path_fragment, status, body, times])

    def count(self, fragment: str) -> int:
        return sum(1 for _method, path in self.requests if fragment in path)

    # --- endpoints ------------------------------------------------------------------------------

    def _injected(self, path: str) -> tuple[int, bytes] | None:
        with self._lock:
            for failure in self._failures:
                if failure[0] in path and failure[3] > 0:
                    failure[3] -= 1
                    return failure[1], failure[2]
        return None

    def _token(self, form: dict[str, str]) -> tuple[int, dict]:
        grant = form.get("grant_type")
        if grant == "refresh_token":
            client = form.get("client_id", "")
            if client not in self.clients or self.clients[client] != form.get("client_secret"):
                return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
            with self._lock:
                known = form.get("refresh_token") in self.refresh_tokens
            if not known:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            problem = self._check_jwt(form.get("assertion", ""))
            if problem:
                return 400, {"error": "invalid_grant", "error_description": problem}
        else:
            return 400, {"error": "unsupported_grant_type"}
        token = "ya29." + secrets.token_urlsafe(24)
        with self._lock:
            self.access_tokens[token] = time.time() + 3600
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def _check_jwt(self, assertion: str) -> str:
        def unb64(part: str) -> bytes:
            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

        try:
            header_b64, claims_b64, signature_b64 = assertion.split(".")
            claims = json.loads(unb64(claims_b64))
            header = json.loads(unb64(header_b64))
        except ValueError:
            return "Invalid JWT."
        key = self.service_accounts.get(claims.get("iss"))
        if key is None or header.get("alg") != "RS256":
            return "Invalid JWT Signature."
        try:
            key.verify(
                unb64(signature_b64),
                f"{header_b64}.{claims_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            return "Invalid JWT Signature."
        if claims.get("aud") != self.token_url:
            return "Invalid JWT: audience."
        if not claims.get("exp") or claims["exp"] < time.time():
            return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe."
        return ""

    def _authorised(self, headers) -> bool:
        value = headers.get("Authorization", "")
        token = value.removeprefix("Bearer ").strip()
        with self._lock:
            expiry = self.access_tokens.get(token)
        return expiry is not None and expiry > time.time()

    def _postmaster(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict]:
        if not self._authorised(headers):
            return _google_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
            )
        rest = path.removeprefix("/postmaster/v2/domains/")
        domain, _, action = rest.partition("/")
        domain = urllib.parse.unquote(domain)
        access = self.data.postmaster_access(domain)
        if access == "denied":
            return _google_error(403, "PERMISSION_DENIED", "The caller does not have permission")
        if access != "ok":
            return _google_error(404, "NOT_FOUND", "Requested entity was not found.")
        if method == "GET" and action == "complianceStatus":
            return 200, self.data.postmaster_compliance(domain)
        if method == "POST" and action == "domainStats:query":
            try:
                return 200, self._stats(domain, json.loads(body or b"{}"))
            except (KeyError, TypeError, ValueError) as exc:
                return _google_error(400, "INVALID_ARGUMENT", f"Invalid request: {exc}")
        return _google_error(404, "NOT_FOUND", "Method not found.")

    def _stats(self, domain: str, query: dict) -> dict:
        ranges = query["timeQuery"]["dateRanges"]["dateRanges"]
        wanted = []
        for definition in query["metricDefinitions"]:
            metric = definition["baseMetric"]["standardMetric"]
            quoted = definition.get("filter", "").split('"')
            key = _METRIC_KEYS.get((metric, quoted[1] if len(quoted) > 1 else ""))
            if key:
                wanted.append((definition["name"], key))
        stats = []
        for span in ranges:
            start = date(span["start"]["year"], span["start"]["month"], span["start"]["day"])
            end = date(span["end"]["year"], span["end"]["month"], span["end"]["day"])
            day = start
            while day <= end:
                values = self.data.postmaster_stats(domain, day)
                for name, key in wanted:
                    if values and values.get(key) is not None:
                        stats.append(
                            {
                                "name": f"domains/{domain}/domainStats/{len(stats)}",
                                "metric": name,
                                "date": {"year": day.year, "month": day.month, "day": day.day},
                                "value": {"doubleValue": values[key]},
                            }
                        )
                day += timedelta(days=1)
        offset = int(query.get("pageToken") or 0)
        size = min(int(query.get("pageSize") or 10), 200)
        page = {"domainStats": stats[offset : offset + size]}
        if offset + size < len(stats):
            page["nextPageToken"] = str(offset + size)
        return page

    def _snds(self, path: str, params: dict[str, str]) -> tuple[int, bytes, str]:
        key = params.get("key", "")
        if path.endswith("/data.aspx"):
            raw = params.get("date")
            try:
                day = datetime.strptime(raw, "%m%d%y").date() if raw else None
            except ValueError:
                return 400, b"Bad date", "text/plain"
            rows = self.data.snds_rows(key, day or (datetime.now(UTC).date() - timedelta(days=1)))
        elif path.endswith("/ipStatus.aspx"):
            rows = self.data.snds_blocked(key)
        else:
            return 404, b"Not found", "text/plain"
        if rows is None:
            return 403, b"<html><body>Access denied</body></html>", "text/html"
        text = "".join(",".join(cells) + "\r\n" for cells in rows)
        return 200, text.encode(), "text/csv"

    # --- server ---------------------------------------------------------------------------------

    def start(self) -> FeedServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self, method: str) -> None:
                parts = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with outer._lock:
                    outer.requests.append((method, parts.path))
                injected = outer._injected(parts.path)
                if injected is not None:
                    status, payload = injected
                    start = payload.lstrip()[:1]
                    kind = (
                        "application/json"
                        if start in (b"{", b"[")
                        else ("text/html" if start == b"<" else "text/csv")
                    )
                    self._answer(status, payload, kind)
                    return
                if parts.path == "/token" and method == "POST":
                    status, data = outer._token(dict(urllib.parse.parse_qsl(body.decode())))
                    self._answer(status, json.dumps(data).encode(), "application/json")
                elif parts.path.startswith("/postmaster/v2/domains/"):
                    status, data = outer._postmaster(method, parts.path, self.headers, body)
                    self._answer(status, json.dumps(data).encode(), "application/json")
                elif parts.path.startswith("/snds/") and method == "GET":
                    self._answer(
                        *outer._snds(parts.path, dict(urllib.parse.parse_qsl(parts.query)))
                    )
                else:
                    self._answer(404, b"Not found", "text/plain")

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def log_message(self, format, *args):  # keep test and demo output quiet
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def describe(self) -> str:
        return (
            f"Sandbox feeds (Postmaster Tools v2, SNDS): {self.base_url}/postmaster, "
            f"{self.base_url}/snds"
        )

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- the sandbox world's figures (make run) ------------------------------------------------------


def _draw(*parts: object) -> random.Random:
    seed = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return random.Random(seed)


def snds_time(moment: datetime) -> str:
    """SNDS writes times as "9/29/2020 9:00 PM"."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment.minute:02d} {half}"


class SandboxFeedData:
    """Plausible, repeatable figures: every domain is "registered" with Postmaster Tools, and an
    SNDS key reports the IPs of the account that owns it. Data lags a day, as the real feeds
    do, and starts HISTORY_DAYS ago. A domain's spam rate falls from over 0.3% a month ago to
    under 0.1%, with the odd bad day; IPs are GREEN with the odd YELLOW day."""

    HISTORY_DAYS = 60

    def __init__(self, ips_for_key=None, today=None):
        self.ips_for_key = ips_for_key or _ips_for_key_from_database
        self.today = today or (lambda: datetime.now(UTC).date())

    def _in_history(self, day: date) -> int | None:
        age = (self.today() - day).days
        if age < 1 or age > self.HISTORY_DAYS:
            return None
        return self.HISTORY_DAYS - age  # 0 on the first day of history

    def postmaster_access(self, _domain: str) -> str:
        return "ok"

    def postmaster_stats(self, domain: str, day: date) -> dict[str, float] | None:
        n = self._in_history(day)
        if n is None:
            return None
        rng = _draw("postmaster", domain, day)
        # Over 0.3% a month ago (a new domain's first campaigns), under 0.1% by now.
        age = self.HISTORY_DAYS - n
        spam = 0.0038 * 0.93 ** max(0, 30 - age) + rng.uniform(0, 0.0003)
        if rng.random() < 0.05:
            spam += 0.003  # a bad campaign day
        return {
            "spam_rate": round(spam, 5),
            "spf_rate": round(rng.uniform(0.985, 1.0), 4),
            "dkim_rate": round(rng.uniform(0.99, 1.0), 4),
            "dmarc_rate": round(rng.uniform(0.98, 1.0), 4),
            "delivery_error_rate": round(rng.uniform(0.0, 0.02), 4),
            "tls_rate": 1.0,
        }

    def postmaster_compliance(self, domain: str) -> dict:
        rows = [
            {"requirement": req, "status": {"status": "COMPLIANT"}}
            for req in ("SPF", "DKIM", "DMARC_POLICY", "DMARC_ALIGNMENT", "ENCRYPTION")
        ]
        return {
            "name": f"domains/{domain}/complianceStatus",
            "complianceData": {"domainId": domain, "rowData": rows},
        }

    def snds_rows(self, key: str, day: date) -> list[list[str]] | None:
        addresses = self.ips_for_key(key)
        if addresses is None:
            return None
        n = self._in_history(day)
        if n is None:
            return []
        rows = []
        for address in addresses:
            rng = _draw("snds", address, day)
            volume = int(300 + 40 * n + rng.uniform(0, 200))
            result = "YELLOW" if rng.random() < 0.08 else "GREEN"
            start = datetime.combine(day, datetime.min.time()) + timedelta(hours=7)
            end = start + timedelta(hours=14)
            rows.append(
                [
                    address,
                    snds_time(start),
                    snds_time(end),
                    str(volume),
                    str(volume),
                    str(volume),
                    result,
                    "< 0.1%",
                    "",
                    "",
                    "0",
                    f"mta.{address}.sandbox",
                    "bounces@sandbox.example",
                    "",
                ]
            )
        return rows

    def snds_blocked(self, key: str) -> list[list[str]] | None:
        return [] if self.ips_for_key(key) is not None else None


def _ips_for_key_from_database(key: str) -> list[str] | None:
    """The IPs of the account whose SNDS connection holds `key` (the shared IPs for the
    operators' connection); None when no connection has it (SNDS refuses the key)."""
    try:
        for feed in FeedConnection.objects.filter(kind=FeedConnection.Kind.SNDS):
            try:
                if crypto.decrypt(feed.secret) != key:
                    continue
            except crypto.DecryptionError:
                continue
            ips = DedicatedIp.objects.exclude(state=DedicatedIp.State.RETIRED)
            ips = (
                ips.filter(pool__account_id=feed.account_id)
                if feed.account_id
                else ips.filter(pool__account__isnull=True)
            )
            return list(ips.order_by("address").values_list("address", flat=True))
        return None
    finally:
        # The server's threads live as long as the process: no connection left open between
        # requests (nor one the database dropped).
        if not db.in_atomic_block:
            db.close()


def start(*, data: SandboxFeedData | None = None, port: int | None = None) -> FeedServer:
    """The sandbox's feed server for `manage.py serve` (WARMUP_SANDBOX_FEEDS_PORT), which
    accepts the demo's OAuth client and refresh token."""
    server = FeedServer(
        data=data or SandboxFeedData(),
        port=settings.WARMUP_SANDBOX_FEEDS_PORT if port is None else port,
    )
    server.add_client(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)
    server.add_refresh_token(SANDBOX_REFRESH_TOKEN)
    return server.start()
