"""Fingerprints for contact details handed over before monitoring existed, so their exposure is
caught too. New saves keep them up to date (``Candidate.save``)."""

from django.db import migrations


def fill(apps, schema_editor):
    from ballotguard.registry.models import contact_fingerprint_list

    Candidate = apps.get_model("registry", "Candidate")
    for candidate in Candidate.objects.exclude(postcode="", address="", phone="").iterator(chunk_size=500):
        prints = contact_fingerprint_list(candidate.postcode, candidate.address, candidate.phone)
        if prints:
            Candidate.objects.filter(pk=candidate.pk).update(exposure_fingerprints=prints)


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_candidate_exposure_fingerprints_socialhandle")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
