from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import Account, Membership, Role
from accounts.tenancy import is_operator


def run(*args) -> list[str]:
    out = StringIO()
    call_command("create_account", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_it_creates_the_account_owner_and_prints_a_working_token(db):
    lines = run("Acme Mail", "--owner", "alice", "--password", "s3cret-pass")

    account = Account.objects.get(name="Acme Mail")
    membership = Membership.objects.get(account=account)
    assert membership.user.username == "alice"
    assert membership.role == Role.OWNER
    assert membership.user.check_password("s3cret-pass")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {lines[-1]}")
    assert client.get("/api/v1/account/").json()["slug"] == "acme-mail"


def test_it_reuses_an_existing_user_and_keeps_their_password(owner, password):
    run("Second Account", "--owner", "olivia", "--password", "ignored-password")

    owner.refresh_from_db()
    assert owner.check_password(password)
    assert owner.memberships.count() == 2


def test_it_makes_an_operator_with_staff(db):
    run("Ops", "--owner", "root2", "--password", "pw-123456", "--staff")

    user = get_user_model().objects.get(username="root2")
    assert user.is_staff
    assert is_operator(user)


def test_it_refuses_a_duplicate_account_name(account):
    with pytest.raises(CommandError, match=r"An account named 'acme mail' already exists\."):
        run("acme mail", "--owner", "bob", "--password", "pw-123456")


def test_it_explains_its_arguments(capsys):
    with pytest.raises(SystemExit):
        call_command("create_account", "--help")
    assert "--owner USERNAME" in capsys.readouterr().out
