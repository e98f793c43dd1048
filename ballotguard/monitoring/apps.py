from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "ballotguard.monitoring"
    label = "monitoring"
    verbose_name = "Online abuse monitoring"
