"""Microsoft SNDS automated data access: the CSV parsers on recorded payloads, and the client
against the local feed server (the date parameter, refused keys, web pages instead of CSV)."""

from datetime import UTC, date, datetime

import pytest

from reputation.feeds import AuthError, FeedError
from reputation.feeds.snds import (
    SndsClient,
    blocked_addresses,
    complaint_rate,
    date_param,
    parse_data,
    parse_ip_status,
)
from reputation.tests.conftest import fixture


def test_it_reads_each_column_of_the_data_feed():
    rows = parse_data(fixture("snds_data.csv"))

    assert [r.address for r in rows] == ["198.51.100.21", "198.51.100.22", "192.0.2.99"]
    first, second, third = rows
    assert first.activity_start == datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    assert first.activity_end == datetime(2026, 11, 21, 21, 0, tzinfo=UTC)
    assert (first.rcpt, first.data, first.recipients) == (14129, 14129, 13025)
    assert (first.filter_result, first.complaint_rate, first.complaint_text) == (
        "GREEN",
        0.0,
        "< 0.1%",
    )
    assert (first.trap_hits, first.trap_start, first.sample_helo) == (0, None, "mta1.example.com")
    assert first.sample_mail_from == "bounces@example.com"
    assert (second.filter_result, second.complaint_rate, second.trap_hits) == ("YELLOW", 0.004, 40)
    assert second.trap_start == datetime(2026, 11, 21, 8, 7, tzinfo=UTC)
    assert (third.filter_result, third.comments) == ("RED", "Complaint rate above normal")


def test_it_reads_the_blocked_ranges_and_finds_addresses_inside_them():
    ranges = parse_ip_status(fixture("snds_ipstatus.csv"))

    assert [(r.first, r.last, r.blocked) for r in ranges] == [
        ("198.51.100.0", "198.51.100.3", True),
        ("203.0.113.7", "203.0.113.7", True),
    ]
    assert ranges[0].detail == "Blocked due to user complaints or other evidence of spamming"
    assert blocked_addresses(ranges, ["198.51.100.2", "198.51.100.21", "203.0.113.7"]) == {
        "198.51.100.2",
        "203.0.113.7",
    }


@pytest.mark.parametrize(
    ("text", "rate"), [("< 0.1%", 0.0), ("0.4%", 0.004), ("12%", 0.12), ("", None), ("n/a", None)]
)
def test_complaint_rates_are_fractions(text, rate):
    assert complaint_rate(text) == rate


def test_an_empty_answer_is_no_data_and_garbage_lines_are_skipped():
    assert parse_data("") == []
    assert parse_data("IP Address,Activity start\r\nnot-an-ip,x\r\n") == []


def test_a_web_page_instead_of_csv_says_the_key_is_probably_wrong():
    with pytest.raises(FeedError, match="web page instead of CSV: the key is probably wrong"):
        parse_data("<!DOCTYPE html><html><body>Sign in</body></html>")


def test_the_date_parameter_is_month_day_year():
    assert date_param(date(2026, 1, 7)) == "010726"


def test_the_client_asks_for_one_day_and_the_ip_status(feed_server):
    day = date(2026, 11, 21)
    feed_server.data.snds["k3y-for-tests-0001"] = {
        day: [fixture("snds_data.csv").splitlines()[0].split(",")]
    }
    feed_server.data.blocked["k3y-for-tests-0001"] = [["198.51.100.0", "198.51.100.3", "Yes", "x"]]
    client = SndsClient(base_url=feed_server.snds_url, key="k3y-for-tests-0001", timeout=5)

    rows = client.data(day)
    ranges = client.ip_status()

    assert [r.address for r in rows] == ["198.51.100.21"]
    assert client.data(date(2026, 11, 22)) == []
    assert [(r.first, r.last) for r in ranges] == [("198.51.100.0", "198.51.100.3")]


def test_recorded_answers_are_served_as_they_are(feed_server):
    feed_server.data.snds["k3y-for-tests-0001"] = {}
    feed_server.respond("data.aspx", 200, fixture("snds_data.csv"))
    client = SndsClient(base_url=feed_server.snds_url, key="k3y-for-tests-0001", timeout=5)

    assert len(client.data(date(2026, 11, 21))) == 3


def test_an_unknown_key_is_refused(feed_server):
    client = SndsClient(base_url=feed_server.snds_url, key="unknown-key", timeout=5)

    with pytest.raises(AuthError, match="SNDS refused the key \\(HTTP 403\\)"):
        client.data(date(2026, 11, 21))


def test_a_server_error_is_a_feed_error(feed_server):
    feed_server.respond("ipStatus.aspx", 500, "<html>Server Error</html>")
    client = SndsClient(base_url=feed_server.snds_url, key="k", timeout=5)

    with pytest.raises(FeedError, match="SNDS answered HTTP 500"):
        client.ip_status()
