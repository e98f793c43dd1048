"""Load the shipped observables warning list (``engines.incidents.warninglists.DEFAULT_WARNINGS``).

The values are copied as they normalise today; later changes to the shipped list come with their own
migration, as MISP's warninglists come with releases. Reversing removes only shipped entries.
"""

from django.db import migrations


def load(apps, schema_editor):
    from ballotguard.engines.incidents.warninglists import default_entries

    ObservableWarning = apps.get_model("incidents", "ObservableWarning")
    for entry in default_entries():
        obs = entry.observable
        if not ObservableWarning.objects.filter(kind=obs.kind.value, value=obs.value, retired_at__isnull=True).exists():
            ObservableWarning.objects.create(kind=obs.kind.value, value=obs.value, display=obs.display, reason=entry.reason, source="default")


def unload(apps, schema_editor):
    apps.get_model("incidents", "ObservableWarning").objects.filter(source="default").delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_observable_warning_list")]
    operations = [migrations.RunPython(load, unload)]
