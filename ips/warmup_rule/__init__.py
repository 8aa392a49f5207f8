"""The IP warm-up rule and every cap, pacing and allowance formula — pure (no ORM, no I/O).

One copy of each calculation, imported by the models (the stage table), routing (pacing, the
engagement window, a day's cap), the nightly controller and the operators' controls (the
decision rule), the fast back-off (when to suspend), the simulator and the selectors:

- `caps.py` — the stage table, a day's cap, pacing, the engagement window, progress;
- `decision.py` — the decision's types and what the rules share;
- `warming.py`, `warm.py` — the numbered rules for warming and for warm pairs;
- `nightly.py` — `decide`, which picks the list;
- `backoff.py` — the fast back-off within the hour: when a pair is suspended, and how long.
"""

from ips.warmup_rule.caps import (
    DEFAULT_PROFILE,
    MAX_STAGES,
    Stage,
    allowance,
    cap_for_stage,
    day_cap,
    engaged_days_for_stage,
    pace,
    stage_caps,
    stage_table,
    warm_day_cap,
    warmup_percentage,
)
from ips.warmup_rule.decision import (
    ADVANCE_SHARE,
    SENDING_SHARE,
    DayFigures,
    Decision,
    PairState,
    Rules,
    stage_change,
)
from ips.warmup_rule.nightly import decide

__all__ = [
    "ADVANCE_SHARE",
    "DEFAULT_PROFILE",
    "MAX_STAGES",
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
    "warmup_percentage",
]
