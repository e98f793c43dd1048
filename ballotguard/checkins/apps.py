from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "ballotguard.checkins"
    label = "checkins"
