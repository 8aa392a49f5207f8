"""An SMTP server on 127.0.0.1 that keeps what it receives (aiosmtpd), for tests and the sandbox.

    sink = SmtpSink().start()
    ... smtplib.SMTP("127.0.0.1", sink.port).sendmail(...) ...
    sink.messages  # [Envelope(mail_from, rcpt_tos, content), ...]
    sink.stop()

`on_message(envelope) -> str | None` lets a caller act on each message (deliver it somewhere,
or refuse it by returning an SMTP reply such as "550 5.7.1 blocked").
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        received = Envelope(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.content)
        reply = self.sink.on_message(received) if self.sink.on_message else None
        if reply:
            return reply
        with self.sink._lock:
            self.sink.messages.append(received)
        return "250 OK"


class SmtpSink:
    def __init__(self, on_message: Callable[[Envelope], str | None] | None = None):
        self.on_message = on_message
        self.messages: list[Envelope] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self.host = "127.0.0.1"
        self.port = 0

    def start(self) -> SmtpSink:
        with socket.socket() as sock:
            sock.bind((self.host, 0))
            self.port = sock.getsockname()[1]
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
