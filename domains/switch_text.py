"""What the Domain Warmup switch tells the user it did — read from the warm-up before and after
the switch, so that the sentence says what really happens (pure: summaries in, a sentence out).

Switched on for the first time, each provider with seeds starts today; switched on again, each
provider continues from the day it stopped at, today if its daily step has not run yet today,
else tomorrow (the messages cancelled by switching off are not sent again); switched off,
nothing more is sent and the progress stays.
"""

from __future__ import annotations

from domains.selectors import WarmupSummary


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _waiting_today(summary: WarmupSummary) -> int:
    return sum(max(p.today_volume - p.sent_today, 0) for p in summary.covered)


def _uncovered(summary: WarmupSummary) -> str:
    count = len(summary.not_covered)
    if not count:
        return ""
    return (
        f" {_plural(count, 'provider')} without seed mailboxes yet "
        f"{'is' if count == 1 else 'are'} not covered: the operators have been asked for seeds."
    )


def switch_sentence(
    *, name: str, before: WarmupSummary, after: WarmupSummary, stepped_today: set[str]
) -> str:
    """The sentence after the switch. `stepped_today`: the providers whose daily step had run
    today before the switch (their cancelled messages stay cancelled)."""
    if before.enabled == after.enabled:
        return f"Domain Warmup was already {'on' if after.enabled else 'off'} for {name}."
    if not after.enabled:
        waiting = _waiting_today(before)
        cancelled = (
            f" The {_plural(waiting, 'message')} still planned for today will not go out."
            if waiting
            else ""
        )
        return (
            f"Domain Warmup is off for {name}: nothing more is sent.{cancelled} Each provider "
            "keeps its progress and continues from there when you switch it on again."
        )
    if not after.covered:
        return (
            f"Domain Warmup is on for {name}. No seed mailboxes are active yet: sending starts "
            "as soon as the operators add some."
        )
    if not before.covered:
        waiting = _waiting_today(after)
        return (
            f"Domain Warmup is on for {name}: {_plural(waiting, 'message')} to seed mailboxes "
            f"at {_plural(len(after.covered), 'provider')} go out today, spread over the day. "
            f"Placements show here as the seeds find them.{_uncovered(after)}"
        )
    resumed_today = [p for p in after.covered if p.provider not in stepped_today]
    tomorrow = [p for p in after.covered if p.provider in stepped_today]
    days = sorted({p.day for p in after.covered})
    where = f"day {days[0]}" if len(days) == 1 else f"days {days[0]}–{days[-1]}"
    parts = [
        f"Domain Warmup is on again for {name}: each provider continues from where it stopped "
        f"({where})."
    ]
    if resumed_today:
        waiting = sum(max(p.today_volume - p.sent_today, 0) for p in resumed_today)
        parts.append(f"{_plural(waiting, 'message')} go out today.")
    if tomorrow:
        names = ", ".join(p.provider_name for p in tomorrow)
        parts.append(
            f"{names}: today's messages were cancelled when it was switched off; sending "
            "resumes with tomorrow's daily step."
        )
    return " ".join(parts)
