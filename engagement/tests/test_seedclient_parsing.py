"""Parsing that only a provider's server can produce (no local server offers X-GM-EXT-1).

The FETCH response below is a recorded shape of Gmail's answer to
``UID FETCH … (FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)] X-GM-LABELS)``, run through
IMAPClient's own response parser — not a live Gmail session.
"""

from imapclient.response_parser import parse_fetch_response

from engagement.seedclient.imap import (
    found_from_fetch,
    gmail_category,
    or_search_terms,
    parse_copyuid,
    parse_uid_set,
)


def _literal(prefix: bytes, header: bytes) -> tuple[bytes, bytes]:
    return (prefix + b" {%d}" % len(header), header)


RECORDED_GMAIL_FETCH = [
    _literal(
        b'1 (X-GM-LABELS ("\\\\Important" "^smartlabel_promo") UID 4711 FLAGS (\\Seen) '
        b"BODY[HEADER.FIELDS (MESSAGE-ID)]",
        b"Message-ID: <a1@warmup.example>\r\n\r\n",
    ),
    b")",
    _literal(
        b"2 (X-GM-LABELS (\\Inbox CATEGORY_SOCIAL) UID 4712 FLAGS (\\Flagged) "
        b"BODY[HEADER.FIELDS (MESSAGE-ID)]",
        b"Message-ID: <a2@warmup.example>\r\n\r\n",
    ),
    b")",
    _literal(
        b"3 (X-GM-LABELS () UID 4713 FLAGS () BODY[HEADER.FIELDS (MESSAGE-ID)]",
        b"Message-ID:\r\n <a3@warmup.example>\r\n\r\n",
    ),
    b")",
]


def test_it_reads_gmail_categories_and_flags_from_a_recorded_fetch():
    response = parse_fetch_response(RECORDED_GMAIL_FETCH, normalise_times=True, uid_is_key=True)
    wanted = ["<a1@warmup.example>", "<a2@warmup.example>", "<a3@warmup.example>"]

    found = found_from_fetch(response, wanted, folder="INBOX", placement="inbox")

    assert found["<a1@warmup.example>"].category == "promotions"
    assert found["<a1@warmup.example>"].uid == 4711
    assert found["<a1@warmup.example>"].seen is True
    assert found["<a2@warmup.example>"].category == "social"
    assert found["<a2@warmup.example>"].flagged is True
    # A folded header is unfolded before comparing; no category label → "".
    assert found["<a3@warmup.example>"].category == ""


def test_it_maps_the_category_label_spellings():
    assert gmail_category([b"\\Inbox", b"CATEGORY_UPDATES"]) == "updates"
    assert gmail_category(["^smartlabel_group"]) == "forums"
    assert gmail_category(["^smartlabel_personal"]) == "primary"
    assert gmail_category([b"\\Important", b"Receipts"]) == ""


def test_it_parses_copyuid_from_tagged_and_untagged_responses():
    assert parse_copyuid([b"[COPYUID 1750 3:5,9 20:23] Moved UIDs."]) == {
        3: 20,
        4: 21,
        5: 22,
        9: 23,
    }
    # imaplib files the untagged "* OK [COPYUID …]" code as just its data.
    assert parse_copyuid([b"1750 7 31"]) == {7: 31}
    assert parse_copyuid([b"Copy completed."]) == {}
    assert parse_uid_set("5:3") == [5, 4, 3]


def test_it_ors_search_terms_as_a_balanced_tree():
    terms = or_search_terms(["<a>", "<b>", "<c>", "<d>"])
    assert terms == [
        "OR",
        "OR",
        *["HEADER", "Message-ID", "<a>"],
        *["HEADER", "Message-ID", "<b>"],
        "OR",
        *["HEADER", "Message-ID", "<c>"],
        *["HEADER", "Message-ID", "<d>"],
    ]
    # 1,000 ids nest ten ORs deep, not a thousand (servers parse search keys recursively).
    assert _depth(or_search_terms([f"<{i}>" for i in range(1000)])) == 10
    assert _depth(or_search_terms(["<only>"])) == 0


def _depth(terms: list[str], at: int = 0) -> int:
    def walk(i: int) -> tuple[int, int]:
        if terms[i] == "OR":
            left, i = walk(i + 1)
            right, i = walk(i)
            return 1 + max(left, right), i
        assert terms[i : i + 2] == ["HEADER", "Message-ID"]
        return 0, i + 3

    depth, end = walk(at)
    assert end == len(terms)
    return depth
