from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "ballotguard.monitoring"
    label = "monitoring"
    verbose_name = "Online abuse monitoring"

    def ready(self):
        from ballotguard.core import retention

        from . import retention as rules

        retention.register(self.label, rules.RULES, rules.HOLDS)
