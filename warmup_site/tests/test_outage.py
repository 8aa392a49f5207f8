"""A database outage under load (issue 11 §6), on a private PostgreSQL cluster behind gunicorn
(2 workers, DEBUG=false, connections kept 60 s): the cluster restarts (`pg_ctl restart -m
fast`) while clients route and post events; clients retry what failed. Every event is stored
and counted exactly once, every cap holds exactly; during the outage the API answers a JSON 503
with Retry-After, and after a restart no request fails on a stale connection."""

import http.client
import json
import threading
import time

import pytest
from django.utils import timezone

from warmup_site.testing.processes import Gunicorn, production_environment, run_python
from warmup_site.tests import scenarios

pytestmark = pytest.mark.processes

ROUTE_REQUESTS, RECIPIENTS_PER_REQUEST = 24, 50  # 1,200 Gmail recipients, cap 400
EVENT_BATCHES, EVENTS_PER_BATCH = 30, 100
KINDS = [
    ("delivered", 250, "2.0.0", "250 2.0.0 OK 1700000000 a1si123456qkb.12 - gsmtp"),
    (
        "bounced",
        550,
        "5.1.1",
        "550-5.1.1 The email account that you tried to reach does not exist.",
    ),
    ("delivered", 250, "2.0.0", "250 2.0.0 OK"),
    ("complaint", None, "", ""),
]


class Client:
    """One keep-alive connection that retries a request until it gets an answer (a 503, a
    refused or dropped connection are retried; anything else is the answer)."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
        self.connection = None
        self.retried: list[str] = []
        self.kind = ""

    def once(self, method: str, path: str, body: bytes | None = None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            self.connection.request(method, path, body=body, headers=self.headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            self.connection = None
            return None, repr(exc), {}
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
            self.connection = None
        return response.status, data, dict(response.getheaders())

    def post(self, path: str, payload: dict, *, deadline: float = 60) -> dict:
        body = json.dumps(payload).encode()
        stop = time.monotonic() + deadline
        while True:
            status, data, headers = self.once("POST", path, body)
            if status == 200:
                return json.loads(data)
            if status not in (None, 503) or time.monotonic() > stop:
                raise AssertionError(f"{path}: {status} {data[:300]!r}")
            if status == 503:
                assert headers.get("Content-Type") == "application/json", headers
                assert headers.get("Retry-After") == "5", headers
                assert json.loads(data)["retry_after"] == 5
            self.retried.append(f"{status or data}")
            time.sleep(0.2)


def events_batch(number: int, stamp: str) -> dict:
    return {
        "events": [
            {
                "id": f"outage-{number}-{n}",
                "type": KINDS[n % len(KINDS)][0],
                "ip": scenarios.WARMING_IP,
                "sender_domain": scenarios.SENDER_DOMAIN,
                "recipient": f"user{number}.{n}@gmail.com",
                "smtp_code": KINDS[n % len(KINDS)][1],
                "enhanced_status": KINDS[n % len(KINDS)][2],
                "response": KINDS[n % len(KINDS)][3],
                "timestamp": stamp,
            }
            for n in range(EVENTS_PER_BATCH)
        ]
    }


@pytest.fixture
def app(private_database, tmp_path):
    env = production_environment(DATABASE_URL=private_database, DATABASE_CONN_MAX_AGE="60")
    token = json.loads(
        run_python("from warmup_site.tests.scenarios import outage_setup; outage_setup()", env=env)
        .strip()
        .splitlines()[-1]
    )["token"]
    with Gunicorn(env=env, log=tmp_path / "gunicorn.log", workers=2) as server:
        yield server, token, env


def test_a_restart_during_routing_and_ingestion_loses_and_doubles_nothing(app, private_postgres):
    server, token, env = app
    stamp = timezone.now().replace(microsecond=0).isoformat()
    answers: list[dict] = []
    event_answers: list[dict] = []
    errors: list[BaseException] = []
    progress = threading.Semaphore(0)

    clients: list[Client] = []

    def route():
        client = Client(server.port, token)
        client.kind = "routes"
        clients.append(client)
        for r in range(ROUTE_REQUESTS // 2):
            recipients = [f"r{threading.get_ident()}.{r}.{n}@gmail.com" for n in range(50)]
            answers.append(
                client.post(
                    "/api/v1/routes/",
                    {"sender_domain": scenarios.SENDER_DOMAIN, "recipients": recipients},
                )
            )
            progress.release()

    def ingest(first: int):
        client = Client(server.port, token)
        client.kind = "events"
        clients.append(client)
        for number in range(first, EVENT_BATCHES, 2):
            answer = client.post("/api/v1/events/", events_batch(number, stamp))
            # A batch retried after a restart may have been stored by the attempt that failed
            # (committed, answer lost): then it is reported as duplicates, never stored twice.
            event_answers.append(answer)
            progress.release()

    def guarded(target, *args):
        def run():
            try:
                target(*args)
            except BaseException as exc:
                errors.append(exc)

        return threading.Thread(target=run)

    threads = [guarded(route), guarded(route), guarded(ingest, 0), guarded(ingest, 1)]
    for thread in threads:
        thread.start()
    for _ in range(12):  # a fair part of the work done, the rest still to come
        progress.acquire(timeout=60)
    # A restart with a second of downtime (as `pg_ctl restart -m fast` of a loaded server):
    # requests in flight and during the gap fail, kept connections break.
    private_postgres.stop(mode="fast")
    time.sleep(1.0)
    private_postgres.start_again()
    for thread in threads:
        thread.join(timeout=180)
    assert not errors, errors
    assert sum(len(c.retried) for c in clients) > 0  # the outage was felt, and retried

    figures = json.loads(
        run_python(
            "from warmup_site.tests.scenarios import outage_figures; outage_figures()", env=env
        )
        .strip()
        .splitlines()[-1]
    )
    # Events: each distinct event stored once and counted once on the warming IP's day row.
    total = EVENT_BATCHES * EVENTS_PER_BATCH
    assert figures["events"] == figures["distinct_ids"] == total
    assert sum(a["stored"] + a["duplicates"] for a in event_answers) == total
    counted = figures["counted"]
    assert counted["delivered"] + counted["bounced"] + counted["complaints"] == total
    assert counted["bounced"] == total // 4 and counted["complaints"] == total // 4
    # Routing: the warming IP's cap taken exactly, never exceeded, the rest overflowed; every
    # recipient answered with an IP is counted on that IP's day row.
    warming = figures["days"][scenarios.WARMING_IP]
    shared = figures["days"][scenarios.SHARED_IP]
    assert warming["cap"] == scenarios.OUTAGE_CAP
    assert warming["routed"] == scenarios.OUTAGE_CAP
    routes = [route for answer in answers for route in answer["routes"]]
    assert len(routes) == ROUTE_REQUESTS * RECIPIENTS_PER_REQUEST
    assert {r["reason"] for r in routes} == {"warming", "shared"}
    answered = {ip: sum(1 for r in routes if r["ip"] == ip) for ip in figures["days"]}
    assert answered[scenarios.SHARED_IP] <= shared["routed"]
    assert answered[scenarios.WARMING_IP] <= warming["routed"]
    # Claims commit one by one, so a request that failed after its claim (the answer lost in
    # the restart) leaves counted recipients nobody was told about: at most its own.
    lost = warming["routed"] + shared["routed"] - len(routes)
    assert 0 <= lost <= route_retries(clients) * RECIPIENTS_PER_REQUEST


def route_retries(clients) -> int:
    return sum(len(c.retried) for c in clients if c.kind == "routes")


def test_an_outage_answers_503_and_a_restart_costs_no_request(app, private_postgres):
    server, token, _env = app
    client = Client(server.port, token)
    route = {"sender_domain": scenarios.SENDER_DOMAIN, "recipients": ["a@gmail.com"]}
    for _ in range(6):  # every worker holds a connection now (kept 60 s)
        assert client.post("/api/v1/routes/", route)["routes"][0]["ip"]

    private_postgres.stop(mode="fast")
    try:
        answers = [client.once("POST", "/api/v1/routes/", json.dumps(route).encode())]
        answers.append(
            client.once(
                "POST",
                "/api/v1/events/",
                json.dumps(events_batch(0, "2026-11-23T10:00:00Z")).encode(),
            )
        )
        # A signed-in browser: its session must be read from the database.
        browser = Client(server.port, token)
        browser.headers = {"Cookie": "sessionid=" + "0123456789abcdefghijklmnopqrstuv"}
        page = browser.once("GET", "/")
    finally:
        private_postgres.start_again()

    for status, data, headers in answers:
        assert status == 503
        assert headers["Content-Type"] == "application/json"
        assert headers["Retry-After"] == "5"
        assert json.loads(data)["message"].startswith("The database is unavailable")
    assert page[0] == 503 and b"Unavailable for a moment" in page[1]

    # Every worker connects again and keeps its connection …
    for _ in range(6):
        assert client.post("/api/v1/routes/", route)["routes"][0]["ip"]
    # … which the restart breaks; the next requests check theirs before using it.
    private_postgres.restart(mode="fast")
    statuses = [
        client.once("POST", "/api/v1/routes/", json.dumps(route).encode())[0] for _ in range(10)
    ]
    assert statuses == [200] * 10


def test_a_body_over_the_limit_gets_its_413_over_a_real_connection(app):
    # Not an outage, but only a real server shows it: answering before the whole body is read
    # made the kernel reset the connection, and the client saw a broken pipe, not the 413.
    server, token, _env = app
    body = json.dumps(events_batch(0, "2026-11-23T10:00:00Z") | {"padding": "x" * 11_000_000})

    status, data, headers = Client(server.port, token).once(
        "POST", "/api/v1/events/", body.encode()
    )

    assert status == 413
    assert headers["Content-Type"] == "application/json"
    assert json.loads(data)["limit_bytes"] == 10 * 1024 * 1024
