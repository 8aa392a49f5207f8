"""The ramp simulator: the daily controller's own rule (`ips.warmup_rule.decide`) run over simulated
days, in memory — nothing is written anywhere — so that operators can see what a profile will
do before they use it (`python manage.py simulate_ip_warmup`).

Each simulated day the sender has `daily_volume` messages for the provider; routing sends
min(volume, today's cap) through the IP (a warm IP: within its growth allowance, as routing
computes it). Delivery is clean except for the few hard bounces and complaints of a good list,
unless the day is a throttling or blocking day (then a tenth of what was routed is refused) or
a quiet weekend day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from ips.types import WARM_STATES
from ips.warmup_rule import PEAK_DAYS, DayFigures, PairState, Rules, decide, warm_day_cap

# A good list: 0.5% hard bounces, 0.05% complaints (well under the 5% and 0.3% limits).
HARD_BOUNCE_SHARE = 0.005
COMPLAINT_SHARE = 0.0005
# On a throttling or blocking day the provider refuses this share of what was routed.
PUSHBACK_SHARE = 0.10


@dataclass(frozen=True)
class SimulatedDay:
    day: int  # 1-based
    on: date
    provider: str
    state: str
    stage: int
    cap: int
    routed: int
    kind: str  # the decision for the day ("—": a warm day with nothing to decide)
    reason: str
    next_stage: int
    next_cap: int


def simulate(
    *,
    profile,
    days: int,
    daily_volume: int,
    throttle_days: frozenset[int] = frozenset(),
    block_days: frozenset[int] = frozenset(),
    quiet_weekends: bool = False,
    complaint_share: float = COMPLAINT_SHARE,
    start: date = date(2026, 1, 5),  # a Monday
) -> list[SimulatedDay]:
    """One provider's warm-up, day by day, from stage 1."""
    rules = Rules.from_profile(profile)
    floor = profile.floor
    growth = float(profile.max_daily_growth)
    pair = PairState(state="warming", stage=1, daily_cap=rules.cap(1))
    history: list[int] = []
    out: list[SimulatedDay] = []
    for number in range(1, days + 1):
        on = start + timedelta(days=number - 1)
        if pair.state in WARM_STATES:
            peak = max(history[-PEAK_DAYS:], default=0)
            cap = warm_day_cap(
                daily_cap=pair.daily_cap, floor=floor, max_daily_growth=growth, peak=peak
            )
        else:
            cap = pair.daily_cap
        volume = 0 if quiet_weekends and on.weekday() >= 5 else daily_volume
        routed = min(volume, cap)
        pushback = math.ceil(routed * PUSHBACK_SHARE) if number in throttle_days | block_days else 0
        pushback = max(pushback, rules.backoff_min_replies) if pushback else 0
        hard = math.floor(routed * HARD_BOUNCE_SHARE)
        figures = DayFigures(
            cap=cap,
            routed=routed,
            delivered=max(routed - hard - pushback, 0),
            bounced=hard + (pushback if number in block_days else 0),
            hard_bounced=hard,
            deferred=pushback if number in throttle_days else 0,
            throttled=pushback if number in throttle_days else 0,
            blocked=pushback if number in block_days else 0,
            complaints=math.floor(routed * complaint_share),
        )
        decision = decide(pair=pair, day=figures, rules=rules)
        before = pair
        if decision is not None:
            pair = decision.after
        history.append(routed)
        out.append(
            SimulatedDay(
                day=number,
                on=on,
                provider=profile.provider.slug,
                state=before.state,
                stage=before.stage,
                cap=cap,
                routed=routed,
                kind=decision.kind if decision else "—",
                reason=decision.reason if decision else "",
                next_stage=pair.stage,
                next_cap=pair.daily_cap,
            )
        )
    return out
