from accounts.models import Account, ApiToken, Membership
from accounts.tenancy import is_operator
from accounts.tests.factories import UserFactory


def test_it_scopes_rows_to_one_account(owner, member, outsider, account):
    assert set(
        Membership.objects.for_account(account).values_list("user__username", flat=True)
    ) == {
        "olivia",
        "mike",
    }
    assert list(Account.objects.for_account(account)) == [account]


def test_it_scopes_rows_through_a_relation_path(owner, outsider, owner_api, outsider_api, account):
    assert ApiToken.objects.count() == 2
    assert [t.membership.user.username for t in ApiToken.objects.for_account(account)] == ["olivia"]


def test_it_scopes_rows_to_every_account_of_a_user(owner, outsider):
    assert list(Account.objects.for_user(owner).values_list("slug", flat=True)) == ["acme-mail"]


def test_it_gives_nothing_to_nobody(account):
    assert not Account.objects.for_account(None).exists()


def test_it_recognises_operators(operator, owner, db):
    assert is_operator(operator)
    assert not is_operator(owner)
    assert is_operator(UserFactory(username="root", is_superuser=True, is_staff=True))
