"""The default model: one IP at one provider, hour by hour (docs/provider-model.md)."""

from __future__ import annotations

import math
import random

from ips.provider_model.params import ENGAGEMENT_REF, ModelParams, params_for

# Of recipients mailed before, this share of the new ones' unknown-user rate still bounces
# (mailboxes closed since): list hygiene removed the rest after their first bounce.
KNOWN_BOUNCE_SHARE = 0.1


def _binomial(rng: random.Random, n: int, p: float) -> int:
    """A binomial draw that costs O(1) for large n (Python 3.11 has no binomialvariate)."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        return n - _binomial(rng, n, 1.0 - p)
    mean = n * p
    if n <= 50:
        return sum(rng.random() < p for _ in range(n))
    if mean < 30.0:
        # Count successes by jumping over the geometric gaps between them: ~mean iterations.
        log_q = math.log1p(-p)
        count, position = 0, 0
        while True:
            position += int(math.log(1.0 - rng.random()) / log_q) + 1
            if position > n:
                return count
            count += 1
    draw = round(rng.gauss(mean, math.sqrt(mean * (1.0 - p))))
    return min(n, max(0, draw))


class ProviderModel:
    """One IP at one provider. Calls must not go back in time; several in one hour add up."""

    def __init__(self, params: ModelParams, *, seed: int, provider: str = "other") -> None:
        self.params = params
        self.provider = provider
        # Two streams: the day's capacity wobble depends only on the seed (so every sender is
        # judged against the same provider), the per-message draws on what was offered.
        self._wobble = random.Random(seed)
        self._draws = random.Random(f"{seed}/draws")
        self.reputation = params.start_reputation
        self.day = 0  # the day being counted (0: nothing offered yet)
        self.hour = -1  # absolute hour index of the last offer: (day - 1) * 24 + hour
        self.day_capacity = 0
        self.hour_limit = 0
        self.blocked_until = 0  # absolute hour index at which the current block ends
        self.blocks = 0
        self.abuse_score = 0.0
        self.history: list[int] = []  # accepted messages per finished day
        self._known = 0  # today's recipients who got mail before: the recent peak
        self._day = dict.fromkeys(("offered", "accepted", "inbox", "hard_bounced", "complaints"), 0)
        self._hour_offered = 0
        self._hour_accepted = 0

    # -- the protocol --

    def offer(self, *, day: int, hour: int, messages: int) -> dict[str, int]:
        _check_time(day, hour, messages)
        now = (day - 1) * 24 + hour
        if now < self.hour:
            raise ValueError(f"day {day} hour {hour} is before the last offer: time goes forward")
        if now > self.hour:
            self._advance(now, day)
        self._hour_offered += messages
        self._day["offered"] += messages
        if now < self.blocked_until:
            return _outcome(blocked=messages)
        room = min(self.hour_limit - self._hour_accepted, self.day_capacity - self._day["accepted"])
        accepted = min(messages, max(0, room))
        # Recipients up to the recent peak got mail before (the sender removed the addresses that
        # bounced); volume above it reaches new, older segments of the list, which bounce and
        # complain more (SparkPost: add older segments in small chunks).
        known = min(accepted, max(0, self._known - self._day["accepted"]))
        p, spam_share = self.params, self.params.spam_share(self.reputation)
        delivered = spam = complaints = 0
        for count, bounce_rate, complaint_rate in (
            (known, p.list_bounce_rate * KNOWN_BOUNCE_SHARE, p.list_complaint_rate),
            (accepted - known, p.list_bounce_rate, p.list_complaint_rate * p.new_complaint_factor),
        ):
            part = count - _binomial(self._draws, count, bounce_rate)
            part_spam = _binomial(self._draws, part, spam_share)
            # Complaints come from the inbox: few people open their spam folder to report it.
            complaints += _binomial(self._draws, part - part_spam, complaint_rate)
            delivered += part
            spam += part_spam
        hard_bounced = accepted - delivered
        self._hour_accepted += accepted
        self._day["accepted"] += accepted
        self._day["inbox"] += delivered - spam
        self._day["hard_bounced"] += hard_bounced
        self._day["complaints"] += complaints
        return _outcome(
            delivered=delivered,
            deferred=messages - accepted,
            hard_bounced=hard_bounced,
            complaints=complaints,
            spam=spam,
        )

    # -- what tests, the docs and the sandbox may look at --

    def capacity(self) -> int:
        """Today's daily capacity (messages); before the first offer, day 1's expectation."""
        return self.day_capacity or round(self.params.capacity(self.reputation))

    def is_blocked(self, *, day: int, hour: int) -> bool:
        return (day - 1) * 24 + hour < self.blocked_until

    # -- time passing --

    def _advance(self, now: int, day: int) -> None:
        if self.hour >= 0:
            self._close_hour(self.hour)
            # Calm hours without any offer forgive abuse too.
            idle_hours = now - self.hour - 1
            self.abuse_score = max(0.0, self.abuse_score - self.params.abuse_recovery * idle_hours)
        while self.day < day:
            if self.day > 0:
                self._close_day()
            self._open_day()
        self.hour = now
        self._hour_offered = self._hour_accepted = 0

    def _close_hour(self, hour: int) -> None:
        p = self.params
        if hour < self.blocked_until:
            return
        if self._hour_offered >= p.abuse_ratio * max(1, self.hour_limit):
            self.abuse_score += 1.0
        else:
            self.abuse_score = max(0.0, self.abuse_score - p.abuse_recovery)
        if self.abuse_score >= p.abuse_hours:
            self._block(start=hour + 1)

    def _open_day(self) -> None:
        self.day += 1
        wobble = math.exp(self.params.capacity_noise * self._wobble.gauss(0.0, 1.0))
        self.day_capacity = max(1, round(self.params.capacity(self.reputation) * wobble))
        self.hour_limit = max(1, math.ceil(self.day_capacity * self.params.hourly_burst / 24))
        self._day = dict.fromkeys(self._day, 0)
        self._known = max(self.history[-self.params.jump_window :], default=0)

    def _close_day(self) -> None:
        """The day's verdict: reputation up with clean volume, down with what went wrong."""
        p, d = self.params, self._day
        accepted, inbox = d["accepted"], d["inbox"]
        r = self.reputation
        if accepted < p.keep_alive:
            r = p.idle_floor + (r - p.idle_floor) * (1.0 - p.idle_decay) if r > p.idle_floor else r
        else:
            use = min(1.0, accepted / self.day_capacity)
            inbox_share = inbox / max(1, accepted - d["hard_bounced"])
            engaged = min(2.0, p.engagement * inbox_share / ENGAGEMENT_REF)
            r += p.learn_rate * use * engaged**p.engagement_weight * (1.0 - r)
        complaint_rate = d["complaints"] / max(inbox, p.rate_floor)
        bounce_rate = d["hard_bounced"] / max(accepted, p.rate_floor)
        r -= p.complaint_penalty * max(0.0, complaint_rate - p.complaint_ok) / p.complaint_ok
        r -= p.bounce_penalty * max(0.0, bounce_rate - p.bounce_ok) / p.bounce_ok
        reference = max([p.jump_floor, *self.history[-p.jump_window :]])
        if accepted > reference * p.jump_free:
            r -= p.jump_penalty * math.log2(accepted / (reference * p.jump_free))
        self.reputation = min(1.0, max(0.0, r))
        self.history.append(accepted)
        listed = (inbox >= p.min_block_volume and complaint_rate >= p.complaint_block) or (
            accepted >= p.min_block_volume and bounce_rate >= p.bounce_block
        )
        if listed:
            self._block(start=self.day * 24)

    def _block(self, *, start: int) -> None:
        p = self.params
        hours = min(p.block_hours_max, p.block_hours * 2**self.blocks)
        self.blocked_until = max(self.blocked_until, start + hours)
        self.blocks += 1
        self.abuse_score = 0.0
        self.reputation = max(0.0, self.reputation - p.block_penalty)


def default_model(provider: str, seed: int) -> ProviderModel:
    """The project's default factory (`ips.provider_model:default_model`)."""
    return ProviderModel(params_for(provider), seed=seed, provider=provider)


def _check_time(day: object, hour: object, messages: object) -> None:
    for name, value in (("day", day), ("hour", hour), ("messages", messages)):
        if type(value) is not int:
            raise ValueError(f"{name} must be an integer, not {value!r}")
    if day < 1:
        raise ValueError(f"day must be 1 or more, not {day}")
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0-23 (UTC), not {hour}")
    if messages < 0:
        raise ValueError(f"messages must not be negative, not {messages}")


def _outcome(
    *,
    delivered: int = 0,
    deferred: int = 0,
    blocked: int = 0,
    hard_bounced: int = 0,
    complaints: int = 0,
    spam: int = 0,
) -> dict[str, int]:
    return {
        "delivered": delivered,
        "deferred": deferred,
        "blocked": blocked,
        "hard_bounced": hard_bounced,
        "complaints": complaints,
        "spam": spam,
    }
