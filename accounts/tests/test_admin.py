"""The admin: operators see every account; other staff only their own; keys never shown."""

from django.contrib.auth.models import Permission

from accounts import services
from accounts.models import Account
from accounts.tests.factories import MembershipFactory, UserFactory


def test_it_shows_operators_every_account(operator_client, account, other_account):
    body = operator_client.get("/admin/accounts/account/").content.decode()

    assert "Acme Mail" in body and "Other Corp" in body


def test_it_scopes_non_operator_staff_to_their_accounts(client, account, other_account):
    staff = UserFactory(username="helper", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_account"))
    MembershipFactory(user=staff, account=account)
    client.force_login(staff)

    body = client.get("/admin/accounts/account/").content.decode()

    assert "Acme Mail" in body and "Other Corp" not in body
    assert client.get(f"/admin/accounts/account/{other_account.pk}/change/").status_code == 302
    assert Account.objects.for_user(staff).count() == 1


def test_it_never_renders_an_api_key_in_the_admin(operator_client, owner):
    token, key = services.api_token_create(membership=owner.memberships.get(), name="mta-1")

    listing = operator_client.get("/admin/accounts/apitoken/").content.decode()
    detail = operator_client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()

    assert key not in listing and key not in detail
    assert token.prefix in listing and "mta-1" in listing
