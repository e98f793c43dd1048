from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "ballotguard.checkins"
    label = "checkins"

    def ready(self):
        from ballotguard.core import retention

        from . import retention as rules

        retention.register(self.label, rules.RULES, rules.HOLDS)
