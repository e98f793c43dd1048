from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "ballotguard.incidents"
    label = "incidents"
    verbose_name = "Incidents"
