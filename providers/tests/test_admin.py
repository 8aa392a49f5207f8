from providers.models import MailboxProvider


def form_data(provider, **changes):
    data = {
        "slug": provider.slug,
        "name": provider.name,
        "position": provider.position,
        "consumer_domains": "\n".join(provider.consumer_domains),
        "mx_suffixes": "\n".join(provider.mx_suffixes),
        "notes": "",
    }
    data.update(changes)
    return data


def test_it_lets_an_operator_add_an_mx_suffix(operator_client):
    zoho = MailboxProvider.objects.get(slug="zoho")

    response = operator_client.post(
        f"/admin/providers/mailboxprovider/{zoho.pk}/change/",
        form_data(zoho, mx_suffixes="mx.zoho.com\nZOHOMAIL.example."),
    )

    assert response.status_code == 302
    zoho.refresh_from_db()
    assert zoho.mx_suffixes == [".mx.zoho.com", ".zohomail.example"]


def test_it_refuses_a_suffix_another_provider_claims(operator_client):
    zoho = MailboxProvider.objects.get(slug="zoho")

    response = operator_client.post(
        f"/admin/providers/mailboxprovider/{zoho.pk}/change/",
        form_data(zoho, mx_suffixes=".google.com"),
    )

    assert response.status_code == 200
    assert ".google.com is already an MX suffix of Google (Gmail, Workspace)." in (
        response.content.decode()
    )


def test_it_adds_a_provider_and_keeps_builtin_slugs_fixed(operator_client):
    response = operator_client.post(
        "/admin/providers/mailboxprovider/add/",
        {
            "slug": "fastmail",
            "name": "Fastmail",
            "position": 95,
            "consumer_domains": "fastmail.com, fastmail.fm",
            "mx_suffixes": ".messagingengine.com",
            "notes": "",
        },
    )

    assert response.status_code == 302
    assert MailboxProvider.objects.get(slug="fastmail").consumer_domains == [
        "fastmail.com",
        "fastmail.fm",
    ]
    google = MailboxProvider.objects.get(slug="google")
    page = operator_client.get(f"/admin/providers/mailboxprovider/{google.pk}/change/")
    assert 'name="slug"' not in page.content.decode()


def test_it_never_deletes_the_fallback_provider(operator_client):
    other = MailboxProvider.objects.get(slug="other")

    response = operator_client.get(f"/admin/providers/mailboxprovider/{other.pk}/delete/")

    assert response.status_code == 403
