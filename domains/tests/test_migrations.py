import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("domains", "0001_initial")]
AFTER = [("domains", "0002_records_dkim_keys_and_checks")]


@pytest.mark.django_db(transaction=True)
def test_it_gives_each_existing_domain_its_own_ownership_token():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        old_apps = executor.loader.project_state(BEFORE).apps
        account = old_apps.get_model("accounts", "Account").objects.create(name="A", slug="a")
        for name in ("one.example", "two.example"):
            old_apps.get_model("domains", "Domain").objects.create(account=account, name=name)

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)

        new_apps = executor.loader.project_state(AFTER).apps
        tokens = list(
            new_apps.get_model("domains", "Domain").objects.values_list(
                "ownership_token", flat=True
            )
        )
        assert len(tokens) == 2 and len(set(tokens)) == 2
        assert all(len(token) == 32 for token in tokens)
    finally:
        MigrationExecutor(connection).migrate(latest)
