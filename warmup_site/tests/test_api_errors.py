from warmup_site.api import first_error


def test_it_names_the_first_failing_item_and_field():
    errors = {"events": {3: {"type": ["'opened' is not a valid choice."]}}}

    assert first_error(errors) == ("events[3].type", "'opened' is not a valid choice.")


def test_it_handles_list_shaped_child_errors():
    errors = {"events": [{}, {}, {"ip": ["Enter a valid IPv4 or IPv6 address."]}]}

    assert first_error(errors) == ("events[2].ip", "Enter a valid IPv4 or IPv6 address.")


def test_it_reports_non_field_errors_without_a_field():
    assert first_error({"non_field_errors": ["Bad."]}) == (None, "Bad.")
