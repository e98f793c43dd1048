from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "ballotguard.outreach"
    label = "outreach"

    def ready(self):
        from ballotguard.core import retention

        from . import retention as rules

        retention.register(self.label, rules.RULES, rules.HOLDS)
