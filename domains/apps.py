from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "domains"
    verbose_name = "Sending domains"

    def ready(self):
        from domains import checks  # noqa: F401 - registers the start-up checks
