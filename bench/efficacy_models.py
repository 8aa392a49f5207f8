"""The family of provider models that bench/efficacy.py measures the warm-up controller on.

Each member changes the project's per-provider defaults (ips/provider_model/params.py) the same
way at every provider: "× k" multiplies the provider's default, "= v" replaces it. Each is a
factory with the protocol's signature, `bench.efficacy_models:<name>`, called as
`factory(provider, seed)`; run each at google, microsoft and yahoo with the member's seeds.
Every member uses the same seeds, SEEDS = (11, 29, 47). `bench/fixed_schedules.py --family`
runs the published fixed schedules on all of them (figures in docs/provider-model.md).

The family spans strict to lenient providers and good to poor sending lists, so that fast fixed
schedules get blocked on the strict members and slow ones waste days on the lenient ones. A
controller tuned on the defaults must also hold on members it was not tuned for, and on models
nobody here wrote (the acceptance runs those too).

 1. baseline: the defaults
      no change
 2. strict: a provider slower to trust new IPs
      learn_rate ×0.7, capacity_min ×0.5
 3. very_strict: about four weeks for a perfect sender
      learn_rate ×0.5, capacity_min ×0.3, start_reputation =0
 4. glacial: up to six weeks
      learn_rate ×0.35, capacity_min ×0.25, start_reputation =0
 5. lenient: a provider quick to trust
      learn_rate ×1.4, capacity_min ×2
 6. very_lenient: hardly any warm-up needed
      learn_rate ×2, capacity_min ×4, start_reputation =0.3
 7. warm_start: an IP with some history
      start_reputation =0.35
 8. steep_capacity: capacity follows reputation strongly
      capacity_max ×5, capacity_min ×0.5
 9. flat_capacity: capacity follows reputation weakly
      capacity_max ×0.1, capacity_min ×2
10. noisy_capacity: capacity swings from day to day
      capacity_noise =0.3
11. jump_sensitive: punishes growth over 1.5x a day
      jump_penalty ×3, jump_free =1.5
12. jump_tolerant: shrugs off jumps
      jump_penalty ×0.3, jump_free =4
13. jump_sensitive_strict: steady growth only
      jump_penalty ×4, learn_rate ×0.8, jump_free =1.3
14. hourly_tight: per-hour limit just above the day's average
      hourly_burst =1.2
15. daily_only: no hourly limit
      hourly_burst =24
16. hourly_tight_no_hammering: bursts deferred, retries punished
      abuse_ratio ×0.5, abuse_hours ×0.5, hourly_burst =1.5
17. abuse_intolerant: blocks soon when deferrals are ignored
      block_hours ×2, abuse_ratio =4, abuse_hours =4
18. abuse_tolerant: rarely blocks for volume
      abuse_ratio ×2, abuse_hours ×2
19. good_list: an excellent opt-in list
      list_complaint_rate =0.0002, list_bounce_rate =0.002, engagement =0.3
20. mediocre_list: older segments in the list
      list_complaint_rate =0.001, list_bounce_rate =0.015, engagement =0.12
21. poor_list: a list that needs cleaning
      list_complaint_rate =0.0015, new_complaint_factor =3, list_bounce_rate =0.03, engagement
      =0.08
22. complaint_blocks: new recipients complain enough to block a fast ramp
      list_complaint_rate =0.001, new_complaint_factor =3.5, complaint_block =0.0025,
      min_block_volume =2000
23. bounce_traps: unknown users on new segments act as spam traps
      list_bounce_rate =0.05, bounce_block =0.04, min_block_volume =2000
24. low_engagement: mail people ignore
      engagement =0.08
25. high_engagement: mail people want
      engagement =0.4
26. fast_decay: reputation fades quickly on quiet days
      idle_decay =0.15, keep_alive =1000
27. strict_poor_list: the hard case
      learn_rate ×0.7, capacity_min ×0.5, jump_penalty ×3, list_complaint_rate =0.001,
      list_bounce_rate =0.015, engagement =0.12, jump_free =1.5
28. strict_hourly: slow, and paced per hour
      learn_rate ×0.7, capacity_min ×0.5, hourly_burst =1.2
29. lenient_jump_tolerant: the easy case: speed wins
      learn_rate ×1.4, capacity_min ×2, jump_penalty ×0.3, jump_free =4, hourly_burst =24
30. lenient_good_list: a good sender at a lenient provider
      learn_rate ×1.4, capacity_min ×2, list_complaint_rate =0.0002, list_bounce_rate =0.002,
      engagement =0.3
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ips.provider_model import ModelParams, ProviderModel, params_for

SEEDS = (11, 29, 47)
PROVIDERS = ("google", "microsoft", "yahoo")


@dataclass(frozen=True)
class Member:
    name: str
    description: str
    scale: dict[str, float] = field(default_factory=dict)  # parameter → multiplier
    set: dict[str, float] = field(default_factory=dict)  # parameter → value
    seeds: tuple[int, ...] = SEEDS

    def params(self, provider: str) -> ModelParams:
        base = params_for(provider)
        changes = {
            name: type(getattr(base, name))(getattr(base, name) * k)
            for name, k in self.scale.items()
        }
        changes.update({name: type(getattr(base, name))(value) for name, value in self.set.items()})
        return replace(base, **changes)

    def changes_text(self) -> str:
        """The changes as the module's docstring lists them."""
        parts = [f"{name} ×{k:g}" for name, k in self.scale.items()]
        parts += [f"{name} ={value:g}" for name, value in self.set.items()]
        return ", ".join(parts) or "no change"

    @property
    def factory(self) -> Callable[[str, int], ProviderModel]:
        return globals()[self.name]


def _merge(*members: Member) -> tuple[dict[str, float], dict[str, float]]:
    scale: dict[str, float] = {}
    values: dict[str, float] = {}
    for member in members:
        for name, k in member.scale.items():
            scale[name] = scale.get(name, 1.0) * k
        values.update(member.set)
    return scale, values


_STRICT = Member("strict", "", scale={"learn_rate": 0.7, "capacity_min": 0.5})
_LENIENT = Member("lenient", "", scale={"learn_rate": 1.4, "capacity_min": 2})
_JUMP_SENSITIVE = Member("jump_sensitive", "", set={"jump_free": 1.5}, scale={"jump_penalty": 3})
_JUMP_TOLERANT = Member("jump_tolerant", "", set={"jump_free": 4}, scale={"jump_penalty": 0.3})
_HOURLY_TIGHT = Member("hourly_tight", "", set={"hourly_burst": 1.2})
_DAILY_ONLY = Member("daily_only", "", set={"hourly_burst": 24})
_GOOD_LIST = Member(
    "good_list",
    "",
    set={"list_complaint_rate": 0.0002, "list_bounce_rate": 0.002, "engagement": 0.3},
)
_MEDIOCRE_LIST = Member(
    "mediocre_list",
    "",
    set={"list_complaint_rate": 0.001, "list_bounce_rate": 0.015, "engagement": 0.12},
)


def _combined(name: str, description: str, *parts: Member) -> Member:
    scale, values = _merge(*parts)
    return Member(name, description, scale=scale, set=values)


FAMILY: tuple[Member, ...] = (
    Member("baseline", "the defaults"),
    replace(_STRICT, description="a provider slower to trust new IPs"),
    Member(
        "very_strict",
        "about four weeks for a perfect sender",
        scale={"learn_rate": 0.5, "capacity_min": 0.3},
        set={"start_reputation": 0.0},
    ),
    Member(
        "glacial",
        "up to six weeks",
        scale={"learn_rate": 0.35, "capacity_min": 0.25},
        set={"start_reputation": 0.0},
    ),
    replace(_LENIENT, description="a provider quick to trust"),
    Member(
        "very_lenient",
        "hardly any warm-up needed",
        scale={"learn_rate": 2, "capacity_min": 4},
        set={"start_reputation": 0.3},
    ),
    Member("warm_start", "an IP with some history", set={"start_reputation": 0.35}),
    Member(
        "steep_capacity",
        "capacity follows reputation strongly",
        scale={"capacity_max": 5, "capacity_min": 0.5},
    ),
    Member(
        "flat_capacity",
        "capacity follows reputation weakly",
        scale={"capacity_max": 0.1, "capacity_min": 2},
    ),
    Member("noisy_capacity", "capacity swings from day to day", set={"capacity_noise": 0.3}),
    replace(_JUMP_SENSITIVE, description="punishes growth over 1.5x a day"),
    replace(_JUMP_TOLERANT, description="shrugs off jumps"),
    Member(
        "jump_sensitive_strict",
        "steady growth only",
        scale={"jump_penalty": 4, "learn_rate": 0.8},
        set={"jump_free": 1.3},
    ),
    replace(_HOURLY_TIGHT, description="per-hour limit just above the day's average"),
    replace(_DAILY_ONLY, description="no hourly limit"),
    Member(
        "hourly_tight_no_hammering",
        "bursts deferred, retries punished",
        scale={"abuse_ratio": 0.5, "abuse_hours": 0.5},
        set={"hourly_burst": 1.5},
    ),
    Member(
        "abuse_intolerant",
        "blocks soon when deferrals are ignored",
        scale={"block_hours": 2},
        set={"abuse_ratio": 4, "abuse_hours": 4},
    ),
    Member(
        "abuse_tolerant",
        "rarely blocks for volume",
        scale={"abuse_ratio": 2, "abuse_hours": 2},
    ),
    replace(_GOOD_LIST, description="an excellent opt-in list"),
    replace(_MEDIOCRE_LIST, description="older segments in the list"),
    Member(
        "poor_list",
        "a list that needs cleaning",
        set={
            "list_complaint_rate": 0.0015,
            "new_complaint_factor": 3,
            "list_bounce_rate": 0.03,
            "engagement": 0.08,
        },
    ),
    Member(
        "complaint_blocks",
        "new recipients complain enough to block a fast ramp",
        set={
            "list_complaint_rate": 0.001,
            "new_complaint_factor": 3.5,
            "complaint_block": 0.0025,
            "min_block_volume": 2000,
        },
    ),
    Member(
        "bounce_traps",
        "unknown users on new segments act as spam traps",
        set={"list_bounce_rate": 0.05, "bounce_block": 0.04, "min_block_volume": 2000},
    ),
    Member("low_engagement", "mail people ignore", set={"engagement": 0.08}),
    Member("high_engagement", "mail people want", set={"engagement": 0.4}),
    Member(
        "fast_decay",
        "reputation fades quickly on quiet days",
        set={"idle_decay": 0.15, "keep_alive": 1000},
    ),
    _combined(
        "strict_poor_list",
        "the hard case",
        _STRICT,
        _MEDIOCRE_LIST,
        _JUMP_SENSITIVE,
    ),
    _combined("strict_hourly", "slow, and paced per hour", _STRICT, _HOURLY_TIGHT),
    _combined(
        "lenient_jump_tolerant",
        "the easy case: speed wins",
        _LENIENT,
        _JUMP_TOLERANT,
        _DAILY_ONLY,
    ),
    _combined("lenient_good_list", "a good sender at a lenient provider", _LENIENT, _GOOD_LIST),
)
BY_NAME = {member.name: member for member in FAMILY}


def _factory(member: Member) -> Callable[[str, int], ProviderModel]:
    def factory(provider: str, seed: int) -> ProviderModel:
        return ProviderModel(member.params(provider), seed=seed, provider=provider)

    factory.__name__ = factory.__qualname__ = member.name
    factory.__doc__ = f"Family member {member.name}: {member.description}."
    return factory


# One module-level factory per member, so that `bench.efficacy_models:<name>` names it.
baseline = _factory(BY_NAME["baseline"])
strict = _factory(BY_NAME["strict"])
very_strict = _factory(BY_NAME["very_strict"])
glacial = _factory(BY_NAME["glacial"])
lenient = _factory(BY_NAME["lenient"])
very_lenient = _factory(BY_NAME["very_lenient"])
warm_start = _factory(BY_NAME["warm_start"])
steep_capacity = _factory(BY_NAME["steep_capacity"])
flat_capacity = _factory(BY_NAME["flat_capacity"])
noisy_capacity = _factory(BY_NAME["noisy_capacity"])
jump_sensitive = _factory(BY_NAME["jump_sensitive"])
jump_tolerant = _factory(BY_NAME["jump_tolerant"])
jump_sensitive_strict = _factory(BY_NAME["jump_sensitive_strict"])
hourly_tight = _factory(BY_NAME["hourly_tight"])
daily_only = _factory(BY_NAME["daily_only"])
hourly_tight_no_hammering = _factory(BY_NAME["hourly_tight_no_hammering"])
abuse_intolerant = _factory(BY_NAME["abuse_intolerant"])
abuse_tolerant = _factory(BY_NAME["abuse_tolerant"])
good_list = _factory(BY_NAME["good_list"])
mediocre_list = _factory(BY_NAME["mediocre_list"])
poor_list = _factory(BY_NAME["poor_list"])
complaint_blocks = _factory(BY_NAME["complaint_blocks"])
bounce_traps = _factory(BY_NAME["bounce_traps"])
low_engagement = _factory(BY_NAME["low_engagement"])
high_engagement = _factory(BY_NAME["high_engagement"])
fast_decay = _factory(BY_NAME["fast_decay"])
strict_poor_list = _factory(BY_NAME["strict_poor_list"])
strict_hourly = _factory(BY_NAME["strict_hourly"])
lenient_jump_tolerant = _factory(BY_NAME["lenient_jump_tolerant"])
lenient_good_list = _factory(BY_NAME["lenient_good_list"])
