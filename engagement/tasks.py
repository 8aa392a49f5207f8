"""django-q2 entry points of domain warm-up (scheduled in warmup_site/schedules.py). Each is safe
to run twice, late, or on several workers at once (see the services they call)."""

from engagement.services import plan, sending, sweep


def send_due_messages() -> str:
    return sending.messages_send_due().sentence()


def sweep_seeds() -> str:
    return sweep.seeds_sweep().sentence()


def step_plans() -> str:
    return plan.warmups_step().sentence()
