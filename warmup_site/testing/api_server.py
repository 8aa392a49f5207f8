"""The Django app on a real socket, for tests that drive it from another process (an MTA).

    api = ApiServer().start()          # http://127.0.0.1:PORT, served from a thread of this process
    ... another process calls api.url ...
    api.stop(); api.start()            # an outage: connections refused, then the same URL again
    api.exchanges                      # every request and answer, in the order they were served
    with api.lock: ...                 # read the database between requests

Unlike pytest-django's `live_server` it can be stopped and started again on the same port, and
it records each exchange (path, JSON sent, status, JSON answered) — the "routes log" an
integration test compares the MTA's behaviour with. `lose_answers = n` makes the next n events
requests do their work and then answer 502, as when a proxy times out after the app committed.

Requests are served one at a time and under `lock`, so a test that reads the database while
holding the lock never overlaps a request. That also makes it usable on the SQLite test database
(in memory, shared by the threads of this process through one connection, as Django's own live
server does).
"""

from __future__ import annotations

import io
import json
import threading
import time
from dataclasses import dataclass
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from django.core.handlers.wsgi import WSGIHandler
from django.db import connections


@dataclass(frozen=True)
class Exchange:
    path: str
    at: float  # time.time() when the request was taken up
    request: object
    status: int
    response: object


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def _json(raw: bytes):
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


class ApiServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self.lock = threading.RLock()
        self.exchanges: list[Exchange] = []
        self.lose_answers = 0
        self._django = WSGIHandler()
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._shared = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _app(self, environ, start_response):
        with self.lock:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            answer: dict = {}

            def capture(status, headers, _exc_info=None):
                answer["status"], answer["headers"] = status, headers
                return lambda _data: None

            at = time.time()
            result = self._django(environ, capture)
            try:
                content = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()  # request_finished: Django's end-of-request work
            path = environ.get("PATH_INFO", "")
            status = int(answer["status"].split()[0])
            self.exchanges.append(Exchange(path, at, _json(body), status, _json(content)))
            if self.lose_answers and path == "/api/v1/events/":
                self.lose_answers -= 1
                start_response("502 Bad Gateway", [("Content-Type", "application/json")])
                return [b'{"message": "the answer was lost on the way"}']
            start_response(answer["status"], answer["headers"])
            return [content]

    def start(self) -> ApiServer:
        default = connections["default"]
        if self._shared is None and default.vendor == "sqlite" and default.is_in_memory_db():
            # The in-memory test database exists only in this connection: share it (requests are
            # serialised by `lock`).
            default.inc_thread_sharing()
            self._shared = default
        self._server = WSGIServer((self.host, self.port), _QuietHandler)
        self._server.set_app(self._app)
        self.port = self._server.server_address[1]
        shared = self._shared

        def serve(server: WSGIServer):
            if shared is not None:
                connections["default"] = shared
            try:
                server.serve_forever(poll_interval=0.05)
            finally:
                if shared is None:
                    connections.close_all()

        self._thread = threading.Thread(target=serve, args=(self._server,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering: the port is closed until start() again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None
            self._thread = None

    def close(self) -> None:
        self.stop()
        if self._shared is not None:
            self._shared.dec_thread_sharing()
            self._shared = None

    def served(self, path: str) -> list[Exchange]:
        with self.lock:
            return [e for e in self.exchanges if e.path == path]
