from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "ballotguard.registry"
    label = "registry"
    verbose_name = "Registry of elections, candidates and police forces"

    def ready(self):
        from ballotguard.core import retention

        from . import retention as rules

        retention.register(self.label, rules.RULES, rules.HOLDS)
