from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "ballotguard.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self):
        from ballotguard.core import retention

        from . import retention as rules

        retention.register(self.label, rules.RULES, rules.HOLDS)
