"""The sandbox world's reputation model, per (sender domain, provider). See docs/sandbox.md.

A score from 0 to 100 decides placement: P(inbox) = 1 / (1 + e^(-(score - 50) / 8)), a
logistic curve — score 20 (a fresh domain) gives 2% inbox, 50 gives 50%, 70 gives 92%, 80 gives
98%. Each message draws once from random.Random(f"{message_id}|{recipient}"), so the same
message to the same seed always lands in the same place (tests are reproducible).

Events and their effect on the score (clamped to 0–100):

====================================  =======  ===============================================
event                                 effect   observed
====================================  =======  ===============================================
message without a valid DKIM          -5       on arrival (and it goes to spam)
signature aligned with From
message beyond the spike threshold    -3       on arrival: today's count above
                                               max(10, 2 × the busiest of the last 3 days)
a steady day                          +2       on the first message of a new day: the previous
                                               day had mail and no spike
rescued from spam                     +6       scan: delivered to spam, now in another folder
opened                                +1       scan: maildir flag S
flagged                               +3       scan: maildir flag F
replied                               +4       scan (flag R) or a reply through the world's SMTP
left in spam for a day                -2       scan: still in spam 24 h after delivery
====================================  =======  ===============================================

Each engagement signal counts once per message.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

START_SCORE = 20.0
EFFECTS = {
    "unsigned": -5.0,
    "spike": -3.0,
    "steady_day": 2.0,
    "rescued": 6.0,
    "opened": 1.0,
    "flagged": 3.0,
    "replied": 4.0,
    "unrescued": -2.0,
}
SPIKE_FLOOR = 10  # a fresh domain may send this many per provider and day without a spike
SPIKE_FACTOR = 2.0
SPIKE_WINDOW_DAYS = 3
UNRESCUED_AFTER_SECONDS = 24 * 3600


def inbox_probability(score: float) -> float:
    return 1.0 / (1.0 + math.exp(-(score - 50.0) / 8.0))


def decide_inbox(score: float, *, message_id: str, recipient: str) -> bool:
    """Inbox (True) or spam, drawn deterministically per (message, recipient)."""
    draw = random.Random(f"{message_id}|{recipient}").random()
    return draw < inbox_probability(score)


@dataclass
class Reputation:
    """One (sender domain, provider) pair's standing; JSON-serialisable via to_dict."""

    score: float = START_SCORE
    days: dict[str, int] = field(default_factory=dict)  # ISO date → messages received
    spikes: dict[str, int] = field(default_factory=dict)  # ISO date → messages over threshold
    events: dict[str, int] = field(default_factory=dict)  # event → how many times, for people

    @classmethod
    def from_dict(cls, data: dict) -> Reputation:
        return cls(
            score=float(data.get("score", START_SCORE)),
            days=dict(data.get("days", {})),
            spikes=dict(data.get("spikes", {})),
            events=dict(data.get("events", {})),
        )

    def to_dict(self) -> dict:
        return {
            "score": self.score,
            "days": self.days,
            "spikes": self.spikes,
            "events": self.events,
        }

    def apply(self, event: str, times: int = 1) -> None:
        self.score = min(100.0, max(0.0, self.score + EFFECTS[event] * times))
        self.events[event] = self.events.get(event, 0) + times

    def spike_threshold(self, today: date) -> float:
        recent = [
            self.days.get((today - timedelta(days=n)).isoformat(), 0)
            for n in range(1, SPIKE_WINDOW_DAYS + 1)
        ]
        return max(SPIKE_FLOOR, SPIKE_FACTOR * max(recent))

    def record_arrival(self, today: date, *, signed: bool) -> None:
        """Count one message received today and apply the volume and signature rules."""
        key = today.isoformat()
        if key not in self.days:
            yesterday = (today - timedelta(days=1)).isoformat()
            if self.days.get(yesterday, 0) > 0 and not self.spikes.get(yesterday):
                self.apply("steady_day")
            self._forget_before(today - timedelta(days=30))
        self.days[key] = self.days.get(key, 0) + 1
        if self.days[key] > self.spike_threshold(today):
            self.spikes[key] = self.spikes.get(key, 0) + 1
            self.apply("spike")
        if not signed:
            self.apply("unsigned")

    def _forget_before(self, cutoff: date) -> None:
        for table in (self.days, self.spikes):
            for day in [d for d in table if d < cutoff.isoformat()]:
                del table[day]
