"""Demo data for `make run`: a customer account and an operator (idempotent)."""

from django.contrib.auth import get_user_model

from accounts import services
from accounts.models import Account, Membership, Role

DEMO_ACCOUNT = "Demo Sender"
DEMO_USER, DEMO_PASSWORD = "demo", "warmup-demo"
OPERATOR_USER, OPERATOR_PASSWORD = "operator", "warmup-operator"


def load() -> list[str]:
    User = get_user_model()
    account = Account.objects.filter(name=DEMO_ACCOUNT).first()
    if account is None:
        account, _, _ = services.account_create(
            name=DEMO_ACCOUNT, owner_username=DEMO_USER, password=DEMO_PASSWORD
        )
    operator = User.objects.filter(username=OPERATOR_USER).first()
    if operator is None:
        operator = User.objects.create_user(username=OPERATOR_USER, password=OPERATOR_PASSWORD)
    services.user_make_operator(user=operator)
    # The operator can also look at the demo account as a customer would.
    if not Membership.objects.filter(user=operator, account=account).exists():
        services.membership_add(account=account, user=operator, role=Role.ADMIN)
    return [
        f"customer login: {DEMO_USER} / {DEMO_PASSWORD} (account {account.name!r})",
        f"operator login: {OPERATOR_USER} / {OPERATOR_PASSWORD} (admin at /admin/)",
    ]
