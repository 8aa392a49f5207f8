"""One HTTP request with urllib: the status and body whatever the status, or a FeedError when
nothing came back (refused, timed out, name not found)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from reputation.feeds import FeedError

USER_AGENT = "Warmup reputation feeds (+https://github.com/warmup)"
MAX_BODY = 20 * 1024 * 1024  # a feed answer larger than this is not a feed answer


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def request(
    url: str,
    *,
    method: str = "GET",
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float,
) -> Response:
    host = urlsplit(url).hostname or url
    req = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            body = answer.read(MAX_BODY)
            return Response(answer.status, body, answer.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as exc:
        body = exc.read(MAX_BODY) if exc.fp is not None else b""
        return Response(exc.code, body, exc.headers.get("Content-Type", "") if exc.headers else "")
    except TimeoutError:
        raise FeedError(f"{host} did not answer within {timeout:g} s") from None
    except urllib.error.URLError as exc:
        raise FeedError(f"cannot reach {host}: {exc.reason}") from None
    except OSError as exc:
        raise FeedError(f"cannot reach {host}: {exc}") from None
