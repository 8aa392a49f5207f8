"""What engagement does when a domain's warm-up is switched (domains.services.switch_hooks)."""

from domains.models import DomainWarmup
from engagement.services import plan


def warmup_switched(warmup: DomainWarmup) -> None:
    if warmup.enabled:
        # Start today rather than at tomorrow's plan step.
        plan.warmup_step(warmup_id=warmup.pk)
    else:
        plan.warmup_cancel_pending(warmup=warmup)
