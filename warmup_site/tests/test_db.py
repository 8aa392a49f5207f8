"""warmup_site/db.py: the hot paths' statements, prepared on PostgreSQL with their parameters
bound on the server, logged like any query, failing like any query."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from accounts.models import Account
from warmup_site import db

pytestmark = pytest.mark.django_db

SQL = "SELECT name FROM accounts_account WHERE slug = %(slug)s AND %(slug)s <> %(other)s"


def run(**params):
    with connection.cursor() as cursor:
        return db.execute(cursor, SQL, params, name="test_account_name").fetchall()


def server_statements() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def test_it_answers_with_named_parameters_used_twice():
    Account.objects.create(name="Acme Mail", slug="acme")

    assert run(slug="acme", other="x") == [("Acme Mail",)]
    assert run(slug="nobody", other="x") == []


def test_it_is_logged_under_its_name_when_queries_are_logged():
    with CaptureQueriesContext(connection) as queries:
        run(slug="acme", other="x")

    assert len(queries) == 1
    if connection.vendor == "postgresql":
        assert queries[0]["sql"] == "EXECUTE test_account_name('acme', 'x')"
    else:
        assert queries[0]["sql"].startswith("SELECT name FROM accounts_account")


def test_a_failing_statement_raises_djangos_error_and_leaves_the_connection_usable():
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        db.execute(
            cursor, "SELECT x FROM no_such_table WHERE x = %(x)s", {"x": 1}, name="test_missing"
        )

    assert run(slug="acme", other="x") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_on_postgresql_it_is_prepared_once_per_connection_and_the_orm_is_not():
    for _ in range(7):
        run(slug="acme", other="x")
    list(Account.objects.filter(slug="acme"))
    list(Account.objects.filter(slug="acme"))

    prepared = server_statements()
    ours = [text for text in prepared if "accounts_account WHERE slug = $1" in text]
    assert len(ours) == 1
    assert prepared[ours[0]] == 7
    assert not [text for text in prepared if text.startswith('SELECT "accounts_account"')]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
@override_settings(WARMUP_DB_PREPARED_STATEMENTS=False)
def test_behind_a_transaction_pooler_nothing_is_prepared():
    before = server_statements()
    with CaptureQueriesContext(connection) as queries:
        run(slug="acme", other="x")

    assert server_statements() == before
    assert "'acme'" in queries[0]["sql"]  # sent as plain SQL text
