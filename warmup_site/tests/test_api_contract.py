"""The OpenAPI schema tells the truth about the running app (issue 11 §2).

schemathesis reads /api/schema/ from the app served by gunicorn (DEBUG=false) on a private
PostgreSQL database with real rows (contract_seed.py), and sends what the schema allows and
what it forbids, with a customer's token and with a pipeline credential, running every check
it has: no server error, every status, content type and header declared, every answer valid
against its schema, schema-valid requests accepted, schema-violating ones refused
(schemathesis.toml lists the few rules only words in the schema can state). Bounded for CI:
WARMUP_CONTRACT_EXAMPLES (default 15) cases per operation and phase, seed
WARMUP_CONTRACT_SEED (default 1, so that a run is repeatable). Longer, by hand:

    WARMUP_CONTRACT_EXAMPLES=200 WARMUP_CONTRACT_SEED=$RANDOM \\
        DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt_x \\
        .venv/bin/python -m pytest warmup_site/tests/test_api_contract.py -s
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warmup_site.testing.processes import (
    Gunicorn,
    manage,
    production_environment,
)

pytestmark = pytest.mark.processes

HERE = Path(__file__).resolve().parent
SCHEMATHESIS = Path(sys.executable).parent / "st"
EXAMPLES = os.environ.get("WARMUP_CONTRACT_EXAMPLES", "15")
SEED = os.environ.get("WARMUP_CONTRACT_SEED", "1")


@pytest.fixture
def served(private_database, dns_server, tmp_path):
    """gunicorn serving a database with an account (owner token), a pipeline credential and
    the rows of contract_seed.py; yields (url, owner token, pipeline key)."""
    env = production_environment(
        DATABASE_URL=private_database,
        # Classification and "verify now" ask the test DNS server, never the network.
        WARMUP_DNS_NAMESERVERS=dns_server.address,
        WARMUP_DNS_TIMEOUT="1",
    )
    owner = manage(
        "create_account", "Acme", "--owner", "olivia", "--password", "Contract-Test-9", env=env
    )
    pipeline = manage("create_pipeline_token", "mta-contract", env=env)
    manage("shell", "--no-imports", "-c", (HERE / "contract_seed.py").read_text(), env=env)
    with Gunicorn(env=env, log=tmp_path / "gunicorn.log", workers=2) as server:
        yield server, owner.strip().splitlines()[-1], pipeline.strip().splitlines()[-1]


def schemathesis(url: str, key: str, report: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{url}/api/schema/",
            "--header",
            f"Authorization: Token {key}",
            "--checks",
            "all",
            "--max-examples",
            EXAMPLES,
            "--seed",
            SEED,
            # One worker: Python 3.11's compiler is not safe for schemathesis's threads
            # ("SystemError: AST constructor recursion depth mismatch").
            "--workers",
            "1",
            "--request-timeout",
            "20",
            "--no-color",
            "--report",
            "junit",
            "--report-junit-path",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize("credential", ["customer token", "pipeline credential"])
def test_the_schema_holds_for_every_operation(served, credential, tmp_path):
    server, owner_token, pipeline_key = served
    key = owner_token if credential == "customer token" else pipeline_key

    result = schemathesis(server.url, key, tmp_path / "junit.xml")

    summary = result.stdout[result.stdout.find("SUMMARY") :]
    print(f"schemathesis with a {credential}:\n{summary}")  # shown with -s and on failure
    assert result.returncode == 0, (
        f"schemathesis found contract failures with a {credential}:\n"
        f"{result.stdout[-20000:]}{result.stderr[-2000:]}\n"
        f"server log:\n{server.output()[-5000:]}"
    )
    assert "Tested: " in summary
