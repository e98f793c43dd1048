from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "ballotguard.insights"
    label = "insights"
    verbose_name = "Taskforce insights"
