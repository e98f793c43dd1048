from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "ballotguard.sharing"
    label = "sharing"
    verbose_name = "Sharing with partners"
