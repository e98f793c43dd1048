from django.apps import AppConfig
from django.core import checks


class CheckinsConfig(AppConfig):
    name = "ballotguard.checkins"
    label = "checkins"

    def ready(self):
        from ballotguard.core import retention

        from . import retention as rules

        retention.register(self.label, rules.RULES, rules.HOLDS)
        checks.register(sms_provider_check)


def sms_provider_check(app_configs=None, **kwargs):
    """A wrong BALLOTGUARD_SMS_PROVIDER is found when the site or the worker starts, not when a
    buddy's alert is due."""
    from django.core.exceptions import ImproperlyConfigured

    from .notify import sms_provider_class

    try:
        sms_provider_class()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="checkins.E001")]
    return []
