import pytest

from warmup_site.hostnames import normalise_domain, to_unicode


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("  mail.example.org ", "mail.example.org"),
        ("Bücher.de", "xn--bcher-kva.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("例え.jp", "xn--r8jz45g.jp"),
    ],
)
def test_it_normalises_to_lower_case_a_labels(value, expected):
    assert normalise_domain(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "is empty"),
        ("localhost", "needs at least two labels"),
        ("a..example.com", "two dots in a row"),
        ("-bad.example.com", "may not start or end with a hyphen"),
        ("under_score.example.com", "letters, digits and hyphens"),
        ("*.example.com", "is a wildcard"),
        ("192.0.2.1", "is an IP address"),
        ("[2001:db8::1]", "is an IP address"),
        ("user@example.com", "looks like an email address"),
        ("a" * 64 + ".com", "label of 64 characters"),
        (".".join(["abcdefghi"] * 26) + ".com", "at most 253"),
        ("xn--zz.com", "not valid punycode"),
    ],
)
def test_it_explains_what_is_wrong(value, reason):
    with pytest.raises(ValueError, match=reason.replace("*", r"\*")):
        normalise_domain(value)


def test_it_shows_u_labels():
    assert to_unicode("xn--bcher-kva.de") == "bücher.de"
    assert to_unicode("example.com") == "example.com"
