from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "engagement"
    verbose_name = "Domain warm-up (seed network)"

    def ready(self):
        # Imported here, not at module level: app modules load models, which Django allows only
        # once the app registry is ready.
        from domains.services import warmup
        from engagement import checks, hooks  # noqa: F401 - registers the checks

        # The switch lives in domains (the page and the API are there); domains tells us through
        # its hook when it flips, because it must not import engagement.
        if hooks.warmup_switched not in warmup.switch_hooks:
            warmup.switch_hooks.append(hooks.warmup_switched)
