"""The IMAP seed client against a real Dovecot (warmup_site/testing/dovecot.py).

Every mailbox is read back with a separate plain IMAPClient connection, so a test checks what a
person would see in the mailbox, not what the client under test believes.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from imapclient import IMAPClient

from engagement.seedclient import (
    Found,
    LoginFailed,
    SeedClientError,
    SeedEndpoint,
    SpamFolderUnknown,
    open_seed_client,
    test_connection,
)
from engagement.seedclient import imap_locate as imap_module
from engagement.seedclient import oauth as oauth_tokens
from warmup_site.testing import require_binary
from warmup_site.testing.dovecot import DovecotServer
from warmup_site.testing.oauth import OAuthServer

pytestmark = pytest.mark.dovecot
PASSWORD = "seed-pass"


@pytest.fixture(autouse=True)
def _isolated_slots(settings, tmp_path):
    settings.WARMUP_IMAP_SLOT_DIR = tmp_path / "slots"
    settings.WARMUP_IMAP_CONNECTION_WAIT = 5.0
    oauth_tokens.clear_cache()


def new_address(domain: str = "gmail.test") -> str:
    return f"seed-{uuid.uuid4().hex[:10]}@{domain}"


def new_message_id() -> str:
    return f"<{uuid.uuid4().hex}@warmup.example>"


def message(message_id: str, subject: str = "Lunch on Thursday?") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Ann <ann@sender.example>"
    msg["To"] = "seed@gmail.test"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["Date"] = "Mon, 02 Jun 2025 10:00:00 +0000"
    msg.set_content("Are you free for lunch on Thursday?\n")
    return msg.as_bytes()


def endpoint(server, address: str, password: str = PASSWORD, **fields) -> SeedEndpoint:
    return SeedEndpoint(
        address=address,
        provider="google",
        username=address,
        auth="password",
        secret=password,
        imap_host=server.host,
        imap_port=server.port,
        imap_tls="none",
        **fields,
    )


def reader(server, address: str) -> IMAPClient:
    imap = IMAPClient(server.host, port=server.port, ssl=False)
    imap.login(address, PASSWORD)
    return imap


def message_ids_in(server, address: str, folder: str) -> dict[str, tuple[bytes, ...]]:
    """Message-ID → flags of every message in ``folder``, read over a separate connection."""
    with reader(server, address) as imap:
        imap.select_folder(folder, readonly=True)
        uids = imap.search("ALL")
        if not uids:
            return {}
        data = imap.fetch(uids, [b"FLAGS", b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    result = {}
    for item in data.values():
        header = item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().split(":", 1)[1].strip()
        result[header] = tuple(item[b"FLAGS"])
    return result


# --- spam folder ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("folders", "expected"),
    [
        (("Junk", "Sent"), "Junk"),
        (("[Gmail]/Spam", "[Gmail]/Sent Mail"), "[Gmail]/Spam"),
        (("Junk Email", "Sent Items"), "Junk Email"),
        (("Bulk", "Sent"), "Bulk"),
    ],
)
def test_it_resolves_the_spam_folder_by_flag_or_by_name(dovecot, folders, expected):
    address = new_address()
    dovecot.add_user(address, PASSWORD, folders=folders)

    report = test_connection(endpoint(dovecot, address))

    assert report.ok, report.message
    assert report.spam_folder == expected
    assert expected in report.message


def test_it_prefers_the_junk_flag_over_known_names(oauth_dovecot):
    # This server flags "Pourriel" \Junk: a name we do not know, next to a "Spam" we do.
    address = new_address("laposte.test")
    oauth_dovecot.add_user(address, PASSWORD, folders=("Pourriel", "Spam"))

    with open_seed_client(endpoint(oauth_dovecot, address)) as client:
        assert client.spam_folder() == "Pourriel"


def test_it_uses_the_remembered_spam_folder_first(dovecot):
    address = new_address()
    dovecot.add_user(address, PASSWORD, folders=("Junk", "Bulk"))

    with open_seed_client(endpoint(dovecot, address, spam_folder="Bulk")) as client:
        assert client.spam_folder() == "Bulk"


def test_it_reports_an_unknown_spam_folder(dovecot):
    address = new_address()
    dovecot.add_user(address, PASSWORD, folders=("Sent", "Archive"))

    with (
        open_seed_client(endpoint(dovecot, address)) as client,
        pytest.raises(SpamFolderUnknown) as exc,
    ):
        client.spam_folder()
    assert "Archive" in str(exc.value)

    report = test_connection(endpoint(dovecot, address))
    assert not report.ok
    assert report.problem == "spam_folder_unknown"


# --- login ----------------------------------------------------------------------------------------


def test_it_raises_login_failed_with_the_servers_message(dovecot):
    address = new_address()
    dovecot.add_user(address, PASSWORD)

    with pytest.raises(LoginFailed) as exc:
        open_seed_client(endpoint(dovecot, address, password="wrong"))
    assert "[AUTHENTICATIONFAILED] Authentication failed." in str(exc.value)

    report = test_connection(endpoint(dovecot, address, password="wrong"))
    assert not report.ok
    assert report.problem == "login_failed"
    assert "Authentication failed" in report.message


def test_it_reports_an_unreachable_server(dovecot):
    closed = endpoint(dovecot, "nobody@gmail.test")
    closed = SeedEndpoint(**{**closed.__dict__, "imap_port": 1})

    with pytest.raises(SeedClientError) as exc:
        open_seed_client(closed)
    assert not isinstance(exc.value, LoginFailed)
    assert "cannot connect to 127.0.0.1:1" in str(exc.value)


# --- locate ---------------------------------------------------------------------------------------


def fill(
    server, address: str, *, inbox: int, spam: int, spam_folder: str = "Junk"
) -> tuple[list, list]:
    inbox_ids = [new_message_id() for _ in range(inbox)]
    spam_ids = [new_message_id() for _ in range(spam)]
    for mid in inbox_ids:
        server.deliver(address, message(mid))
    for mid in spam_ids:
        server.deliver(address, message(mid), folder=spam_folder)
    return inbox_ids, spam_ids


def test_it_locates_messages_in_inbox_and_spam(dovecot):
    address = new_address()
    dovecot.add_user(address, PASSWORD)
    inbox_ids, spam_ids = fill(dovecot, address, inbox=3, spam=2)
    dovecot.deliver(address, message(new_message_id(), "Unrelated"))
    seen_id = new_message_id()
    dovecot.deliver(address, message(seen_id), flags="SF")
    absent = new_message_id()

    with open_seed_client(endpoint(dovecot, address)) as client:
        found = client.locate([*inbox_ids, *spam_ids, seen_id, absent])

    assert set(found) == {*inbox_ids, *spam_ids, seen_id}
    assert {found[m].placement for m in inbox_ids} == {"inbox"}
    assert {found[m].folder for m in spam_ids} == {"Junk"}
    assert {found[m].placement for m in spam_ids} == {"spam"}
    assert (found[seen_id].seen, found[seen_id].flagged) == (True, True)
    assert (found[inbox_ids[0]].seen, found[inbox_ids[0]].flagged) == (False, False)


def test_it_does_not_match_a_message_id_that_merely_contains_the_one_searched(dovecot):
    address = new_address()
    dovecot.add_user(address, PASSWORD)
    dovecot.deliver(address, message("<xabc@warmup.example>"))

    with open_seed_client(endpoint(dovecot, address)) as client:
        # HEADER search is a substring match; without angle brackets it would hit <xabc@…>.
        assert client.locate(["abc@warmup.example"]) == {}


def locate_round_trips(server, count: int) -> int:
    address = new_address()
    server.add_user(address, PASSWORD)
    inbox_ids, spam_ids = fill(server, address, inbox=count // 2, spam=count - count // 2)
    with open_seed_client(endpoint(server, address)) as client:
        before = client.round_trips
        found = client.locate([*inbox_ids, *spam_ids])
        assert len(found) == count
        return client.round_trips - before


def test_it_locates_in_a_number_of_round_trips_that_does_not_grow_with_the_ids(dovecot):
    few = locate_round_trips(dovecot, 4)
    many = locate_round_trips(dovecot, 200)

    # LIST (the spam folder is not remembered yet); one pipeline of SELECT + UID SEARCH for
    # INBOX, Junk and the warm-up folder; one pipeline of SELECT + UID FETCH of the hits.
    assert few == many == 3


def test_it_splits_only_very_large_searches(dovecot, monkeypatch):
    monkeypatch.setattr(imap_module, "SEARCH_CHUNK", 50)
    # 120 ids in INBOX → 3 SEARCH commands there; all are found, so Junk is not even selected.
    address = new_address()
    dovecot.add_user(address, PASSWORD)
    inbox_ids, _ = fill(dovecot, address, inbox=120, spam=0)
    with open_seed_client(endpoint(dovecot, address)) as client:
        before = client.round_trips
        assert len(client.locate(inbox_ids)) == 120
        # LIST; the pipeline (its SEARCH has the first 50); INBOX's SELECT and its three
        # SEARCH commands; the pipeline of FETCH. Junk is empty: never searched again.
        assert client.round_trips - before == 1 + 1 + (1 + 3) + 1


# --- actions --------------------------------------------------------------------------------------


def test_it_rescues_reads_flags_and_files_away_in_few_round_trips(dovecot):
    address = new_address()
    dovecot.add_user(address, PASSWORD)
    inbox_ids, spam_ids = fill(dovecot, address, inbox=100, spam=100)

    with open_seed_client(endpoint(dovecot, address)) as client:
        start = client.round_trips
        found = client.locate([*inbox_ids, *spam_ids])
        rescued = client.rescue(list(found.values()))
        current = {**found, **rescued}
        client.mark_read(list(current.values()))
        client.flag_important(list(current.values()))
        after_actions = dict(message_ids_in(dovecot, address, "INBOX"))
        client.file_away(list(current.values()))
        trips = client.round_trips - start

    assert set(rescued) == set(spam_ids)
    assert {r.folder for r in rescued.values()} == {"INBOX"}
    # The UIDs reported for rescued mail are the ones the server gave them in INBOX.
    assert message_ids_in(dovecot, address, "Junk") == {}
    assert set(after_actions) == {*inbox_ids, *spam_ids}
    assert all(b"\\Seen" in f and b"\\Flagged" in f for f in after_actions.values())
    assert message_ids_in(dovecot, address, "INBOX") == {}
    assert set(message_ids_in(dovecot, address, "Warmup")) == {*inbox_ids, *spam_ids}
    # locate 3 (LIST; the SELECT + SEARCH pipeline; the SELECT + FETCH pipeline) + rescue 1 +
    # read 1 + flag 1 (each a pipeline of SELECT and its STORE or MOVE) + file away 3 (MOVE
    # answers TRYCREATE, CREATE, MOVE again) = 9 for 200 messages. The sweep pipelines all of
    # a seed's actions at once (test_sweep.py).
    assert trips == 9, trips


def test_rescued_locations_are_usable_at_once(dovecot):
    address = new_address()
    dovecot.add_user(address, PASSWORD)
    dovecot.deliver(address, message(new_message_id()))  # INBOX UIDs differ from Junk's
    _, spam_ids = fill(dovecot, address, inbox=0, spam=3)

    with open_seed_client(endpoint(dovecot, address)) as client:
        rescued = client.rescue(list(client.locate(spam_ids).values()))
        client.flag_important([rescued[spam_ids[1]]])

    flags = message_ids_in(dovecot, address, "INBOX")
    assert [m for m in spam_ids if b"\\Flagged" in flags[m]] == [spam_ids[1]]


def test_it_rescues_with_copy_and_expunge_when_move_is_not_offered(dovecot):
    address = new_address()
    dovecot.add_user(address, PASSWORD, folders=("Bulk",))
    _, spam_ids = fill(dovecot, address, inbox=0, spam=3, spam_folder="Bulk")

    with open_seed_client(endpoint(dovecot, address)) as client:
        client.has_move = False  # as on servers without RFC 6851
        rescued = client.rescue(list(client.locate(spam_ids).values()))
        client.mark_read([rescued[spam_ids[0]]])

    assert message_ids_in(dovecot, address, "Bulk") == {}
    inbox = message_ids_in(dovecot, address, "INBOX")
    assert set(inbox) == set(spam_ids)
    assert [m for m in spam_ids if b"\\Seen" in inbox[m]] == [spam_ids[0]]


def test_it_finds_filed_away_mail_in_the_warmup_folder(dovecot):
    address = new_address()
    dovecot.add_user(address, PASSWORD)
    inbox_ids, _ = fill(dovecot, address, inbox=2, spam=0)

    with open_seed_client(endpoint(dovecot, address)) as client:
        client.file_away(list(client.locate(inbox_ids).values()))
    with open_seed_client(endpoint(dovecot, address)) as client:
        found = client.locate(inbox_ids)

    assert {f.folder for f in found.values()} == {"Warmup"}
    assert {f.placement for f in found.values()} == {"inbox"}


def test_it_fetches_the_raw_message_without_marking_it_read(dovecot):
    address = new_address()
    dovecot.add_user(address, PASSWORD)
    mid = new_message_id()
    dovecot.deliver(address, message(mid, "Quarterly numbers"))

    with open_seed_client(endpoint(dovecot, address)) as client:
        raw = client.fetch(client.locate([mid])[mid])

    assert b"Subject: Quarterly numbers" in raw
    assert b"\\Seen" not in message_ids_in(dovecot, address, "INBOX")[mid]


def test_it_purges_old_mail_from_a_folder(dovecot):
    address = new_address()
    dovecot.add_user(address, PASSWORD, folders=("Junk", "Warmup"))
    old = [new_message_id() for _ in range(3)]
    recent = new_message_id()
    ten_days_ago = time.time() - 10 * 86400
    for mid in old:
        # Dovecot takes a maildir file's mtime as the message's received (internal) date.
        path = dovecot.deliver(address, message(mid), folder="Warmup")
        os.utime(path, (ten_days_ago, ten_days_ago))
    dovecot.deliver(address, message(recent), folder="Warmup")

    with open_seed_client(endpoint(dovecot, address)) as client:
        purged = client.purge("Warmup", datetime.now(UTC) - timedelta(days=7))
        assert client.purge("No such folder", datetime.now(UTC)) == 0

    assert purged == 3
    assert set(message_ids_in(dovecot, address, "Warmup")) == {recent}


# --- connection limit -----------------------------------------------------------------------------


def test_it_waits_for_a_free_connection_slot_per_host(dovecot, settings):
    settings.WARMUP_IMAP_MAX_CONNECTIONS_PER_HOST = 2
    address = new_address()
    dovecot.add_user(address, PASSWORD)
    seed = endpoint(dovecot, address)
    first, second = open_seed_client(seed), open_seed_client(seed)
    opened = threading.Event()
    third = []

    def open_third():
        third.append(open_seed_client(seed))
        opened.set()

    thread = threading.Thread(target=open_third)
    thread.start()
    try:
        assert not opened.wait(0.5), "a third connection opened while two were held"
        first.close()
        assert opened.wait(5), "the third connection did not get the freed slot"
    finally:
        thread.join(5)
        second.close()
        for client in third:
            client.close()


def test_it_gives_up_when_no_slot_frees_up(dovecot, settings):
    settings.WARMUP_IMAP_MAX_CONNECTIONS_PER_HOST = 1
    settings.WARMUP_IMAP_CONNECTION_WAIT = 0.2
    address = new_address()
    dovecot.add_user(address, PASSWORD)
    seed = endpoint(dovecot, address)

    with open_seed_client(seed), pytest.raises(SeedClientError) as exc:
        open_seed_client(seed)
    assert "1 connections to 127.0.0.1 are already open" in str(exc.value)
    with open_seed_client(seed) as client:  # the slot was given back
        assert client.spam_folder() == "Junk"


# --- OAuth2 XOAUTH2 -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oauth_server():
    server = OAuthServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def oauth_dovecot(oauth_server):
    """A Dovecot that checks XOAUTH2 tokens with oauth_server and flags "Pourriel" \\Junk."""
    require_binary("dovecot", package="dovecot-imapd", path="/usr/sbin/dovecot")

    server = DovecotServer(
        oauth2_introspection_url=oauth_server.introspection_url, junk_folder="Pourriel"
    ).start()
    yield server
    server.stop()


def oauth_endpoint(server, oauth_server, address, refresh_token, **fields) -> SeedEndpoint:
    values = {
        "address": address,
        "provider": "microsoft",
        "username": address,
        "auth": "oauth2",
        "secret": refresh_token,
        "imap_host": server.host,
        "imap_port": server.port,
        "imap_tls": "none",
        "oauth_token_url": oauth_server.token_url,
        "oauth_client_id": oauth_server.client_id,
        "oauth_client_secret": oauth_server.client_secret,
    }
    return SeedEndpoint(**{**values, **fields})


def test_it_logs_in_with_xoauth2(oauth_dovecot, oauth_server):
    address = new_address("outlook.test")
    # The password is not what logs in: a long random one nobody uses.
    oauth_dovecot.add_user(address, uuid.uuid4().hex, folders=("Junk Email",))
    mid = new_message_id()
    oauth_dovecot.deliver(address, message(mid), folder="Junk Email")
    seed = oauth_endpoint(oauth_dovecot, oauth_server, address, oauth_server.add_account(address))
    tokens_before = oauth_server.requests["/token"]

    with open_seed_client(seed) as client:
        found = client.locate([mid])
    report = test_connection(seed)

    assert found[mid].placement == "spam"
    assert report.ok and report.spam_folder == "Junk Email"
    # The second login reused the cached access token.
    assert oauth_server.requests["/token"] - tokens_before == 1


def test_it_fetches_a_new_token_when_the_cached_one_is_refused(oauth_dovecot, oauth_server):
    address = new_address("outlook.test")
    oauth_dovecot.add_user(address, uuid.uuid4().hex)
    seed = oauth_endpoint(oauth_dovecot, oauth_server, address, oauth_server.add_account(address))
    test_connection(seed)
    tokens_before = oauth_server.requests["/token"]

    oauth_server.revoke_access_tokens()
    report = test_connection(seed)

    assert report.ok, report.message
    assert oauth_server.requests["/token"] - tokens_before == 1


def test_it_says_what_the_token_endpoint_answered(oauth_dovecot, oauth_server):
    address = new_address("outlook.test")
    oauth_dovecot.add_user(address, uuid.uuid4().hex)

    revoked = oauth_endpoint(oauth_dovecot, oauth_server, address, "rt-revoked")
    with pytest.raises(LoginFailed) as exc:
        open_seed_client(revoked)
    assert "answered HTTP 400: invalid_grant: Token has been expired or revoked." in str(exc.value)

    wrong_client = oauth_endpoint(
        oauth_dovecot,
        oauth_server,
        address,
        oauth_server.add_account(address),
        oauth_client_secret="wrong",
    )
    report = test_connection(wrong_client)
    assert report.problem == "login_failed"
    assert "HTTP 401: invalid_client: Unknown client." in report.message


def test_it_reports_an_unreachable_token_endpoint(oauth_dovecot):
    address = new_address("outlook.test")
    seed = SeedEndpoint(
        address=address,
        provider="google",
        username=address,
        auth="oauth2",
        secret="rt-x",
        imap_host=oauth_dovecot.host,
        imap_port=oauth_dovecot.port,
        imap_tls="none",
        oauth_token_url="http://127.0.0.1:1/token",
    )
    with pytest.raises(SeedClientError) as exc:
        open_seed_client(seed)
    assert not isinstance(exc.value, LoginFailed)
    assert "token endpoint http://127.0.0.1:1/token unreachable" in str(exc.value)


def test_found_is_a_plain_value():
    # Callers store and compare Found values; equality must not depend on identity.
    a = Found(message_id="<a@x>", folder="INBOX", uid=1, placement="inbox")
    assert a == Found(message_id="<a@x>", folder="INBOX", uid=1, placement="inbox")
