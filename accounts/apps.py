from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts import services

        # Permissions are created by a post_migrate handler of django.contrib.auth; ours runs
        # after it and gives the Operators group every permission of the apps it operates.
        post_migrate.connect(
            lambda **_kwargs: services.operators_group_sync(),
            dispatch_uid="accounts.operators_group_sync",
            weak=False,
        )
