"""The sandbox world's reputation model, per (sender domain, provider). See docs/sandbox.md.

Every number lives in a data file (``reputation.toml`` next to this module, or the file named
by WARMUP_SANDBOX_MODEL_FILE): a ``[default]`` table and one ``[providers.<slug>]`` table per
provider that differs (Gmail and Microsoft stricter and slower than Apple or Zoho).

A pair's **score** (0–100) decides placement through a logistic curve around the provider's
midpoint; the sending IP's standing at that provider shifts the score the curve reads:

    P(inbox) = 1 / (1 + e^(-(score + ip_weight × (R_ip - ip_neutral) - inbox_midpoint) / spread))

The score moves **gradually**. Engagement is judged per day, as a rate: the signals of the mail
that arrived on a day (rescued, opened, flagged, replied, left in spam) are summed, divided by
that day's messages and by `engagement_ref` (the per-message engagement that earns a full day),
clamped to ±1 and weighted by the day's volume against `volume_ref`:

    movement = max_daily_gain × clamp(S / (n × engagement_ref), -1, 1) × min(1, n / volume_ref)

(with `max_daily_loss` instead when the rate is negative). So one day can add at most
`max_daily_gain` points however many messages are rescued: a fresh domain cannot become trusted
in a day. A day stays open while its mail can still be engaged with (that day and the next);
then its movement is folded into the base score. Signals for mail older than that count as one
message of a full-rate day.

Abuse is not rate-limited: unsigned mail and every message beyond the volume-spike threshold
cost their penalty at once. A day without any mail decays the score toward `decay_floor`
(`idle_decay` of the distance per idle day).

Each message draws once from random.Random(f"{message_id}|{recipient}"): the same message to the
same seed always lands in the same place, so tests and demos are reproducible.
"""

from __future__ import annotations

import math
import random
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from pathlib import Path

SIGNALS = ("rescued", "opened", "flagged", "replied", "unrescued")
UNRESCUED_AFTER_SECONDS = 24 * 3600
# Arrival counts kept per pair for the spike rule and people (older days are dropped).
HISTORY_DAYS = 30
DEFAULT_PROVIDER = "other"


@dataclass(frozen=True)
class ProviderParams:
    """One provider's parameters (docs/sandbox.md explains each with its default)."""

    start_score: float  # a never-seen domain's score
    inbox_midpoint: float  # the score at which half the mail reaches the inbox
    inbox_spread: float  # width of the logistic curve (points)
    max_daily_gain: float  # the most one day's engagement can add (points)
    max_daily_loss: float  # the most one day's neglect (mail left in spam) can take
    engagement_ref: float  # signal per message that earns a full day's movement
    volume_ref: float  # messages a day needs for its engagement to count in full
    idle_decay: float  # share of (score - decay_floor) lost per day without mail
    decay_floor: float  # what an idle domain decays toward
    spike_floor: int  # a day may bring this many messages without a spike
    spike_factor: float  # … or this many times the busiest of the previous days
    spike_window_days: int  # … of this many previous days
    spike_penalty: float  # points per message beyond the threshold
    unsigned_penalty: float  # points per message without a valid aligned DKIM signature
    ip_weight: float  # points between the worst (R 0) and the best (R 1) sending IP
    ip_neutral: float  # the IP reputation that neither helps nor hurts (unknown IPs)
    signals: Mapping[str, float] = field(default_factory=dict)  # per message, see SIGNALS

    def inbox_probability(self, score: float, ip_reputation: float | None = None) -> float:
        shift = 0.0
        if ip_reputation is not None:
            shift = self.ip_weight * (min(1.0, max(0.0, ip_reputation)) - self.ip_neutral)
        return 1.0 / (1.0 + math.exp(-(score + shift - self.inbox_midpoint) / self.inbox_spread))

    def day_movement(self, messages: float, signal_sum: float) -> float:
        """How far one day's engagement moves the score (see the module docstring)."""
        if messages <= 0:
            return 0.0
        rate = max(-1.0, min(1.0, signal_sum / (messages * self.engagement_ref)))
        weight = min(1.0, messages / self.volume_ref)
        return (self.max_daily_gain if rate > 0 else self.max_daily_loss) * rate * weight

    def late_signal(self, weight: float) -> float:
        """A signal for mail whose day is closed: one message of a full-rate day."""
        ceiling = self.max_daily_gain if weight > 0 else self.max_daily_loss
        return ceiling * weight / (self.volume_ref * self.engagement_ref)


_NUMBERS = {f.name for f in fields(ProviderParams)} - {"signals"}


def _check_table(table: object, where: str, path: Path) -> dict:
    if not isinstance(table, dict):
        raise ValueError(f"{path}: [{where}] must be a table")
    known = _NUMBERS | {"signals"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(
            f"{path}: [{where}] has unknown keys: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(known))})"
        )
    for key, value in table.items():
        if key != "signals" and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"{path}: [{where}] {key} must be a number, not {value!r}")
    signals = table.get("signals", {})
    if not isinstance(signals, dict) or set(signals) - set(SIGNALS):
        raise ValueError(
            f"{path}: [{where}.signals] may only name {', '.join(SIGNALS)} "
            f"(found {', '.join(sorted(signals)) if isinstance(signals, dict) else signals!r})"
        )
    return table


def _build(values: dict, where: str, path: Path) -> ProviderParams:
    missing = sorted(_NUMBERS - set(values))
    if missing:
        raise ValueError(f"{path}: [{where}] lacks {', '.join(missing)} (set them in [default])")
    signals = {name: float(values.get("signals", {}).get(name, 0.0)) for name in SIGNALS}
    numbers = {k: v for k, v in values.items() if k != "signals"}
    for name in ("spike_floor", "spike_window_days"):
        numbers[name] = int(numbers[name])
    params = ProviderParams(**numbers, signals=signals)
    for name in ("inbox_spread", "engagement_ref", "volume_ref"):
        if getattr(params, name) <= 0:
            raise ValueError(f"{path}: [{where}] {name} must be above 0")
    if not 0 <= params.idle_decay <= 1:
        raise ValueError(f"{path}: [{where}] idle_decay must be between 0 and 1")
    return params


def load_params(path: Path) -> dict[str, ProviderParams]:
    """Every provider's parameters from a TOML file; `other` (and any provider without a table
    of its own) gets `[default]`. ValueError naming the file, table and key when wrong."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ValueError(f"cannot read the sandbox model file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"default", "providers"})
    if unknown:
        raise ValueError(f"{path}: unknown tables {', '.join(unknown)} (default, providers)")
    default = _check_table(data.get("default", {}), "default", path)
    result = {DEFAULT_PROVIDER: _build(default, "default", path)}
    for slug, table in (data.get("providers") or {}).items():
        own = _check_table(table, f"providers.{slug}", path)
        merged = {
            **default,
            **own,
            "signals": {**default.get("signals", {}), **own.get("signals", {})},
        }
        result[slug] = _build(merged, f"providers.{slug}", path)
    return result


def params_for(params: Mapping[str, ProviderParams], provider: str) -> ProviderParams:
    return params.get(provider) or params[DEFAULT_PROVIDER]


def decide_inbox(probability: float, *, message_id: str, recipient: str) -> bool:
    """Inbox (True) or spam, drawn deterministically per (message, recipient)."""
    draw = random.Random(f"{message_id}|{recipient}").random()
    return draw < probability


def _iso(day: date) -> str:
    return day.isoformat()


@dataclass
class Reputation:
    """One (sender domain, provider) pair's standing; JSON-serialisable via to_dict.

    `base` is the score without the days still open; `open_days` holds, per ISO date, the
    messages that arrived that day and the sum of their signals so far.
    """

    base: float
    open_days: dict[str, list[float]] = field(default_factory=dict)
    days: dict[str, int] = field(default_factory=dict)  # ISO date → messages received
    spikes: dict[str, int] = field(default_factory=dict)  # ISO date → messages over threshold
    settled_through: str = ""  # the last day whose idle decay and folding are done
    events: dict[str, int] = field(default_factory=dict)  # event → how many times, for people

    @classmethod
    def fresh(cls, params: ProviderParams) -> Reputation:
        return cls(base=params.start_score)

    @classmethod
    def from_dict(cls, data: dict, params: ProviderParams) -> Reputation:
        # A state file from before the per-day model stored "score": it becomes the base.
        base = data.get("base", data.get("score", params.start_score))
        return cls(
            base=float(base),
            open_days={k: [float(n), float(s)] for k, (n, s) in data.get("open_days", {}).items()},
            days=dict(data.get("days", {})),
            spikes=dict(data.get("spikes", {})),
            settled_through=str(data.get("settled_through", "")),
            events=dict(data.get("events", {})),
        )

    def to_dict(self) -> dict:
        return {
            "base": self.base,
            "open_days": self.open_days,
            "days": self.days,
            "spikes": self.spikes,
            "settled_through": self.settled_through,
            "events": self.events,
        }

    # --- reading ---------------------------------------------------------------------------------

    def score(self, params: ProviderParams) -> float:
        moved = sum(params.day_movement(n, s) for n, s in self.open_days.values())
        return min(100.0, max(0.0, self.base + moved))

    # --- time passing ----------------------------------------------------------------------------

    def settle(self, today: date, params: ProviderParams) -> None:
        """Close the days before yesterday (their engagement is final) and decay the idle ones."""
        yesterday = _iso(today - timedelta(days=1))
        for day in sorted(self.open_days):
            if day < yesterday:
                n, s = self.open_days.pop(day)
                self._add(params.day_movement(n, s))
        if self.settled_through:
            day = date.fromisoformat(self.settled_through) + timedelta(days=1)
            while day < today:
                if not self.days.get(_iso(day)) and self.base > params.decay_floor:
                    self.base = params.decay_floor + (self.base - params.decay_floor) * (
                        1.0 - params.idle_decay
                    )
                    self._count("idle_day")
                day += timedelta(days=1)
        if not self.settled_through or self.settled_through < yesterday:
            self.settled_through = yesterday
        cutoff = _iso(today - timedelta(days=HISTORY_DAYS))
        for table in (self.days, self.spikes):
            for day in [d for d in table if d < cutoff]:
                del table[day]

    # --- what happens ----------------------------------------------------------------------------

    def spike_threshold(self, today: date, params: ProviderParams) -> float:
        recent = [
            self.days.get(_iso(today - timedelta(days=n)), 0)
            for n in range(1, params.spike_window_days + 1)
        ]
        return max(params.spike_floor, params.spike_factor * max(recent, default=0))

    def record_arrival(self, today: date, *, signed: bool, params: ProviderParams) -> None:
        """Count one message received today and apply the volume and signature rules."""
        self.settle(today, params)
        key = _iso(today)
        self.days[key] = self.days.get(key, 0) + 1
        day = self.open_days.setdefault(key, [0.0, 0.0])
        day[0] += 1
        if self.days[key] > self.spike_threshold(today, params):
            self.spikes[key] = self.spikes.get(key, 0) + 1
            self._add(-params.spike_penalty)
            self._count("spike")
        if not signed:
            self._add(-params.unsigned_penalty)
            self._count("unsigned")

    def signal(self, event: str, *, arrived: date, today: date, params: ProviderParams) -> None:
        """An engagement signal (SIGNALS) for a message that arrived on `arrived`."""
        self.settle(today, params)
        weight = params.signals.get(event, 0.0)
        day = self.open_days.get(_iso(arrived))
        if day is not None:
            day[1] += weight
        else:
            self._add(params.late_signal(weight))
        self._count(event)

    def _add(self, points: float) -> None:
        self.base = min(100.0, max(0.0, self.base + points))

    def _count(self, event: str) -> None:
        self.events[event] = self.events.get(event, 0) + 1


def with_changes(params: ProviderParams, **changes) -> ProviderParams:
    """A variant of `params` (tests, benches)."""
    return replace(params, **changes)
