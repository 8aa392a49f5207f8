"""The PostgreSQL backend's health check: a connection the server dropped is noticed before the
next query, without a round trip (warmup_site/postgresql/base.py)."""

import select

import psycopg
import pytest
from django.db import connection


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server to drop a connection")
    connection.ensure_connection()
    connection.health_check_enabled = True
    yield connection
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_it_drops_a_connection_the_server_terminated(postgresql):
    pid = postgresql.connection.info.backend_pid
    with psycopg.connect(**postgresql.get_connection_params()) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    select.select([postgresql.connection.fileno()], [], [], 5)  # the server's goodbye arrived
    postgresql.health_check_done = False

    postgresql.close_if_health_check_failed()

    assert postgresql.connection is None
    with postgresql.cursor() as cursor:  # a new connection, transparently
        cursor.execute("SELECT 1")


@pytest.mark.django_db(transaction=True)
def test_it_keeps_a_live_connection_without_asking_the_server(postgresql):
    kept = postgresql.connection
    with postgresql.cursor() as cursor:
        cursor.execute("SELECT 'the last query before the check'")
    postgresql.health_check_done = False

    postgresql.close_if_health_check_failed()

    assert postgresql.connection is kept
    # Django's own check would have run SELECT 1 on it; the server saw nothing since.
    with psycopg.connect(**postgresql.get_connection_params()) as other:
        (last,) = other.execute(
            "SELECT query FROM pg_stat_activity WHERE pid = %s", [kept.info.backend_pid]
        ).fetchone()
    assert last == "SELECT 'the last query before the check'"
