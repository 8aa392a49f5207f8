"""What Django's error reports may show (DEFAULT_EXCEPTION_REPORTER_FILTER).

Django hides settings whose *name* looks secret (…KEY, …PASS…, …TOKEN…). Ours also carry
credentials inside URLs whose names do not: WARMUP_SMTP_URL (`smtp://user:password@relay`),
REDIS_URL and the copies of it in CACHES and Q_CLUSTER, a DATABASE_URL-style value anywhere.
This filter keeps such URLs readable (scheme, user, host, port) and replaces the password,
and the value of any query parameter with a secret-looking name, with stars. It applies to the
DEBUG error page and to the error e-mails/logs alike, and to request headers (Authorization).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.views.debug import SafeExceptionReporterFilter

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|CREDENTIAL|DSN|PRIVATE", flags=re.I
    )

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        # type() rather than isinstance(): lazy objects (axes settings) pass for str but are not.
        if type(cleansed) is str and _URL.match(cleansed):
            return self.cleanse_url(cleansed)
        return cleansed

    def cleanse_url(self, url: str) -> str:
        try:
            parts = urlsplit(url)
            password = parts.password
        except ValueError:
            return self.cleansed_substitute  # unparseable: show nothing of it
        netloc = parts.netloc
        if password is not None:
            userinfo, _, host = netloc.rpartition("@")
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:{self.cleansed_substitute}@{host}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode(
                [
                    (name, self.cleansed_substitute if self.hidden_settings.search(name) else v)
                    for name, v in pairs
                ],
                safe="*",
            )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
