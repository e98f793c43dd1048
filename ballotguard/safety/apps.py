from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "ballotguard.safety"
    label = "safety"
    verbose_name = "Safety guidance, plans and the civility pledge"
