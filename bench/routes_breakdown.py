#!/usr/bin/env python
"""Where a single-recipient routing request spends its time, in-process (no HTTP, no
concurrency): the same request through Django's handler, middleware and DRF as gunicorn runs
it, against the bare endpoint without and with authentication, then profiled.

    BENCH_DATABASE_URL=postgres://… .venv/bin/python bench/routes_breakdown.py [--requests 3000]

Uses bench/routes.py's setup (it EMPTIES the IP and event tables of the bench database).
Prints µs per request for each endpoint, the SQL statements one routing request runs, and
the functions of a cProfile run that took the most time (their own time and with callees).
The difference between two lines is what that layer costs; the statements show what the
database does per request.
"""

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

import bench.routes as routes


def per_request(client: Client, path: str, bodies: list[str], headers: dict, n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        response = client.post(
            path, bodies[i % len(bodies)], content_type="application/json", **headers
        )
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}: {response.content[:300]!r}")
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    routes.require_database()
    token = routes.setup()
    recipients = [f"user{n}@{d}" for n, d in enumerate(routes.domains())]
    bodies = [routes.body([r]) for r in recipients]
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    client = Client(HTTP_HOST="127.0.0.1")
    # Warm the caches (credential, registry, MX sets, prepared statements) first.
    for path, headers in (
        ("/bench/bare/", {}),
        ("/bench/bare-auth/", auth),
        ("/api/v1/routes/", auth),
    ):
        per_request(client, path, bodies, headers, 200)

    rows = [
        ("bare DRF POST, no authentication", "/bench/bare/", {}),
        ("bare DRF POST, token authentication", "/bench/bare-auth/", auth),
        ("POST /api/v1/routes/, one recipient", "/api/v1/routes/", auth),
    ]
    print(f"in-process, {args.requests:,} requests each, median of 3 passes (µs a request)")
    results = {}
    for label, path, headers in rows:
        passes = sorted(per_request(client, path, bodies, headers, args.requests) for _ in range(3))
        results[path] = passes[1]
        print(f"  {label:<40} {passes[1]:7.0f}")
    print(
        f"  authentication costs {results['/bench/bare-auth/'] - results['/bench/bare/']:.0f} µs;"
        f" routing's own work {results['/api/v1/routes/'] - results['/bench/bare-auth/']:.0f} µs"
    )

    with CaptureQueriesContext(connection) as queries:
        client.post("/api/v1/routes/", bodies[0], content_type="application/json", **auth)
    print(f"\nSQL statements of one routing request: {len(queries)}")
    for query in queries:
        print(f"  {query['time']}s  {query['sql'][:150]}")

    profile = cProfile.Profile()
    profile.enable()
    per_request(client, "/api/v1/routes/", bodies, auth, args.requests)
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    print("\n" + out.getvalue())
    print(json.dumps({k: round(v, 1) for k, v in results.items()}))


if __name__ == "__main__":
    main()
