from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "ballotguard.demo"
    label = "demo"
    verbose_name = "Demo data"
