from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "ballotguard.safety"
    label = "safety"
    verbose_name = "Safety guidance, plans and the civility pledge"

    def ready(self):
        from ballotguard.core import retention

        from . import retention as rules

        retention.register(self.label, rules.RULES, rules.HOLDS)
