"""Per-provider parameters of the default model: the three groups and who is in which.

Every parameter is explained where ModelParams declares it; docs/provider-model.md has the
equations and a table of the defaults per group.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

# Engagement of a good opt-in list (a fifth of the inbox mail opened, clicked or replied to):
# the level at which engagement neither speeds nor slows the reputation's growth.
ENGAGEMENT_REF = 0.2


@dataclass(frozen=True)
class ModelParams:
    """Everything one provider's model needs; `dataclasses.replace()` makes a variant."""

    group: str  # strict, medium or lenient: for people, the equations do not read it
    # -- Reputation R (0 = a known spammer, 1 = the best sender the provider knows) --
    start_reputation: float  # R on day 1: what the provider thinks of a never-seen IP
    learn_rate: float  # α: share of the way to R = 1 one day at full capacity gains (per day)
    engagement_weight: float  # exponent on the engagement factor (0: engagement ignored)
    idle_decay: float  # δ: share of R above idle_floor lost per idle day
    idle_floor: float  # what R decays toward when the IP goes quiet (an unknown IP)
    keep_alive: int  # messages accepted in a day below which the day counts as idle
    # -- Capacity: what the provider accepts from the IP --
    capacity_min: int  # C_min: messages/day accepted at R = 0
    capacity_max: int  # C_max: messages/day accepted at R = 1
    capacity_noise: float  # σ of the day's log-normal wobble around C(R) (0: none)
    hourly_burst: float  # hourly limit = day's capacity × burst / 24 (24: no hourly limit)
    # -- Day-over-day jumps (on accepted volume) --
    jump_free: float  # growth factor over the reference day that costs nothing (2.0 = doubling)
    jump_penalty: float  # R lost per doubling above jump_free
    jump_window: int  # the reference is the busiest of this many previous days
    jump_floor: int  # the reference is never below this (messages/day): a new IP's first day
    # -- List quality (rates are per day; a day below rate_floor messages counts as rate_floor) --
    rate_floor: int  # messages: small days do not make wild rates (1 complaint in 50 is not 2%)
    complaint_ok: float  # complaint rate (of inbox mail) that costs nothing (0.001 = 0.1%)
    complaint_penalty: float  # R lost per complaint_ok of excess complaint rate
    complaint_block: float  # complaint rate that blocks the IP (Gmail: 0.3%)
    bounce_ok: float  # unknown-user rate (of accepted mail) that costs nothing
    bounce_penalty: float  # R lost per bounce_ok of excess unknown-user rate
    bounce_block: float  # unknown-user rate that blocks the IP (spam-trap-like addresses)
    # -- Blocks --
    abuse_ratio: float  # an hour is abusive when offered ≥ this × the hourly limit
    abuse_hours: float  # abuse score (+1 per abusive hour, -abuse_recovery per calm one) to block
    abuse_recovery: float  # score forgiven per calm hour
    block_hours: int  # length of the first block; each further block lasts twice as long
    block_hours_max: int  # the longest block
    block_penalty: float  # R lost when a block starts
    min_block_volume: int  # a complaint or bounce block needs at least this many messages
    # -- Placement --
    spam_cold: float  # share of delivered mail put in spam at R = 0; spam = spam_cold·(1-R)²
    # -- The sender's list (the world, not the provider; the family varies them) --
    list_bounce_rate: float  # share of recipients new to the IP that do not exist
    list_complaint_rate: float  # share of inbox-delivered messages reported as spam
    new_complaint_factor: float  # recipients above the recent peak complain this many times more
    engagement: float  # share of inbox-delivered messages engaged with (0.2: a good list)

    def capacity(self, reputation: float) -> float:
        """C(R) in messages/day, before the day's wobble."""
        ratio = self.capacity_max / self.capacity_min
        return self.capacity_min * ratio ** min(1.0, max(0.0, reputation))

    def spam_share(self, reputation: float) -> float:
        return self.spam_cold * (1.0 - min(1.0, max(0.0, reputation))) ** 2


# The three groups (the seeds' "two weeks at some providers, up to six at others"). Sources for
# the thresholds: Gmail's sender guidelines (spam rate under 0.1%, never 0.3%); Yahoo's sender
# requirements (the same 0.3%); SparkPost's warm-up guide ("Outlook limits to 20k/day for the
# first week", "AOL limits new senders to 5k/day"). The rest is a judgement that the family in
# bench/efficacy_models.py varies widely around.
_STRICT = ModelParams(
    group="strict",
    start_reputation=0.05,
    learn_rate=0.14,
    engagement_weight=1.0,
    idle_decay=0.05,
    idle_floor=0.05,
    keep_alive=100,
    capacity_min=2_000,
    capacity_max=5_000_000,
    capacity_noise=0.10,
    hourly_burst=2.0,
    jump_free=2.0,
    jump_penalty=0.03,
    jump_window=3,
    jump_floor=500,
    rate_floor=2_000,
    complaint_ok=0.001,
    complaint_penalty=0.02,
    complaint_block=0.003,
    bounce_ok=0.02,
    bounce_penalty=0.03,
    bounce_block=0.10,
    abuse_ratio=10.0,
    abuse_hours=8.0,
    abuse_recovery=1.0,
    block_hours=24,
    block_hours_max=168,
    block_penalty=0.10,
    min_block_volume=5_000,
    spam_cold=0.5,
    list_bounce_rate=0.005,
    list_complaint_rate=0.0005,
    new_complaint_factor=2.0,
    engagement=ENGAGEMENT_REF,
)
_MEDIUM = replace(
    _STRICT,
    group="medium",
    start_reputation=0.10,
    learn_rate=0.15,
    engagement_weight=0.7,
    capacity_min=2_500,
    capacity_max=3_000_000,
    hourly_burst=2.5,
    jump_free=2.5,
    jump_penalty=0.025,
    jump_floor=1_000,
    abuse_ratio=12.0,
    abuse_hours=10.0,
    spam_cold=0.4,
)
_LENIENT = replace(
    _STRICT,
    group="lenient",
    start_reputation=0.20,
    learn_rate=0.20,
    engagement_weight=0.3,
    idle_decay=0.03,
    capacity_min=3_000,
    capacity_max=2_000_000,
    hourly_burst=4.0,
    jump_free=3.0,
    jump_penalty=0.02,
    jump_floor=2_000,
    complaint_ok=0.002,
    complaint_block=0.005,
    abuse_ratio=16.0,
    abuse_hours=12.0,
    block_hours=12,
    block_penalty=0.05,
    spam_cold=0.3,
)

PROVIDER_PARAMS: dict[str, ModelParams] = {
    # Gmail weighs engagement most (new IPs' mail goes to spam first) and rate-limits per hour.
    "google": _STRICT,
    # Microsoft lets a new IP start higher but learns slower, weighs complaints more than
    # engagement, tolerates less hammering, and its blocks (S3150) last: delisting takes days.
    "microsoft": replace(
        _STRICT,
        start_reputation=0.10,
        learn_rate=0.10,
        engagement_weight=0.5,
        capacity_min=3_000,
        complaint_penalty=0.03,
        abuse_ratio=8.0,
        abuse_hours=6.0,
        block_hours=48,
    ),
    # Yahoo/AOL: about 5k/day for a new IP, deferrals (TSS04) on volume or complaints.
    "yahoo": _MEDIUM,
    "apple": _MEDIUM,
    "comcast": _LENIENT,
    "united_internet": _LENIENT,
    "yandex": _LENIENT,
    "mailru": _LENIENT,
    "zoho": _LENIENT,
    "proton": _LENIENT,
    "other": _LENIENT,
}


def params_for(provider: str) -> ModelParams:
    """A provider's defaults; a slug operators added themselves gets the lenient ones (`other`)."""
    return PROVIDER_PARAMS.get(provider, PROVIDER_PARAMS["other"])
