"""The IP warm-up rule and every cap, pacing and allowance formula — pure (no ORM, no I/O).

One copy of each calculation, imported by the models (the stage table), routing (pacing, the
engagement window, a day's cap), the nightly controller and the operators' controls (the
decision rule), the simulator and the selectors (what the pages show):

- `caps.py` — the stage table, a day's cap, pacing, the engagement window;
- `decision.py` — the daily decision, one function per numbered rule, tried in order.
"""

from ips.warmup_rule.caps import (
    DEFAULT_PROFILE,
    MAX_STAGES,
    PEAK_DAYS,
    Stage,
    allowance,
    cap_for_stage,
    day_cap,
    engaged_days_for_stage,
    pace,
    stage_caps,
    stage_table,
    warm_day_cap,
)
from ips.warmup_rule.decision import (
    ADVANCE_SHARE,
    SENDING_SHARE,
    DayFigures,
    Decision,
    PairState,
    Rules,
    decide,
    stage_change,
    watch_floor,
)

__all__ = [
    "ADVANCE_SHARE",
    "DEFAULT_PROFILE",
    "MAX_STAGES",
    "PEAK_DAYS",
    "SENDING_SHARE",
    "DayFigures",
    "Decision",
    "PairState",
    "Rules",
    "Stage",
    "allowance",
    "cap_for_stage",
    "day_cap",
    "decide",
    "engaged_days_for_stage",
    "pace",
    "stage_caps",
    "stage_change",
    "stage_table",
    "warm_day_cap",
    "watch_floor",
]
