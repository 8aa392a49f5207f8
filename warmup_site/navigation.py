"""The customer menu. Items appear once their page exists (their URL name resolves)."""

from django.urls import NoReverseMatch, reverse

SECTIONS = [
    (
        "Mail Settings",
        [("Verified Domains", "domains:list"), ("Placement Tests", "engagement:placement_tests")],
    ),
    ("Sending", [("Dedicated IPs", "ips:list")]),
    ("Account", [("Members & API", "account_settings")]),
]


def navigation(request) -> list[dict]:
    path = request.path
    sections = []
    for title, items in SECTIONS:
        links = []
        for label, url_name in items:
            try:
                url = reverse(url_name)
            except NoReverseMatch:
                continue
            links.append({"label": label, "url": url, "active": path.startswith(url)})
        if links:
            sections.append({"title": title, "links": links})
    return sections
