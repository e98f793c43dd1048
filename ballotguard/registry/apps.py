from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "ballotguard.registry"
    label = "registry"
    verbose_name = "Registry of elections, candidates and police forces"
