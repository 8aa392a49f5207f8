from django.apps import AppConfig


class IpsConfig(AppConfig):
    name = "ips"
    verbose_name = "Dedicated IPs"

    def ready(self):
        from ips import checks  # noqa: F401 - registers the system checks
