from django.apps import AppConfig


class SurveyConfig(AppConfig):
    name = "ballotguard.survey"
    label = "survey"
    verbose_name = "Candidates' survey"
