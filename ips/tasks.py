"""django-q2 entry points of the ips app (scheduled in warmup_site/schedules.py)."""

from ips import services
from ips.models import DedicatedIp
from ips.services.capacity import shared_pools_watch
from ips.services.controller import controller_run
from ips.services.retention import delivery_events_prune


def check_ip(ip_id: int) -> str:
    """Run the readiness checks of one IP now (enqueued when an IP is added)."""
    ip = DedicatedIp.objects.filter(pk=ip_id).first()
    if ip is None:
        return f"IP {ip_id} no longer exists"
    ip = services.ip_readiness_check(ip=ip)
    return f"{ip.address}: checks {ip.readiness}, state {ip.state}"


def check_due_ips() -> str:
    """Re-check every IP whose next check is due: new IPs soon, sending IPs every few hours."""
    return services.ips_check_due().sentence()


def run_warmup_controller() -> str:
    """The daily controller for every day that ended and was not decided yet (catch-up)."""
    return controller_run().sentence()


def watch_shared_pools() -> str:
    """Tell operators when a shared pool nears the capacity they set for it."""
    return shared_pools_watch().sentence()


def prune_delivery_events() -> str:
    """Delete raw delivery events past WARMUP_DELIVERY_EVENT_RETENTION_DAYS."""
    return f"deleted {delivery_events_prune():,} delivery events"
