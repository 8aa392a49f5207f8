from django.apps import AppConfig


class WarmupSiteConfig(AppConfig):
    name = "warmup_site"
    verbose_name = "Warmup"

    def ready(self):
        from warmup_site import checks  # noqa: F401 - registers the system checks
        from warmup_site.api import text_fields_take_only_strings

        text_fields_take_only_strings()
