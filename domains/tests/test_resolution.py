"""Checks as generators: one run shares lookups and overlaps them."""

from domains.resolution import gather, run
from warmup_site import dns


def txt(name):
    (result,) = yield [(name, "TXT")]
    return result.records


def chain(name):
    (first,) = yield [(name, "TXT")]
    (second,) = yield [(first.records[0], "TXT")]
    return second.records


def test_it_looks_up_each_distinct_name_once_per_run(dns_server):
    dns_server.add("a.example", "TXT", "one")

    results = run([txt("a.example"), txt("A.EXAMPLE."), txt("a.example")])

    assert results == [("one",), ("one",), ("one",)]
    assert dns_server.queries == [("a.example", "TXT", "udp")]


def test_it_feeds_dependent_lookups_into_the_next_round(dns_server):
    dns_server.add("start.example", "TXT", "next.example")
    dns_server.add("next.example", "TXT", "end")
    dns_server.add("b.example", "TXT", "b")

    assert run([chain("start.example"), txt("b.example")]) == [("end",), ("b",)]


def test_it_overlaps_lookups(dns_server, settings):
    dns_server.latency = 0.1
    for n in range(10):
        dns_server.add(f"n{n}.example", "TXT", str(n))

    def both(n):
        return (yield from gather(txt(f"n{n}.example"), txt(f"n{n + 5}.example")))

    results = run([both(n) for n in range(5)])

    assert results == [[(str(n),), (str(n + 5),)] for n in range(5)]
    assert dns_server.max_in_flight == 10


def test_it_can_run_lookups_one_after_another(dns_server):
    dns_server.latency = 0.02
    for n in range(4):
        dns_server.add(f"n{n}.example", "TXT", str(n))

    run([txt(f"n{n}.example") for n in range(4)], resolve=lambda qs: [dns.lookup(*q) for q in qs])

    assert dns_server.max_in_flight == 1
