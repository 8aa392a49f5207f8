"""An SMTP server on 127.0.0.1 that keeps what it receives (aiosmtpd), for tests and the sandbox.

    sink = SmtpSink().start()
    ... smtplib.SMTP("127.0.0.1", sink.port).sendmail(...) ...
    sink.messages  # [Envelope(mail_from, rcpt_tos, content), ...]
    sink.stop()

`on_message(envelope) -> str | None` lets a caller act on each message (deliver it somewhere,
or refuse it by returning an SMTP reply such as "550 5.7.1 blocked").

A sink can also ask for a login, as a provider's submission port does: `users={login: password}`
accepts AUTH PLAIN/LOGIN, `bearer=check(login, token) -> bool` accepts XOAUTH2 (Google's and
Microsoft's format). With either, mail without a login is refused ("530 Authentication
required") and `logins` records who logged in with which mechanism. No TLS: tests only.
"""

from __future__ import annotations

import base64
import binascii
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_DATA(self, _server, _session, envelope):
        received = Envelope(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.content)
        reply = self.sink.on_message(received) if self.sink.on_message else None
        if reply:
            return reply
        with self.sink._lock:
            self.sink.messages.append(received)
        return "250 OK"


class _AuthHandler(_Handler):
    async def auth_XOAUTH2(self, _server, args):
        # "AUTH XOAUTH2 <base64 of user=LOGIN^Aauth=Bearer TOKEN^A^A>"
        if self.sink.bearer is None or len(args) < 2:
            return AuthResult(success=False, handled=False)
        try:
            fields = base64.b64decode(args[1], validate=True).decode().split("\x01")
        except (binascii.Error, UnicodeDecodeError):
            return AuthResult(success=False, handled=False)
        values = dict(field.split("=", 1) for field in fields if "=" in field)
        login, token = values.get("user", ""), values.get("auth", "").removeprefix("Bearer ")
        if not self.sink.bearer(login, token):
            return AuthResult(success=False, handled=False)
        self.sink.logins.append(("XOAUTH2", login))
        return AuthResult(success=True, auth_data=login)


class SmtpSink:
    def __init__(
        self,
        on_message: Callable[[Envelope], str | None] | None = None,
        *,
        users: dict[str, str] | None = None,
        bearer: Callable[[str, str], bool] | None = None,
    ):
        self.on_message = on_message
        self.users = users
        self.bearer = bearer
        self.logins: list[tuple[str, str]] = []  # (mechanism, login) of each successful AUTH
        self.messages: list[Envelope] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self.host = "127.0.0.1"
        self.port = 0

    def start(self) -> SmtpSink:
        with socket.socket() as sock:
            sock.bind((self.host, 0))
            self.port = sock.getsockname()[1]
        if self.users is None and self.bearer is None:
            self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        else:
            self._controller = Controller(
                _AuthHandler(self),
                hostname=self.host,
                port=self.port,
                authenticator=self._check_password,
                auth_required=True,
                auth_require_tls=False,
            )
        self._controller.start()
        return self

    def _check_password(self, _server, _session, _envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword) or self.users is None:
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        if self.users.get(login) != password:
            return AuthResult(success=False, handled=False)
        self.logins.append((mechanism, login))
        return AuthResult(success=True)

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
