"""The seed sweep: find warm-up mail in the seeds, record placement, engage like a person.

Per seed with work to do: one connection, kept open between sweeps (`open_seed_client(keep=
True)`), one pipelined `locate()` of every Message-ID it is waiting for — with the folder state
stored on the seed (`imap_state`: each folder's UIDVALIDITY and UIDNEXT), it fetches only the
mail that arrived since the last sweep — then every action in one more pipelined round trip
(`apply`). A seed whose open messages need nothing now is not connected to at all; one where
nothing arrived costs the one round trip of its locate. Replies go through the seed's SMTP
without reading the original back (we wrote it). docs/benchmarks.md has the figures.

A message moves through stages, each after a human-like delay (`act_after`, settings):

* locate — found: placement `inbox` or `spam` (`category` from Gmail's labels); not found after
  WARMUP_MISSING_AFTER_HOURS: `missing` (the end for that message);
* engage — rescue from spam, mark read, flag as important, reply (each with its probability);
* file — move into the warm-up folder (WARMUP_FOLDER), out of the seed's way;
* done. Old mail in the warm-up folder is purged after WARMUP_RETENTION_DAYS (once a day).

One seed's failure never stops the sweep: a refused login takes the seed out of rotation with
the server's message, an unknown spam folder is its own state, any other error is recorded on
the seed and the sweep goes on with the next one. What was learnt before an error is kept.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from domains.services import warmup_day_add
from engagement import compose, seedclient
from engagement.models import (
    PlacementTestSeed,
    SeedAction,
    SeedMailbox,
    WarmupMessage,
)
from engagement.services.placement import (
    pending_copies,
    placement_copies_record,
    placement_tests_expire,
)
from engagement.services.seeds import seed_endpoint, seed_take_out
from warmup_site.jobs import claim_due

logger = logging.getLogger(__name__)

Stage = WarmupMessage.Stage
Placement = WarmupMessage.Placement
Kind = SeedAction.Kind
# What counts as engagement in the day counters the plan reads.
ENGAGING = frozenset({Kind.RESCUED, Kind.READ, Kind.FLAGGED, Kind.REPLIED})

SEED_LEASE = timedelta(minutes=20)
PURGE_EVERY = timedelta(days=1)


@dataclass
class SweepSummary:
    seeds: int = 0
    seed_errors: int = 0
    found: int = 0
    missing: int = 0
    actions: int = 0
    round_trips: int = 0
    test_copies: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: SweepSummary) -> None:
        for name in (
            "seeds",
            "seed_errors",
            "found",
            "missing",
            "actions",
            "round_trips",
            "test_copies",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)

    @property
    def round_trips_per_found(self) -> float:
        return self.round_trips / self.found if self.found else 0.0

    def sentence(self) -> str:
        return (
            f"swept {self.seeds} seeds ({self.seed_errors} with errors): {self.found} messages "
            f"found, {self.missing} missing, {self.actions} actions, {self.test_copies} "
            f"placement-test copies found, {self.round_trips} IMAP round trips"
        )


def _delay(minutes: list[int], rng: random.Random) -> timedelta:
    low, high = minutes
    return timedelta(minutes=rng.uniform(low, max(low, high)))


def _open_messages():
    return WarmupMessage.objects.filter(status=WarmupMessage.Status.SENT).exclude(stage=Stage.DONE)


def seeds_sweep(
    *, rng: random.Random | None = None, batch_size: int = 100, max_batches: int = 20
) -> SweepSummary:
    """Sweep every active seed that has mail to look at (safe on several workers: each claims
    its seeds with a lease)."""
    rng = rng or random.Random()
    summary = SweepSummary()
    now = timezone.now()
    placement_tests_expire(now=now)
    open_copies = PlacementTestSeed.objects.filter(
        seed=OuterRef("pk"),
        placement=PlacementTestSeed.Placement.PENDING,
        test__expires_at__gt=now,
    )
    candidates = SeedMailbox.objects.filter(state=SeedMailbox.State.ACTIVE).filter(
        Exists(_open_messages().filter(seed=OuterRef("pk"))) | Exists(open_copies)
    )
    for _ in range(max_batches):
        ids = claim_due(
            candidates, due_field="next_sweep_at", lease=SEED_LEASE, batch_size=batch_size
        )
        if not ids:
            break
        for seed in SeedMailbox.objects.filter(pk__in=ids).select_related("provider"):
            summary.add(seed_sweep(seed=seed, rng=rng))
        if len(ids) < batch_size:
            break
    return summary


class _Run:
    """What one seed's sweep learnt, written to the database at the end (even after an error)."""

    def __init__(self, now: datetime):
        self.now = now
        self.changed: dict[int, WarmupMessage] = {}
        self.actions: list[SeedAction] = []
        self.placements: Counter[tuple[int, str]] = Counter()
        self.engaged: set[int] = set()

    def act(self, message: WarmupMessage, kind: str, detail: str = "") -> None:
        self.actions.append(SeedAction(message=message, kind=kind, at=self.now, detail=detail))
        self.changed[message.pk] = message
        if kind in ENGAGING and message.day_id:
            # A message engages once, whatever the seed did with it (and over several sweeps
            # it is acted on in one: engagement happens in one stage).
            self.engaged.add(message.pk)

    def place(self, message: WarmupMessage, placement: str) -> None:
        message.placement = placement
        message.placed_at = self.now
        if message.day_id:
            self.placements[(message.day_id, placement)] += 1

    def save(self) -> None:
        WarmupMessage.objects.bulk_update(
            list(self.changed.values()),
            [
                "placement",
                "placed_at",
                "category",
                "stage",
                "act_after",
                "reply_message_id",
                "folder",
                "uid",
            ],
        )
        SeedAction.objects.bulk_create(self.actions)
        for (day_id, placement), count in self.placements.items():
            warmup_day_add(day_id=day_id, **{placement: count})
        engaged = Counter(self.changed[pk].day_id for pk in self.engaged)
        for day_id, count in engaged.items():
            warmup_day_add(day_id=day_id, engaged=count)


@dataclass
class _Planned:
    """An action decided for one message, and what to record once the server has done it."""

    message: WarmupMessage
    action: seedclient.Action
    acts: list[tuple[str, str]]
    stage: str
    act_after: datetime | None = None


def _needs_imap(messages, copies, purge_due: bool, now: datetime) -> bool:
    """Anything to look for or do in the mailbox? Mail still awaited, actions due, placement
    tests open, the daily purge. Otherwise the seed costs no connection at all."""
    if copies or purge_due:
        return True
    return any(m.stage == Stage.LOCATE or not m.act_after or m.act_after <= now for m in messages)


def seed_sweep(*, seed: SeedMailbox, rng: random.Random | None = None) -> SweepSummary:
    rng = rng or random.Random()
    now = timezone.now()
    summary = SweepSummary(seeds=1)
    messages = list(_open_messages().filter(seed=seed).select_related("parent").order_by("sent_at"))
    copies = pending_copies(seed=seed, now=now)
    purge_due = seed.last_purged_at is None or seed.last_purged_at <= now - PURGE_EVERY
    if not _needs_imap(messages, copies, purge_due, now):
        SeedMailbox.objects.filter(pk=seed.pk).update(next_sweep_at=now)
        return summary
    run = _Run(now)
    client, start, healthy = None, 0, False
    try:
        endpoint = seed_endpoint(seed)
        client = seedclient.open_seed_client(endpoint, keep=True)
        # A kept connection logged in during an earlier sweep: only what this one sends counts.
        start = client.round_trips if client.reused else 0
        spam_folder = client.spam_folder()
        if spam_folder != seed.spam_folder:
            seed.spam_folder = spam_folder
            seed.save(update_fields=["spam_folder"])
        _mailbox_work(client, endpoint, seed, messages, run, summary, rng)
        if copies:
            # The customer's own test messages: found by token, headers only, no action.
            tokens = [c.test.token for c in copies]
            summary.test_copies += placement_copies_record(
                copies=copies, found=client.find_copies(tokens), now=now
            )
        if purge_due:
            cutoff = now - timedelta(days=settings.WARMUP_RETENTION_DAYS)
            client.purge(settings.WARMUP_FOLDER, cutoff)
            seed.last_purged_at = now
            seed.save(update_fields=["last_purged_at"])
        healthy = True
    except seedclient.LoginFailed as exc:
        seed_take_out(seed=seed, state=SeedMailbox.State.LOGIN_FAILED, reason=str(exc))
        _seed_error(summary, seed, exc)
    except seedclient.SpamFolderUnknown as exc:
        seed_take_out(seed=seed, state=SeedMailbox.State.SPAM_FOLDER_UNKNOWN, reason=str(exc))
        _seed_error(summary, seed, exc)
    except Exception as exc:  # one seed's failure must not stop the sweep
        seed.last_error = f"{type(exc).__name__}: {exc}"
        seed.last_error_at = now
        seed.save(update_fields=["last_error", "last_error_at"])
        _seed_error(summary, seed, exc)
        logger.warning("seed sweep failed for %s: %s", seed.address, exc, exc_info=True)
    else:
        seed.last_checked_at = now
        seed.save(update_fields=["last_checked_at"])
    finally:
        if client is not None:
            summary.round_trips += client.round_trips - start
            # Closing a broken connection may fail too; nothing is lost by it.
            with contextlib.suppress(Exception):
                if healthy:
                    seedclient.release_seed_client(client)
                else:
                    client.close()
        run.save()
        # Release the lease taken by the claim: the seed is due again at the next run.
        SeedMailbox.objects.filter(pk=seed.pk).update(next_sweep_at=now)
    summary.actions += len(run.actions)
    return summary


def _mailbox_work(client, endpoint, seed: SeedMailbox, messages, run: _Run, summary, rng) -> None:
    """Locate what is awaited or due (one round trip with the seed's folder state), then every
    action in one more: rescue, read, flag, file away."""
    now = run.now
    wanted = [
        m for m in messages if m.stage == Stage.LOCATE or (not m.act_after or m.act_after <= now)
    ]
    if not wanted:
        return
    known = {m.message_id: (m.folder, m.uid) for m in wanted if m.folder and m.uid}
    state = {folder: tuple(v) for folder, v in (seed.imap_state or {}).items()}
    found = client.locate([m.message_id for m in wanted], known=known, state=state)
    if client.folder_state:
        # What this sweep saw is where the next one starts (folders it did not select keep
        # their state).
        seed.imap_state = {**(seed.imap_state or {}), **client.folder_state}
        seed.save(update_fields=["imap_state"])
    _locate(wanted, found, run, summary, rng)
    planned = _engage(endpoint, wanted, found, run, rng) + _file(wanted, found, run)
    if not planned:
        return
    moved = client.apply([p.action for p in planned])
    for item in planned:
        message = item.message
        for kind, detail in item.acts:
            run.act(message, kind, detail)
        message.stage, message.act_after = item.stage, item.act_after
        new = moved.get(message.message_id)
        if new is not None:
            message.folder, message.uid = new.folder, new.uid
        elif item.action.destination:
            message.folder, message.uid = item.action.destination, None
        run.changed[message.pk] = message


def _seed_error(summary: SweepSummary, seed: SeedMailbox, exc: Exception) -> None:
    summary.seed_errors += 1
    summary.errors.append(f"{seed.address}: {exc}")


def _locate(messages, found, run: _Run, summary: SweepSummary, rng) -> None:
    missing_after = timedelta(hours=settings.WARMUP_MISSING_AFTER_HOURS)
    for message in messages:
        where = found.get(message.message_id)
        if where is not None and (message.folder, message.uid) != (where.folder, where.uid):
            message.folder, message.uid = where.folder, where.uid
            run.changed[message.pk] = message
        if message.stage != Stage.LOCATE:
            continue
        if where is not None:
            summary.found += 1
            run.place(message, where.placement)
            message.category = where.category
            message.stage = Stage.ENGAGE
            message.act_after = run.now + _delay(settings.WARMUP_ACTION_DELAY_MINUTES, rng)
            detail = f"in {where.folder}" + (f" ({where.category})" if where.category else "")
            run.act(message, Kind.FOUND, detail)
        elif message.sent_at and message.sent_at <= run.now - missing_after:
            summary.missing += 1
            run.place(message, Placement.MISSING)
            message.stage = Stage.DONE
            run.act(message, Kind.MISSING, f"not in the inbox or spam after {missing_after}")


def _due(messages, stage: str, found, run: _Run) -> list[tuple[WarmupMessage, object]]:
    due = []
    for message in messages:
        if message.stage != stage or (message.act_after and message.act_after > run.now):
            continue
        where = found.get(message.message_id)
        if where is None:
            # Gone from the mailbox (deleted by hand, or the provider expired it).
            message.stage = Stage.DONE
            run.act(message, Kind.ERROR, "no longer in the mailbox; nothing more to do")
            continue
        due.append((message, where))
    return due


def _engage(endpoint, messages, found, run: _Run, rng) -> list[_Planned]:
    """Decide, like a person, what to do with each message whose time has come: rescue it from
    spam, read it, flag it, answer it. Replies go out at once (SMTP); the rest is planned for
    one round trip (`client.apply`)."""
    planned = []
    for message, where in _due(messages, Stage.ENGAGE, found, run):
        rescue = (
            where.placement == Placement.SPAM and rng.random() < settings.WARMUP_RESCUE_PROBABILITY
        )
        read = rng.random() < settings.WARMUP_READ_PROBABILITY
        flag = rng.random() < settings.WARMUP_FLAG_PROBABILITY
        if rng.random() < settings.WARMUP_REPLY_PROBABILITY:
            _reply(endpoint, message, run, rng)
        acts = []
        if rescue:
            acts.append((Kind.RESCUED, "moved to INBOX"))
        if read:
            acts.append((Kind.READ, ""))
        if flag:
            acts.append((Kind.FLAGGED, ""))
        flags = (seedclient.SEEN,) * read + (seedclient.FLAGGED,) * flag
        action = seedclient.Action(
            where, flags=flags, important=flag, destination="INBOX" if rescue else None
        )
        if where.placement == Placement.SPAM and not rescue:
            # Left in spam on purpose (rescue probability): a person would not file it.
            planned.append(_Planned(message, action, acts, Stage.DONE))
        else:
            after = run.now + _delay(settings.WARMUP_FILE_DELAY_MINUTES, rng)
            planned.append(_Planned(message, action, acts, Stage.FILE, after))
    return planned


def _reply(endpoint, message: WarmupMessage, run: _Run, rng) -> None:
    """Answer through the seed's own SMTP. The thread's headers are ours to know (we wrote the
    message): no need to fetch it from the mailbox."""
    parent = message.parent
    references = (
        f"{parent.message_id} {parent.reply_message_id}"
        if parent and parent.reply_message_id
        else ""
    )
    try:
        reply = compose.compose_reply(
            seed_address=endpoint.address,
            to=message.sender,
            subject=message.subject,
            original_message_id=message.message_id,
            references=references,
            date=run.now,
            rng=rng,
        )
        seedclient.send_reply(endpoint, reply.raw, to=message.sender)
    except seedclient.LoginFailed:
        raise
    except Exception as exc:  # a failed reply is recorded; the rest goes on
        run.act(message, Kind.ERROR, f"reply failed: {exc}")
        return
    message.reply_message_id = reply.message_id
    run.act(message, Kind.REPLIED, f"to {message.sender} as {reply.message_id}")


def _file(messages, found, run: _Run) -> list[_Planned]:
    folder = settings.WARMUP_FOLDER
    return [
        _Planned(
            message,
            seedclient.Action(where, destination=folder),
            [(Kind.FILED, f"into {folder}")],
            Stage.DONE,
        )
        for message, where in _due(messages, Stage.FILE, found, run)
    ]
