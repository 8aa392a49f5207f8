"""A webhook receiver on 127.0.0.1 for tests: it keeps every POST (headers and raw body) and
answers what the test queued (status codes, or a stall longer than the sender's timeout).

Given the endpoint's `secret`, it checks each request's Warmup-Signature the way a customer's
receiver would — with its own code, from the documentation — and answers 401 when it does not
verify."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    def __init__(self):
        self.received: list[Received] = []
        self.answers: list[int | str] = []  # status codes, or "stall"; then 200
        self.stall_seconds = 3.0
        self.secret: str | None = None
        self.verified: list[bool] = []
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/warmup"

    def start(self) -> WebhookReceiver:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.received.append(Received(self.path, dict(self.headers.items()), body))
                answer = outer.answers.pop(0) if outer.answers else 200
                if outer.secret is not None:
                    good = verify(outer.secret, body, self.headers.get("Warmup-Signature", ""))
                    outer.verified.append(good)
                    if not good:
                        answer = 401
                if answer == "stall":
                    time.sleep(outer.stall_seconds)
                    answer = 200
                data = b"ok" if answer < 300 else b"receiver error"
                try:
                    self.send_response(answer)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def verify(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """The receiver's check, as docs/reputation.md shows it."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        signed = parts["t"].encode() + b"." + body
        fresh = abs(time.time() - int(parts["t"])) <= tolerance
    except (KeyError, ValueError):
        return False
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return fresh and hmac.compare_digest(expected, parts.get("v1", ""))
