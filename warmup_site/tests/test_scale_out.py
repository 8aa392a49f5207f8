"""Scale-out exercised (issue 11 §7): django-q2 on the Redis broker, with real `qcluster`
processes on a private PostgreSQL database.

Redis is the machine's (127.0.0.1:6379), database WARMUP_TEST_REDIS_DB (default 12); each test
uses a queue name of its own (WARMUP_Q_NAME) and deletes its keys afterwards, so parallel test
processes and other users of that Redis database do not meet.
"""

import itertools
import json
import os
import time

import psycopg
import pytest
import redis

from warmup_site.testing import in_ci
from warmup_site.testing.processes import QCluster, manage, production_environment, run_python

pytestmark = pytest.mark.processes

REDIS_DB = int(os.environ.get("WARMUP_TEST_REDIS_DB", "12"))
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
_queues = itertools.count(1)


@pytest.fixture
def redis_connection():
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError:
        reason = (
            "Redis is not running on 127.0.0.1:6379; install and start it with `apt-get install "
            "-y redis-server && redis-server --daemonize yes --save ''`"
        )
        if in_ci():
            pytest.fail(reason + " (CI=true: tests may not skip for this)", pytrace=False)
        pytest.skip(reason)
    yield connection
    connection.close()


@pytest.fixture
def queue(redis_connection, private_database, dns_server, tmp_path):
    """The environment of processes sharing one private database and one Redis queue."""
    name = f"warmup-test-{os.getpid()}-{next(_queues)}"
    env = production_environment(
        DATABASE_URL=private_database,
        REDIS_URL=REDIS_URL,
        WARMUP_Q_NAME=name,
        WARMUP_Q_WORKERS="1",
        WARMUP_DNS_NAMESERVERS=dns_server.address,
        WARMUP_DNS_TIMEOUT="1",
    )
    yield env
    keys = redis_connection.keys(f"django_q:{name}*")
    if keys:
        redis_connection.delete(*keys)


def figures(env) -> dict:
    code = "from warmup_site.tests.scenarios import scale_out_figures; scale_out_figures()"
    return json.loads(run_python(code, env=env).strip().splitlines()[-1])


def wait_for_tasks(env, count: int, *, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
        while time.monotonic() < deadline:
            done = connection.execute("SELECT count(*) FROM django_q_task").fetchone()[0]
            if done >= count:
                return figures(env)["tasks"]
            time.sleep(0.5)
    raise AssertionError(f"fewer than {count} tasks finished within {timeout} s")


def test_a_qcluster_on_redis_runs_a_scheduled_job_end_to_end(queue, redis_connection, tmp_path):
    env = queue
    setup = "from warmup_site.tests.scenarios import controller_setup; controller_setup(ips=2)"
    pairs = json.loads(run_python(setup, env=env).strip().splitlines()[-1])["pairs"]
    manage("sync_schedules", env=env)
    # The controller's schedule is due now (it would run at 00:10 UTC).
    run_python(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from django_q.models import Schedule\n"
        "Schedule.objects.filter(func='ips.tasks.run_warmup_controller')"
        ".update(next_run=timezone.now() - timedelta(minutes=1))",
        env=env,
    )

    with QCluster(env=env, log=tmp_path / "qcluster.log") as cluster:
        # django-q2's scheduler looks at the schedules every 30 s.
        tasks = wait_for_tasks(env, 1, timeout=90)
        on_redis = redis_connection.keys(f"django_q:{env['WARMUP_Q_NAME']}:cluster*")
        cluster.stop()
        log = cluster.output()

    assert tasks[0]["func"] == "ips.tasks.run_warmup_controller", log
    assert tasks[0]["success"], tasks[0]["result"]
    assert tasks[0]["result"].startswith(
        f"decided {pairs * 3} days of {pairs} (IP, provider) pairs"
    )
    assert on_redis, "the cluster did not register with the Redis broker"
    result = figures(env)
    assert result["decisions_per_pair_day"] == [1]
    assert result["pair_days"] == pairs * 3


def test_two_qclusters_decide_each_pair_and_day_exactly_once(queue, dns_server, tmp_path):
    env = queue
    setup = (
        "from warmup_site.tests.scenarios import controller_setup, domains_setup\n"
        "controller_setup(ips=30, missed=3)\n"
        "domains_setup(count=40)"
    )
    pairs = json.loads(run_python(setup, env=env).strip().splitlines()[0])["pairs"]
    # Each cluster serves a queue of its own, so that each surely gets one controller run and
    # one re-verification, sent to both at the same moment. (Seen here: both controller runs
    # started within 15 ms; one decided all 990 (pair, day)s, the other found every row
    # locked and skipped it — SELECT … FOR UPDATE SKIP LOCKED.)
    names = [f"{env['WARMUP_Q_NAME']}-a", f"{env['WARMUP_Q_NAME']}-b"]

    with (
        QCluster(env={**env, "Q_CLUSTER_NAME": names[0]}, log=tmp_path / "qcluster-a.log"),
        QCluster(env={**env, "Q_CLUSTER_NAME": names[1]}, log=tmp_path / "qcluster-b.log"),
    ):
        time.sleep(3)  # both clusters up and waiting on their queues
        run_python(
            "from django_q.tasks import async_task\n"
            f"for cluster in {names!r}:\n"
            "    async_task('ips.tasks.run_warmup_controller', cluster=cluster)\n"
            f"for cluster in {names!r}:\n"
            "    async_task('domains.tasks.reverify_domains', cluster=cluster)",
            env=env,
        )
        tasks = wait_for_tasks(env, 4, timeout=120)

    assert all(t["success"] for t in tasks), tasks
    assert sorted((t["cluster"], t["func"]) for t in tasks) == sorted(
        (name, func)
        for name in names
        for func in ("ips.tasks.run_warmup_controller", "domains.tasks.reverify_domains")
    )
    result = figures(env)
    # Each (pair, day) decided exactly once between the two runs, no stage moved twice.
    assert result["decisions_per_pair_day"] == [1]
    assert result["pair_days"] == pairs * 3
    assert result["stage_moves_match_advances"]
    assert len(result["decided_through"]) == 1
    # Each domain checked once: its ownership record looked up once between the two runs.
    assert result["domains_checked"] == 40
    lookups = [q for q in dns_server.queries if q[0].startswith("_warmup.sender")]
    per_domain = {name: sum(1 for q in lookups if q[0] == name) for name, *_ in lookups}
    assert len(per_domain) == 40
    assert set(per_domain.values()) == {1}, per_domain
