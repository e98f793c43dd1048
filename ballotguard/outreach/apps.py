from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "ballotguard.outreach"
    label = "outreach"
