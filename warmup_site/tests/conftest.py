"""A private PostgreSQL cluster for the tests that run the application as separate processes
(test_outage.py, test_scale_out.py): started once per test process, with a migrated template
database that each test copies (CREATE DATABASE … TEMPLATE: a fraction of a second)."""

import itertools
import os

import pytest

from warmup_site.testing.postgres import PrivatePostgres
from warmup_site.testing.processes import manage, production_environment

TEMPLATE = "warmup_template"
_names = itertools.count(1)


@pytest.fixture(scope="session")
def private_postgres():
    cluster = PrivatePostgres().start()
    try:
        cluster.create_database(TEMPLATE)
        manage(
            "migrate",
            "--noinput",
            env=production_environment(DATABASE_URL=cluster.url(TEMPLATE)),
        )
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def private_database(private_postgres):
    """The URL of a fresh, migrated database on the private cluster."""
    name = f"warmup_{os.getpid()}_{next(_names)}"
    return private_postgres.create_database(name, template=TEMPLATE)
