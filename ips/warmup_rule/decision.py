"""The daily decision for one (IP, provider) and one day that ended: the types and what the
rules share.

`nightly.decide` sends a warming pair through the numbered rules of `warming.py` and a warm
one through those of `warm.py`; in each list the first rule that applies decides. What each
rule means and its defaults are written for operators in docs/operations.md ("IP warm-up: the
controller"); the thresholds come from the provider's WarmupProfile (`Rules`).

The controller is closed-loop in both directions: a full day with clean replies grows the cap
by up to `fast_growth` (more than one stage of the table, bounded), below the level where the
provider last pushed back (`trouble_cap`) — above it by `cautious_growth` only; any push-back
holds; throttling past `backoff_rate` cuts by `backoff_cut`; blocks cut by `block_cut`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ips.types import DecisionKind, WarmupState
from ips.warmup_rule.caps import cap_for_stage

Kind = DecisionKind
State = WarmupState

# A day "really sent" when it routed at least this share of its cap (the sending-day clock).
SENDING_SHARE = 0.5
# A day is "full" — it proved the cap — when it routed at least this share of it.
ADVANCE_SHARE = 0.9
# A full day is clean enough to grow on when push-back replies stay under this share of what
# was routed (a reply or two in ten thousand is noise, not a provider's signal) …
CLEAN_PUSHBACK_SHARE = 0.002
# … and complaints and hard bounces stay under this share of their limits.
CLEAN_LIMIT_SHARE = 0.5
# Blocks back off hard once there are at least this many in a day (one refused recipient can
# be that recipient's server's policy) or this share of what was routed.
BLOCK_MIN_REPLIES = 3
BLOCK_MIN_SHARE = 0.001
# A clean, full day at this share of the level where the provider last pushed back clears the
# memory of it: the provider's limit grows with the IP's reputation.
TROUBLE_CLEARED = 0.8
# Fewer complaints or hard bounces than these in a day are noise, not a list's quality: one
# complaint in 50 messages is not a 2% complaint rate.
MIN_COMPLAINTS = 3
MIN_HARD_BOUNCES = 5
# A warm pair's day is "quiet" under this share of the provider's floor: a run of quiet days
# decays its allowance, a long one sends it back into warm-up.
QUIET_SHARE = 0.1


@dataclass(frozen=True)
class Rules:
    """A provider's warm-up profile as the rule reads it."""

    provider: str
    caps: tuple[int, ...]
    stage_days: tuple[int, ...]  # minimum sending days per stage (the cautious lane)
    floor: int
    backoff_rate: float
    backoff_min_replies: int
    backoff_cut: float
    complaint_limit: float
    hard_bounce_limit: float
    idle_days_step_back: int
    warm_after_days: int
    fast_growth: float = 2.5
    cautious_growth: float = 1.75
    block_cut: float = 0.25
    idle_decay: float = 0.85
    rewarm_after_days: int = 30
    spam_limit: float = 0.6

    @classmethod
    def from_profile(cls, profile) -> Rules:
        """From a WarmupProfile (or anything with its fields and `stages()`)."""
        stages = profile.stages()
        return cls(
            provider=profile.provider.name if profile.provider_id else "",
            caps=tuple(s.daily_cap for s in stages),
            stage_days=tuple(s.days for s in stages),
            floor=profile.floor,
            backoff_rate=float(profile.backoff_rate),
            backoff_min_replies=profile.backoff_min_replies,
            backoff_cut=float(profile.backoff_cut),
            complaint_limit=float(profile.complaint_limit),
            hard_bounce_limit=float(profile.hard_bounce_limit),
            idle_days_step_back=max(profile.idle_days_step_back, 1),
            warm_after_days=max(profile.warm_after_days, 1),
            fast_growth=float(profile.fast_growth),
            cautious_growth=float(profile.cautious_growth),
            block_cut=float(profile.block_cut),
            idle_decay=float(profile.idle_decay),
            rewarm_after_days=max(profile.rewarm_after_days, 1),
            spam_limit=float(profile.spam_limit),
        )

    def cap(self, stage: int) -> int:
        return cap_for_stage(self.caps, stage)

    @property
    def final(self) -> int:
        return len(self.caps)

    def stage_at_most(self, cap: float) -> int:
        """The highest stage whose cap is at most `cap` (stage 1 if none is)."""
        return max((s for s in range(1, self.final + 1) if self.cap(s) <= cap), default=1)


@dataclass(frozen=True)
class PairState:
    state: str
    stage: int
    daily_cap: int
    sending_days: int = 0
    stage_days: int = 0
    idle_days: int = 0
    target_days: int = 0
    # The cap at which the provider last pushed back (0: never): growth slows near it.
    trouble_cap: int = 0


@dataclass(frozen=True)
class DayFigures:
    cap: int  # the cap routing enforced that day
    routed: int = 0
    delivered: int = 0
    deferred: int = 0
    bounced: int = 0
    hard_bounced: int = 0
    throttled: int = 0
    blocked: int = 0
    blocklisted: int = 0
    complaints: int = 0
    # Delivered mail that went to the spam folder, when something measured it (a provider
    # model, seed placements); None when unknown.
    spam: int | None = None

    @property
    def rejections(self) -> int:
        return self.throttled + self.blocked + self.blocklisted

    @property
    def blocks(self) -> int:
        return self.blocked + self.blocklisted

    def as_dict(self) -> dict[str, int]:
        # Not dataclasses.asdict: it deep-copies, a third of the controller's time at 100k pairs.
        return {name: value for name in _FIGURES if (value := getattr(self, name)) is not None}


_FIGURES = tuple(DayFigures.__dataclass_fields__)


@dataclass(frozen=True)
class Decision:
    kind: str
    before: PairState
    after: PairState
    reason: str
    figures: dict = field(default_factory=dict)


def n(value: float) -> str:
    return f"{round(value):,}"


def counted(value: float, singular: str, plural: str) -> str:
    """'1 complaint', '3 complaints'."""
    return f"{n(value)} {singular if round(value) == 1 else plural}"


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def stage_change(before: PairState, after: PairState) -> str:
    """How stage and cap moved, in words."""
    if after.stage != before.stage:
        return (
            f"stage {before.stage} → {after.stage}, cap {n(before.daily_cap)} → "
            f"{n(after.daily_cap)}"
        )
    if after.daily_cap != before.daily_cap:
        return f"stage {after.stage}, cap {n(before.daily_cap)} → {n(after.daily_cap)}"
    return f"holding at stage {after.stage} (cap {n(after.daily_cap)})"


@dataclass(frozen=True)
class Day:
    """One pair's day as the numbered rules read it."""

    pair: PairState
    day: DayFigures
    rules: Rules
    cap: int  # the day's cap, at least 1
    base: int  # what the rates are shares of: routed, else what reached the provider
    sent: bool  # a sending day
    sending_days: int  # the sending-day clock after this day

    @classmethod
    def of(cls, pair: PairState, day: DayFigures, rules: Rules) -> Day:
        cap = max(day.cap, 1)
        sent = day.routed >= SENDING_SHARE * cap
        return cls(
            pair=pair,
            day=day,
            rules=rules,
            cap=cap,
            base=day.routed or (day.delivered + day.bounced),
            sent=sent,
            sending_days=pair.sending_days + (1 if sent else 0),
        )

    def decision(self, kind: str, after: PairState, reason: str) -> Decision:
        figures = {**self.day.as_dict(), "stage": self.pair.stage}
        return Decision(kind=kind, before=self.pair, after=after, reason=reason, figures=figures)

    @property
    def full(self) -> bool:
        return self.day.routed >= ADVANCE_SHARE * self.cap

    @property
    def accepted(self) -> int:
        """What the provider took: delivered, or bounced for the address (not refused)."""
        return self.day.delivered + self.day.hard_bounced

    @property
    def blocked_hard(self) -> bool:
        return self.day.blocks >= max(BLOCK_MIN_REPLIES, BLOCK_MIN_SHARE * self.base)

    @property
    def throttled_hard(self) -> bool:
        rules = self.rules
        rejections = self.day.rejections
        return rejections >= rules.backoff_min_replies and rejections >= rules.backoff_rate * (
            self.base
        )

    @property
    def pushback(self) -> bool:
        """Any push-back worth noticing (below the back-off threshold)."""
        return self.day.rejections > CLEAN_PUSHBACK_SHARE * max(self.base, 1)

    @property
    def list_clean(self) -> bool:
        """Complaints, hard bounces and (when known) the spam folder well under their limits:
        the signals that allow the fast lane."""
        day, rules = self.day, self.rules
        delivered = max(day.delivered, 1)
        if (
            day.complaints >= MIN_COMPLAINTS
            and day.complaints > CLEAN_LIMIT_SHARE * rules.complaint_limit * delivered
        ):
            return False
        if (
            day.hard_bounced >= MIN_HARD_BOUNCES
            and day.hard_bounced > CLEAN_LIMIT_SHARE * rules.hard_bounce_limit * delivered
        ):
            return False
        return day.spam is None or day.spam <= rules.spam_limit * delivered

    @property
    def backoff_factor(self) -> float:
        """Throttling brings the cap to what the provider took that day, times
        `cautious_growth` — its limit grows as the IP's reputation does, and deferred mail is
        retried — never above the cap (that is a hold) and never below `backoff_cut` of it in
        one night."""
        cap = max(min(self.pair.daily_cap, self.cap), 1)
        edge = self.accepted * self.rules.cautious_growth / cap
        return min(1.0, max(self.rules.backoff_cut, edge))

    @property
    def trouble_after_clean_day(self) -> int:
        """The trouble level a clean, full day leaves: forgotten once a day that close to it
        (TROUBLE_CLEARED of it) went clean — reputation grows, and with it the provider's
        limit."""
        trouble = self.pair.trouble_cap
        return 0 if self.cap >= TROUBLE_CLEARED * trouble else trouble

    def growth(self) -> tuple[float, str]:
        """The factor a clean full day may grow the cap by, and why that factor."""
        rules, pair = self.rules, self.pair
        fast = self.cap * rules.fast_growth
        if not pair.trouble_cap or fast <= pair.trouble_cap * 0.75:
            return rules.fast_growth, f"×{rules.fast_growth:g}, the fast lane"
        return rules.cautious_growth, (
            f"×{rules.cautious_growth:g}, cautious: the provider pushed back at "
            f"{n(pair.trouble_cap)} a day"
        )

    @property
    def summary(self) -> str:
        day = self.day
        spam = f", {n(day.spam)} in spam" if day.spam else ""
        return (
            f"{n(day.routed)} of {n(day.cap)} routed ({pct(day.routed, day.cap)}), "
            f"{counted(day.rejections, 'throttling/blocking reply', 'throttling/blocking replies')}"
            f", {counted(day.complaints, 'complaint', 'complaints')}, "
            f"{counted(day.hard_bounced, 'hard bounce', 'hard bounces')}{spam}"
        )

    def cut(self, factor: float, *, state: str = State.BACKOFF) -> PairState:
        """The pair after a cut of its cap to `factor` of today's (and of its own), at the stage
        that fits; remembers where the trouble began."""
        rules, pair = self.rules, self.pair
        target = max(1, min(pair.daily_cap, self.cap) * factor)
        stage = rules.stage_at_most(target)
        # The cap is the cut itself, not the stage's: the stage only places it in the table.
        new_cap = max(1, int(target))
        return PairState(
            state=state,
            stage=stage,
            daily_cap=new_cap,
            sending_days=self.sending_days,
            stage_days=0,
            idle_days=0,
            target_days=0,
            trouble_cap=max(self.cap, 1),
        )
