"""sync_schedules: upsert by name, keep hand-made schedules, remove stale managed ones."""

from datetime import time
from importlib import import_module

import time_machine
from django.core.management import call_command
from django_q.models import Schedule

from warmup_site import schedules
from warmup_site.schedules import Job


def test_it_creates_every_listed_job_once(db):
    call_command("sync_schedules")
    call_command("sync_schedules")

    names = sorted(Schedule.objects.values_list("name", flat=True))
    assert names == sorted(job.full_name for job in schedules.JOBS)


@time_machine.travel("2026-11-23 10:00:00+00:00", tick=False)
def test_it_schedules_daily_jobs_at_their_utc_time(db, monkeypatch):
    monkeypatch.setattr(schedules, "JOBS", [Job("nightly", "m.f", daily_at=time(3, 20))])

    call_command("sync_schedules")

    schedule = Schedule.objects.get(name="warmup: nightly")
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.next_run.isoformat() == "2026-11-24T03:20:00+00:00"


def test_it_updates_a_changed_job_and_keeps_its_next_run(db, monkeypatch):
    monkeypatch.setattr(schedules, "JOBS", [Job("often", "m.f", every_minutes=5)])
    call_command("sync_schedules")
    before = Schedule.objects.get(name="warmup: often").next_run

    monkeypatch.setattr(schedules, "JOBS", [Job("often", "m.g", every_minutes=5)])
    call_command("sync_schedules")

    schedule = Schedule.objects.get(name="warmup: often")
    assert schedule.func == "m.g"
    assert schedule.next_run == before


def test_it_removes_stale_managed_jobs_and_keeps_hand_made_ones(db, monkeypatch):
    Schedule.objects.create(name="warmup: retired job", func="m.old")
    Schedule.objects.create(name="operator's own report", func="m.report")
    Schedule.objects.create(name="warmup: dup", func="m.f")
    Schedule.objects.create(name="warmup: dup", func="m.f")
    monkeypatch.setattr(schedules, "JOBS", [Job("dup", "m.f", every_minutes=1)])

    call_command("sync_schedules")

    assert sorted(Schedule.objects.values_list("name", flat=True)) == [
        "operator's own report",
        "warmup: dup",
    ]


def test_every_job_points_at_an_importable_task():
    for job in schedules.JOBS:
        module, _, func = job.func.rpartition(".")
        assert callable(getattr(import_module(module), func)), job.func
        assert (job.every_minutes is None) != (job.daily_at is None), job.name


def test_the_sandbox_sends_and_sweeps_every_minute(db, settings):
    settings.WARMUP_SANDBOX = True

    call_command("sync_schedules")

    minutes = dict(Schedule.objects.values_list("name", "minutes"))
    assert minutes["warmup: domain warm-up: send due messages"] == 1
    assert minutes["warmup: domain warm-up: sweep seed mailboxes"] == 1
    assert minutes["warmup: reputation: daily snapshots"] == 2
    settings.WARMUP_SANDBOX = False
    call_command("sync_schedules")
    assert Schedule.objects.get(name="warmup: domain warm-up: sweep seed mailboxes").minutes == 10
