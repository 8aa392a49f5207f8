"""Locating messages in a seed over IMAP: warm-up mail by Message-ID (`locate`) and
placement-test copies by token (`find_copies`), each in one or two pipelined round trips.

A mixin of `ImapSeedClient` (engagement/seedclient/imap.py; the module docstring there says how
the folder state makes a sweep fetch only what is new).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from imapclient.imapclient import join_message_ids, seq_to_parenstr

from engagement.seedclient.base import (
    DEFAULT_WARMUP_FOLDER,
    PLACEMENT_INBOX,
    PLACEMENT_SPAM,
    CampaignCopy,
    Found,
    SeedClientError,
    normalize_message_id,
)
from engagement.seedclient.imap_parsing import (
    FETCH_COPY,
    FETCH_HEADER,
    copy_from,
    found_from_fetch,
    or_search_terms,
    or_token_terms,
)
from engagement.seedclient.pipeline import Command

INBOX = "INBOX"
SEARCH_CHUNK = 250  # ~60 bytes per id → ~15 KB per SEARCH line


@dataclass
class _Plan:
    """One folder's part of a locate pipeline."""

    folder: str
    placement: str
    state: tuple[int, int] | None  # (UIDVALIDITY, UIDNEXT) from the last sweep
    known: list[int] = field(default_factory=list)


class ImapLocate:
    """Finding messages (see the module docstring)."""

    def locate(
        self,
        message_ids: Sequence[str],
        *,
        known: dict[str, tuple[str, int]] | None = None,
        state: dict[str, tuple[int, int]] | None = None,
        _retried: bool = False,
    ) -> dict[str, Found]:
        """Find messages in INBOX, the spam folder and the warm-up folder. `known` gives
        Message-ID → (folder, UID) of messages found before; `state` the folders' (UIDVALIDITY,
        UIDNEXT) at the last sweep. After it, `folder_state` holds the folders' state now."""
        wanted = list(dict.fromkeys(normalize_message_id(m) for m in message_ids if m.strip()))
        if not wanted:
            return {}
        plans = self._plans(wanted, known or {}, state or {})
        spam = plans[1].folder
        answers = self._pipeline(
            "locate", [c for p in plans for c in self._locate_commands(p, wanted)]
        )
        found: dict[str, Found] = {}
        searched: list[tuple[_Plan, list[int]]] = []
        for plan, (selected, looked) in zip(plans, _pairs(answers), strict=True):
            if not selected.ok:
                if plan.folder == spam and not _retried:
                    # The remembered spam folder is gone (renamed by the provider?): find it
                    # again from LIST, or raise SpamFolderUnknown.
                    if self._forget_spam() == spam:
                        raise SeedClientError(f"SELECT {spam}: {selected.text}")
                    return self.locate(message_ids, known=known, state=state, _retried=True)
                continue  # no such folder (the warm-up folder before the first filing)
            if selected.select.get("EXISTS", 1) == 0:
                continue
            valid = plan.state is not None and selected.select.get("UIDVALIDITY") == plan.state[0]
            if valid and not looked.ok:
                raise SeedClientError(f"FETCH {plan.folder}: {looked.text}")
            if valid:
                for message_id, item in self._found_in(looked.fetch, plan, wanted, found).items():
                    found.setdefault(message_id, item)
            elif looked.search:
                searched.append((plan, looked.search))
            elif plan.state is not None:
                # UIDVALIDITY changed (the server renumbered the folder): search it afresh.
                searched.append((plan, self._search_again(plan, wanted)))
        if searched:
            self._fetch_hits(searched, wanted, found)
        return found

    def _plans(self, wanted: list[str], known: dict, state: dict) -> list[_Plan]:
        """INBOX, the spam folder and the warm-up folder, each with its recorded state and the
        UIDs of the wanted messages known to be there."""
        plans = [
            _Plan(folder, placement, state.get(folder))
            for folder, placement in (
                (INBOX, PLACEMENT_INBOX),
                (self.spam_folder(), PLACEMENT_SPAM),
                (DEFAULT_WARMUP_FOLDER, PLACEMENT_INBOX),
            )
        ]
        wanted_set = set(wanted)
        for message_id, (folder, uid) in known.items():
            if normalize_message_id(message_id) not in wanted_set:
                continue
            for plan in plans:
                if plan.folder == folder:
                    plan.known.append(uid)
        return plans

    def _locate_commands(self, plan: _Plan, wanted: list[str]) -> list[Command]:
        select = self._select_command(plan.folder)
        if plan.state is not None:
            uids = [str(u).encode() for u in sorted(set(plan.known))] + [b"%d:*" % plan.state[1]]
            items = [b"FLAGS", FETCH_HEADER] + ([b"X-GM-LABELS"] if self.gmail else [])
            fetch = Command(
                "UID",
                (b"FETCH", b",".join(uids), seq_to_parenstr(items)),
                reads="fetch",
                folder=plan.folder,
            )
            return [select, fetch]
        terms = _search_args(or_search_terms(wanted[:SEARCH_CHUNK]))
        search = Command("UID", (b"SEARCH", *terms), reads="search", folder=plan.folder)
        return [select, search]

    def _found_in(self, fetched, plan: _Plan, wanted, found) -> dict[str, Found]:
        """Matches in a FETCH of known UIDs and of everything since the recorded UIDNEXT (a
        range ending in * also returns the last message when nothing is newer: filtered)."""
        floor, known = plan.state[1], set(plan.known)
        fresh = {uid: data for uid, data in fetched.items() if uid >= floor or uid in known}
        remaining = [m for m in wanted if m not in found]
        return found_from_fetch(fresh, remaining, folder=plan.folder, placement=plan.placement)

    def _search_again(self, plan: _Plan, wanted: list[str]) -> list[int]:
        self._select(plan.folder)
        return self._search(plan.folder, wanted)

    def _search(self, folder: str, wanted: list[str]) -> list[int]:
        uids: list[int] = []
        for start in range(0, len(wanted), SEARCH_CHUNK):
            terms = or_search_terms(wanted[start : start + SEARCH_CHUNK])
            uids.extend(self._run(f"SEARCH {folder}", self._imap.search, terms))
        return uids

    def _fetch_hits(self, searched, wanted: list[str], found: dict[str, Found]) -> None:
        """Second round trip of a search: SELECT and FETCH the hits of every folder at once
        (and SEARCH again any ids beyond the first SEARCH_CHUNK)."""
        commands, order = [], []
        for plan, uids in searched:
            if len(wanted) > SEARCH_CHUNK:
                self._select(plan.folder)
                uids = self._search(plan.folder, wanted)
            if not uids:
                continue
            items = [b"FLAGS", FETCH_HEADER] + ([b"X-GM-LABELS"] if self.gmail else [])
            commands += [
                self._select_command(plan.folder),
                Command(
                    "UID",
                    (b"FETCH", join_message_ids(sorted(set(uids))), seq_to_parenstr(items)),
                    reads="fetch",
                    folder=plan.folder,
                ),
            ]
            order.append(plan)
        for plan, (_selected, fetched) in zip(
            order, _pairs(self._pipeline("fetch", commands)), strict=True
        ):
            remaining = [m for m in wanted if m not in found]
            for message_id, item in found_from_fetch(
                fetched.fetch, remaining, folder=plan.folder, placement=plan.placement
            ).items():
                found.setdefault(message_id, item)

    # --- placement tests ------------------------------------------------------------------------

    def find_copies(self, tokens: Sequence[str]) -> dict[str, CampaignCopy]:
        wanted = list(dict.fromkeys(t for t in tokens if t.strip()))
        if not wanted:
            return {}
        spam = self.spam_folder()
        plans = [(INBOX, PLACEMENT_INBOX), (spam, PLACEMENT_SPAM)]
        terms = _search_args(or_token_terms(wanted))
        commands = []
        for folder, _ in plans:
            commands += [
                self._select_command(folder),
                Command("UID", (b"SEARCH", *terms), reads="search", folder=folder),
            ]
        hits = {
            folder: looked.search
            for (folder, _), (_sel, looked) in zip(
                plans, _pairs(self._pipeline("find copies", commands)), strict=True
            )
            if looked.search
        }
        if not hits:
            return {}
        items = [b"FLAGS", FETCH_COPY] + ([b"X-GM-LABELS"] if self.gmail else [])
        commands = []
        for folder, uids in hits.items():
            commands += [
                self._select_command(folder),
                Command(
                    "UID",
                    (b"FETCH", join_message_ids(sorted(set(uids))), seq_to_parenstr(items)),
                    reads="fetch",
                    folder=folder,
                ),
            ]
        found: dict[str, CampaignCopy] = {}
        placements = dict(plans)
        for folder, (_sel, fetched) in zip(
            hits, _pairs(self._pipeline("fetch copies", commands)), strict=True
        ):
            for uid, data in sorted(fetched.fetch.items()):
                copy = copy_from(data, wanted, folder=folder, uid=uid, placement=placements[folder])
                if copy is not None and copy.token not in found:
                    found[copy.token] = copy
        return found


def _pairs(answers: list) -> list[tuple]:
    return list(zip(answers[0::2], answers[1::2], strict=True))


def _search_args(terms: list[str]) -> list[bytes]:
    """SEARCH criteria as command arguments: keywords bare, values quoted."""
    args = []
    for term in terms:
        if term in ("OR", "HEADER", "SUBJECT") or term.isdigit():
            args.append(term.encode())
        else:
            args.append(b'"' + term.replace("\\", "\\\\").replace('"', '\\"').encode() + b'"')
    return args
