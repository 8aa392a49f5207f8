"""Operators' controls over a warm-up: pause, resume, set stage, complete, restart, cancel a
suspension — for one provider of an IP or for all of them.

Each is stored as a decision (IpWarmupDecision) with the operator and their reason, like the
controller's own. Caps change through the same path as the controller's (today's open day row
follows at once), and this process's routing configuration is dropped for the account so that
the change applies to its next request; every other process sees it within the routing cache's
few seconds — pauses and suspensions at once, since routing's claim re-checks them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from ips.models import ROUTABLE_IP_STATES, DedicatedIp, IpWarmup, IpWarmupDecision, utc_day
from ips.routing_cache import routing_cache_clear
from ips.selectors import profiles_by_provider
from ips.services import bulk
from ips.types import WARM_STATES, WARMING_STATES
from ips.warmup_rule import Decision, PairState, Rules
from providers import registry
from warmup_site.errors import ApplicationError

State = IpWarmup.State
Kind = IpWarmupDecision.Kind

# Friendly names operators type for providers (the simulator accepts them as well).
PROVIDER_ALIASES = {
    "gmail": "google",
    "googlemail": "google",
    "outlook": "microsoft",
    "hotmail": "microsoft",
    "live": "microsoft",
    "msn": "microsoft",
    "aol": "yahoo",
    "icloud": "apple",
    "me": "apple",
    "gmx": "united_internet",
    "web.de": "united_internet",
    "mail.ru": "mailru",
}

ACTIONS = ("pause", "resume", "set-stage", "complete", "restart", "cancel-suspension")


def provider_slug(value: str) -> str:
    """A provider slug from a slug, a name or an alias (gmail → google); ApplicationError if
    there is no such provider."""
    text = value.strip().lower()
    slug = PROVIDER_ALIASES.get(text, text)
    names = registry.get_registry().names
    if slug in names:
        return slug
    for known, name in names.items():
        if name.lower() == text:
            return known
    raise ApplicationError(
        f"There is no provider {value!r}; use a slug ({', '.join(sorted(names))}) or gmail, "
        "outlook, hotmail or aol.",
        field="provider",
    )


@dataclass
class Change:
    """What one control does to one pair: the new values, or why it does not apply."""

    fields: dict | None = None
    skip: str = ""


def _pair(warmup: IpWarmup) -> PairState:
    return PairState(
        state=warmup.state,
        stage=warmup.stage,
        daily_cap=warmup.daily_cap,
        sending_days=warmup.sending_days,
        stage_days=warmup.stage_days,
        idle_days=warmup.idle_days,
        target_days=warmup.target_days,
        trouble_cap=warmup.trouble_cap,
    )


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ApplicationError(
            "Say why (at least a few words): it is recorded with your name.", field="reason"
        )
    return reason


@dataclass(frozen=True)
class _Control:
    """One operator's control, as each pair's decision records it."""

    kind: str
    verb: str
    reason: str
    actor: object
    now: datetime

    def decision(self, warmup: IpWarmup, before: PairState, after: PairState) -> list:
        who = getattr(self.actor, "username", None) or "an operator"
        sentence = f"{who} {self.verb} at {warmup.provider.name}"
        if (after.stage, after.daily_cap) != (before.stage, before.daily_cap):
            sentence += (
                f" (stage {before.stage} → {after.stage}, cap {before.daily_cap:,} → "
                f"{after.daily_cap:,})"
            )
        decision = Decision(
            kind=self.kind,
            before=before,
            after=after,
            reason=f"{sentence}: {self.reason}",
            figures={"operator_reason": self.reason},
        )
        return bulk.decision_row(
            warmup_id=warmup.pk,
            day=utc_day(self.now),
            daily=False,
            decision=decision,
            actor_id=getattr(self.actor, "pk", None),
            now=self.now,
        )


def _locked_warmups(ip: DedicatedIp, provider: str | None) -> tuple[DedicatedIp, list[IpWarmup]]:
    ip = DedicatedIp.objects.select_for_update().get(pk=ip.pk)
    if ip.state not in ROUTABLE_IP_STATES:
        raise ApplicationError(
            f"{ip.address} is {ip.get_state_display().lower()}: warm-up controls apply to warming "
            "and warm IPs."
        )
    query = IpWarmup.objects.select_for_update().filter(ip=ip)
    if provider:
        query = query.filter(provider__slug=provider_slug(provider))
    warmups = list(query.select_related("provider").order_by("pk"))
    if not warmups:
        raise ApplicationError(f"{ip.address} has no warm-up at that provider.", field="provider")
    return ip, warmups


@transaction.atomic
def _apply(
    *,
    ip: DedicatedIp,
    provider: str | None,
    actor,
    reason: str,
    kind: str,
    verb: str,
    change: Callable[[IpWarmup, Rules, datetime], Change],
) -> list[IpWarmupDecision]:
    control = _Control(kind, verb, _clean_reason(reason), actor, timezone.now())
    ip, warmups = _locked_warmups(ip, provider)
    profiles = profiles_by_provider()
    changed, skipped, decisions, caps = [], [], [], []
    for warmup in warmups:
        outcome = change(warmup, Rules.from_profile(profiles[warmup.provider_id]), control.now)
        if outcome.fields is None:
            skipped.append(f"{warmup.provider.name}: {outcome.skip}")
            continue
        before = _pair(warmup)
        for name, value in outcome.fields.items():
            setattr(warmup, name, value)
        after = _pair(warmup)
        decisions.append(control.decision(warmup, before, after))
        warmup.updated_at = control.now
        changed.append((warmup, ["updated_at", *outcome.fields]))
        if after.daily_cap != before.daily_cap or after.state != before.state:
            caps.append([warmup.pk, after.daily_cap])
    if not changed:
        raise ApplicationError(
            f"Nothing changed on {ip.address}: " + "; ".join(skipped)
            if len(skipped) < 4
            else f"Nothing changed on {ip.address}: no provider is in a state this applies to."
        )
    for warmup, fields in changed:
        warmup.save(update_fields=fields)
    with connection.cursor() as cursor:
        bulk.decisions_insert(cursor, decisions)
        bulk.day_caps_follow(cursor, caps=caps, today=utc_day(control.now))
        bulk.ips_state_follow(cursor, now=control.now)
    # A shared pool's IP (no account) concerns every account.
    routing_cache_clear(account_id=ip.pool.account_id)
    return list(
        IpWarmupDecision.objects.filter(
            warmup__in=[w for w, _ in changed], kind=kind, created_at=control.now
        ).order_by("warmup__provider__position")
    )


def _catch_up_from_today(warmup: IpWarmup, now: datetime):
    """After an override the controller decides from today on: yesterday's figures were made
    under the old stage and must not move the new one."""
    yesterday = utc_day(now) - timedelta(days=1)
    if warmup.decided_through and warmup.decided_through > yesterday:
        return warmup.decided_through
    return yesterday


def ip_warmup_pause(*, ip: DedicatedIp, actor, reason: str, provider: str | None = None):
    """Stop routing to the IP (at one provider, or all); resume picks up at the same stage."""

    def change(w: IpWarmup, _rules: Rules, _now: datetime) -> Change:
        if w.state not in WARMING_STATES + WARM_STATES:
            return Change(skip=f"it is {w.get_state_display().lower()}")
        return Change({"state": State.PAUSED, "resume_state": w.state})

    return _apply(
        ip=ip,
        provider=provider,
        actor=actor,
        reason=reason,
        kind=Kind.PAUSE,
        verb="paused the warm-up",
        change=change,
    )


def ip_warmup_resume(*, ip: DedicatedIp, actor, reason: str, provider: str | None = None):
    """Resume a paused warm-up in the state and at the stage it was paused at. The paused days
    count neither as idle days nor as sending days."""

    def change(w: IpWarmup, _rules: Rules, now: datetime) -> Change:
        if w.state != State.PAUSED:
            return Change(skip=f"it is not paused ({w.get_state_display().lower()})")
        return Change(
            {
                "state": w.resume_state or State.WARMING,
                "resume_state": "",
                "idle_days": 0,
                "decided_through": _catch_up_from_today(w, now),
            }
        )

    return _apply(
        ip=ip,
        provider=provider,
        actor=actor,
        reason=reason,
        kind=Kind.RESUME,
        verb="resumed the warm-up",
        change=change,
    )


def ip_warmup_set_stage(
    *, ip: DedicatedIp, stage: int, actor, reason: str, provider: str | None = None
):
    """Put the warm-up at a stage (its cap from the profile); a warm pair warms up again from
    there, a paused one stays paused and resumes there."""
    if not isinstance(stage, int) or stage < 1:
        raise ApplicationError("The stage is a whole number from 1.", field="stage")

    def change(w: IpWarmup, rules: Rules, now: datetime) -> Change:
        if stage > rules.final:
            raise ApplicationError(
                f"{w.provider.name}'s profile has {rules.final} stages; pick 1 to {rules.final}.",
                field="stage",
            )
        if w.state == State.PENDING:
            return Change(skip="its warm-up has not started")
        fields = {
            "stage": stage,
            "daily_cap": rules.cap(stage),
            "stage_days": 0,
            "idle_days": 0,
            "target_days": 0,
            "decided_through": _catch_up_from_today(w, now),
        }
        if w.state == State.PAUSED:
            fields["resume_state"] = State.WARMING
        else:
            fields["state"] = State.WARMING
        return Change(fields)

    return _apply(
        ip=ip,
        provider=provider,
        actor=actor,
        reason=reason,
        kind=Kind.SET_STAGE,
        verb=f"set the stage to {stage}",
        change=change,
    )


def ip_warmup_complete(*, ip: DedicatedIp, actor, reason: str, provider: str | None = None):
    """End the warm-up now: warm at the target cap (the post-warm-up growth limit applies)."""

    def change(w: IpWarmup, rules: Rules, now: datetime) -> Change:
        if w.state in WARM_STATES:
            return Change(skip="it is warm already")
        return Change(
            {
                "state": State.WARM,
                "resume_state": "",
                "stage": rules.final,
                "daily_cap": rules.cap(rules.final),
                "warm_since": utc_day(now),
                "decided_through": _catch_up_from_today(w, now),
            }
        )

    return _apply(
        ip=ip,
        provider=provider,
        actor=actor,
        reason=reason,
        kind=Kind.COMPLETE,
        verb="completed the warm-up",
        change=change,
    )


def ip_warmup_restart(*, ip: DedicatedIp, actor, reason: str, provider: str | None = None):
    """Start the warm-up over from stage 1 (the sending-day clock from zero, no suspension)."""

    def change(w: IpWarmup, rules: Rules, now: datetime) -> Change:
        return Change(
            {
                "state": State.WARMING,
                "resume_state": "",
                "stage": 1,
                "daily_cap": rules.cap(1),
                "sending_days": 0,
                "stage_days": 0,
                "idle_days": 0,
                "target_days": 0,
                "started_on": utc_day(now),
                "warm_since": None,
                "suspended_until": None,
                "suspension_kind": "",
                "suspension_reason": "",
                "decided_through": _catch_up_from_today(w, now),
            }
        )

    return _apply(
        ip=ip,
        provider=provider,
        actor=actor,
        reason=reason,
        kind=Kind.RESTART,
        verb="restarted the warm-up",
        change=change,
    )


def ip_warmup_suspension_cancel(
    *, ip: DedicatedIp, actor, reason: str, provider: str | None = None
):
    """Lift a fast back-off suspension now (routing uses the pair again at once)."""

    def change(w: IpWarmup, _rules: Rules, now: datetime) -> Change:
        if not w.is_suspended(now):
            return Change(skip="it is not suspended")
        return Change({"suspended_until": None, "suspension_kind": "", "suspension_reason": ""})

    return _apply(
        ip=ip,
        provider=provider,
        actor=actor,
        reason=reason,
        kind=Kind.UNSUSPEND,
        verb="cancelled the suspension",
        change=change,
    )


def ip_warmup_control(
    *,
    ip: DedicatedIp,
    action: str,
    actor,
    reason: str,
    provider: str | None = None,
    stage: int | None = None,
):
    """One entry for the API and the admin: `action` is one of ACTIONS."""
    if action == "set-stage":
        if stage is None:
            raise ApplicationError("Give the stage to set.", field="stage")
        return ip_warmup_set_stage(
            ip=ip, stage=stage, actor=actor, reason=reason, provider=provider
        )
    functions = {
        "pause": ip_warmup_pause,
        "resume": ip_warmup_resume,
        "complete": ip_warmup_complete,
        "restart": ip_warmup_restart,
        "cancel-suspension": ip_warmup_suspension_cancel,
    }
    if action not in functions:
        raise ApplicationError(f"Unknown action {action!r}.", field="action")
    return functions[action](ip=ip, actor=actor, reason=reason, provider=provider)
