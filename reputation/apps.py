from django.apps import AppConfig


class ReputationConfig(AppConfig):
    name = "reputation"
    verbose_name = "Reputation"

    def ready(self):
        from reputation import checks  # noqa: F401 - registers the system checks
        from reputation.dashboards import home, subjects
        from warmup_site import panels

        # The pages are the other apps' (nothing imports reputation): they ask for the panels
        # of a slot, and these fill them with charts, verdicts and progress.
        panels.register("home", home.home_panel)
        panels.register("domain_detail", subjects.domain_panel)
        panels.register("ip_detail", subjects.ip_panel)
        panels.register("admin_domain", subjects.admin_domain_panel)
        panels.register("admin_ip", subjects.admin_ip_panel)
