"""A small OAuth2 authorisation server on 127.0.0.1 for tests (standard library only).

    server = OAuthServer().start()
    refresh = server.add_account("seed@outlook.test")
    # token endpoint for the app under test:
    server.token_url          # POST grant_type=refresh_token&refresh_token=…&client_id=…
    # introspection endpoint for Dovecot's oauth2 passdb (introspection_mode = post):
    server.introspection_url  # POST token=… → {"active": true, "username": "seed@…"}
    server.stop()

It issues opaque random access tokens, remembers which account each belongs to, and can revoke
them (`revoke_access_tokens`) to test what a client does when a cached token stops working.
`requests` counts the calls per path.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class OAuthServer:
    def __init__(self, *, client_id: str = "warmup-test", client_secret: str = "s3cret"):
        self.client_id = client_id
        self.client_secret = client_secret
        self.lifetime = 3600
        self.refresh_tokens: dict[str, str] = {}  # refresh token → username
        self.access_tokens: dict[str, tuple[str, float]] = {}  # token → (username, expires_at)
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    @property
    def introspection_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/introspect"

    def add_account(self, username: str) -> str:
        """A new refresh token for ``username``."""
        token = "rt-" + secrets.token_urlsafe(16)
        with self._lock:
            self.refresh_tokens[token] = username
        return token

    def revoke_access_tokens(self) -> None:
        with self._lock:
            self.access_tokens.clear()

    # --- endpoints ------------------------------------------------------------------------------

    def _token(self, form: dict[str, str]) -> tuple[int, dict]:
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return 401, {"error": "invalid_client", "error_description": "Unknown client."}
        with self._lock:
            username = self.refresh_tokens.get(form.get("refresh_token", ""))
            if username is None:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }
            token = "at-" + secrets.token_urlsafe(24)
            self.access_tokens[token] = (username, time.time() + self.lifetime)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime}

    def _introspect(self, form: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            entry = self.access_tokens.get(form.get("token", ""))
        if entry is None or entry[1] < time.time():
            return 200, {"active": False}
        return 200, {"active": True, "username": entry[0]}

    # --- server ---------------------------------------------------------------------------------

    def start(self) -> OAuthServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                form = dict(urllib.parse.parse_qsl(body))
                path = urllib.parse.urlsplit(self.path).path
                outer.requests[path] += 1
                if path == "/token":
                    status, payload = outer._token(form)
                elif path == "/introspect":
                    status, payload = outer._introspect(form)
                else:
                    status, payload = 404, {"error": "not_found"}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args):  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OAuthServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
