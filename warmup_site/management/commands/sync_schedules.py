from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from warmup_site import schedules
from warmup_site.schedules import PREFIX, Job


def _next_daily(at, now: datetime) -> datetime:
    candidate = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


def _wanted(job: Job, now: datetime) -> dict:
    if job.daily_at is not None:
        return {
            "func": job.func,
            "schedule_type": Schedule.DAILY,
            "minutes": None,
            "repeats": -1,
            "next_run": _next_daily(job.daily_at, now),
        }
    return {
        "func": job.func,
        "schedule_type": Schedule.MINUTES,
        "minutes": job.minutes(sandbox=settings.WARMUP_SANDBOX),
        "repeats": -1,
        "next_run": now + timedelta(minutes=1),
    }


class Command(BaseCommand):
    help = (
        "Create or update the scheduler's jobs from warmup_site/schedules.py (by name) and "
        "remove managed jobs that are no longer listed. Safe to run at every deploy."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        now = timezone.now()
        names = {job.full_name for job in schedules.JOBS}
        for job in schedules.JOBS:
            wanted = _wanted(job, now)
            # django-q2's name column is not unique: tolerate duplicates left by hand-made rows.
            rows = list(Schedule.objects.filter(name=job.full_name).order_by("pk"))
            if not rows:
                Schedule.objects.create(name=job.full_name, **wanted)
                self.stdout.write(f"created  {job.full_name}")
                continue
            schedule, extra = rows[0], rows[1:]
            for duplicate in extra:
                duplicate.delete()
            changed = [
                field
                for field in ("func", "schedule_type", "minutes", "repeats")
                if getattr(schedule, field) != wanted[field]
            ]
            # Keep the next run unless the timing changed, so a deploy does not skip or repeat.
            timing_changed = {"schedule_type", "minutes"} & set(changed)
            if job.daily_at is not None and schedule.next_run is not None:
                due = schedule.next_run.astimezone(UTC)
                if (due.hour, due.minute) != (job.daily_at.hour, job.daily_at.minute):
                    timing_changed.add("next_run")
            if timing_changed or schedule.next_run is None:
                changed.append("next_run")
            for field in changed:
                setattr(schedule, field, wanted[field])
            if changed:
                schedule.save(update_fields=sorted(set(changed)))
                self.stdout.write(f"updated  {job.full_name} ({', '.join(sorted(set(changed)))})")
            else:
                self.stdout.write(f"ok       {job.full_name}")
        stale = Schedule.objects.filter(name__startswith=PREFIX).exclude(name__in=names)
        for schedule in stale:
            self.stdout.write(f"removed  {schedule.name}")
        stale.delete()
