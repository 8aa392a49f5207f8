"""The ips app's shared vocabulary: plain values every layer may import (no ORM, no I/O).

The warm-up states and decision kinds are the models' choices (`IpWarmup.State`,
`IpWarmupDecision.Kind`) and the pure rule's words at once; the routing and event inputs are
what the API parses and the services consume.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db.models import TextChoices


class WarmupState(TextChoices):
    """Where one IP's warm-up at one provider stands (`IpWarmup.state`)."""

    PENDING = "pending", "Not started"
    WARMING = "warming", "Warming up"
    BACKOFF = "backoff", "Backing off"
    PAUSED = "paused", "Paused"
    WARM = "warm", "Warm"
    COOLING = "cooling", "Warm, below the floor"


class DecisionKind(TextChoices):
    """What a stored warm-up decision did (`IpWarmupDecision.kind`)."""

    ADVANCE = "advance", "Advanced a stage"
    HOLD = "hold", "Held"
    ALERT = "alert", "Held: list-quality alert"
    BACKOFF = "backoff", "Backed off"
    STEP_BACK = "step_back", "Stepped back (idle)"
    WARM = "warm", "Warm"
    COOLING = "cooling", "Below the floor"
    RECOVERED = "recovered", "Back above the floor"
    SUSPEND = "suspend", "Suspended"
    UNSUSPEND = "unsuspend", "Suspension lifted"
    PAUSE = "pause", "Paused"
    RESUME = "resume", "Resumed"
    SET_STAGE = "set_stage", "Stage set"
    COMPLETE = "complete", "Completed"
    RESTART = "restart", "Restarted"
    GROW = "grow", "Allowance grown"
    DECAY = "decay", "Allowance decayed (quiet)"
    REWARM = "rewarm", "Warming up again (quiet too long)"


# The states the daily controller decides for: warming pairs climb the stage table, warm pairs
# are watched against the provider's floor.
WARMING_STATES = (WarmupState.WARMING, WarmupState.BACKOFF)
WARM_STATES = (WarmupState.WARM, WarmupState.COOLING)
CONTROLLED_STATES = WARMING_STATES + WARM_STATES

# Routing's two phases. Warming pairs are paced and take the most engaged recipients first;
# warm pairs take the rest within their growth allowance. Other states are not routed to.
WARMING, WARM = "warming", "warm"
ROUTING_PHASE = {
    WarmupState.WARMING: WARMING,
    WarmupState.BACKOFF: WARMING,
    WarmupState.WARM: WARM,
    WarmupState.COOLING: WARM,
}


class RouteReason(TextChoices):
    """Why a recipient was routed where it was (`reason` in the routes API)."""

    WARMING = "warming", "A warming IP of the account's pool"
    WARM = "warm", "A warm IP of the account's pool"
    OVERFLOW = "overflow", "An account pool reached by overflow"
    SHARED = "shared", "A shared pool's IP"
    NO_ROUTE = "no_route", "No IP may take it"


@dataclass(frozen=True, slots=True)
class Recipient:
    """One recipient to route; `engaged_days` is days since they last engaged (None: unknown)."""

    address: str
    engaged_days: int | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """Where one recipient's message leaves from (`ip`/`pool` None for no_route)."""

    recipient: str
    provider: str
    ip: str | None
    pool: str | None
    reason: str
    detail: str | None = None


@dataclass(slots=True)
class EventInput:
    """One validated delivery event (ips.inputs.events_parse → ips.services.events_ingest)."""

    event_id: str
    type: str
    ip: str
    sender_domain: str
    recipient: str
    smtp_code: int | None
    enhanced_status: str
    response: str
    timestamp: datetime


def utc_day(moment: datetime) -> date:
    """The UTC date counters are kept by (settings.TIME_ZONE is UTC, but say so here)."""
    return moment.astimezone(UTC).date()
